"""Tinct's test suite (a package so that test helpers import as ``tests.<folder>.<module>``)."""
