"""Assign approvers to requirement slots so that each person counts once and progress is maximal."""

from __future__ import annotations

from collections.abc import Mapping, Sequence


def assign_slots(
    slot_groups: Sequence[str], candidates: Sequence[tuple[str, frozenset[str]]]
) -> dict[int, str]:
    """Map slot index -> person by maximum bipartite matching, trying candidates and slots in order.

    `slot_groups[i]` is the group a slot needs; each candidate is (person, groups they count for).
    Order makes the result deterministic; the matching makes it the best possible.
    """
    owner: dict[int, str] = {}
    groups_of: Mapping[str, frozenset[str]] = dict(candidates)

    def place(person: str, seen: set[int]) -> bool:
        for slot, group in enumerate(slot_groups):
            if slot in seen or group not in groups_of[person]:
                continue
            seen.add(slot)
            if slot not in owner or place(owner[slot], seen):
                owner[slot] = person
                return True
        return False

    for person, _ in candidates:
        place(person, set())
    return owner
