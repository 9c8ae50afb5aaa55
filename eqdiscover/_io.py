"""Atomic file writes that refuse to overwrite unless forced."""

import os
import tempfile
from pathlib import Path

from .exceptions import DataError


def check_writable(paths, force):
    """Raise DataError if any path exists and ``force`` is false."""
    for path in paths:
        path = Path(path)
        if path.is_dir():
            raise DataError(f"Output {str(path)!r} is a folder; give a file name.")
        if path.exists() and not force:
            raise DataError(
                f"Output {str(path)!r} already exists; pass --force to overwrite it."
            )


def write_atomic(path, write):
    """Write a file through ``write(handle)`` to a temporary name, then rename it.

    A failure leaves no file behind, and readers never see a partial file.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
    )
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            write(stream)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_text_atomic(path, text):
    """Write ``text`` to ``path`` atomically."""
    write_atomic(path, lambda stream: stream.write(text))
