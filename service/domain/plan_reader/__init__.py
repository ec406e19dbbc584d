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

A plan that names its own five-year period (第十五个五年规划 / "十五五") states most goals without a year: in
its task chapters and 专栏 an undated goal is for the period's end (2030), and what is built or carried out
(建设50个 / 实施300个项目 / 每年…) adds up over the period or holds every year. A passage that opens by looking
back ("十四五"时期，… / 过去五年，…) states the previous period's results (2025); a table restating the previous
plan's indicators gives that plan's targets for its own end year. Items of a list share the verb of the first
(X 300家，Y 80家 / A 40家、B 15家 / 4个万亿级产业和15个千亿级产业集群); a number describing a noun (3岁以下婴幼儿,
千亿级, 百亿元集群5个, 24小时驿站, a numeral inside a quoted programme name) is no goal; 全覆盖 / 全部建成 /
清零 / 倍增 / Ⅲ类 / 与经济增长同步 / 完成省下达目标 are goals stated in words.

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
    "MAX_FILE_BYTES",
    "MAX_TEXT_CHARS",
    "RECORD_FIELDS",
    "CleanText",
    "ExistingTarget",
    "IndicatorTerm",
    "PlanHints",
    "Proposal",
    "Reading",
    "RegionTerm",
    "UnreadableDocument",
    "Vocabulary",
    "check_text",
    "chinese_number",
    "figure",
    "mark_duplicates",
    "numbers_in",
    "read_document",
    "read_plan",
    "to_decimal",
    "to_record",
]
