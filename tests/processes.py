"""Looking at and stopping the process trees that honcho and make start."""

import contextlib
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
    return live_processes_in_groups({group})


def live_processes_in_groups(groups: set[int]) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            state, _, pgrp = stat_fields(entry.name)[:3]
        except (FileNotFoundError, ProcessLookupError):
            continue
        if int(pgrp) in groups and state != "Z":
            found.append(int(entry.name))
    return found


def process_tree(pid: int) -> list[int]:
    """The process and all its descendants still alive (PostgreSQL's postmaster
    and every backend and helper it started)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):  # a process that has just ended
                children.setdefault(int(stat_fields(entry.name)[1]), []).append(int(entry.name))
    tree, waiting = [], [pid]
    while waiting:
        tree.append(waiting.pop())
        waiting.extend(children.get(tree[-1], []))
    return tree


def ancestry(pid: int) -> list[int]:
    chain = [pid]
    while chain[-1] > 1:
        chain.append(parent_of(chain[-1]))
    return chain


def pid_in(answered_by: str) -> int:
    match = re.search(r" pid (\d+)$", answered_by)
    assert match, f"no process id in {answered_by!r}"
    return int(match.group(1))


def formation_groups(group: int) -> set[int]:
    """The process groups of a honcho formation (`make demo`'s, the Heroku-like
    test's): the group honcho runs in, and one per dyno, since honcho starts each
    Procfile process in a session of its own, as Heroku runs each dyno apart."""
    honcho = set(live_processes_in_group(group))
    dynos = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):  # a process that has just ended
                _, parent, own_group = stat_fields(entry.name)[:3]
                if int(parent) in honcho and int(own_group) == int(entry.name):
                    dynos.add(int(entry.name))
    return {group, *dynos}


def sigterm_the_dynos(groups: set[int], honcho_group: int) -> None:
    """SIGTERM to each dyno's whole group, as Heroku sends it; not to honcho, which
    stands in for Heroku's dyno manager and stops once its dynos have. (Signalled
    itself, honcho 2.0 prints from its handler: a SIGTERM that lands while it prints
    a line crashes it, "reentrant call inside BufferedWriter", and leaves its process
    managers waiting forever for it to read their last lines.)"""
    for dyno in groups - {honcho_group}:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(dyno, signal.SIGTERM)


def stop_formation(process: subprocess.Popen) -> None:
    """SIGTERM to the dynos of the formation `process` leads; SIGKILL to all of it
    if anything outlives Heroku's window."""
    groups = formation_groups(process.pid)
    sigterm_the_dynos(groups, process.pid)
    end_within_the_window(groups, [process])


def stop_process_groups(processes: list[subprocess.Popen]) -> None:
    """SIGTERM to each whole group, as Heroku does to a dyno, all at the start, so
    that they stop side by side; SIGKILL to what outlives the window."""
    groups = {process.pid for process in processes}
    for group in groups:
        if live_processes_in_group(group):
            os.killpg(group, signal.SIGTERM)
    end_within_the_window(groups, processes)


def left_after_the_window(groups: set[int], started: float) -> list[int]:
    """Wait until no process of `groups` runs, or Heroku's window since `started`
    has passed; what still runs then."""
    deadline = started + SHUTDOWN_WINDOW
    while (left := live_processes_in_groups(groups)) and time.monotonic() < deadline:
        time.sleep(0.25)
    return left


def end_within_the_window(groups: set[int], processes: list[subprocess.Popen]) -> None:
    """Wait for every process of `groups` to end, SIGKILL what outlives Heroku's
    window, and reap `processes`."""
    if left_after_the_window(groups, time.monotonic()):
        for group in groups:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(group, signal.SIGKILL)
    for process in processes:
        process.wait()


def honcho_pids(log: str, process_type: str) -> list[int]:
    """The pids honcho reported for each `process_type`.N it started."""
    return [int(pid) for pid in re.findall(rf"{process_type}\.\d+ started \(pid=(\d+)\)", log)]


def seconds_to_stop_on_sigterm(group: int) -> float:
    """SIGTERM to every process of the formation's dynos, as Heroku sends it; the
    seconds until nothing of the group runs (the test fails past Heroku's window)."""
    groups = formation_groups(group)
    started = time.monotonic()
    sigterm_the_dynos(groups, group)
    still_running = [command_line(pid) for pid in left_after_the_window(groups, started)]
    assert not still_running, f"still running {SHUTDOWN_WINDOW} s after SIGTERM: {still_running}"
    return time.monotonic() - started


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
    except OSError:
        return f"pid {pid} (gone)"
