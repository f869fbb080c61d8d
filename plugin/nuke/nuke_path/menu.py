"""Tinct for Nuke: the plugin folder's menu.py (GUI sessions only; init.py has already run)."""

import importlib

importlib.import_module("tinct.plugin.nuke.menu").install()
