#!/usr/bin/env python3
"""SP 800-90B section 4.4 health-test cutoffs, computed independently of qres's Rust code.

RCT: C = 1 + ceil(a / H) for alpha = 2^-a (exact rational arithmetic).
APT: C = 1 + CRITBINOM(W, 2^-H, 1 - alpha), the smallest k with P[Binomial(W, p) > k] <= alpha,
summed exactly with fractions.Fraction for integer H (p = 2^-H is rational) and with 120-digit decimals
for fractional H (p = 2^-H is irrational there).

    python3 tools/health_cutoffs.py            # the tables for alpha = 2^-20 and 2^-40, W = 512 and 1024

The alpha = 2^-20 rows reproduce SP 800-90B Table 2; the alpha = 2^-40 rows are hard-coded in
tests/rng_health.rs (`cutoff_table_alpha_2_40_matches_an_exact_computation`).
"""
from decimal import Decimal, getcontext
from fractions import Fraction
from math import comb

getcontext().prec = 120


def prob(h):
    if h == int(h):
        return Fraction(1, 2 ** int(h))
    return Decimal(2) ** (-Decimal(str(h)))


def rct(h, a):
    q = Fraction(a) / Fraction(str(h))
    return 1 + (q.numerator + q.denominator - 1) // q.denominator


def apt(h, w, a):
    p = prob(h)
    one = Fraction(1) if isinstance(p, Fraction) else Decimal(1)
    alpha = one / (2 ** a)
    tail = one * 0  # P[X > k], accumulated from k = w downwards
    # Smallest k with P[X > k] <= alpha: walk k down from w while the tail stays within alpha.
    k = w
    while k > 0:
        pmf = comb(w, k) * p ** k * (one - p) ** (w - k)  # P[X = k]
        if tail + pmf > alpha:
            break
        tail += pmf
        k -= 1
    return 1 + k


if __name__ == "__main__":
    for a in (20, 40):
        print(f"alpha = 2^-{a}")
        print("H     RCT  APT(W=512)  APT(W=1024)")
        for h in (8, 7, 6, 5, 4, 3, 2, 1, 0.5):
            print(f"{h:<5} {rct(h, a):<4} {apt(h, 512, a):<11} {apt(h, 1024, a)}")
