"""The admin: the editors' workspace, the references, and the moderators' queue."""

from . import moderation, references, workspace  # noqa: F401  (each registers its ModelAdmins)
