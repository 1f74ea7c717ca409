"""Custom NLU pieces: the offline spaCy pipeline and the address/code extractor."""
