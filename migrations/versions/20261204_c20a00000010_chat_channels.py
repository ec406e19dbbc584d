"""chat channels: 企业微信 / 钉钉 group robots and signed webhooks beside e-mail

A subscription names its channel (``email`` as before, ``wecom``, ``dingtalk`` or ``webhook``); a chat
channel keeps its URL and signing secret encrypted (``channel_secret``) and a masked label to show, and
has no e-mail address. Outbox messages name their channel and carry the encrypted destination they were
queued for; each delivery-log row keeps the platform's answer code.

Revision ID: c20a00000010
Revises: c18a00000006
Create Date: 2026-12-04 23:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c20a00000010"
down_revision: str | None = "c18a00000006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHANNEL = "email, wecom, dingtalk or webhook"


def upgrade() -> None:
    with op.batch_alter_table("subscriptions") as batch:
        batch.alter_column(
            "email", existing_type=sa.String(254), nullable=True, comment="NULL for a chat channel"
        )
        batch.add_column(
            sa.Column("channel", sa.String(16), nullable=False, server_default="email", comment=CHANNEL)
        )
        batch.add_column(
            sa.Column(
                "channel_secret",
                sa.Text(),
                nullable=True,
                comment="chat channel: its URL and signing secret, encrypted (Fernet)",
            )
        )
        batch.add_column(
            sa.Column(
                "channel_label",
                sa.String(200),
                nullable=True,
                comment="chat channel as shown: host and the last 4 characters of its key",
            )
        )
    with op.batch_alter_table("email_outbox") as batch:
        batch.add_column(
            sa.Column("channel", sa.String(16), nullable=False, server_default="email", comment=CHANNEL)
        )
        batch.add_column(
            sa.Column(
                "destination",
                sa.Text(),
                nullable=True,
                comment="chat channel: the URL and signing secret it goes to, encrypted (Fernet)",
            )
        )
    with op.batch_alter_table("email_delivery_log") as batch:
        batch.add_column(
            sa.Column(
                "code",
                sa.String(40),
                nullable=True,
                comment="the platform's answer code (企业微信/钉钉 errcode, HTTP status, SMTP code)",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("email_delivery_log") as batch:
        batch.drop_column("code")
    with op.batch_alter_table("email_outbox") as batch:
        batch.drop_column("destination")
        batch.drop_column("channel")
    op.execute("DELETE FROM subscriptions WHERE email IS NULL")
    with op.batch_alter_table("subscriptions") as batch:
        batch.drop_column("channel_label")
        batch.drop_column("channel_secret")
        batch.drop_column("channel")
        batch.alter_column("email", existing_type=sa.String(254), nullable=False, comment=None)
