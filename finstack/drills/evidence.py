"""Evidence of an executed drill: `report.json` (schema: `report.schema.json`) and `report.md`.

Both are derived from the journal only, so a resumed drill's report covers every run, and the
report of an aborted drill shows exactly which steps ran, what each API call answered (request
ids included, for AWS support and an auditor's sampling) and the safe state it stopped in.

RTO is measured from the start of the fence (the moment writes stop being served by the source)
to the verified health of the target taking traffic; RPO is the committed writes lost and the
replication window they fell in. Durations come from the monotonic clock when both ends were
seen by the same run (non-negative by construction), else from UTC wall timestamps, and the
report says which.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import jsonschema

from finstack.drills.plan import StepKind

SCHEMA_FILE = Path(__file__).with_name("report.schema.json")
REPORT_VERSION = 1

#: The controls an executed drill evidences, and how.
CONTROLS: list[dict[str, str]] = [
    {
        "framework": "PCI DSS v4.0.1",
        "control": "12.10.2",
        "title": "The incident response plan, including business recovery and continuity procedures "
        "(12.10.1), is tested at least once every 12 months",
        "evidence": "a recovery procedure executed against the platform, with its timeline, operator approval, "
        "API request ids and outcome",
    },
    {
        "framework": "SOC 2 (Trust Services Criteria)",
        "control": "A1.3",
        "title": "The entity tests recovery plan procedures supporting system recovery to meet its objectives",
        "evidence": "measured RTO and RPO of the executed recovery, and the verified end state",
    },
    {
        "framework": "DORA (Regulation (EU) 2022/2554)",
        "control": "Art. 11(6)",
        "title": "ICT business continuity and response and recovery plans are tested, including switchover "
        "between the primary ICT infrastructure and redundant capacity",
        "evidence": "a switchover or failover between regions executed end to end, with measured outcome",
    },
    {
        "framework": "DORA (Regulation (EU) 2022/2554)",
        "control": "Art. 12",
        "title": "Restoration and recovery procedures and redundant ICT capacity at a secondary site",
        "evidence": "the secondary region promoted, capacity scaled and data loss measured",
    },
]


def _parse(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def _duration(record: dict[str, Any]) -> tuple[float | None, str]:
    """Seconds a step took: monotonic within one run, wall clock across a resume."""
    if record.get("endMonotonic") is None or record.get("startMonotonic") is None:
        return None, "none"
    if record.get("startRun") == record.get("endRun"):
        return round(max(0.0, record["endMonotonic"] - record["startMonotonic"]), 3), "monotonic"
    start, end = _parse(record.get("startedAt")), _parse(record.get("endedAt"))
    if start is None or end is None:
        return None, "none"
    return round(max(0.0, (end - start).total_seconds()), 3), "wall"


def _rto(journal: dict[str, Any]) -> dict[str, Any] | None:
    steps = journal["plan"]["steps"]
    records = journal["steps"]
    start_kinds = (str(StepKind.FENCE), str(StepKind.REGION_SWITCH))
    first = next((s for s in steps if s["kind"] in start_kinds), None)
    last = next((s for s in steps if s["kind"] == str(StepKind.VERIFY_HEALTH)), None)
    if first is None or last is None:
        return None
    begin, end = records[first["id"]], records[last["id"]]
    if end.get("status") != "completed" or "startedAt" not in begin:
        return {
            "seconds": None,
            "from": first["id"],
            "to": last["id"],
            "startedAt": begin.get("startedAt"),
            "endedAt": None,
            "clock": "none",
            "note": "the target never took healthy traffic in this drill",
        }
    if begin.get("startRun") == end.get("endRun"):
        seconds, clock = max(0.0, end["endMonotonic"] - begin["startMonotonic"]), "monotonic"
    else:
        start, stop = _parse(begin["startedAt"]), _parse(end["endedAt"])
        assert start is not None and stop is not None
        seconds, clock = max(0.0, (stop - start).total_seconds()), "wall"
    return {
        "seconds": round(seconds, 3),
        "from": first["id"],
        "to": last["id"],
        "startedAt": begin["startedAt"],
        "endedAt": end["endedAt"],
        "clock": clock,
        "note": "from the start of the fence to the target verified healthy and taking traffic",
    }


def build_report(journal: dict[str, Any]) -> dict[str, Any]:
    """The `report.json` document of a drill, from its journal."""
    calls_by_step: dict[str | None, list[dict[str, Any]]] = {}
    for call in journal["apiCalls"]:
        calls_by_step.setdefault(call.get("step"), []).append(call)
    steps = []
    step_ids = {s["id"] for s in journal["plan"]["steps"]}
    for step in journal["plan"]["steps"]:
        record = journal["steps"][step["id"]]
        duration, clock = _duration(record)
        steps.append(
            {
                "id": step["id"],
                "kind": step["kind"],
                "title": step["title"],
                "region": step["region"],
                "why": step["why"],
                "status": record["status"],
                "startedAt": record.get("startedAt"),
                "endedAt": record.get("endedAt"),
                "durationSeconds": duration,
                "durationClock": clock,
                "attempts": int(record.get("attempts", 0)),
                "error": record.get("error"),
                "notes": record.get("notes", []),
                "details": record.get("details", {}),
                "apiCalls": calls_by_step.get(step["id"], []),
            }
        )
    measurements = journal.get("measurements", {})
    preflight_step = next((s for s in steps if s["kind"] == str(StepKind.PREFLIGHT)), None)
    preconditions = (preflight_step or {}).get("details", {}).get("preconditions", [])
    fence = measurements.get("fence")
    fence_step = next((s for s in steps if s["kind"] == str(StepKind.FENCE)), None)
    confirm_step = next((s for s in steps if s["kind"] == str(StepKind.CONFIRM_FENCE)), None)
    if fence is None and confirm_step is not None and confirm_step["details"].get("override"):
        fence = {
            "region": journal["plan"]["source"],
            "method": journal["plan"]["fenceMethod"],
            "confirmed": False,
            "confirmedAt": None,
            "readBack": None,
        }
    if fence is not None:
        fence = {
            **fence,
            "override": (confirm_step or {}).get("details", {}).get("override"),
            "overriddenSafetyRules": (fence_step or {}).get("details", {}).get("overriddenSafetyRules", []),
        }
    return {
        "schemaVersion": REPORT_VERSION,
        "drillId": journal["drillId"],
        "drill": journal["plan"]["drill"],
        "stack": journal["stack"],
        "environment": journal.get("environment"),
        "mode": journal["mode"],
        "via": journal["plan"]["via"],
        "account": journal.get("account"),
        "operator": journal.get("operator", {}),
        "approval": journal.get("approval", {}),
        "sourceRegion": journal["plan"]["source"],
        "targetRegion": journal["plan"]["target"],
        "fenceMethod": journal["plan"]["fenceMethod"],
        "promotion": journal["plan"]["promotion"],
        "status": journal["status"],
        "reason": journal.get("reason", ""),
        "startedAt": journal["runs"][0]["startedAt"] if journal["runs"] else None,
        "endedAt": journal.get("endedAt"),
        "runs": journal["runs"],
        "writerBefore": measurements.get("writerBefore"),
        "writerAfter": measurements.get("writerAfter"),
        "fence": fence,
        "rto": _rto(journal),
        "rpo": measurements.get("rpo"),
        "canary": measurements.get("canary"),
        "preconditions": preconditions,
        "steps": steps,
        "apiCallCount": len(journal["apiCalls"]),
        "otherApiCalls": [c for c in journal["apiCalls"] if c.get("step") not in step_ids],
        "invariantChecks": journal["invariantChecks"],
        "invariantHeld": all(c["ok"] for c in journal["invariantChecks"]),
        "events": journal.get("events", []),
        "controls": CONTROLS,
    }


def schema() -> dict[str, Any]:
    """The report schema."""
    loaded: dict[str, Any] = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    return loaded


def validate(report: dict[str, Any]) -> None:
    """Raise `jsonschema.ValidationError` if `report` does not match the schema."""
    jsonschema.Draft202012Validator(schema()).validate(report)


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return text.replace("|", "\\|").replace("\n", " ")


def _seconds(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f} s"


def _gantt(report: dict[str, Any]) -> list[str]:
    """A Mermaid gantt of the steps (Unix-millisecond dates), with the RTO window as a critical bar."""
    lines = [
        "```mermaid",
        "gantt",
        f"    title {report['drill']} of {report['stack']}: {report['sourceRegion']} to {report['targetRegion']}",
        "    dateFormat x",
        "    axisFormat %H:%M:%S",
        "    section Steps",
    ]
    for step in report["steps"]:
        start, end = _parse(step["startedAt"]), _parse(step["endedAt"])
        if start is None:
            continue
        begin_ms = int(start.timestamp() * 1000)
        # Mermaid drops zero-length bars: a step shorter than a millisecond is drawn as one.
        end_ms = max(begin_ms + 1, int(end.timestamp() * 1000)) if end else begin_ms + 1
        tag = {"completed": "done", "failed": "crit", "in-flight": "active"}.get(step["status"], "")
        name = step["title"].replace(":", " -").replace("#", "").replace(";", ",")
        lines.append(f"    {name} :{tag + ', ' if tag else ''}s{step['id'][:2]}, {begin_ms}, {end_ms}")
    rto = report.get("rto") or {}
    if rto.get("seconds") is not None:
        begin, stop = _parse(rto["startedAt"]), _parse(rto["endedAt"])
        assert begin is not None and stop is not None
        begin_ms = int(begin.timestamp() * 1000)
        lines += [
            "    section RTO window",
            f"    RTO {rto['seconds']:.3f} s :crit, rto, {begin_ms}, {max(begin_ms + 1, int(stop.timestamp() * 1000))}",
        ]
    lines.append("```")
    return lines


def _precondition_row(check: dict[str, Any]) -> str:
    verdict = "ok" if check["ok"] else ("FAILED" if check["blocking"] else "note")
    reason = f" — {_cell(check['reason'])}" if check["reason"] else ""
    return f"| {check['name']} | {_cell(check['expected'])} | {_cell(check['actual'])} | {verdict}{reason} |"


def _invariant_row(check: dict[str, Any]) -> str:
    fenced = ", ".join(r for r, f in check["fenced"].items() if f) or "none"
    verdict = "ok" if check["ok"] else "VIOLATED: " + _cell("; ".join(check["problems"]))
    return (
        f"| {check['after']} | {check['at']} | {', '.join(check['dbWritableRegions']) or 'none'} | {fenced} | "
        f"{', '.join(check['acceptingWrites']) or 'none'} | {verdict} |"
    )


def _call_row(step: str, call: dict[str, Any]) -> str:
    code = f" ({_cell(call['error_code'])})" if call["error_code"] else ""
    return (
        f"| {call['started_at']} | {step} | {call['service']}:{call['operation']} | {call['region']} | "
        f"`{_cell(call['request_id'])}` | {_cell(call['http_status'])} | {call['attempt']} | {call['outcome']}{code} |"
    )


def _stopped(report: dict[str, Any]) -> list[str]:
    """Why a drill that did not complete stopped, and the state it left (from the abort event)."""
    if report["status"] == "completed":
        return []
    lines = ["## Why the drill stopped", "", f"**{report['status']}**: {_cell(report['reason'])}", ""]
    if report["status"] == "refused":
        return [*lines, "A blocking precondition failed before the first change: nothing was changed.", ""]
    if report["status"] == "unverified":
        return [
            *lines,
            "Every step completed, but the canary did not prove that only the new writer accepts writes.",
            "",
            f"Accept the gap on the record with `finstack drill {report['drill']} --stack {report['stack']} "
            "--resume <this folder> --accept-unverified-canary REASON`, or fix what the canary names and drill again.",
            "",
        ]
    aborts = [e for e in report["events"] if e["message"] == "aborted"]
    safe = aborts[-1].get("safeState", {}) if aborts else {}
    lines += [
        f"- Writer region: {_cell(safe.get('writerRegion'))}"
        + (" (a writer change is still in flight)" if safe.get("writerChangeInFlight") else ""),
        f"- Regions accepting writes: {', '.join(safe.get('acceptingWrites') or []) or 'none'}",
        *[f"- Safe-state action: {_cell(action)}" for action in safe.get("actions", [])],
    ]
    if safe.get("error"):
        lines.append(f"- {_cell(safe['error'])}; {_cell(safe.get('note'))}")
    lines += [
        "",
        f"Resume with `finstack drill {report['drill']} --stack {report['stack']} --resume <this folder>`: "
        "completed steps are skipped, the step in flight is verified before anything is repeated.",
        "",
    ]
    return lines


def render_markdown(report: dict[str, Any]) -> str:
    """`report.md`: the drill as an auditor reads it."""
    rto, rpo = report.get("rto") or {}, report.get("rpo") or {}
    approval = report["approval"]
    lost = rpo.get("committedWritesLost")
    out = [
        f"# DR drill {report['drillId']}: {report['drill']} of `{report['stack']}`",
        "",
        f"**Outcome: {report['status']}**" + (f" — {report['reason']}" if report["reason"] else "") + "  ",
        f"{report['sourceRegion']} → {report['targetRegion']} · RTO {_seconds(rto.get('seconds'))} · "
        f"RPO {'not measured' if lost is None else f'{lost} committed writes lost'}"
        + (f" (window {rpo['windowSeconds']:.3f} s)" if rpo.get("windowSeconds") is not None else "")
        + f" · one-writer invariant {'held' if report['invariantHeld'] else 'BROKEN'} at every check",
        "",
        "| | |",
        "|---|---|",
        f"| Drill id | `{report['drillId']}` |",
        f"| Stack / environment | `{report['stack']}` / {_cell(report['environment'])} |",
        f"| Mode | {report['mode']} (orchestrated {report['via']}) |",
        f"| Account | `{_cell(report['account'])}` |",
        f"| Operator | {_cell(report['operator'].get('user'))} (`{_cell(report['operator'].get('principalArn'))}`) |",
        f"| Calls made as | `{_cell(report['operator'].get('callerArn'))}` (the DR automation role) |",
        f"| Approved by | {_cell(approval.get('approvedBy'))} at {_cell(approval.get('approvedAt'))}"
        f" ({_cell(approval.get('method'))}) |",
        f"| Started / ended (UTC) | {_cell(report['startedAt'])} / {_cell(report['endedAt'])} |",
        f"| Runs | {len(report['runs'])} (resumed {max(0, len(report['runs']) - 1)} times) |",
        f"| Writer before | {_cell((report['writerBefore'] or {}).get('region'))} |",
        f"| Writer after | {_cell((report['writerAfter'] or {}).get('region'))} |",
        f"| Fence | {report['fenceMethod']}; promotion: {report['promotion']} |",
        f"| AWS API calls | {report['apiCallCount']} |",
        "",
        *_stopped(report),
        "## Controls evidenced",
        "",
        "| Framework | Control | Requirement | What this report shows |",
        "|---|---|---|---|",
        *[f"| {c['framework']} | {c['control']} | {c['title']} | {c['evidence']} |" for c in report["controls"]],
        "",
        "## Timeline",
        "",
        *_gantt(report),
        "",
        "| # | Step | Region | Start (UTC) | End (UTC) | Duration | Status | API calls |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for step in report["steps"]:
        out.append(
            f"| {step['id'][:2]} | {_cell(step['title'])} | {step['region']} | {_cell(step['startedAt'])} | "
            f"{_cell(step['endedAt'])} | {_seconds(step['durationSeconds'])} | {step['status']}"
            f"{' — ' + _cell(step['error']) if step['error'] else ''} | {len(step['apiCalls'])} |"
        )
    out += [
        "",
        f"**RTO** {_seconds(rto.get('seconds'))}: {_cell(rto.get('note'))} ({_cell(rto.get('startedAt'))} → "
        f"{_cell(rto.get('endedAt'))}, {rto.get('clock', 'none')} clock).",
        "",
        "## Preconditions (read immediately before the first change)",
        "",
        "| Check | Expected | Found | Result |",
        "|---|---|---|---|",
        *[_precondition_row(c) for c in report["preconditions"]],
        "",
        "## Fence",
        "",
    ]
    fence = report.get("fence")
    if fence is None:
        out.append("No fence was set in this drill.")
    else:
        out.append(
            f"{fence['method']} on {fence['region']}: "
            + (
                f"**confirmed** at {fence['confirmedAt']} by reading it back ({_cell(json.dumps(fence['readBack']))})."
                if fence["confirmed"]
                else "**not confirmed**."
            )
        )
        if fence.get("override"):
            out.append(
                f"\nPromotion without a confirmed fence was explicitly authorised: “{_cell(fence['override'])}”."
            )
        if fence.get("overriddenSafetyRules"):
            out.append(
                "\nARC safety rules overridden to fence the last cell On: "
                + ", ".join(f"`{r}`" for r in fence["overriddenSafetyRules"])
                + "."
            )
    out += ["", "## Data: writer, RPO and canary writes", ""]
    if rpo:
        out += [
            f"- Committed writes lost: **{'not measured' if lost is None else lost}** ({_cell(rpo.get('method'))})",
            f"- Replication window: {_seconds(rpo.get('windowSeconds'))} ({_cell(rpo.get('windowSource'))})",
        ]
        if rpo.get("lostWriteIds"):
            out.append("- Lost write ids: " + ", ".join(f"`{w}`" for w in rpo["lostWriteIds"]))
    canary = report.get("canary") or {}
    for role, label in (("target", "new writer"), ("source", "old writer")):
        if role in canary:
            result = canary[role]
            verdict = ("accepted" if result["accepted"] else "refused") if result["verified"] else "not verified"
            out.append(f"- Canary on the {label} ({result['region']}): {verdict} — {_cell(result['detail'])}")
    if canary.get("verdict") == "unverified-accepted":
        accepted = _cell(canary.get("acceptedBecause"))
        out.append(f"- **One writer not proven by the canary**; accepted by the operator: {accepted}")
    out += [
        "",
        "## One-writer invariant",
        "",
        "Checked at the start of every run and after every step: regions whose database accepts writes, "
        "minus fenced regions, must be at most one.",
        "",
        "| After | At (UTC) | DB accepts writes | Fenced | Accepting writes | Result |",
        "|---|---|---|---|---|---|",
        *[_invariant_row(c) for c in report["invariantChecks"]],
        "",
    ]
    if report["events"]:
        out += [
            "## Events",
            "",
            *[f"- {e['at']} (run {e['run']}): {_cell(e['message'])}" for e in report["events"]],
            "",
        ]
    out += [
        "## AWS API calls",
        "",
        "| Time (UTC) | Step | Operation | Region | Request id | HTTP | Attempt | Outcome |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for step in report["steps"]:
        out += [_call_row(step["id"][:2], call) for call in step["apiCalls"]]
    out += [_call_row(str(call["step"]), call) for call in report["otherApiCalls"]]
    return "\n".join(out) + "\n"


def write(journal: dict[str, Any], directory: Path) -> tuple[Path, Path]:
    """Write `report.json` (validated) and `report.md` into `directory`."""
    report = build_report(journal)
    validate(report)
    json_path, md_path = directory / "report.json", directory / "report.md"
    json_path.write_text(json.dumps(report, indent=2, default=str) + "\n", encoding="utf-8")
    md_path.write_text(render_markdown(report), encoding="utf-8")
    return json_path, md_path
