"""Shingles kept on disk between the group step's phases: read back as they were made."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np

from tasks.dedupe import ShingleHasher
from tasks.shingle_spill import ShingleFile, ShingleSpill, remove_abandoned
from tasks.text_pass import PassSetting, TextPassPool, pass_over
from tests.tasks.test_text_pass import SETTINGS, SKETCHES, STORED


def test_spilled_shingles_are_read_back_by_article_and_removed_on_close():
    made = {
        "a": np.array([1, 5, 2**63 + 7], dtype=np.uint64),
        "b": np.empty(0, dtype=np.uint64),
        "c": np.array([9], dtype=np.uint64),
    }
    with ShingleSpill() as spill:
        for ids in (["a", "b"], ["c"]):
            file = ShingleFile(spill.new_path())
            for article_id in ids:
                file.write(article_id, made[article_id])
            spill.add(file.done())
        read = spill.read(["c", "missing", "b", "a"])
        assert list(read) == ["c", "b", "a"]
        assert all(np.array_equal(read[a], made[a]) for a in read)
        assert "a" in spill and "missing" not in spill
        folder = os.path.dirname(spill.new_path())
    assert not os.path.exists(folder)
    spill.close()  # again: nothing left to do


def test_a_pass_spills_the_shingles_its_keys_are_made_from_here_and_in_the_pool():
    hasher = ShingleHasher(SETTINGS.shingle_size)
    expected = {s.article_id: hasher.shingles(s.text) for s in SKETCHES}
    setting = PassSetting(STORED, SETTINGS)
    with ShingleSpill() as here, ShingleSpill() as pooled:
        for spilled in pass_over(SKETCHES, setting, spill_to=here.new_path()).spilled:
            here.add(spilled)
        with TextPassPool(2, setting, slice_texts=5, spill=pooled) as pool:
            for part in pool.run(SKETCHES):
                assert len(part.spilled) == 1  # a file a slice
                pooled.add(part.spilled[0])
        for spill in (here, pooled):
            read = spill.read(list(expected))
            assert all(np.array_equal(read[a], expected[a]) for a in expected)


def test_a_killed_grouping_s_files_go_with_it_or_with_the_next_spill(tmp_path):
    with ShingleSpill() as spill:
        file = ShingleFile(spill.new_path())
        file.write("a", np.array([3, 4], dtype=np.uint64))
        done = file.done()
        spill.add(done)
        assert not os.path.exists(done.path)  # unlinked once opened: nothing to leave behind
        assert np.array_equal(spill.read(["a"])["a"], [3, 4])
    # The folder of a process that is gone (a run killed while its workers wrote) is removed;
    # a live process's is not.
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    abandoned = tmp_path / f"wirehouse-shingles-{gone.stdout.strip()}-x1"
    abandoned.mkdir()
    (abandoned / "part.u64").write_bytes(b"\0" * 64)
    live = tmp_path / f"wirehouse-shingles-{os.getpid()}-x2"
    live.mkdir()
    assert remove_abandoned(str(tmp_path)) == 1
    assert not abandoned.exists() and live.exists()
