"""Entry point for servers and the flask CLI: flask --app wsgi ..."""
from admin_app import create_app

app = create_app()
