"""The offline engine: runs the real stack program under Pulumi's mock runtime and records it."""
