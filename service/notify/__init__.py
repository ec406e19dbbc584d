"""E-mail: subscriptions, digests, the reporting calendar's reminders, the outbox and SMTP delivery.

Every message is written to the outbox (``email_outbox``) in the transaction that decides to send it;
the sender job delivers the outbox over SMTP. Nothing here reads the clock: callers pass ``now``.
"""
