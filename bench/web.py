"""The web pages at national scale, served by gunicorn on a throw-away PostgreSQL 15 cluster
(issue 5, Performance).

Run from the project root (see bench/README.md)::

    .venv/bin/python bench/web.py --members 20000 --provinces 2     # a few minutes, to try it
    .venv/bin/python bench/web.py                                   # 1,000,000 members, 34 provinces

It builds the demo as ``bench/ledger.py`` does (its disk check, cluster, tuning and ``build()``:
``migrate`` and ``seed_demo --members N`` with the bulk COPY path) and runs ``VACUUM ANALYZE``;
with ``--reuse`` it measures the database of ``DANGVU_DATABASE_URL`` instead (a cluster left by
``--keep`` of this script, ``bench/figures.py`` or ``bench/ledger.py``). Then:

1. it folds the report figures (as ``make setup`` does), creates two users through the
   services (a viewer of the largest province, a clerk of the median commune committee) and
   prints the URL plan: the member list of the commune (clerk), the province's list page 1
   and page 500 (viewer), searches (full names, prefixes, no diacritics, national IDs, rare and
   common names), dossiers, the dashboard, and ``/health/`` (no database: the framework's floor);
2. in this process, with Django's test client: the SQL queries of each kind of page, and the
   plan PostgreSQL chooses for the searches (a sequential scan of the people there would be
   the LIMIT trap of research/perf-limits.md §C);
3. it starts gunicorn from ``.venv`` (2 workers as ``make run``, DEBUG off, 127.0.0.1 on a free
   port) with an access log giving each request's time at the server (``%(D)s``, matched to the
   client's requests by an ``X-Bench`` header); every client signs in with a real POST to
   ``/login/``;
4. one client at a time: ``--requests`` requests per kind of page after a warm-up, p50/p95 at
   the server (and at the client), PASS/FAIL against 50/150 ms;
5. an office load: locust (in its own virtual environment, ``var/bench-locust``), 50 users
   pausing 1-3 s between pages for 60 s: errors and p95, target 0 and <= 300 ms;
6. saturation: 20 clients without pauses on a mix of the pages, then on ``/health/``: pages/s
   of each and their ratio.

A SUMMARY closes the run. The server is always stopped; the cluster too unless ``--keep``.
"""

from __future__ import annotations

import argparse
import atexit
import csv
import http.client
import json
import os
import random
import re
import resource
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode

ROOT = Path(__file__).resolve().parent.parent
for entry in (str(ROOT / "src"), str(ROOT)):
    if entry not in sys.path:
        sys.path.insert(0, entry)

from tests.pg_harness import HarnessError  # noqa: E402

from bench.figures import Summary, code_version, machine_memory, pick_nodes  # noqa: E402
from bench.ledger import (  # noqa: E402
    Phase,
    Resources,
    backend_pid,
    build,
    check_disk,
    load,
    machine_cpu,
    pct,
    python_speed,
    say,
    setup_django,
    start_cluster,
    start_django,
)

P50_TARGET_MS = 50.0
P95_TARGET_MS = 150.0
OFFICE_P95_TARGET_MS = 300.0
# 2.47.0: the newest on PyPI when this was written; pinned so that two runs use the same client
# and its CSV columns ("95%", "Failure Count") stay where read_locust_csv looks for them.
LOCUST_VERSION = "2.47.0"
LOCUST_VENV = ROOT / "var" / "bench-locust"
PASSWORD = "Bàn-thử-web-2026!"  # throw-away accounts in a throw-away (or kept bench) database
CLERK = "bench-web-clerk"
VIEWER = "bench-web-viewer"
WORKERS = 2  # as `make run`
SEARCHES = 8  # different texts per kind of search
DOSSIERS = 40  # different members per kind of dossier
FLOOR = "health"


# --- the URL plan -------------------------------------------------------------------------------


@dataclass
class Kind:
    """One kind of page: who asks for it, its URLs (used in turn), its weight in the mixes.
    A kind not ``judged`` is measured one client at a time and printed, without a target,
    and left out of the office load and the saturation mix."""

    name: str
    user: str
    urls: list[str]
    weight: int = 1
    note: str = ""
    judged: bool = True


@dataclass
class Plan:
    kinds: list[Kind]
    commune: str
    province: str

    def pages(self) -> list[Kind]:
        """The kinds of pages judged against the targets (not the trivial view)."""
        return [kind for kind in self.kinds if kind.judged and kind.name != FLOOR]

    def judged(self, name: str) -> bool:
        return any(kind.judged for kind in self.kinds if kind.name == name)

    def to_json(self) -> dict[str, Any]:
        return {
            "password": PASSWORD,
            "kinds": [
                {"name": k.name, "user": k.user, "urls": k.urls, "weight": k.weight}
                for k in self.pages()
            ],
        }


