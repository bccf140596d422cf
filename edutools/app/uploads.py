"""Turn browser uploads (a name and bytes) into validated edutools objects.

No streamlit here: the readers of :mod:`edutools.io` take paths, so an upload is written to a
private temporary folder under its own file name (so error messages name the file the user
chose) and read from there. A course folder arrives as a zip archive.
"""

from __future__ import annotations

import tempfile
import zipfile
from io import BytesIO
from pathlib import Path, PurePosixPath

import pandas as pd

from edutools import io
from edutools.errors import DataError
from edutools.schema import Course

__all__ = ["MAX_UPLOAD_BYTES", "read_course_upload", "read_responses_upload"]

MAX_UPLOAD_BYTES = 200 * 1024 * 1024
_COURSE_TYPES = (".zip", ".xlsx", ".json")
_RESPONSE_TYPES = (".csv", ".xlsx")


def _safe_name(filename: str, allowed: tuple[str, ...]) -> str:
    name = PurePosixPath(filename.replace("\\", "/")).name
    suffix = PurePosixPath(name).suffix.lower()
    if suffix not in allowed:
        raise DataError(
            f"{name or '(no name)'}: unsupported file type '{suffix or '(none)'}'; "
            f"expected {', '.join(allowed)}"
        )
    return name


def _extract_course_zip(name: str, data: bytes, target: Path) -> Path:
    """Extract the CSV files of a zipped course folder; return the folder holding them."""
    try:
        archive = zipfile.ZipFile(BytesIO(data))
    except zipfile.BadZipFile:
        raise DataError(f"{name}: not a valid zip archive; zip the course folder") from None
    with archive:
        members = [
            m
            for m in archive.infolist()
            if not m.is_dir()
            and m.filename.lower().endswith(".csv")
            and not PurePosixPath(m.filename).name.startswith(".")
            and "__MACOSX" not in m.filename
        ]
        folders = {str(PurePosixPath(m.filename).parent) for m in members}
        holding = sorted(
            f
            for f in folders
            if any(PurePosixPath(m.filename) == PurePosixPath(f, "concepts.csv") for m in members)
        )
        if not holding:
            raise DataError(
                f"{name}: no concepts.csv inside; a course zip holds concepts.csv, "
                "questions.csv and answers.csv (optionally course.csv)"
            )
        if len(holding) > 1:
            raise DataError(
                f"{name}: {len(holding)} folders hold a concepts.csv ({', '.join(holding)}); "
                "zip one course at a time"
            )
        inside = PurePosixPath(holding[0])
        folder = target / PurePosixPath(name).stem
        folder.mkdir()
        total = 0
        for m in members:
            path = PurePosixPath(m.filename)
            if path.parent != inside:
                continue
            total += m.file_size
            if total > MAX_UPLOAD_BYTES:
                raise DataError(f"{name}: unpacks to more than {MAX_UPLOAD_BYTES >> 20} MB")
            # Only the base name is used, so an archive entry cannot write outside `folder`.
            (folder / path.name).write_bytes(archive.read(m))
    return folder


def read_course_upload(filename: str, data: bytes) -> Course:
    """Read an uploaded course: a zipped CSV folder, an XLSX workbook or a JSON file.

    Parameters
    ----------
    filename
        The name the browser sent (only its last component is used).
    data
        The file's bytes.

    Returns
    -------
    Course
        The validated course; a :class:`~edutools.errors.DataError` names the file, row and
        column of the first problem otherwise.

    Example
    -------
    >>> course = read_course_upload("course.json", Path("course.json").read_bytes())  # doctest: +SKIP
    >>> course.title  # doctest: +SKIP
    'Introduction to Biology (BIO 101)'
    """
    name = _safe_name(filename, _COURSE_TYPES)
    if len(data) > MAX_UPLOAD_BYTES:
        raise DataError(f"{name}: larger than {MAX_UPLOAD_BYTES >> 20} MB")
    with tempfile.TemporaryDirectory(prefix="edutools-upload-") as tmp:
        target = Path(tmp)
        if name.lower().endswith(".zip"):
            return io.read_course(_extract_course_zip(name, data, target))
        path = target / name
        path.write_bytes(data)
        return io.read_course(path)


def read_responses_upload(filename: str, data: bytes) -> pd.DataFrame:
    """Read an uploaded response file (wide or long, CSV or XLSX) as persons × items floats.

    See :func:`edutools.io.read_responses`; constant items are allowed here because the
    estimators exclude them with a visible note.
    """
    name = _safe_name(filename, _RESPONSE_TYPES)
    with tempfile.TemporaryDirectory(prefix="edutools-upload-") as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        return io.read_responses(path, allow_constant=True)
