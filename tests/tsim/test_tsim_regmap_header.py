"""The generated register renderings (vta_hw/regmap_header.py) carry exactly the table of vta_hw/regmap.py."""

from __future__ import annotations

import re

from vta.hw import regmap
from vta.hw.regmap_header import c_header, sv_localparams


def test_c_header_defines_every_register_offset():
    defines = dict(re.findall(r"^#define VTA_REG_(\w+) 0x([0-9A-F]+)u", c_header(), re.M))
    assert {k: int(v, 16) for k, v in defines.items()} == {r.name.upper(): r.offset for r in regmap.REGISTERS}


def test_c_header_table_lists_registers_in_map_order():
    rows = re.findall(r'\{VTA_REG_(\w+), "(\w+)", ([01])\}', c_header())
    assert [(name, int(ro)) for _, name, ro in rows] == [
        (r.name, int(r.access == "ro")) for r in regmap.REGISTERS
    ]
    assert f"#define VTA_NUM_REGS {len(regmap.REGISTERS)}" in c_header()


def test_c_header_status_fields_and_error_codes():
    text = c_header()
    assert f"#define VTA_STATUS_ERROR_CODE_LSB {regmap.STATUS_ERROR_CODE_LSB}" in text
    assert f"#define VTA_CTRL_FINISH_BIT {regmap.CTRL_FINISH_BIT}" in text
    codes = dict(re.findall(r"^#define VTA_ERROR_(\w+) (\d+)$", text, re.M))
    assert sorted(int(v) for v in codes.values()) == sorted(regmap.ERROR_CODES)


def test_sv_localparams_match_the_table():
    found = dict(re.findall(r"localparam int unsigned REG_(\w+) = 'h([0-9A-F]+);", sv_localparams()))
    assert {k: int(v, 16) for k, v in found.items()} == {r.name.upper(): r.offset for r in regmap.REGISTERS}
