"""`python -m service.cli`: the same as the `yrdmon` console script."""

from service.cli.main import app

app()
