"""A1111's `NV` noise source: NVIDIA's CUDA normal generator (Philox4x32-10 counters + Box-Muller), computed
on the CPU with NumPy, so a seed gives the noise `torch.randn(..., device="cuda")` gives on any machine.

It follows A1111's `modules/rng_philox.py` number for number: each `randn` call is one counter offset
(counter word 0), the element index is counter word 2, the 64-bit seed is the key; of the four 32-bit words
each element's counter yields, the first two go through one Box-Muller step (its sine half), with the
constants rounded to float32 and the arithmetic in float64, then rounded to float32.
"""

from __future__ import annotations

import numpy as np

_MULTIPLIERS = (0xD2511F53, 0xCD9E8D57)
_WEYL = (0x9E3779B9, 0xBB67AE85)
_ROUNDS = 10
_MASK32 = np.uint64(0xFFFFFFFF)

_INV_2_32 = np.float32(2.3283064e-10)
"""2^-32 as A1111 writes it (a float32 constant)."""
_INV_2_32_2PI = np.float32(2.3283064e-10 * 6.2831855)


def _mulhilo(a: np.ndarray, multiplier: int) -> tuple[np.ndarray, np.ndarray]:
    """The high and low 32-bit words of the 64-bit product a * multiplier."""
    product = a.astype(np.uint64) * np.uint64(multiplier)
    return (product >> np.uint64(32)).astype(np.uint32), (product & _MASK32).astype(np.uint32)


def philox4x32(counter: np.ndarray, key: np.ndarray) -> tuple[np.ndarray, ...]:
    """Philox4x32-10 of `counter` (4, N) uint32 under `key` (2, N) uint32: four (N,) uint32 words."""
    c0, c1, c2, c3 = (word.copy() for word in counter)
    k0, k1 = key[0].copy(), key[1].copy()
    for round_index in range(_ROUNDS):
        if round_index:
            k0 = k0 + np.uint32(_WEYL[0])
            k1 = k1 + np.uint32(_WEYL[1])
        hi0, lo0 = _mulhilo(c0, _MULTIPLIERS[0])
        hi1, lo1 = _mulhilo(c2, _MULTIPLIERS[1])
        c0, c1, c2, c3 = hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0
    return c0, c1, c2, c3


def _box_muller(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    u = x.astype(np.float64) * np.float64(_INV_2_32) + np.float64(_INV_2_32 / np.float32(2))
    v = y.astype(np.float64) * np.float64(_INV_2_32_2PI) + np.float64(_INV_2_32_2PI / np.float32(2))
    return (np.sqrt(-2.0 * np.log(u)) * np.sin(v)).astype(np.float32)


class PhiloxGenerator:
    """A seeded stream of standard normal tensors equal to CUDA's `torch.randn` for the same seed.

    Each `randn` call draws the next offset, as consecutive `torch.randn` calls on one CUDA generator do
    for tensors of up to 2^32 elements.
    """

    def __init__(self, seed: int):
        self.seed = int(seed)
        self.offset = 0

    def randn(self, shape: tuple[int, ...]) -> np.ndarray:
        """The next float32 array of `shape`."""
        n = int(np.prod(shape))
        counter = np.zeros((4, n), dtype=np.uint32)
        counter[0] = self.offset
        counter[2] = np.arange(n, dtype=np.uint32)
        self.offset += 1
        seed = np.uint64(self.seed)
        key = np.empty((2, n), dtype=np.uint32)
        key[0] = np.uint32(seed & _MASK32)
        key[1] = np.uint32(seed >> np.uint64(32))
        x, y, _, _ = philox4x32(counter, key)
        return _box_muller(x, y).reshape(shape)
