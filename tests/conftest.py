from hypothesis import settings

pytest_plugins = ["tests.support.service_fixtures", "tests.support.stack_fixtures"]

# Property tests draw the same examples on every run (fixed seeds): a failure is a defect
# that reproduces, never a draw that happened to be unlucky.
settings.register_profile("fixed_seed", derandomize=True)
settings.load_profile("fixed_seed")
