"""The policy file `changegate init` writes: valid as it stands, so a new team starts from a check
that passes and edits one commented key at a time."""

from __future__ import annotations

STARTER_POLICY = """\
# ChangeGate policy file: who may submit which changes, and who must approve them.
# Written by `changegate init`. Replace the example user IDs with your workspace's, then check it:
#
#     changegate check --policy changegate.yaml           # the file alone
#     changegate check --policy changegate.yaml --live    # and the sizes of Slack user groups
#     changegate policy explain --policy changegate.yaml \\
#         --risk high --family bgp --action add --target edge-1 --user U0000000001
#
# Every key and every validation error is described in docs/policy.md. Unknown keys are errors,
# so a typo never silently weakens the policy. Durations are a whole number with a unit:
# 45s, 30m, 72h, 2d, or combined like 1h30m.

# Timing for every workflow; a workflow may override any of these keys with its own value.
defaults:
  dry_run_ttl: 30m          # a dry-run result is valid this long for approving and applying
  approval_timeout: 72h     # counted from submission; a change still in review then times out
  on_timeout: expire        # a timed-out change is expired (final) or handed back as a draft
  reminder_after: 4h        # nudge approvers who have not responded; `off` turns reminders off
  late_apply_grace: 15m     # a final approval this late after scheduled_for still applies at once
  metadata_edits: reset     # a retitle or new description ends the approvals given; or `keep`

# Groups of people. Give each group exactly one of:
#   members:         Slack user IDs (U...); edits take effect when the file is reloaded
#   slack_usergroup: a Slack user group ID (S...), read live; use the ID, not the @handle,
#                    because handles can be renamed
groups:
  network-engineers:
    members: [U0000000001, U0000000002, U0000000003]
  change-advisory-board:
    members: [U0000000004, U0000000005]
  # on-call:
  #   slack_usergroup: S0000000001

# Who may submit what. Without rules, anyone may submit anything. A deny beats a submit.
# submit_rules:
#   - groups: [contractors]          # members of these groups...
#     family: core-router            # ...may not submit these families (globs allowed)...
#     actions: [reload]              # ...with these actions (leave out for any)
#     policy: deny                   # or `submit`: only these groups may submit them

# Workflows: a change gets the workflow with the lowest priority number whose `match` holds.
# A change no workflow matches is refused: nothing is ever approved by default. These four
# cover every risk level, so every change matches one of them.
#
# Each stage needs every one of its requirements ({group, count}: that many different members
# approve). The requester never counts (four eyes), and a person who approved one stage cannot
# approve a later one, so keep counts below the group's size.
workflows:
  - name: critical
    priority: 10
    match: {risk: critical}
    stages:
      - name: Peer review
        require:
          - {group: network-engineers, count: 2}
      - name: Change Advisory Board
        require:
          - {group: change-advisory-board, count: 1}

  - name: high
    priority: 20
    match: {risk: high}
    stages:
      - require:
          - {group: network-engineers, count: 2}

  - name: medium
    priority: 30
    match: {risk: medium}
    stages:
      - require:
          - {group: network-engineers, count: 1}

  - name: low
    priority: 40
    match: {risk: low}
    stages:                  # `stages: []` would approve low-risk changes at submission
      - require:
          - {group: network-engineers, count: 1}
    # apply: auto            # apply by itself once approved (default: manual, a person applies)

# How changes are dry-run and applied. Without executors, a pipeline reports dry-runs and
# outcomes through the API (`changegate submit`, `changegate result`); see docs/executors.md.
# executors:
#   netops-api:
#     kind: webhook
#     url: https://netops.example.com/changegate
#     secret_env: CHANGEGATE_NETOPS_SECRET   # the variable's name, never the secret itself
# families:
#   bgp: {executor: netops-api}
"""
