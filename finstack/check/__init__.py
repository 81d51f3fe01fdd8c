"""`finstack check`: the stack's plan, checked by the CrossGuard pack over the analyzer protocol.

- `runner.check_stack` / `runner.run_check`: the whole operation (what the CLI calls);
- `session.AnalyzerSession`: the engine's side of the protocol, for many checks on one pack;
- `report`: what a check found; `formats`: text, JSON and SARIF renderings of it.

Nothing is imported here, so `finstack --help` does not load gRPC and the Pulumi protos.
"""
