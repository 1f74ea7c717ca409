import os

from hypothesis import settings

pytest_plugins = ["tests.support.service_fixtures", "tests.support.stack_fixtures"]

# Property tests draw the same examples on every run (fixed seeds): a failure is a defect
# that reproduces, never a draw that happened to be unlucky. `make fuzz` explores new draws
# (HYPOTHESIS_PROFILE=explore); what it finds becomes an @example of the test.
settings.register_profile("fixed_seed", derandomize=True)
settings.register_profile("explore", derandomize=False, max_examples=20_000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "fixed_seed"))
