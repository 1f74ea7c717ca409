"""Support insights: what the assistant solves, where learners give up, what it misreads.

Everything is computed with SQL aggregations over Rasa's `events` table (SQLite under
`make run`, PostgreSQL in the cluster); see docs/insights.md.
"""
