"""Page texts: they live in service/domain/texts.py (one home for every layer); this module keeps the web
layer's old import path."""

from __future__ import annotations

from service.domain.texts import TEXTS, t

__all__ = ["TEXTS", "t"]
