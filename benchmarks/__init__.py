"""Reproducible performance runs. Each prints its figures beside a reference measured in the same run."""
