"""A/B tests: which variant of a campaign did better, and whether that is more than chance.

Two variants' rates (read, reply, click or conversion per message sent) are compared with the
two-proportion z-test (pooled, two-sided). With three or more variants the best is compared
with the runner-up. When the difference is not significant yet, the sample each variant needs
to show the observed difference with 80 % power at the 5 % level is estimated.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

ALPHA = 0.05
Z_ALPHA = 1.959963984540054  # two-sided 5 %
Z_POWER = 0.8416212335729143  # 80 % power


@dataclass(frozen=True)
class Arm:
    """One variant's successes out of its messages sent."""

    label: str
    successes: int
    trials: int

    @property
    def rate(self) -> float:
        return self.successes / self.trials if self.trials else 0.0


@dataclass(frozen=True)
class Verdict:
    """The comparison of the best variant with the runner-up."""

    leader: str | None
    runner_up: str | None
    p_value: float | None
    significant: bool
    more_needed: int | None  # per variant, when not significant yet

    def text(self) -> str:
        if self.leader is None or self.p_value is None:
            return "not enough data yet"
        if self.significant:
            return f"variant {self.leader} wins (p = {self.p_value:.2g})"
        if self.more_needed:
            return (
                f"not significant yet (p = {self.p_value:.2g}): about {self.more_needed} more "
                "recipients per variant needed"
            )
        return f"no difference between {self.leader} and {self.runner_up} (p = {self.p_value:.2g})"


def z_test(a: Arm, b: Arm) -> tuple[float, float]:
    """The pooled two-proportion z statistic and its two-sided p-value."""
    if not a.trials or not b.trials:
        return 0.0, 1.0
    pooled = (a.successes + b.successes) / (a.trials + b.trials)
    se = math.sqrt(pooled * (1 - pooled) * (1 / a.trials + 1 / b.trials))
    if se == 0:
        return 0.0, 1.0
    z = (a.rate - b.rate) / se
    return z, math.erfc(abs(z) / math.sqrt(2))


def needed_per_arm(p1: float, p2: float) -> int | None:
    """Recipients each variant needs to show ``p1`` vs ``p2`` (80 % power, 5 % level)."""
    if p1 == p2:
        return None
    variance = p1 * (1 - p1) + p2 * (1 - p2)
    return math.ceil((Z_ALPHA + Z_POWER) ** 2 * variance / (p1 - p2) ** 2)


def compare(arms: list[Arm]) -> Verdict:
    """The leader against the runner-up."""
    ranked = sorted((a for a in arms if a.trials), key=lambda a: a.rate, reverse=True)
    if len(ranked) < 2:
        return Verdict(None, None, None, False, None)
    leader, runner_up = ranked[0], ranked[1]
    _, p = z_test(leader, runner_up)
    significant = p < ALPHA
    more = None
    if not significant:
        need = needed_per_arm(leader.rate, runner_up.rate)
        if need is not None:
            more = max(0, need - min(leader.trials, runner_up.trials))
    return Verdict(leader.label, runner_up.label, p, significant, more)
