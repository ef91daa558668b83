"""Small-number suppression: which rows of a table show "suppressed" instead of figures.

Primary suppression: a row (a cohort, a school, a term) with fewer than `min_cohort` pupils is
never shown; its pupil count is hidden too, because even the size of a group such as "looked
after" can point at a child in a small school.

Secondary (complementary) suppression: the rows of a *partition* add up to a total that is shown
(pupil premium yes + no = the school; the schools of the LA = the LA; SEN N + K + E = the
school). With one small row of a partition hidden, total minus the shown rows would give it
back. So, within each partition, while the hidden rows together hold some but fewer than
`min_cohort` pupils, the smallest shown row is hidden as well. Afterwards subtraction yields at
most the combined figure of the hidden rows, a group of at least `min_cohort` pupils.

Rows that exist but are never displayed count as hidden: a flag such as FSM is a partition of
"FSM" and its implicit complement "the rest" (whole − FSM), which is derivable from the shown
whole; when the rest is small, the FSM row itself is suppressed. Likewise a comparison column
that lists only some of the LA's year groups treats the unlisted ones as hidden.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Hashable, Mapping
from typing import TypeVar

K = TypeVar("K", bound=Hashable)

DEFAULT_MIN_COHORT = 5


def _complement(members: list[tuple[int, int, K]], hidden: set[K], min_cohort: int) -> set[K]:
    """Hide the smallest shown members until the hidden ones are safe (see module docstring)."""
    chosen = {key for _size, _i, key in members if key in hidden}
    hidden_size = sum(size for size, _i, key in members if key in chosen)
    for size, _i, key in members:  # smallest first
        if not 0 < hidden_size < min_cohort:
            break
        if key not in chosen:
            chosen.add(key)
            hidden_size += size
    return chosen


def suppressed(
    sizes: Mapping[K, int],
    partition_of: Mapping[K, str | None],
    min_cohort: int,
    never_shown: Collection[K] = (),
) -> frozenset[K]:
    """The keys whose figures must not be shown (never-shown keys included).

    Args:
        sizes: pupils in each row.
        partition_of: the partition each row belongs to (rows of one partition add up to a
            shown total), or None.
        never_shown: rows that are part of a partition but not displayed (see module docstring).
    """
    hidden = {key for key, size in sizes.items() if size < min_cohort} | set(never_shown)
    groups: dict[str, list[tuple[int, int, K]]] = defaultdict(list)
    for i, (key, size) in enumerate(sizes.items()):
        group = partition_of.get(key)
        if group is not None:
            groups[group].append((size, i, key))
    for members in groups.values():
        members.sort(key=lambda m: (m[0], m[1]))
        hidden |= _complement(members, hidden, min_cohort)
    return frozenset(hidden)


def hidden_counts(
    counts: Mapping[K, int],
    partition_of: Mapping[K, str | None],
    min_cohort: int,
    never_shown: Collection[K] = (),
) -> frozenset[K]:
    """The keys whose *count of pupils* must not be shown (issue 19).

    A count such as "persistently absent: 1" names a child even inside a large group, so a
    count from 1 to `min_cohort` − 1 is hidden (a nought names nobody and stays). Then, as for
    group sizes, within each partition whose counts add up to a shown total, more are hidden
    until the hidden ones together hold none or at least `min_cohort` pupils.
    """
    hidden = {key for key, n in counts.items() if 0 < n < min_cohort} | set(never_shown)
    groups: dict[str, list[tuple[int, int, K]]] = defaultdict(list)
    for i, (key, n) in enumerate(counts.items()):
        group = partition_of.get(key)
        if group is not None and n > 0:  # a nought hidden or shown gives nothing away
            groups[group].append((n, i, key))
    for members in groups.values():
        members.sort(key=lambda m: (m[0], m[1]))
        hidden |= _complement(members, hidden, min_cohort)
    return frozenset(hidden)


def hidden_in_row(counts: Mapping[K, int], min_cohort: int) -> frozenset[K]:
    """Cells of one table row whose counts add up to the row's shown total."""
    return hidden_counts(counts, dict.fromkeys(counts, "row"), min_cohort)
