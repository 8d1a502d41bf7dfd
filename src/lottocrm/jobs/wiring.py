from lottocrm.manifest import Command, Domain, Job

DOMAIN = Domain(
    name="jobs",
    models=("lottocrm.jobs.models",),
    commands=(
        Command(
            "worker",
            "lottocrm.cli.worker:worker",
            "Run background jobs until stopped (SIGTERM or Ctrl-C finishes the jobs in hand, then exits).",
        ),
        Command(
            "jobs", "lottocrm.cli.jobs:jobs_app", "Inspect and retry background jobs; list cron schedules."
        ),
    ),
    jobs=(Job("jobs.prune", "lottocrm.jobs.handlers:prune_finished_jobs"),),
)
