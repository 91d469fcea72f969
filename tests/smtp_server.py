"""An SMTP server for the mail tests, as a mail add-on looks to its client: STARTTLS
required, then a login (AUTH PLAIN or LOGIN) with one user and password. Each
message it accepts lands in a Maildir, which the tests read.

Run as a process of its own (tests/servers.py), so that a test can stop it or hang
it (SIGSTOP) like any other server: aiosmtpd serves from a thread, and the main
thread waits for SIGTERM.
"""

import argparse
import signal
import ssl
import threading
from collections.abc import Callable
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--maildir", type=Path, required=True)
    parser.add_argument("--cert", type=Path, required=True)
    parser.add_argument("--key", type=Path, required=True)
    parser.add_argument("--user", required=True)
    parser.add_argument("--password", required=True)
    return parser.parse_args()


def one_login(user: str, password: str) -> Callable[..., AuthResult]:
    def authenticate(
        server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: object
    ) -> AuthResult:
        good = isinstance(data, LoginPassword) and (data.login, data.password) == (
            user.encode(),
            password.encode(),
        )
        return AuthResult(success=good)

    return authenticate


def main() -> None:
    given = arguments()
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(given.cert, given.key)
    controller = Controller(
        Mailbox(given.maildir),
        hostname="127.0.0.1",
        port=given.port,
        tls_context=tls,
        require_starttls=True,
        authenticator=one_login(given.user, given.password),
        auth_required=True,
    )
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    controller.start()
    stopped.wait()
    controller.stop()


if __name__ == "__main__":
    main()
