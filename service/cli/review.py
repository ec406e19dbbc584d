"""`yrdmon review ...`: switch figure review (数据审核) on or off, list what awaits a reviewer, approve,
return or resubmit figures (by id or a whole import batch), show a figure's review history, and queue
the reviewers' digests."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from sqlalchemy.orm import Session

from service import cli

review_app = typer.Typer(
    help="Figure review (数据审核): policy, queue, approve, return", no_args_is_help=True
)

UserOption = Annotated[str, typer.Option("--user", "-u", help="the user who takes the step")]
IdsArgument = Annotated[list[int] | None, typer.Argument(help="figure version ids (see `review list`)")]
BatchOption = Annotated[int | None, typer.Option("--batch", help="every figure of this import batch")]
CommentOption = Annotated[
    str | None, typer.Option("--comment", "-m", help="why (needed to return or resubmit)")
]


@review_app.command("policy")
def review_policy(
    enable: Annotated[bool | None, typer.Option("--on/--off", help="switch review on or off")] = None,
    approve_admin: Annotated[
        bool, typer.Option("--approve-admin/--review-admin", help="administrators' entries approved on entry")
    ] = True,
    approve_published: Annotated[
        bool,
        typer.Option(
            "--approve-published/--review-published", help="statistics loaded by init approved on entry"
        ),
    ] = True,
) -> None:
    """Show the review policy, or switch it (--on / --off; recorded with the time)."""
    from service.db.models import WritePath
    from service.domain import review

    def work(session: Session) -> review.Policy:
        if enable is None:
            return review.policy(session)
        return review.set_policy(
            session,
            enabled=enable,
            approve_admin=approve_admin,
            approve_published=approve_published,
            actor=None,
            now=cli.now(),
            path=WritePath.CLI,
        )

    p = cli.in_transaction(work)
    cli.say(
        "review_policy",
        state=cli.text("review_on" if p.enabled else "review_off"),
        admin=p.approve_admin,
        published=p.approve_published,
    )


@review_app.command("list")
def review_list(
    user: UserOption,
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines instead of a table")] = False,
) -> None:
    """The figures awaiting this user's review (in their regions, not their own)."""
    from service.domain import review

    def work(session: Session) -> list[dict[str, Any]]:
        return [
            {
                "id": i.observation_id,
                "indicator": i.indicator.code,
                "region": i.region.code,
                "year": i.period,
                "value": None if i.value is None else f"{i.value.normalize():f}",
                "in_force": None if i.previous_value is None else f"{i.previous_value.normalize():f}",
                "kind": "revision" if i.revision else "new",
                "by": i.entered_by,
                "batch": i.batch_id,
                "submitted": i.submitted_at.isoformat(timespec="seconds"),
            }
            for i in review.queue(session, cli.active_user(session, user))
        ]

    rows = cli.in_transaction(work)
    if as_json:
        for row in rows:
            typer.echo(json.dumps(row, ensure_ascii=False))
        return
    if not rows:
        cli.say("review_nothing")
        return
    columns = ["id", "indicator", "region", "year", "value", "in_force", "kind", "by", "batch", "submitted"]
    cells = [[str(r[c] if r[c] is not None else "-") for c in columns] for r in rows]
    widths = [max([len(c), *(len(row[i]) for row in cells)]) for i, c in enumerate(columns)]
    for line in [columns, *cells]:
        typer.echo("  ".join(v.ljust(w) for v, w in zip(line, widths, strict=True)).rstrip())


def _step(action: str, user: str, ids: list[int] | None, batch: int | None, comment: str | None) -> None:
    from service.config import get_settings
    from service.db.models import WritePath
    from service.domain import review
    from service.domain.errors import Invalid
    from service.notify.review_mail import returned_notifier

    if bool(ids) == (batch is not None):
        cli.fail_key("ids_or_batch")

    def work(session: Session) -> review.StepResult:
        account = cli.active_user(session, user)
        review.require_enabled(session)
        chosen = list(ids or [])
        if batch is not None:
            chosen = review.batch_versions(session, batch, state=review.FROM_STATE[action])
            if not chosen:
                raise Invalid(
                    f"导入批次 {batch} 中没有可{review.ACTION_ZH[action]}的数据",
                    f"import batch {batch} has no figure that can be {review.ACTION_EN[action]}",
                )
        now = cli.now()
        notify = returned_notifier(get_settings(), now) if action == review.RETURN else None
        return review.act(
            session, account, action, chosen, comment=comment, now=now, path=WritePath.CLI, notify=notify
        )

    result = cli.in_transaction(work)
    for step in result.steps:
        typer.echo(f"{step['observation_id']}: {step['figure']} {step['state']}")
    done = review.ACTION_EN[action] if cli.lang() == "en" else review.ACTION_ZH[action]
    cli.say("review_done", n=len(result.steps), action=done)


@review_app.command("approve")
def review_approve(
    user: UserOption, ids: IdsArgument = None, batch: BatchOption = None, comment: CommentOption = None
) -> None:
    """Approve figures (已审核): all of them or none."""
    from service.domain.review import APPROVE

    _step(APPROVE, user, ids, batch, comment)


@review_app.command("return")
def review_return(
    user: UserOption, ids: IdsArgument = None, batch: BatchOption = None, comment: CommentOption = None
) -> None:
    """Return figures to their editor with a comment (退回); the editor is e-mailed."""
    from service.domain.review import RETURN

    _step(RETURN, user, ids, batch, comment)


@review_app.command("resubmit")
def review_resubmit(
    user: UserOption, ids: IdsArgument = None, batch: BatchOption = None, comment: CommentOption = None
) -> None:
    """Resubmit returned figures unchanged, saying why they are right (editors)."""
    from service.domain.review import RESUBMIT

    _step(RESUBMIT, user, ids, batch, comment)


@review_app.command("history")
def review_history(observation_id: Annotated[int, typer.Argument(help="a figure version id")]) -> None:
    """Every version of the figure up to this one, with its review steps (JSON)."""
    from service.domain import review

    versions = cli.in_transaction(lambda s: review.history(s, observation_id))
    typer.echo(json.dumps(versions, ensure_ascii=False, indent=2))


@review_app.command("digest")
def review_digest() -> None:
    """Queue today's digest for each reviewer with figures waiting (once a day; `email send` sends)."""
    from service.config import get_settings
    from service.notify.review_mail import queue_reviewer_digests

    n = cli.in_transaction(lambda s: queue_reviewer_digests(s, settings=get_settings(), now=cli.now()))
    cli.say("reviewer_digests", n=n)
