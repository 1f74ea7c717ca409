"""Helpers shared by the tests: simulated services, stacks to break, widgets and learners."""
