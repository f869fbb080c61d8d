"""Tinct's host-free engine: sequences, colour management, image I/O and the streaming engine."""
