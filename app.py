"""The WSGI entry point: `flask --app app …` and `gunicorn app:app`."""

from moderation import create_app

app = create_app()
