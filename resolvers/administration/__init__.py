"""Staff administration: finding accounts, deactivating them, and staff permissions."""
