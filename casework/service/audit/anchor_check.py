"""Comparing the audit chain with its anchors: a cut-off tail or a re-hashed rewrite, named.

The chain verifies itself entry by entry (casework/core/audit.py); what it cannot show is an end cut
off, or entries edited and every hash after them recomputed. The anchors written after each
commit (casework/db/audit_anchor.py) can: every anchored seq must still exist and still carry
the anchored hash (docs/decisions/0009).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from casework.db.audit_anchor import Anchor


@dataclass(frozen=True)
class AnchorBreak:
    """Where the chain disagrees with an anchor, and how, in words for the operator."""

    seq: int
    reason: str


def check_against_anchors(
    last_seq: int, seen: Mapping[int, str], anchors: Mapping[int, Anchor]
) -> AnchorBreak | None:
    """The first disagreement between the chain and its anchors, or None.

    Args:
        last_seq: the chain's last seq (0 when empty).
        seen: the chain's hash at each anchored seq it still has.
        anchors: the latest anchor per seq.
    """
    for seq in sorted(s for s in anchors if s <= last_seq):
        anchor, found = anchors[seq], seen.get(seq)
        if found != anchor.hash:
            return AnchorBreak(
                seq,
                f"rewritten at or before seq {seq}: entry seq {seq} has hash "
                f"{(found or 'none')[:16]}… but the anchor of {anchor.at} recorded "
                f"{anchor.hash[:16]}…",
            )
    beyond = [s for s in anchors if s > last_seq]
    if beyond:
        latest = anchors[max(beyond)]
        return AnchorBreak(
            latest.seq,
            f"truncated: the chain ends at seq {last_seq} but the anchor of {latest.at} "
            f"recorded seq {latest.seq}",
        )
    return None
