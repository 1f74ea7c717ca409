pytest_plugins = ["tests.service_fixtures", "tests.stack_fixtures"]
