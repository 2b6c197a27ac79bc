"""Re-render the stored issues whose texts hold footnotes (`[^label]`), which the engine now
reads as notes, and report each issue whose reference list changed.

Before, `[^1]: note` was a link definition (the note was not shown, and `[^1]` linked to the
note's first word); rendered HTML is stored at save, so those pages would keep that until their
next edit. The rendering is today's code (issues.services.issue_render), as in 0009; only issues
with `[^` in their intro, a section's text or an item's body are read again.
"""

from django.db import migrations
from django.db.models import Q

MARKER = "[^"


def _references(Citation, issue_id):
    return list(
        Citation.objects.filter(issue_id=issue_id)
        .order_by("number")
        .values_list("number", "reference__url")
    )


def rerender(apps, schema_editor):
    Issue = apps.get_model("issues", "Issue")
    noted = list(
        Issue.objects.filter(
            Q(intro__contains=MARKER)
            | Q(sections__text__contains=MARKER)
            | Q(sections__items__body__contains=MARKER)
        )
        .values_list("pk", flat=True)
        .distinct()
    )
    if not noted:
        return
    from issues.models import Issue as CurrentIssue
    from issues.services.issues import issue_render

    Citation = apps.get_model("issues", "Citation")
    for issue in CurrentIssue.objects.filter(pk__in=noted).order_by("number"):
        before = _references(Citation, issue.pk)
        issue_render(issue=issue)
        after = _references(Citation, issue.pk)
        if before != after:
            print(f"\n  issue {issue.number}: its reference list changed with footnotes read")
            old, new = dict(before), dict(after)
            for number in sorted(set(old) | set(new)):
                if old.get(number) != new.get(number):
                    print(f"    [{number}] {old.get(number, '(none)')} -> {new.get(number, '(none)')}")


class Migration(migrations.Migration):
    dependencies = [
        ("issues", "0012_search_text"),
    ]

    operations = [
        migrations.RunPython(rerender, migrations.RunPython.noop, elidable=True),
    ]
