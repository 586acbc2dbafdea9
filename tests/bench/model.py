#!/usr/bin/env python3
"""model.py - the cost model of factorize's master/worker protocol.

Usage: model.py OUTDIR [ENGINE_RATE]   (run by tests/bench/bench-scale.sh)

Reads the measurements bench-scale.sh left in OUTDIR (dispatch.csv,
efficiency.csv, the --stats JSON of the classic and MIX runs), fits the
model's parameters, writes model.csv (predicted efficiency and speedup
from 2 to 16,384 ranks per workload and chunk size), model-summary.txt
and plots.gp (gnuplot script for speedup.png and efficiency.png).

THE MODEL (one rank per core; rank 0 schedules and does not factor)
  S    master service time per chunk (receive, decode, book-keep, answer):
       1 / the best (over -np 2..4) median dispatch rate with trivial work
       and --chunk 1 (rank 0
       is the bottleneck there, so this is its whole cost per chunk).
  v    master cost per number (verification of the result and output
       formatting on rank 0): rank 0's CPU seconds, less those of a
       1-number run (MPI start-up), / numbers in the efficiency runs with
       >= 3 ranks (an upper bound: it includes the transport's polling
       spins and the per-chunk cost S).
  L    one-way message latency: with -np 2 and a credit of 2 chunks, the
       single worker does 2 chunks per round trip, so 1/rate(np 2) =
       (2 L + S) / 2  =>  L = (2 / rate(np 2) - S) / 2  (floored at 1 us).
  c    worker compute per number: S64: 1 / ENGINE_RATE, the CPU rate of
       build/bench_engine (numbers per CPU second); classic and MIX:
       workers' busy seconds / numbers of their --stats runs.
  k    numbers per chunk; C = k c is the chunk compute time.
Steady state with P ranks (P - 1 workers):
  worker rate  = 1 / max(C + S, (2 L + S) / 2)   chunks/s (prefetch hides
                 the round trip unless a chunk is shorter than it)
  master rate  = 1 / (S + k v)                   chunks/s
  X(P)         = min((P - 1) * worker rate, master rate)
  E(P)         = X(P) * C / P,   speedup(P) = E(P) * P.
A finite job of N numbers adds the tail: T(P) = max(ceil(M / (P - 1))
(C + S), M (S + k v)) + 2 L with M = ceil(N / k) chunks, E = N c / (P T).
One master saturates at P* = 1 + (C + S) / (S + k v): beyond it adding
ranks adds nothing, which is where a two-level scheme (group leaders that
take large chunks from rank 0 and serve small ones) is needed.

THE TWO-LEVEL MODEL (--group-size G, src/mpi/group.c)
  v0   rank 0's cost per number when every result comes from a leader
       (decode and format, no engine_verify): the median, over the
       grouped runs of groups.csv, of rank 0's busy CPU per number
       (rank0_cpu_seconds - rank0_wait_cpu_seconds) / numbers.
  vL   a leader's cost per number (verify, hand out, copy the items):
       taken equal to the flat master's v measured the same way (the
       G = 0 runs of groups.csv), since it does the same work.
  A group of G ranks (the leader factors too, in the time its members
  leave it) delivers  Xg = min(G / (c + u), 1 / u)  numbers/s with
  u = vL + S / k the leader's service time per number; rank 0 serves
  chunks of K = k G numbers at  K / (S + K v0)  numbers/s.  With P ranks
  and g = (P - 1) / G groups:  X = min(g Xg, K / (S + K v0)),
  E = X c / P.  A leader saturates at G* = 1 + c / u ranks; rank 0 then
  at g* = Xmaster / Xg groups, so the scheme scales to about g* G* ranks
  (a third level would be the next step beyond).
"""
import csv
import json
import math
import os
import sys


def rows(path):
    """The rows of a CSV file as dicts ([] when the file is missing)."""
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return list(csv.DictReader(f))


def stats(path):
    """The --stats JSON as a dict ({} when missing or broken)."""
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


def per_number_busy(s):
    """Workers' busy seconds per number of a --stats dict (0 if absent)."""
    ranks = [r for r in s.get("ranks", []) if r.get("rank", 0) >= 1]
    busy = sum(r.get("busy_seconds", 0.0) for r in ranks)
    n = s.get("numbers", 0)
    return busy / n if n and busy > 0 else 0.0


def efficiency(p, c, k, S, v, L, n=None):
    """Predicted efficiency with p ranks (see the module docstring)."""
    C = k * c
    if p < 2:
        return 1.0
    if n is None:
        worker = 1.0 / max(C + S, (2 * L + S) / 2)
        master = 1.0 / (S + k * v)
        x = min((p - 1) * worker, master)
        return x * C / p
    m = math.ceil(n / k)
    t = max(math.ceil(m / (p - 1)) * (C + S), m * (S + k * v)) + 2 * L
    return n * c / (p * t)


