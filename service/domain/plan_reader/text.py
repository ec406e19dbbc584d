"""The document's text: reading an uploaded file (.txt, .docx, .pdf) and the clean text mapped to the original."""

from __future__ import annotations

import bisect
import io
import re
import unicodedata
import zipfile
from collections import Counter
from pathlib import Path

from service.domain.errors import Invalid

# --- limits for uploaded files ------------------------------------------------------------------

MAX_FILE_BYTES = 20 * 1024 * 1024  # the file as uploaded
MAX_TEXT_CHARS = 3_000_000  # the text taken from it (a long plan is ~300,000 characters)
MAX_DOCX_UNPACKED = 60 * 1024 * 1024  # all members of a .docx, unpacked
MAX_DOCX_RATIO = 200  # unpacked / packed size of one member: beyond this it is a zip bomb
MAX_PDF_PAGES = 2000
MIN_CJK_CHARS = 20


class UnreadableDocument(Invalid):
    """The file is not a plan's text this reader can read; nothing is changed."""


def _refuse(zh: str, en: str) -> UnreadableDocument:
    return UnreadableDocument(zh, en)


def read_document(filename: str, content: bytes) -> str:
    """The text of an uploaded plan (.txt/.md, .docx, or the text layer of a .pdf).

    Raises ``UnreadableDocument`` (HTTP 422) for an empty, oversized, binary, malformed or hostile file.
    """
    if not content:
        raise _refuse("文件为空", "the file is empty")
    if len(content) > MAX_FILE_BYTES:
        raise _refuse(
            f"文件过大（{len(content) // 2**20} MB），上限为 {MAX_FILE_BYTES // 2**20} MB",
            f"the file is too large ({len(content) // 2**20} MB); the limit is {MAX_FILE_BYTES // 2**20} MB",
        )
    suffix = Path(filename or "").suffix.lower()
    if content[:4] == b"PK\x03\x04" or suffix == ".docx":
        text = _docx_text(content)
    elif content[:5] == b"%PDF-" or suffix == ".pdf":
        text = _pdf_text(content)
    else:
        text = _plain_text(content)
    return check_text(text)


def check_text(text: str) -> str:
    """Refuse text that is too long, or has too little Chinese to be a plan."""
    if len(text) > MAX_TEXT_CHARS:
        raise _refuse(
            f"文本过长（{len(text):,} 字符），上限为 {MAX_TEXT_CHARS:,} 字符",
            f"the text is too long ({len(text):,} characters); the limit is {MAX_TEXT_CHARS:,}",
        )
    if not text.strip():
        raise _refuse("文件中没有文字", "the file contains no text")
    cjk = sum(1 for ch in text[:200_000] if "\u4e00" <= ch <= "\u9fff")
    if cjk < MIN_CJK_CHARS:
        raise _refuse(
            "文件中几乎没有中文文字，不像是规划文本",
            "the file has almost no Chinese text; it does not look like a plan",
        )
    return text


def _plain_text(content: bytes) -> str:
    if b"\x00" in content[:65536]:
        raise _refuse("这是二进制文件，不是文本", "this is a binary file, not text")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
        except UnicodeDecodeError:
            continue
        controls = sum(1 for ch in text[:65536] if unicodedata.category(ch) == "Cc" and ch not in "\r\n\t\f")
        if controls > 0.01 * min(len(text), 65536):
            raise _refuse("这是二进制文件，不是文本", "this is a binary file, not text")
        return text
    raise _refuse(
        "无法识别文件编码（应为 UTF-8 或 GB18030 文本）",
        "the file's encoding is not recognised (expected UTF-8 or GB18030 text)",
    )


def _docx_text(content: bytes) -> str:
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise _refuse(
            "不是有效的 .docx 文件（压缩包损坏）", f"not a valid .docx file (bad archive: {exc})"
        ) from exc
    total = 0
    for info in members:
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if total > MAX_DOCX_UNPACKED or (info.file_size > 1_000_000 and ratio > MAX_DOCX_RATIO):
            raise _refuse(
                "文件解压后异常巨大（疑似压缩炸弹），已拒绝",
                "the file unpacks to an abnormal size (a zip bomb?); refused",
            )
    if "word/document.xml" not in {m.filename for m in members}:
        raise _refuse("不是 Word (.docx) 文档", "not a Word (.docx) document")
    try:
        import docx

        document = docx.Document(io.BytesIO(content))
    except Exception as exc:  # python-docx raises many kinds of errors on malformed files
        raise _refuse("无法读取该 .docx 文件", f"cannot read this .docx file ({type(exc).__name__})") from exc
    lines = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            lines.append("\t".join(cell.text for cell in row.cells))
    return "\n".join(lines)


