"""Stage progress derived from live approvals: who counts for what, and which stage is active."""

from __future__ import annotations

from dataclasses import dataclass

from workflow.matching import assign_slots
from workflow.model import ChangeRequest, Requirement, Stage, Verdict


@dataclass(frozen=True, slots=True)
class RequirementProgress:
    """The people counted toward one requirement."""

    requirement: Requirement
    approvers: tuple[str, ...]

    @property
    def met(self) -> bool:
        """Enough distinct people approved."""
        return len(self.approvers) >= self.requirement.count


@dataclass(frozen=True, slots=True)
class StageProgress:
    """How far one stage is, requirement by requirement."""

    index: int
    stage: Stage
    requirements: tuple[RequirementProgress, ...]

    @property
    def met(self) -> bool:
        """Every requirement of the stage is met (AND)."""
        return all(r.met for r in self.requirements)

    @property
    def approvers(self) -> frozenset[str]:
        """Everyone counted in this stage."""
        return frozenset(p for r in self.requirements for p in r.approvers)


def stage_progress(cr: ChangeRequest, index: int) -> StageProgress:
    """Count live approvals given on stage `index` of the current revision, each person once."""
    assert cr.workflow is not None
    stage = cr.workflow.stages[index]
    approvals = sorted(
        (r for r in cr.live_responses() if r.stage == index and r.verdict is Verdict.APPROVE),
        key=lambda r: (r.at, r.person),
    )
    slot_groups = [req.group for req in stage.requirements for _ in range(req.count)]
    # A stand-in (approved through escalation) may fill any requirement of its stage.
    owner = assign_slots(
        slot_groups, [(r.person, r.groups | stage.groups if r.stand_in else r.groups)
                      for r in approvals]
    )
    results: list[RequirementProgress] = []
    slot = 0
    for req in stage.requirements:
        people = tuple(owner[s] for s in range(slot, slot + req.count) if s in owner)
        results.append(RequirementProgress(req, people))
        slot += req.count
    return StageProgress(index, stage, tuple(results))


def all_progress(cr: ChangeRequest) -> tuple[StageProgress, ...]:
    """Progress of every stage of the snapshot, in order."""
    if cr.workflow is None:
        return ()
    return tuple(stage_progress(cr, i) for i in range(len(cr.workflow.stages)))


def active_stage(cr: ChangeRequest) -> int | None:
    """Index of the first stage not yet met; None when every stage is met."""
    for progress in all_progress(cr):
        if not progress.met:
            return progress.index
    return None


def fully_approved(cr: ChangeRequest) -> bool:
    """Every stage of the snapshot is met (trivially true with no stages)."""
    return cr.workflow is not None and active_stage(cr) is None
