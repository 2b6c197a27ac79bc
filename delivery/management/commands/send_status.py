import json

from django.core.management.base import BaseCommand, CommandError

from delivery.models import Send
from delivery.selectors import send_progress


class Command(BaseCommand):
    help = "How the send of an issue stands: sent, failed, skipped, pending, rate, time left."

    def add_arguments(self, parser):
        parser.add_argument("number", type=int)
        parser.add_argument("--json", action="store_true", help="one JSON object")

    def handle(self, *args, number, json: bool = False, **options):
        send = Send.objects.filter(issue__number=number).first()
        if send is None:
            raise CommandError(f"issue #{number} was not sent")
        progress = send_progress(send=send)
        if json:
            self.stdout.write(_dumps(progress))
            return
        left = progress["seconds_left"]
        self.stdout.write(
            f"issue #{number}: {progress['state']}; {progress['sent']} sent, "
            f"{progress['failed']} failed, {progress['skipped']} skipped, "
            f"{progress['cancelled']} cancelled, {progress['pending']} pending of "
            f"{progress['total']}; {progress['rate']}/s"
            + (f", about {left} s left" if left is not None else "")
        )


def _dumps(value):
    return json.dumps(value, sort_keys=True)
