#!/usr/bin/python3
"""Reference values for eval's Wilson and Newcombe intervals.

An independent computation with the Python standard library only: the
normal quantile comes from statistics.NormalDist, and each Wilson bound is
found by bisection on the score test (p_hat - p)^2 = z^2 p (1 - p) / n
rather than from the closed-form roots that the Go code uses. Newcombe's
hybrid score difference (method 10) is then built from those bounds.

Run from the eval directory:  /usr/bin/python3 testdata/intervals.py > testdata/intervals.golden
Columns: w1 n1 w2 n2 z  lo1 hi1  lo2 hi2  diff dlo dhi
"""

from statistics import NormalDist


def score_gap(p, phat, n, z):
    return (phat - p) ** 2 - z * z * p * (1 - p) / n


def boundary(inside, outer, phat):
    # inside(p) holds at phat and fails at outer (0 or 1, unless the
    # bound is outer itself); return where it stops holding.
    a, b = outer, phat  # inside(a) false, inside(b) true
    for _ in range(200):
        m = (a + b) / 2
        if inside(m):
            b = m
        else:
            a = m
    return (a + b) / 2


def wilson(w, n, z):
    phat = w / n
    inside = lambda p: score_gap(p, phat, n, z) <= 0
    # The score test accepts phat and rejects 0 (if w > 0) and 1 (if w < n).
    lo = 0.0 if w == 0 else boundary(inside, 0.0, phat)
    hi = 1.0 if w == n else boundary(inside, 1.0, phat)
    return lo, hi


def newcombe(w1, n1, w2, n2, z):
    p1, p2 = w1 / n1, w2 / n2
    l1, u1 = wilson(w1, n1, z)
    l2, u2 = wilson(w2, n2, z)
    d = p1 - p2
    lo = d - ((p1 - l1) ** 2 + (u2 - p2) ** 2) ** 0.5
    hi = d + ((u1 - p1) ** 2 + (p2 - l2) ** 2) ** 0.5
    return (l1, u1), (l2, u2), (d, lo, hi)


CASES = [
    # w1, n1, w2, n2
    (56, 70, 48, 80),   # Newcombe (1998), example (a)
    (9, 10, 3, 10),     # example (c)
    (5, 56, 0, 29),     # example (d)
    (0, 10, 0, 20),     # example (e)-like: both empty
    (10, 10, 0, 10),    # the extremes
    (1, 1, 0, 1),       # one game each
    (0, 1, 1, 1),
    (81, 263, 90, 263),
    (500, 1000, 480, 1000),
    (999, 1000, 1, 1000),
    (3, 7, 3, 7),
    (0, 1000, 1000, 1000),
]

if __name__ == "__main__":
    z95 = NormalDist().inv_cdf(0.975)
    zs = [z95, NormalDist().inv_cdf(0.95)]  # 95% and 90%
    print("# w1 n1 w2 n2 z lo1 hi1 lo2 hi2 diff dlo dhi  (from testdata/intervals.py)")
    for z in zs:
        for w1, n1, w2, n2 in CASES:
            (l1, u1), (l2, u2), (d, lo, hi) = newcombe(w1, n1, w2, n2, z)
            vals = [z, l1, u1, l2, u2, d, lo, hi]
            print(w1, n1, w2, n2, " ".join("%.15g" % v for v in vals))
