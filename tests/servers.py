"""Real servers for the integration tests, configured the way Heroku's add-ons are.

Each server starts from its installed binary on 127.0.0.1 and a free port, in a
temporary directory; mirakuru starts it, polls its port until it answers (or its
timeout passes) and stops it by PID. A missing binary skips the test locally and
fails it in CI, where .ci/run installs every server.

The maintained per-server plugins do not fit here: pytest-postgresql runs the
server as the current user, and PostgreSQL refuses to run as root, which is what
these machines are; pytest-redis cannot start a TLS-only server.
"""

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import pytest
from mirakuru import TCPExecutor

from .helpers import free_port, run, wait_for
from .processes import process_tree, stat_fields

HOST = "127.0.0.1"
USER = "skel"
PASSWORD = "integration-only-password"  # noqa: S105 (a throwaway server's password)
START_TIMEOUT_SECONDS = 60


@dataclass(frozen=True)
class Server:
    """A running server, the config vars its Heroku add-on would set, and the faults
    an add-on can have: a hang (the process stops answering but keeps its
    connections) and a restart (every connection is cut)."""

    name: str
    port: int
    env: dict[str, str] = field(default_factory=dict)
    executor: TCPExecutor | None = field(default=None, compare=False, repr=False)
    # The server's own process id, when the executor runs it through a wrapper.
    read_pid: Callable[[], int] | None = field(default=None, compare=False, repr=False)
    # The signal that ends the server and every session at once.
    restart_signal: int = signal.SIGTERM

    @property
    def pid(self) -> int:
        if self.read_pid is not None:
            return self.read_pid()
        assert self.executor is not None and self.executor.process is not None
        return self.executor.process.pid

    def pause(self) -> None:
        """Hang: the kernel still accepts connections, nobody answers them, on new
        connections or on those already open (every process of the server stops:
        PostgreSQL serves each session from a process of its own)."""
        signal_tree(self.pid, signal.SIGSTOP)
        wrapper = self.wrapper_pid()
        if wrapper is not None:
            # runuser stops itself when its child stops, and continues the child
            # when it is continued: wait for that, so that resume() meets it stopped.
            wait_for("runuser to stop", lambda: process_state(wrapper) == "T", 5)

    def resume(self) -> None:
        signal_tree(self.pid, signal.SIGCONT)
        wrapper = self.wrapper_pid()
        if wrapper is not None:
            os.kill(wrapper, signal.SIGCONT)

    def wrapper_pid(self) -> int | None:
        """The process that started the server for us (runuser), if not the server."""
        if self.executor is None or self.executor.process is None:
            return None
        started = self.executor.process.pid
        return started if started != self.pid else None

    @contextmanager
    def hung(self) -> Iterator[None]:
        """The server hung (paused) for the duration of the block."""
        self.pause()
        try:
            yield
        finally:
            self.resume()

    @contextmanager
    def down(self) -> Iterator[None]:
        """The server stopped (every connection cut, new ones refused) for the
        duration of the block, then started again on its port."""
        assert self.executor is not None
        self.executor.stop(stop_signal=self.restart_signal)
        try:
            yield
        finally:
            self.executor.start()


