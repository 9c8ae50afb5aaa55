import os
import re
import stat

import pytest

from eqdiscover._io import check_writable, write_files_atomic, write_texts_atomic
from eqdiscover.exceptions import DataError, OutputError


def test_write_texts_atomic_writes_every_file(tmp_path):
    paths = [tmp_path / "a.json", tmp_path / "sub" / "b.md"]
    write_texts_atomic({paths[0]: "first", paths[1]: "second"})
    assert paths[0].read_text() == "first"
    assert paths[1].read_text() == "second"
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["a.json", "b.md", "sub"]


def test_failed_writer_leaves_no_file(tmp_path):
    def fail(stream):
        stream.write("partial")
        raise RuntimeError("stopped")

    with pytest.raises(RuntimeError, match="stopped"):
        write_files_atomic(
            {tmp_path / "a.txt": lambda s: s.write("ok"), tmp_path / "b.txt": fail}
        )
    assert list(tmp_path.iterdir()) == []


def test_files_get_permissions_from_the_umask(tmp_path):
    previous = os.umask(0o022)
    try:
        write_texts_atomic({tmp_path / "a.txt": "x"})
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "a.txt").stat().st_mode) == 0o644


def test_unwritable_path_raises_output_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    target = blocker / "inside.txt"
    with pytest.raises(OutputError, match=re.escape(f"Cannot write '{target}': ")):
        write_texts_atomic({target: "x"})
    assert blocker.read_text() == ""


@pytest.mark.parametrize(
    "outputs, inputs, message",
    [
        (["r.json", "r.json"], [], "is also an input or another output"),
        (["data.csv"], ["data.csv"], "is also an input or another output"),
        (["existing.txt"], [], "already exists; pass --force to overwrite it"),
        (["."], [], "is a folder; give a file name"),
    ],
)
def test_check_writable_rejects(tmp_path, monkeypatch, outputs, inputs, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "existing.txt").write_text("keep")
    with pytest.raises(DataError, match=message):
        check_writable(outputs, force=False, inputs=inputs)


def test_check_writable_allows_overwrite_with_force(tmp_path):
    (tmp_path / "existing.txt").write_text("keep")
    check_writable([tmp_path / "existing.txt"], force=True)


def test_failed_write_removes_new_folders(tmp_path):
    def fail(stream):
        raise OSError(28, "No space left on device")

    target = tmp_path / "new" / "deeper" / "a.json"
    with pytest.raises(OutputError, match="No space left on device"):
        write_files_atomic({target: fail})
    assert list(tmp_path.iterdir()) == []


def test_check_writable_rejects_a_file_as_folder(tmp_path):
    (tmp_path / "data.csv").write_text("x\n")
    with pytest.raises(DataError, match="is a file, not a folder"):
        check_writable([tmp_path / "data.csv" / "out.json"], force=False)
