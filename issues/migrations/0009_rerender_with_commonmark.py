"""Re-render every stored issue with the CommonMark engine (markdown-it-py) that replaced
Python-Markdown, and report each issue whose reference list changed.

Rendered HTML is stored at save, so without this the pages would keep the old engine's output
until their next edit. The rendering is today's code (issues.services.issue_render): it is what
the stored HTML must equal. A reference list that changes is printed, number by number, for the
editors to look at (a link Python-Markdown missed, such as one in a title written like a list).
"""

from django.db import migrations


def _references(Citation, issue_id):
    return list(
        Citation.objects.filter(issue_id=issue_id)
        .order_by("number")
        .values_list("number", "reference__url")
    )


def rerender(apps, schema_editor):
    # Today's models may have columns this migration's database lacks: a new database (nothing
    # to re-render) never touches them.
    if not apps.get_model("issues", "Issue").objects.exists():
        return
    from issues.models import Issue
    from issues.services.issues import issue_render

    Citation = apps.get_model("issues", "Citation")
    changed = 0
    for issue in Issue.objects.order_by("number"):
        before = _references(Citation, issue.pk)
        issue_render(issue=issue)
        after = _references(Citation, issue.pk)
        if before != after:
            changed += 1
            print(f"\n  issue {issue.number}: its reference list changed with the new engine")
            old, new = dict(before), dict(after)
            for number in sorted(set(old) | set(new)):
                if old.get(number) != new.get(number):
                    print(f"    [{number}] {old.get(number, '(none)')} -> {new.get(number, '(none)')}")
    if changed:
        print(f"  {changed} issue(s) with a changed reference list")


class Migration(migrations.Migration):
    dependencies = [
        ("issues", "0008_search_indexes"),
    ]

    operations = [
        migrations.RunPython(rerender, migrations.RunPython.noop, elidable=True),
    ]
