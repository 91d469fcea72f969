"""The generated web process under load, side by side with plain Django, in one run.

On real servers shaped like the add-ons (TLS-only PostgreSQL with
max_connections=20 as on Essential-0, memcached, Redis), with production
settings and the Procfile's web command, wrk measures:

- the home page, against the floor: a bare `startproject` whose one view does
  the same ORM work (the 5 newest pings, the newest heartbeat, the same template)
  over a persistent connection, under sync gunicorn with 2 workers;
- a hello view mounted in each (the overhead of the stack itself);
- the home page at 32 and at 300 clients (overload: no errors, no starvation);
- a view that waits 200 ms on another server (a slow local HTTP server), under
  the generated gevent workers and under sync workers;
- the home page under sync workers too: the generated stack without gevent;
- boot time to the first 200, and the web dyno's memory after the load.

Each pair runs alternately, `--rounds` times, and the table shows medians.
Run it with `make bench` (after `make test` has built .cache/production-venv-*).
"""

import argparse
import asyncio
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

TEMPLATE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(TEMPLATE_DIR))

from tests import heroku, servers  # noqa: E402 (the template's own helpers)
from tests.helpers import found_in, free_port, generate_project, wait_for  # noqa: E402
from tests.venvs import cached_venv_path  # noqa: E402

SLOW_SECONDS = 0.2
BENCH_VIEWS = '''"""Views mounted for benchmarks/web_load.py only."""
import urllib.request

from django.http import HttpResponse


def hello(request):
    return HttpResponse("Hello")


def slow(request):
    with urllib.request.urlopen(SLOW_URL, timeout=10) as answer:
        return HttpResponse(answer.read())
'''
BENCH_URLS = """
from django.urls import path as _path
import bench_views
urlpatterns += [_path("bench/hello/", bench_views.hello), _path("bench/slow/", bench_views.slow)]
"""

# The floor: what `django-admin startproject` gives, plus one app doing the home
# page's ORM work with the same template, and a hello view.
FLOOR_MODELS = """from django.db import models


class Ping(models.Model):
    requested_at = models.DateTimeField(auto_now_add=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-requested_at"]


class PeriodicRun(models.Model):
    job = models.CharField(max_length=100)
    slot = models.DateTimeField()
    ran_at = models.DateTimeField(auto_now_add=True)
    ran_by = models.CharField(max_length=200)

    class Meta:
        ordering = ["-ran_at"]
"""
FLOOR_VIEWS = """from django.http import HttpResponse
from django.shortcuts import render

from .models import PeriodicRun, Ping


def home(request):
    context = {
        "pings": Ping.objects.all()[:5],
        "highlighted_ping": request.GET.get("ping", ""),
        "last_heartbeat": PeriodicRun.objects.filter(job="heartbeat").first(),
    }
    return render(request, "core/home.html", context)


def hello(request):
    return HttpResponse("Hello")
"""
FLOOR_URLS = """from django.contrib import admin
from django.urls import path

from pages import views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", views.home),
    path("pings/", views.hello, name="request-ping"),
    path("health/", views.hello, name="health"),
    path("hello/", views.hello),
]
"""
FLOOR_SETTINGS = """
import os
import dj_database_url
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1"]
INSTALLED_APPS += ["pages"]
# A persistent connection per worker process, as a sync deployment keeps it.
DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"], conn_max_age=None)}
DATABASES["default"]["OPTIONS"] = {"sslmode": "require"}
"""
# The project's Ping is the demo's (core) and its PeriodicRun the platform's
# (groundwork); the floor's app holds both.
SEED = (
    "from django.utils import timezone; from {app}.models import Ping; "
    "from {runs_app}.models import PeriodicRun; "
    "[Ping.objects.create(answered_by='worker.1 pid 1') for _ in range(8)]; "
    "PeriodicRun.objects.create(job='heartbeat', slot=timezone.now(), ran_by='worker.1 pid 1')"
)


@dataclass
class Load:
    """What wrk measured in one run."""

    requests_per_second: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    failures: int  # non-2xx/3xx answers, and connections that failed or timed out

    @classmethod
    def parse(cls, output: str) -> "Load":
        def milliseconds(text: str) -> float:
            value, unit = found_in(r"^([\d.]+)(us|ms|s|m)$", text).groups()
            return float(value) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit]

        rate = float(found_in(r"Requests/sec:\s+([\d.]+)", output).group(1))
        p50 = milliseconds(found_in(r"^\s+50%\s+(\S+)", output, re.M).group(1))
        p99 = milliseconds(found_in(r"^\s+99%\s+(\S+)", output, re.M).group(1))
        latest = milliseconds(found_in(r"Latency\s+\S+\s+\S+\s+(\S+)", output).group(1))
        non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
        socket_errors = re.search(r"Socket errors: (.*)", output)
        errors = (
            sum(int(n) for n in re.findall(r"\d+", socket_errors.group(1))) if socket_errors else 0
        )
        return cls(rate, p50, p99, latest, (int(non_2xx.group(1)) if non_2xx else 0) + errors)


