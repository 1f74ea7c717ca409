"""Whole-conversation load benchmark of the assistant, side by side with stock Rasa."""
