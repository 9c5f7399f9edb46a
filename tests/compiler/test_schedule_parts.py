"""schedule_parts.chunk_bounds: how a tile is cut into tail/init parts."""

from hypothesis import given
from hypothesis import strategies as st

from vta.compiler.schedule_parts import chunk_bounds


def test_a_c4_tile_is_cut_along_its_channel_blocks_with_the_small_part_last():
    # batch 1, 8 channel blocks, 3 x 28 pixels: parts of 3, 3 and 2 blocks of 84 vectors
    assert chunk_bounds([1, 8, 3, 28], 3) == (1, 84, [(0, 3), (3, 3), (6, 2)])
    assert chunk_bounds([1, 1, 5, 7], 4) == (2, 7, [(0, 2), (2, 1), (3, 1), (4, 1)])
    assert chunk_bounds([1, 1, 1, 1], 4) is None and chunk_bounds([2, 4, 3, 3], 1) is None


@given(st.lists(st.integers(1, 9), min_size=4, max_size=4), st.integers(2, 6))
def test_parts_cover_the_outer_dimension_in_order_largest_first(ext, chunks):
    cut = chunk_bounds(ext, chunks)
    if all(e == 1 for e in ext):
        assert cut is None
        return
    dim, stride, parts = cut
    assert dim == next(j for j, e in enumerate(ext) if e > 1)
    want_stride = 1
    for e in ext[dim + 1:]:
        want_stride *= e
    assert stride == want_stride
    assert [lo for lo, _ in parts] == [sum(n for _, n in parts[:i]) for i in range(len(parts))]
    sizes = [n for _, n in parts]
    assert sum(sizes) == ext[dim] and len(parts) == min(chunks, ext[dim])
    assert sizes == sorted(sizes, reverse=True) and max(sizes) - min(sizes) <= 1
