"""flask jobs worker | clock: the RQ worker and the periodic scanner as their own processes."""
import time

import click
from flask import current_app
from flask.cli import AppGroup

jobs_cli = AppGroup("jobs", help="Background work.")


@jobs_cli.command("worker")
@click.option("--burst", is_flag=True, help="Run queued jobs, then exit.")
@click.option("--fork", is_flag=True, help="Run each job in a forked work horse (isolation at ~0.15 s a job).")
def worker(burst, fork):
    """Work the messages, payments, default and reports queues.

    By default jobs run in the worker process itself: a job here is a few queries and one provider call, and
    forking a work horse per job (which then opens its own database connection) costs more than the job. Work is
    idempotent and claimed in the database, so a worker that dies mid-job loses nothing; run several for more
    throughput."""
    from rq import SimpleWorker, Worker

    import jobs as job_functions

    # The jobs reuse this app and these imports instead of redoing them for every job.
    job_functions.bind_app(current_app._get_current_object())
    job_functions.preload()
    jobs = current_app.extensions["jobs"]
    if not current_app.config["REDIS_URL"]:
        raise click.ClickException("REDIS_URL is not set: without it the worker runs inside the web process.")
    worker_class = Worker if fork else SimpleWorker
    worker_class(list(jobs.queues.values()), connection=jobs.connection).work(burst=burst, with_scheduler=True)


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
