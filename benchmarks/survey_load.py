"""Benchmark: the public answer page under load, against a trivial view as the floor.

    .venv/bin/python benchmarks/survey_load.py [--clients 200] [--workers 3] [--threads 8]
        [--repeat 3]

Uses the database of DATABASE_URL (the development one by default; it must be migrated)
and a tenant "bench-surveys" of its own; each run adds a round.
Creates --repeat rounds with --clients invitations, each with its own link, then starts
gunicorn on loopback (benchmarks/survey_settings.py: DEBUG off, rate limit lifted) and:

- warm-up: 20 clients on each path (the survey's in a round of its own, not counted);
- floor: --clients concurrent clients each GET a trivial Django view twice;
- survey: --clients concurrent clients each open their own link (GET) and submit the
  answers (POST with the CSRF token), like a browser.

Floor and survey alternate --repeat times (one run is a few seconds: too short to
average the noise of a shared machine). Prints each pair's throughput and ratio, then
over all runs requests/s, p50/p95/p99 latency and errors for both, the throughput ratio,
and the responses stored against the submits that got a redirect (they must be equal).
Goals (issue #11): p95 under 200 ms, no error, nothing lost, at least 1/3 of the floor.
Asserts nothing about time.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmarks.survey_settings")

import django  # noqa: E402

django.setup()

import requests  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Min  # noqa: E402
from django.utils import timezone  # noqa: E402

from agreements.models import Contact, Customer  # noqa: E402
from slaweb.tenancy.context import tenant_context  # noqa: E402
from slaweb.tenancy.models import Tenant  # noqa: E402

SLUG = "bench-surveys"
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def ensure_schema() -> None:
    if "surveys_surveylink" not in connection.introspection.table_names():
        raise SystemExit(
            "The database has no surveys tables: run `manage.py migrate --database owner` "
            "(make migrate) or point DATABASE_URL/DATABASE_OWNER_URL at a migrated database."
        )


def prepare(clients: int) -> tuple[list[str], int, int, list]:
    """A fresh round with `clients` invitations; returns the tokens, tenant and round ids."""
    from surveys import services
    from surveys.choices import InvitationStatus
    from surveys.models import Campaign, Invitation, Round
    from surveys.services.links import issue_link

    tenant, _ = Tenant.objects.get_or_create(
        slug=SLUG, defaults={"name": "Bench surveys 压测", "time_zone": "Asia/Shanghai"}
    )
    with tenant_context(tenant):
        customer, _ = Customer.objects.get_or_create(name="Bench customer")
        have = Contact.objects.filter(customer=customer).count()
        Contact.objects.bulk_create(
            Contact(
                tenant=tenant,
                customer=customer,
                name=f"Client {n}",
                email=f"client{n}@bench.example",
                language="zh-hans",
            )
            for n in range(have, clients)
        )
        contacts = list(Contact.objects.filter(customer=customer).order_by("pk")[:clients])
        campaign = Campaign.objects.filter(name="Bench").first()
        if campaign is None:
            campaign = services.save_campaign(
                Campaign(
                    name="Bench",
                    scope="customer",
                    customer=customer,
                    questionnaire=services.create_default_questionnaire(tenant),
                    trigger="once",
                    active=False,
                )
            )
        now = timezone.now()
        # A period no earlier run used (a count of rounds collides once the date moves on).
        earliest = Round.objects.filter(campaign=campaign).aggregate(day=Min("period_start"))
        day = min(earliest["day"] or now.date(), now.date()) - timezone.timedelta(days=1)
        round_ = Round.objects.create(
            campaign=campaign,
            questionnaire=campaign.questionnaire,
            period_start=day,
            period_end=day,
            opens_at=now,
            closes_at=now + timezone.timedelta(days=3),
        )
        invitations = Invitation.objects.bulk_create(
            Invitation(
                tenant=tenant,
                round=round_,
                contact=c,
                language="zh-hans",
                status=InvitationStatus.QUEUED,
            )
            for c in contacts
        )
        tokens = [issue_link(invitation) for invitation in invitations]
        question_ids = list(
            campaign.questionnaire.questions.order_by("order").values_list("pk", "kind")
        )
    return tokens, tenant.pk, round_.pk, question_ids


def start_gunicorn(port: int, workers: int, threads: int) -> subprocess.Popen:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "benchmarks.survey_settings"}
    process = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "slaweb.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    for _ in range(60):
        try:
            requests.get(f"http://127.0.0.1:{port}/bench/floor/", timeout=10)
            return process
        except requests.RequestException:
            time.sleep(0.5)
    process.terminate()
    raise SystemExit("gunicorn did not start")


class Timings:
    def __init__(self):
        self.lock = threading.Lock()
        self.latencies: list[float] = []
        self.errors: list[str] = []
        self.submitted = 0

    def add(self, seconds: float, ok: bool, what: str = ""):
        with self.lock:
            self.latencies.append(seconds)
            if not ok:
                self.errors.append(what)


def timed(timings: Timings, call, ok):
    start = time.perf_counter()
    try:
        response = call()
        good = ok(response)
        timings.add(time.perf_counter() - start, good, "" if good else str(response.status_code))
        return response if good else None
    except requests.RequestException as error:
        timings.add(time.perf_counter() - start, False, type(error).__name__)
        return None


def run(clients: int, job) -> tuple[Timings, float]:
    timings = Timings()
    barrier = threading.Barrier(clients)
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        list(pool.map(lambda i: job(i, timings, barrier), range(clients)))
    return timings, time.perf_counter() - start


def report(name: str, timings: Timings, seconds: float) -> float:
    lat = sorted(timings.latencies)
    rate = len(lat) / seconds

    def pct(p):
        return lat[min(len(lat) - 1, int(p / 100 * len(lat)))] * 1000

    print(
        f"{name:8} {len(lat):6} requests in {seconds:6.2f} s  {rate:8.1f} req/s  "
        f"p50 {pct(50):6.1f} ms  p95 {pct(95):6.1f} ms  p99 {pct(99):6.1f} ms  "
        f"mean {statistics.mean(lat) * 1000:6.1f} ms  errors {len(timings.errors)}"
    )
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--port", type=int, default=18631)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    ensure_schema()
    warm = min(20, args.clients)
    warm_tokens, _, _, _ = prepare(warm)  # a round of its own, not counted
    rounds = [prepare(args.clients) for _ in range(args.repeat)]
    tenant_id, questions = rounds[0][1], rounds[0][3]
    base = f"http://127.0.0.1:{args.port}"
    answers = {f"q{pk}": ("更快一些" if kind == "open" else "4") for pk, kind in questions}
    server = start_gunicorn(args.port, args.workers, args.threads)
    try:

        def floor_job(i, timings, barrier):
            session = requests.Session()
            barrier.wait()
            for _ in range(2):
                timed(
                    timings,
                    lambda: session.get(f"{base}/bench/floor/", timeout=30),
                    lambda r: r.status_code == 200,
                )

        def survey_job(i, timings, barrier, tokens):
            session = requests.Session()
            url = f"{base}/s/{tokens[i]}/"
            barrier.wait()
            page = timed(
                timings, lambda: session.get(url, timeout=30), lambda r: r.status_code == 200
            )
            if page is None:
                return
            token = CSRF.search(page.text).group(1)
            sent = timed(
                timings,
                lambda: session.post(
                    url,
                    {**answers, "csrfmiddlewaretoken": token},
                    timeout=30,
                    allow_redirects=False,
                    headers={"Referer": url},
                ),
                lambda r: r.status_code == 302,
            )
            if sent is not None:
                with timings.lock:
                    timings.submitted += 1

        print(
            f"{args.clients} concurrent clients; gunicorn {args.workers} workers x "
            f"{args.threads} threads on loopback; load average {os.getloadavg()[0]:.2f}"
        )
        # Warm the workers on both paths alike (database connections, templates,
        # translation catalogues), so both runs measure a running server.
        run(warm, floor_job)
        run(warm, lambda i, timings, barrier: survey_job(i, timings, barrier, warm_tokens))
        floor_all, survey_all = Timings(), Timings()
        floor_s = survey_s = 0.0
        for n, (tokens, _, _, _) in enumerate(rounds, 1):
            floor_t, f_s = run(args.clients, floor_job)
            survey_t, s_s = run(
                args.clients,
                lambda i, timings, barrier, tokens=tokens: survey_job(i, timings, barrier, tokens),
            )
            print(
                f"run {n}    floor {len(floor_t.latencies) / f_s:6.1f} req/s  survey "
                f"{len(survey_t.latencies) / s_s:6.1f} req/s  ratio "
                f"{len(survey_t.latencies) / s_s / (len(floor_t.latencies) / f_s):.2f}"
            )
            for total, part in ((floor_all, floor_t), (survey_all, survey_t)):
                total.latencies += part.latencies
                total.errors += part.errors
                total.submitted += part.submitted
            floor_s, survey_s = floor_s + f_s, survey_s + s_s
        floor_rate = report("floor", floor_all, floor_s)
        survey_rate = report("survey", survey_all, survey_s)
        from surveys.models import Response

        with tenant_context(tenant_id):
            stored = Response.objects.filter(round_id__in=[r[2] for r in rounds]).count()
        print(f"ratio    survey/floor throughput {survey_rate / floor_rate:.2f} (goal >= 0.33)")
        print(
            f"stored   {stored} responses for {survey_all.submitted} accepted submits "
            f"({'equal' if stored == survey_all.submitted else 'NOT EQUAL'}); "
            f"errors: {sorted(set(survey_all.errors))[:5] or 'none'}; "
            f"load average now {os.getloadavg()[0]:.2f}"
        )
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
