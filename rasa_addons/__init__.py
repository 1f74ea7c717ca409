"""Everything that extends or patches Rasa, in one place.

- `nlu/`: custom NLU components and the spaCy pipeline built from code (config.yml);
- `channels/`: the guarded REST and socket.io channels (credentials.yml);
- `tracker_store.py`: the SQL tracker store that keeps trackers in memory (endpoints);
- `server.py`: `rasa run` with the action-call speed-ups (the launcher);
- `eval_patches.py`: what the evaluations change while they measure;
- `private_api.py`: every private Rasa name the above relies on, checked by
  tests/rasa_addons/test_private_api.py so that a Rasa upgrade fails a test, not the
  running assistant.
"""
