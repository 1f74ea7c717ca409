"""Deleting what the assistant keeps about one conversation."""
