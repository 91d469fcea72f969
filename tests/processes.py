"""Looking at and stopping the process trees that honcho and make start."""

import os
import re
import signal
import subprocess
import time
from pathlib import Path

# Heroku sends SIGKILL this many seconds after SIGTERM.
SHUTDOWN_WINDOW = 30


def stat_fields(pid: int | str) -> list[str]:
    """/proc/PID/stat after the name: state, ppid, pgrp, ... (the name may hold spaces)."""
    return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()


def parent_of(pid: int) -> int:
    return int(stat_fields(pid)[1])


def live_processes_in_group(group: int) -> list[int]:
    """Processes of the group still running (zombies, already exited, do not count)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            state, _, pgrp = stat_fields(entry.name)[:3]
        except (FileNotFoundError, ProcessLookupError):
            continue
        if int(pgrp) == group and state != "Z":
            found.append(int(entry.name))
    return found


def ancestry(pid: int) -> list[int]:
    chain = [pid]
    while chain[-1] > 1:
        chain.append(parent_of(chain[-1]))
    return chain


def pid_in(answered_by: str) -> int:
    match = re.search(r" pid (\d+)$", answered_by)
    assert match, f"no process id in {answered_by!r}"
    return int(match.group(1))


def stop_process_group(process: subprocess.Popen) -> None:
    """SIGTERM to the whole group, as Heroku does to a dyno; SIGKILL what outlives the window."""
    stop_process_groups([process])


def stop_process_groups(processes: list[subprocess.Popen]) -> None:
    """stop_process_group for several groups at once, as Heroku stops an app's
    dynos: each gets its SIGTERM at the start, so they stop side by side."""
    groups = [process.pid for process in processes]
    for group in groups:
        if live_processes_in_group(group):
            os.killpg(group, signal.SIGTERM)
    deadline = time.monotonic() + SHUTDOWN_WINDOW
    while any(live_processes_in_group(group) for group in groups) and time.monotonic() < deadline:
        time.sleep(0.25)
    for group in groups:
        if live_processes_in_group(group):
            os.killpg(group, signal.SIGKILL)
    for process in processes:
        process.wait()


def honcho_pids(log: str, process_type: str) -> list[int]:
    """The pids honcho reported for each `process_type`.N it started."""
    return [int(pid) for pid in re.findall(rf"{process_type}\.\d+ started \(pid=(\d+)\)", log)]


def seconds_to_stop_on_sigterm(group: int) -> float:
    """SIGTERM to every process of the group, as Heroku does to a dyno; the seconds
    until none of it runs (the test fails past Heroku's window)."""
    started = time.monotonic()
    os.killpg(group, signal.SIGTERM)
    deadline = started + SHUTDOWN_WINDOW
    while live_processes_in_group(group) and time.monotonic() < deadline:
        time.sleep(0.25)
    still_running = [command_line(pid) for pid in live_processes_in_group(group)]
    assert not still_running, f"still running {SHUTDOWN_WINDOW} s after SIGTERM: {still_running}"
    return time.monotonic() - started


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
    except OSError:
        return f"pid {pid} (gone)"
