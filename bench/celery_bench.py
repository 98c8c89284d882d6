"""Celery throughput of an (almost) empty task on 2 worker processes, with the project's Celery app and
settings (acks_late, prefetch 1) over Redis. Target: at least 300 tasks/s.

The task only increments a Redis counter, so that completion is measured without a result backend:
the clock runs from the first `delay()` until the counter reaches N. Publishing alone is timed too.

    .venv/bin/python -m bench.celery_bench [--tasks 5000] [--redis-db 6]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from celery import shared_task

COUNTER_KEY = "bench:celery:done"


@shared_task(name="bench.celery_bench.empty", ignore_result=True)
def empty() -> None:
    # One INCR (~0.1 ms) so that the benchmark sees completions; nothing else.
    _redis().incr(COUNTER_KEY)


_client = None


def _redis():
    global _client
    if _client is None:
        import redis
        from django.conf import settings

        _client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    return _client


def run(*, tasks: int = 5000, concurrency: int = 2) -> list[dict]:
    """The rows, measured in a fresh process (Django set up with this benchmark's own settings)."""
    from bench.load import stack

    return stack.run_isolated("bench.celery_bench", "--tasks", str(tasks), "--concurrency", str(concurrency))


def measure(*, tasks: int = 5000, redis_db: int | None = None, warmup: int = 200, concurrency: int = 2) -> list[dict]:
    from bench.load import stack

    env = stack.environment(redis_db=redis_db if redis_db is not None else stack.DEFAULT_REDIS_DB)
    os.environ.update({key: env[key] for key in ("DJANGO_SETTINGS_MODULE", "CELERY_BROKER_URL", "PORTAL_VAR_DIR")})
    os.environ.update({key: env[key] for key in ("DJANGO_DEBUG", "DJANGO_SECRET_KEY", "DATABASE_URL")})
    import django

    django.setup()
    from telesante.celery import app

    stack.flush_redis(env)
    worker = stack.start_worker(
        env, concurrency=concurrency, extra=("--include", "bench.celery_bench"), name="celerybench"
    )
    sampler = stack.MemorySampler({"worker": worker.pid}).start()
    client = _redis()
    try:
        # Warm-up: the pool processes import the app and open their connections.
        _drain(empty, client, warmup, timeout=60)
        with app.producer_pool.acquire(block=True) as producer:
            client.set(COUNTER_KEY, 0)
            started = time.perf_counter()
            for _ in range(tasks):
                empty.apply_async(producer=producer)
            published = time.perf_counter()
        finished = _wait_counter(client, tasks, timeout=max(60, tasks / 50))
        done = int(client.get(COUNTER_KEY) or 0)
    finally:
        sampler.stop()
        worker.stop()
    enqueue_rate = tasks / (published - started)
    total = (finished or time.perf_counter()) - started
    rate = done / total
    notes = (
        f"{done}/{tasks} tasks done in {total:.2f} s; publishing alone {enqueue_rate:.0f} msg/s from one process "
        f"({1000 * (published - started) / tasks:.2f} ms per apply_async); worker -c {concurrency} prefork, "
        "acks_late, prefetch 1 (project settings)"
        f"; load average {os.getloadavg()[0]:.1f} at the end"
    )
    return [
        stack.row(
            "celery_empty_task",
            rps=round(rate, 1),
            target="empty task >= 300 tasks/s on 2 worker processes",
            met=done == tasks and rate >= 300,
            notes=notes,
            enqueue_rps=round(enqueue_rate, 1),
            peak_rss_mb=max(sampler.peak_children_mb("worker") or 0, sampler.peak_root_mb("worker") or 0),
        ),
    ]


def _drain(task, client, count: int, *, timeout: float) -> None:
    client.set(COUNTER_KEY, 0)
    for _ in range(count):
        task.delay()
    if _wait_counter(client, count, timeout=timeout) is None:
        raise RuntimeError("The worker did not run the warm-up tasks; see its log")


def _wait_counter(client, count: int, *, timeout: float) -> float | None:
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if int(client.get(COUNTER_KEY) or 0) >= count:
            return time.perf_counter()
        time.sleep(0.01)
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", type=int, default=5000)
    parser.add_argument("--redis-db", type=int, default=None)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--here", action="store_true", help=argparse.SUPPRESS)  # always in this process
    args = parser.parse_args()
    print(json.dumps(measure(tasks=args.tasks, redis_db=args.redis_db, concurrency=args.concurrency), indent=2))


if __name__ == "__main__":
    main()