def members_url(**params: Any) -> str:
    return f"/members/?{urlencode(params)}" if params else "/members/"


def prefix_of(key: str) -> str:
    """ "nguyen van hung" -> "nguyen v": the first word and the next one's first letter."""
    words = key.split()
    return f"{words[0]} {words[1][0]}" if len(words) > 1 else words[0][:3]


def page_link(html: str, number: int) -> str | None:
    """The address of the member list's link to page ``number`` in a page of it (the "next"
    or "previous" link, with the row that page follows or precedes: core.paging)."""
    for href in re.findall(r'class="page-link" href="\?([^"]*)"', html):
        query = unescape(href)
        if parse_qs(query).get("page") == [str(number)]:
            return f"/members/?{query}"
    return None


def reached_by_next(user: Any, number: int) -> str | None:
    """Page ``number`` of the user's member list as he reaches it: the "next" link of the page
    before (None when the list has fewer pages)."""
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    return page_link(client.get(members_url(page=number - 1)).content.decode(), number)


def search_urls(texts: list[str]) -> list[str]:
    return [members_url(q=text) for text in texts]


def sample(values: list[Any], count: int, rng: random.Random) -> list[Any]:
    return rng.sample(values, min(count, len(values)))


def build_plan(viewer: Any, clerk: Any, commune: Any, province: Any, seed: int) -> Plan:
    """The URLs of each kind of page, taken from the data in each user's scope."""
    from django.db.models import Count

    from dangvu.membership.selectors import current_members_for
    from dangvu.membership.views import PAGE_SIZE

    rng = random.Random(seed)
    in_province = current_members_for(viewer)
    pks = list(in_province.values_list("pk", flat=True))
    picked = in_province.filter(pk__in=sample(pks, 200, rng)).order_by("pk")
    people = list(picked.values_list("person__full_name", "person__search_key"))
    ids = [n for n in picked.values_list("person__national_id", flat=True) if n][:SEARCHES]
    names = in_province.values("person__full_name").annotate(n=Count("pk"))
    rare = sorted(names.filter(n=1).values_list("person__full_name", flat=True))
    common = list(names.order_by("-n", "person__full_name")[:SEARCHES])
    clerk_pks = list(current_members_for(clerk).values_list("pk", flat=True))
    full = [name for name, _key in people[:SEARCHES]]
    reached = reached_by_next(viewer, 500)
    kinds = [
        Kind("list, commune", CLERK, [members_url(organization=commune.pk)], 4),
        Kind("list p1, province", VIEWER, [members_url()], 2),
        Kind("list p500, province", VIEWER, [reached or members_url(page=500)], 1),
        Kind("list p500 typed", VIEWER, [members_url(page=500)], 0, judged=False),
        Kind("search full name", VIEWER, search_urls(full), 2, "as written, with diacritics"),
        Kind(
            "search prefix", VIEWER, search_urls([prefix_of(k) for _n, k in people][:SEARCHES]), 2
        ),
        Kind("search no diacritics", VIEWER, search_urls([k for _n, k in people][:SEARCHES]), 2),
        Kind("search national ID", VIEWER, search_urls(ids), 1),
        Kind(
            "search rare name",
            VIEWER,
            search_urls(sample(rare, SEARCHES, rng)),
            1,
            "full names borne by one member of the province",
        ),
        Kind(
            "search common name",
            VIEWER,
            search_urls([c["person__full_name"] for c in common]),
            1,
            "the most frequent full names: "
            + ", ".join(f"{c['person__full_name']} ({c['n']})" for c in common[:3]),
        ),
        Kind(
            "dossier, province", VIEWER, [f"/members/{pk}/" for pk in sample(pks, DOSSIERS, rng)], 3
        ),
        Kind(
            "dossier, commune",
            CLERK,
            [f"/members/{pk}/" for pk in sample(clerk_pks, DOSSIERS, rng)],
            3,
        ),
        Kind("dashboard, province", VIEWER, ["/"], 1),
        Kind("dashboard, commune", CLERK, ["/"], 2),
        Kind(FLOOR, VIEWER, ["/health/"], 1, "no database: the framework's floor", False),
    ]
    pages = -(-len(pks) // PAGE_SIZE)
    kinds[2].note = (
        f"the list has {pages:,} pages; page 499's next link"
        if reached
        else f"the list has {pages:,} pages: Django serves the last one ({pages})"
    )
    kinds[3].note = "the address typed: its rows counted from the first (no target)"
    kinds[0].note = f"{len(clerk_pks):,} members"
    kinds[1].note = f"{len(pks):,} members"
    return Plan(kinds, commune=str(commune), province=str(province))


def show_plan(plan: Plan) -> None:
    say(f"   clerk {CLERK}: {plan.commune}; viewer {VIEWER}: {plan.province}")
    for kind in plan.kinds:
        shown = ", ".join(kind.urls[:3]) + (
            f", ... ({len(kind.urls)} URLs)" if len(kind.urls) > 3 else ""
        )
        note = f"  [{kind.note}]" if kind.note else ""
        say(f"   {kind.name:<22} {kind.user:<17} {shown}{note}")


# --- preparing the database -----------------------------------------------------------------------


def bench_user(actor: Any, username: str, organization: Any, role: Any) -> Any:
    """A user with ``role`` on ``organization`` and the known password, through the services
    (an earlier run on a kept cluster may have made him already)."""
    from django.utils import timezone

    from dangvu.accounts import services
    from dangvu.accounts.models import User

    user = User.objects.filter(username=username).first()
    if user is None:
        return services.create_user(
            actor=actor, username=username, password=PASSWORD, organization=organization, role=role
        )
    services.set_password(actor=actor, user=user, password=PASSWORD)
    if not user.grants.filter(organization=organization, role=role, valid_to__isnull=True).exists():
        services.grant_role(
            actor=actor,
            user=user,
            organization=organization,
            role=role,
            valid_from=timezone.localdate(),
        )
    return user


def prepare(args: argparse.Namespace) -> Plan:
    """Figures folded, static files collected, the two users, the URL plan."""
    from django.core.management import call_command
    from django.utils import timezone

    from dangvu.accounts.models import Role
    from dangvu.demo.management.commands.seed_demo import system_user
    from dangvu.reports import figures

    with Phase("prepare: collectstatic, fold the report figures, the bench's users", backend_pid):
        call_command("collectstatic", interactive=False, verbosity=0)
        started = time.monotonic()
        folded = figures.fold()
        say(
            f"   figures folded: {folded.recounted} organizations recounted in "
            f"{time.monotonic() - started:.1f} s"
        )
        nodes = {node.label: node for node in pick_nodes(timezone.localdate())}
        province, commune = nodes["largest province"], nodes["median commune committee"]
        say(f"   largest province: {province.organization} ({province.members:,} members)")
        say(f"   median commune committee: {commune.organization} ({commune.members:,} members)")
        system = system_user()
        viewer = bench_user(system, VIEWER, province.organization, Role.VIEWER)
        clerk = bench_user(system, CLERK, commune.organization, Role.CLERK)
        plan = build_plan(viewer, clerk, commune.organization, province.organization, args.seed)
    say("\nthe URL plan:")
    show_plan(plan)
    return plan


def query_counts(plan: Plan) -> dict[str, str]:
    """Each kind's SQL queries for its first URL, with Django's test client in this process
    (after one warm-up request, as a worker that has served a page before)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from dangvu.accounts.models import User

    clients = {}
    for username in (VIEWER, CLERK):
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(User.objects.get(username=username))
        clients[username] = client
    counts = {}
    for kind in plan.kinds:
        client = clients[kind.user]
        client.get(kind.urls[0])
        with CaptureQueriesContext(connection) as queries:
            response = client.get(kind.urls[0])
        counts[kind.name] = f"{len(queries)}" + (
            "" if response.status_code == 200 else f" (status {response.status_code})"
        )
        say(f"   {kind.name:<22} {counts[kind.name]:>4} queries  {kind.urls[0]}")
    return counts


def search_plans(plan: Plan) -> bool:
    """EXPLAIN of each search's page query as the list view builds it; False when one reads
    the people with a sequential scan (the LIMIT trap)."""
    from django.core.paginator import Paginator
    from django.test import RequestFactory

    from dangvu.accounts.models import User
    from dangvu.membership import selectors
    from dangvu.membership.views import PAGE_SIZE, member_filters

    viewer = User.objects.get(username=VIEWER)
    clean = True
    for kind in plan.kinds:
        if not kind.name.startswith("search"):
            continue
        request = RequestFactory().get(kind.urls[0])
        request.user = viewer
        form = member_filters(request)
        assert form.is_valid(), form.errors
        members = form.apply(selectors.current_members_for(viewer))
        page = Paginator(members, PAGE_SIZE).page(1)
        text = page.object_list.explain()  # type: ignore[attr-defined]
        scans = sorted(
            {
                m[1]
                for m in re.finditer(
                    r"((?:Parallel )?\w+ (?:Index |Heap )?Scan(?: using \w+)? on \w+)", text
                )
            }
        )
        trap = any("Seq Scan on people_person" in scan for scan in scans)
        clean = clean and not trap
        say(f"   {kind.name:<22} {'TRAP ' if trap else ''}{'; '.join(scans)}")
    return clean


# --- the server ---------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


# status, microseconds at the server, request line, and the tag: the client's X-Bench header
ACCESS_FORMAT = '%(s)s %(D)s "%(r)s" "%({x-bench}i)s"'
ACCESS_LINE = re.compile(r'^(\d{3}) (\d+) "(.*)" "(.*)"$')


def tree_cpu(pid: int | None) -> float:
    """CPU seconds of a process and of all its children: those alive now (gunicorn's workers,
    PostgreSQL's backends) and those that ended (counted in the parent once it reaped them)."""
    if not pid:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return 0.0
    ticks = sum(int(value) for value in fields[11:15])  # utime, stime, cutime, cstime
    return ticks / os.sysconf("SC_CLK_TCK") + sum(tree_cpu(int(child)) for child in children)


def postmaster_pid() -> int | None:
    """The PostgreSQL server's main process (also for a kept cluster, from its data folder)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW data_directory")
        folder = Path(cursor.fetchone()[0])
    try:
        return int((folder / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


@contextmanager
def cpu_split(server: Server) -> Iterator[None]:
    """Where the machine's CPU went over a block: gunicorn, PostgreSQL, this process, the
    processes it waited for (locust), and everything else (other work on a shared machine)."""

    def sample() -> tuple[float, ...]:
        waited = resource.getrusage(resource.RUSAGE_CHILDREN)
        return (
            time.monotonic(),
            machine_cpu()[0],
            tree_cpu(server.process.pid if server.process else None),
            tree_cpu(server.postmaster),
            time.process_time(),
            waited.ru_utime + waited.ru_stime,
        )

    before = sample()
    yield
    wall, busy, web, database, own, waited = (a - b for a, b in zip(sample(), before, strict=True))
    others = max(0.0, busy - web - database - own - waited)
    say(
        f"   CPU over {wall:.1f} s: gunicorn {web:.1f} s, PostgreSQL {database:.1f} s, this "
        f"process {own:.1f} s, locust {waited:.1f} s; everything else on the machine "
        f"{others:.1f} s ({others / wall:.2f} of {os.cpu_count()} cores)"
    )


@dataclass
class Server:
    """gunicorn from the project's .venv, as `make run` starts it, logging each request's time."""

    folder: Path
    port: int = 0
    process: subprocess.Popen[bytes] | None = None
    postmaster: int | None = None
    workers: int = WORKERS
    threads: int = 1  # more than 1: gunicorn's gthread worker with this many threads each

    @property
    def access_log(self) -> Path:
        return self.folder / "access.log"

    @property
    def error_log(self) -> Path:
        return self.folder / "error.log"

    def start(self) -> None:
        self.port = free_port()
        env = {key: value for key, value in os.environ.items() if key != "DANGVU_DEBUG"}
        env.update(
            DANGVU_ALLOWED_HOSTS="127.0.0.1",
            DANGVU_SECRET_KEY=secrets.token_urlsafe(50),
            DJANGO_SETTINGS_MODULE="dangvu.settings",
        )
        command = [
            str(Path(sys.executable).parent / "gunicorn"),
            "--chdir",
            str(ROOT / "src"),
            "dangvu.wsgi:application",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(self.workers),
            "--threads",
            str(self.threads),
            "--access-logfile",
            str(self.access_log),
            "--access-logformat",
            ACCESS_FORMAT,
            "--error-logfile",
            str(self.error_log),
        ]
        say(f"   {' '.join(command)}")
        self.process = subprocess.Popen(command, env=env, cwd=ROOT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"gunicorn exited at start:\n{self.errors()}")
            try:
                if Browser(self.port).get("/health/", "start").status == 200:
                    return
            except OSError:
                time.sleep(0.2)
        raise SystemExit(f"gunicorn did not answer /health/ within 60 s:\n{self.errors()}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
            say("gunicorn stopped")

    def times(self, prefix: str) -> list[tuple[str, int, float]]:
        """(tag, status, ms at the server) of the logged requests whose tag starts with
        ``prefix``."""
        found = []
        for line in self.access_log.read_text(errors="replace").splitlines():
            match = ACCESS_LINE.match(line)
            if match and match[4].startswith(prefix):
                found.append((match[4], int(match[1]), int(match[2]) / 1000))
        return found

    def errors(self, lines: int = 40) -> str:
        if not self.error_log.exists():
            return ""
        return "\n".join(self.error_log.read_text(errors="replace").splitlines()[-lines:])


@dataclass
class Response:
    status: int
    body: bytes
    seconds: float
    location: str = ""


@dataclass
class Browser:
    """One client with its cookies, one connection per request (gunicorn's sync workers close
    it after each response)."""

    port: int
    cookies: dict[str, str] = field(default_factory=dict)

    def request(
        self,
        method: str,
        path: str,
        tag: str,
        body: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        sent = {"X-Bench": tag, **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        try:
            started = time.perf_counter()
            connection.request(method, path, body, sent)
            answer = connection.getresponse()
            data = answer.read()
            seconds = time.perf_counter() - started
        finally:
            connection.close()
        for name, value in answer.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                self.cookies[key] = rest.split(";", 1)[0]
        return Response(answer.status, data, seconds, answer.getheader("Location") or "")

    def get(self, path: str, tag: str) -> Response:
        return self.request("GET", path, tag)

    def sign_in(self, username: str, password: str, tag: str) -> None:
        """A real sign-in: the form (its CSRF token and cookie), then the POST."""
        form = self.get("/login/", tag)
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', form.body)
        if form.status != 200 or token is None:
            raise SystemExit(f"/login/ answered {form.status} without a CSRF token")
        body = urlencode(
            {"username": username, "password": password, "csrfmiddlewaretoken": token[1].decode()}
        )
        answer = self.request(
            "POST", "/login/", tag, body, {"Content-Type": "application/x-www-form-urlencoded"}
        )
        if answer.status != 302 or "sessionid" not in self.cookies:
            raise SystemExit(f"signing in as {username} failed: status {answer.status}")


def signed_in(port: int, tag: str) -> dict[str, Browser]:
    browsers = {}
    for username in (VIEWER, CLERK):
        browsers[username] = Browser(port)
        browsers[username].sign_in(username, PASSWORD, tag)
    return browsers


# --- the measurements ---------------------------------------------------------------------------------


@dataclass
class Result:
    kind: str
    server_ms: list[float]
    client_ms: list[float]
    errors: Counter[int]

    def p(self, which: str, q: int) -> float:
        values = self.server_ms if which == "server" else self.client_ms
        return pct(values, q) if values else float("nan")

    @property
    def passed(self) -> bool:
        return (
            not self.errors
            and self.p("server", 50) <= P50_TARGET_MS
            and self.p("server", 95) <= P95_TARGET_MS
        )


def one_client(server: Server, plan: Plan, requests: int, warmup: int) -> list[Result]:
    """Each kind in turn, one request at a time: ``warmup`` requests, then ``requests`` timed."""
    browsers = signed_in(server.port, "solo:login")
    client: dict[str, tuple[str, float, int]] = {}  # tag -> kind, ms, status
    for kind in plan.kinds:
        browser = browsers[kind.user]
        for n in range(warmup):
            browser.get(kind.urls[n % len(kind.urls)], "solo:warmup")
        for n in range(requests):
            tag = f"solo:{len(client)}"
            answer = browser.get(kind.urls[n % len(kind.urls)], tag)
            client[tag] = (kind.name, answer.seconds * 1000, answer.status)
    time.sleep(0.5)  # the last access log lines
    server_ms: dict[str, float] = {tag: ms for tag, _status, ms in server.times("solo:")}
    results = []
    for kind in plan.kinds:
        tags = [tag for tag, (name, _ms, _status) in client.items() if name == kind.name]
        errors = Counter(client[t][2] for t in tags if client[t][2] != 200)
        missing = [t for t in tags if t not in server_ms]
        if missing:
            say(f"   {kind.name}: {len(missing)} requests missing from the access log")
        results.append(
            Result(
                kind.name,
                [server_ms[t] for t in tags if t in server_ms],
                [client[t][1] for t in tags],
                errors,
            )
        )
    return results


def show_one_client(results: list[Result], counts: dict[str, str], plan: Plan) -> None:
    say(
        f"   {'page':<22} {'n':>4} {'server p50':>10} {'p95':>7} {'max':>7}   "
        f"{'client p50':>10} {'p95':>7}  {'queries':>7}  verdict (server p50 <= "
        f"{P50_TARGET_MS:.0f}, p95 <= {P95_TARGET_MS:.0f} ms)"
    )
    for r in results:
        errors = f"  ERRORS {dict(r.errors)}" if r.errors else ""
        verdict = ("PASS" if r.passed else "FAIL") if plan.judged(r.kind) else ""
        say(
            f"   {r.kind:<22} {len(r.server_ms):>4} {r.p('server', 50):>10.1f} "
            f"{r.p('server', 95):>7.1f} {max(r.server_ms, default=float('nan')):>7.1f}   "
            f"{r.p('client', 50):>10.1f} {r.p('client', 95):>7.1f}  {counts.get(r.kind, '-'):>7}  "
            f"{verdict}{errors}"
        )


def ensure_locust() -> Path:
    """locust in its own virtual environment (its dependencies stay out of the project's)."""
    locust = LOCUST_VENV / "bin" / "locust"
    marker = LOCUST_VENV / f"locust-{LOCUST_VERSION}"
    if not marker.exists():
        say(f"   creating {LOCUST_VENV} with locust=={LOCUST_VERSION} (once)")
        subprocess.run(["python3", "-m", "venv", str(LOCUST_VENV)], check=True)
        subprocess.run(
            [str(LOCUST_VENV / "bin" / "pip"), "install", "--quiet", f"locust=={LOCUST_VERSION}"],
            check=True,
        )
        marker.touch()
    return locust


def read_locust_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as file:
        return list(csv.DictReader(file))


@dataclass
class Office:
    pages: int
    errors: int
    client_p50: float
    client_p95: float
    server_p95: float
    logins: int


def office_load(server: Server, plan: Plan, args: argparse.Namespace, folder: Path) -> Office:
    """``args.users`` locust users, each signing in then pausing 1-3 s between pages."""
    locust = ensure_locust()
    plan_file, times_file, prefix = folder / "plan.json", folder / "times.json", folder / "locust"
    plan_file.write_text(json.dumps(plan.to_json()))
    command = [
        str(locust),
        "-f",
        str(ROOT / "bench" / "locustfile.py"),
        "--headless",
        "--users",
        str(args.users),
        "--spawn-rate",
        str(args.spawn_rate),
        "--run-time",
        f"{args.office_seconds}s",
        "--host",
        f"http://127.0.0.1:{server.port}",
        "--csv",
        str(prefix),
        "--only-summary",
        "--loglevel",
        "WARNING",
    ]
    say(f"   {' '.join(command)}")
    env = {**os.environ, "BENCH_WEB_PLAN": str(plan_file), "BENCH_WEB_TIMES": str(times_file)}
    status = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True)
    if not times_file.exists():
        raise SystemExit(f"locust failed (status {status.returncode}):\n{status.stderr[-3000:]}")
    rows = read_locust_csv(Path(f"{prefix}_stats.csv"))
    say("   locust's own figures (client side, ms; the Aggregated row includes the sign-ins):")
    say(f"   {'name':<22} {'requests':>8} {'failures':>8} {'p50':>6} {'p95':>6} {'max':>7}")
    for row in rows:
        say(
            f"   {row['Name']:<22} {row['Request Count']:>8} {row['Failure Count']:>8} "
            f"{row['50%']:>6} {row['95%']:>6} {float(row['Max Response Time']):>7.0f}"
        )
    failures = read_locust_csv(Path(f"{prefix}_failures.csv"))
    for row in failures[:10]:
        say(f"   failure: {row['Method']} {row['Name']}: {row['Error']} ({row['Occurrences']}x)")
    timed = json.loads(times_file.read_text())
    pages = [t["ms"] for t in timed if t["name"] != "login"]
    errors = sum(1 for t in timed if t["error"])
    logged = server.times("office:")
    at_server = [ms for tag, _status, ms in logged if tag != "office:login"]
    result = Office(
        pages=len(pages),
        errors=errors,
        client_p50=pct(pages, 50),
        client_p95=pct(pages, 95),
        server_p95=pct(at_server, 95) if at_server else float("nan"),
        logins=sum(1 for t in timed if t["name"] == "login"),
    )
    by_kind: dict[str, list[float]] = defaultdict(list)
    for tag, _status, ms in logged:
        by_kind[tag.removeprefix("office:")].append(ms)
    say("   at the server (from gunicorn's log), ms:")
    for name, values in sorted(by_kind.items()):
        say(
            f"   {name:<22} {len(values):>8} {'':>8} {pct(values, 50):>6.1f} {pct(values, 95):>6.1f} {max(values):>7.1f}"
        )
    return result


@dataclass
class Saturation:
    pages: int = 0
    errors: int = 0
    seconds: float = 0.0
    client_cpu: float = 0.0

    @property
    def rate(self) -> float:
        return self.pages / self.seconds if self.seconds else 0.0


def saturate(
    server: Server, kinds: list[Kind], clients: int, seconds: float, tag: str
) -> Saturation:
    """``clients`` threads asking for pages of ``kinds`` in turn without pauses."""
    urls = [(kind.user, url) for kind in kinds for url in kind.urls for _ in range(kind.weight)]
    browsers = [signed_in(server.port, f"{tag}:login") for _ in range(clients)]
    result = Saturation()
    lock = threading.Lock()
    start = threading.Barrier(clients + 1)

    def work(number: int) -> None:
        order = random.Random(number).sample(urls, len(urls))
        start.wait()
        done = failed = 0
        while time.monotonic() < deadline:
            user, url = order[(number + done + failed) % len(order)]
            try:
                status = browsers[number][user].get(url, tag).status
            except OSError:  # refused or reset: an error like any other answer but 200
                status = 0
            if status == 200:
                done += 1
            else:
                failed += 1
        with lock:
            result.pages += done
            result.errors += failed

    threads = [threading.Thread(target=work, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    with cpu_split(server):
        deadline = time.monotonic() + seconds
        cpu, started = time.process_time(), time.monotonic()
        start.wait()
        for thread in threads:
            thread.join()
        result.seconds = time.monotonic() - started
        result.client_cpu = time.process_time() - cpu
    return result


def show_saturation(name: str, result: Saturation, server: Server, tag: str) -> None:
    logged = [ms for _tag, _status, ms in server.times(tag) if _tag == tag]
    say(
        f"   {name}: {result.pages:,} pages in {result.seconds:.1f} s = {result.rate:,.1f} pages/s, "
        f"{result.errors} errors; at the server p50 {pct(logged, 50):.1f} ms, p95 "
        f"{pct(logged, 95):.1f} ms; this client's CPU {result.client_cpu:.1f} s "
        f"({result.client_cpu / result.seconds:.0%} of one core)"
    )


# --- main -----------------------------------------------------------------------------------------


def measure(args: argparse.Namespace, plan: Plan, folder: Path, summary: Summary) -> None:
    with Phase("in this process: SQL queries per page (Django's test client)", backend_pid):
        counts = query_counts(plan)
    with Phase("the searches' plans (EXPLAIN of page 1's query, as the list view builds it)"):
        clean = search_plans(plan)
    summary.add("search plans", "no sequential scan of the people" if clean else "TRAP", "", clean)
    server = Server(folder, postmaster=postmaster_pid(), workers=args.workers, threads=args.threads)
    try:
        with Phase("gunicorn"):
            server.start()
            say(f"   serving on 127.0.0.1:{server.port}; logs in {folder}")
        with Phase(
            f"one client at a time: {args.warmup} warm-up + {args.requests} requests per page"
        ):
            with cpu_split(server):
                results = one_client(server, plan, args.requests, args.warmup)
            show_one_client(results, counts, plan)
        summarise_one_client(results, counts, summary, plan)
        with (
            Phase(
                f"office load: {args.users} users, 1-3 s pauses, {args.office_seconds} s (locust)"
            ),
            cpu_split(server),
        ):
            office = office_load(server, plan, args, folder)
        summary.add(
            f"office load, {args.users} users",
            f"{office.pages:,} pages, {office.errors} errors, client p50 {office.client_p50:.0f} "
            f"p95 {office.client_p95:.0f} ms (server p95 {office.server_p95:.0f} ms)",
            f"0 errors, p95 <= {OFFICE_P95_TARGET_MS:.0f} ms",
            office.errors == 0 and office.client_p95 <= OFFICE_P95_TARGET_MS,
        )
        saturation(server, plan, args, summary)
        errors = server.errors()
        if "Traceback" in errors or "Error" in errors:
            say(f"\ngunicorn's error log ({server.error_log}), last lines:\n{errors}")
    finally:
        server.stop()


def summarise_one_client(
    results: list[Result], counts: dict[str, str], summary: Summary, plan: Plan
) -> None:
    for r in results:
        errors = f", ERRORS {dict(r.errors)}" if r.errors else ""
        judged = plan.judged(r.kind)
        summary.add(
            f"one client: {r.kind}",
            f"server p50 {r.p('server', 50):5.1f} p95 {r.p('server', 95):6.1f} ms "
            f"(client {r.p('client', 50):5.1f}/{r.p('client', 95):6.1f}), "
            f"{counts.get(r.kind, '-')} queries{errors}",
            f"p50 <= {P50_TARGET_MS:.0f}, p95 <= {P95_TARGET_MS:.0f} ms" if judged else "",
            r.passed if judged else None,
        )


def saturation(server: Server, plan: Plan, args: argparse.Namespace, summary: Summary) -> None:
    clients, seconds = args.clients, args.saturation_seconds
    with Phase(f"saturation: {clients} clients without pauses, {seconds} s each"):
        pages = saturate(server, plan.pages(), clients, seconds, "saturate:pages")
        show_saturation("the mix of pages", pages, server, "saturate:pages")
        floor = saturate(server, [plan.kinds[-1]], clients, seconds, "saturate:health")
        show_saturation("/health/ (no database)", floor, server, "saturate:health")
    ratio = pages.rate / floor.rate if floor.rate else float("nan")
    say(
        f"RATIO pages / trivial view: {ratio:.3f} (the mix of pages at {pages.rate:,.1f} pages/s "
        f"against /health/ at {floor.rate:,.1f} pages/s on the same server; 1.0 would be the "
        "framework's floor)"
    )
    summary.add(
        f"saturation, {clients} clients: pages",
        f"{pages.rate:,.1f} pages/s ({pages.errors} errors)",
    )
    summary.add(f"saturation, {clients} clients: /health/", f"{floor.rate:,.1f} pages/s")
    summary.add(
        "RATIO pages / trivial view", f"{ratio:.3f} ({1 / ratio:.1f}x slower than the floor)"
    )


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--provinces", type=int, default=34)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--as-of", type=date.fromisoformat, default=None, help="seed_demo's today")
    parser.add_argument("--requests", type=int, default=60, help="timed requests per page (60)")
    parser.add_argument("--warmup", type=int, default=5, help="warm-up requests per page (5)")
    parser.add_argument("--users", type=int, default=50, help="locust users (50)")
    parser.add_argument("--spawn-rate", type=float, default=5, help="locust users started per s")
    parser.add_argument("--office-seconds", type=int, default=60)
    parser.add_argument("--clients", type=int, default=20, help="saturation clients (20)")
    parser.add_argument("--saturation-seconds", type=float, default=20)
    parser.add_argument("--min-free-gb", type=float, default=None)
    parser.add_argument(
        "--workers", type=int, default=WORKERS, help=f"gunicorn workers ({WORKERS}, as make run)"
    )
    parser.add_argument(
        "--threads", type=int, default=1, help="threads per worker (1: sync workers, as make run)"
    )
    parser.add_argument("--keep", action="store_true", help="leave the cluster running")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="measure the database of DANGVU_DATABASE_URL (a cluster kept by --keep); no build",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    say(f"bench/web.py: {code_version()}")
    say(
        f"machine: {os.cpu_count()} CPUs, {load()}, python {sys.version.split()[0]}; {machine_memory()}"
    )
    resources = Resources()
    resources.keep = args.keep
    atexit.register(resources.cleanup)

    main_pid = os.getpid()

    def on_term(signum: int, frame: object) -> None:
        if os.getpid() != main_pid:  # a worker forked by seed_demo's pool: die as by default
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, on_term)
    started = time.monotonic()
    folder = Path(tempfile.mkdtemp(prefix="dvbench-web."))
    resources.folders.append(folder)
    summary = Summary()
    try:
        if args.reuse:
            reuse(folder)
        else:
            fresh(args, resources)
        speed_before = python_speed()
        plan = prepare(args)
        measure(args, plan, folder, summary)
        speed_after = python_speed()
        scale = (
            "DANGVU_DATABASE_URL"
            if args.reuse
            else f"{args.members:,} members, {args.provinces} provinces"
        )
        say(
            f"\n== SUMMARY ({scale}; {load()}; total {time.monotonic() - started:.0f} s; a fixed "
            f"Python loop took {speed_before * 1000:.0f} ms before and {speed_after * 1000:.0f} ms "
            "after, 100 ms on a quiet machine)"
        )
        summary.show()
        if args.keep and resources.cluster is not None:
            c = resources.cluster
            say("\n--keep: the cluster is still running.")
            say(f"   psql:    {c.bindir / 'psql'} -h {c.base} -p {c.port} -U postgres dangvu")
            say(f"   again:   DANGVU_DATABASE_URL='{c.url}' .venv/bin/python bench/web.py --reuse")
            say(
                f"   stop:    runuser -u postgres -- {c.bindir / 'pg_ctl'} -D {c.data} -m immediate "
                f"stop && rm -rf {c.base}"
            )
        return 0
    finally:
        resources.cleanup()


def reuse(folder: Path) -> None:
    """Django on the database of DANGVU_DATABASE_URL, migrated; static files in ``folder``."""
    if not os.environ.get("DANGVU_DATABASE_URL"):
        raise SystemExit("--reuse needs DANGVU_DATABASE_URL (printed by a run with --keep)")
    say(f"--reuse: {os.environ['DANGVU_DATABASE_URL']}")
    (folder / "var" / "static").mkdir(parents=True)
    os.environ["DANGVU_VAR_DIR"] = str(folder / "var")
    start_django()
    from django.core.management import call_command

    with Phase("migrate", backend_pid):
        call_command("migrate", verbosity=0, interactive=False)


def fresh(args: argparse.Namespace, resources: Resources) -> None:
    """A new cluster with the demo built in it (bench/ledger.py's build), vacuumed."""
    say(f"{args.members:,} members, {args.provinces} provinces, seed {args.seed}")
    check_disk("/tmp", args.members, args.min_free_gb, 1)
    try:
        cluster = start_cluster(resources)
    except HarnessError as error:
        raise SystemExit(f"could not start PostgreSQL: {error}") from None
    setup_django(cluster, resources)
    build(args)
    from django.db import connection

    with Phase("VACUUM ANALYZE (after the bulk load)", backend_pid), connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


if __name__ == "__main__":
    sys.exit(main())
