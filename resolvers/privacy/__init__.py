"""The privacy center: consents, what needs them, and remembered preferences."""
