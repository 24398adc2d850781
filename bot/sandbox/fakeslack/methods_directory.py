"""auth.test, users.info, usergroups.users.list and apps.connections.open."""

from __future__ import annotations

from bot.sandbox.fakeslack.api import ApiError, Args, Fake, Result, required


def auth_test(fake: Fake, args: Args) -> Result:
    w = fake.workspace
    return {
        "url": f"https://{w.domain}.slack.com/", "team": w.team_name, "user": "changegate",
        "team_id": w.team_id, "user_id": w.bot_user_id, "bot_id": w.bot_id,
        "is_enterprise_install": False,
    }


def users_info(fake: Fake, args: Args) -> Result:
    user = fake.workspace.users.get(required(args, "user"))
    if user is None:
        raise ApiError("user_not_found")
    return {"user": user.as_json(fake.workspace.team_id)}


def usergroups_users_list(fake: Fake, args: Args) -> Result:
    group = fake.workspace.usergroups.get(required(args, "usergroup"))
    if group is None:
        raise ApiError("no_such_subteam")
    return {"users": list(group.users)}


def connections_open(fake: Fake, args: Args) -> Result:
    return {"url": fake.socket_url()}
