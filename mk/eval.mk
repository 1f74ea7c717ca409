# NLU evaluation: held-out set, 5-fold cross-validation, Rasa's stock configuration for
# comparison, fallback-threshold curve and typo robustness. Models go to build/eval/,
# figures to reports/ (eval-summary.md, nlu-*.json, nlu-*.png). Each training inside
# holds /tmp/heavy.lock. Takes about 15-20 minutes on two cores, mostly the stock DIET.
.PHONY: eval eval-quick

eval: spacy
	RASA_MAX_CACHE_SIZE=0 $(PY) -m eval.nlu_eval

# Our configuration only, held-out set only: a minute, for trying data or pipeline changes.
eval-quick: spacy
	RASA_MAX_CACHE_SIZE=0 $(PY) -m eval.nlu_eval --config ours=config.yml --no-cv \
	  --reports build/eval/quick
