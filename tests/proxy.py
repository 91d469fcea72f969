"""A TCP proxy on loopback that the tests put between an app and a server, to make
the faults a server's own process cannot: a slow network (each reply a second
late) and a partition (nothing crosses, in either direction, and nobody is told).

Bytes wait in the proxy during a partition and cross once it ends, as TCP
retransmits them once a real network heals.
"""

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

REPLY_DELAY_SECONDS = 1.0


class Proxy:
    def __init__(self, upstream_port: int, host: str = "127.0.0.1") -> None:
        self.host, self.upstream_port = host, upstream_port
        self._listener = socket.create_server((host, 0))
        self.port: int = self._listener.getsockname()[1]
        self._open: list[socket.socket] = []
        self._slow = False
        self._crossing = threading.Event()  # cleared while partitioned
        self._crossing.set()
        threading.Thread(target=self._accept, daemon=True).start()

    @contextmanager
    def slow(self) -> Iterator[None]:
        """Each reply from the server reaches the app REPLY_DELAY_SECONDS late."""
        self._slow = True
        try:
            yield
        finally:
            self._slow = False

    @contextmanager
    def partitioned(self) -> Iterator[None]:
        """Nothing crosses; connections stay open on both sides, in silence."""
        self._crossing.clear()
        try:
            yield
        finally:
            self._crossing.set()

    def close(self) -> None:
        self._crossing.set()
        for connection in [self._listener, *self._open]:
            with contextlib.suppress(OSError):
                connection.close()

    def __enter__(self) -> "Proxy":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return  # closed
            threading.Thread(target=self._connect, args=(client,), daemon=True).start()

    def _connect(self, client: socket.socket) -> None:
        self._crossing.wait()  # a connection made during a partition gets nowhere yet
        try:
            server = socket.create_connection((self.host, self.upstream_port))
        except OSError:
            client.close()  # the server is down: refused, as it would be directly
            return
        self._open += [client, server]
        pumps = [
            threading.Thread(target=self._pump, args=(source, sink, replies), daemon=True)
            for source, sink, replies in ((client, server, False), (server, client, True))
        ]
        for pump in pumps:
            pump.start()
        for pump in pumps:
            pump.join()
        # Both directions ended: free the sockets, or a long run of reconnections
        # (a worker retrying every 2 s, for minutes) would use up the test's files.
        for connection in (client, server):
            self._open.remove(connection)
            connection.close()

    def _pump(self, source: socket.socket, sink: socket.socket, replies: bool) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                self._crossing.wait()
                if replies and self._slow:
                    time.sleep(REPLY_DELAY_SECONDS)
                sink.sendall(data)
        for connection in (source, sink):  # one side closed: close the other
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
