"""Hooks through which the apps below tell the reports that derived figures may have changed.

The ledger, the people, the tree and the rulebook send them; the reports app listens
(``reports.figures``). Neither side imports the other: the senders only say which organizations
were touched.
"""

from django.dispatch import Signal

# kwargs: organization_ids (an iterable of ids, or None for every organization), and since
# (optional: the first day whose figures may differ; absent or None: any day). Sent inside the
# writing transaction: the report figures of these organizations themselves (their own
# members, their direct subordinates' kinds) may differ from what was counted, from ``since``
# on; an event recorded on the day it happens says so, and past snapshots are left alone.
figures_stale = Signal()
