"""Email saved with the request and sent by a worker (groundwork/mail.py). The
template's tests send it through a real SMTP server that goes down and hangs."""

import smtplib

import pytest
from django.core import mail
from django.core.exceptions import ImproperlyConfigured

from groundwork.checks import no_mail_service
from groundwork.models import OutgoingMail
from groundwork.tasks import refused_for_good, send_waiting_mail
from users.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def outbox(settings):
    """The project's own backend (pytest-django puts Django's in-memory one in its
    place), printing what it sends, as it does locally."""
    settings.EMAIL_BACKEND = "groundwork.mail.OutboxBackend"
    settings.EMAIL_SMTP = {}
    settings.EMAIL_PRINT_WITHOUT_SMTP = True
    return settings


def test_a_mail_is_saved_then_sent_by_a_worker_after_the_commit(
    outbox, capsys, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as queued:
        mail.send_mail("Hello", "The body.", "site@example.com", ["ann@example.com"])
        saved = OutgoingMail.objects.get()
        assert saved.sent_at is None, "sent from the request"

    assert len(queued) == 1
    queued[0]()  # the commit: the (eager) worker sends it
    saved.refresh_from_db()
    assert saved.sent_at is not None
    printed = capsys.readouterr().out
    assert "Subject: Hello" in printed
    assert "To: ann@example.com" in printed


def test_without_a_mail_service_production_keeps_the_mail_and_names_the_variable(
    outbox, django_capture_on_commit_callbacks
):
    outbox.EMAIL_PRINT_WITHOUT_SMTP = False

    with (
        pytest.raises(ImproperlyConfigured, match="set EMAIL_URL"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        mail.send_mail("Hello", "The body.", "site@example.com", ["ann@example.com"])

    assert OutgoingMail.objects.get().sent_at is None


def test_a_password_reset_sends_its_link_by_mail(
    outbox, client, capsys, django_capture_on_commit_callbacks
):
    User.objects.create_user("ann", "ann@example.com", "an old password")

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/password_reset/", {"email": "ann@example.com"})

    assert response.status_code == 302
    assert OutgoingMail.objects.get().sent_at is not None
    assert "/accounts/reset/" in capsys.readouterr().out


def test_the_sweep_sends_again_only_mail_waiting_a_whole_period(outbox, settings, capsys):
    late = OutgoingMail.objects.create(
        sender="a@example.com", recipients=["b@example.com"], message=b"Subject: late\r\n\r\nx"
    )
    OutgoingMail.objects.filter(pk=late.pk).update(
        created_at=late.created_at - settings.SWEEP_PERIOD * 2
    )
    recent = OutgoingMail.objects.create(
        sender="a@example.com", recipients=["b@example.com"], message=b"Subject: recent\r\n\r\nx"
    )

    assert send_waiting_mail() == 1

    late.refresh_from_db()
    recent.refresh_from_db()
    assert late.sent_at is not None
    assert recent.sent_at is None
    assert "Subject: late" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("error", "for_good"),
    [
        (smtplib.SMTPRecipientsRefused({"x@example.com": (550, b"no such user")}), True),
        (smtplib.SMTPDataError(554, b"rejected as spam"), True),
        (smtplib.SMTPDataError(451, b"try again later"), False),
        (smtplib.SMTPSenderRefused(450, b"busy", "site@example.com"), False),
        (smtplib.SMTPAuthenticationError(535, b"bad login"), False),
        (smtplib.SMTPServerDisconnected("gone"), False),
    ],
)
def test_only_a_refusal_of_the_message_itself_stops_its_retries(error, for_good):
    assert refused_for_good(error) is for_good


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "smtp://postmaster%40mg.example.com:p%40ss@smtp.mailgun.org:587",
            {"host": "smtp.mailgun.org", "port": 587, "username": "postmaster@mg.example.com",
             "password": "p@ss", "use_tls": True, "use_ssl": False},
        ),
        (
            "smtps://u:p@mail.example.com",
            {"host": "mail.example.com", "port": 465, "username": "u", "password": "p",
             "use_tls": False, "use_ssl": True},
        ),
    ],
)  # fmt: skip
def test_email_url_names_the_service(load_settings, url, expected):
    read = load_settings("local", EMAIL_URL=url).EMAIL_SMTP

    assert read == expected


def test_mailguns_variables_are_read_when_email_url_is_unset(load_settings):
    loaded = load_settings(
        "local",
        MAILGUN_SMTP_SERVER="smtp.mailgun.org",
        MAILGUN_SMTP_PORT="2525",
        MAILGUN_SMTP_LOGIN="postmaster@mg.example.com",
        MAILGUN_SMTP_PASSWORD="secret",
    )

    assert loaded.EMAIL_SMTP == {
        "host": "smtp.mailgun.org", "port": 2525, "username": "postmaster@mg.example.com",
        "password": "secret", "use_tls": True,
    }  # fmt: skip


@pytest.mark.parametrize("url", ["http://mail.example.com", "smtp://", "smtp://h:port/"])
def test_a_bad_email_url_names_the_variable(load_settings, url):
    with pytest.raises(ImproperlyConfigured, match="EMAIL_URL"):
        load_settings("local", EMAIL_URL=url)


def test_production_without_a_mail_service_says_so_and_which_variable(settings):
    settings.PRODUCTION, settings.EMAIL_SMTP = True, {}
    [warning] = no_mail_service()
    assert "EMAIL_URL" in warning.hint
    assert "mailgun" in warning.hint

    settings.EMAIL_SMTP = {"host": "smtp.example.com"}
    assert no_mail_service() == []
