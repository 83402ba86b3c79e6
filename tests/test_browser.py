"""The real production server, driven by the system Chromium: sign in and see the home page.

The server is gunicorn on 127.0.0.1 with production settings (DEBUG off, whitenoise's manifest
storage after collectstatic) on a fresh SQLite file; no seed data is needed. Screenshots go to
test-artifacts/ (git-ignored).
"""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, ConsoleMessage, Page, Response

PROJECT_DIR = Path(__file__).resolve().parents[1]
ARTIFACTS = PROJECT_DIR / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SERVER_START_SECONDS = 20
USERNAME = "browser-admin"
PASSWORD = "Trình-duyệt-2025!"  # a throw-away account in a throw-away database


@dataclass
class Server:
    url: str
    log: Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def manage(env: dict[str, str], *args: str) -> None:
    result = subprocess.run(
        [sys.executable, str(PROJECT_DIR / "manage.py"), *args],
        env=env,
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, (
        f"manage.py {' '.join(args)} failed:\n{result.stdout}{result.stderr}"
    )


def server_env(tmp: Path) -> dict[str, str]:
    # Production settings: only what the server needs, none of the shell's DANGVU_* settings.
    env = {key: value for key, value in os.environ.items() if not key.startswith("DANGVU_")}
    env.update(
        DANGVU_VAR_DIR=str(tmp / "var"),
        DANGVU_DATABASE_URL=f"sqlite:///{tmp / 'browser.sqlite3'}",
        DANGVU_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_SETTINGS_MODULE="dangvu.settings",
    )
    return env


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    """gunicorn serving a freshly migrated SQLite file with a small demo; always stopped."""
    env = server_env(tmp_path)
    manage(env, "migrate", "--no-input", "-v", "0")
    manage(env, "collectstatic", "--no-input", "-v", "0")
    manage(
        {**env, "DJANGO_SUPERUSER_PASSWORD": PASSWORD},
        "createsuperuser",
        "--no-input",
        "--username",
        USERNAME,
        "--email",
        "admin@example.org",
    )
    manage(env, "seed_demo", "--provinces", "1", "--members", "400", "--seed", "3")
    manage(env, "fold_figures")
    port = free_port()
    gunicorn = Path(sys.executable).parent / "gunicorn"
    log = tmp_path / "gunicorn.log"
    with log.open("w") as log_file:
        process = subprocess.Popen(
            [
                str(gunicorn),
                "--chdir",
                str(PROJECT_DIR / "src"),
                "dangvu.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "1",
                "--access-logfile",
                "-",
                "--error-logfile",
                "-",
            ],
            env=env,
            cwd=PROJECT_DIR,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: master and workers stop together
        )
    try:
        deadline = time.monotonic() + SERVER_START_SECONDS
        while True:
            if process.poll() is not None:
                pytest.fail(f"gunicorn exited with {process.returncode}:\n{log.read_text()}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(
                        f"gunicorn did not listen on port {port} within {SERVER_START_SECONDS} s:"
                        f"\n{log.read_text()}"
                    )
                time.sleep(0.1)
        yield Server(url=f"http://127.0.0.1:{port}", log=log)
    finally:
        stop(process)


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop gunicorn: SIGTERM to the master (it stops its workers), then its whole group."""
    if process.poll() is None:
        process.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=10)
    # The server's own process group (start_new_session): whatever is left of it.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


def note_console(message: "ConsoleMessage", problems: list[str]) -> None:
    url = message.location.get("url", "")
    # Chromium asks for /favicon.ico on its own; the app has none yet.
    if message.type == "error" and not url.endswith("/favicon.ico"):
        problems.append(f"console: {message.text} ({url})")


def note_response(response: "Response", problems: list[str]) -> None:
    if response.status >= 400:
        problems.append(f"HTTP {response.status} {response.url}")


@pytest.fixture
def chromium() -> str:
    """The system Chromium; missing, it is a failure (checked before the server starts)."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (or run .ci/run)")
    return CHROMIUM


