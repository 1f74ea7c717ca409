"""Rasa's `events` table, as this project reads it beyond Rasa's own queries."""

# One conversation's rows in id order: the tracker store's freshness check (first and last
# id of a sender) and the insights' per-conversation queries read it instead of the table.
SENDER_ROWS_INDEX = "CREATE INDEX IF NOT EXISTS ix_events_sender_id_id ON events (sender_id, id)"
