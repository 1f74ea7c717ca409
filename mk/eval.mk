# NLU evaluation: held-out set, 5-fold cross-validation, Rasa's stock configuration for
# comparison, fallback-threshold curve and typo robustness. Models go to build/eval/,
# figures to reports/ (eval-summary.md, nlu-*.json, nlu-*.png). Each configuration's
# trainings hold /tmp/heavy.lock. On two shared cores one stock DIET training takes about
# 7 minutes, so `make eval` cross-validates only our configuration (~15 min in all);
# `make eval-full` cross-validates the stock one too (about 45 minutes more).
.PHONY: eval eval-full eval-quick

eval: spacy
	RASA_MAX_CACHE_SIZE=0 $(PY) -m eval.nlu_eval --skip-cv-for stock

eval-full: spacy
	RASA_MAX_CACHE_SIZE=0 $(PY) -m eval.nlu_eval

# Our configuration only, held-out set only: a minute, for trying data or pipeline changes.
eval-quick: spacy
	RASA_MAX_CACHE_SIZE=0 $(PY) -m eval.nlu_eval --config ours=config.yml --no-cv \
	  --reports build/eval/quick

# Dialogue policies: ours against plain memoization, ours + TED and Rasa's default policies,
# on held-out conversations and the test stories (reports/dialogue-eval.md). About 5 minutes.
.PHONY: eval-dialogue
eval-dialogue: $(INSTALLED)
	RASA_MAX_CACHE_SIZE=0 $(PY) -m eval.dialogue_eval

# Held-out off-script conversations (eval/offscript/conversations.yml) played against a
# fresh stack, judged turn by turn (reports/offscript-eval.md). About 2 minutes.
# OFFSCRIPT_ARGS="--model <path> --label <text> --out <name>" scores another model, e.g. an
# earlier commit's (reports/offscript-eval-before.md: main at 8dd7390, before this set's work).
OFFSCRIPT_ARGS ?=
.PHONY: eval-offscript
eval-offscript: train
	$(PY) -m eval.offscript_eval $(OFFSCRIPT_ARGS)
