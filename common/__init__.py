"""Text rules used by the actions, the account service and the tools alike."""
