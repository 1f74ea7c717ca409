"""Training plumbing shared by eval/ and bench/: the heavy lock, the one training wrapper and
Rasa's stock configuration. A package of its own so that neither eval nor bench imports the other.
"""
