"""Domain errors raised by services, with translatable messages shown to users as they are."""

from django.utils.functional import Promise


class DomainError(Exception):
    """A business rule refused an operation; ``message`` is a (lazy) translated sentence.

    ``field`` names the form field the message belongs next to, when there is one.
    """

    def __init__(self, message: str | Promise, *, field: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return str(self.message)


class NotPermitted(DomainError):
    """The actor holds no grant with the role this operation needs."""
