"""The run lock: one writing run per archive, however the archive's path is written."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest

from wirehouse.errors import StorageError
from wirehouse.runlock import run_lock


def _try_lock(path: str, answer: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    try:
        with run_lock(path):
            answer.put("locked")
    except StorageError as exc:
        answer.put(exc.reason)


@pytest.mark.parametrize("spelling", ["symlink", "dotted"])
def test_a_run_on_another_spelling_of_the_archive_is_refused(tmp_path: Path, spelling: str):
    db = tmp_path / "news.duckdb"
    db.touch()
    if spelling == "symlink":
        other = tmp_path / "link.duckdb"
        other.symlink_to(db)
    else:
        (tmp_path / "sub").mkdir()
        other = tmp_path / "sub" / ".." / "news.duckdb"
    spawn = multiprocessing.get_context("spawn")
    answer = spawn.Queue()
    with run_lock(db):
        # another process, as a second run would be: the lock is the OS's, per file
        worker = spawn.Process(target=_try_lock, args=(str(other), answer))
        worker.start()
        worker.join(60)
    assert answer.get(timeout=10) == "archive_busy"


@pytest.mark.parametrize("under", ["taken.txt", "taken.txt/deeper"])
def test_an_archive_under_a_file_says_not_a_directory(tmp_path: Path, under: str):
    # mkdir said "File exists" of the file in the way
    (tmp_path / "taken.txt").write_text("mine")
    with pytest.raises(StorageError, match="Not a directory"), run_lock(tmp_path / under / "n.db"):
        pass
