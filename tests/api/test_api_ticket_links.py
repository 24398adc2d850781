"""The API shows a change's ticket as a link (`ticket_url`) where the policy gives a template,
in every answer that shows a change; null without one. Answers are checked against the
document, which declares the member."""

from __future__ import annotations

from pathlib import Path

from tests.api.harness import N1, POLICY, REQ, running_api

TEMPLATE = "https://jira.example/browse/{ticket}"


async def test_every_answer_showing_a_change_links_its_ticket(tmp_path: Path) -> None:
    async with running_api("memory", tmp_path,
                           policy_text=POLICY + f"ticket_url: {TEMPLATE}\n") as api:
        created = await api.propose()
        link = "https://jira.example/browse/CHG-3192"
        assert created["ticket_url"] == link
        change_id = created["id"]
        assert (await api.call("GET", f"/changes/{change_id}", REQ)).body["ticket_url"] == link
        [summary] = (await api.call("GET", "/changes", REQ)).body["changes"]
        assert (summary["ticket"], summary["ticket_url"]) == ("CHG-3192", link)
        edited = await api.call("PATCH", f"/changes/{change_id}", REQ,
                                body={"ticket": "OPS 7/b"})
        assert edited.body["ticket_url"] == "https://jira.example/browse/OPS%207%2Fb"
        review = await api.call("POST", f"/changes/{change_id}/review", N1,
                                body=await api.bound(change_id, {"approved": True}))
        assert review.body["ticket_url"] == "https://jira.example/browse/OPS%207%2Fb"
        waited = await api.call("GET", f"/changes/{change_id}/wait?timeout=0", REQ)
        assert waited.body["change"]["ticket_url"].endswith("/OPS%207%2Fb")
        untitled = await api.propose(ticket="")
        assert untitled["ticket_url"] is None


async def test_without_a_template_the_link_is_null(tmp_path: Path) -> None:
    async with running_api("memory", tmp_path) as api:
        created = await api.propose()
        assert created["metadata"]["ticket"] == "CHG-3192" and created["ticket_url"] is None
