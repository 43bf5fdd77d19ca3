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

from pbextract.text import BRACKETS, PAUSES

BLANK = 0  # the CTC blank class
# marks a poor scan prints alike: colons and semicolons, and each side's brackets of every kind
ALIKE = (PAUSES, "".join(BRACKETS), "".join(BRACKETS.values()))
DROP_DOUBT = 0.3  # a character this probable where the blank wins may have been read as nothing


class Decoded(NamedTuple):
    text: str
    sure: list[float]  # each character's probability
    steps: list[int]  # the time step (a slice of the input's width) where each character was read
    dropped: list[tuple[int, float]]  # (step, blank's probability) where a character nearly was read
    alike: list[float]  # each character's probability with that of the marks printed ALIKE


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
        self._spoken = np.array([i != BLANK and ch.strip() != "" for i, ch in enumerate(characters)])  # not a space
        for members in twins:
            self._canonical[members] = members[0]
        self._alike = [
            np.array([i for i, ch in enumerate(characters) if ch in marks], dtype=np.int64) for marks in ALIKE
        ]

    def decode(self, probs: np.ndarray) -> Decoded:
        """The text of one line, the folded probability of each of its characters, the time step
        where each was read, and the steps where a character other than its neighbours' lost
        narrowly to the blank (``3月底`` read ``3底``: 月 at 0.39 against the blank's 0.49)."""
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
        steps = np.flatnonzero(emit)
        alike = sure.copy()
        for group in self._alike:
            inside = np.isin(best, group)
            alike[inside] = probs[inside][:, group].sum(axis=1)
        return Decoded(
            "".join(chars),
            _run_max(sure, key, emit),
            [int(t) for t in steps],
            self._dropped(probs, key),
            _run_max(alike, key, emit),
        )

    def _dropped(self, probs: np.ndarray, key: np.ndarray) -> list[tuple[int, float]]:
        """Blank steps whose likeliest character (not a space: a space lost is no loss) is DROP_DOUBT or
        more probable and is not the character read just before or after (a glyph's tail)."""
        # a character can reach DROP_DOUBT only where the blank leaves it room (most blank steps do not)
        steps = np.flatnonzero((key == BLANK) & (probs[:, BLANK] <= 1.0 - DROP_DOUBT + 1e-3))
        spoken = np.where(self._spoken, probs[steps], 0.0)
        rival = spoken.argmax(axis=1)
        out = []
        for t, r, p in zip(steps.tolist(), rival.tolist(), spoken[np.arange(len(steps)), rival].tolist(), strict=True):
            near = {int(key[u]) for u in (t - 1, t + 1) if 0 <= u < len(key)}
            if p >= DROP_DOUBT and int(self._canonical[r]) not in near:
                out.append((t, float(probs[t, BLANK])))
        return out


def _run_max(values: np.ndarray, key: np.ndarray, emit: np.ndarray) -> list[float]:
    """Each character's surest step of the run of steps it was read over: a glyph spans a few steps,
    and the first often shares its probability with the blank as the glyph begins (``典`` at 0.72,
    then 1.0 at the next step)."""
    run = np.cumsum(emit) - 1
    spoken = key != BLANK
    out = np.zeros(int(emit.sum()))
    np.maximum.at(out, run[spoken], values[spoken])
    return [float(v) for v in out]
