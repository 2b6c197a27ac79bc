from django.core.management.base import BaseCommand, CommandError

from delivery.addresses import InvalidAddress
from delivery.services import SendRefused, send_check, send_create, send_test
from issues.models import Issue


class Command(BaseCommand):
    help = (
        "Queue a published issue for every confirmed subscriber and return; db_worker processes "
        "deliver it. --test EMAIL queues one test message to that address instead."
    )

    def add_arguments(self, parser):
        parser.add_argument("number", type=int)
        parser.add_argument("--test", metavar="EMAIL", help="send only a test to this address")

    def handle(self, *args, number, test, **options):
        issue = Issue.objects.filter(number=number).first()
        if issue is None:
            raise CommandError(f"no issue #{number}")
        try:
            if test:
                send_check(issue=issue)
                send_test(issue=issue, to=test)
                self.stdout.write(f"test of issue #{number} queued for {test}")
                return
            send = send_create(issue=issue)
        except (SendRefused, InvalidAddress) as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"issue #{number} queued for {send.total} subscribers (send {send.pk})")
