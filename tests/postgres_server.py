"""A real PostgreSQL server for the DuckLake tests, started and stopped by the tests.

The Debian packages put the binaries in /usr/lib/postgresql/<version>/bin. PostgreSQL
refuses to run as root, so as root the cluster belongs to ``nobody`` (``runuser``); its
folder is a fresh temporary one, the server listens on a free loopback port and a socket in
that folder, with trust authentication for the one user the tests use.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

USER = "wirehouse"


def binaries() -> Path | None:
    """The folder of initdb and pg_ctl, or None when PostgreSQL is not installed."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_version)
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _version(path: str) -> int:
    part = Path(path).parent.parent.name
    return int(part) if part.isdigit() else 0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class PostgresServer:
    """A running cluster: ``conninfo(dbname)`` reaches it; ``create(dbname)`` makes a database."""

    bindir: Path
    folder: Path
    port: int
    run_as: list[str]

    def conninfo(self, dbname: str = "postgres") -> str:
        return f"host=127.0.0.1 port={self.port} user={USER} dbname={dbname}"

    def create(self, dbname: str) -> str:
        """A new empty database; its conninfo."""
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", USER, dbname)
        return self.conninfo(dbname)

    def _run(self, tool: str, *args: str) -> None:
        subprocess.run(
            [*self.run_as, str(self.bindir / tool), *args],
            check=True,
            capture_output=True,
            cwd=self.folder,
            timeout=120,
        )

    @classmethod
    def start(cls, bindir: Path) -> PostgresServer:
        folder = Path(tempfile.mkdtemp(prefix="wirehouse-pg-"))
        run_as: list[str] = []
        if os.geteuid() == 0:
            nobody = pwd.getpwnam("nobody")
            os.chown(folder, nobody.pw_uid, nobody.pw_gid)
            run_as = ["runuser", "-u", "nobody", "--"]
        server = cls(bindir, folder, _free_port(), run_as)
        data = folder / "data"
        server._run("initdb", "-D", str(data), "-U", USER, "--auth=trust", "-E", "UTF8")
        options = (
            f"-p {server.port} -k {folder} -c listen_addresses=127.0.0.1 "
            "-c max_connections=200 -c fsync=off"
        )
        server._run(
            "pg_ctl", "-D", str(data), "-o", options, "-l", str(folder / "log"), "-w", "start"
        )
        return server

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.folder / "data"), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)
