"""Errors a user can cause outside the scenario file (kept light: no heavy imports)."""


class ResultsError(OSError):
    """A results folder cannot be written or read (message names the path)."""
