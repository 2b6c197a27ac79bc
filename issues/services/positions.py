"""The one way positions change: sections in an issue and items in a section are numbered 1..n,
and no step in between breaks the unique position constraints."""

from collections.abc import Sequence
from typing import Any

from django.db import models
from django.db.models import F

# Far above any real position; parked rows sit at PARK_OFFSET + pk, so they never clash.
PARK_OFFSET = 1_000_000


def positions_park(*, queryset: models.QuerySet) -> None:
    """Move rows out of 1..n, so rows saved or restored next can take any position."""
    queryset.update(position=PARK_OFFSET + F("pk"))


def positions_assign(*, objects: Sequence[Any]) -> None:
    """Number sibling rows 1..n in the given order (park first, then one bulk update).

    Always writes: the positions held in memory may not be those in the database (the admin
    parks rows before saving its forms)."""
    if not objects:
        return
    model = type(objects[0])
    positions_park(queryset=model.objects.filter(pk__in=[obj.pk for obj in objects]))
    for rank, obj in enumerate(objects, start=1):
        obj.position = rank
    model.objects.bulk_update(objects, ["position"])


def positions_close_gaps(*, objects: Sequence[Any]) -> None:
    """Number rows fresh from the database 1..n in their order, writing only if needed."""
    if [obj.position for obj in objects] != list(range(1, len(objects) + 1)):
        positions_assign(objects=objects)
