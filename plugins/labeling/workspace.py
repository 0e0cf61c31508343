"""The build's private copy of the database, and the checks that make copying it safe.

A build never writes to the published database (``labeling.duckdb``): it takes the build lock
(``.build/build.lock``, one build at a time), checks that nobody is writing to the published
file, copies it to ``.build/labeling.duckdb`` and builds there. ``publish`` later turns that copy
into the new published generation, or leaves it for inspection when the build fails.

Before copying, the published file must be whole and quiet:

* **a live writer** (a DuckDB session that opened it read-write, DuckDB's default for
  ``duckdb.connect(path)``) holds DuckDB's exclusive lock on the file: the build stops and says
  so, because a copy taken now would miss what that session writes, and publishing over it
  would lose those writes;
* **a pending WAL** (``labeling.duckdb.wal``, committed writes not yet checkpointed into the
  file, left by a session that was killed) is not part of a file copy: the build stops and
  says how to fold it in;
* **a file that is not a DuckDB database** is reported as such, not as a lock or a crash.

Every step here may be retried: dbt-duckdb calls the connection setup again after a failure,
and a second call with the lock already held (by this process) or the copy already made
reuses them instead of reporting "another build" or copying the copy.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from labeling.faults import fault

BUILD_DIR = ".build"
LOCK_FILE = "build.lock"
# DuckDB's file header: 8 bytes of checksum, then the magic bytes.
DUCKDB_MAGIC = b"DUCK"


class WorkspaceError(RuntimeError):
    """A reason the build cannot start; the message names the cause and the fix, and nothing
    has been changed."""


def wal_of(path: Path) -> Path:
    """The write-ahead log DuckDB keeps beside a database file."""
    return path.with_name(path.name + ".wal")


def pending_wals(main: Path) -> list[Path]:
    """Non-empty WAL files of the published database: beside the name users open, and beside
    the file it resolves to (DuckDB 2.0 follows the link; older clients may not)."""
    candidates = {wal_of(main), wal_of(main.resolve())} if main.exists() or main.is_symlink() else set()
    return sorted(p for p in candidates if p.exists() and p.stat().st_size > 0)


def writer_holds(path: Path) -> bool:
    """True when another process holds DuckDB's write lock on ``path`` (a read-write session).

    DuckDB takes an exclusive ``fcntl`` lock on a file it opens read-write and a shared one on a
    file it opens read-only; a shared lock we cannot get means someone writes. (``fcntl`` locks
    belong to processes: a session in this very process is not seen.)
    """
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.lockf(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError:
        return True
    else:
        fcntl.lockf(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


def wal_problem(main: Path, shown: str, wals: list[Path]) -> str:
    """What a non-empty WAL beside the published database is, and how to resolve it: committed
    writes to fold in (the common case), or a stale log from an older version of the file,
    which makes every reader fail until it is moved aside."""
    import duckdb

    try:
        duckdb.connect(str(main), read_only=True).close()
    except duckdb.Error as exc:
        if "checkpoint iteration does not match" in str(exc):
            return (f"{shown} has a stale write-ahead log ({', '.join(str(w) for w in wals)}) written "
                    "for an older version of the file (a copy of the database made without its "
                    "WAL); DuckDB refuses to open the file while it is there. Move it aside "
                    f"(mv {wals[0]} {wals[0]}.stale) and build again.")
    return (f"{shown} has a pending write-ahead log ({', '.join(str(w) for w in wals)}): committed "
            "writes of a session that ended without a checkpoint. Fold them into the file with "
            "one read-write open and close, for example .venv/bin/python -c \"import duckdb; "
            f"duckdb.connect({str(main)!r}).close()\", then build again.")


def is_duckdb_file(path: Path) -> bool:
    """True when ``path`` starts with DuckDB's file header."""
    with path.open("rb") as handle:
        header = handle.read(12)
    return len(header) == 12 and header[8:12] == DUCKDB_MAGIC


