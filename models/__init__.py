"""Tinct models."""
