"""Hooks for the layers above: they follow the tree's restructuring without being imported here.

``dissolved`` is sent inside the restructuring transaction when an organization ends, with the
organization that takes over its records (``successor``, None when there is none). A receiver
that cannot follow (records with nowhere to go) raises a DomainError and the whole change
is rolled back.

``moved`` is sent inside the same transaction after organizations got a new parent, with
``moves``: a list of (organization, its path before the move); each moved with its subtree;
and ``on``, the day the move takes effect.
"""

from django.dispatch import Signal

dissolved = Signal()  # kwargs: organization, successor, on, actor
moved = Signal()  # kwargs: moves, on
