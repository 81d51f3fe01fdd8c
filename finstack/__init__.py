"""finstack: the operator tool (offline engine, policy check, emulator, DR drills)."""

__version__ = "0.1.0"