def signal_tree(pid: int, number: int) -> None:
    for member in process_tree(pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(member, number)


def process_state(pid: int) -> str:
    return stat_fields(pid)[0]


# Every skip for a missing server says this; the run's summary repeats the fix once.
MISSING_SERVER_HINT = "server not installed"


def require_binary(path_or_name: str) -> str:
    """The binary's path; skip (locally) or fail (in CI) when it is not installed."""
    found = shutil.which(path_or_name)
    if found:
        return found
    reason = f"{path_or_name} is not installed"
    if os.environ.get("CI"):
        pytest.fail(f"{reason}: .ci/run should have installed it")
    pytest.skip(f"{reason} ({MISSING_SERVER_HINT})")


def postgres_binary(name: str) -> str:
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
    return require_binary(str(versions[-1] / name) if versions else name)


@contextmanager
def scratch_directory(owner: str | None = None) -> Iterator[Path]:
    """A temporary directory, given to `owner` when running as root."""
    directory = Path(tempfile.mkdtemp(prefix="skel-server-"))
    try:
        if owner and os.geteuid() == 0:
            shutil.chown(directory, owner, owner)
        yield directory
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def as_user(user: str, command: list[str]) -> list[str]:
    """Run `command` as `user` when we are root (PostgreSQL refuses to run as root)."""
    if os.geteuid() != 0:
        return command
    return [require_binary("runuser"), "-u", user, "--", *command]


def self_signed_certificate(directory: Path, owner: str | None = None) -> tuple[Path, Path]:
    """A throwaway certificate for 127.0.0.1, as self-signed as Heroku's Redis one."""
    cert, key = directory / "server.crt", directory / "server.key"
    subprocess.run(
        [
            require_binary("openssl"), "req", "-x509", "-newkey", "rsa:2048", "-nodes",
            "-days", "1", "-subj", "/CN=localhost", "-addext", f"subjectAltName=IP:{HOST}",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    key.chmod(0o600)
    if owner and os.geteuid() == 0:
        for path in (cert, key):
            shutil.chown(path, owner, owner)
    return cert, key


@contextmanager
def running(executor: TCPExecutor) -> Iterator[TCPExecutor]:
    executor.start()
    try:
        yield executor
    finally:
        executor.stop()


def log_file(directory: Path, name: str) -> TextIO:
    """Where the server's output goes: a pipe nobody reads would fill up and block it."""
    return (directory / f"{name}.log").open("w")


@contextmanager
def logged_server(
    command: list[str], directory: Path, name: str, port: int, **options: Any
) -> Iterator[TCPExecutor]:
    """The server started from `command`, up once it accepts connections on `port`,
    its output in `directory`/`name`.log; stopped as the block ends."""
    with log_file(directory, name) as log:
        executor = TCPExecutor(
            command, host=HOST, port=port, timeout=START_TIMEOUT_SECONDS,
            stdout=log, stderr=subprocess.STDOUT, **options,
        )  # fmt: skip
        with running(executor):
            yield executor


# POSTGRESQL: Heroku Postgres requires TLS
# ------------------------------------------------------------------------------
def create_database(createdb: list[str], env: dict[str, str]) -> None:
    """PostgreSQL accepts TCP connections (what the executor waits for) before it
    accepts sessions: until then createdb hears "the database system is starting
    up". Try again until it is up, within the start deadline."""
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while True:
        result = subprocess.run(createdb, capture_output=True, text=True, env=env, check=False)
        if result.returncode == 0:
            return
        if "starting up" not in result.stderr or time.monotonic() > deadline:
            raise RuntimeError(f"createdb failed: {result.stderr.strip()}")
        time.sleep(0.1)


@contextmanager
def postgres(*, tls: bool, max_connections: int = 100) -> Iterator[Server]:
    """PostgreSQL, TLS-only if `tls`. Heroku Postgres Essential-0 allows 20
    connections; max_connections=20 reproduces it (3 of them stay reserved for
    superusers, as on any PostgreSQL)."""
    initdb, postgres_bin = postgres_binary("initdb"), postgres_binary("postgres")
    createdb = postgres_binary("createdb")
    with scratch_directory(owner="postgres") as directory:
        data = directory / "data"
        password_file = directory / "password"
        password_file.write_text(PASSWORD)
        if os.geteuid() == 0:
            shutil.chown(password_file, "postgres", "postgres")
        initdb_command = [initdb, "-D", str(data), "-U", USER, "--auth=scram-sha-256"]
        subprocess.run(
            as_user("postgres", [*initdb_command, f"--pwfile={password_file}"]),
            check=True,
            capture_output=True,
        )
        # Only the connection type we mean to test is accepted: with TLS, a
        # client that does not ask for it is turned away.
        connection_type = "hostssl" if tls else "host"
        (data / "pg_hba.conf").write_text(f"{connection_type} all all {HOST}/32 scram-sha-256\n")
        port = free_port()
        command = [
            postgres_bin, "-D", str(data), "-p", str(port), "-k", str(directory),
            "-c", f"listen_addresses={HOST}", "-c", "fsync=off",
            "-c", f"max_connections={max_connections}",
        ]  # fmt: skip
        if tls:
            cert, key = self_signed_certificate(directory, owner="postgres")
            command += ["-c", "ssl=on", "-c", f"ssl_cert_file={cert}", "-c", f"ssl_key_file={key}"]
        # Stopped by a fast shutdown (SIGINT): the default, smart one (SIGTERM)
        # took 2 s, a dozen times a run, to shut down a server about to be deleted.
        with logged_server(
            as_user("postgres", command), directory, "postgres", port, stop_signal=signal.SIGINT
        ) as executor:
            client_env = {
                **os.environ,
                "PGPASSWORD": PASSWORD,
                "PGSSLMODE": "require" if tls else "disable",
            }
            create_database([createdb, "-h", HOST, "-p", str(port), "-U", USER, "site"], client_env)
            url = f"postgres://{USER}:{PASSWORD}@{HOST}:{port}/site"
            yield Server(
                    "postgres-tls" if tls else "postgres", port, {"DATABASE_URL": url},
                    executor=executor,
                    # The executor runs runuser; the server's pid is in its data folder.
                    read_pid=lambda: int((data / "postmaster.pid").read_text().split()[0]),
                    # Fast shutdown: ends every session at once, as a maintenance restart does.
                    restart_signal=signal.SIGINT,
                )  # fmt: skip


# MEMCACHED: MemCachier requires SASL
# ------------------------------------------------------------------------------
@contextmanager
def memcached(*, sasl: bool) -> Iterator[Server]:
    binary = require_binary("memcached")
    with scratch_directory() as directory:
        port = free_port()
        command = [binary, "-l", HOST, "-p", str(port), "-U", "0"]
        if os.geteuid() == 0:
            command += ["-u", "root"]
        env = {"MEMCACHE_SERVERS": f"{HOST}:{port}"}
        server_env = dict(os.environ)
        if sasl:
            server_env["SASL_CONF_PATH"] = str(write_sasl_database(directory))
            command.append("-S")
            env = {
                "MEMCACHIER_SERVERS": f"{HOST}:{port}",
                "MEMCACHIER_USERNAME": USER,
                "MEMCACHIER_PASSWORD": PASSWORD,
            }
        with logged_server(command, directory, "memcached", port, envvars=server_env) as executor:
            yield Server("memcached-sasl" if sasl else "memcached", port, env, executor)


def require_sasl_capable_pylibmc(venv: Path) -> None:
    """Skip (locally) or fail (in CI) a test that logs in to memcached with SASL
    when the virtualenv's pylibmc carries the libmemcached whose login is luck."""
    version = run(
        [str(venv / "bin" / "python"), "-c", "import pylibmc; print(pylibmc.libmemcached_version)"],
        cwd=venv,
    ).stdout.strip()
    if not version.startswith("1.0."):
        return
    reason = (
        f"pylibmc here bundles libmemcached {version}, whose SASL login fails at random; "
        "install libmemcached's headers (apt-get install libmemcached-dev, as .ci/run does) "
        "so that pylibmc is built against libmemcached 1.1"
    )
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


def write_sasl_database(directory: Path) -> Path:
    """A SASL user database and the config memcached reads it through."""
    database = directory / "sasldb2"
    subprocess.run(
        [require_binary("saslpasswd2"), "-p", "-a", "memcached", "-c", "-f", str(database), USER],
        input=PASSWORD,
        text=True,
        check=True,
        capture_output=True,
    )
    (directory / "memcached.conf").write_text(f"mech_list: plain\nsasldb_path: {database}\n")
    return directory


# REDIS: Heroku Key-Value Store hands over a rediss:// URL to a self-signed server
# ------------------------------------------------------------------------------
@contextmanager
def redis(*, tls: bool) -> Iterator[Server]:
    binary = require_binary("redis-server")
    with scratch_directory() as directory:
        port = free_port()
        command = [
            binary, "--bind", HOST, "--requirepass", PASSWORD, "--dir", str(directory),
            "--save", "", "--appendonly", "no",
        ]  # fmt: skip
        if tls:
            cert, key = self_signed_certificate(directory)
            command += [
                "--port", "0", "--tls-port", str(port), "--tls-cert-file", str(cert),
                "--tls-key-file", str(key), "--tls-ca-cert-file", str(cert),
                "--tls-auth-clients", "no",
            ]  # fmt: skip
        else:
            command += ["--port", str(port)]
        scheme = "rediss" if tls else "redis"
        with logged_server(command, directory, "redis", port) as executor:
            url = f"{scheme}://:{PASSWORD}@{HOST}:{port}"
            yield Server("redis-tls" if tls else "redis", port, {"REDIS_URL": url}, executor)


# RABBITMQ: what CloudAMQP provides
# ------------------------------------------------------------------------------
@contextmanager
def rabbitmq() -> Iterator[Server]:
    server = require_binary("/usr/lib/rabbitmq/bin/rabbitmq-server")
    epmd = shutil.which("epmd") or erlang_epmd()
    with scratch_directory() as directory:
        port, epmd_port, distribution_port = free_port(), free_port(), free_port()
        # Erlang's port mapper would otherwise daemonize and outlive the test:
        # start it here, in the foreground, so it is stopped by PID too.
        epmd_executor = TCPExecutor(
            [epmd, "-port", str(epmd_port), "-address", HOST], host=HOST, port=epmd_port,
            timeout=START_TIMEOUT_SECONDS,
        )  # fmt: skip
        server_env = {
            "HOME": str(directory),  # where Erlang keeps its cookie
            "RABBITMQ_NODENAME": f"skel{port}@localhost",
            "RABBITMQ_NODE_IP_ADDRESS": HOST,
            "RABBITMQ_NODE_PORT": str(port),
            "RABBITMQ_DIST_PORT": str(distribution_port),
            "ERL_EPMD_PORT": str(epmd_port),
            "RABBITMQ_MNESIA_BASE": str(directory / "mnesia"),
            "RABBITMQ_LOG_BASE": str(directory / "log"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(directory / "enabled_plugins"),
            "RABBITMQ_CONFIG_FILE": str(directory / "rabbitmq"),
            "RABBITMQ_CONF_ENV_FILE": str(directory / "rabbitmq-env.conf"),
            "RABBITMQ_PID_FILE": str(directory / "rabbitmq.pid"),
        }
        with (
            running(epmd_executor),
            logged_server(
                [server], directory, "rabbitmq", port, envvars=server_env, cwd=str(directory)
            ) as executor,
        ):
            # The default guest user may connect from loopback; vhost "/".
            url = f"amqp://guest:guest@{HOST}:{port}//"
            yield Server("rabbitmq", port, {"CLOUDAMQP_URL": url}, executor)


def erlang_epmd() -> str:
    found = sorted(Path("/usr/lib/erlang").glob("erts-*/bin/epmd"))
    return require_binary(str(found[-1]) if found else "epmd")


# SMTP: what a mail add-on (Mailgun) provides
# ------------------------------------------------------------------------------
SMTP_USER = "postmaster@mg.example.com"


@contextmanager
def smtp() -> Iterator[Server]:
    """aiosmtpd (tests/smtp_server.py): STARTTLS and a login required, every
    message kept in `maildir` (its env names it SMTP_MAILDIR, for the tests; the
    app reads EMAIL_URL, and SSL_CERT_FILE to trust the throwaway certificate)."""
    with scratch_directory() as directory:
        port = free_port()
        cert, key = self_signed_certificate(directory)
        maildir = directory / "maildir"
        command = [
            sys.executable, str(Path(__file__).with_name("smtp_server.py")), "--port", str(port),
            "--maildir", str(maildir), "--cert", str(cert), "--key", str(key),
            "--user", SMTP_USER, "--password", PASSWORD,
        ]  # fmt: skip
        with logged_server(command, directory, "smtp", port) as executor:
            user = urllib.parse.quote(SMTP_USER, safe="")
            env = {
                "EMAIL_URL": f"smtp://{user}:{PASSWORD}@{HOST}:{port}",
                "SSL_CERT_FILE": str(cert),
                "SMTP_MAILDIR": str(maildir),
            }
            yield Server("smtp", port, env, executor)


# S3: what the Bucketeer add-on (or AWS itself) provides, from moto's server mode
# ------------------------------------------------------------------------------
BUCKET = "site-uploads"


@contextmanager
def s3() -> Iterator[Server]:
    """An S3-compatible server with one empty bucket, as the add-on hands it over."""
    server = require_binary(str(Path(sys.executable).with_name("moto_server")))
    with scratch_directory() as directory:
        port = free_port()
        command = [server, "-H", HOST, "-p", str(port)]
        with logged_server(command, directory, "s3", port) as executor:
            env = {
                "AWS_STORAGE_BUCKET_NAME": BUCKET,
                "AWS_ACCESS_KEY_ID": "integration-key-id",
                "AWS_SECRET_ACCESS_KEY": PASSWORD,
                "AWS_S3_REGION_NAME": "us-east-1",
                "AWS_S3_ENDPOINT_URL": f"http://{HOST}:{port}",
            }
            create_bucket(env)
            yield Server("s3", port, env, executor)


def create_bucket(env: dict[str, str]) -> None:
    import boto3  # the tooling's, which moto brings

    boto3.client(
        "s3",
        endpoint_url=env["AWS_S3_ENDPOINT_URL"],
        region_name=env["AWS_S3_REGION_NAME"],
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
    ).create_bucket(Bucket=env["AWS_STORAGE_BUCKET_NAME"])
