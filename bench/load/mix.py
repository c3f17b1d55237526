"""What a simulated operator does, as plain data and functions (no Locust here,
so the tests can read the mix without Locust's monkey-patching).

Every twentieth action of each operator is a top-up; the others are reads,
drawn by weight. Each operator starts at a random place in its cycle of twenty,
so top-ups are spread over the run instead of all falling at once.
"""
from __future__ import annotations

import random
import re
from html import unescape

TOPUP = "top-up"
TOPUP_EVERY = 20
# Seconds an operator waits between actions: a busy operator, not a robot.
THINK_SECONDS = (0.5, 2.0)

# Kinds of read, each a name in the results table, and how often staff do them.
READS = {
    "customers, page 1": 3,
    "customers, deep page": 1,
    "customers, sorted": 2,
    "search: name fragment": 3,
    "search: email": 2,
    "search: phone": 2,
    "filter": 2,
    "customer page": 4,
}
TOPUP_FORM = "top-up: form"
TOPUP_POST = "top-up: post"
LOGIN_FORM = "login: form"
LOGIN_POST = "login: post"
# Every name a request can carry in the table, in the order the table shows them.
REQUEST_NAMES = (LOGIN_FORM, LOGIN_POST, *READS, TOPUP_FORM, TOPUP_POST)


def first_action_number(rng: random.Random) -> int:
    """Where an operator starts in the cycle of TOPUP_EVERY actions."""
    return rng.randrange(TOPUP_EVERY)


def action(number: int, rng: random.Random) -> str:
    """The ``number``th action (counting from 1): a top-up every TOPUP_EVERY, else a read."""
    if number % TOPUP_EVERY == 0:
        return TOPUP
    kinds = list(READS)
    return rng.choices(kinds, weights=[READS[kind] for kind in kinds])[0]


_INPUT = re.compile(r"<input\b[^>]*>", re.IGNORECASE)
_ATTRIBUTE = re.compile(r'([\w-]+)\s*=\s*"([^"]*)"')


def hidden_value(html: str, name: str) -> str | None:
    """The value of the form field ``name`` in a page (CSRF token, idempotency key)."""
    for tag in _INPUT.findall(html):
        attributes = dict(_ATTRIBUTE.findall(tag))
        if attributes.get("name") == name:
            return unescape(attributes.get("value", ""))
    return None


_DURATION = re.compile(r"(\d+)\s*([hms])")


def seconds(duration: str) -> int:
    """Locust's run time ("2m", "15s", "1h30m", or bare seconds) in seconds."""
    text = duration.strip().lower()
    if text.isdigit():
        return int(text)
    parts = _DURATION.findall(text)
    if not parts or _DURATION.sub("", text).strip():
        raise ValueError(f"not a duration: {duration!r} (write e.g. 2m, 15s, 1h30m)")
    unit = {"h": 3600, "m": 60, "s": 1}
    return sum(int(value) * unit[letter] for value, letter in parts)
