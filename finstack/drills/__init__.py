"""DR drills: switchover, failover and failback of a finstack stack between its regions, with evidence.

Layers, outermost first (each only calls the one below):

- `finstack.commands.drill`: the CLI (parse, confirm, print, exit status);
- `runner`: executes a frozen plan step by step, keeps the journal that makes a drill resumable,
  checks the one-writer invariant after every step and aborts into a safe state;
- `plan` and `preflight`: pure functions from the `dr` document and an observed state to the
  ordered steps and to the preconditions with their current values (hypothesis-tested);
- `observe` and `dataplane`: read the current state (control plane through the gateway, data
  plane through the emulator's write model or the RDS Data API);
- `gateway`: the only module that touches boto3 (typed errors, retry policy, API-call recording);
- `evidence`: `report.json` (validated by `report.schema.json`) and `report.md`.
"""
