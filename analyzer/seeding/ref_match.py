"""Parent rows for a foreign key whose children must show given top frequencies of parent columns.

A child that copies a tenant key down a foreign key (`task_activity.org_id` is its task's)
gets that column's distribution from two draws compounded: the parents' own distribution
of the key and the children's skew over the parents. Fitting each alone leaves the product
off (a top tenant with 0.37 of the activity instead of 0.31). `match_top: {org_id: [...]}`
on the foreign key fixes the product instead: the parents are grouped by the column's value,
the most popular groups (by the foreign key's own distribution) are given the listed
shares of the children, the other groups share the rest in proportion to their weight,
and inside a group the foreign key's distribution decides as before. Several columns (the
tenant key and the referenced key itself, whose shares are the foreign key's own top
frequencies) are met together by iterative proportional fitting. Pure numpy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

ROUNDS = 12  # proportional-fitting rounds: the shares of two columns agree to ~1e-4 after a few


@dataclass(frozen=True)
class Shares:
    """One column's target: `groups[row]` is the value's group (-1 for NULL), `targets` the shares
    of the drawn rows that the most popular groups must take, most common first."""

    groups: np.ndarray
    targets: Sequence[float]


def fitted_weights(natural: np.ndarray, constraints: Sequence[Shares], rounds: int = ROUNDS) -> np.ndarray:
    """Row weights (summing to 1) as close to `natural` as the constraints allow: each constraint's
    top groups take its shares. The groups are ranked once, by their natural weight."""
    total = float(natural.sum())
    if len(natural) == 0 or total <= 0:
        raise ValueError("no parent row to choose from")
    weights = natural / total
    ranked = [(c, _rank_groups(c.groups, weights)) for c in constraints]
    for _ in range(rounds if len(constraints) > 1 else 1):
        for c, order in ranked:
            weights = weights * _factors(c, order, weights)
            weights /= weights.sum()
    return weights


def draw_rows(rng: np.random.Generator, weights: np.ndarray, n: int) -> np.ndarray:
    """`n` row indices drawn with the probabilities `weights`."""
    cdf = np.cumsum(weights)
    picked = np.searchsorted(cdf, rng.random(n) * cdf[-1], side="right")
    return np.asarray(np.minimum(picked, len(weights) - 1), dtype=np.int64)


def _masses(groups: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, float]:
    valued = groups >= 0
    count = int(groups.max()) + 1 if valued.any() else 0
    return np.bincount(groups[valued], weights=weights[valued], minlength=count), float(weights[~valued].sum())


def _rank_groups(groups: np.ndarray, weights: np.ndarray) -> np.ndarray:
    mass, _ = _masses(groups, weights)
    return np.argsort(-mass, kind="stable")


def _factors(c: Shares, order: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Per row, the factor that gives the constraint's top groups their shares now."""
    mass, null_mass = _masses(c.groups, weights)
    factors = group_factors(mass, null_mass, c.targets, order)
    return np.where(c.groups >= 0, factors[np.maximum(c.groups, 0)], 1.0)


def group_factors(mass: np.ndarray, null_mass: float, targets: Sequence[float], order: np.ndarray) -> np.ndarray:
    """The factor that turns each group's share (`mass`, summing with `null_mass` to 1) into its
    target: the groups `order[:k]` get the k `targets` (most common first), the others share what
    is left in proportion to their mass. The NULL group keeps its share."""
    wanted = np.sort(np.asarray(targets, dtype=np.float64))[::-1][: len(mass)]
    available = max(0.0, 1.0 - null_mass)
    if wanted.sum() > available > 0:
        wanted = wanted * (available / wanted.sum())
    top, rest = order[: len(wanted)], order[len(wanted):]
    factors = np.ones(len(mass), dtype=np.float64)
    factors[top] = wanted / np.maximum(mass[top], 1e-300)
    left = available - float(wanted.sum())
    rest_mass = float(mass[rest].sum())
    if len(rest) and rest_mass > 0:
        # nothing left (the list covered every value at capture time, the twin has more): the other
        # groups are scaled like the last listed one rather than never chosen
        factors[rest] = left / rest_mass if left > 1e-9 else (factors[top[-1]] if len(top) else 1.0)
    return factors