def wrk(url: str, clients: int, seconds: int) -> Load:
    command = [
        "wrk", "-t2", f"-c{clients}", f"-d{seconds}s", "--timeout", "4s", "--latency",
        "-H", "X-Forwarded-Proto: https", url,
    ]  # fmt: skip
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    try:
        return Load.parse(output)
    except AttributeError:
        sys.exit(f"Could not read wrk's output for {url}:\n{output}")


@contextmanager
def slow_server() -> Iterator[str]:
    """A local HTTP server that answers each request after SLOW_SECONDS, however many at once."""
    loop = asyncio.new_event_loop()
    port = free_port()

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        await asyncio.sleep(SLOW_SECONDS)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\nConnection: close\r\n\r\nslow")
        await writer.drain()
        writer.close()

    server = loop.run_until_complete(asyncio.start_server(answer, servers.HOST, port, backlog=1024))
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{servers.HOST}:{port}/"
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join()
        server.close()
        loop.close()


def production_venv() -> Path:
    venv = cached_venv_path("production")
    if not (venv / "installed").exists():
        sys.exit(f"No {venv.name} in .cache/: run `make test` first, which builds it.")
    return venv


def shell(project: Path, venv: Path, config: dict[str, str], code: str) -> None:
    env = {**heroku.dyno_environment(venv, project), **config}
    command = ["python", "manage.py", "shell", "--no-imports", "-c", code]
    subprocess.run(command, cwd=project, env=env, check=True, capture_output=True)


def generated_project(scratch: Path, venv: Path, config: dict[str, str], slow_url: str) -> Path:
    project = generate_project(scratch)
    (project / "bench_views.py").write_text(BENCH_VIEWS.replace("SLOW_URL", repr(slow_url)))
    with (project / "config" / "urls.py").open("a") as urls:
        urls.write(BENCH_URLS)
    heroku.build(project, venv)
    heroku.release(project, venv, config)
    shell(project, venv, config, SEED.format(app="core", runs_app="groundwork"))
    return project


def floor_project(scratch: Path, venv: Path, database: servers.Server, template: Path) -> tuple:
    """The bare startproject, in a database of its own on the same server."""
    url = database.env["DATABASE_URL"]
    psql = servers.postgres_binary("psql")
    create = [psql, f"{url}?sslmode=require", "-c", "CREATE DATABASE floor"]
    subprocess.run(create, check=True, capture_output=True)
    env = {
        **heroku.dyno_environment(venv, scratch),
        "DATABASE_URL": url.rsplit("/", 1)[0] + "/floor",
    }
    scratch.mkdir(parents=True, exist_ok=True)
    django_admin = str(venv / "bin" / "django-admin")
    subprocess.run([django_admin, "startproject", "floor", str(scratch)], check=True)
    pages = scratch / "pages"
    (pages / "templates" / "core").mkdir(parents=True)
    (pages / "__init__.py").touch()
    (pages / "models.py").write_text(FLOOR_MODELS)
    (pages / "views.py").write_text(FLOOR_VIEWS)
    (pages / "templates" / "core" / "home.html").write_text(template.read_text())
    (scratch / "floor" / "urls.py").write_text(FLOOR_URLS)
    with (scratch / "floor" / "settings.py").open("a") as settings:
        settings.write(FLOOR_SETTINGS)
    for command in (["makemigrations", "pages"], ["migrate"]):
        manage = ["python", "manage.py", *command]
        subprocess.run(manage, cwd=scratch, env=env, check=True, capture_output=True)
    shell(scratch, venv, env, SEED.format(app="pages", runs_app="pages"))
    return scratch, env


