"""The one kind of refusal every feature raises when a change breaks a rule."""


class RuleError(Exception):
    """A change refused by a rule: `message` for the person, `field` the form field it concerns.

    `field` is None when the refusal concerns the whole form (or an action without one).
    Raising it leaves the request's changes to be rolled back: a failed request writes nothing.
    """

    def __init__(self, field: str | None, message: str):
        super().__init__(message)
        self.field = field or None
        self.message = message

    def __str__(self) -> str:
        return self.message
