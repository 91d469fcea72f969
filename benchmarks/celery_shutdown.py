"""What happens to running tasks when Heroku stops a worker dyno, per Celery pool.

Heroku sends SIGTERM to every process of a dyno, then SIGKILL 30 s later. This
starts a generated project's worker with each pool, side by side in one run,
gives it tasks that take a few seconds, sends SIGTERM to its whole process group
as Heroku does, and prints a table: how many running tasks finished, how long
the worker took to exit, and how much memory it used.

Run it with `make bench` (after `make test` has built .cache/project-venv-*).
"""

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from cookiecutter.main import cookiecutter

TEMPLATE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(TEMPLATE_DIR))

from tests.processes import live_processes_in_group  # noqa: E402
from tests.venvs import cached_venv_path  # noqa: E402 (the template's own helpers)

POOLS = ("prefork", "threads")
TASKS = 4
TASK_SECONDS = 5
SIGKILL_AFTER = 30  # Heroku's shutdown window

SLOW_TASK = f"""

@shared_task
def nap(marker: str) -> None:
    import time
    from pathlib import Path

    time.sleep({TASK_SECONDS})
    Path(marker).touch()
"""


def project_venv() -> Path:
    venv = cached_venv_path("project")
    if not (venv / "installed").exists():
        sys.exit(f"No {venv.name} in .cache/: run `make test` first, which builds it.")
    return venv


def generate(scratch: Path) -> Path:
    folder = cookiecutter(
        str(TEMPLATE_DIR), no_input=True, output_dir=str(scratch),
        extra_context={"post_gen_checks": "none"},
    )  # fmt: skip
    project = Path(folder)
    with (project / "core" / "tasks.py").open("a") as tasks:
        tasks.write(SLOW_TASK)
    return project


def resident_megabytes(pids: list[int]) -> float:
    total_kb = 0
    for pid in pids:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        total_kb += next(
            int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS")
        )
    return total_kb / 1024


def wait_until(condition: Callable[[], bool], deadline_seconds: float) -> bool:
    deadline = time.monotonic() + deadline_seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def measure(pool: str, scratch: Path, venv: Path) -> dict:
    """One worker with `pool`, in a project of its own: a worker stopped mid-task
    leaves its tasks queued again (acks_late), which must not reach the next."""
    project = generate(scratch / pool)
    markers = scratch / pool / "finished"
    markers.mkdir()
    env_file = dict(
        line.split("=", 1)
        for line in (project / ".env").read_text().splitlines()
        if line and not line.startswith("#")
    )
    path = f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}"
    env = {**os.environ, **env_file, "PATH": path, "CELERY_WORKER_POOL": pool}
    log = project / "worker.log"
    command = ["celery", "--app", "config", "worker", "--loglevel", "INFO"]
    command += ["--concurrency", str(TASKS)]
    with log.open("w") as output:
        worker = subprocess.Popen(
            command, cwd=project, env=env, stdout=output, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    if not wait_until(lambda: "ready." in log.read_text(), 60):
        sys.exit(f"The {pool} worker did not start:\n{log.read_text()}")
    if f"({'thread' if pool == 'threads' else pool})" not in log.read_text():
        sys.exit(f"The worker did not use the {pool} pool:\n{log.read_text()}")
    enqueue = (
        "from core.tasks import nap\n"
        f"for n in range({TASKS}): nap.delay('{markers}/{pool}-' + str(n))"
    )
    subprocess.run(["python", "manage.py", "shell", "--no-imports", "-c", enqueue],
                   cwd=project, env=env, check=True, capture_output=True)  # fmt: skip
    started = wait_until(lambda: log.read_text().count("received") >= TASKS, 30)
    time.sleep(1)  # every task is now well into its sleep
    memory = resident_megabytes(live_processes_in_group(worker.pid))

    stopping = time.monotonic()
    os.killpg(worker.pid, signal.SIGTERM)
    exited = wait_until(lambda: not live_processes_in_group(worker.pid), SIGKILL_AFTER)
    took = time.monotonic() - stopping
    if not exited:
        os.killpg(worker.pid, signal.SIGKILL)
    worker.wait()
    finished = len(list(markers.glob(f"{pool}-*")))
    return {
        "pool": pool,
        "started": TASKS if started else "?",
        "finished": finished,
        "exit": f"{took:.1f} s" if exited else f"SIGKILL at {SIGKILL_AFTER} s",
        "rss": f"{memory:.0f} MB",
    }


def main() -> None:
    venv = project_venv()
    with tempfile.TemporaryDirectory(prefix="bench-") as scratch:
        rows = [measure(pool, Path(scratch), venv) for pool in POOLS]

    print(
        f"\n{TASKS} tasks of {TASK_SECONDS} s running, then SIGTERM to the worker's process group"
    )
    print("Memory: RSS summed over the worker's processes (pages a fork shares count in each).")
    print("| pool | tasks started | finished after SIGTERM | worker exited | memory (RSS) |")
    print("| --- | --- | --- | --- | --- |")
    for row in rows:
        cells = (row["pool"], row["started"], row["finished"], row["exit"], row["rss"])
        print("| " + " | ".join(str(cell) for cell in cells) + " |")


if __name__ == "__main__":
    main()
