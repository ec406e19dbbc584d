"""Sentence rules: clauses, subjects, years, sections and regions of figures in running text."""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from service.domain.plan_reader.numbers import _VALUE_RE, _Mention, _mentions, to_decimal
from service.domain.plan_reader.proposals import Proposal
from service.domain.plan_reader.reasons import Reason, r
from service.domain.plan_reader.text import CleanText
from service.domain.plan_reader.vocabulary import IndicatorTerm, Vocabulary, _norm_term, suggest_indicator
from service.domain.plan_reader.words import (
    _ATTRIBUTIVE_NEXT,
    _CLAUSE_SEP,
    _FORECAST,
    _GE,
    _GOAL_MARK,
    _GOAL_SECTION,
    _GOAL_VERB,
    _HEADING,
    _LE,
    _LEAD,
    _OBJECT_VERBS,
    _PAST_MARK,
    _PAST_SECTION,
    _PRE_RE,
    _SENTENCE_END,
    _SUFFIX_RE,
    _YEAR_WORDS,
)
from service.domain.targets import figure

# --- the reader ---------------------------------------------------------------------------------


@dataclass
class _Heading:
    start: int
    level: int
    title: str


@dataclass
class _YearMark:
    start: int
    end: int
    year: int | None  # the year it points at
    period: tuple[int, int] | None
    future: bool | None  # True: a target year; False: a past year; None: decide by the issue year
    relative: int | None = None  # N年内: N years from the issue year


def _fyp_period(n: int) -> tuple[int, int]:
    # the sixth five-year plan was 1981-1985, and every one since has followed the last
    end = 1955 + 5 * n
    return end - 4, end


