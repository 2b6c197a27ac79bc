from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IssuesConfig(AppConfig):
    name = "issues"
    verbose_name = _("Newsletter issues")

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from issues.services.pages import public_pages_changed

        from . import models

        # A safety net, not the write path: services call public_pages_changed() themselves,
        # but a row saved or deleted anywhere else (admin, shell) must not leave a stale page.
        def changed(sender, **kwargs):
            public_pages_changed()

        for model in (models.Issue, models.Section, models.Item, models.Reference):
            post_save.connect(changed, sender=model, dispatch_uid=f"pages-{model.__name__}-save")
            post_delete.connect(changed, sender=model, dispatch_uid=f"pages-{model.__name__}-del")
