"""What the moderators did to an issue's content, for the editors who work on it."""

from django.db.models import OuterRef, QuerySet, Subquery

from issues.models import Issue, Item, ModerationAction

REMOVALS = (ModerationAction.Action.UNPUBLISH_ITEM, ModerationAction.Action.HIDE_ITEM)


def _latest_removal_actor() -> Subquery:
    return Subquery(
        ModerationAction.objects.filter(item=OuterRef("pk"), action__in=REMOVALS)
        .order_by("-created_at", "-pk")
        .values("actor__username")[:1]
    )


def items_with_removers(queryset: QuerySet[Item]) -> QuerySet[Item]:
    """Items annotated with `removed_by`: who removed each (None when live or automatic)."""
    return queryset.annotate(removed_by=_latest_removal_actor())


def item_removals(*, issue: Issue) -> dict[int, ModerationAction]:
    """The latest removal of each of the issue's removed items, by item pk: one query."""
    actions = (
        ModerationAction.objects.filter(
            item__section__issue=issue, item__removed_at__isnull=False, action__in=REMOVALS
        )
        .select_related("actor", "item")
        .order_by("created_at", "pk")
    )
    return {action.item_id: action for action in actions if action.item_id is not None}


def issue_withdrawal(*, issue: Issue) -> ModerationAction | None:
    """The action that withdrew the issue, when it is withdrawn."""
    if issue.withdrawn_at is None:
        return None
    return (
        ModerationAction.objects.filter(
            issue=issue, item=None, action=ModerationAction.Action.UNPUBLISH_ISSUE
        )
        .select_related("actor")
        .order_by("-created_at", "-pk")
        .first()
    )