_CN_SMALL = {"三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


def _year_marks(clean: str) -> list[_YearMark]:
    marks: list[_YearMark] = []
    for m in _YEAR_WORDS.finditer(clean):
        s = m.group()
        fyp = re.search(r"十([三四五六七八九])五", s)
        if fyp:
            a, b = _fyp_period(10 + _CN_SMALL[fyp.group(1)])
            marks.append(_YearMark(m.start(), m.end(), b, (a, b), None))
            continue
        rel = re.match(r"(\d+|[一二三四五六七八九十]+)年内", s)
        if rel:
            n = to_decimal(rel.group(1))
            if n is not None and 0 < n <= 15:
                marks.append(_YearMark(m.start(), m.end(), None, None, True, int(n)))
            continue
        years = [int(y) for y in re.findall(r"(?:19|20)\d\d", s)]
        if len(years) == 2:
            marks.append(_YearMark(m.start(), m.end(), years[1], (years[0], years[1]), False))
            continue
        future: bool | None = None
        if re.match(r"(到|至)", s) or s.endswith("前"):
            future = True
        elif re.match(r"(截至|截止|于)", s) or s.endswith(("底", "末", "以来")):
            future = None if s.startswith("到") else False
        marks.append(_YearMark(m.start(), m.end(), years[0], None, future))
    for m in re.finditer(r"(20\d\d)年远景目标|远景目标", clean):
        marks.append(_YearMark(m.start(), m.end(), int(m.group(1)) if m.group(1) else 2035, None, True))
    marks.sort(key=lambda x: x.start)
    return marks


def _infer_issued(
    clean: str, marks: list[_YearMark], own_period: tuple[int, int] | None = None
) -> int | None:
    head = clean[:400]
    dated = re.search(r"((?:19|20)\d\d)年\d{1,2}月", head)
    if dated:
        return int(dated.group(1))
    if own_period is not None:  # a 十五五 plan named in its title is issued as its period begins
        return own_period[0]
    fyps = [mk for mk in marks if mk.period and mk.future is None]
    if fyps:
        return fyps[0].period[0] if fyps[0].period else None
    return None


@dataclass
class _Ctx:
    vocab: Vocabulary
    text: CleanText
    issued: int | None
    horizon: int | None
    scope: str | None
    marks: list[_YearMark]
    mark_starts: list[int]
    headings: list[_Heading]
    heading_starts: list[int]
    plan_titles: list[tuple[int, str, str | None]]  # (start, title, region)
    period: tuple[int, int] | None = None  # the plan's own period (第十五个五年 -> 2026-2030)
    tables: list[tuple[int, int]] = field(default_factory=list)  # clean spans of tables read as tables


def _own_line(ct: CleanText, start: int, end: int) -> bool:
    """Whether a clean span stands on line(s) of its own in the original (a heading, not a citation)."""
    a, b = ct.original_span(start, end)
    before = ct.original[max(0, a - 40) : a]
    after = ct.original[b : b + 40]
    return (not before.strip(" \t\u3000") or before.rstrip(" \t\u3000").endswith("\n")) and (
        not after.strip(" \t\u3000") or after.lstrip(" \t\u3000").startswith(("\n", "\r"))
    )


_LEVEL_RANK = {"area": 6, "district": 5, "county": 5, "city": 4, "province": 3, "zone": 2, "country": 1}


def _first_region(vocab: Vocabulary, text: str | None) -> str | None:
    """The most specific region a title names (杭州市落实长三角… -> 杭州市), the first one on a tie."""
    if not text:
        return None
    found = list(dict.fromkeys(code for _, _, code in vocab.regions_in(_norm_term(text))))
    if not found:
        return None
    # a region inside another one named (上海市五个新城 -> the five new cities) is the more specific
    inner = [c for c in found if not any(vocab.within(o, c) for o in found)]
    return max(inner or found, key=lambda c: (_LEVEL_RANK.get(vocab.regions[c].level, 0), -found.index(c)))


def _scope_region(vocab: Vocabulary, title: str | None, clean: str) -> str | None:
    found = _first_region(vocab, title)
    if found:
        return found
    found = _first_region(vocab, clean[:300])
    if found and vocab.regions[found].level == "country":
        return None  # 全国性赛事 near the top of the text names no plan region
    return found


def _sentences(clean: str, breaks: Iterable[int] = ()) -> Iterable[tuple[int, int]]:
    """Sentences of the clean text: up to each full stop, and up to each of ``breaks`` (the end of a
    heading's line)."""
    ends = sorted(
        {m.end() for m in _SENTENCE_END.finditer(clean)} | {b for b in breaks if 0 < b < len(clean)}
    )
    start = 0
    for end in ends:
        if end - start > 1:
            yield start, end
        start = end
    if start < len(clean):
        yield start, len(clean)


_HEADING_LINE = re.compile(
    r"^\s*(?:第[一二三四五六七八九十]+[章节篇]|[一二三四五六七八九十]{1,3}、|[（(][一二三四五六七八九十]{1,3}[)）]|"
    r"专栏\s*\d+|表\s*\d+|\d{1,2}\.(?!\d))"
)


def _heading_breaks(ct: CleanText) -> list[int]:
    """Clean offsets where a heading's own line ends (第八章 推进城乡融合 / 专栏3 重点工程): what follows is a
    new sentence even without a full stop."""
    out = []
    for k, start in enumerate(ct.line_starts):
        end = ct.line_starts[k + 1] if k + 1 < len(ct.line_starts) else len(ct.original)
        line = ct.original[start:end].strip()
        if line and len(line) <= 40 and "。" not in line and "，" not in line and _HEADING_LINE.match(line):
            out.append(bisect.bisect_left(ct.pos, start + len(ct.original[start:end].rstrip())))
    return out


def _headings(ct: CleanText) -> list[_Heading]:
    clean = ct.clean
    out = []
    for m in _HEADING.finditer(clean):
        s = m.start()
        line_start = (
            not ct.original[max(0, ct.pos[s] - 20) : ct.pos[s]].strip(" \t\u3000").rpartition("\n")[2]
        )
        if (
            s > 0
            and not line_start
            and clean[s - 1] not in '。；;！!？?■”"》:：'
            and not _looks_like_heading_start(clean, s)
        ):
            continue
        level = 0 if m.group("l0") else 1 if m.group("l1") else 2 if m.group("l2") else 3
        # a heading's title is the rest of its line in the original (lines are joined in the clean text)
        o_end = ct.pos[m.end() - 1] + 1
        nl = ct.original.find("\n", o_end)
        rest = re.sub(r"\s+", "", ct.original[o_end : nl if 0 <= nl < o_end + 60 else o_end + 60])
        title = (
            re.split(r"[，,。；;：:]", rest)[0][:30]
            or re.split(r"[，,。；;：:]", clean[m.end() : m.end() + 30])[0]
        )
        if re.match(r"^[.…·]{3,}|.*\.{4,}", clean[m.end() : m.end() + 40]):  # table of contents
            continue
        out.append(_Heading(s, level, title))
    return out


def _looks_like_heading_start(clean: str, s: int) -> bool:
    # a heading glued to the text before it when lines were joined: only after a heading-like word
    return bool(
        re.search(r"(目标|基础|重点|举措|原则|要求|背景|意义|发展|建设|任务)$", clean[max(0, s - 6) : s])
    )


def _section(ctx: _Ctx, pos: int) -> tuple[str | None, str | None, str | None, int | None]:
    """(section kind 'past'/'goal', section region, chapter title, section start) at a position."""
    i = bisect.bisect_right(ctx.heading_starts, pos) - 1
    kind: str | None = None
    region: str | None = None
    chapter: list[str] = []
    start: int | None = None
    level_seen = 99
    while i >= 0 and level_seen > 0:
        h = ctx.headings[i]
        if h.level < level_seen:
            level_seen = h.level
            chapter.insert(0, h.title[:20])
            if start is None:
                start = h.start
            if kind is None:
                if _PAST_SECTION.search(h.title[:14]) or _earlier_plan(ctx, h.title):
                    kind = "past"
                elif _GOAL_SECTION.search(h.title[:8]):
                    kind = "goal"
            if region is None:
                found = [f for f in ctx.vocab.regions_in(h.title[:10]) if not _wider_than_plan(ctx, f[2])]
                if found and found[0][0] == 0:
                    region = found[0][2]
        i -= 1
    # a plan named in a heading (a magazine quoting several plans) starts a new section
    for t_start, _title, t_region in reversed(ctx.plan_titles):
        if t_start <= pos:
            if start is None or t_start > start:
                kind, chapter, start = None, [], t_start
                region = region or t_region
            elif region is None:
                region = t_region
            break
    return kind, region, " / ".join(chapter) or None, start


def _plan_title_at(ctx: _Ctx, pos: int) -> str | None:
    for t_start, title, _ in reversed(ctx.plan_titles):
        if t_start <= pos:
            return title
    return None


_GLOSS = re.compile(r"[^，,；;：:。（）()\d]{1,12}")


def _clause_bounds(clean: str, a: int, b: int, pos: int) -> tuple[int, int]:
    # a short gloss in brackets inside a name (智慧农（牧、渔）场, 未来社区（完整社区）, 120条（段）) does not
    # end the clause
    s = pos
    while s > a:
        if clean[s - 1] in "）)":
            o = max(clean.rfind("（", max(a, s - 15), s - 1), clean.rfind("(", max(a, s - 15), s - 1))
            if o >= a and _GLOSS.fullmatch(clean, o + 1, s - 1) and o > a and clean[o - 1] not in _CLAUSE_SEP:
                s = o
                continue
        if clean[s - 1] in _CLAUSE_SEP:
            break
        s -= 1
    e = pos
    while e < b and clean[e] not in "。！？!?；;":
        if clean[e] in "（(":
            c = min(
                (
                    x
                    for x in (clean.find("）", e, min(b, e + 15)), clean.find(")", e, min(b, e + 15)))
                    if x >= 0
                ),
                default=-1,
            )
            if c > e and _GLOSS.fullmatch(clean, e + 1, c) and e > pos:
                e = c + 1
                continue
        if clean[e] in _CLAUSE_SEP:
            break
        e += 1
    return s, e


def _strip_lead(text: str) -> str:
    # what stands before a year, a title or a heading's end is not part of the subject (lines were joined)
    cut = max(
        (
            m.end()
            for m in _YEAR_WORDS.finditer(text)
            if m.start() == 0 or text[m.start() - 1] not in "较比与"
        ),
        default=0,
    )
    cut = max(cut, text.rfind("》") + 1)
    text = text[cut:]
    prev = None
    while prev != text:
        prev = text
        text = _LEAD.sub("", text)
        text = _YEAR_WORDS.sub("", text, count=1) if _YEAR_WORDS.match(text) else text
        text = re.sub(r"^\(?[一二三四五六七八九十\d]{1,3}[)、.]", "", text)
    return text


def _remove_regions(vocab: Vocabulary, text: str) -> tuple[str, list[str]]:
    found = vocab.regions_in(text)
    codes = [c for _, _, c in found]
    for s, e, _ in sorted(found, reverse=True):
        text = text[:s] + text[e:]
    if codes:
        text = re.sub(
            r"[、，,和及与]|等(?:\d+|[一二三四五六七八九十])?[座个]?(?:城市|地区|省市|区县)?", "", text
        )
        text = _LEAD.sub("", text)
    text = re.sub(r"^(?:其他|其余|各|每个|全|全市|全省|全区|区域|地区|总体|全域)+", "", text)
    text = re.sub(r"^\d+个|^[一二三四五六七八九十]个", "", text)
    return text, codes


_GROWTH_VERBS = {
    "年均增长",
    "年均提高",
    "年均增速",
    "年均下降",
    "每年增长",
    "年增长",
    "增长",
    "提高",
    "下降",
    "降低",
    "减少",
}
_GROWTH_TAIL = re.compile(r"(年均增长|年均增速|年均提高|年均下降|每年增长|年增长|增速|增长)$")
_WEAK_VERBS = {"为", "是", "有", "共有", "拥有", "各有", ""}
_NEGATION = re.compile(r"未能|尚未|没有|未(?!来|成年)|不能|难以")


@dataclass
class _Clause:
    cs: int  # clean offsets of the clause
    ce: int
    pre: str  # the clause's text before the figure
    subject_raw: str  # pre without its predicate
    verb: str
    force: str
    adv: str
    suffix: str
    post: str  # after the figure and its qualifier, to the end of the clause
    growth: str  # 年均增长 / 增长 / … when the figure is a rate of growth
    continuation: bool  # a further figure of a list in the same clause
    listed: bool = False  # an item of a list after another figure (its verb may be that figure's)
    object_item: bool = False  # 4个万亿级产业和15个千亿级产业集群: a count whose noun follows it, as before

    @property
    def evidence(self) -> bool:
        """Whether the wording makes the figure a goal (达到, 以上, 力争, 年均增长 …) rather than a statement."""
        return bool(
            self.verb not in _WEAK_VERBS
            or self.suffix
            or self.force
            or self.adv
            or self.growth
            or _GOAL_VERB.search(self.pre)
            or _ACTION_LEAD.match(self.pre)
            or _ACTION_LEAD.match(_strip_lead(self.pre))
        )


# a clause that opens with what is to be done (建设实验室40家, 实施攻关项目300个, 形成数据集800个)
_ACTION_LEAD = re.compile(
    r"(?:全市|全省|全区|全县|各地)?(?:市级|区级|县级|省级)?(?:重点)?(?:累计|新|分批|持续|力争|每年|有序)?(?:合作|联合|支持)?"
    r"(?:建设|推进|推动|实施|形成|争创|完成|开展|改造|举办|组织|招引|集聚|汇聚|提供|新改扩建|新改建|培养|遴选|开发|启动|"
    r"盘活|推广|发布|新招引|谋划推进|计划改造|计划完成|滚动实施|接续实施|累计完成)"
)


@dataclass
class _State:
    """What the clauses of one sentence pass on to the next ones."""

    subject: str | None = None
    indicator: tuple[str, str, str] | None = None
    distribute: list[str] = field(default_factory=list)
    group: list[Proposal] = field(default_factory=list)
    group_end: int = -1
    last_end: int = -1  # where the sentence's last figure (with its qualifier) ends
    object_list: bool = False  # the last figure was a count with its noun after it (建设4个X)
    object_phrase_used: bool = False


def _clause(ctx: _Ctx, a: int, b: int, mt: _Mention, state: _State) -> _Clause:
    clean = ctx.text.clean
    cs, ce = _clause_bounds(clean, a, b, mt.start)
    pre = clean[cs : mt.start]
    post = clean[mt.end : ce]
    sm = _SUFFIX_RE.match(post)
    suffix = sm.group() if sm else ""
    continuation = False
    # 建设4个X和15个Y: a count whose noun follows it, after another such count
    counted_list = (
        state.object_list
        and 0 <= state.last_end <= mt.start
        and re.fullmatch(r"[\u4e00-\u9fff“”]{1,14}[和及与、，,]", clean[state.last_end : mt.start])
        is not None
    )
    soft = max(pre.rfind("、"), pre.rfind("和"), pre.rfind("及"))
    if (
        not counted_list
        and soft >= 0
        and state.group
        and state.group_end >= cs
        and re.fullmatch(r"(?:力争|争取)?(?:达到|为)?(?:约|近)?", pre[soft + 1 :])
    ):
        continuation = True
        pre = pre[soft + 1 :]
    listed = object_item = False
    if counted_list:
        listed = object_item = True
        cs = mt.start
        pre = ""
    elif not continuation and a_list_item(clean, state.last_end, cs, mt.start):
        # 建设实验室50家、应用赋能中心20家 / 创建绿色工厂1200家，国家级绿色工厂150家: an item of a list
        # names its own subject after the figure before it, and may share that figure's verb
        listed = True
        sep = _LIST_SEP.match(clean, state.last_end)
        if state.last_end > cs and sep is not None:
            cs = sep.end()
            pre = clean[cs : mt.start]
    pm = _PRE_RE.search(pre)
    assert pm is not None
    verb = pm.group("verb") or ""
    subject_raw = pre[: pm.start()]
    growth = verb if verb in _GROWTH_VERBS else ""
    if not growth and verb and verb not in _WEAK_VERBS:
        gm = _GROWTH_TAIL.search(subject_raw)  # 年均增长不低于25%
        if gm:
            growth = gm.group()
            subject_raw = subject_raw[: gm.start()]
    return _Clause(
        cs,
        ce,
        pre,
        subject_raw,
        verb,
        pm.group("force") or "",
        pm.group("adv") or "",
        suffix,
        post[len(suffix) :],
        growth,
        continuation,
        listed,
        object_item,
    )


_LIST_SEP = re.compile(r"(?:以上|以内|以下|左右|上下)?[）)”]?[、，,和及与]")


def a_list_item(clean: str, last_end: int, cs: int, start: int) -> bool:
    """Whether the figure at ``start`` follows another one across a list separator: right after it in the
    same clause (…50家、应用赋能中心20家) or at the start of the next clause (…1200家，国家级…150家)."""
    if last_end < 0:
        return False
    m = _LIST_SEP.match(clean, last_end)
    if m is None:
        return False
    if last_end >= cs:
        return m.end() < start and not _LIST_SEP.search(clean, m.end(), start)
    return m.end() == cs


def _read_sentence(ctx: _Ctx, a: int, b: int) -> list[Proposal]:
    clean = ctx.text.clean
    if ctx.tables and any(s <= a < e for s, e in ctx.tables):
        qualitative: list[Proposal] = []
    else:
        qualitative = _qualitative(ctx, a, b)
    mentions = _mentions(clean, a, b)
    if ctx.tables:
        mentions = [mt for mt in mentions if not any(s <= mt.start < e for s, e in ctx.tables)]
    if not mentions:
        return qualitative
    out: list[Proposal] = qualitative
    state = _State()
    for mt in mentions:
        cl = _clause(ctx, a, b, mt, state)
        if _NEGATION.search(cl.pre[-6:]) or _FORECAST.search(clean[cl.cs : mt.start]):
            continue
        if mt.word == "倍增":
            props = _doubling(ctx, a, b, cl, mt)
        elif mt.word == "一城一":
            props = _per_member(ctx, a, cl, mt)
        else:
            props = _propose(ctx, a, b, cl, mt, state)
        if props:
            state.group = props
            state.group_end = mt.end
            out.extend(props)
            state.object_list = state.object_phrase_used
        elif not cl.continuation:
            state.group = []
            state.object_list = False
        state.last_end = mt.end + len(cl.suffix)
    return out


# goals stated without a number: 居民收入增长和经济增长同步 / 能耗强度降低完成省下达目标
_QUALITATIVE = re.compile(
    r"(?P<subj>[^，,；;。：:、]{2,30}?)(?:增长)?(?:和|与|同)(?:经济增长|地区生产总值增长)(?:基本)?同步"
    r"|(?P<subj2>[^，,；;。：:、]{2,30}?)(?:确保)?完成(?:国家|省|省级|上级)(?:下达|确定|核定)?的?(?:目标|指标)(?:任务)?"
)


def _qualitative(ctx: _Ctx, a: int, b: int) -> list[Proposal]:
    """A goal without a number for an indicator the vocabulary knows (the indicator named in the clause)."""
    clean = ctx.text.clean
    out: list[Proposal] = []
    for m in _QUALITATIVE.finditer(clean, a, b):
        growth = m.group("subj") is not None
        s_start = m.start("subj") if growth else m.start("subj2")
        subj = _strip_lead(clean[s_start : m.end("subj") if growth else m.end("subj2")])
        subj = re.sub(r"^(?:实现|推动|促进|保持|确保|力争)+", "", subj)
        phrase = subj + ("增长" if growth and not subj.endswith("增长") else "")
        matched = ctx.vocab.match_indicator(phrase, None, growth=True) if growth else None
        suggested = None if matched else suggest_indicator(phrase, None)
        if matched is None and suggested is None:
            level = ctx.vocab.match_indicator(subj, None)
            matched = level if level and level[1].startswith(("name", "synonym")) else None
        if matched is None and suggested is None:
            continue
        kind, year, period, year_reason, _strength = _year_for(ctx, a, m.start())
        section_kind, _region, chapter, _ = _section(ctx, m.start())
        if kind == "baseline" or section_kind == "past" or _PAST_MARK.search(clean[a : m.start()]):
            continue
        if year is None:
            year, year_reason = _end_year(ctx), r("year_horizon", year=_end_year(ctx))
        if year is None:
            continue
        ind = ctx.vocab.indicators[matched[0]] if matched else None
        q_start = s_start + (clean[s_start : m.end()].find(subj) if subj else 0)
        o_start, o_end = ctx.text.original_span(q_start, m.end())
        regions = _region_codes(
            ctx,
            a,
            _Clause(q_start, m.end(), "", subj, "", "", "", "", "", "", False),
            subj,
            _Mention(m.start(), m.end(), None, None, None, ""),
        )
        out.append(
            Proposal(
                kind="target",
                indicator_code=ind.code if ind else None,
                indicator=ind.name if ind else (suggested[0] if suggested else subj),
                region_code=regions[0] if regions else None,
                comparator="qualitative",
                value=None,
                unit=ind.unit if ind else "%",
                target_year=year,
                declared_form="avg_annual_growth" if growth else "level",
                quote=ctx.text.quote(q_start, m.end()),
                start=o_start,
                end=o_end,
                line=ctx.text.line_of(o_start),
                sentence=ctx.text.quote(a, b),
                confidence="medium",
                reason=[
                    r("goal_without_number", said=clean[m.start() : m.end()][-20:]),
                    *([year_reason] if year_reason else []),
                ],
                chapter=chapter,
                plan_title=_plan_title_at(ctx, m.start()),
                suggested_code=suggested[1] if suggested else None,
                period_start=(period[0] if period else ctx.period[0] if ctx.period else None)
                if growth
                else None,
            )
        )
    return out


def _propose(ctx: _Ctx, a: int, b: int, cl: _Clause, mt: _Mention, state: _State) -> list[Proposal]:
    vocab = ctx.vocab
    clean = ctx.text.clean
    reasons: list[Reason] = []
    quote_start, quote_end = cl.cs, mt.end + len(cl.suffix)
    stretch_only = "力争" in cl.pre

    if cl.continuation:
        first = state.group[0]
        if "力争" in cl.pre and mt.unit == first.unit and mt.value is not None:
            # 年均增长6%以上、力争8%以上: the second figure is the stretch value of the first
            for p in state.group:
                p.stretch_value = mt.value
                p.end = ctx.text.original_span(mt.start, quote_end)[1]
                p.quote = ctx.text.quote(bisect.bisect_left(ctx.text.pos, p.start), quote_end)
            state.group_end = mt.end
            return []
        if not state.distribute:
            return []
        listed = [state.distribute.pop(0)]
        carried = state.indicator
        quote_start = bisect.bisect_left(ctx.text.pos, first.start)
        kind, year, period, year_reason, year_strength = _year_for(ctx, a, mt.start)
        section_kind, _r, chapter, _s = _section(ctx, mt.start)
        if kind is None:
            kind = "baseline" if section_kind == "past" or not cl.evidence else "target"
        if carried is None or year is None:
            return []
        reasons.append(r("list_of_figures", said=clean[a : cl.cs][-12:] + "…分别", how=carried[1]))
        return _build(
            ctx,
            a,
            b,
            mt,
            cl,
            kind,
            carried,
            None,
            listed,
            year,
            period,
            year_reason,
            year_strength,
            reasons,
            quote_start,
            quote_end,
            chapter,
            inherited=True,
        )

    # 发展A、B等10个千亿级产业集群: the count closing a list of what a goal verb makes is the goal
    enumerated = bool(
        mt.unit in ("个", "家", "条", "座", "项", "所", "处")
        and (
            cl.pre.endswith("等")
            or (
                "、" in cl.pre
                and re.match(r"[万千百十]+亿级|[\u4e00-\u9fff]{0,6}(?:产业|集群|基地|园区)", cl.post)
            )
        )
        and (
            re.search(r"打造|培育|发展|建设|形成|建成|壮大|布局|引进", clean[cl.cs : mt.start])
            or state.object_list
        )
        and _ATTRIBUTIVE_NEXT.match(cl.post)
    ) or (cl.object_item and _ATTRIBUTIVE_NEXT.match(cl.post) is not None)
    # a qualifier (3岁以下婴幼儿, 出口额1000万美元以上数字贸易企业突破300家) states no goal of its own
    if (
        cl.suffix in ("以上", "以下")
        and _ATTRIBUTIVE_NEXT.match(cl.post)
        and not re.match(r"(?:的|和|及|或|与|等|并|且)", cl.post)
        and (mt.unit in ("岁", "周岁") or _VALUE_RE.search(cl.post))
    ):
        return []
    # inside a quoted name (打造“重点产业全覆盖”服务体系, “见底清零”行动, “一院五所”): the name of a programme
    if mt.word in ("全覆盖", "清零", None) and clean.count("“", a, mt.start) > clean.count("”", a, mt.start):
        return []
    # 构建…全覆盖的体系 / 健全…全覆盖 / 加强…全覆盖: a system described as covering all, not a goal of coverage
    if mt.word == "全覆盖" and (
        clean[mt.start - 1 : mt.start] == "、"
        or cl.post.startswith("的")
        or re.match(r"(?:构建|健全|完善|加强|深化|强化|建立|推进|加快推进)", _strip_lead(cl.pre))
    ):
        return []
    # figures that describe a noun (发布的45个集群名单, 3.7%的国土面积) state nothing
    covering = cl.post.startswith("覆盖") or cl.pre.endswith("覆盖")  # 覆盖70%的社区 / 100%覆盖
    # 新增百亿元跨境电商产业集群5个: an amount describing the noun that a later count measures
    if (
        not mt.word
        and not cl.suffix
        and mt.unit.endswith("元")
        and re.match(
            r"[\u4e00-\u9fff“”]{2,16}(?:\d+|[一二三四五六七八九十百千]+)(?:个|家|座|条|项|所|处)", cl.post
        )
    ):
        return []
    # 约1000平方公里建成区达到海绵城市要求: the figure measures the subject that follows it
    quantified = bool(
        not mt.word
        and not _strip_lead(cl.subject_raw)
        and mt.unit not in ("%", "‰")
        and re.match(r"[\u4e00-\u9fff]{1,10}?(?:达到|实现|完成|建成|纳入|具备)", cl.post)
    )
    if (
        not mt.word
        and not enumerated
        and not covering
        and not quantified
        and (
            cl.post.startswith("的")
            or (
                not cl.suffix
                and cl.verb in _WEAK_VERBS
                and _ATTRIBUTIVE_NEXT.match(cl.post)
                and (cl.subject_raw.endswith("的") or not cl.subject_raw or cl.verb == "")
            )
        )
    ):
        return []

    subject = _strip_lead(cl.subject_raw)
    regions: list[str] = []
    # regions sharing the figures: 江苏、浙江和安徽分别为…; 上海、苏州、无锡各有3个
    dist = re.search(r"(?:等\d+座城市|等\d+个城市|等)?(分别|各)$", subject)
    if dist or cl.verb == "各有":
        head = subject[: dist.start()] if dist else subject
        codes = [c for _, _, c in vocab.regions_in(head)]
        if len(codes) >= 2 or (codes and cl.verb == "各有"):
            if dist and dist.group(1) == "分别":
                regions, state.distribute = [codes[0]], codes[1:]
            else:
                regions = codes
            subject = _remove_regions(vocab, head)[0]
    object_phrase = ""
    if mt.word == "级":
        if re.search(r"(一批|若干|多个|一系列|一些|更多|多家)\S{0,7}$", cl.pre):
            return []  # 形成一批千亿级产业集群: no one subject to measure
        object_phrase = cl.post
        quote_end = cl.ce
    elif quantified:
        object_phrase = cl.post
        quote_end = cl.ce
    elif enumerated:
        object_phrase = re.split(r"[和及与、]|\d", cl.post)[0]
        quote_end = mt.end + len(cl.suffix) + len(object_phrase)
        quote_start = max(cl.cs, clean.rfind("、", cl.cs, mt.start) + 1)
    elif cl.verb in _OBJECT_VERBS and not re.sub(
        r"^(?:每年|年均|接续|滚动|持续|有序|分批|累计|全面|加快|积极|大力|重点|为企业|合作|联合|全市|全区)+",
        "",
        _remove_regions(vocab, subject)[0],
    ):
        # 打造15家以上国际知名的金融科技领军企业 (up to the next item of a list: 、50项以上全国性赛事)
        object_phrase = re.split(r"、|\d", cl.post)[0]
        quote_end = mt.end + len(cl.suffix) + len(object_phrase)
    if object_phrase and re.search(r"(?:计划|行动|工程)$", object_phrase) and not cl.suffix:
        return []  # 实施百名企业家培养计划: a number in a programme's name
    state.object_phrase_used = bool(object_phrase)
    # -- year, and target or baseline
    kind, year, period, year_reason, year_strength = _year_for(ctx, a, mt.start)
    section_kind, _section_region, chapter, _ = _section(ctx, mt.start)
    before_in_clause = clean[cl.cs : mt.start]
    past = [m.end() for m in _PAST_MARK.finditer(clean, a, mt.start)]
    if past and not _GOAL_MARK.search(before_in_clause):
        # 目前… / 现状… after the last year stated: a figure of the present, not a goal
        year_at = max((mk.end for mk in ctx.marks if a <= mk.start < mt.start), default=-1)
        if past[-1] > year_at:
            kind = "baseline"
    if kind is None:
        if section_kind == "past":
            kind = "baseline"
        elif (
            cl.evidence
            or mt.word
            or enumerated
            or _GOAL_MARK.search(before_in_clause)
            or section_kind == "goal"
            or (cl.listed and state.group and state.group[0].kind == "target")
        ):
            kind = "target"
        else:
            return []
    shared = cl.listed and bool(state.group) and state.group[0].kind == "target" and cl.verb in _WEAK_VERBS
    # 到2030年，X覆盖率100% / 实现绿色建筑100%覆盖: a rate stated under an explicit target year, or a coverage
    dated = (
        kind == "target"
        and year_strength == 2
        and year_reason is not None
        and re.search(r"^(?:到|至)|五[”\"]?末$", str(year_reason[1].get("said", ""))) is not None
        and bool(re.search(r"(?:率|比例|比重|占比|数|量)$", cl.subject_raw))
    ) or (covering and mt.unit == "%")
    shared = shared or dated
    if kind == "target" and not (cl.evidence or mt.word or object_phrase or shared):
        return []  # 为 / 有 with a future year is a forecast or a statement, not a goal
    if kind == "baseline" and re.search(r"季度|上半年|下半年|\d+月", before_in_clause):
        return []  # a figure for part of a year is not a baseline of a yearly indicator
    # -- the indicator
    growth = bool(cl.growth)
    phrase = object_phrase or subject
    if mt.word == "清零":  # 黑臭水体动态清零 / 动态清零城乡黑臭水体
        phrase = re.sub(r"^(?:推进|推动|确保|实现|持续)+|(?:实现|持续|保持)+$", "", subject) or cl.post
        quote_end = cl.ce if not subject else quote_end
    if mt.word == "全覆盖":
        lead = re.sub(r"^(?:逐步|全面|基本|率先)?实现", "", subject)
        said = clean[mt.start : mt.end]
        whole = said in ("全面实现", "全面完成") or said.startswith("全部")
        if whole:
            quote_end = cl.ce
        phrase = lead + (clean[mt.end : cl.ce] if whole else "覆盖") if lead else ""
    matched = None
    inherited = False
    unit = None if growth else mt.unit
    own = _remove_regions(vocab, phrase)[0]
    if own:
        matched = vocab.match_indicator(phrase, unit, growth=growth and kind == "baseline")
        if matched is None and growth and kind == "baseline":
            matched = vocab.match_indicator(phrase + "增长", None, growth=True)
    if matched is None and state.indicator is not None and (not own or object_phrase):
        matched, inherited = state.indicator, True
        phrase = state.subject or phrase
        if growth and kind == "baseline":
            matched = vocab.match_indicator(vocab.indicators[matched[0]].name + "增长", None, growth=True)
    elif matched is None and (not own or object_phrase):
        # the indicator is named in an earlier clause (开展园区循环化改造，逐步实现全覆盖)
        earlier = clean[a : cl.cs]
        matched = vocab.match_indicator(
            earlier, None if growth else ("%" if mt.word else mt.unit), whole=False
        )
        if matched is not None:
            inherited = True
            at = earlier.rfind(matched[2])
            if at >= 0 and mt.word:
                quote_start = _clause_bounds(clean, a, b, a + at)[0]
            reasons.append(r("indicator_earlier", how=matched[1]))
    if matched is not None and growth and kind != "baseline" and (rate := vocab.real_rate_of(matched[0])):
        matched = (rate, f"{matched[1]}; a real growth rate (按可比价)", matched[2])
    new_name = None
    if matched is None:
        new_name = _new_indicator_name(phrase)
        # a new indicator is proposed only for a dated goal in plain words
        if not new_name or kind == "baseline":
            return []
        if (year is None or year_strength < 1) and not (
            _own_period_goal(ctx, section_kind) and (cl.evidence or object_phrase or mt.word or shared)
        ):
            return []
        if clean[mt.start : mt.end] == "全面实现":
            return []  # 全面实现 (often qualitative) only for a known indicator
        if mt.word == "级" and not re.search(r"(?:集群|产业|产业链|基地|园区|企业)$", object_phrase):
            return []  # 百亿级项目领跑…: a scale that describes, not a cluster or industry to be built
    # (a growth goal stays on the level indicator, 产值年均增长25% -> industrial_output, as the catalog has it;
    # a growth baseline is an observation, so it goes to the growth-rate indicator)
    state.subject = phrase if not inherited else state.subject or phrase
    state.indicator = matched
    if not regions:
        regions = _region_codes(ctx, a, cl, subject, mt)
    each = _each_of(vocab, phrase, mt.unit) if not inherited and mt.word is None else []
    if each:
        # A和B占全市比重均超过80%: one goal for each of the subjects the figure is shared by
        out: list[Proposal] = []
        for item_match, item_name in each:
            out.extend(
                _build(
                    ctx,
                    a,
                    b,
                    mt,
                    cl,
                    kind,
                    item_match,
                    item_name,
                    regions,
                    year,
                    period,
                    year_reason,
                    year_strength,
                    [*reasons, r("each_subject", said="均")],
                    quote_start,
                    quote_end,
                    chapter,
                    stretch_only=stretch_only,
                )
            )
        return out
    return _build(
        ctx,
        a,
        b,
        mt,
        cl,
        kind,
        matched,
        new_name,
        regions,
        year,
        period,
        year_reason,
        year_strength,
        reasons,
        quote_start,
        quote_end,
        chapter,
        inherited=inherited,
        stretch_only=stretch_only,
    )


def _each_of(
    vocab: Vocabulary, phrase: str, unit: str
) -> list[tuple[tuple[str, str, str] | None, str | None]]:
    """The subjects of 'A和B(占…比重)均…': each with its indicator (or a new name), or [] when not such a list."""
    m = re.fullmatch(r"(?P<items>.+?[和、].+?)(?P<tail>占.{1,12}(?:比重|比例)|增速|增长)?均", phrase)
    if m is None:
        return []
    items = [x for x in re.split(r"[和、]", m.group("items")) if len(x) >= 2]
    if len(items) < 2 or len(items) > 5:
        return []
    out: list[tuple[tuple[str, str, str] | None, str | None]] = []
    for item in items:
        name = item + (m.group("tail") or "")
        matched = vocab.match_indicator(name, unit)
        out.append((matched, None if matched else _new_indicator_name(name)))
    return out if all(mt or nm for mt, nm in out) else []


# reasons that say where the indicator came from
_INDICATOR_REASONS = frozenset(
    {"list_of_figures", "indicator_earlier", "new_indicator", "indicator_matched", "indicator_carried"}
)


def _build(
    ctx: _Ctx,
    a: int,
    b: int,
    mt: _Mention,
    cl: _Clause,
    kind: str,
    matched: tuple[str, str, str] | None,
    new_name: str | None,
    regions: list[str],
    year: int | None,
    period: tuple[int, int] | None,
    year_reason: Reason | None,
    year_strength: int,
    reasons: list[Reason],
    quote_start: int,
    quote_end: int,
    chapter: str | None,
    *,
    inherited: bool = False,
    stretch_only: bool = False,
) -> list[Proposal]:
    vocab = ctx.vocab
    clean = ctx.text.clean
    if year is None and kind == "target" and _end_year(ctx) is not None:
        year, year_reason, year_strength = (
            _end_year(ctx),
            r("year_horizon", year=_end_year(ctx)),
            0,
        )
    if year is None:
        return []
    ind = vocab.indicators[matched[0]] if matched else None
    adv = "基本" if mt.word == "全覆盖" and "基本" in cl.pre else cl.adv  # 基本实现…全覆盖: about 100 %
    comparator = _comparator(cl.verb, adv, cl.suffix, mt, bool(ind and ind.direction == "down"), kind)
    form = _form(cl, mt, ind, kind)
    value = mt.value
    reference_year = None
    rel = re.search(r"(?:较|比)((?:19|20)\d\d)年", clean[cl.cs : mt.start])
    if rel and kind == "target":
        reference_year = int(rel.group(1))
        form = "relative_change"
        if re.search(r"下降|降低|减少", cl.pre) and value is not None:
            value = -value
            comparator = "<=" if comparator in (">=", "=") else comparator
    elif form in ("avg_annual_growth", "multiple"):
        reference_year = _base_year(ctx, period)
    if reference_year is not None and reference_year >= year:
        reference_year = None
    strength = 2
    if matched is None:
        reasons.append(r("new_indicator", name=new_name))
        strength = 1
    elif not inherited:
        reasons.append(r("indicator_matched", how=matched[1]))
        if not matched[1].startswith(("name", "synonym", "share")):
            strength = 1
    elif not any(code in _INDICATOR_REASONS for code, _ in reasons):
        reasons.append(r("indicator_carried", how=matched[1]))
        strength = 1
    if year_reason:
        reasons.append(year_reason)
    strength = min(strength, year_strength + 1)
    if stretch_only and kind == "target":
        reasons.append(r("stretch_only", said="力争"))
        strength = min(strength, 1)
    if mt.word == "级":
        comparator = ">="
        reasons.append(r("read_at_least", said=clean[mt.start : mt.end], value=figure(value)))
        strength = 0
    if not regions:
        reasons.append(r("region_unknown"))
        strength = min(strength, 1)
    confidence = ("low", "medium", "high")[max(0, min(2, strength))]
    suggested = suggest_indicator(new_name, mt.unit) if matched is None and new_name else None
    if suggested:
        new_name = suggested[0]
    quote_start = _after_heading(clean, quote_start, mt.start)
    o_start, o_end = ctx.text.original_span(quote_start, quote_end)
    quote = ctx.text.quote(quote_start, quote_end)
    sentence = ctx.text.quote(a, b)
    return [
        Proposal(
            kind=kind,
            indicator_code=ind.code if ind else None,
            indicator=ind.name if ind else (new_name or ""),
            region_code=region,
            comparator=comparator,
            value=value,
            unit=mt.unit,
            target_year=year,
            declared_form=form,
            quote=quote,
            start=o_start,
            end=o_end,
            line=ctx.text.line_of(o_start),
            sentence=sentence,
            confidence=confidence,
            reason=list(reasons),
            low=mt.low,
            high=mt.high,
            reference_year=reference_year if kind == "target" else None,
            period=period if kind == "baseline" else None,
            chapter=chapter,
            plan_title=_plan_title_at(ctx, mt.start),
            suggested_code=suggested[1] if suggested else None,
            period_start=_period_start(ctx, kind, form, year, period),
        )
        for region in _or_none(regions)
    ]


def _period_start(ctx: _Ctx, kind: str, form: str, year: int, period: tuple[int, int] | None) -> int | None:
    """The first year of the period a target applies over (每年 / 年均 / 累计): the period stated, else the
    plan's own when the target is for its end year."""
    if kind != "target" or form not in ("avg_annual_growth", "cumulative", "each_year", "annual_growth"):
        return None
    if period:
        return period[0]
    if ctx.period is not None and year == ctx.period[1]:
        return ctx.period[0]
    return None


def _end_year(ctx: _Ctx) -> int | None:
    """The year an undated goal is for: the end of the plan's own five-year period when its title names one
    (a goal of a 十五五 plan without a year is a goal for 2030), else the year most of its goals name."""
    if ctx.period is not None and (ctx.issued is None or ctx.period[1] > ctx.issued):
        return ctx.period[1]
    return ctx.horizon


def _own_period_goal(ctx: _Ctx, section_kind: str | None) -> bool:
    """Whether an undated figure is read as a goal of the plan's own period: the plan names its five-year
    period and the figure is not in a review section (a 十五五 plan's 专栏 and task chapters state their
    goals without a year)."""
    return ctx.period is not None and section_kind != "past" and not ctx.plan_titles


def _wider_than_plan(ctx: _Ctx, code: str) -> bool:
    """全国 / 中国 inside a city plan's clause (全国文明城区, 中国制造业500强) names a ranking, not the region
    the goal is for."""
    region = ctx.vocab.regions.get(code)
    scope = ctx.vocab.regions.get(ctx.scope or "")
    return region is not None and region.level == "country" and (scope is None or scope.level != "country")


def _or_none(regions: list[str]) -> list[str | None]:
    return list(regions) if regions else [None]


def phrase_quoted(phrase: str, name: str) -> str:
    """The name with the quotation marks it had in the phrase (they are removed from names)."""
    return phrase if re.sub(r"[“”‘’\"'《》]", "", phrase).startswith(name) and len(phrase) < 40 else name


def _new_indicator_name(phrase: str) -> str | None:
    name = re.sub(r"^(?:的|了|在|为|和|与|及|对|使|将|把|其|该|各类|一批|若干|多个)+", "", phrase)
    name = re.sub(r"[“”‘’\"'《》]", "", name)
    name = re.split(r"(?:达到|超过|突破|不低于|控制在)", name)[0]
    bare = re.sub(
        r"^(?:累计)?(?:建成|建设|培育|打造|引进|创建|举办|实施|推动|开展|完成|争创|形成)(?=..)", "", name
    )
    name = bare if re.search(r"[\u4e00-\u9fff]", bare) else name
    name = re.sub(r"(?:每年|年均|累计)$", "", name)
    if len(name) < 2 or len(name) > 30 or not re.search(r"[\u4e00-\u9fff]", name):
        return None
    qualifier = r"\d+(?:\.\d+)?(?:万|亿)?(?:元|美元|人|吨|平方米)?(?:以上|以下)"
    quoted = r"“[^”]{1,12}”"  # a quoted name (村集体经济“10080”目标) may hold digits
    if re.search(
        r"\d",
        re.sub(
            rf"5G|PM2\.5|R&D|\d+周?岁(?:以下|以上)?|\d+强|\d+分钟|{qualifier}",
            "",
            re.sub(quoted, "", phrase_quoted(phrase, name)),
        ),
    ):
        return None
    return name


def _region_codes(ctx: _Ctx, a: int, cl: _Clause, subject: str, mt: _Mention) -> list[str]:
    vocab = ctx.vocab
    clean = ctx.text.clean
    before = clean[a : cl.cs]
    # 其他4个新城: the members of a zone not named before, when their number agrees
    others = re.search(r"(?:其他|其余)(\d+|[一二三四五六七八九十])个(\S{2,4}?)(?:年均|$|达到|的)", subject)
    if others:
        zone = vocab.regions.get(vocab._region_by_name.get(others.group(2), ""))
        if zone and zone.members:
            named = {c for _, _, c in vocab.regions_in(before)}
            rest = [m for m in zone.members if m not in named]
            n = to_decimal(others.group(1))
            if n is not None and len(rest) == int(n):
                return rest
    found = [f for f in vocab.regions_in(subject) if not _wider_than_plan(ctx, f[2])]
    if found:
        return [found[0][2]]
    # a clause of the sentence that names a region and states no figure is its topic (南汇新城按照…，产值达到…)
    # (a later clause that names its own region and figure ends the topic's reach)
    start = cl.cs
    while start > a:
        end = start - 1
        start = _clause_bounds(clean, a, end, end)[0]
        clause = _strip_lead(clean[start:end])
        found = [f for f in vocab.regions_in(clause) if not _wider_than_plan(ctx, f[2])]
        at_start = bool(found and found[0][0] == 0) or bool(re.match(r"(?:其他|其余)", clause))
        if _VALUE_RE.search(clause):
            if at_start:
                break
            continue
        if at_start and found:
            return [found[0][2]]
    _kind, section_region, _chapter, _ = _section(ctx, mt.start)
    if section_region:
        return [section_region]
    return [ctx.scope] if ctx.scope else []


def _year_for(
    ctx: _Ctx, a: int, pos: int
) -> tuple[str | None, int | None, tuple[int, int] | None, Reason | None, int]:
    """(kind, year, period, reason, strength 0..2) for a figure at ``pos`` in the sentence starting at ``a``."""
    clean = ctx.text.clean
    i = bisect.bisect_right(ctx.mark_starts, pos) - 1
    # a year in the same sentence before the figure (较2017年 is a reference year, not the figure's year)
    k = i
    while k >= 0 and ctx.marks[k].start >= a:
        mk = ctx.marks[k]
        if (
            clean[max(0, mk.start - 1) : mk.start] in ("较", "比", "与")
            or clean[mk.end : mk.end + 2] == "相比"
        ):
            k -= 1
            continue
        # two year headings side by side (到2025年到2035年, two columns): the first governs the text below
        if k > 0 and ctx.marks[k - 1].end == mk.start and ctx.marks[k - 1].future and mk.future:
            mk = ctx.marks[k - 1]
        if mk.year is None:
            return None, None, None, None, 0
        said = clean[mk.start : mk.end]
        if mk.future:
            return "target", mk.year, mk.period, r("year_in_sentence", said=said), 2
        return "baseline", mk.year, mk.period, r("year_in_sentence", said=said), 2
    # a governing year heading in the sentences before, within the same section
    section_kind, _region, _chapter, section_start = _section(ctx, pos)
    review = _in_review(ctx, pos, section_start)
    if review is not None:
        return (
            "baseline",
            review,
            None,
            r("year_review", year=review),
            1,
        )
    j = i if section_kind != "past" else -1  # a review section's figures are results, not goals
    while j >= 0:
        mk = ctx.marks[j]
        if pos - mk.end > 1500 or (section_start is not None and mk.start < section_start):
            break
        if mk.future and mk.year and _governs(clean, mk):
            if j > 0 and ctx.marks[j - 1].end == mk.start and ctx.marks[j - 1].future:
                mk = ctx.marks[j - 1]
            return "target", mk.year, mk.period, r("year_heading", said=clean[mk.start : mk.end]), 1
        j -= 1
    # an undated figure of a 发展基础 section: the last year of the plan period before the plan's own (a
    # 十五五 plan reviews 2021-2025: 2025), else the latest past year stated in that section
    if section_kind == "past" and ctx.period is not None and not ctx.plan_titles:
        end = ctx.period[0] - 1
        return "baseline", end, None, r("year_review_end", year=end), 1
    if section_kind == "past":
        root = _section_root(ctx, pos)
        j = i
        while j >= 0 and ctx.marks[j].start >= root:
            mk = ctx.marks[j]
            if mk.future is False and mk.year:
                return "baseline", mk.year, None, r("year_latest_in_section", year=mk.year), 1
            j -= 1
        if ctx.issued:
            return (
                "baseline",
                ctx.issued - 1,
                None,
                r("year_before_plan", year=ctx.issued - 1),
                0,
            )
    return None, None, None, None, 0


_REVIEW_OPENING = re.compile(
    r"(?:^|[。！？!?])\s*(?:[“\"]?十(?P<n>[一二三四五六七八九])五[”\"]?(?:时期|期间|以来|规划实施以来)|过去五年|五年来|近五年来)"
)
_FUTURE_MARK = re.compile(
    r"[“\"]?十(?P<n>[一二三四五六七八九])五[”\"]?|(?:到|至)\s*20\d\d\s*年|展望|今后五年|未来五年"
)


def _in_review(ctx: _Ctx, pos: int, section_start: int | None) -> int | None:
    """The end year of the previous plan period when ``pos`` lies in a passage that opens by looking back on
    it ("十四五"时期，… / 过去五年，…) and names no future after that: its figures are results."""
    if ctx.period is None or ctx.plan_titles:
        return None
    clean = ctx.text.clean
    lo = max(section_start or 0, pos - 3000)
    last = None
    for m in _REVIEW_OPENING.finditer(clean, lo, pos):
        n = m.group("n")
        if n is None or _fyp_period(10 + _CN_SMALL[n])[1] < ctx.period[0]:
            last = m
    if last is None:
        return None
    for f in _FUTURE_MARK.finditer(clean, last.end(), pos):
        n = f.group("n")
        if n is None or _fyp_period(10 + _CN_SMALL[n])[1] >= ctx.period[0]:
            return None
    return ctx.period[0] - 1


def _section_root(ctx: _Ctx, pos: int) -> int:
    # the start of the level-1/2 section holding pos
    i = bisect.bisect_right(ctx.heading_starts, pos) - 1
    while i >= 0:
        if ctx.headings[i].level <= 2:
            return ctx.headings[i].start
        i -= 1
    return 0


def _governs(clean: str, mk: _YearMark) -> bool:
    # 到2025年， / "十四五"期间 / 2035年远景目标: worded as the horizon of what follows
    said = clean[mk.start : mk.end]
    if mk.period and mk.future is not False and "十" in said:
        return True
    if not (said.startswith(("到", "至")) or said.endswith("前") or "远景" in clean[mk.start : mk.end + 4]):
        return False
    return clean[mk.end : mk.end + 1] in ("，", ",", "：", ":", "", "到", "。") or "远景" in said


def _base_year(ctx: _Ctx, period: tuple[int, int] | None) -> int | None:
    if period:
        return period[0] - 1
    return ctx.issued - 1 if ctx.issued else None


def _comparator(verb: str, adv: str, suffix: str, mt: _Mention, down: bool, kind: str) -> str:
    if mt.low is not None:
        return "range"
    if mt.word == "全覆盖":
        return "~" if adv == "基本" else ">="
    if mt.word == "倍增":
        return ">="
    if mt.word in ("清零", "类"):
        return "<="
    if suffix in ("左右", "上下") or adv in ("约", "大约", "近", "接近"):
        return "~"
    if adv == "至少":
        return ">="
    if suffix == "以上" or verb in _GE:
        return ">="
    if suffix in ("以内", "以下", "之内", "内") or verb in _LE:
        return "<="
    if kind == "baseline":
        return "="
    return "<=" if down else ">="


def _form(cl: _Clause, mt: _Mention, ind: IndicatorTerm | None, kind: str) -> str:
    if mt.word == "全覆盖":
        return "full_coverage"
    if mt.word == "倍增":
        return "multiple"
    if mt.word in ("级", "类", "清零"):
        return "level"  # a scale (千亿级), a water class (Ⅲ类), zero: levels to reach
    if mt.ratio:
        return "ratio"
    if cl.growth and kind == "target" and mt.unit == "%":
        if cl.growth.startswith("年均"):
            return "avg_annual_growth"
        if cl.growth in ("每年增长", "年增长"):
            return "annual_growth"
        return "relative_change"
    subject = cl.subject_raw + cl.post
    if mt.unit == "%" and (
        (ind and ind.kind == "share") or re.search(r"(率|比重|占比|比例)", cl.subject_raw[-4:])
    ):
        return "share"
    if (
        kind == "target"
        and re.search(r"新增|累计|创建|新建", cl.subject_raw + cl.verb)
        and "每年" not in subject
    ):
        return "cumulative"
    if kind == "target" and re.search(r"每年|年均(?!值|浓度|水平)", cl.pre) and not cl.growth:
        return "each_year"  # 每年完成改造1万幢 / 年均供应35平方公里: an amount that holds every year
    if kind == "target" and ind is None:
        if mt.unit == "%":
            return "share"  # a new indicator stated in per cent is a share (覆盖70%的社区)
        # what the period builds or carries out (建设50个 / 实施300个项目 / 改造600公里) adds up over it;
        # what a stock reaches (达到 / 突破 / 总量 / 规模) is a level
        flow = re.search(r"新增|新建|新扩|新引进|新培育|新招引|新\(改\)建", cl.pre)
        built = _BUILT.search(cl.pre[:10]) or _BUILT.search(_strip_lead(cl.pre)[:8])
        if flow or (built and not re.search(r"达到|达|超过|突破|总量|规模|保有|稳定在", cl.pre)):
            return "cumulative"
    return "level"


_BUILT = re.compile(
    r"^(?:全市|累计|分批|接续|滚动|新|谋划|计划)?(?:新建|建成|建设|实施|改造|新增|新培育|引进|招引|完成|新改扩建|新改建|创建|"
    r"新扩|盘活|启动|打造|推进|开发|集聚|培育|培养)"
)


def _after_heading(clean: str, start: int, limit: int) -> int:
    """Skip a heading glued in front of a quote (…建设1.推进“一城一名园”建设 -> 推进…)."""
    last = None
    for m in _HEADING.finditer(clean, start, limit):
        last = m
    return last.end() if last is not None else start


def _doubling(ctx: _Ctx, a: int, b: int, cl: _Clause, mt: _Mention) -> list[Proposal]:
    """规上工业企业、…、新引进项目投资额“六倍增”: every subject of the list doubles."""
    clean = ctx.text.clean
    vocab = ctx.vocab
    head = _strip_lead(clean[cl.cs : mt.start].rstrip("“\"'‘"))
    items = [x for x in re.split(r"、|和|及|与", head) if x]
    kind, year, _period, year_reason, _strength = _year_for(ctx, a, mt.start)
    if not items or kind == "baseline" or _PAST_MARK.search(head):
        return []
    rel = re.search(r"(?:较|比)((?:19|20)\d\d)年", clean[a : mt.start])
    if year is None:
        year, year_reason = _end_year(ctx), r("year_horizon", year=_end_year(ctx))
    if year is None:
        return []
    reference = int(rel.group(1)) if rel else _base_year(ctx, None)
    count_ok = mt.times is None or mt.times == len(items)
    q_end = mt.end + (3 if clean[mt.end : mt.end + 3] == "”计划" else 0)
    out = []
    for item in items:
        matched = vocab.match_indicator(item, None)
        name = None
        if matched is None:
            # 未来产业规模实现倍增 in a plan of its own period: a new indicator, doubled by the period's end
            name = _new_indicator_name(re.sub(r"(?:实现|推动|力争|推进)+$", "", item))
            if name is None or not _own_period_goal(ctx, _section(ctx, mt.start)[0]) or len(items) > 1:
                continue
        ind = vocab.indicators[matched[0]] if matched else None
        item_pos = clean.find(item, cl.cs, mt.start)
        item_pos = item_pos if item_pos >= 0 else cl.cs
        reasons = [
            r("indicator_matched", how=matched[1]) if matched else r("new_indicator", name=name),
            r("subjects_of", n=len(items), said=clean[mt.start : mt.end]),
        ]
        if not count_ok:
            reasons.append(r("announced", n=mt.times))
        if year_reason:
            reasons.append(year_reason)
        if reference and not rel:
            reasons.append(r("reference_before_plan", year=reference))
        o_start, o_end = ctx.text.original_span(item_pos, q_end)
        regions = _region_codes(ctx, a, cl, item, mt)
        out.append(
            Proposal(
                kind="target",
                indicator_code=ind.code if ind else None,
                indicator=ind.name if ind else (name or item),
                region_code=regions[0] if regions else None,
                comparator=">=",
                value=Decimal(2),
                unit=ind.unit if ind else "倍",
                target_year=year,
                declared_form="multiple",
                quote=ctx.text.quote(item_pos, q_end),
                start=o_start,
                end=o_end,
                line=ctx.text.line_of(o_start),
                sentence=ctx.text.quote(a, b),
                confidence="medium" if count_ok and rel else "low",
                reason=reasons,
                reference_year=reference if reference and reference < year else None,
                chapter=_section(ctx, mt.start)[2],
                plan_title=_plan_title_at(ctx, mt.start),
            )
        )
    return out


def _per_member(ctx: _Ctx, a: int, cl: _Clause, mt: _Mention) -> list[Proposal]:
    """一城一名园: one of something in every member of the plan's zone."""
    vocab = ctx.vocab
    clean = ctx.text.clean
    matched = vocab.match_indicator(mt.what or "", None)
    _k, section_region, chapter, _ = _section(ctx, mt.start)
    zone = None
    for code in (section_region, ctx.scope):
        candidate = vocab.regions.get(code or "")
        if candidate is not None and candidate.members:
            zone = candidate
            break
    kind, year, _period, year_reason, _strength = _year_for(ctx, a, mt.start)
    if matched is None or zone is None or kind == "baseline":
        return []
    if year is None:
        year, year_reason = ctx.horizon, r("year_horizon", year=ctx.horizon)
    if year is None:
        return []
    ind = vocab.indicators[matched[0]]
    q_end = mt.end + (3 if clean[mt.end : mt.end + 3] == "”建设" else 0)
    q_start = _after_heading(clean, cl.cs, mt.start)
    o_start, o_end = ctx.text.original_span(q_start, q_end)
    reason = [
        r("per_member", said=clean[mt.start : mt.end], zone=zone.name),
        r("indicator_matched", how=matched[1]),
        *([year_reason] if year_reason else []),
    ]
    return [
        Proposal(
            kind="target",
            indicator_code=ind.code,
            indicator=ind.name,
            region_code=member,
            comparator=">=",
            value=Decimal(1),
            unit=ind.unit,
            target_year=year,
            declared_form="level",
            quote=ctx.text.quote(q_start, q_end),
            start=o_start,
            end=o_end,
            line=ctx.text.line_of(o_start),
            sentence=ctx.text.quote(a, cl.ce),
            confidence="medium",
            reason=list(reason),
            chapter=chapter,
            plan_title=_plan_title_at(ctx, mt.start),
        )
        for member in zone.members
    ]


def _earlier_plan(ctx: _Ctx, title: str) -> bool:
    """A heading about the plan period before this plan's ("十四五"发展目标顺利实现, "十四五"时期…取得…成就)."""
    m = re.search(r"十([一二三四五六七八九])五", title)
    if not m or ctx.period is None:
        return False
    return _fyp_period(10 + _CN_SMALL[m.group(1)])[1] < ctx.period[0] and not re.search(
        r"展望|面临|形势", title
    )
