"""What a reviewer was shown: every review names it; the decision compares it with the change."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from workflow.errors import InvalidInput

if TYPE_CHECKING:
    from workflow.model import ChangeRequest

DIGEST_PREFIX = "sha256:"
NO_DRY_RUN = "none"  # the explicit word for "there was no dry-run to see"
HEX = frozenset("0123456789abcdef")


@dataclass(frozen=True, slots=True)
class Seen:
    """The revision and the dry-run digest (None: explicitly no dry-run) a reviewer was shown."""

    revision: int
    digest: str | None

    @classmethod
    def of(cls, cr: ChangeRequest) -> Seen:
        """What `cr` shows now: for the surface that draws it, never for one that decides."""
        return cls(cr.revision, cr.dry_run.digest if cr.dry_run else None)

    @property
    def wire_digest(self) -> str:
        """The digest as clients send it back: `sha256:…`, or `none`."""
        return NO_DRY_RUN if self.digest is None else f"{DIGEST_PREFIX}{self.digest}"


def seen_from_wire(revision: object, digest: object) -> Seen:
    """Parse the binding a client sent; both members are required, `none` (or null) meaning
    no dry-run was shown; a malformed one is refused naming the field."""
    if isinstance(revision, bool) or not isinstance(revision, int) or revision < 1:
        raise InvalidInput("revision", "name the revision you reviewed (a positive integer)")
    if digest is None or digest == NO_DRY_RUN:
        return Seen(revision, None)
    if not isinstance(digest, str):
        raise InvalidInput("digest", f"name the dry-run digest you reviewed, or {NO_DRY_RUN!r}")
    bare = digest.removeprefix(DIGEST_PREFIX).lower()
    if len(bare) != 64 or not set(bare) <= HEX:
        raise InvalidInput("digest", f"{digest!r} is not a dry-run digest (sha256:… with 64 hex "
                                     f"digits), nor {NO_DRY_RUN!r} for no dry-run")
    return Seen(revision, bare)
