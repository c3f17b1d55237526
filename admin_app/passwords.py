"""How admin passwords are stored: Werkzeug's hash with the configured method
(PASSWORD_HASH_METHOD: scrypt, memory-hard, unless the test suite makes it cheap)."""
from __future__ import annotations

import secrets
from functools import cache

from flask import current_app
from werkzeug.security import check_password_hash, generate_password_hash

# Werkzeug's scrypt cost (N): its default, and the least production accepts.
MIN_SCRYPT_COST = 2**15


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


# Werkzeug's scrypt block size (r) and parallelism (p): the least production accepts.
MIN_SCRYPT_BLOCK_SIZE, MIN_SCRYPT_PARALLELISM = 8, 1


def is_strong(method: str) -> bool:
    """scrypt at Werkzeug's default cost or more in each of its three parameters
    ("scrypt", "scrypt:65536:8:1"), and one that really hashes here (a cost past
    the memory scrypt may use would refuse every login)."""
    name, *params = method.split(":")
    if name != "scrypt" or len(params) not in (0, 3) or not all(p.isdigit() for p in params):
        return False
    cost, block_size, parallelism = (int(p) for p in params) if params else (
        MIN_SCRYPT_COST, MIN_SCRYPT_BLOCK_SIZE, MIN_SCRYPT_PARALLELISM)
    if (cost < MIN_SCRYPT_COST or block_size < MIN_SCRYPT_BLOCK_SIZE
            or parallelism < MIN_SCRYPT_PARALLELISM):
        return False
    try:
        generate_password_hash(secrets.token_urlsafe(16), method=method)
    except ValueError:
        return False
    return True


def password_matches(password_hash: str, password: str) -> bool:
    # The stored hash names its own method: one stored before a change still checks.
    return check_password_hash(password_hash, password)


def check_against_nothing(password: str) -> None:
    """As slow as checking a stored password, so that refusing an unknown account
    takes as long as refusing a wrong password."""
    check_password_hash(_dummy_hash(current_app.config["PASSWORD_HASH_METHOD"]), password)


@cache
def _dummy_hash(method: str) -> str:
    return generate_password_hash(secrets.token_urlsafe(16), method=method)
