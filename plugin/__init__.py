"""Tinct plugin."""
