"""Config: upstream defaults, derived quantities, presets, and validation errors."""

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vta.isa import Config, ConfigError, presets


def test_default_is_upstream():
    c = Config()
    assert (c.log_inp_width, c.log_wgt_width, c.log_acc_width, c.log_batch, c.log_block) == (3, 3, 5, 0, 4)
    assert (c.log_uop_buff_size, c.log_inp_buff_size, c.log_wgt_buff_size, c.log_acc_buff_size) == (15, 15, 18, 17)
    assert c.bus_width == 64 and c.clock_mhz == 100


def test_default_derived_values_match_upstream_table():
    # VTA_REFERENCE 1.2 table for the default config
    c = Config()
    assert (c.uop_depth, c.inp_depth, c.wgt_depth, c.acc_depth, c.out_depth) == (8192, 2048, 1024, 2048, 2048)
    assert (c.log_uop_depth, c.log_inp_depth, c.log_wgt_depth, c.log_acc_depth) == (13, 11, 10, 11)
    assert (c.inp_elem_bytes, c.wgt_elem_bytes, c.acc_elem_bytes, c.out_elem_bytes) == (16, 256, 64, 16)
    assert c.log_out_buff_size == 15
    assert c.macs_per_cycle == 256
    assert c.bitstream == "1x16_i8w8a32_15_15_18_17"
    assert c.model == "sim_1x16_i8w8a32_15_15_18_17"
    assert abs(c.peak_gops - 51.2) < 1e-9


def test_presets_load_and_round_trip(tmp_path):
    names = presets()
    for required in ("default", "pynq", "ultra96", "zcu104", "de10nano", "1x32x32", "4x16x16"):
        assert required in names
    for name in names:
        c = Config.load(name)
        path = tmp_path / f"{name}.json"
        path.write_text(c.to_json())
        assert Config.load(path) == c
    assert Config.load("ultra96").bus_width == 128 and Config.load("ultra96").clock_mhz == 333
    assert Config.load("1x32x32").block_in == 32
    assert Config.load("4x16x16").batch == 4


def test_upstream_json_keys_load_unchanged(tmp_path):
    upstream = {"TARGET": "pynq", "HW_VER": "0.0.2", "LOG_INP_WIDTH": 3, "LOG_WGT_WIDTH": 3, "LOG_ACC_WIDTH": 5,
                "LOG_BATCH": 0, "LOG_BLOCK": 4, "LOG_UOP_BUFF_SIZE": 15, "LOG_INP_BUFF_SIZE": 15,
                "LOG_WGT_BUFF_SIZE": 18, "LOG_ACC_BUFF_SIZE": 17}
    path = tmp_path / "vta_config.json"
    path.write_text(json.dumps(upstream))
    assert Config.load(path) == Config(target="pynq")


@pytest.mark.parametrize("raw, fragment", [
    ({"LOG_BLOCK": "4"}, "LOG_BLOCK must be an integer"),
    ({"LOG_BLOKC": 4}, "unknown key 'LOG_BLOKC'"),
    ({"LOG_INP_WIDTH": 2}, "LOG_INP_WIDTH=2 is not supported"),
    ({"LOG_ACC_WIDTH": 4}, "LOG_ACC_WIDTH=4 is not supported"),
    ({"TARGET": "gpu"}, "TARGET='gpu'"),
    ({"LOG_BUS_WIDTH": 10}, "LOG_BUS_WIDTH=10"),
    ({"LOG_UOP_BUFF_SIZE": 16}, "GEMM instruction too wide"),
    ({"LOG_ACC_BUFF_SIZE": 18}, "LOG_ACC_BUFF_SIZE"),
    ({"LOG_BLOCK": 7}, "LOG_BLOCK=7"),
    ({"LOG_INP_BUFF_SIZE": 3}, "smaller than one INP element"),
])
def test_bad_configs_name_the_key_and_rule(raw, fragment):
    with pytest.raises(ConfigError, match=None) as info:
        Config.from_dict(raw, origin="my.json")
    assert fragment in str(info.value)
    assert "my.json" in str(info.value)


def test_bad_file_errors_name_the_file(tmp_path):
    bad = tmp_path / "broken.json"
    bad.write_text("{ not json")
    with pytest.raises(ConfigError, match="broken.json.*not valid JSON"):
        Config.load(bad)
    with pytest.raises(ConfigError, match="unknown config preset 'nope'"):
        Config.load("nope")
    with pytest.raises(ConfigError, match="does not exist"):
        Config.load(tmp_path / "missing.json")


@given(st.integers(0, 4), st.integers(1, 6), st.integers(2, 17), st.integers(1, 20), st.integers(1, 22),
       st.integers(1, 20))
def test_any_accepted_config_has_fitting_layouts(log_batch, log_block, log_uop, log_inp, log_wgt, log_acc):
    """Either the config is rejected with a ConfigError naming a key, or every layout fits its word."""
    from vta.isa.fields import Kind
    from vta.isa.layout import insn_layout, uop_layout

    raw = {"LOG_BATCH": log_batch, "LOG_BLOCK": log_block, "LOG_UOP_BUFF_SIZE": log_uop,
           "LOG_INP_BUFF_SIZE": log_inp, "LOG_WGT_BUFF_SIZE": log_wgt, "LOG_ACC_BUFF_SIZE": log_acc}
    try:
        c = Config.from_dict(raw)
    except ConfigError as exc:
        assert "LOG_" in str(exc)
        return
    for kind in (Kind.MEM, Kind.GEMM, Kind.ALU):
        lay = insn_layout(kind, c)
        assert lay.used_bits <= 128
        for s in lay.slots:  # no field straddles a 64-bit word
            assert s.lsb // 64 == (s.lsb + s.width - 1) // 64
    assert uop_layout(c).used_bits <= 32
    assert 1 <= c.inp_depth <= 1 << 16 and c.acc_elem_bytes <= 4096
