"""A throwaway schema on the test PostgreSQL, for the storage tests and the two-instance test."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator

import pytest


@contextlib.contextmanager
def pg_schema(what: str) -> Iterator[str]:
    """A URL of ``EDUTOOLS_TEST_PG_URL`` whose search path is a fresh schema, dropped afterwards.

    Without the URL the test is skipped (``what`` says which), or fails when CI demands
    PostgreSQL (``EDUTOOLS_REQUIRE_POSTGRES=1``).
    """
    url = os.environ.get("EDUTOOLS_TEST_PG_URL")
    if not url:
        if os.environ.get("EDUTOOLS_REQUIRE_POSTGRES") == "1":
            pytest.fail("EDUTOOLS_REQUIRE_POSTGRES=1 but EDUTOOLS_TEST_PG_URL is not set")
        pytest.skip(f"set EDUTOOLS_TEST_PG_URL to run {what}")
    import sqlalchemy as sa

    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(url)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in url else "?"
    try:
        yield f"{url}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
