"""The Moderators group: view content and reports, resolve reports, unpublish and republish."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

MODERATOR_PERMISSIONS = [
    "view_issue",
    "view_section",
    "view_item",
    "view_report",
    "view_moderationaction",
    "resolve_report",
    "moderate_content",
]


def create_moderators(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    moderators, _ = Group.objects.get_or_create(name="Moderators")
    moderators.permissions.set(
        Permission.objects.filter(
            content_type__app_label="issues", codename__in=MODERATOR_PERMISSIONS
        )
    )


def remove_moderators(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name="Moderators").delete()


class Migration(migrations.Migration):
    dependencies = [("issues", "0004_moderation"), ("issues", "0003_editors_group")]

    operations = [migrations.RunPython(create_moderators, remove_moderators)]
