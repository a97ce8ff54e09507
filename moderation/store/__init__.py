"""Storage: the models, the engine and sessions, and one module of queries and write
transactions per aggregate. Nothing here knows about HTTP."""
