"""Early test harness, loaded with ``-p tests.pg_harness`` (see pyproject's pytest addopts).

It must run before pytest-django imports ``dangvu.settings``, which happens in pytest-django's
own ``pytest_load_initial_conftests``: a conftest is imported too late for that, so this is a
plugin module and its hook is ``tryfirst``. It

* points ``DANGVU_VAR_DIR`` at a fresh temporary folder, so that the secret key file, the
  SQLite file and STATIC_ROOT of the test run never touch the project's ``var/``, and drops
  the shell's ``DANGVU_DATABASE_URL`` and ``DANGVU_DEBUG`` (the run chooses its database and
  uses production settings);
* with ``DANGVU_TEST_DB=postgres``, starts a throw-away PostgreSQL 15 cluster (sockets only,
  fsync off, trust auth) in its own ``/tmp/dvpg.*`` folder, creates the database ``dangvu``
  and the extensions ``pg_trgm`` and ``unaccent`` in ``template1`` (so the test database has
  them), and sets ``DANGVU_DATABASE_URL`` to it. pytest-django then creates its test database
  in that cluster. The cluster is stopped and its folder removed in ``pytest_unconfigure``,
  with ``atexit`` and a SIGTERM handler as back-ups.

The header (and, under ``-q``, the last lines) of the run say which database it used.
A missing PostgreSQL is an error (exit status 4), never a skip.
"""

from __future__ import annotations

import atexit
import os
import random
import shutil
import signal
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest

DB_ENV = "DANGVU_TEST_DB"
PG_MAJOR = "15"
PG_BIN_CANDIDATES = (f"/usr/lib/postgresql/{PG_MAJOR}/bin",)
DATABASE = "dangvu"
EXTENSIONS = ("pg_trgm", "unaccent")


class HarnessError(RuntimeError):
    """The test harness could not set up what the run asked for."""


def requested_database() -> str:
    value = os.environ.get(DB_ENV, "sqlite").strip().lower() or "sqlite"
    if value in {"postgres", "postgresql"}:
        return "postgresql"
    if value == "sqlite":
        return "sqlite"
    raise HarnessError(f"{DB_ENV}={value!r}: use 'postgres' or 'sqlite' (or leave it unset)")


def find_pg_bindir() -> Path:
    """The bin folder of PostgreSQL 15: initdb, pg_ctl, postgres."""
    candidates = list(PG_BIN_CANDIDATES)
    if pg_config := shutil.which("pg_config"):
        try:
            out = subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, check=True, timeout=10
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            out = ""
        if out:
            candidates.append(out)
    for candidate in candidates:
        bindir = Path(candidate)
        if all((bindir / tool).is_file() for tool in ("initdb", "pg_ctl", "postgres")):
            version = subprocess.run(
                [str(bindir / "postgres"), "--version"], capture_output=True, text=True
            ).stdout
            # "postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)"
            if version.split()[2:3] and version.split()[2].startswith(f"{PG_MAJOR}."):
                return bindir
    raise HarnessError(
        f"{DB_ENV}=postgres but PostgreSQL {PG_MAJOR} was not found (looked for initdb, pg_ctl "
        f"and postgres in {', '.join(dict.fromkeys(candidates))}). "
        f"Install it with: apt-get install postgresql-{PG_MAJOR} (or run .ci/run)."
    )


