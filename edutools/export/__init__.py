"""Item bank exporters: GIFT, Moodle XML, QTI 1.2 (Canvas) and CSV.

:func:`write` puts a bank into a file in one of :data:`FORMATS`; :func:`render` returns
the bytes. Items a reviewer rejected are left out. Everything students wrote is exported
as text, escaped for the target format.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from edutools.errors import DataError
from edutools.export.csv import to_csv
from edutools.export.gift import to_gift
from edutools.export.moodle_xml import to_moodle_xml
from edutools.export.qti import to_qti_zip
from edutools.schema import ItemBank

__all__ = [
    "FORMATS",
    "STATUSES",
    "SUFFIXES",
    "render",
    "select",
    "status_counts",
    "to_csv",
    "to_gift",
    "to_moodle_xml",
    "to_qti_zip",
    "write",
]

_RENDERERS: dict[str, Callable[[ItemBank, bool], bytes]] = {
    "gift": lambda bank, rejected: to_gift(bank, include_rejected=rejected).encode("utf-8"),
    "moodle": lambda bank, rejected: to_moodle_xml(bank, include_rejected=rejected).encode("utf-8"),
    "qti": lambda bank, rejected: to_qti_zip(bank, include_rejected=rejected),
    "csv": lambda bank, rejected: to_csv(bank, include_rejected=rejected).encode("utf-8"),
}
FORMATS: tuple[str, ...] = tuple(_RENDERERS)
SUFFIXES: dict[str, str] = {"gift": ".gift", "moodle": ".xml", "qti": ".zip", "csv": ".csv"}


#: What to export, by review status: only ``accepted`` items; ``reviewed`` -- everything the
#: review has not rejected (accepted items and drafts); ``all`` -- rejected items too.
STATUSES: tuple[str, ...] = ("accepted", "reviewed", "all")
_KEEP = {
    "accepted": {"accepted"},
    "reviewed": {"accepted", "draft"},
    "all": {"accepted", "draft", "rejected"},
}


def status_counts(bank: ItemBank) -> dict[str, int]:
    """Items per review status: ``{"accepted": n, "draft": n, "rejected": n}``.

    Example
    -------
    >>> from edutools.schema import Provenance
    >>> status_counts(ItemBank(course_id="c", run=Provenance(engine="local")))
    {'accepted': 0, 'draft': 0, 'rejected': 0}
    """
    counts = {"accepted": 0, "draft": 0, "rejected": 0}
    for item in bank.items:
        counts[item.status] += 1
    return counts


def select(bank: ItemBank, status: str = "accepted") -> ItemBank:
    """The bank with only the items of one export choice (see :data:`STATUSES`).

    Raises
    ------
    DataError
        For an unknown choice, or when nothing is left (the message says how to accept
        items).

    Example
    -------
    >>> from edutools.schema import Item, Option, Provenance
    >>> item = Item(id="i1", source="local", concept_id="c", form="correct_key", stem="Which?",
    ...             options=[Option(text="yes", is_key=True), Option(text="no", is_key=False)])
    >>> bank = ItemBank(course_id="bio", items=[item], run=Provenance(engine="local"))
    >>> len(select(bank, "reviewed").items)
    1
    >>> select(bank)
    Traceback (most recent call last):
    ...
    edutools.errors.DataError: no accepted items to export (1 draft, 0 rejected); accept items on the app's Review page or with 'edutools accept BANK --out BANK', or export drafts too with --status reviewed
    """
    if status not in _KEEP:
        raise DataError(f"status {status!r} is not one of {', '.join(STATUSES)}")
    items = [i for i in bank.items if i.status in _KEEP[status]]
    if not items:
        counts = status_counts(bank)
        how = (
            "accept items on the app's Review page or with 'edutools accept BANK --out BANK', "
            "or export drafts too with --status reviewed"
            if status == "accepted"
            else "generate items first"
        )
        raise DataError(
            f"no {status if status != 'all' else ''} items to export ({counts['draft']} draft"
            f"{'s' if counts['draft'] != 1 else ''}, {counts['rejected']} rejected); {how}".replace(
                "no  items", "no items"
            )
        )
    return bank.model_copy(update={"items": items})


def render(bank: ItemBank, format: str, *, include_rejected: bool = False) -> bytes:
    """The bank in ``format`` as bytes (UTF-8 text, or zip bytes for ``qti``).

    Parameters
    ----------
    bank : ItemBank
        The bank to export.
    format : str
        One of ``gift``, ``moodle``, ``qti``, ``csv``.
    include_rejected : bool
        Export rejected items too.

    Returns
    -------
    bytes

    Example
    -------
    >>> from edutools.schema import Item, Option, Provenance
    >>> item = Item(id="i1", source="local", concept_id="c", form="correct_key", stem="Which?",
    ...             options=[Option(text="yes", is_key=True), Option(text="no", is_key=False)])
    >>> render(ItemBank(course_id="bio", items=[item], run=Provenance(engine="local")), "csv")[:10]
    b'id,source,'
    """
    renderer = _RENDERERS.get(format)
    if renderer is None:
        raise DataError(f"unknown export format {format!r}; use one of {', '.join(FORMATS)}")
    return renderer(bank, include_rejected)


def write(bank: ItemBank, format: str, path: str | Path, *, include_rejected: bool = False) -> Path:
    """Write the bank to ``path`` in ``format``; parent folders are created.

    Parameters
    ----------
    bank : ItemBank
        The bank to export.
    format : str
        One of ``gift``, ``moodle``, ``qti``, ``csv``.
    path : str or Path
        Output file.
    include_rejected : bool
        Export rejected items too.

    Returns
    -------
    Path
        The file written.

    Example
    -------
    >>> import tempfile
    >>> from edutools.schema import Item, Option, Provenance
    >>> item = Item(id="i1", source="local", concept_id="c", form="correct_key", stem="Which?",
    ...             options=[Option(text="yes", is_key=True), Option(text="no", is_key=False)])
    >>> bank = ItemBank(course_id="bio", items=[item], run=Provenance(engine="local"))
    >>> write(bank, "gift", Path(tempfile.mkdtemp()) / "quiz.gift").suffix
    '.gift'
    """
    data = render(bank, format, include_rejected=include_rejected)
    out = Path(path)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(data)
    except OSError as exc:
        raise DataError(
            f"{out}: cannot write the {format} export ({exc.strerror or exc})"
        ) from None
    return out
