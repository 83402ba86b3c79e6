"""The pure helpers of bench/web.py: the URL plan's texts and the reading of gunicorn's log."""

from pathlib import Path

from bench.web import (
    ACCESS_FORMAT,
    ACCESS_LINE,
    FLOOR,
    Kind,
    Plan,
    Server,
    members_url,
    page_link,
    prefix_of,
)


def test_a_prefix_search_is_the_first_word_and_the_next_ones_first_letter():
    assert prefix_of("nguyen van hung") == "nguyen v"
    assert prefix_of("ha") == "ha"


def test_member_list_urls_encode_the_search_as_typed():
    assert members_url() == "/members/"
    assert members_url(q="Nguyễn Văn") == "/members/?q=Nguy%E1%BB%85n+V%C4%83n"
    assert members_url(page=500) == "/members/?page=500"


def test_the_plan_given_to_locust_leaves_out_the_trivial_view_and_the_kinds_not_judged():
    plan = Plan(
        [
            Kind("dossier", "viewer", ["/members/1/"], 3),
            Kind("typed", "viewer", ["/members/?page=500"], 0, judged=False),
            Kind(FLOOR, "viewer", ["/health/"]),
        ],
        commune="c",
        province="p",
    )
    assert [kind["name"] for kind in plan.to_json()["kinds"]] == ["dossier"]
    assert plan.judged("dossier") and not plan.judged("typed")


def test_a_page_is_reached_by_the_link_the_page_before_shows():
    html = (
        '<a class="page-link" href="?q=an&amp;page=498&amp;before=7">Trang trước</a>'
        '<a class="page-link" href="?q=an&amp;page=500&amp;after=9">Trang sau</a>'
    )
    assert page_link(html, 500) == "/members/?q=an&page=500&after=9"
    assert page_link(html, 498) == "/members/?q=an&page=498&before=7"
    assert page_link(html, 501) is None


def test_server_times_are_read_from_the_access_log_by_tag(tmp_path: Path):
    assert ACCESS_FORMAT.endswith('"%({x-bench}i)s"')
    (tmp_path / "access.log").write_text(
        '200 31874 "GET /members/?q=tran+t HTTP/1.1" "solo:7"\n'
        '200 412 "GET /health/ HTTP/1.1" "office:dashboard, commune"\n'
        '302 104512 "POST /login/ HTTP/1.1" "-"\n'
        "[2026-01-01] an error line\n"
    )
    server = Server(tmp_path)
    assert server.times("solo:") == [("solo:7", 200, 31.874)]
    assert server.times("office:") == [("office:dashboard, commune", 200, 0.412)]
    assert ACCESS_LINE.match('404 9 "GET /x HTTP/1.1" "-"')
