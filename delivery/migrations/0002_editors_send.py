"""Editors manage subscribers and send issues; moderators and readers get nothing here."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

EDITOR_PERMISSIONS = [
    "view_subscriber",
    "add_subscriber",
    "change_subscriber",
    "delete_subscriber",
    "export_subscriber",
    "view_send",
    "send_issue",
    "view_delivery",
]


def grant(apps, schema_editor):
    # Permissions are normally created after all migrations; the group needs them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    editors, _ = Group.objects.get_or_create(name="Editors")
    editors.permissions.add(
        *Permission.objects.filter(
            content_type__app_label="delivery", codename__in=EDITOR_PERMISSIONS
        )
    )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group in Group.objects.filter(name="Editors"):
        group.permissions.remove(
            *Permission.objects.filter(content_type__app_label="delivery")
        )


class Migration(migrations.Migration):
    dependencies = [
        ("delivery", "0001_initial"),
        ("issues", "0003_editors_group"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
