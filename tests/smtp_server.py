"""A real SMTP server (aiosmtpd) in its own process, for tests whose workers send thousands of
messages: `python tests/smtp_server.py PORT FILE` appends one JSON line per accepted message
(time, recipients, subject, and the raw message) to FILE. Stopping the process is the mail
server going away."""

import asyncio
import base64
import json
import signal
import sys
import time


class Handler:
    def __init__(self, path):
        self.file = open(path, "a", buffering=1)  # noqa: SIM115  (a line per message)

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content
        subject = ""
        for line in raw.split(b"\r\n\r\n", 1)[0].split(b"\r\n"):
            if line.lower().startswith(b"subject:"):
                subject = line[8:].strip().decode("utf-8", "replace")
        record = {
            "time": time.time(),
            "rcpts": [r.lower() for r in envelope.rcpt_tos],
            "subject": subject,
            "raw": base64.b64encode(raw).decode(),
        }
        self.file.write(json.dumps(record) + "\n")
        return "250 Message accepted for delivery"


def main():
    from aiosmtpd.controller import Controller

    port, path = int(sys.argv[1]), sys.argv[2]
    controller = Controller(
        Handler(path), hostname="127.0.0.1", port=port, server_hostname="localhost"
    )
    controller.start()
    stop = asyncio.Event()
    loop = asyncio.new_event_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print("ready", flush=True)
    loop.run_until_complete(stop.wait())
    controller.stop()


if __name__ == "__main__":
    main()
