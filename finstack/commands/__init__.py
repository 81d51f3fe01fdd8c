"""Subcommands that live outside finstack.cli; the group adds each with `main.add_command(...)`."""
