"""Password hashes for the app login (no streamlit here, so the CLI can use it too).

The format is Django's ``pbkdf2_sha256$<iterations>$<salt>$<base64 hash>``: the hash is
PBKDF2-HMAC-SHA256 of the UTF-8 password with the salt's UTF-8 bytes, base64-encoded. A hash
made by Django (or by ``edutools app hash-password``) works unchanged.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from edutools.errors import ConfigError

__all__ = ["DEFAULT_ITERATIONS", "hash_password", "parse_hash", "verify_password"]

DEFAULT_ITERATIONS = 600_000
_ALGORITHM = "pbkdf2_sha256"
_MIN_ITERATIONS = 10_000


def _derive(password: str, salt: str, iterations: int) -> str:
    raw = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), iterations)
    return base64.b64encode(raw).decode("ascii")


def parse_hash(encoded: str) -> tuple[int, str, str]:
    """Split a stored hash into (iterations, salt, digest); ConfigError naming the problem.

    Example
    -------
    >>> parse_hash("pbkdf2_sha256$600000$abc$ZGlnZXN0")
    (600000, 'abc', 'ZGlnZXN0')
    """
    parts = encoded.strip().split("$")
    if len(parts) != 4 or parts[0] != _ALGORITHM:
        raise ConfigError(
            "EDUTOOLS_APP_PASSWORD_HASH is not of the form pbkdf2_sha256$iterations$salt$hash; "
            "make one with: edutools app hash-password"
        )
    _, iterations, salt, digest = parts
    if not iterations.isdigit() or int(iterations) < _MIN_ITERATIONS:
        raise ConfigError(
            f"EDUTOOLS_APP_PASSWORD_HASH has {iterations!r} iterations; "
            f"use at least {_MIN_ITERATIONS} (edutools app hash-password uses {DEFAULT_ITERATIONS})"
        )
    if not salt or not digest:
        raise ConfigError("EDUTOOLS_APP_PASSWORD_HASH has an empty salt or hash")
    return int(iterations), salt, digest


def hash_password(
    password: str, *, salt: str | None = None, iterations: int = DEFAULT_ITERATIONS
) -> str:
    """Hash ``password`` for EDUTOOLS_APP_PASSWORD_HASH or the ``password_hash`` secret.

    Parameters
    ----------
    password
        The password; must not be empty.
    salt
        Salt text (default: 16 random bytes, URL-safe).
    iterations
        PBKDF2 rounds.

    Returns
    -------
    str
        ``pbkdf2_sha256$iterations$salt$hash``.

    Example
    -------
    >>> h = hash_password("s3cret", salt="pepper", iterations=10_000)
    >>> verify_password("s3cret", h), verify_password("wrong", h)
    (True, False)
    """
    if not password:
        raise ConfigError("the password is empty; choose a non-empty password")
    if iterations < _MIN_ITERATIONS:
        raise ConfigError(f"iterations={iterations} is too few; use at least {_MIN_ITERATIONS}")
    salt = salt or secrets.token_urlsafe(16)
    if "$" in salt:
        raise ConfigError("the salt must not contain '$'")
    return f"{_ALGORITHM}${iterations}${salt}${_derive(password, salt, iterations)}"


def verify_password(password: str, encoded: str) -> bool:
    """True when ``password`` matches the stored hash (constant-time comparison)."""
    iterations, salt, digest = parse_hash(encoded)
    return hmac.compare_digest(_derive(password, salt, iterations), digest)
