"""`make posture`: Prowler's PCI DSS 4.0 framework against the emulated prod stack, never real AWS.

Prowler runs from its own virtualenv (.posture-venv, created here with the pinned version), so its
dependencies never constrain finstack's. The script starts the emulator server on loopback,
deploys prod into it (`finstack up --stack prod --emulate`), then runs
`prowler aws --compliance pci_4.0_aws` with AWS_ENDPOINT_URL pointing at that server and moto's
fake credentials, restricted to the stack's regions, and prints the checks that fail. It refuses
to run Prowler against any endpoint that is not a loopback emulator. The README's "Posture" section
says which findings are emulator artifacts, landing-zone-owned or deferred.
"""

from __future__ import annotations

import csv
import os
import subprocess
import venv
from pathlib import Path
from urllib.parse import urlsplit

PROWLER_VERSION = "5.46.0"
# Prowler's name for the framework (prowler/compliance/aws/pci_4.0_aws.json in the pinned version).
FRAMEWORK = "pci_4.0_aws"
VENV = Path(".posture-venv")
OUTPUT = Path(".finstack/prod/posture")
FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing"}


class RealEndpointRefused(SystemExit):
    """Prowler would have reached something other than the loopback emulator."""


def require_emulator(endpoint: str) -> None:
    """Only a loopback http endpoint (the emulator server) is acceptable."""
    parts = urlsplit(endpoint)
    if parts.scheme != "http" or parts.hostname not in ("127.0.0.1", "localhost", "::1"):
        raise RealEndpointRefused(f"refusing to run Prowler against {endpoint!r}: only the loopback emulator")


def prowler_env(endpoint: str, base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment Prowler runs in: the emulator endpoint, fake keys, no profile or role of the user."""
    require_emulator(endpoint)
    env = {k: v for k, v in (base if base is not None else os.environ).items() if not k.startswith("AWS_")}
    env.update(FAKE_CREDENTIALS)
    env.update({"AWS_ENDPOINT_URL": endpoint, "AWS_DEFAULT_REGION": "us-east-1"})
    return env


def ensure_prowler() -> Path:
    """.posture-venv/bin/prowler, installed from PyPI at the pinned version when missing."""
    prowler = VENV / "bin" / "prowler"
    if not prowler.exists():
        venv.create(VENV, with_pip=True)
        subprocess.run(
            [str(VENV / "bin" / "python"), "-m", "pip", "install", f"prowler=={PROWLER_VERSION}"], check=True
        )
    return prowler


def failing_checks(output_dir: Path) -> list[tuple[str, str, str, str]]:
    """(requirement, check, region, resource) of every FAIL row in Prowler's compliance CSV."""
    rows: list[tuple[str, str, str, str]] = []
    for path in sorted(output_dir.glob(f"compliance/*{FRAMEWORK}*.csv")):
        with path.open(newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle, delimiter=";"):
                if row.get("STATUS") == "FAIL":
                    rows.append(
                        (
                            row.get("REQUIREMENTS_ID", ""),
                            row.get("CHECKID", ""),
                            row.get("REGION", ""),
                            row.get("RESOURCEID", ""),
                        )
                    )
    return sorted(set(rows))


def main() -> None:
    """Start the emulator, deploy prod, run Prowler against it, print what fails."""
    from finstack.cli import main as cli
    from finstack.emulator.server import start_server
    from finstack.project import load_stack

    prowler = ensure_prowler()
    regions = [cell.name for cell in load_stack("prod").validated().regions]
    with start_server(port=0) as server:
        endpoint = server.endpoint_url
        require_emulator(endpoint)
        os.environ.update(prowler_env(endpoint, {}))
        try:
            cli.main(args=["up", "--stack", "prod", "--emulate"], prog_name="finstack", standalone_mode=False)
        except SystemExit as exit_:
            if exit_.code not in (0, None):
                # Prowler still reads what was deployed; the run is reported as partial.
                print(f"warning: the emulated deploy stopped (exit {exit_.code}); Prowler checks a partial stack")
        OUTPUT.mkdir(parents=True, exist_ok=True)
        command = [str(prowler), "aws", "--compliance", FRAMEWORK, "--output-formats", "csv"]
        command += ["--output-directory", str(OUTPUT), "--no-banner", "-f", *regions]
        print("$ " + " ".join(command), flush=True)
        result = subprocess.run(command, env=prowler_env(endpoint), check=False)
    failed = failing_checks(OUTPUT)
    print(f"prowler exit status {result.returncode}; {len(failed)} failing (requirement, check, region, resource):")
    for requirement, check, region, resource in failed:
        print(f"  FAIL {requirement:<10} {check:<60} {region:<10} {resource}")


if __name__ == "__main__":
    main()
