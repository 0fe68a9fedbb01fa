"""The one exception class for broken business rules.

``ValidationError`` is for input the user can correct in a form; ``PermissionDenied`` is for
authorization; ``RuleViolation`` is for everything in between: the input is well-formed but the
campaign's rules refuse it (the month is locked, the quota is full, the claim already exists).
Views show its message to the user.
"""


class RuleViolation(Exception):
    def __init__(self, message: str, *, code: str = "rule") -> None:
        super().__init__(message)
        self.message = message
        self.code = code

    def __str__(self) -> str:
        return str(self.message)
