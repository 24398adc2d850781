"""Slack mrkdwn as the sandbox page shows it: formatting, mentions, dates, and nothing unsafe."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.sandbox import dates
from bot.sandbox.mrkdwn_html import to_html
from bot.sandbox.viewer import Viewer

NOW = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
READER = Viewer("U0SAM", ZoneInfo("America/New_York"), NOW,
                {"U0SAM": "Sam Senior", "U0RITA": "Rita <Requester>"},
                {"S0NETENG": "network-engineers"}, {"C0CHANGES": "changes"})


@pytest.mark.parametrize(("mrkdwn", "html"), [
    ("*bold* _italic_ ~gone~", "<b>bold</b> <i>italic</i> <s>gone</s>"),
    ("snake_case_name and 2*3*4", "snake_case_name and 2*3*4"),
    ("*:warning: Careful*", "<b>⚠️ Careful</b>"),
    (":not_an_emoji: 10:30:00", ":not_an_emoji: 10:30:00"),
    ("a\nb", "a<br>b"),
    ("*Plan*\n> undo\n> twice\nafter", "<b>Plan</b><blockquote>undo<br>twice</blockquote>after"),
    ("`a < b` and `*x*`", "<code>a &lt; b</code> and <code>*x*</code>"),
    ("out:\n```+ add\n- del```\nend", 'out:<pre class="mk-pre">+ add\n- del</pre>end'),
    ("a &lt;b&gt; &amp; c", "a &lt;b&gt; &amp; c"),
    ("&gt; not a quote", "&gt; not a quote"),
])
def test_formatting(mrkdwn: str, html: str) -> None:
    assert to_html(mrkdwn, READER) == html


@pytest.mark.parametrize(("mrkdwn", "html"), [
    ("<@U0SAM>", '<span class="mention me" data-user="U0SAM">@Sam Senior</span>'),
    ("<@U0RITA>", '<span class="mention" data-user="U0RITA">@Rita &lt;Requester&gt;</span>'),
    ("<@U0GONE|gone>", '<span class="mention" data-user="U0GONE">@gone</span>'),
    ("<!subteam^S0NETENG>", '<span class="mention group">@network-engineers</span>'),
    ("<!subteam^S0OTHER|@ops>", '<span class="mention group">@ops</span>'),
    ("<!here>", '<span class="mention group">@here</span>'),
    ("<#C0CHANGES>", '<a class="channel-link" data-channel="C0CHANGES">#changes</a>'),
    ("<https://example.com/a?b=1&amp;c=2|the docs>",
     '<a href="https://example.com/a?b=1&amp;c=2" target="_blank" '
     'rel="noopener noreferrer">the docs</a>'),
    ("*<@U0SAM>*", '<b><span class="mention me" data-user="U0SAM">@Sam Senior</span></b>'),
])
def test_mentions_channels_and_links(mrkdwn: str, html: str) -> None:
    assert to_html(mrkdwn, READER) == html


@pytest.mark.parametrize("hostile", [
    "<script>alert(1)</script>",
    "<javascript:alert(1)|click>",
    '<https://x.test/"onmouseover="alert(1)|x>',
    "```</pre><script>alert(1)</script>```",
    "`<img src=x onerror=alert(1)>`",
    "<@U0SAM|<img src=x>>",
    "\ue000<b>",
])
def test_nothing_typed_becomes_markup(hostile: str) -> None:
    html = to_html(hostile, READER)

    assert "<script" not in html and "<img" not in html and 'href="javascript' not in html
    assert '"onmouseover' not in html


def test_a_date_token_is_shown_in_the_readers_zone_with_its_fallback_as_title() -> None:
    html = to_html("due <!date^1793610000^{date_short_pretty} at {time}|2026-11-02 09:00 UTC>",
                   READER)

    assert html == ('due <time datetime="2026-11-02T04:00:00-05:00" title="2026-11-02 09:00 UTC">'
                    "today at 4:00 AM</time>")


def test_a_broken_date_token_shows_its_fallback() -> None:
    assert to_html("<!date^soon^{date}|next week>", READER) == "next week"


@pytest.mark.parametrize(("fmt", "shown"), [
    ("{date_num} {time_secs}", "2026-11-02 4:00:00 AM"),
    ("{date}", "November 2nd, 2026"),
    ("{date_long}", "Monday, November 2nd, 2026"),
    ("{date_pretty} · {date_long_pretty}", "today · today"),
    ("{ago}", "3 hours ago"),
    ("{unknown} at {time}", "{unknown} at 4:00 AM"),
])
def test_date_formats(fmt: str, shown: str) -> None:
    assert dates.render(1793610000, fmt, ZoneInfo("America/New_York"), NOW) == shown


@pytest.mark.parametrize(("seconds", "shown"), [
    (10, "just now"), (-90, "in 2 minutes"), (3600, "1 hour ago"), (86400 * 3, "3 days ago"),
    (-86400 * 400, "in 1 year"),
])
def test_relative_times(seconds: int, shown: str) -> None:
    at = datetime.fromtimestamp(NOW.timestamp() - seconds, UTC)
    assert dates.ago(at, NOW) == shown


def test_yesterday_and_tomorrow_depend_on_the_readers_day() -> None:
    late = datetime(2026, 11, 2, 23, 30, tzinfo=UTC)
    stamp = int(datetime(2026, 11, 3, 1, 0, tzinfo=UTC).timestamp())

    assert dates.render(stamp, "{date_pretty}", UTC, late) == "tomorrow"
    assert dates.render(stamp, "{date_pretty}", ZoneInfo("America/New_York"), late) == "today"
    assert dates.render(stamp - 86400 * 2, "{date_short_pretty}", UTC, late) == "yesterday"


@pytest.mark.parametrize(("day", "text"), [(1, "1st"), (2, "2nd"), (3, "3rd"), (4, "4th"),
                                           (11, "11th"), (12, "12th"), (13, "13th"),
                                           (21, "21st"), (22, "22nd"), (31, "31st")])
def test_ordinals(day: int, text: str) -> None:
    assert dates.ordinal(day) == text
