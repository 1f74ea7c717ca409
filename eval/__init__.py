"""Held-out and cross-validated evaluation of the NLU pipeline (run with `make eval`)."""
