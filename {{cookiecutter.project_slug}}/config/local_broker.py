"""The Celery broker local settings use when no broker URL is set: files in a folder.

kombu's filesystem transport creates each message file and then writes into it,
so a worker polling the folder can pick up a file that is still empty, fail to
decode it, crash, and lose the message (kombu issue #1551). Here each message is
written under a temporary name first and then renamed into place, which is
atomic within one folder: a worker sees a whole message or none.
"""

import os
import uuid
from time import monotonic

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps


class Channel(filesystem.Channel):
    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        # kombu expects its folders to exist: made here, when a process first
        # talks to the broker, not each time settings are imported.
        for folder in (self.data_folder_in, self.data_folder_out, self.control_folder):
            os.makedirs(folder, exist_ok=True)

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
