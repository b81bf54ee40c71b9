"""Third-party login: the providers offered, linked accounts, login codes and passwords."""
