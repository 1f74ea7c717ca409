pytest_plugins = ["tests.support.service_fixtures", "tests.support.stack_fixtures"]
