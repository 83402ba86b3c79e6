"""The liveness check answers anyone, without the database (this test has no database access:
pytest-django refuses any query)."""

from django.urls import reverse


def test_the_health_check_answers_ok_without_the_database(client):
    response = client.get(reverse("health"))
    assert response.status_code == 200 and response.content == b"ok\n"
    assert client.post(reverse("health")).status_code == 405