def efficiency_groups(p, c, k, S, v0, vL, G):
    """Predicted efficiency of the two-level scheme (module docstring)."""
    if p < 2:
        return 1.0
    g = max(1.0, (p - 1) / G)
    u = vL + S / k
    xg = min(min(G, p - 1) / (c + u), 1.0 / u)
    K = k * G
    master = K / (S + K * v0)
    return min(g * xg, master) * c / p


def group_costs(out):
    """(v flat, v0 grouped) in seconds per number from groups.csv."""
    per = {}
    for r in rows(os.path.join(out, "groups.csv")):
        try:
            per.setdefault(int(r["group_size"]), []).append(
                float(r["rank0_busy_us_per_number"]) * 1e-6)
        except (KeyError, ValueError):
            continue
    med = {g: sorted(x)[(len(x) - 1) // 2] for g, x in per.items() if x}
    flat = med.pop(0, 0.0)
    grouped = min(med.values()) if med else 0.0
    return flat, grouped


def main():
    out = sys.argv[1]
    eng_rate = float(sys.argv[2]) if len(sys.argv) > 2 else 0.0
    disp = [r for r in rows(os.path.join(out, "dispatch.csv"))
            if r["impl"] == "factorize"]
    eff = rows(os.path.join(out, "efficiency.csv"))
    def median(xs):
        xs = sorted(xs)
        return xs[(len(xs) - 1) // 2] if xs else 0.0
    per_np = {}
    for r in disp:
        per_np.setdefault(r["np"], []).append(float(r["tasks_per_s"]))
    best = max((median(v) for v in per_np.values()), default=0.0)
    S = 1.0 / best if best > 0 else 5e-6
    np2 = median(per_np.get("2", []))
    L = max(1e-6, (2.0 / np2 - S) / 2) if np2 > 0 else 5e-6
    vs = [float(r["rank0_cpu_s"]) / float(r["numbers"]) for r in eff
          if 3 <= int(r["np"]) < 32 and float(r["numbers"]) > 0
          and r["rank0_cpu_s"] not in ("", None)]
    v = sorted(vs)[len(vs) // 2] if vs else 1e-6
    c_s64 = 1.0 / eng_rate if eng_rate > 0 else 2.5e-4
    c_classic = per_number_busy(stats(os.path.join(out, "classic.json"))) or 2e-6
    c_mix = per_number_busy(stats(os.path.join(out, "mix.json"))) or 2e-3
    # rank 0's cost per number is mostly verification, which grows with
    # the size of the factors; the S64 measurement stands for all three
    # (an upper bound for the classic job, a guess for MIX).
    cases = [
        ("S64 k=1", c_s64, 1, None),
        ("S64 k=43", c_s64, 43, None),
        ("S64 k=1000", c_s64, 1000, None),
        ("MIX k=43", c_mix, 43, None),
        ("classic k=43", c_classic, 43, None),
        ("classic k=1000", c_classic, 1000, None),
        ("classic 999-number job k=43", c_classic, 43, 999),
    ]
    ps = [2 ** i for i in range(1, 15)]
    with open(os.path.join(out, "model.csv"), "w") as f:
        f.write("ranks," + ",".join('"%s"' % c[0] for c in cases) + "\n")
        for p in ps:
            f.write("%d,%s\n" % (p, ",".join(
                "%.6f" % efficiency(p, c, k, S, v, L, n)
                for _, c, k, n in cases)))
    lines = ["model parameters: S = %.2f us/chunk, v = %.2f us/number, "
             "L = %.2f us" % (S * 1e6, v * 1e6, L * 1e6),
             "per-number compute c: S64 %.1f us, MIX %.1f us, classic %.2f us"
             % (c_s64 * 1e6, c_mix * 1e6, c_classic * 1e6)]
    for name, c, k, n in cases:
        if n is None:
            pstar = 1 + (k * c + S) / (S + k * v)
            e = {p: efficiency(p, c, k, S, v, L) for p in (16, 256, 1024, 16384)}
            lines.append("%-28s P* = %9.0f   E(16)=%.2f E(256)=%.2f "
                         "E(1024)=%.2f E(16384)=%.3f" % (
                             name, pstar, e[16], e[256], e[1024], e[16384]))
        else:
            e = {p: efficiency(p, c, k, S, v, L, n) for p in (2, 4, 16, 64)}
            lines.append("%-28s E(2)=%.2f E(4)=%.2f E(16)=%.2f E(64)=%.3f"
                         % (name, e[2], e[4], e[16], e[64]))
    # the two-level scheme: measured v (flat) and v0 (grouped) when
    # groups.csv exists, else the flat v and a third of it
    vflat, v0 = group_costs(out)
    vL = vflat or v
    v0 = v0 or vL / 3
    lines.append("two-level (--group-size): v0 = %.2f us/number on rank 0 "
                 "(grouped), leader vL = %.2f us/number" % (v0 * 1e6,
                                                           vL * 1e6))
    gcases = [("S64", c_s64, 43), ("MIX", c_mix, 43),
              ("classic", c_classic, 43)]
    with open(os.path.join(out, "model-groups.csv"), "w") as f:
        f.write("ranks," + ",".join('"%s k=%d G=%d"' % (n, k, G)
                                    for n, _, k in gcases
                                    for G in (1, 16, 64)) + "\n")
        for p in ps:
            f.write("%d,%s\n" % (p, ",".join(
                "%.6f" % (efficiency(p, c, k, S, v, L) if G == 1 else
                          efficiency_groups(p, c, k, S, v0, vL, G))
                for _, c, k in gcases for G in (1, 16, 64))))
    # Rank 0 still handles every number once (decode, format): the
    # groups raise P* by about v / v0, not by G.  A leader saturates at
    # G* = 1 + c / u ranks; larger groups are leader-bound.
    for name, c, k in gcases:
        u = vL + S / k
        gstar = max(2, int(1 + c / u))
        # flat P* with the flat cost measured in the same runs (vL)
        pflat = 1 + (k * c + S) / (S + k * vL)
        for G in sorted({16, gstar}):
            K = k * G
            bound = G > gstar
            pg = 1 + (c + u) * K / (S + K * v0) if not bound else float("nan")
            e = {p: efficiency_groups(p, c, k, S, v0, vL, G)
                 for p in (256, 1024, 16384)}
            lines.append("%-8s k=%d G=%-4d P*: flat %6.0f, groups %s  "
                         "E(256)=%.2f E(1024)=%.2f E(16384)=%.3f%s" % (
                             name, k, G, pflat,
                             "leader-bound" if bound else "%6.0f" % pg,
                             e[256], e[1024], e[16384],
                             "  (G = G*)" if G == gstar else ""))
    # the next step (not built): leaders send formatted text, rank 0 copies
    v0_text = 0.1e-6
    for name, c, k in gcases[:1]:
        e = {p: efficiency_groups(p, c, k, S, v0_text, vL, 16)
             for p in (256, 1024, 16384)}
        lines.append("%-8s k=%d G=16   with leaders sending formatted text "
                     "(v0 = 0.1 us, not built): E(256)=%.2f E(1024)=%.2f "
                     "E(16384)=%.3f" % (name, k, e[256], e[1024], e[16384]))
    with open(os.path.join(out, "model-summary.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    # measured points: efficiency relative to the machine's 2 cores,
    # speedup relative to one core (CSV like model.csv)
    with open(os.path.join(out, "measured.csv"), "w") as f:
        f.write("ranks,efficiency,speedup\n")
        for r in eff:
            e_ = float(r["efficiency"])
            f.write("%s,%.4f,%.4f\n" % (r["np"], e_, 2 * e_))
    curves_e = ", ".join(
        "'%s/model.csv' using 1:%d with lines lw 2 title '%s'"
        % (out, i + 2, cases[i][0]) for i in range(len(cases)))
    curves_s = ", ".join(
        "'%s/model.csv' using 1:($%d*$1) with lines lw 2 title '%s'"
        % (out, i + 2, cases[i][0]) for i in range(len(cases)))
    # the two-level scheme, G = 16 (model-groups.csv columns 3 and 6)
    curves_e += ", " + ", ".join(
        "'%s/model-groups.csv' using 1:%d with lines lw 2 dashtype 2 "
        "title '%s k=43, --group-size 16'" % (out, col, name)
        for col, name in ((3, "S64"), (6, "MIX")))
    meas = ("'%s/measured.csv' using 1:%%d with points pt 7 ps 1.5 lc 'black' "
            "title 'measured here (2 cores)'" % out)
    gp = """set terminal pngcairo size 1100,650 noenhanced
set datafile separator ','
set key outside right top
set grid
set logscale x 2
set xrange [1:16384]
set xlabel 'MPI ranks (model: one rank per core; measured: 2 cores)'
set output '{o}/efficiency.png'
set title 'factorize: parallel efficiency, model (lines) and measured (points)'
set ylabel 'efficiency'
set yrange [0:1.05]
plot {ce}, {me}
set output '{o}/speedup.png'
set title 'factorize: speedup, model (lines) and measured (points)'
set ylabel 'speedup'
set logscale y 2
set yrange [0.5:32768]
plot {cs}, x title 'ideal' with lines dashtype 2 lc 'black', {ms}
""".format(o=out, ce=curves_e, cs=curves_s, me=meas % 2, ms=meas % 3)
    with open(os.path.join(out, "plots.gp"), "w") as f:
        f.write(gp)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
