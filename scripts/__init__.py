"""Command-line jobs the Makefile runs with `python -m scripts.<name>`."""
