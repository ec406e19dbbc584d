"""Target statuses (METHODOLOGY §3): labels, scores and the worst-first order used in summaries."""

from __future__ import annotations

import enum
from collections.abc import Iterable

from service.domain.texts import TEXTS


class Status(enum.StrEnum):
    INSUFFICIENT_DATA = "insufficient_data"
    ACHIEVED = "achieved"
    ACHIEVED_EARLY = "achieved_early"
    MISSED = "missed"
    ON_TRACK = "on_track"
    NEEDS_ACCELERATION = "needs_acceleration"
    OFF_TRACK = "off_track"
    REGRESSING = "regressing"

    @property
    def label_zh(self) -> str:
        return STATUS_LABELS[self][0]

    @property
    def label_en(self) -> str:
        return STATUS_LABELS[self][1]

    @property
    def score(self) -> int | None:
        """The status's score on [-5, 5]; None when the target cannot be assessed."""
        return STATUS_SCORES[self]

    @property
    def assessable(self) -> bool:
        return self is not Status.INSUFFICIENT_DATA

    @property
    def met(self) -> bool:
        """The target is reached (已实现 or 提前实现): no pace is needed any more."""
        return self is Status.ACHIEVED or self is Status.ACHIEVED_EARLY

    @property
    def behind(self) -> bool:
        """Behind the schedule (落后于序时进度): too slow, far too slow, or moving the wrong way."""
        return self in (Status.NEEDS_ACCELERATION, Status.OFF_TRACK, Status.REGRESSING)


# The words for each status live with every other text (service/domain/texts.py, keys status_*).
STATUS_LABELS: dict[Status, tuple[str, str]] = {s: TEXTS["status_" + s.value] for s in Status}

# Score per status on [-5, 5] (METHODOLOGY §5, averaged with equal weight across targets).
# Achieved either way is the top; a moving-but-slow target (R in [0.60, 0.95)) is still on the
# positive side; "off track" (moving the right way at under 60 % of the needed pace) is negative;
# a target that has run out of time without being met is -4; moving away from the target is the
# bottom (-5), because it is the only status where each further year makes things worse.
STATUS_SCORES: dict[Status, int | None] = {
    Status.INSUFFICIENT_DATA: None,
    Status.ACHIEVED: 5,
    Status.ACHIEVED_EARLY: 5,
    Status.ON_TRACK: 3,
    Status.NEEDS_ACCELERATION: 1,
    Status.OFF_TRACK: -2,
    Status.MISSED: -4,
    Status.REGRESSING: -5,
}

# Worst first; used where one indicator carries several targets and the worst status wins.
WORST_FIRST: tuple[Status, ...] = (
    Status.REGRESSING,
    Status.MISSED,
    Status.OFF_TRACK,
    Status.NEEDS_ACCELERATION,
    Status.ON_TRACK,
    Status.ACHIEVED,
    Status.ACHIEVED_EARLY,
)


# A target without a number (完成省定目标, 基本稳定, 与经济增长同步) is listed in a report run with this
# status of its own: shown with its words, never assessed, no score. It is not one of the statuses of
# METHODOLOGY §3 (not a ``Status``): summaries of progress leave it out.
QUALITATIVE = "qualitative"
QUALITATIVE_LABELS = TEXTS["status_qualitative"]

# The end-of-term verdicts (末期评估) of a target whose year has passed, in the order pages, charts and
# files list them: met early, met, missed, not enough data to say, or a target without a number.
VERDICTS: tuple[str, ...] = (
    Status.ACHIEVED_EARLY.value,
    Status.ACHIEVED.value,
    Status.MISSED.value,
    Status.INSUFFICIENT_DATA.value,
    QUALITATIVE,
)

_WORST_FIRST_SET = frozenset(WORST_FIRST)

# The statuses with each property, for records that carry a status as its string (a StrEnum member
# hashes and compares as its value, so ``record["status"] in MET`` needs no conversion; a qualitative
# target's status or None is in neither).
MET: frozenset[Status] = frozenset(s for s in Status if s.met)
BEHIND: frozenset[Status] = frozenset(s for s in Status if s.behind)


def worst(statuses: Iterable[Status]) -> Status:
    """The worst assessable status; INSUFFICIENT_DATA only when none of them is assessable."""
    present = set(statuses)
    if len(present) == 1:  # the usual case: one target per indicator and region
        only = next(iter(present))
        return only if only in _WORST_FIRST_SET else Status.INSUFFICIENT_DATA
    for status in WORST_FIRST:
        if status in present:
            return status
    return Status.INSUFFICIENT_DATA


# The one palette of the statuses, used by the web charts, the e-mail and the documents. Okabe–Ito
# colours (distinguishable with the common colour-vision deficiencies) and a distinct icon per status,
# always shown with the status's word: 提前实现 is a deeper green with a star, 已实现 a lighter one with a
# tick, so the two are told apart by colour, icon and word.
STATUS_COLOURS: dict[str, str] = {
    Status.ACHIEVED.value: "#6CCFA8",
    Status.ACHIEVED_EARLY.value: "#009E73",
    Status.ON_TRACK.value: "#56B4E9",
    Status.NEEDS_ACCELERATION.value: "#F0E442",
    Status.OFF_TRACK.value: "#E69F00",
    Status.MISSED.value: "#D55E00",
    Status.REGRESSING.value: "#CC79A7",
    Status.INSUFFICIENT_DATA.value: "#BBBBBB",
    QUALITATIVE: "#E4E4E4",  # not a judgement: a pale neutral, told apart by its word and icon
}
STATUS_ICONS: dict[str, str] = {
    Status.ACHIEVED.value: "✔",
    Status.ACHIEVED_EARLY.value: "★",
    Status.ON_TRACK.value: "▲",
    Status.NEEDS_ACCELERATION.value: "◆",
    Status.OFF_TRACK.value: "▼",
    Status.MISSED.value: "✖",
    Status.REGRESSING.value: "↘",
    Status.INSUFFICIENT_DATA.value: "?",
    QUALITATIVE: "≈",
}
# pale tints of the colours for printed tables (word and icon carry the meaning, black text stays readable)
STATUS_TINTS: dict[str, str] = {
    Status.ACHIEVED.value: "E2F5ED",
    Status.ACHIEVED_EARLY.value: "C6E9DC",
    Status.ON_TRACK.value: "DDF0FB",
    Status.NEEDS_ACCELERATION.value: "FBF8D0",
    Status.OFF_TRACK.value: "FBEBCC",
    Status.MISSED.value: "F7DDCC",
    Status.REGRESSING.value: "F4E4EE",
    Status.INSUFFICIENT_DATA.value: "EEEEEE",
    QUALITATIVE: "F4F4F4",
}
