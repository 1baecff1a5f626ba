"""Invented names and small random picks.

Names of paslon and field staff are built from invented syllables, so they are never real people.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

_SYLLABLE_TEXT = (
    "dar ma sa ka lin tang pu ri wi ran ta se kar wu lan su me nang ba yu ra jen go te la ndi par "
    "hen ci wo ge lus mir na to sem bi da pra ji ko rum sen dra wang gar pe tir ru lo"
)
SYLLABLES: tuple[str, ...] = tuple(_SYLLABLE_TEXT.split())


def name(rng: np.random.Generator, n_min: int = 2, n_max: int = 3) -> str:
    """One capitalised word of ``n_min``–``n_max`` syllables."""
    k = int(rng.integers(n_min, n_max + 1))
    return "".join(rng.choice(SYLLABLES, size=k)).capitalize()


def full_name(rng: np.random.Generator) -> str:
    """A given name and a family name."""
    return f"{name(rng, 2, 3)} {name(rng, 3, 4)}"


def pick(rng: np.random.Generator, seq: Sequence[Any]) -> Any:
    """One element of ``seq``, uniformly."""
    return seq[int(rng.integers(len(seq)))]
