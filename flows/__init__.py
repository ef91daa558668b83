"""Prefect flows: the shell that runs sweeps, dispatch and deadlines on a schedule.

No rules and no SQL here: each task wraps one `casework.service` (or `notifications`) call.
Deployments and schedules are in `prefect.yaml`; docs/orchestration.md explains how to run them.
Import `flows.runtime.configure_prefect_env` first in any new entrypoint.
"""
