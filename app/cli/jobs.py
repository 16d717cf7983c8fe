"""flask jobs worker | clock: the RQ worker and the periodic scanner as their own processes."""
import time

import click
from flask import current_app
from flask.cli import AppGroup

jobs_cli = AppGroup("jobs", help="Background work.")


@jobs_cli.command("worker")
@click.option("--burst", is_flag=True, help="Run queued jobs, then exit.")
def worker(burst):
    """Work the messages, payments, default and reports queues."""
    from rq import Worker

    import jobs as job_functions

    # Forked work horses inherit this app instead of building one per job.
    job_functions.bind_app(current_app._get_current_object())
    jobs = current_app.extensions["jobs"]
    if not current_app.config["REDIS_URL"]:
        raise click.ClickException("REDIS_URL is not set: without it the worker runs inside the web process.")
    Worker(list(jobs.queues.values()), connection=jobs.connection).work(burst=burst, with_scheduler=True)


@jobs_cli.command("clock")
@click.option("--once", is_flag=True, help="One scan, then exit.")
def clock(once):
    """Scan the database for due work every few seconds and enqueue it."""
    from jobs.clock import tick

    interval = current_app.config["CLOCK_INTERVAL_SECONDS"]
    while True:
        tick(current_app._get_current_object())
        if once:
            return
        time.sleep(interval)