@dataclass
class Cluster:
    """A throw-away PostgreSQL cluster living in ``base`` (data in base/data, socket in base)."""

    bindir: Path
    base: Path
    port: int = 0
    as_postgres: list[str] = field(default_factory=list)

    @property
    def data(self) -> Path:
        return self.base / "data"

    @property
    def log(self) -> Path:
        return self.base / "postgres.log"

    @property
    def url(self) -> str:
        # The host goes into the query string: dj-database-url passes it through to libpq.
        return f"postgres://postgres@:{self.port}/{DATABASE}?host={self.base}"

    def run(self, tool: str, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        cmd = [*self.as_postgres, str(self.bindir / tool), *args]
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        if result.returncode != 0:
            raise HarnessError(
                f"{' '.join(cmd)} failed ({result.returncode}):\n{result.stdout}{result.stderr}"
                + self.log_tail()
            )
        return result

    def log_tail(self) -> str:
        try:
            lines = self.log.read_text(errors="replace").splitlines()[-20:]
        except OSError:
            return ""
        return "\n--- postgres.log ---\n" + "\n".join(lines)

    def start(self) -> None:
        if os.geteuid() == 0:
            # initdb refuses to run as root: the cluster belongs to the postgres user.
            runuser = next(
                (
                    path
                    for path in (shutil.which("runuser"), "/usr/sbin/runuser", "/sbin/runuser")
                    if path and os.access(path, os.X_OK)
                ),
                None,
            )
            if runuser is None:
                raise HarnessError("running as root, but runuser (util-linux) is missing")
            try:
                shutil.chown(self.base, "postgres", "postgres")
            except LookupError:
                raise HarnessError(
                    "running as root, but there is no postgres user to own the cluster "
                    "(it comes with the postgresql-15 package)"
                ) from None
            self.as_postgres = [runuser, "-u", "postgres", "--"]
        self.base.chmod(0o700)
        self.run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
            "--no-instructions",
        )
        last_error: HarnessError | None = None
        for _attempt in range(5):
            # Sockets only, so the port only names the socket file in our own folder;
            # a random one still avoids any clash of the shared-memory keys.
            self.port = random.randint(20000, 60000)
            options = (
                f"-p {self.port} -k {self.base} -c listen_addresses='' -c fsync=off "
                "-c full_page_writes=off -c synchronous_commit=off -c max_connections=50"
            )
            try:
                self.run(
                    "pg_ctl",
                    "-D",
                    str(self.data),
                    "-l",
                    str(self.log),
                    "-w",
                    "-t",
                    "30",
                    "-o",
                    options,
                    "start",
                )
            except HarnessError as error:
                last_error = error
                continue
            break
        else:
            raise HarnessError(f"could not start PostgreSQL after 5 attempts: {last_error}")
        self.prepare()

    def prepare(self) -> None:
        """Extensions in template1 (the test database is copied from it), then the database."""
        import psycopg

        with psycopg.connect(
            host=str(self.base),
            port=self.port,
            user="postgres",
            dbname="template1",
            autocommit=True,
        ) as conn:
            for extension in EXTENSIONS:
                conn.execute(f"CREATE EXTENSION IF NOT EXISTS {extension}")
            conn.execute(f"CREATE DATABASE {DATABASE}")

    def stop(self) -> None:
        """Stop the cluster (immediately: its data is thrown away) and remove its folder."""
        # Also after a failed or interrupted start: a postmaster.pid means one may be running.
        if (self.data / "postmaster.pid").exists():
            cmd = [*self.as_postgres, str(self.bindir / "pg_ctl"), "-D", str(self.data)]
            try:
                result = subprocess.run(
                    [*cmd, "-m", "immediate", "-w", "-t", "30", "stop"],
                    capture_output=True,
                    text=True,
                    timeout=60,
                )
                stopped = result.returncode == 0
            except (OSError, subprocess.SubprocessError):
                stopped = False
            if not stopped:
                self._kill_postmaster()
        shutil.rmtree(self.base, ignore_errors=True)

    def _kill_postmaster(self) -> None:
        # Our own postmaster only: its pid is the first line of its postmaster.pid.
        try:
            pid = int((self.data / "postmaster.pid").read_text().split()[0])
            os.kill(pid, signal.SIGKILL)
        except (OSError, ValueError, IndexError):
            pass


@dataclass
class Harness:
    database: str
    var_dir: Path
    cluster: Cluster | None = None
    done: bool = False

    def cleanup(self) -> None:
        if self.done:
            return
        self.done = True
        if self.cluster is not None:
            self.cluster.stop()
        shutil.rmtree(self.var_dir, ignore_errors=True)


harness_key = pytest.StashKey[Harness]()


def _terminate_as_interrupt(signum: int, frame: object) -> None:
    # Turn SIGTERM into KeyboardInterrupt, so pytest unwinds and our unconfigure hook runs.
    raise KeyboardInterrupt(f"signal {signum}")


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(
    early_config: pytest.Config, parser: pytest.Parser, args: list[str]
) -> None:
    options = parser.parse_known_args(args)
    if options.help or options.version:
        return
    try:
        set_up(early_config)
    except HarnessError as error:
        raise pytest.UsageError(str(error)) from None  # printed as "ERROR: ...", exit status 4


def set_up(early_config: pytest.Config) -> None:
    database = requested_database()
    bindir = find_pg_bindir() if database == "postgresql" else None

    # Fresh folder for var/: secret key, SQLite file, static and media roots of the run.
    var_dir = Path(tempfile.mkdtemp(prefix="dvtest."))
    (var_dir / "static").mkdir()  # whitenoise warns when STATIC_ROOT does not exist
    os.environ["DANGVU_VAR_DIR"] = str(var_dir)
    # The run decides the database and runs with production settings, whatever the shell says.
    os.environ.pop("DANGVU_DATABASE_URL", None)
    os.environ.pop("DANGVU_DEBUG", None)

    harness = Harness(database=database, var_dir=var_dir)
    early_config.stash[harness_key] = harness
    atexit.register(harness.cleanup)
    if signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _terminate_as_interrupt)

    if bindir is not None:
        base = Path(tempfile.mkdtemp(prefix="dvpg.", dir="/tmp"))  # short: socket paths ≤ 107 B
        harness.cluster = Cluster(bindir=bindir, base=base)
        try:
            harness.cluster.start()
        except BaseException:
            harness.cleanup()
            raise
        os.environ["DANGVU_DATABASE_URL"] = harness.cluster.url


def describe(harness: Harness) -> str:
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    if harness.cluster is None:
        return f"database: {engine} (pytest-django's in-memory test database)"
    version = subprocess.run(
        [str(harness.cluster.bindir / "postgres"), "--version"], capture_output=True, text=True
    ).stdout.strip()
    return (
        f"database: {engine} — {version}, throw-away cluster in {harness.cluster.base} "
        f"(port {harness.cluster.port})"
    )


def pytest_report_header(config: pytest.Config) -> list[str] | None:
    harness = config.stash.get(harness_key, None)
    if harness is None:
        return None
    return [describe(harness), f"DANGVU_VAR_DIR: {harness.var_dir}"]


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    # The header is hidden under -q (as in `make test`): say it again at the end.
    harness = terminalreporter.config.stash.get(harness_key, None)
    if harness is not None and terminalreporter.verbosity < 0:
        terminalreporter.write_line(describe(harness))


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    harness = config.stash.get(harness_key, None)
    if harness is not None:
        harness.cleanup()
