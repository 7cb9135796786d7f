"""The one error the CLI reports as a message (exit 1) instead of a traceback."""


class StackError(RuntimeError):
    """Something the user has to look at; the message says what and where."""