def watched_page(browser: "Browser", problems: list[str]) -> "Page":
    """A page in a new context (1366×768, Vietnamese, Hanoi time, downloads allowed) whose
    console errors, page errors and HTTP errors are collected in ``problems``."""
    context = browser.new_context(
        viewport={"width": 1366, "height": 768},
        locale="vi-VN",
        timezone_id="Asia/Ho_Chi_Minh",
        accept_downloads=True,
    )
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.on("console", lambda message: note_console(message, problems))
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on("response", lambda response: note_response(response, problems))
    return page


@pytest.mark.browser
def test_sign_in_and_see_the_home_page(chromium: str, server: Server) -> None:
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            page = watched_page(browser, problems)

            # Signed out, the home page sends us to the sign-in page.
            page.goto(server.url + "/")
            assert page.url == f"{server.url}/login/?next=/", page.url
            page.fill("#id_username", USERNAME)
            page.fill("#id_password", PASSWORD)
            with page.expect_response(
                lambda r: r.url == server.url + "/" and r.request.method == "GET"
            ) as home_response:
                page.click("button[type=submit]")
            assert home_response.value.status == 200
            page.wait_for_load_state("load")
            assert page.url == server.url + "/"

            # Once the catalogues are translated this can be: the h1 reads "Tổ chức đảng".
            heading = page.locator("h1")
            assert heading.count() == 1
            assert heading.inner_text().strip()
            assert page.locator("html").get_attribute("lang") == "vi"
            # The stylesheet came through whitenoise's manifest storage (hashed name).
            assert page.evaluate(
                "() => [...document.styleSheets].some(s => s.href && /base\\.[0-9a-f]{12}\\.css$/.test(s.href))"
            )

            page.screenshot(path=ARTIFACTS / "home-1366x768.png", full_page=True)
            page.set_viewport_size({"width": 390, "height": 844})
            page.screenshot(path=ARTIFACTS / "home-390x844.png", full_page=True)
            page.context.close()
        finally:
            browser.close()
    assert not problems, "\n".join(problems) + f"\n(server log: {server.log})"


@pytest.mark.browser
def test_read_a_report_open_a_figure_and_download_the_form(chromium: str, server: Server) -> None:
    """A user opens the reports, follows a figure to its list (as long as the figure says),
    switches to the movements of the year and downloads the xlsx and the PDF."""
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            page = watched_page(browser, problems)

            page.goto(server.url + "/reports/")
            page.fill("#id_username", USERNAME)
            page.fill("#id_password", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_load_state("load")
            assert page.locator("h1").inner_text() == "Chất lượng đảng viên"
            page.screenshot(path=ARTIFACTS / "report-quality-1366x768.png")

            total = page.locator("tr.total-row td.num a").first
            members = int(total.inner_text())
            assert members > 100
            total.click()
            page.wait_for_load_state("load")
            assert page.locator("strong", has_text="đảng viên").first.inner_text() == (
                f"{members} đảng viên"
            )
            page.go_back()

            page.click("text=Tăng, giảm đảng viên")
            page.wait_for_load_state("load")
            assert page.locator("h1").inner_text() == "Tăng, giảm đảng viên"
            headers = page.locator("thead th").all_inner_texts()
            assert "Kết nạp" in headers and "Cuối kỳ" in headers
            with page.expect_download() as xlsx:
                page.click("text=Tải Excel (xlsx)")
            assert xlsx.value.suggested_filename.endswith(".xlsx")
            with page.expect_download() as pdf:
                page.click("text=Tải PDF để in")
            assert pdf.value.suggested_filename.endswith(".pdf")
            pdf.value.save_as(ARTIFACTS / "report-movement.pdf")

            # a wrong date: explained next to the field, what was typed is kept
            page.fill("#id_end", "31/02/2026")
            page.click("button:has-text('Xem')")
            page.wait_for_load_state("load")
            assert page.locator("#id_end-error").inner_text() == "Nhập ngày theo dạng dd/mm/yyyy."
            assert page.input_value("#id_end") == "31/02/2026"
            # the form answered 400 on purpose: that is not a problem of the page
            problems[:] = [p for p in problems if "400" not in p]

            page.set_viewport_size({"width": 390, "height": 844})
            page.goto(server.url + "/reports/")
            page.screenshot(path=ARTIFACTS / "report-quality-390x844.png", full_page=True)
            page.context.close()
        finally:
            browser.close()
    assert not problems, "\n".join(problems) + f"\n(server log: {server.log})"