def _pdf_text(content: bytes) -> str:
    try:
        from pypdf import PdfReader

        reader = PdfReader(io.BytesIO(content))
        if len(reader.pages) > MAX_PDF_PAGES:
            raise _refuse(f"PDF 超过 {MAX_PDF_PAGES} 页", f"the PDF has more than {MAX_PDF_PAGES} pages")
        pages = []
        size = 0
        for page in reader.pages:
            text = page.extract_text() or ""
            size += len(text)
            if size > MAX_TEXT_CHARS:
                raise _refuse("PDF 文字过多", "the PDF holds too much text")
            pages.append(text)
    except UnreadableDocument:
        raise
    except Exception as exc:  # pypdf raises many kinds of errors on malformed files
        raise _refuse("无法读取该 PDF 文件", f"cannot read this PDF file ({type(exc).__name__})") from exc
    text = "\n".join(pages)
    if not text.strip():
        raise _refuse(
            "PDF 没有文字层（可能是扫描件），请先做文字识别",
            "the PDF has no text layer (a scan?); run OCR on it first",
        )
    return text


# --- the clean text and its map to the original ---------------------------------------------------

_FULLWIDTH = {i: i - 0xFEE0 for i in range(0xFF01, 0xFF5F)}
_FULLWIDTH[0x3000] = 0x20
_PAGE_FOOTER = re.compile(r"^\s*[-—–－]+\s*\d{1,4}\s*[-—–－]+\s*$|^\s*第\s*\d{1,4}\s*页\s*$")
# in running text a bracketed number on its own line is a page or footnote mark; in a table it is a cell
_DASH_PAGE = re.compile(_PAGE_FOOTER.pattern + r"|^\s*\[\d{1,3}\]\s*$")
_PERIODICAL = re.compile(r"20\d\d\s*年\s*第\s*\d{1,2}\s*期")


def _is_ascii_alnum(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


class CleanText:
    """The text without line breaks and page furniture; ``pos[i]`` is the original offset of ``clean[i]``."""

    def __init__(self, original: str) -> None:
        self.original = original
        lines = original.splitlines(keepends=True)
        keys = Counter(re.sub(r"\d+", "#", ln.strip()) for ln in lines if len(ln.strip()) >= 8)
        out: list[str] = []
        pos: list[int] = []
        self.line_starts: list[int] = []
        self.junk: list[tuple[int, int]] = []  # original spans of page furniture lines (— 41 —)
        offset = 0
        pending_space = False
        for ln in lines:
            self.line_starts.append(offset)
            stripped = ln.strip()
            junk = bool(
                stripped
                and (
                    _DASH_PAGE.match(stripped)
                    or (len(stripped) < 40 and _PERIODICAL.search(stripped))
                    or (len(stripped) >= 8 and keys[re.sub(r"\d+", "#", stripped)] >= 3)
                )
            )
            if junk:
                self.junk.append((offset, offset + len(ln)))
            else:
                for i, ch in enumerate(ln):
                    if ch.isspace() or ch == "\u3000":
                        # a space inside a line between two ASCII words or numbers is kept
                        if ch not in "\r\n" and out and _is_ascii_alnum(out[-1]):
                            pending_space = True
                        continue
                    c = chr(_FULLWIDTH.get(ord(ch), ord(ch)))
                    if pending_space and _is_ascii_alnum(c) and out and _is_ascii_alnum(out[-1]):
                        out.append(" ")
                        pos.append(offset + i - 1)
                    pending_space = False
                    out.append(c)
                    pos.append(offset + i)
            pending_space = False
            offset += len(ln)
        self.clean = "".join(out)
        self.pos = pos

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        return self.pos[start], self.pos[end - 1] + 1

    def quote(self, start: int, end: int) -> str:
        """The original text of a clean span, line breaks removed and spaces kept as written."""
        a, b = self.original_span(start, end)
        raw = self.original[a:b]
        for ja, jb in reversed([j for j in self.junk if a < j[0] < b]):  # a page footer inside the span
            raw = raw[: ja - a] + raw[jb - a :]
        raw = re.sub(r"[ \t\u3000]*[\r\n]+[ \t\u3000\r\n]*", "", raw)
        return re.sub(r"[ \t\u3000]+", " ", raw).strip()

    def without_furniture(self) -> str:
        """The original text without its page furniture lines (what quotes are taken from)."""
        parts, last = [], 0
        for ja, jb in self.junk:
            parts.append(self.original[last:ja])
            last = jb
        parts.append(self.original[last:])
        return "".join(parts)

    def line_of(self, original_offset: int) -> int:
        return bisect.bisect_right(self.line_starts, original_offset)
