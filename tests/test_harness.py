"""The test harness runs on the database it was asked for, and the settings behave as promised."""

import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, connections, transaction
from django.db.backends.sqlite3.base import DatabaseWrapper as SQLiteWrapper
from pytest_django import DjangoDbBlocker

from dangvu import settings as dangvu_settings

PROJECT_DIR = Path(__file__).resolve().parents[1]
ASKED_FOR = (
    "postgresql" if os.environ.get("DANGVU_TEST_DB") in {"postgres", "postgresql"} else "sqlite"
)


@pytest.mark.django_db
def test_runs_on_the_database_asked_for() -> None:
    assert connection.vendor == ASKED_FOR
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)
    assert connection.settings_dict["NAME"].startswith("test_") or ASKED_FOR == "sqlite"


@pytest.mark.django_db
def test_postgres_is_the_throwaway_cluster_with_extensions() -> None:
    if ASKED_FOR == "sqlite":
        # On SQLite the harness must not have started or pointed at any PostgreSQL.
        assert "DANGVU_DATABASE_URL" not in os.environ
        assert settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3"
        return
    socket_dir = connection.settings_dict["OPTIONS"]["host"]
    assert Path(socket_dir).name.startswith("dvpg.")
    assert connection.pg_version // 10000 == 15  # type: ignore[attr-defined]
    with connection.cursor() as cursor:
        cursor.execute("SELECT extname FROM pg_extension ORDER BY extname")
        extensions = {name for (name,) in cursor.fetchall()}
        assert {"pg_trgm", "unaccent"} <= extensions
        cursor.execute("SELECT unaccent('Đảng viên Đỗ Thị Ngọc')")
        assert cursor.fetchone() == ("Dang vien Do Thi Ngoc",)
        cursor.execute(
            "SELECT pg_encoding_to_char(encoding) FROM pg_database WHERE datname = %s",
            [connection.settings_dict["NAME"]],
        )
        assert cursor.fetchone() == ("UTF8",)


def test_var_dir_is_a_temporary_folder() -> None:
    var_dir = Path(os.environ["DANGVU_VAR_DIR"])
    assert var_dir.name.startswith("dvtest.")
    assert var_dir == dangvu_settings.VAR_DIR
    assert not var_dir.is_relative_to(PROJECT_DIR)
    if "DANGVU_SECRET_KEY" not in os.environ:
        assert (var_dir / "secret_key").exists()


def test_sqlite_options_in_settings() -> None:
    options = settings.DATABASES["default"].get("OPTIONS", {})
    if ASKED_FOR == "sqlite":
        assert options["transaction_mode"] == "IMMEDIATE"
        assert options["timeout"] == 20
        assert "journal_mode=WAL" in options["init_command"]
        assert settings.DATABASES["default"]["CONN_MAX_AGE"] == 0
    else:
        assert "init_command" not in options and "transaction_mode" not in options


def test_sqlite_file_database_uses_wal_busy_timeout_and_immediate(
    tmp_path: Path, django_db_blocker: DjangoDbBlocker
) -> None:
    """A real file database opened by Django's SQLite backend with the production OPTIONS."""
    path = tmp_path / "probe.sqlite3"
    settings_dict = {
        **connections["default"].settings_dict,
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(path),
        "OPTIONS": dict(dangvu_settings.SQLITE_OPTIONS),
        "CONN_MAX_AGE": 0,
        "HOST": "",
        "PORT": "",
        "USER": "",
        "PASSWORD": "",
    }
    alias = "sqlite_probe"
    probe = SQLiteWrapper(settings_dict, alias=alias)
    connections[alias] = probe
    try:
        with django_db_blocker.unblock():
            with probe.cursor() as cursor:
                cursor.execute("PRAGMA journal_mode")
                assert cursor.fetchone() == ("wal",)
                cursor.execute("PRAGMA busy_timeout")
                assert cursor.fetchone() == (20_000,)
                cursor.execute("PRAGMA synchronous")
                assert cursor.fetchone() == (1,)  # NORMAL
                cursor.execute("CREATE TABLE t (x integer)")
            other = sqlite3.connect(path, timeout=0, isolation_level=None)
            try:
                with transaction.atomic(using=alias):
                    # BEGIN IMMEDIATE takes the write lock at once, before any write...
                    with pytest.raises(sqlite3.OperationalError, match="locked"):
                        other.execute("BEGIN IMMEDIATE")
                    # ...and, in WAL mode, readers are not blocked by it.
                    assert other.execute("SELECT count(*) FROM t").fetchone() == (0,)
                other.execute("BEGIN IMMEDIATE")
                other.execute("ROLLBACK")
            finally:
                other.close()
    finally:
        probe.close()
        del connections[alias]


def _import_settings(var_dir: Path) -> str:
    env = {key: value for key, value in os.environ.items() if not key.startswith("DANGVU_")}
    env.update(DANGVU_VAR_DIR=str(var_dir), PYTHONPATH=str(PROJECT_DIR / "src"))
    result = subprocess.run(
        [sys.executable, "-c", "import dangvu.settings as s; print(s.SECRET_KEY)"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=PROJECT_DIR,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_secret_key_file_is_generated_once_with_mode_600(tmp_path: Path) -> None:
    var_dir = tmp_path / "var"
    first = _import_settings(var_dir)
    key_file = var_dir / "secret_key"
    assert key_file.exists()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(first) >= 50
    assert key_file.read_text().strip() == first
    assert _import_settings(var_dir) == first
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