def start_floor(floor: Path, env: dict[str, str], log: Path) -> heroku.Dyno:
    port = free_port()
    command = ["gunicorn", "--workers", "2", "--bind", f"127.0.0.1:{port}", "floor.wsgi"]
    with log.open("w") as output:
        process = subprocess.Popen(
            command, cwd=floor, env=env, stdout=output, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    dyno = heroku.Dyno(process, log, port)
    wait_for("the floor to answer", lambda: heroku.request(dyno.url, "/hello/")[0] == 200, 60)
    return dyno


def seconds_to_first_200(project: Path, venv: Path, config: dict[str, str], log: Path) -> float:
    config = {**config, "PORT": str(free_port())}
    started = time.monotonic()
    web = heroku.start_dyno(project, venv, config, "web", log)
    try:
        while heroku.request(web.url, "/", timeout=10)[0] != 200:
            if time.monotonic() - started > 60:
                sys.exit(f"The web process did not answer:\n{web.output()}")
            time.sleep(0.01)
        return time.monotonic() - started
    finally:
        web.stop()


def resident_megabytes(pids: list[int]) -> float:
    total_kb = 0
    for pid in pids:
        status = Path(f"/proc/{pid}/status").read_text()
        total_kb += next(
            int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS")
        )
    return total_kb / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=10, help="length of each wrk run")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each row, alternating")
    args = parser.parse_args()
    servers.require_binary("wrk")
    venv = production_venv()
    with tempfile.TemporaryDirectory(prefix="bench-web-") as scratch_dir, ExitStack() as running:
        scratch = Path(scratch_dir)
        database = running.enter_context(servers.postgres(tls=True, max_connections=20))
        cache = running.enter_context(servers.memcached(sasl=True))
        broker = running.enter_context(servers.redis(tls=True))
        slow_url = running.enter_context(slow_server())
        config = heroku.heroku_config(database, cache, broker)
        project = generated_project(scratch / "generated", venv, config, slow_url)
        floor, floor_env = floor_project(
            scratch / "floor", venv, database, project / "core" / "templates" / "core" / "home.html"
        )
        web = heroku.start_web(project, venv, config, scratch / "web.log")
        running.callback(web.stop)
        sync_config = {
            **config,
            "PORT": str(free_port()),
            "GUNICORN_CMD_ARGS": "--worker-class sync",
        }
        sync_web = heroku.start_web(project, venv, sync_config, scratch / "sync.log")
        running.callback(sync_web.stop)
        # A second sync server for the home page: the 200 ms row leaves the first
        # one seconds of queued requests to drain.
        sync_home = heroku.start_web(
            project, venv, {**sync_config, "PORT": str(free_port())}, scratch / "sync-home.log"
        )
        running.callback(sync_home.stop)
        bare = start_floor(floor, floor_env, scratch / "floor.log")
        running.callback(bare.stop)

        rows = {
            HOME: (web.url + "/", 32),
            FLOOR: (bare.url + "/", 32),
            HELLO: (web.url + "/bench/hello/", 32),
            BARE_HELLO: (bare.url + "/hello/", 32),
            HOME_OVERLOAD: (web.url + "/", 300),
            SLOW_GEVENT: (web.url + "/bench/slow/", 100),
            SLOW_SYNC: (sync_web.url + "/bench/slow/", 100),
            HOME_SYNC: (sync_home.url + "/", 32),
        }
        results: dict[str, list[Load]] = {name: [] for name in rows}
        for round_number in range(args.rounds):
            print(f"round {round_number + 1} of {args.rounds}", file=sys.stderr)
            for name, (url, clients) in rows.items():
                results[name].append(wrk(url, clients, args.seconds))
        memory = resident_megabytes(web.processes())
        boots = [
            seconds_to_first_200(project, venv, config, scratch / f"boot{n}.log") for n in range(3)
        ]
    report(results, memory, boots, args)


# The runs, by the names the table prints; the ratios below pair them by name.
HOME = "home page, generated (32 clients)"
FLOOR = "home page, DB floor: startproject, sync (32)"
HELLO = "hello, generated (32)"
BARE_HELLO = "hello, bare startproject, sync (32)"
HOME_OVERLOAD = "home page, generated (300 clients)"
SLOW_GEVENT = "200 ms I/O view, gevent workers (100)"
SLOW_SYNC = "200 ms I/O view, sync workers (100)"
HOME_SYNC = "home page, generated, sync workers (32)"


def median_load(loads: list[Load]) -> Load:
    return Load(
        *(statistics.median(getattr(load, f) for load in loads) for f in Load.__dataclass_fields__)
    )


def report(
    results: dict[str, list[Load]], memory: float, boots: list[float], args: argparse.Namespace
) -> None:
    medians = {name: median_load(loads) for name, loads in results.items()}
    print(f"\nwrk, {args.seconds} s per run, medians of {args.rounds} alternating rounds")
    print("| run | req/s | p50 | p99 | max | failed |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name, load in medians.items():
        cells = (
            f"{load.requests_per_second:.0f}", f"{load.p50_ms:.1f} ms", f"{load.p99_ms:.1f} ms",
            f"{load.max_ms:.0f} ms", f"{load.failures:.0f}",
        )  # fmt: skip
        print(f"| {name} | " + " | ".join(cells) + " |")
    rate = {name: load.requests_per_second for name, load in medians.items()}
    overload = medians[HOME_OVERLOAD]
    rows = [
        ("home page / DB floor", f"{rate[HOME] / rate[FLOOR]:.2f}x", ">= 0.85x"),
        (
            "home page under sync workers / DB floor",
            f"{rate[HOME_SYNC] / rate[FLOOR]:.2f}x",
            "(the stack without gevent)",
        ),
        ("hello / bare startproject", f"{rate[HELLO] / rate[BARE_HELLO]:.2f}x", ">= 0.9x"),
        ("home page, 300 / 32 clients", f"{rate[HOME_OVERLOAD] / rate[HOME]:.2f}x", ">= 0.8x"),
        ("200 ms view, gevent / sync", f"{rate[SLOW_GEVENT] / rate[SLOW_SYNC]:.1f}x", ">= 20x"),
        (
            "300 clients: failed, slowest answer",
            f"{overload.failures:.0f}, {overload.max_ms:.0f} ms",
            "0, <= 4000 ms",
        ),
        ("boot to first 200 (median of 3)", f"{statistics.median(boots):.2f} s", "<= 1 s"),
        ("web dyno memory after the load (RSS, master + workers)", f"{memory:.0f} MB", "<= 200 MB"),
    ]
    print("\n| measure | measured | target |")
    print("| --- | --- | --- |")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
