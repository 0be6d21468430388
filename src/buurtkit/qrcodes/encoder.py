"""QR symbols for many codes at once: the same symbols segno makes, about 50 times faster.

Printing a batch means encoding up to 100,000 URLs that differ only in their last nine
characters (``HTTPS://HOST/Q/`` + code). segno needs about 2 ms per symbol, most of it to try the
eight data masks, which would make a 100,000-label print sheet take minutes. This module uses
segno itself, once per prefix and error level, to build a :class:`Template`, and then makes each
symbol with a handful of integer XORs:

* With version, mode and error level fixed (same length, same alphanumeric mode), a symbol is
  an affine function of its data bits: Reed–Solomon error correction is linear over GF(2), the
  placement of codewords in the matrix is a fixed permutation, padding and function patterns are
  constant, and masking is an XOR with a constant pattern. So ``symbol(x) = base ⊕ Σ delta``,
  where each varying character pair (11 bits in alphanumeric mode) contributes one precomputed
  matrix difference, taken from segno's own output.
* The whole matrix is one Python ``int`` (one bit per module, rows padded by a light gutter),
  so the ISO/IEC 18004 mask penalties (N1–N4) are computed with shifts, ANDs and bit counts
  for all eight masks, and the lowest wins, as the standard asks.

Every template checks itself against segno before use (and the tests compare many symbols bit
for bit and decode them with a real QR reader); content that does not fit the scheme (not
alphanumeric) goes to segno directly.
"""

from __future__ import annotations

import functools
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass

import segno

ERROR_LEVELS = ("L", "M", "Q", "H")
ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
_INDEX = {c: i for i, c in enumerate(ALNUM)}
_CHARS = frozenset(ALNUM)
PAD = 4  # light modules around the matrix inside the int: the quiet zone for penalty N3
RUNS = re.compile("1+")
_TO_BITS = bytes.maketrans(b"01", b"\x00\x01")


