"""Errors the CLI turns into one line and an exit status, never a traceback."""


class UsageError(Exception):
    """Bad input (flag, file, config): one message naming the value and the fix; exit status 2."""

    exit_code = 2


class ProgramError(Exception):
    """The stack program failed (a bug, or a component refusing its inputs): exit status 1."""
