"""Mock of the learning platform's account API, run as its own process.

It stands in for the real account back end so the assistant can be developed
and tested end to end without touching real learner data.
"""

from account_service.app import create_app

__all__ = ["create_app"]
