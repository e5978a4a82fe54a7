"""A file that cannot be read is explained in Danish only: no library class names in the reason."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable

import pytest

from core.errors import BadFile
from ingest.docx import parse_docx
from ingest.pdf import parse_pdf

CLASS_NAME = re.compile(r"\b[A-Z][A-Za-z]+(Error|Exception)\b|\(\w+\)")


def broken_docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("[Content_Types].xml", "<Types/>")
        package.writestr("word/document.xml", "<ikke-xml")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("parse", "data", "reason"),
    [
        (parse_pdf, b"%PDF-1.7\n" + bytes(range(256)) * 50 + b"\n%%EOF\n", "PDF-filen er beskadiget"),
        (parse_docx, broken_docx(), "Word-filen er beskadiget og kan ikke læses"),
    ],
)
def test_a_broken_file_is_explained_without_library_class_names(
    parse: Callable[[bytes], object], data: bytes, reason: str
) -> None:
    with pytest.raises(BadFile) as info:
        parse(data)
    assert info.value.message.startswith(reason), info.value.message
    assert not CLASS_NAME.search(info.value.message), info.value.message
