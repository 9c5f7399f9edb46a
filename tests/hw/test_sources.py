"""Source list, one module per file named after it, and the FuseSoC core file."""

from pathlib import Path

import yaml
from pyslang.syntax import SyntaxTree

from vta.hw import sources

CORE = Path(sources.RTL_DIR).parent / "vta.core"


def test_every_rtl_file_listed_once():
    on_disk = sorted(p.name for p in sources.RTL_DIR.glob("*.sv"))
    assert sorted(sources.FILES) == on_disk
    assert len(set(sources.FILES)) == len(sources.FILES)
    assert sources.FILES[0] == sources.PACKAGE and sources.FILES[-1] == f"{sources.TOP}.sv"


def test_one_module_per_file_named_after_it():
    for path in sources.paths():
        tree = SyntaxTree.fromFile(str(path))
        members = [m for m in tree.root.members]
        assert len(members) == 1, path.name
        decl = members[0]
        assert decl.header.name.valueText == path.stem, path.name


def test_core_file_lists_the_sources_in_order():
    text = CORE.read_text()
    assert text.startswith("CAPI=2:")
    core = yaml.safe_load(text.split("\n", 1)[1])
    files = core["filesets"]["rtl"]["files"]
    assert files == [f"rtl/{f}" for f in sources.FILES]
    assert core["targets"]["default"]["toplevel"] == sources.TOP
    assert core["targets"]["lint"]["default_tool"] == "verilator"
