"""Ticket links: the policy's `ticket_url` template (`https://jira.example/browse/{ticket}`) turns
a change's ticket into a link on its card, in the API and in audit exports."""

from __future__ import annotations

from urllib.parse import quote, urlsplit

from workflow.policy_fields import Problems, text

PLACEHOLDER = "{ticket}"
SAMPLE = "CHG-1"  # what the template is checked with
# Characters that would end or split a Slack link (`<url|text>`) or a URL in running text.
UNSAFE = ("|", "<", ">", '"', "`")
FIX = "write a URL such as https://jira.example/browse/{ticket}"
LONGEST = 500  # characters of the template


def ticket_link(template: str | None, ticket: str) -> str | None:
    """The link of `ticket` under the template; None without a template or a ticket. The ticket
    is percent-encoded, so no ticket text can change where the link leads."""
    ticket = ticket.strip()
    if template is None or not ticket:
        return None
    return template.replace(PLACEHOLDER, quote(ticket, safe=""))


def parse_ticket_url(value: object, path: str, problems: Problems) -> str | None:
    """The template, or None after recording why it cannot be used."""
    found = text(value, path, problems, FIX)
    if found is None:
        return None
    if len(found) > LONGEST:
        problems.add(path, f"is {len(found)} characters long", f"shorten it to {LONGEST} or "
                     "fewer: it is shown on every card")
        return None
    if PLACEHOLDER not in found:
        problems.add(path, f"{found!r} has no {PLACEHOLDER} placeholder",
                     f"{FIX}; {PLACEHOLDER} is replaced by the change's ticket")
        return None
    rest = found.replace(PLACEHOLDER, "")
    if "{" in rest or "}" in rest:
        problems.add(path, f"{found!r} has a placeholder other than {PLACEHOLDER}",
                     f"only {PLACEHOLDER} is replaced; remove the other braces")
        return None
    bad = next((c for c in found if c.isspace() or c in UNSAFE), None)
    if bad is not None:
        problems.add(path, f"{found!r} contains {bad!r}, which cannot be part of a link",
                     "remove it, or percent-encode it (a space is %20)")
        return None
    sample = found.replace(PLACEHOLDER, SAMPLE)
    try:
        parts = urlsplit(sample)
        ok = parts.scheme in ("https", "http") and bool(parts.hostname) and parts.port != 0
    except ValueError:  # a broken [IPv6] host, or a port that is no number up to 65535
        ok = False
    if not ok:
        problems.add(path, f"{found!r} is not an http(s) URL", FIX)
        return None
    if parts.username or parts.password:
        problems.add(path, "carries a user name or password",
                     "remove them: the link is shown to everyone who sees the change")
        return None
    return found
