"""Marketing mail, advertising partners and the providers that process personal data."""
