"""HTTP: the JSON API, the public pages and the moderators' pages, with what they share
(error responses, CORS, caching, authentication)."""
