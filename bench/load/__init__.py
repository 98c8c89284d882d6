"""The load test (locust) and the helpers the worker, PDF and memory benchmarks share."""


def run(**options) -> list[dict]:
    """The load test's rows (bench/run.py merges them); see runner.run for the options."""
    from .runner import run as load_run

    return load_run(**options)
