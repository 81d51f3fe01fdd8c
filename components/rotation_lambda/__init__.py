"""The rotation function of the ledger's break-glass master secret (packaged by components.secret_rotation)."""
