"""The finstack stack program: validated config and the platform it builds."""
