"""Item-item co-occurrence ``XᵀX`` of a users x items matrix, as dense blocks of item rows.

Item-kNN needs every item's full row of ``XᵀX`` (to keep its best neighbours), and computing
it is most of the model's fit. SciPy's sparse product costs about the square of each user's
item count (every pair of the user's items), in two passes, and writes a sparse result that is
densified anyway. Two cheaper routes, each exact:

- **Heavy users** (more than ``items / HEAVY_SHARE`` items; wholesale customers, film buffs)
  hold most of the pairs although they are few: their rows go through a dense BLAS product,
  whose cost per user is fixed (``items²`` multiply-adds at BLAS speed) and below the sparse
  cost of so many pairs. The **light users**, the many with short baskets, stay sparse.
- When the whole matrix fits (at most ``DENSE_ITEMS`` items, ``4 n²`` bytes), the light users'
  product is computed only on and above the diagonal, in ``TRIANGLE_PARTS`` bands of item rows
  (band ``i`` times the item columns from its own first one on), and mirrored: about
  ``(parts + 1) / (2 parts)`` of the pairs instead of all. Larger catalogues go band by band
  (``BLOCK_ITEMS`` rows at a time, all columns), so memory stays one band.

Values are summed in float32 as the sparse product does; on 0/1 data the counts are exact.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import pairwise

import numpy as np
import numpy.typing as npt
from scipy.sparse import csc_matrix, csr_matrix

BLOCK_ITEMS = 2048
DENSE_ITEMS = 8192
HEAVY_SHARE = 16
HEAVY_BLOCK = 1024
TRIANGLE_PARTS = 4

Block = npt.NDArray[np.float32]


def cooccurrence_blocks(user_items: csr_matrix) -> Iterator[tuple[int, Block]]:
    """Consecutive blocks of rows of ``user_items.T @ user_items`` as ``(first row, dense
    float32 rows x items)``, at most ``BLOCK_ITEMS`` rows each. A block is the caller's to
    change."""
    matrix = csr_matrix(user_items, dtype=np.float32)
    n_items = matrix.shape[1]
    counts = np.diff(matrix.indptr)
    heavy = matrix[np.flatnonzero(counts * HEAVY_SHARE > n_items)]
    light = matrix[np.flatnonzero(counts * HEAVY_SHARE <= n_items)]
    if n_items <= DENSE_ITEMS:
        whole = _light_triangle(light)
        _add_heavy(whole, heavy, 0)
        for start in range(0, n_items, BLOCK_ITEMS):
            yield start, whole[start : start + BLOCK_ITEMS]
        return
    item_users = csr_matrix(light.T)
    for start in range(0, n_items, BLOCK_ITEMS):
        block = (item_users[start : start + BLOCK_ITEMS] @ light).toarray()
        _add_heavy(block, heavy, start)
        yield start, block


def _light_triangle(light: csr_matrix) -> Block:
    """``light.T @ light`` (dense), computed on and above the diagonal in bands, mirrored."""
    n_items = light.shape[1]
    whole = np.zeros((n_items, n_items), dtype=np.float32)
    item_users = csr_matrix(light.T)
    by_item = csc_matrix(light)
    bounds = np.linspace(0, n_items, TRIANGLE_PARTS + 1).astype(np.int64)
    bands = [(a, b) for a, b in pairwise(bounds.tolist()) if b > a]
    for start, stop in bands:
        upper = item_users[start:stop] @ csr_matrix(by_item[:, start:])
        whole[start:stop, start:] = upper.toarray()
    for start, stop in bands:
        whole[stop:, start:stop] = whole[start:stop, stop:].T
    return whole


def _add_heavy(block: Block, heavy: csr_matrix, start: int) -> None:
    """Add the heavy users' share of rows ``start:start + len(block)`` to ``block`` (dense
    products of ``HEAVY_BLOCK`` users at a time)."""
    stop = start + block.shape[0]
    for first in range(0, heavy.shape[0], HEAVY_BLOCK):
        dense = heavy[first : first + HEAVY_BLOCK].toarray()
        block += dense[:, start:stop].T @ dense
