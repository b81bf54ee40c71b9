"""What the platform learns from interactions: recommendations for whoever consented, and
counts that name nobody for staff."""
