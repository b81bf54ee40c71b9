"""Mentors: becoming one, the public profile, and finding mentors."""
