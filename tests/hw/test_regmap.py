"""The register map table and its generated page."""

from vta.hw import regdoc, regmap

UPSTREAM_VCR = ["control", "cycles", "insn_count", "insn_addr", "uop_base", "inp_base", "wgt_base", "acc_base",
                "out_base", "acc_wr_count"]


def test_upstream_layout_first_and_offsets_word_aligned():
    assert [r.name for r in regmap.REGISTERS[:10]] == UPSTREAM_VCR
    offsets = [r.offset for r in regmap.REGISTERS]
    assert offsets == sorted(set(offsets))
    assert all(o % 4 == 0 and o < 1 << regmap.HOST_ADDR_BITS for o in offsets)
    assert offsets[:10] == [4 * i for i in range(10)]


def test_counters_are_the_read_only_registers_except_status():
    names = {r.name for r in regmap.counter_registers()}
    assert "cycles" in names and "status" not in names and "error_insn" not in names
    assert all(regmap.BY_NAME[n].access == "ro" for n in names)


def test_registers_page_is_current():
    assert regdoc.DOC_PATH.read_text() == regdoc.generate(), "docs/registers.md is stale: run python -m vta.hw.regdoc"
