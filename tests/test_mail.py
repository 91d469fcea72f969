"""Mail from a released project, through a real SMTP server that requires STARTTLS
and a login, as Mailgun's does: a password reset's mail arrives; while the server is
down or hung for longer than the tasks' whole retry budget, the request still
answers at once, and the mail arrives, once, after the server's return."""

import mailbox
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, ExitStack, nullcontext
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import pytest

from . import heroku, servers
from .helpers import generate_project, wait_for

pytestmark = pytest.mark.servers

# The tasks' retry budget (TASK_RETRY_FOR) and the mail service's timeout, short
# here; each fault lasts longer than the budget, so the sweep must bring the mail.
RETRY_FOR_SECONDS = 6
OUTAGE_SECONDS = RETRY_FOR_SECONDS + 4
# A request that sends mail answers within this, whatever the mail service does.
ANSWER_BOUND_SECONDS = 2
ARRIVES_WITHIN_SECONDS = 60


@dataclass
class MailSite:
    web: heroku.Dyno
    smtp: servers.Server
    logs: Path

    def received(self, recipient: str) -> list[str]:
        """The bodies of the messages the SMTP server holds for `recipient`."""
        inbox = mailbox.Maildir(self.smtp.env["SMTP_MAILDIR"], create=False)
        return [body(message) for message in inbox.values() if recipient in message.get("To", "")]


def body(message: mailbox.MaildirMessage) -> str:
    """A one-part message's text, its transfer encoding undone."""
    payload = message.get_payload(decode=True)
    return payload.decode(errors="replace") if isinstance(payload, bytes) else ""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, production_venv: Path) -> Iterator[MailSite]:
    folder = tmp_path_factory.mktemp("mail")
    with ExitStack() as running:
        database = running.enter_context(servers.postgres(tls=True))
        broker = running.enter_context(servers.redis(tls=False))
        smtp = running.enter_context(servers.smtp())
        project = generate_project(folder)
        heroku.build(project, production_venv)
        config = heroku.heroku_config(
            database, broker, smtp,
            SWEEP_SECONDS="2", HEARTBEAT_SECONDS="2", EMAIL_TIMEOUT="2",
            TASK_RETRY_FOR=str(RETRY_FOR_SECONDS), TASK_RETRY_BACKOFF_MAX="2",
        )  # fmt: skip
        heroku.release(project, production_venv, config)
        for number in range(1, 4):  # one user per test, each with a mailbox of its own
            heroku.one_off(
                project, production_venv,
                {**config, "DJANGO_SUPERUSER_PASSWORD": "an old password, long enough"},
                ["python", "manage.py", "createsuperuser", "--noinput",
                 "--username", f"user{number}", "--email", f"user{number}@example.com"],
            )  # fmt: skip
        formation = heroku.running_formation(project, production_venv, config, folder)
        web = running.enter_context(formation)
        yield MailSite(web, smtp, folder)


def reset_password(site: MailSite, email: str) -> tuple[int, float]:
    """Ask for a password reset as a visitor does: the status, and how long it took."""
    browser, token = heroku.open_form(site.web.url, "/accounts/password_reset/")
    started = time.monotonic()
    status, _, _ = heroku.request(
        site.web.url, "/accounts/password_reset/",
        {"email": email, "csrfmiddlewaretoken": token}, browser,
    )  # fmt: skip
    return status, time.monotonic() - started


def sweeps_run(site: MailSite) -> int:
    """How many mail sweeps the worker has finished."""
    log = (site.logs / "worker.log").read_text(errors="replace")
    return sum("send_waiting_mail[" in line and "succeeded" in line for line in log.splitlines())


def the_mail_arrives_once(site: MailSite, recipient: str) -> None:
    try:
        arrived = partial(site.received, recipient)
        wait_for(f"the mail to {recipient}", arrived, ARRIVES_WITHIN_SECONDS)
    except pytest.fail.Exception as failure:
        logs = "\n".join(log.read_text()[-4000:] for log in sorted(site.logs.glob("*.log")))
        pytest.fail(f"{failure}\n{logs}")
    # Two more sweeps, each of which would send it again were it not marked sent.
    after = sweeps_run(site)
    wait_for("two more mail sweeps", lambda: sweeps_run(site) >= after + 2, 30)
    received = site.received(recipient)
    assert len(received) == 1, f"{len(received)} copies"
    assert "/accounts/reset/" in received[0]


FAULTS = {"running": None, "stopped": "down", "hung": "hung"}


@pytest.mark.parametrize("fault", list(FAULTS))
def test_a_password_reset_mail_arrives_whatever_the_mail_service_does(
    site: MailSite, fault: str
) -> None:
    recipient = f"user{list(FAULTS).index(fault) + 1}@example.com"
    method = FAULTS[fault]
    outage: AbstractContextManager[None] = getattr(site.smtp, method)() if method else nullcontext()

    with outage:
        status, took = reset_password(site, recipient)
        if method:
            time.sleep(OUTAGE_SECONDS)  # the fault outlasts every retry of the task

    assert status == 302
    assert took < ANSWER_BOUND_SECONDS, f"the request took {took:.1f} s"
    the_mail_arrives_once(site, recipient)
