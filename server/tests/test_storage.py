"""The download folder's layout, publishing, and what deleting and sweeping leave behind."""

from __future__ import annotations

import os
import time
from pathlib import Path

from manhwa.storage import DownloadFolder, create_temp, publish


def test_layout_is_named_by_job_id(tmp_path: Path) -> None:
    folder = DownloadFolder(tmp_path)
    assert folder.archive("job1", "zip") == tmp_path / "job1.zip"
    assert folder.work_dir("job1") == tmp_path / ".work" / "job1"
    assert folder.chapter("job1", 7) == tmp_path / ".work" / "job1" / "0007.cbz"


def test_publish_puts_the_whole_file_in_place_and_leaves_no_temp(tmp_path: Path) -> None:
    dest = tmp_path / "job1.cbz"
    out, temp = create_temp(dest)
    assert temp.name.startswith(".tmp-job1.") and temp.suffix == ".cbz"
    out.write(b"all of it")
    assert not dest.exists(), "nothing at the destination before publish"
    publish(out, temp, dest)
    assert dest.read_bytes() == b"all of it"
    assert [p.name for p in tmp_path.iterdir()] == ["job1.cbz"]


def test_remove_outputs_takes_only_that_jobs_files(tmp_path: Path) -> None:
    folder = DownloadFolder(tmp_path)
    mine = [folder.archive("job1", "zip"), tmp_path / ".tmp-job1.ab.zip"]
    theirs = [folder.archive("job2", "zip"), tmp_path / ".tmp-job2.ab.zip"]
    for path in mine + theirs:
        path.write_bytes(b"x")
    folder.make_work_dir("job1")
    folder.make_work_dir("job2")
    folder.remove_outputs("job1")
    assert not any(p.exists() for p in mine) and not folder.work_dir("job1").exists()
    assert all(p.exists() for p in theirs) and folder.work_dir("job2").exists()


def test_clear_temp_keeps_the_published_archive(tmp_path: Path) -> None:
    folder = DownloadFolder(tmp_path)
    folder.archive("job1", "zip").write_bytes(b"done")
    (tmp_path / ".tmp-job1.ab.zip").write_bytes(b"half")
    folder.clear_temp("job1")
    assert [p.name for p in tmp_path.iterdir()] == ["job1.zip"]


def test_sweep_keeps_live_and_young_leftovers(tmp_path: Path) -> None:
    folder = DownloadFolder(tmp_path)
    now = time.time()
    paths = {
        "ended temp": tmp_path / ".tmp-ended.ab.zip",
        "live temp": tmp_path / ".tmp-live.ab.zip",
        "stray old temp": tmp_path / ".tmp-stray.ab.zip",
        "stray young temp": tmp_path / ".tmp-other.ab.zip",
    }
    for name, path in paths.items():
        path.write_bytes(b"x")
        age = 2 * 3600 if "old" in name else 10
        os.utime(path, (now - age, now - age))
    folder.make_work_dir("ended")
    folder.make_work_dir("live")
    old = now - 10
    for job in ("ended", "live"):
        os.utime(folder.work_dir(job), (old, old))
    removed = folder.sweep_orphans({"ended", "live"}, {"live"}, now, settled=now - 5)
    assert removed == 3
    assert {n for n, p in paths.items() if p.exists()} == {"live temp", "stray young temp"}
    assert folder.work_dir("live").exists() and not folder.work_dir("ended").exists()


def test_has_archive_checks_the_recorded_file_on_disk(tmp_path: Path) -> None:
    folder = DownloadFolder(tmp_path)
    archive = folder.archive("job1", "cbz")
    assert not folder.has_archive(str(archive))
    archive.write_bytes(b"PK")
    assert folder.has_archive(str(archive))
    assert not folder.has_archive(None) and not folder.has_archive("")
    assert not folder.has_archive(str(tmp_path)), "a folder is not an archive"
