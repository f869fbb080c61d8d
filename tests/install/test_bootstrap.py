"""install/bootstrap.sh installs into the virtual environment only; the ncnn runtime's system
libraries are optional, and the test that needs them says why it is skipped without them."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from tests.install.conftest import REPO

# Runs the ncnn fidelity test in a Python where libvulkan.so.1 cannot be loaded, as on a fresh machine.
WITHOUT_VULKAN = """
import ctypes, sys, pytest
real = ctypes.CDLL
def cdll(name, *args, **kwargs):
    if name == "libvulkan.so.1":
        raise OSError(name + ": cannot open shared object file")
    return real(name, *args, **kwargs)
ctypes.CDLL = cdll
sys.exit(pytest.main([sys.argv[1], "-q", "-rs", "-p", "no:cacheprovider"]))
"""


def test_bootstrap_installs_nothing_outside_the_virtual_environment() -> None:
    script = (REPO / "install" / "bootstrap.sh").read_text(encoding="utf-8")
    commands = re.sub(r'"[^"]*"|#.*', "", script)  # what runs: no comments, no quoted text
    assert not re.search(r"\b(apt-get|apt|sudo|dpkg|yum|dnf|brew)\b", commands)


@pytest.mark.skipif(sys.platform != "linux", reason="the ncnn runtime needs these libraries on Linux")
def test_ncnn_fidelity_is_skipped_with_the_reason_without_its_system_libraries() -> None:
    test = REPO / "tests" / "models" / "test_ncnn_fidelity.py"
    done = subprocess.run([sys.executable, "-c", WITHOUT_VULKAN, str(test)], cwd=REPO, capture_output=True, text=True)
    # pytest's exit code 5: nothing collected, as the whole module is skipped
    assert done.returncode == 5 and "1 skipped" in done.stdout, done.stdout + done.stderr
    # (libomp.so.5 is named too on a machine that lacks it as well)
    assert re.search(r"libvulkan\.so\.1 (and libomp\.so\.5 )?not installed", done.stdout)
    assert "sudo apt-get install libvulkan1 libomp5" in done.stdout
