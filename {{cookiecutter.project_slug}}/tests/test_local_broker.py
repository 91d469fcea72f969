"""The local broker hands every message over whole: a reader never sees one half written.

kombu's own filesystem transport creates the message's file and then writes into
it, so a worker polling the folder in between can take an empty message. Rather
than race processes and hope to catch that moment, these tests look at the
folder at the moment of every write.
"""

from pathlib import Path

import pytest
from kombu import Connection

from config import local_broker


def connect(folder: Path) -> Connection:
    options = {
        "data_folder_in": str(folder),
        "data_folder_out": str(folder),
        "control_folder": str(folder / "control"),
    }
    return Connection(
        "filesystem://localhost/",
        transport="config.local_broker:Transport",
        transport_options=options,
    )


class WatchedFile:
    """A file being written, that notes which messages a reader could see as each
    write happens."""

    def __init__(self, path: str, mode: str, folder: Path, seen: list) -> None:
        self._file = open(path, mode)  # noqa: SIM115 (closed in __exit__)
        self._folder, self._seen = folder, seen

    def __enter__(self) -> "WatchedFile":
        return self

    def __exit__(self, *exc: object) -> None:
        self._file.close()

    def write(self, data: bytes) -> int:
        self._seen.append(sorted(path.name for path in self._folder.glob("*.msg")))
        return self._file.write(data)


@pytest.fixture
def writes_seen(tmp_path, monkeypatch) -> list[list[str]]:
    """For every write the local broker makes: the messages visible at that moment."""
    seen: list[list[str]] = []
    monkeypatch.setattr(
        local_broker,
        "open",
        lambda path, mode="r": WatchedFile(path, mode, tmp_path, seen),
        raising=False,
    )
    return seen


def test_no_message_is_visible_until_it_is_whole(tmp_path, writes_seen):
    with connect(tmp_path) as connection:
        queue = connection.SimpleQueue("jobs")
        queue.put({"number": 1})
        queue.put({"number": 2})

        received = []
        for _ in range(2):
            message = queue.get(timeout=1)
            received.append(message.payload["number"])
            message.ack()  # unacknowledged, it would be put back on close

    # While the second was written, only the first (whole) could be seen.
    assert [len(visible) for visible in writes_seen] == [0, 1]
    assert sorted(received) == [1, 2]


def test_a_fresh_checkout_needs_no_folders_made_by_hand(tmp_path):
    folder = tmp_path / ".broker" / "messages"  # nothing of it exists yet
    with connect(folder) as connection:
        # A queue of its own: kombu keeps the queues it declared for the whole
        # process, and would not bind "jobs" again in a new control folder.
        queue = connection.SimpleQueue("first-jobs")
        queue.put({"number": 1})
        message = queue.get(timeout=1)
        message.ack()
    assert message.payload == {"number": 1}
