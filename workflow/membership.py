"""Which of a change's own groups a person is in: the engine looks membership up outside the
transaction against the definitions it knows, and the decision reads it against the definitions
the change kept at submission, asking for the ones it was not given."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Protocol, TypeVar, cast

from workflow.errors import WorkflowError
from workflow.model import ChangeRequest, GroupDef


@dataclass(frozen=True, slots=True)
class Membership:
    """The group definitions looked up for a person (`known`), and those they are in."""

    known: frozenset[GroupDef]
    within: frozenset[GroupDef]


class MembershipUnknown(WorkflowError):
    """The change keeps group definitions the caller did not look up (a reload renamed or
    redefined them): look these up too and ask again. Never a refusal a person sees."""

    reason = "membership_unknown"
    audited = False

    def __init__(self, change_id: str, groups: tuple[GroupDef, ...]) -> None:
        names = ", ".join(g.name for g in groups)
        super().__init__(f"{change_id} keeps its own definition of {names}: try again")
        self.groups = groups


class HasGroups(Protocol):
    """A command carrying an actor's groups, by name, and how they were found."""

    @property
    def actor_groups(self) -> frozenset[str]: ...

    @property
    def membership(self) -> Membership | None: ...


C = TypeVar("C", bound=HasGroups)


def as_member(cr: ChangeRequest, command: C) -> C:
    """The command with `actor_groups` read against the change's kept definitions: a person is
    in a kept group only if its definition, as kept, was looked up and holds them."""
    looked_up = command.membership
    kept = cr.workflow.group_definitions if cr.workflow else ()
    if looked_up is None or not kept:
        return command  # a draft, or a change stored before definitions were kept
    missing = tuple(g for g in kept if g not in looked_up.known)
    if missing:
        raise MembershipUnknown(cr.id, missing)
    groups = frozenset(g.name for g in kept if g in looked_up.within)
    return cast(C, replace(cast(Any, command), actor_groups=groups))