class Layout:
    """Where module (row, col) of a ``size`` × ``size`` symbol sits in the int.

    Rows are ``stride = size + 4`` bits wide (four light gutter bits after each row) and four
    light rows come before and after the symbol. Bit positions count from the most significant
    end, so ``format(bits, layout.fmt)`` reads row by row; the module ``d`` places further on
    (``d = 1`` right, ``d = stride`` below) is aligned by ``bits << d``.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self.stride = size + PAD
        self.length = (size + 2 * PAD) * self.stride
        self.fmt = f"0{self.length}b"
        inside = self._mask(lambda i, j: 0 <= i < size and 0 <= j < size)
        self.full = inside
        self.outside = self._mask(lambda i, j: not (0 <= i < size and 0 <= j < size))
        self.has_right = self._mask(lambda i, j: 0 <= i < size and 0 <= j < size - 1)
        self.has_below = self._mask(lambda i, j: 0 <= i < size - 1 and 0 <= j < size)
        self.modules = size * size

    def _mask(self, keep: object) -> int:
        chars = ["0"] * self.length
        for i in range(-PAD, self.size + PAD):
            for j in range(self.stride):
                if keep(i, j):  # type: ignore[operator]
                    chars[(i + PAD) * self.stride + j] = "1"
        return int("".join(chars), 2)

    def from_matrix(self, matrix: tuple[bytearray, ...]) -> int:
        blank = "0" * self.stride
        rows = [blank] * PAD
        rows += ["".join("1" if m else "0" for m in row) + "0" * PAD for row in matrix]
        rows += [blank] * PAD
        return int("".join(rows), 2)

    def penalty(self, bits: int) -> int:
        """ISO/IEC 18004 §7.8.3: N1 runs, N2 blocks, N3 finder-like patterns, N4 balance."""
        light = self.full ^ bits
        light_q = light | self.outside  # the quiet zone counts as light for N3
        score = 0
        for d, valid in ((1, self.has_right), (self.stride, self.has_below)):
            same = (bits ^ (bits << d) ^ valid) & valid  # module equals the next one
            five = same & (same << d) & (same << 2 * d) & (same << 3 * d)
            # a run of n >= 5 has n - 4 places where five equal modules start: 3 + (n - 5) points
            score += five.bit_count() + 2 * (five & ~(five >> d)).bit_count()
            three = bits & (bits << d) & (bits << 2 * d)  # dark, dark, dark
            core = bits & (light << d) & (three << 2 * d) & (light << 5 * d) & (bits << 6 * d)
            four = light_q & (light_q << d) & (light_q << 2 * d) & (light_q << 3 * d)
            score += 40 * (core & ((four >> 4 * d) | (four << 7 * d))).bit_count()
        right = (bits ^ (bits << 1) ^ self.has_right) & self.has_right
        below = (bits ^ (bits << self.stride) ^ self.has_below) & self.has_below
        score += 3 * (right & below & (right << self.stride)).bit_count()
        dark = bits.bit_count()
        score += 10 * (abs(dark * 100 - self.modules * 50) // (self.modules * 5))
        return score


@functools.lru_cache(maxsize=8)
def layout(size: int) -> Layout:
    return Layout(size)


@dataclass(frozen=True, slots=True)
class Symbol:
    """One QR symbol: ``bits`` laid out as in :class:`Layout`."""

    bits: int
    layout: Layout
    version: int
    error: str
    mask: int
    mode: str
    fixed: int = 0  # modules shared by every symbol of the template (finder, timing, ...)
    fixed_key: str = ""  # names that shared part (empty: nothing shared)

    @property
    def size(self) -> int:
        return self.layout.size

    def rows(self) -> tuple[bytearray, ...]:
        """The matrix as segno has it: one bytearray of 0/1 per row (for segno's writers)."""
        text = format(self.bits, self.layout.fmt).encode()
        stride, size = self.layout.stride, self.layout.size
        return tuple(
            bytearray(text[(i + PAD) * stride : (i + PAD) * stride + size].translate(_TO_BITS))
            for i in range(size)
        )

    def runs(self, *, shared: bool = True) -> Iterator[tuple[int, int, int]]:
        """Horizontal runs of dark modules as (row, column, length).

        ``shared=False`` leaves out the modules every symbol of the template has (drawn once).
        """
        bits = self.bits if shared else self.bits & ~self.fixed
        stride, offset = self.layout.stride, PAD * self.layout.stride
        for match in RUNS.finditer(format(bits, self.layout.fmt)):
            start, end = match.span()
            row, col = divmod(start - offset, stride)
            yield row, col, end - start


class Template:
    """Symbols for ``prefix + suffix`` with a suffix of ``length`` alphanumeric characters.

    ``mode`` is alphanumeric (characters in pairs of 11 bits) or, for a prefix with other
    characters such as a lower-case path, byte (one character, 8 bits, at a time).
    """

    def __init__(self, prefix: str, length: int, error: str, mode: str = "alphanumeric") -> None:
        self.prefix, self.length, self.error, self.mode = prefix, length, error, mode
        base = prefix + "0" * length  # "0" is 0 in alphanumeric mode
        first = self._segno(base, 0)
        if first.mode != mode:
            raise ValueError(f"not {mode}")
        self.version = int(first.version)
        self.layout = layout(len(first.matrix))
        self.bases = [self.layout.from_matrix(first.matrix)]
        self.bases += [self.layout.from_matrix(self._segno(base, m).matrix) for m in range(1, 8)]
        self.groups: list[tuple[int, int, list[int]]] = []  # (start in suffix, chars, deltas)
        total = len(base)
        position = len(prefix)
        while position < total:
            pair = mode == "alphanumeric" and position % 2 == 0 and position + 1 < total
            if pair:  # both characters of a pair vary
                unit = [self._delta(base, position, 1 << k) for k in range(11)]
                table = [0] * (45 * 45)
                for value in range(1, 45 * 45):
                    low = value & -value
                    table[value] = table[value ^ low] ^ unit[low.bit_length() - 1]
                self.groups.append((position - len(prefix), 2, table))
                position += 2
            else:  # paired with a prefix character, the last one alone, or a byte
                table = [0] + [self._char_delta(base, position, c) for c in ALNUM[1:]]
                self.groups.append((position - len(prefix), 1, table))
                position += 1
        varying = 0
        for other in self.bases[1:]:
            varying |= other ^ self.bases[0]
        for _start, _chars, table in self.groups:
            for delta in table:
                varying |= delta
        self.fixed = self.bases[0] & ~varying & self.layout.full
        self.fixed_key = f"qr{self.version}{error}{hash(self.fixed) & 0xFFFFFFFF:08x}"
        sample = "".join(secrets.choice(ALNUM) for _ in range(length))
        symbol = self.encode(sample)
        check = self._segno(prefix + sample, symbol.mask)
        if self.layout.from_matrix(check.matrix) != symbol.bits:
            raise ValueError("template does not reproduce segno")

    def _segno(self, content: str, mask: int) -> segno.QRCode:
        return segno.make_qr(
            content, error=self.error, mode=self.mode, mask=mask, boost_error=False
        )

    def _delta(self, base: str, position: int, value: int) -> int:
        chars = list(base)
        chars[position], chars[position + 1] = ALNUM[value // 45], ALNUM[value % 45]
        return self._difference("".join(chars))

    def _char_delta(self, base: str, position: int, char: str) -> int:
        chars = list(base)
        chars[position] = char
        return self._difference("".join(chars))

    def _difference(self, content: str) -> int:
        qr = self._segno(content, 0)
        if int(qr.version) != self.version:
            raise ValueError("version changed")
        return self.layout.from_matrix(qr.matrix) ^ self.bases[0]

    def encode(self, suffix: str) -> Symbol:
        index = _INDEX
        delta = 0
        for start, chars, table in self.groups:
            if chars == 2:
                delta ^= table[45 * index[suffix[start]] + index[suffix[start + 1]]]
            else:
                delta ^= table[index[suffix[start]]]
        penalty = self.layout.penalty
        best_mask, best_bits, best_score = 0, 0, -1
        for mask, base in enumerate(self.bases):
            bits = base ^ delta
            score = penalty(bits)
            if best_score < 0 or score < best_score:
                best_mask, best_bits, best_score = mask, bits, score
        return Symbol(
            bits=best_bits,
            layout=self.layout,
            version=self.version,
            error=self.error,
            mask=best_mask,
            mode=self.mode,
            fixed=self.fixed,
            fixed_key=self.fixed_key,
        )


@functools.lru_cache(maxsize=32)
def template(prefix: str, length: int, error: str) -> Template | None:
    """The template for these URLs, or None when they do not fit (segno is used instead)."""
    if error not in ERROR_LEVELS or length < 1:
        return None
    mode = "alphanumeric" if _CHARS.issuperset(prefix) else "byte"
    try:
        return Template(prefix, length, error, mode)
    except (ValueError, segno.DataOverflowError):
        return None


def encode(prefix: str, suffix: str, error: str = "M") -> Symbol:
    """The symbol for ``prefix + suffix`` at exactly this error level (never boosted)."""
    tpl = template(prefix, len(suffix), error)
    if tpl is not None and _CHARS.issuperset(suffix):
        return tpl.encode(suffix)
    qr = segno.make_qr(prefix + suffix, error=error, boost_error=False)
    return Symbol(
        bits=layout(len(qr.matrix)).from_matrix(qr.matrix),
        layout=layout(len(qr.matrix)),
        version=int(qr.version),
        error=str(qr.error),
        mask=int(qr.mask),
        mode=str(qr.mode),
    )
