"""The CRC of HJ 212 frames (HJ 212-2017 Appendix A), and the Modbus CRC some loggers send instead.

Pure: bytes in, an int out.
"""

from __future__ import annotations

import functools


def _shift8(value: int) -> int:
    for _ in range(8):
        value = (value >> 1) ^ 0xA001 if value & 1 else value >> 1
    return value


# After `reg = (reg >> 8) ^ byte` the register holds one byte, so 8 rounds of shift/XOR are a table look-up.
_TABLE: tuple[int, ...] = tuple(_shift8(i) for i in range(256))
# The high byte carried from one step to the next, `H(v) = _TABLE[v] >> 8`, is linear over GF(2) and H^8 is the
# identity. So the last step's table index is the XOR over all bytes b of H^d(b), d = distance to the last byte,
# plus H^(n-1)(0xFF): only d mod 8 matters. Read as one big-endian integer and XOR-folded onto its lowest 64 bits
# (a few big-integer operations, which run in C), the data leaves in byte d the XOR of all bytes at distance d mod 8.
_POWERS: tuple[bytes, ...] = tuple(
    bytes(functools.reduce(lambda v, _: _TABLE[v] >> 8, range(power), x) for x in range(256)) for power in range(8)
)


def _pair_table(power: int) -> bytes:
    # H^power(low) ^ H^(power+1)(high) at index high * 256 + low, built with two big-integer XORs rather than a
    # 65,536-step loop at import time.
    low = bytes(_POWERS[power]) * 256
    high = b"".join(bytes([value]) * 256 for value in _POWERS[power + 1])
    return (int.from_bytes(low, "big") ^ int.from_bytes(high, "big")).to_bytes(65536, "big")


# Each 16-bit chunk of the folded value looked up at once: chunk j holds the bytes at distances 2j and 2j + 1.
_PAIR0, _PAIR1, _PAIR2, _PAIR3 = (_pair_table(power) for power in (0, 2, 4, 6))
# (shift, mask) folding the upper half of 2^(k+1) 64-bit words onto the lower half, largest k first: 11 halvings
# cover 16 KiB, above any data segment; longer data takes the byte loop. `_FOLDS[k]` are the last k of them.
_HALVINGS = tuple((64 << k, (1 << (64 << k)) - 1) for k in reversed(range(11)))
_FOLDS = tuple(_HALVINGS[len(_HALVINGS) - k :] if k else () for k in range(len(_HALVINGS) + 1))
_FOLDED_MAX = 8 << len(_HALVINGS)
_START = bytes(_POWERS[(n - 1) & 7][0xFF] for n in range(8))  # H^(n-1)(0xFF) by n mod 8


def crc16(data: bytes) -> int:
    """HJ 212 CRC of a data segment (HJ 212-2017 Appendix A): start 0xFFFF, per byte `reg = (reg >> 8) ^ byte`,
    then 8 rounds of "shift right, XOR 0xA001 if a 1 was shifted out". Not CRC-16/MODBUS: only 256 values occur."""
    n = len(data)
    if not 0 < n <= _FOLDED_MAX:
        table = _TABLE
        reg = 0xFFFF
        for byte in data:
            reg = table[(reg >> 8) ^ byte]
        return reg
    folded = int.from_bytes(data, "big")  # the last byte lowest, so a byte's bit offset is 8 * its distance
    for shift, mask in _FOLDS[((n - 1) >> 3).bit_length()]:  # the halvings down to one 64-bit word
        folded = (folded >> shift) ^ (folded & mask)
    return _TABLE[
        _PAIR0[folded & 0xFFFF]
        ^ _PAIR1[(folded >> 16) & 0xFFFF]
        ^ _PAIR2[(folded >> 32) & 0xFFFF]
        ^ _PAIR3[folded >> 48]
        ^ _START[n & 7]
    ]


def crc16_modbus(data: bytes) -> int:
    """CRC-16/MODBUS (poly 0xA001 reflected, init 0xFFFF), which some loggers send instead of the HJ 212 CRC."""
    table = _TABLE
    reg = 0xFFFF
    for byte in data:
        reg = (reg >> 8) ^ table[(reg ^ byte) & 0xFF]
    return reg


def swap_bytes(value: int) -> int:
    """The two bytes of a 16-bit value swapped (a Modbus CRC sent low byte first)."""
    return ((value & 0xFF) << 8) | (value >> 8)
