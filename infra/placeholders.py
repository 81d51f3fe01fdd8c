"""Documentation-only values ("placeholders") that must never reach a real deployment.

The shipped stacks name the AWS documentation account, a documentation address range and a
reserved domain, so they run offline and read like the docs. A real AWS account never has a
documentation account id, while the offline engine (account 111122223333) and the moto emulator
(its default account 123456789012) do: the program allows placeholders only when the deploying
account is itself one of these ids (`is_documentation_account`), so no mock is special-cased.

Pure: no pulumi, no boto3, no network.
"""

from __future__ import annotations

from ipaddress import IPv4Network, IPv6Network, ip_network

from infra.config import NAMESPACE, StackConfig

# Account ids the AWS documentation uses in its examples; none is anybody's account.
# - 123456789012: the IAM User Guide's account in ARNs (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html),
#   also moto's DEFAULT_ACCOUNT_ID (moto.core.DEFAULT_ACCOUNT_ID), the emulator's account.
# - 111122223333, 444455556666, 777788889999: the IAM User Guide's cross-account examples
#   (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html);
#   111122223333 is also the offline engine's account (finstack/engine/fake_cloud.py).
# - 012345678901: the AWS Account Management Reference's example
#   (https://docs.aws.amazon.com/accounts/latest/reference/manage-acct-identifiers.html).
DOCUMENTATION_ACCOUNT_IDS = ("111122223333", "123456789012", "444455556666", "777788889999", "012345678901")

# Address blocks reserved for documentation: never routed, so an allow-list naming one admits nobody.
# RFC 5737 section 3 (https://www.rfc-editor.org/rfc/rfc5737) and RFC 3849 (https://www.rfc-editor.org/rfc/rfc3849).
DOCUMENTATION_NETWORKS: tuple[tuple[IPv4Network | IPv6Network, str], ...] = (
    (IPv4Network("192.0.2.0/24"), "TEST-NET-1 (RFC 5737)"),
    (IPv4Network("198.51.100.0/24"), "TEST-NET-2 (RFC 5737)"),
    (IPv4Network("203.0.113.0/24"), "TEST-NET-3 (RFC 5737)"),
    (IPv6Network("2001:db8::/32"), "the IPv6 documentation prefix (RFC 3849)"),
)

# Reserved names nobody can register: RFC 2606 sections 2-3 (https://www.rfc-editor.org/rfc/rfc2606), made
# special-use by RFC 6761 section 6 (https://www.rfc-editor.org/rfc/rfc6761). Each covers its subdomains.
RESERVED_DOMAINS: tuple[tuple[str, str], ...] = (
    ("example.com", "reserved for documentation (RFC 2606)"),
    ("example.net", "reserved for documentation (RFC 2606)"),
    ("example.org", "reserved for documentation (RFC 2606)"),
    ("example", "a top-level domain reserved for documentation (RFC 2606)"),
    ("test", "a top-level domain reserved for testing (RFC 2606)"),
    ("invalid", "a top-level domain reserved as invalid (RFC 2606)"),
    ("localhost", "a top-level domain reserved for loopback (RFC 2606, RFC 6761)"),
)


def is_documentation_account(account_id: str) -> bool:
    """Whether `account_id` is a documentation account: the offline engine's or the emulator's, never a real one."""
    return account_id in DOCUMENTATION_ACCOUNT_IDS


def account_of_arn(arn: str) -> str:
    """The account field of an ARN (`arn:partition:service:region:account:resource`), or ''."""
    parts = arn.split(":", 5)
    return parts[4] if len(parts) == 6 else ""


def documentation_network(cidr: str) -> str | None:
    """The documentation block `cidr` lies in (its description), or None."""
    network = ip_network(cidr, strict=False)
    for block, name in DOCUMENTATION_NETWORKS:
        if network.version == block.version and network.subnet_of(block):  # type: ignore[arg-type]  # same IP version
            return name
    return None


def reserved_domain(domain: str) -> tuple[str, str] | None:
    """The reserved name `domain` is or lies under, with why it is reserved, or None."""
    name = domain.lower().rstrip(".")
    for reserved, why in RESERVED_DOMAINS:
        if name == reserved or name.endswith(f".{reserved}"):
            return reserved, why
    return None


def placeholder_problems(config: StackConfig) -> list[str]:
    """One line per config key holding a documentation-only value: the key, the value and what to set."""
    problems: list[str] = []
    for field, arn in (
        ("eks.adminRoleArn", config.eks.admin_role_arn),
        ("eks.readonlyRoleArn", config.eks.readonly_role_arn),
        ("traffic.approverRoleArn", config.traffic.approver_role_arn),
    ):
        account = account_of_arn(arn or "")
        if arn and is_documentation_account(account):
            problems.append(
                f"{NAMESPACE}:{field}: {arn} names the AWS documentation account {account}; "
                "set the role of your account"
            )
    for index, cidr in enumerate(config.eks.public_access_cidrs):
        block = documentation_network(str(cidr))
        if block:
            problems.append(
                f"{NAMESPACE}:eks.publicAccessCidrs[{index}]: {cidr} is {block}, a documentation range no client "
                "comes from; list your office/VPN CIDRs, or none for a private endpoint"
            )
    reserved = reserved_domain(config.domain)
    if reserved:
        name, why = reserved
        under = "is" if config.domain == name else f"is under {name}, which is"
        problems.append(
            f"{NAMESPACE}:domain: {config.domain} {under} {why} and cannot be delegated to you; set a domain you own"
        )
    return problems
