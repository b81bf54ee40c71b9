"""Testimonials: written after a completed job, displayed only with the author's permission."""
