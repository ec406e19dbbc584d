"""Scripts that build the project's documents (run from the repository root: python -m tools.NAME)."""
