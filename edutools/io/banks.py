"""Read and write item banks (:class:`~edutools.schema.ItemBank` as JSON).

Reading is strict where pydantic would be lenient: ``is_key`` must be JSON ``true`` or
``false`` (``"yes"``, ``"1"`` or ``1`` are errors, not quietly true). Every string is
normalised with :func:`~edutools.io._source.clean_text`, so a bank read from a file holds
nothing an XML export cannot carry.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from edutools.errors import DataError
from edutools.io._source import clean_text, fail, load_json, pydantic_location
from edutools.schema import ItemBank

__all__ = ["read_item_bank", "write_item_bank"]


def _cleaned(value: Any) -> Any:
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, list):
        return [_cleaned(v) for v in value]
    if isinstance(value, dict):
        return {k: _cleaned(v) for k, v in value.items()}
    return value


def _check_keys(label: str, payload: Any) -> None:
    """Every option's ``is_key`` is a JSON boolean."""
    if not isinstance(payload, dict) or not isinstance(payload.get("items"), list):
        return
    for i, item in enumerate(payload["items"], start=1):
        options = item.get("options") if isinstance(item, dict) else None
        if not isinstance(options, list):
            continue
        for j, option in enumerate(options, start=1):
            if isinstance(option, dict) and "is_key" in option:
                value = option["is_key"]
                if not isinstance(value, bool):
                    raise fail(
                        label,
                        f"items row {i}",
                        f"options.{j}.is_key",
                        f"{value!r} is not true or false; write true or false without quotes",
                    )


def read_item_bank(path: str | Path) -> ItemBank:
    """Read an ItemBank JSON file; a schema violation names the item and field.

    Example
    -------
    >>> from edutools.io import example_course_dir
    >>> bank = read_item_bank(example_course_dir() / "human_bank.json")
    >>> bank.items[0].source
    'human'
    """
    p = Path(path)
    if not p.exists():
        raise DataError(f"{p}: no such file; expected an item bank .json file")
    payload = load_json(p)
    _check_keys(p.name, payload)
    try:
        return ItemBank.model_validate(_cleaned(payload))
    except ValidationError as exc:
        where, column, msg = pydantic_location(exc)
        raise fail(p.name, where, column, f"{msg}; the file is not a valid item bank") from None


def write_item_bank(bank: ItemBank, path: str | Path) -> Path:
    """Write an ItemBank as indented JSON."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(bank.model_dump_json(indent=2), encoding="utf-8")
    return p