@dataclass(frozen=True)
class Fingerprint:
    """What identifies the published database's content: the file the name resolves to and its
    inode, size and modification time. A write by anyone changes it."""

    resolved: str
    inode: int
    size: int
    mtime_ns: int

    @classmethod
    def of(cls, main: Path) -> "Fingerprint | None":
        if not main.exists():
            return None
        resolved = main.resolve()
        stat = resolved.stat()
        return cls(str(resolved), stat.st_ino, stat.st_size, stat.st_mtime_ns)


def quiet_problem(main: Path, shown: str) -> str:
    """'' when the published database may be copied, else why not and what to do."""
    if not main.exists():
        return ""
    if writer_holds(main.resolve()):
        return (f"{shown} is open for writing in another process (a DuckDB session that opened it "
                "read-write, DuckDB's default for duckdb.connect(path)). A build now would miss "
                "what that session writes and publish over it. Close that session, or open the "
                "file read-only (duckdb.connect(path, read_only=True), duckdb -readonly), and "
                "build again. Nothing was changed.")
    wals = pending_wals(main)
    if wals:
        return wal_problem(main, shown, wals) + " Nothing was changed."
    if not is_duckdb_file(main.resolve()):
        return (f"{shown} ({main.resolve()}) is not a DuckDB database file (its header is not "
                "DuckDB's). Move it aside (mv it to another name) or remove it with make clean, "
                "and build again; the build then starts from an empty database. Nothing was changed.")
    return ""


class BuildWorkspace:
    """The ``.build/`` folder beside a database: the build lock and the private copy.

    ``acquire()`` takes the lock, checks the published file and makes the copy; it may be
    called again after a failure and then resumes where it stopped. ``release()`` drops the
    lock; the copy stays (a failed build's tables remain there for inspection).
    """

    def __init__(self, main: Path) -> None:
        self.main = main
        self.root = main.parent / BUILD_DIR
        self.copy = self.root / main.name
        self._lock: IO[str] | None = None
        self.copied_from: Fingerprint | None = None
        self.ready = False

    def acquire(self, command: str) -> Path:
        """Lock, check, copy; return the path of the private copy to build on."""
        if self.ready:
            return self.copy
        self.root.mkdir(parents=True, exist_ok=True)
        if self._lock is None:
            self._lock = self._take_lock(command)
        try:
            problem = quiet_problem(self.main, self.main.name)
            if problem:
                raise WorkspaceError(problem)
            for stale in (self.copy, wal_of(self.copy)):
                stale.unlink(missing_ok=True)
            self.copied_from = Fingerprint.of(self.main)
            if self.copied_from is not None:
                fault("copy:database")
                shutil.copyfile(self.copied_from.resolved, self.copy)
        except OSError as exc:
            self.copy.unlink(missing_ok=True)
            self.release()
            raise WorkspaceError(
                f"could not copy {self.main} to {self.copy} for the build: {exc.strerror or exc} "
                f"({type(exc).__name__}). Free space or fix permissions and build again. "
                "Nothing was changed.") from None
        except WorkspaceError:
            self.release()
            raise
        self.ready = True
        return self.copy

    def changed_since_copy(self) -> str:
        """'' when the published database is as it was when copied and nobody writes to it,
        else what happened (someone wrote to it during the build)."""
        if self.copied_from != Fingerprint.of(self.main) or pending_wals(self.main) or (
                self.main.exists() and writer_holds(self.main.resolve())):
            return (f"{self.main.name} changed while this build ran (a session wrote to it, or "
                    "holds it open for writing); publishing the build would lose those writes. "
                    "Close that session and build again.")
        return ""

    def release(self) -> None:
        """Drop the build lock (the private copy stays)."""
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    def _take_lock(self, command: str) -> IO[str]:
        lock_path = self.root / LOCK_FILE
        handle = lock_path.open("a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            raise WorkspaceError(
                f"another dbt build is running on this project ({holder}); it holds {lock_path}. "
                "Nothing was changed. Wait for it to finish and run again; queries can read "
                f"{self.main.name} (read-only) or the exports meanwhile.") from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}, {command} started {dt.datetime.now().isoformat(timespec='seconds')}\n")
        handle.flush()
        return handle
