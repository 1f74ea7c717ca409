"""What the NLU evaluation reads and where it writes, and the seed every evaluation uses."""

from pathlib import Path

SEED = 2024
FOLDS = 5
HELDOUT = "tests/nlu/heldout.yml"
# Harder messages (rambling, typos, caps, near-miss pairs, yes/no in many words), held out too.
HARD_HELDOUT = "tests/nlu/heldout_hard.yml"
NLU_DATA = "data/nlu"
BUILD = Path("build/eval")
