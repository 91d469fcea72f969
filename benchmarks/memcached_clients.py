"""What a memcached client per request costs, against SASL memcached (as MemCachier).

Django keeps one cache object, and so one pylibmc client, per thread, which under
gevent means per greenlet: per request. This times one cache read in each way,
side by side in one run, and prints a table:
- a new client for every read (what each new greenlet gets from Django's
  PyLibMCCache: connect, SASL login);
- one client reused for every read (the floor);
- the generated project's SharedPyLibMCCache, with a new cache object for every
  read as each request gets, borrowing from the process's shared clients.

Run it with `make bench` (after `make test` has built .cache/project-venv-*).
"""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

TEMPLATE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(TEMPLATE_DIR))

from tests import servers  # noqa: E402 (the template's own server fixtures)
from tests.helpers import generate_project  # noqa: E402
from tests.venvs import cached_venv_path  # noqa: E402

READS = 300

TIMING = """
import os, statistics, time
import django
from django.conf import settings
settings.configure(INSTALLED_APPS=["core"], CACHES={"default": {
    "BACKEND": "django.core.cache.backends.memcached.PyLibMCCache",
    "LOCATION": [os.environ["MEMCACHIER_SERVERS"]],
    "OPTIONS": {"binary": True, "username": os.environ["MEMCACHIER_USERNAME"],
                "password": os.environ["MEMCACHIER_PASSWORD"]},
}})
django.setup()
from django.core.cache.backends.memcached import PyLibMCCache

def new_cache():
    return PyLibMCCache(settings.CACHES["default"]["LOCATION"],
                        {"OPTIONS": settings.CACHES["default"]["OPTIONS"]})

shared = new_cache()
shared.set("key", "value")

def timed(read):
    samples = []
    for _ in range(READS):
        start = time.perf_counter()
        assert read() == "value"
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95)]

from groundwork.cache import SharedPyLibMCCache

def new_shared_cache():
    options = {**settings.CACHES["default"]["OPTIONS"], "retry_after": 30}
    return SharedPyLibMCCache(settings.CACHES["default"]["LOCATION"], {"OPTIONS": options})

one_shared = new_shared_cache()
reused = timed(lambda: shared.get("key"))
per_request = timed(lambda: new_cache().get("key"))
project_reused = timed(lambda: one_shared.get("key"))
project = timed(lambda: new_shared_cache().get("key"))
rows = (
    ("PyLibMCCache, one cache object (a sync worker's thread)", reused),
    ("PyLibMCCache, a new cache object per read (each gevent request)", per_request),
    ("SharedPyLibMCCache, one cache object", project_reused),
    ("SharedPyLibMCCache, a new cache object per read (each gevent request)", project),
)
for name, (median, p95) in rows:
    print(f"| {name} | {median:.3f} ms | {p95:.3f} ms |")
ratio = per_request[0] / project[0]
print(f"| per gevent request: PyLibMCCache / SharedPyLibMCCache | {ratio:.1f}x | |")
""".replace("READS", str(READS))


def project_venv() -> Path:
    venv = cached_venv_path("project")
    if not (venv / "installed").exists():
        sys.exit(f"No {venv.name} in .cache/: run `make test` first, which builds it.")
    return venv


def main() -> None:
    python = project_venv() / "bin" / "python"
    with tempfile.TemporaryDirectory() as scratch, servers.memcached(sasl=True) as memcached:
        project = generate_project(Path(scratch))
        env = {
            **os.environ,
            **memcached.env,
            "SASL_PATH": "/usr/lib/x86_64-linux-gnu/sasl2",
        }
        result = subprocess.run(
            [str(python), "-c", TIMING], cwd=project, env=env, capture_output=True, text=True,
            check=False,
        )  # fmt: skip
    if result.returncode != 0:
        sys.exit(result.stderr)
    print(f"\n{READS} reads of one key from SASL memcached on loopback")
    print("| client | median | 95th percentile |")
    print("| --- | --- | --- |")
    print(result.stdout, end="")


if __name__ == "__main__":
    main()
