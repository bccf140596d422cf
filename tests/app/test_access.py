"""Access to staff pages: password login, OIDC login button, and the loopback-only rule."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from streamlit.testing.v1 import AppTest

from edutools.app.passwords import hash_password, parse_hash, verify_password
from edutools.errors import ConfigError

FAST = 10_000  # the minimum the parser accepts; keeps the tests quick


@pytest.mark.parametrize(
    ("encoded", "message"),
    [
        pytest.param("md5$1$a$b", "is not of the form", id="algorithm"),
        pytest.param("pbkdf2_sha256$10$a$b", "'10' iterations", id="too-few-iterations"),
        pytest.param("pbkdf2_sha256$x$a$b", "'x' iterations", id="iterations-not-a-number"),
        pytest.param("pbkdf2_sha256$20000$$b", "empty salt", id="empty-salt"),
        pytest.param("pbkdf2_sha256$20000$a", "is not of the form", id="three-parts"),
    ],
)
def test_bad_hashes_are_config_errors(encoded: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_hash(encoded)


def test_hash_round_trip_and_django_compatibility() -> None:
    # Django: make_password("s3cret", salt="pepper", hasher=PBKDF2PasswordHasher) with 10000 rounds
    h = hash_password("s3cret", salt="pepper", iterations=FAST)
    assert h == "pbkdf2_sha256$10000$pepper$" + h.rsplit("$", 1)[1]
    assert verify_password("s3cret", h)
    assert not verify_password("s3cret ", h)
    assert hash_password("s3cret", iterations=FAST) != hash_password("s3cret", iterations=FAST)
    with pytest.raises(ConfigError, match="empty"):
        hash_password("")


def _shows_no_course_data(at: AppTest) -> None:
    assert not at.metric
    assert not at.dataframe


def test_password_login(app: Callable[..., AppTest], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDUTOOLS_APP_PASSWORD_HASH", hash_password("open sesame", iterations=FAST))
    at = app().run()
    assert at.title[0].value == "Log in"
    _shows_no_course_data(at)
    assert not at.info  # no "local only" banner when a login is configured
    at.text_input[0].input("wrong")
    at.button[0].click()
    at.run()
    assert at.error[0].value == "Wrong password."
    _shows_no_course_data(at)
    at.text_input[0].input("open sesame")
    at.button[0].click()
    at.run()
    assert not at.exception
    assert at.metric, "the course page shows after logging in"


def test_password_hash_from_secrets(app: Callable[..., AppTest]) -> None:
    at = app()
    at.secrets["password_hash"] = hash_password("pw", iterations=FAST)
    at.run()
    assert at.title[0].value == "Log in"
    _shows_no_course_data(at)


def test_oidc_login_button(app: Callable[..., AppTest]) -> None:
    at = app()
    at.secrets["auth"] = {
        "redirect_uri": "http://localhost:8501/oauth2callback",
        "cookie_secret": "x" * 32,
        "client_id": "edutools",
        "client_secret": "s",
        "server_metadata_url": "https://id.example.org/.well-known/openid-configuration",
    }
    at.user = {"is_logged_in": False}
    at.run()
    assert at.button[0].label == "Log in with your identity provider"
    _shows_no_course_data(at)
    at.user = {"is_logged_in": True, "email": "prof@example.org"}
    at.run()
    assert at.metric


@pytest.mark.parametrize(
    "address", [pytest.param("0.0.0.0", id="any"), pytest.param("", id="unset")]
)
def test_no_login_on_a_public_address_keeps_staff_pages_closed(
    app: Callable[..., AppTest], server_address: Callable[[str], None], address: str
) -> None:
    at = app()
    server_address(address)
    at.run()
    assert at.title[0].value == "Staff pages are closed"
    assert "EDUTOOLS_APP_PASSWORD_HASH" in at.error[0].value
    _shows_no_course_data(at)
