"""Several Rasa replicas sharing PostgreSQL (tracker store) and Redis (lock store) behind nginx."""
