"""Load the demo issues and create the demo accounts; safe to run again."""

import secrets
from pathlib import Path

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import BaseCommand

DEMO_DIR = Path(__file__).resolve().parents[2] / "demo"
DEMO_ACCOUNTS = {"editor": "Editors", "moderator": "Moderators"}


class Command(BaseCommand):
    help = "Import the demo issues (replacing earlier copies) and (re)create the demo accounts."

    def handle(self, *args, **options):
        for path in sorted(DEMO_DIR.glob("issue-*.md")):
            call_command("import_issue", str(path), replace=True, stdout=self.stdout)
        User = get_user_model()
        for username, group_name in DEMO_ACCOUNTS.items():
            password = secrets.token_urlsafe(12)
            user, _ = User.objects.get_or_create(username=username)
            user.is_staff = True
            user.is_active = True
            user.set_password(password)
            user.save()
            group = Group.objects.filter(name=group_name).first()
            if group:
                user.groups.add(group)
            self.stdout.write(f"Demo account: {username} / {password}  (group {group_name})")
