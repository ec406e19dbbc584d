"""What the tests share, in one place (no test module imports from another):

- ``factories``: new databases, users with tokens, catalog copies, the project's catalog parsed once per
  process (``project_catalog``), the suite's fixed clock;
- ``pgcluster``: a throwaway PostgreSQL server; ``databases``: prepared databases copied per test
  (a SQLite file copy, a PostgreSQL ``CREATE DATABASE … TEMPLATE``) instead of migrating, loading the
  catalog or re-running ``init`` again: migrated, catalogued (per load date), initialised, reported;
- ``progress``: the methodology's worked-example target and year series, for the no-database tests;
- ``cli``: the ``yrdmon`` command as a user runs it; ``servers``: ``yrdmon serve`` on a loopback port;
- ``browser``: Debian's Chromium through Playwright, and page helpers;
- ``smtp``: a real SMTP server on loopback and its inbox; ``web``: logging in through the app's form;
- ``samples``: texts and figures several test modules use (a plan's text, provinces' populations).

Fixtures are declared in ``tests/conftest.py``, which stays the one entry point.
"""

from __future__ import annotations

import os

IN_CI = os.environ.get("CI", "").lower() == "true"
