"""A mail server that accepts connections and never says a word (issue 14, item 4)."""

import contextlib
import socket
import threading

from tests.support.stack import free_port


@contextlib.contextmanager
def silent_smtp():
    """Listen on a loopback port, accept every connection and hold it silent; yields the port."""
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    port = free_port()
    listener.bind(("127.0.0.1", port))
    listener.listen(64)
    held, stop = [], threading.Event()

    def accept():
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield port
    finally:
        stop.set()
        thread.join()
        for sock in held:
            sock.close()
        listener.close()
