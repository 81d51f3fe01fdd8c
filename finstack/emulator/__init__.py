"""The embedded AWS emulator: moto plus finstack's extensions, in-process or as a local server.

- `finstack.emulator.moto_ext` — what the drills need and moto lacks (Aurora global
  switchover/failover, MSK replicators, Route 53 ARC, meaningful health checks); `install()`.
- `finstack.emulator.writes` — the write and replication model behind RPO measurements.
- `finstack.emulator.server` — the loopback server (`start_server`, `serve`) with the admin API.

Nothing is imported here: importing moto is slow, and most users of this package need one part.
"""
