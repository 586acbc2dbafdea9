#!/usr/bin/env python3
"""ecm_depth.py - the model behind engine_mpz.c's ECM pretest depth.

Usage: python3 tests/data/gen/ecm_depth.py [W_RANDOM ...]

For a D-digit composite cofactor (39 <= D <= 110) that trial division,
rho and P-1 left unsplit, runs ECM curves in the order of engine_mpz.c's
table (B1 = 2e3 x 30, 11e3 x 90, 5e4 x 240, 25e4 x 500, ...) while

    P(the next curve finds a factor | every earlier curve failed) * T_siqs(D)
        > cost of the curve,

and prints the digits ECM has cleared when it stops (engine_mpz.c's
ecm_done_digits), for a prior that is W_RANDOM random composites and
1 - W_RANDOM balanced semiprimes (whose factors ECM never finds at
these sizes).

Model:
  - smallest prime factor of a random composite, k = log10 p on
    [BASE_DIGITS, D/2]: density omega(D/k - 1) / k^2 (Buchstab's function
    omega: 1/u on [1, 2], (1 + ln(u - 1))/u on [2, 3], e^-gamma above);
  - one curve at table level j finds a k-digit prime with probability
    1 / (curves_j * 9^((k - digits_j) / 5)): the table's counts are the
    expected curves for its digits, and GMP-ECM's -v output grows by
    about 8-10x per 5 digits at a fixed B1;
  - a curve costs CURVE_S[B1] (CPU, GMP-ECM 7.0.5, param 1, default B2,
    measured at 160-230 bits: engine_NOTES.md) times (D/60)^1.6;
  - SIQS's CPU seconds T_siqs(D) interpolated log-linearly between the
    measured points SIQS_S (S160, S200, S230, the 82-digit cofactor of
    issue 20, extrapolated above).
"""
import math
import sys

BASE_DIGITS = 8.0
TABLE = [(15, 2e3, 30), (20, 11e3, 90), (25, 5e4, 240), (30, 25e4, 500),
         (35, 1e6, 900), (40, 3e6, 2400)]
CURVE_S = {2e3: 0.0045, 11e3: 0.021, 5e4: 0.080, 25e4: 0.370, 1e6: 1.5,
           3e6: 4.5}
SIQS_S = [(39, 0.03), (48, 0.17), (60, 1.1), (69, 11.1), (82, 200.0),
          (100, 4000.0), (110, 20000.0)]
EULER_GAMMA = 0.5772156649


def omega(u):
    if u < 2:
        return 1.0 / u
    if u < 3:
        return (1.0 + math.log(u - 1.0)) / u
    return math.exp(-EULER_GAMMA)


def t_siqs(d):
    for (d0, t0), (d1, t1) in zip(SIQS_S, SIQS_S[1:]):
        if d <= d1:
            x = (d - d0) / (d1 - d0)
            return math.exp(math.log(t0) + x * (math.log(t1) - math.log(t0)))
    return SIQS_S[-1][1]


def depth(d, w_random, step=0.05):
    ks = [BASE_DIGITS + step * (i + 0.5)
          for i in range(int((d / 2 - BASE_DIGITS) / step))]
    dens = [omega(d / k - 1.0) / (k * k) for k in ks]
    tot = sum(dens)
    dens = [x / tot for x in dens]
    surv = [1.0] * len(ks)
    lo = BASE_DIGITS
    for digits, b1, curves in TABLE:
        cost = CURVE_S[b1] * (d / 60.0) ** 1.6
        p = [1.0 / (curves * 9.0 ** ((k - digits) / 5.0)) for k in ks]
        p = [min(x, 1.0) for x in p]
        for c in range(curves):
            alive = sum(f * s for f, s in zip(dens, surv))
            hit = sum(f * s * q for f, s, q in zip(dens, surv, p))
            post = w_random * hit / (1.0 - w_random + w_random * alive)
            if post * t_siqs(d) <= cost:
                return lo + (digits - lo) * c / curves
            surv = [s * (1.0 - q) for s, q in zip(surv, p)]
        lo = digits
    return lo


def main():
    ws = [float(x) for x in sys.argv[1:]] or [1.0, 0.5]
    print("digits " + " ".join("w=%.2f" % w for w in ws))
    for d in range(39, 111, 3):
        print("%6d " % d + " ".join("%6.1f" % depth(d, w) for w in ws))


if __name__ == "__main__":
    main()
