"""Custom actions of the account-help assistant: only what needs code.

One module per concern: account_check (addresses, one-time codes, the proven account),
mail (the emails a learner asks for), handoff (tickets), fallback ("did you mean …?"),
and one module per article section that has an action of its own.
"""
