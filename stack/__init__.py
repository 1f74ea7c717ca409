"""Starts and stops the assistant's processes: account service, action server, Rasa server.

`make run`, `make shell`, the end-to-end tests and the benchmark all use this one
launcher, so they run the stack the same way.
"""
