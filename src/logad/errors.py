"""User-facing errors: the CLI prints them as one line, never as a traceback."""


class LogadError(Exception):
    """An error caused by the user's input or environment, with a message that names the problem."""


class BadInputError(LogadError):
    """Input data (a log file, label file, config or request) that cannot be used as given."""


class ConfigError(LogadError):
    """A configuration value or spec string that is invalid."""
