"""Who may open the instructor, researcher and admin pages.

Three modes, chosen from configuration:

``oidc``
    ``[auth]`` in ``.streamlit/secrets.toml`` (Streamlit's OpenID Connect settings): pages ask
    for ``st.login``; needs ``pip install 'edutools[auth]'``.
``password``
    a ``password_hash`` secret or ``EDUTOOLS_APP_PASSWORD_HASH`` (make one with
    ``edutools app hash-password``): a password form; the login lasts for the browser session.
``local``
    neither: the pages are open, but only while the server listens on a loopback address
    (``make run`` binds 127.0.0.1); a banner says so. On any other address they stay closed.

Participants never log in: their page shows only the session named by their link.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import streamlit as st
from streamlit.errors import StreamlitSecretNotFoundError

from edutools.app.passwords import verify_password
from edutools.errors import ConfigError
from edutools.settings import Settings

__all__ = ["Access", "access", "guard", "show_banner"]

_LOOPBACK = ("127.0.0.1", "localhost", "::1")
_LOGIN_KEY = "edutools_login"
_FAILED_LOGIN_DELAY_S = 1.0


@dataclass(frozen=True)
class Access:
    """The configured login mode and what it needs."""

    mode: Literal["oidc", "password", "local"]
    password_hash: str | None = None
    provider: str | None = None
    address: str = ""

    @property
    def loopback_only(self) -> bool:
        """True when the server is bound to a loopback address."""
        return self.address in _LOOPBACK


def _secrets() -> Mapping[str, Any]:
    try:
        return {k: st.secrets[k] for k in st.secrets}
    except (StreamlitSecretNotFoundError, FileNotFoundError):
        return {}


def _oidc_provider(auth: Mapping[str, Any]) -> str | None:
    """The provider name for st.login: None for the single-provider form."""
    if "client_id" in auth:
        return None
    named = [k for k, v in auth.items() if isinstance(v, Mapping) and "client_id" in v]
    return named[0] if named else None


def access(settings: Settings) -> Access:
    """The access mode for this server, from secrets and settings."""
    secrets = _secrets()
    address = str(st.get_option("server.address") or "")
    auth = secrets.get("auth")
    if isinstance(auth, Mapping) and auth:
        return Access("oidc", provider=_oidc_provider(auth), address=address)
    password_hash = secrets.get("password_hash") or settings.app_password_hash
    if password_hash:
        return Access("password", password_hash=str(password_hash), address=address)
    return Access("local", address=address)


def show_banner(acc: Access) -> None:
    """Say, on every staff page, how the app is protected when no login is configured."""
    if acc.mode != "local":
        return
    if acc.loopback_only:
        st.info(
            f"No login is configured: the app listens on {acc.address} only (this computer). "
            "To share it, set EDUTOOLS_APP_PASSWORD_HASH (`edutools app hash-password`) or "
            "an OIDC provider.",
            icon="🔒",
        )


def _password_form(acc: Access) -> None:
    st.title("Log in")
    st.caption("Instructor, researcher and study admin pages need the app password.")
    with st.form("login"):
        password = st.text_input("Password", type="password")
        submitted = st.form_submit_button("Log in", type="primary")
    if submitted:
        try:
            ok = verify_password(password, acc.password_hash or "")
        except ConfigError as exc:
            st.error(str(exc))
            return
        if ok:
            st.session_state[_LOGIN_KEY] = True
            st.rerun()
        time.sleep(_FAILED_LOGIN_DELAY_S)  # slows down guessing
        st.error("Wrong password.")


def _oidc_form(acc: Access) -> None:
    st.title("Log in")
    st.caption("Instructor, researcher and study admin pages need a login.")
    if st.button("Log in with your identity provider", type="primary"):
        try:
            if acc.provider is None:
                st.login()
            else:
                st.login(acc.provider)
        except Exception as exc:  # streamlit raises its own types for config problems
            st.error(f"Login is not available: {exc}")


def is_logged_in(acc: Access) -> bool:
    """True when the current browser session may open staff pages."""
    if acc.mode == "oidc":
        return bool(st.user.is_logged_in)
    if acc.mode == "password":
        return bool(st.session_state.get(_LOGIN_KEY))
    return acc.loopback_only


def guard(
    render: Callable[[], None], settings_factory: Callable[[], Settings]
) -> Callable[[], None]:
    """Wrap a staff page: show the login form (and nothing else) until the user may see it."""

    def page() -> None:
        try:
            acc = access(settings_factory())
        except ConfigError as exc:
            st.error(str(exc))
            return
        if is_logged_in(acc):
            show_banner(acc)
            render()
            return
        if acc.mode == "oidc":
            _oidc_form(acc)
        elif acc.mode == "password":
            _password_form(acc)
        else:
            st.title("Staff pages are closed")
            st.error(
                f"No login is configured and the app listens on {acc.address or 'all addresses'}, "
                "so instructor, researcher and admin pages stay closed. Restart with "
                "`--server.address 127.0.0.1` (as `make run` does) or set "
                "EDUTOOLS_APP_PASSWORD_HASH (make one with `edutools app hash-password`)."
            )

    page.__name__ = getattr(render, "__name__", "page")
    page.__qualname__ = page.__name__
    return page
