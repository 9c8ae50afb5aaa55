"""Atomic writes of output files, which are never overwritten unless forced."""

import os
import secrets
import shutil
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


def check_folder_writable(path, force, inputs=()):
    """Raise unless a folder can be written at ``path``, replacing any old one.

    Raises
    ------
    DataError
        If ``path`` is a file, contains one of ``inputs`` (files that the
        command reads or writes elsewhere), or exists and ``force`` is false.
    OutputError
        If the parent folder is not writable.
    """
    path = Path(path)
    resolved = path.resolve()
    for used in map(Path, inputs):
        used = used.resolve()
        if used == resolved:
            raise DataError(
                f"Output {str(path)!r} is also an input or another output; give "
                f"each output its own path."
            )
        if resolved in used.parents:
            raise DataError(
                f"Output folder {str(path)!r} would contain {str(used)!r}, which "
                f"this command also reads or writes; choose another folder."
            )
    if path.exists() and not path.is_dir():
        raise DataError(f"Output {str(path)!r} is a file; give a folder name.")
    if path.exists() and not force:
        raise DataError(
            f"Output folder {str(path)!r} already exists; pass --force to replace it."
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


def write_folder_atomic(path, files):
    """Write a folder of files at once, replacing an existing folder at ``path``.

    The files are written into a temporary folder beside ``path``, which is
    renamed into place once every file is complete. An old folder at ``path``
    is moved aside first and deleted after the rename. A failure leaves the old
    folder, or no folder, at ``path``.

    Parameters
    ----------
    path : str or Path
    files : mapping of str to bytes
        Content of each file, by its path relative to the folder, with ``/``
        between folder names.
    """
    path = Path(path)
    created = _missing_folders(path / "file")[1:]
    token = secrets.token_hex(4)
    temporary = path.with_name(f".{path.name}.{token}.tmp")
    old = path.with_name(f".{path.name}.{token}.old")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary.mkdir()
        for name, content in files.items():
            target = temporary.joinpath(*name.split("/"))
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
        if path.exists():
            os.replace(path, old)
        try:
            os.replace(temporary, path)
        except OSError:
            if old.exists():
                os.replace(old, path)
            raise
    except OSError as error:
        raise OutputError(
            f"Cannot write {str(path)!r}: {error.strerror or error}; choose "
            f"another path."
        ) from None
    finally:
        shutil.rmtree(temporary, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)
        for folder in created:
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()
