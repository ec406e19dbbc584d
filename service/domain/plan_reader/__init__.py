"""Reading a plan's text for its quantitative targets and stated baselines (pure functions, no database).

``read_document`` turns an uploaded file (plain text, .docx, the text layer of a .pdf) into text, refusing
what is not a plan's text with a message in Chinese and English. ``read_plan`` proposes every target and
baseline it finds, each with the verbatim quote, its character offsets in the original text, and a
confidence with its reason; an administrator reviews the proposals before any of them reaches the catalog.

How it reads: line breaks are removed (plans converted from PDF or set as a magazine break lines every few
characters) into a *clean* text whose every character keeps its offset in the original, so quotes and
positions always point into the document as uploaded. Sentences are split into clauses; a clause with a
figure is read as *subject* + *predicate* (达到 / 不低于 / 控制在 …) + *figure* + *qualifier* (以上 / 以内 /
左右); a clause without its own subject takes the one before it in the same sentence; a year heading such as
到2025年 or "十四五" governs the sentences after it; section headings (发展基础 / 发展目标, or a region's
name) set whether figures are baselines or targets and which region they are for.

The package: ``text`` (reading the file, the clean text), ``numbers`` (numerals, units, figures), ``words``
(verbs, qualifiers, years, headings), ``vocabulary`` (indicators, regions, the reader's synonyms), ``sentences``
(rules for running text), ``tables`` (indicator tables), ``proposals`` (what is proposed, its records) and
``reader`` (``read_plan``).
"""

from service.domain.plan_reader.numbers import chinese_number, numbers_in, to_decimal
from service.domain.plan_reader.proposals import (
    RECORD_FIELDS,
    ExistingTarget,
    PlanHints,
    Proposal,
    Reading,
    figure,
    mark_duplicates,
    to_record,
)
from service.domain.plan_reader.reader import read_plan
from service.domain.plan_reader.text import (
    MAX_FILE_BYTES,
    MAX_TEXT_CHARS,
    CleanText,
    UnreadableDocument,
    check_text,
    read_document,
)
from service.domain.plan_reader.vocabulary import IndicatorTerm, RegionTerm, Vocabulary

__all__ = [
    "MAX_FILE_BYTES", "MAX_TEXT_CHARS", "RECORD_FIELDS", "CleanText", "ExistingTarget", "IndicatorTerm",
    "PlanHints", "Proposal", "Reading", "RegionTerm", "UnreadableDocument", "Vocabulary", "check_text",
    "chinese_number", "figure", "mark_duplicates", "numbers_in", "read_document", "read_plan", "to_decimal",
    "to_record",
]  # fmt: skip
