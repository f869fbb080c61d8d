"""Tinct's pyblish plugins, one per file, named by stage (collect_, validate_, extract_, integrate_)."""
