"""Security: the Content-Security-Policy, CSRF, session expiry, login lockout, no stack trace to
users, `check --deploy` clean with production settings, and the large-text switch."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.test import Client, override_settings
from django.urls import path, reverse

from dangvu.accounts.models import User

PROJECT_DIR = Path(__file__).resolve().parents[1]
SRC_DIR = PROJECT_DIR / "src" / "dangvu"
LOGIN = reverse("login")
# Templates that only WeasyPrint renders into a PDF: no browser applies the policy to them.
PDF_ONLY = {"reports/templates/reports/print.html"}


def boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("secret detail of the failure")


urlpatterns = [path("boom/", boom)]  # this module is the URL map of the 500 test


@pytest.fixture
def en(client: Client) -> Client:
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.mark.django_db
def test_every_page_forbids_other_origins_and_inline_script_and_style(client):
    policy = client.get(LOGIN)["Content-Security-Policy"]
    directives = dict(
        (part.split()[0], part.split()[1:]) for part in policy.split(";") if part.strip()
    )
    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'"] and directives["style-src"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"] and directives["object-src"] == ["'none'"]
    assert "unsafe" not in policy and "http" not in policy and "*" not in policy


def test_no_template_carries_inline_script_style_or_event_handler():
    inline = re.compile(r"style=|<style|<script(?![^>]*\bsrc=)|\son[a-z]+=|javascript:", re.I)
    found = []
    for template in SRC_DIR.glob("**/templates/**/*.html"):
        name = template.relative_to(SRC_DIR).as_posix()
        if name not in PDF_ONLY:
            found += [f"{name}: {m.group(0)}" for m in inline.finditer(template.read_text())]
    assert not found, found


@pytest.mark.django_db
def test_a_post_without_the_csrf_token_is_refused():
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("accounts:text_size"), {"next": "/"})
    assert response.status_code == 403


@pytest.mark.django_db
def test_a_session_ends_with_the_browser_and_after_eight_hours(client):
    User.objects.create_user("thu_ky", password="Mật-khẩu-2025!")
    response = client.post(LOGIN, {"username": "thu_ky", "password": "Mật-khẩu-2025!"})
    assert response.status_code == 302
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["expires"] == "" and cookie["max-age"] == ""  # gone when the browser closes
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert client.session.get_expiry_age() == 8 * 3600


@pytest.mark.django_db
def test_five_wrong_passwords_lock_the_sign_in_with_a_page_that_says_so(en):
    User.objects.create_user("thu_ky", password="Mật-khẩu-2025!")
    answers = [en.post(LOGIN, {"username": "thu_ky", "password": "sai"}) for _ in range(5)]
    assert [a.status_code for a in answers] == [200, 200, 200, 200, 429]  # the fifth locks
    locked = en.post(LOGIN, {"username": "thu_ky", "password": "Mật-khẩu-2025!"})
    assert locked.status_code == 429
    text = locked.content.decode()
    assert "Signing in is locked for a while" in text and "locked for 15 minutes" in text
    assert "<nav" in text  # the site's own page, not a bare line of text


@pytest.mark.django_db
def test_the_lockout_page_is_vietnamese_by_default(client):
    User.objects.create_user("thu_ky", password="Mật-khẩu-2025!")
    for _ in range(6):
        locked = client.post(LOGIN, {"username": "thu_ky", "password": "sai"})
    assert locked.status_code == 429 and locked.context["LANGUAGE_CODE"] == "vi"
    assert '<html lang="vi"' in locked.content.decode()


@pytest.mark.django_db
@override_settings(ROOT_URLCONF=__name__)
def test_a_failure_shows_a_plain_page_without_the_stack_trace():
    client = Client(raise_request_exception=False)
    response = client.get("/boom/")
    text = response.content.decode()
    assert response.status_code == 500
    assert "Đã có lỗi" in text
    assert "secret detail" not in text and "Traceback" not in text and "RuntimeError" not in text


def run_settings(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """``manage.py`` in a fresh process with only the given DANGVU_* variables."""
    clean = {key: value for key, value in os.environ.items() if not key.startswith("DANGVU_")}
    clean.update(
        DANGVU_VAR_DIR=str(tmp_path / "var"),
        DANGVU_DATABASE_URL=f"sqlite:///{tmp_path / 'deploy.sqlite3'}",
        DJANGO_SETTINGS_MODULE="dangvu.settings",
        **env,
    )
    args = ["check", "--deploy", "--fail-level", "WARNING"]
    return subprocess.run(
        [sys.executable, str(PROJECT_DIR / "manage.py"), *args],
        env=clean,
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )


PRODUCTION = {
    "DANGVU_SECRET_KEY": "k" * 20 + "-production-secret-from-the-environment-" + "9z" * 10,
    "DANGVU_ALLOWED_HOSTS": "dangvu.example.vn",
    "DANGVU_HTTPS": "1",
    "DANGVU_PROXY_SSL_HEADER": "1",
    "DANGVU_CSRF_TRUSTED_ORIGINS": "https://dangvu.example.vn",
}


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    result = run_settings(tmp_path, **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout + result.stderr


def test_plain_http_on_the_local_machine_is_what_check_deploy_warns_about(tmp_path):
    """Without DANGVU_HTTPS (``make run`` on 127.0.0.1) cookies are not HTTPS-only and no
    redirect happens, and the deployment check says so."""
    result = run_settings(tmp_path, DANGVU_SECRET_KEY=PRODUCTION["DANGVU_SECRET_KEY"])
    output = result.stdout + result.stderr
    assert result.returncode != 0
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in output


@pytest.mark.django_db
def test_the_large_text_switch_is_remembered_and_goes_back_to_the_page(client):
    switch = reverse("accounts:text_size")
    response = client.post(switch, {"next": "/login/?next=/reports/"})
    assert response.status_code == 302 and response["Location"] == "/login/?next=/reports/"
    assert response.cookies["dangvu_text"].value == "large"
    page = client.get(LOGIN).content.decode()
    assert '<html lang="vi" class="large-text">' in page and 'aria-pressed="true"' in page
    response = client.post(switch, {"next": "https://elsewhere.example/"})
    assert response["Location"] == reverse("home")  # never to another site
    assert response.cookies["dangvu_text"].value == ""  # switched off
    assert 'class="large-text"' not in client.get(LOGIN).content.decode()
