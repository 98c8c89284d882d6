"""Print the SQL of one request of each scenario, in-process (Django's test client), for EXPLAIN work.

.venv/bin/python bench/queries.py [--database telesante_bench] [scenario ...]
"""

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import generate  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", default=os.environ.get("BENCH_DATABASE", "telesante_bench"))
    parser.add_argument("--full", action="store_true", help="print each query whole")
    parser.add_argument("--explain", type=int, default=0, help="EXPLAIN (ANALYZE, BUFFERS) the N slowest SELECTs")
    parser.add_argument("names", nargs="*")
    args = parser.parse_args()
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    generate.configure_django(args.database)
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from bench import run

    meta = generate.dataset_state(args.database)
    people = run.credentials(args.database, meta)
    for scenario in run.scenarios(meta, people):
        if args.names and scenario["scenario"] not in args.names:
            continue
        method, path, headers, body = scenario["requests"][0]
        if scenario.get("booking"):
            body = body % "2039-01-01T15:00:00Z"
        client = Client(HTTP_HOST="127.0.0.1")
        cookie = headers.get("Cookie")
        if cookie:
            client.cookies["sessionid"] = cookie.split("=", 1)[1]
        extra = {"HTTP_AUTHORIZATION": headers["Authorization"]} if "Authorization" in headers else {}
        with CaptureQueriesContext(connection) as captured:
            if method == "GET":
                response = client.get(path, **extra)
            else:
                response = client.post(path, data=body, content_type="application/json", **extra)
        print(f"== {scenario['scenario']}: HTTP {response.status_code}, {len(captured)} queries")
        for query in captured.captured_queries:
            sql = query["sql"] if args.full else query["sql"][:300]
            print(f"  [{query['time']}s] {sql}")
        selects = [
            q for q in captured.captured_queries if q["sql"].startswith("SELECT") and "django_session" not in q["sql"]
        ]
        for query in sorted(selects, key=lambda q: -float(q["time"]))[: args.explain]:
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + query["sql"])
                plan = "\n".join(row[0] for row in cursor.fetchall())
            print(f"\n```sql\n{query['sql']}\n```\n```\n{plan}\n```\n")


if __name__ == "__main__":
    main()
