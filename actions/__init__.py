"""Custom actions of the account-help assistant, one module per help-article topic.

Importing the package registers every topic, so the step engine can resume any of them.
"""

from actions import (  # noqa: F401  (imported for their topic registrations)
    account_not_found,
    account_settings,
    answers,
    email_change,
    email_verification,
    fallback,
    login,
    missing_courses,
    recaptcha,
    second_account,
    sso,
)
