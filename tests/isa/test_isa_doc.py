"""docs/isa.md is generated from the tables; it must be current."""

from pathlib import Path

from vta.isa.isa_doc import render

DOC = Path(__file__).resolve().parents[2] / "docs" / "isa.md"


def test_isa_page_is_current():
    assert DOC.read_text() == render(), "docs/isa.md is stale: run `python -m vta.isa.isa_doc`"


def test_isa_page_lists_every_field():
    from vta.isa.fields import TABLES, UOP_FIELDS

    text = render()
    for fields in list(TABLES.values()) + [UOP_FIELDS]:
        for f in fields:
            assert f"`{f.name}`" in text
