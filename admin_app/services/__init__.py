"""Business rules of the domain, free of Flask-Admin. Services never commit."""
