"""Telling people: the outbox worker and its channels (email, webhooks).

Changes record events in the outbox (`store.outbox`) inside their own transaction; the worker
here fans them out to each channel's recipients and delivers them, retried until they go.
"""
