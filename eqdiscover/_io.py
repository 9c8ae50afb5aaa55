"""Atomic writes of output files, which are never overwritten unless forced."""

import os
import secrets
from pathlib import Path

from .exceptions import DataError, OutputError


def _existing_folder(path):
    """Return the nearest ancestor of ``path`` that exists."""
    folder = path.parent.absolute()
    while not folder.exists():
        folder = folder.parent
    return folder


def _missing_folders(path):
    """Return the ancestors of ``path`` that do not exist yet, deepest first."""
    missing = []
    folder = path.parent.absolute()
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    return missing


def check_writable(paths, force, inputs=(), force_option="--force"):
    """Raise unless every output path can be written.

    ``force_option`` is how the caller's user overwrites a file, named in the
    error for a path that exists: ``--force`` on the command line,
    ``force=True`` in Python.

    Raises
    ------
    DataError
        If a path is a folder, names an input file or another output, or
        exists and ``force`` is false.
    OutputError
        If the folder of a path is not writable.
    """
    used_paths = {Path(p).resolve() for p in inputs}
    for path in map(Path, paths):
        if path.resolve() in used_paths:
            raise DataError(
                f"Output {str(path)!r} is also an input or another output; give "
                f"each output its own file."
            )
        used_paths.add(path.resolve())
        if path.is_dir():
            raise DataError(f"Output {str(path)!r} is a folder; give a file name.")
        if path.exists() and not force:
            raise DataError(
                f"Output {str(path)!r} already exists; pass {force_option} to "
                f"overwrite it."
            )
        folder = _existing_folder(path)
        if not folder.is_dir():
            raise DataError(
                f"Cannot write {str(path)!r} because {str(folder)!r} is a file, "
                f"not a folder; choose another path."
            )
        if not os.access(folder, os.W_OK | os.X_OK):
            raise OutputError(
                f"Cannot write {str(path)!r} because folder {str(folder)!r} is not "
                f"writable; choose another folder."
            )


def _write_temporary(path, write):
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    # os.open applies the umask, so the file gets the usual permissions.
    handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            write(stream)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return temporary


def write_files_atomic(writers):
    """Write several files together, each through ``write(stream)``.

    Every file is first written under a temporary name in its own folder, and
    only when all are complete are they renamed into place, so readers never
    see a partial file. A failure while writing leaves no new file or folder
    behind.

    Parameters
    ----------
    writers : mapping of path to callable
        ``writers[path](stream)`` writes the text of ``path`` to ``stream``.
    """
    written = []
    created = []
    current = None
    try:
        for current, write in writers.items():
            current = Path(current)
            created.extend(_missing_folders(current))
            current.parent.mkdir(parents=True, exist_ok=True)
            written.append((_write_temporary(current, write), current))
        # NOTE: a rename that fails after an earlier one succeeded leaves the
        # earlier file in place. Renames within one folder are not expected to
        # fail once the temporary file is written, but nothing rules it out.
        for temporary, current in written:
            os.replace(temporary, current)
        written = created = []
    except OSError as error:
        raise OutputError(
            f"Cannot write {str(current)!r}: {error.strerror or error}; choose "
            f"another path."
        ) from None
    finally:
        for temporary, _ in written:
            temporary.unlink(missing_ok=True)
        for folder in sorted(created, key=lambda f: len(f.parts), reverse=True):
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()


def write_texts_atomic(texts):
    """Write each ``texts[path]`` to ``path``, as :func:`write_files_atomic` does."""
    writers = {
        path: (lambda stream, text=text: stream.write(text))
        for path, text in texts.items()
    }
    write_files_atomic(writers)
