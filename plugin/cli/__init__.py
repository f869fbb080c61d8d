"""Tinct plugin/cli."""
