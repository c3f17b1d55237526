"""Domain errors: a refusal with a message already in the user's language."""


class DomainError(Exception):
    """A rule refused the change; ``message`` is safe to show to the user."""

    def __init__(self, message) -> None:
        super().__init__(str(message))
        self.message = message

    def __str__(self) -> str:
        return str(self.message)


class ValidationError(DomainError):
    """Input that cannot be accepted (a malformed phone, email, amount...)."""
