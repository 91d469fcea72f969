"""The Celery broker local settings use when no broker URL is set: files in a folder.

kombu's filesystem transport creates each message file and then writes into it,
so a worker polling the folder can pick up a file that is still empty, fail to
decode it, crash, and lose the message (kombu issue #1551). Here each message is
written under a temporary name first and then renamed into place, which is
atomic within one folder: a worker sees a whole message or none.

kombu's reader moves a message to the system's temporary folder to claim it. When
that folder is on another file system (a tmpfs /tmp: Debian 13, Fedora, Arch),
the move is a copy and a delete, which two workers can both make, or one read
half of: messages were lost. Here a worker claims a message by renaming it into
`claimed/` beside the messages, on the same file system: one rename wins, the
others find the file gone and try the next message.
"""

import os
import uuid
from pathlib import Path
from queue import Empty
from time import monotonic

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps, loads


class Channel(filesystem.Channel):
    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        # kombu expects its folders to exist: made here, when a process first
        # talks to the broker, not each time settings are imported.
        self.claimed_folder = os.path.join(self.data_folder_in, "claimed")
        for folder in (self.data_folder_out, self.control_folder, self.claimed_folder):
            os.makedirs(folder, exist_ok=True)

    def _get(self, queue: str) -> dict:
        # kombu's names: "<time>_<uuid>.<queue>.msg"
        for name in sorted(os.listdir(self.data_folder_in)):
            if name.partition(".")[2] != f"{queue}.msg":
                continue
            claimed = os.path.join(self.claimed_folder, name)
            try:
                os.rename(os.path.join(self.data_folder_in, name), claimed)
            except FileNotFoundError:
                continue  # another worker claimed it first
            try:
                return loads(Path(claimed).read_bytes())
            finally:
                os.remove(claimed)
        raise Empty()

    def _put(self, queue: str, payload: dict, **kwargs: object) -> None:
        # The name kombu gives a message: the time first, so that workers take
        # messages in order. A name without ".msg" is invisible to them.
        name = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        partial = os.path.join(self.data_folder_out, f"partial-{uuid.uuid4()}")
        try:
            with open(partial, "wb") as message:
                message.write(str_to_bytes(dumps(payload)))
            os.replace(partial, os.path.join(self.data_folder_out, name))
        except OSError as error:
            raise ChannelError(f"Cannot add a message to {self.data_folder_out}") from error


class Transport(filesystem.Transport):
    Channel = Channel
