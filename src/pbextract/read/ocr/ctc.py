"""Greedy CTC decoding of the recogniser's output, with a confidence that ignores character width.

The recogniser's alphabet holds width twins (``,`` and ``，``, ``;`` and ``；``, ``1`` and ``１``)
that a scan often cannot tell apart, and the contract judges OCR'd text after NFKC folding. So the
probability of a character is the summed probability of every class that folds to it: a comma
split 50/50 between its two widths is a sure comma, not a doubtful one.
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from typing import NamedTuple

import numpy as np

BLANK = 0  # the CTC blank class


class Decoded(NamedTuple):
    text: str
    sure: list[float]  # each character's probability
    steps: list[int]  # the time step (a slice of the input's width) where each character was read


class FoldedDecoder:
    """Decodes class probabilities (time steps × classes) into text and per-character confidence."""

    def __init__(self, characters: list[str]) -> None:
        self.characters = characters
        groups: dict[str, list[int]] = defaultdict(list)
        for i, ch in enumerate(characters):
            if i != BLANK:
                groups[unicodedata.normalize("NFKC", ch)].append(i)
        twins = [members for members in groups.values() if len(members) > 1]
        self._members = np.array([i for members in twins for i in members], dtype=np.int64)
        self._starts = np.cumsum([0] + [len(m) for m in twins[:-1]])
        self._ends = self._starts + [len(m) for m in twins]
        self._canonical = np.arange(len(characters))
        for members in twins:
            self._canonical[members] = members[0]

    def decode(self, probs: np.ndarray) -> Decoded:
        """The text of one line, the folded probability of each of its characters and the time step
        where each was read."""
        best, sure = probs.argmax(axis=1), probs.max(axis=1)
        if self._members.size:
            twin_probs = probs[:, self._members]
            group_sum = np.add.reduceat(twin_probs, self._starts, axis=1)
            group = group_sum.argmax(axis=1)
            group_best = group_sum.max(axis=1)
            # a group wins where its summed probability reaches the best single class
            wins = group_best >= sure
            for t in np.flatnonzero(wins):
                lo, hi = self._starts[group[t]], self._ends[group[t]]
                best[t] = self._members[lo + int(twin_probs[t, lo:hi].argmax())]
            sure = np.where(wins, group_best, sure)
        key = self._canonical[best]
        emit = key != BLANK
        emit[1:] &= key[1:] != key[:-1]
        chars = [self.characters[i] for i in best[emit]]
        return Decoded("".join(chars), [float(s) for s in sure[emit]], [int(t) for t in np.flatnonzero(emit)])
