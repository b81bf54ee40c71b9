"""Posts: drafts, publishing, reading, likes and view counts."""
