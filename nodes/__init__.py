"""Tinct nodes."""
