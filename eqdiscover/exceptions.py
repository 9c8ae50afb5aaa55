"""Error and warning classes raised by eqdiscover."""


class EqdiscoverError(Exception):
    """Base class of the errors that eqdiscover raises on purpose."""


class DataError(EqdiscoverError, ValueError):
    """Invalid input data: a missing file or column, or values that cannot be used.

    The message is one sentence that names the value and the fix.
    """


class DataTypeError(DataError, TypeError):
    """Input data with a value of a type that cannot be read as a number."""


class ParseError(EqdiscoverError, ValueError):
    """Formula text that the restricted parser rejects."""


class ConvergenceWarning(UserWarning):
    """Training stopped at ``max_iter`` before the loss settled within ``tol``."""


class OutputError(EqdiscoverError):
    """An output file that cannot be written, such as one in a read-only folder."""


class NotFittedError(EqdiscoverError, ValueError, AttributeError):
    """A model method that needs a fitted model was called before ``fit``."""
