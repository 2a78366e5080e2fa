"""Simulate after-sales field service and compare it with queueing theory."""

__version__ = "0.1.0"
