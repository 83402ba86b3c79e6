"""The office load of bench/web.py: run by locust in its own virtual environment
(``var/bench-locust``), never by the project's.

Each simulated user signs in (the form, then a POST with its CSRF token) as the commune clerk
or the provincial viewer, in turn, then asks for pages of his kinds (the plan written by
bench/web.py, ``BENCH_WEB_PLAN``) pausing 1-3 s between them. Every request carries an
``X-Bench: office:<kind>`` header, so that bench/web.py finds its time at the server in
gunicorn's access log; the client-side time of each is written to ``BENCH_WEB_TIMES`` when
locust stops.
"""

import itertools
import json
import os
import random
import re
from typing import Any

from locust import HttpUser, between, events, task

with open(os.environ["BENCH_WEB_PLAN"], encoding="utf-8") as plan_file:
    PLAN = json.load(plan_file)
USERS = sorted({kind["user"] for kind in PLAN["kinds"]})
NUMBERS = itertools.count()
TIMES: list[dict[str, Any]] = []


@events.request.add_listener
def record(name: str, response_time: float, exception: Any, **kwargs: Any) -> None:
    TIMES.append({"name": name, "ms": response_time, "error": exception is not None})


@events.quitting.add_listener
def write_times(**kwargs: Any) -> None:
    with open(os.environ["BENCH_WEB_TIMES"], "w", encoding="utf-8") as file:
        json.dump(TIMES, file)


class OfficeUser(HttpUser):
    wait_time = between(1, 3)

    def on_start(self) -> None:
        self.username = USERS[next(NUMBERS) % len(USERS)]
        self.kinds = [kind for kind in PLAN["kinds"] if kind["user"] == self.username]
        self.weights = [kind["weight"] for kind in self.kinds]
        headers = {"X-Bench": "office:login"}
        form = self.client.get("/login/", name="login", headers=headers)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text)
        data = {
            "username": self.username,
            "password": PLAN["password"],
            "csrfmiddlewaretoken": token[1] if token else "",
        }
        with self.client.post(
            "/login/",
            data,
            name="login",
            headers=headers,
            allow_redirects=False,
            catch_response=True,
        ) as answer:
            if answer.status_code != 302:
                answer.failure(f"sign-in answered {answer.status_code}")

    @task
    def page(self) -> None:
        kind = random.choices(self.kinds, self.weights)[0]
        self.client.get(
            random.choice(kind["urls"]),
            name=kind["name"],
            headers={"X-Bench": f"office:{kind['name']}"},
        )
