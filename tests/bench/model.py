#!/usr/bin/env python3
"""model.py - the cost model of factorize's master/worker protocol.

Usage: model.py OUTDIR [ENGINE_RATE]   (run by tests/bench/bench-scale.sh)
       model.py cluster OUTDIR        (run by tests/bench/bench-cluster.sh)
       model.py saturation OUTDIR [--chunk-us A] [--byte-us B] ...
                                      (bench-saturation.sh; --help lists all)

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

THE LINK-LATENCY MODEL (model.py cluster; bench-cluster.sh's sweep)
  L    one-way link latency (the emulated --test-latency-us).
  W    chunks a worker holds (credit = 1 + --prefetch; a worker whose
       chunks take under 0.2 ms raises it itself up to 32).
  R0   the time from asking for work to having it at L = 0 (rank 0's
       service, the wake-ups, waiting for a core): measured per layout
       as the workers' wait per chunk of the L = 0 run with W = 1.
  C    a chunk's CPU time: k x the CPU per number of one process (the
       same sweep's one.json).
  S    rank 0's busy CPU per chunk (--stats).
  d    a rank waiting longer than 0.2 ms sleeps in slices of up to 0.5 ms
       (transport.c's back-off): it sees a due message about d = 0.25 ms
       late, twice per round trip.
  A worker's wait per chunk for work (W = 1) is
       wait(L) = max(R0, 2L + S + 2d)   (2d only once 2L > 0.2 ms):
       the latency replaces the L = 0 delays rather than adding to them,
       since a worker that waits for the link no longer competes for a
       core.  The rate is X(L) = min(X0, (P - 1) k / (C + wait(L))), X0
       the rate measured at L = 0 (on this machine the 2 shared cores cap
       it beyond a few ranks).  With W chunks in hand a worker delivers
       W k / max(W C, C + wait) numbers/s: a chunk of C hides a link
       latency up to about ((W - 1) C - S) / 2 - d.
  Groups (--group-size node, W = 1 upstream): a group of G ranks takes G
       chunks' worth from rank 0 and waits one upstream round trip per
       such chunk, which is the flat formula again; members hide their
       own hop with the adaptive credit.
  Dispatch-bound work (W = 32 for tiny chunks) hides any L up to
       16 C; a finite job of N numbers then loses only its start
       (CONFIG, REQUEST, four doublings of the credit: NRT = 6 round
       trips) and its last round trip: T(L) = N / X0 + 7 * 2L.
  Groups: the same per hop, member to leader, with R0 of the group run.
  A bandwidth limit B on the link into rank 0's node caps what the
       other nodes deliver at B / b, b the bytes per number that cross it
       (the RESULTs of the ranks on other nodes, from --stats); the pull
       protocol gives the rest to the workers on rank 0's node, up to a
       core's share each: X = min(X0, X0 (R - 1) / min(P - 1, 2) + B / b)
       with R ranks per node.

THE SATURATION MODEL (model.py saturation; one master, P ranks)
  a    rank 0's busy CPU per chunk, b its CPU per output byte it copies,
       i its CPU per input byte it reads and forwards (--input), all
       fitted by least squares to --stats of -np 2 runs; r the worker's
       rate (numbers per CPU second) with the range engine (--count) or
       the per-number engine (--input); beta the output bytes per
       number; F the file system's bandwidth.  Every one is an explicit
       option, so the model is refitted by rerunning `make
       bench-saturation` (tests/bench/bench-saturation.sh) or evaluated for other
       figures without measuring.
  rank 0 serves  X0 = k / (a + k (beta b + i_n))  numbers/s with chunks
       of k numbers (i_n = i x input bytes per number, 0 for --count);
       text to stdout copies the bytes through rank 0; with --output the
       workers write (MPI-IO) and b is what rank 0 still spends per
       output byte (the sampled lines it parses back).  --output is
       capped by F / beta.
  X(P) = min((P - 1) r, X0, F / beta),  speedup = X / r,
  P*  = 1 + min(X0, F / beta) / r: the rank count at which one master
       (or the file system) saturates.

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


# ---- the link-latency model (model.py cluster) ----

DISPATCH_ROUND_TRIPS = 7  # CONFIG, REQUEST, 4 credit doublings, the last
# src/mpi/transport.c's back-off: a rank waiting longer than YIELD_S
# sleeps in slices of up to 0.5 ms, so it sees a message that is due
# (held by the latency emulation) on average a quarter of a millisecond
# late; a round trip has two such wake-ups
YIELD_S = 200e-6
CORES = 2  # this machine's, which every node of the cluster in a box shares
WAKE_DELAY = 0.25e-3


def num(x):
    """float(x), or NaN for '', 'nan' and the like."""
    try:
        return float(x)
    except (TypeError, ValueError):
        return float("nan")


def bits_per_s(bw):
    """'10mbit' -> 1e7 (tc's units: kbit, mbit, gbit)."""
    for suffix, mult in (("gbit", 1e9), ("mbit", 1e6), ("kbit", 1e3)):
        if bw.endswith(suffix):
            return float(bw[:-len(suffix)]) * mult
    return float(bw)


def bytes_into_node1(path):
    """Bytes per number that enter rank 0's node, from a --stats file:
    what the ranks on other hosts send to rank 0 (their parent)."""
    s = stats(path)
    ranks = s.get("ranks", [])
    if not ranks or not s.get("numbers"):
        return float("nan")
    h0 = ranks[0].get("host")
    b = sum(r.get("bytes_sent", 0) for r in ranks
            if r.get("rank", 0) >= 1 and r.get("host") != h0
            and r.get("parent", 0) == 0)
    return b / s["numbers"]


def cpu_per_number(out):
    """S64's CPU seconds per number in one process (one.json; 0 if none):
    the machine's other tenants stretch its wall time, not its CPU."""
    s = stats(os.path.join(out, "one.json"))
    return (s["rank0_cpu_seconds"] / s["numbers"]
            if s.get("numbers") and s.get("rank0_cpu_seconds") else 0.0)


def predict_cluster(rows_, out):
    """Predictions for every row of cluster.csv: (pred rate, pred wait ms),
    keyed by the row's index."""
    base = {}
    for r in rows_:
        if r["latency_us"] == "0" and r["bw"] == "none":
            base[(r["kind"], r["nodes"], r["rpn"])] = r
    pred = {}
    for i, r in enumerate(rows_):
        kind, lat = r["kind"], num(r["latency_us"]) * 1e-6
        # the L = 0 run of the same work and layout (none for dispatch
        # with groups: that is measured under tbf only)
        bkind = kind.replace("tbf-", "")
        if kind.startswith("tbf-") and r["group"] == "node":
            bkind += "-node"
        b0 = base.get((bkind, r["nodes"], r["rpn"]))
        if b0 is None:
            continue
        x0 = num(b0["numbers_per_s"])
        w0 = num(b0["worker_wait_ms_per_chunk"]) * 1e-3
        n = num(r["numbers"])
        workers = int(r["np"]) - 1
        if kind.startswith("tbf-"):
            src = os.path.join(out, "run-%s-%s-%s-0-%s-0.json" % (
                kind[4:], r["nodes"], r["rpn"],
                "node" if r["group"] == "node" else "flat"))
            b = bytes_into_node1(src)
            cap = bits_per_s(r["bw"]) / 8 / b if b > 0 else float("inf")
            # the pull protocol moves work to the ranks that answer
            # sooner: rank 0's own node (rpn - 1 workers) goes on at up to
            # a core's share each while the others wait on the link
            local = min(1.0, (int(r["rpn"]) - 1) / min(workers, CORES))
            pred[i] = (min(x0, local * x0 + cap), w0 * 1e3, b)
        elif kind == "dispatch":
            t = n / x0 + DISPATCH_ROUND_TRIPS * 2 * lat
            pred[i] = (n / t, w0 * 1e3, None)
        else:  # s64, s64-node: W = 1 (--prefetch 0)
            k = num(os.environ.get("S64_CHUNK", "20"))
            # C: a chunk's CPU time (one process, the same sweep); the
            # machine's other tenants are in X0 and R0
            C = k * cpu_per_number(out)
            S = num(b0["rank0_busy_us_per_chunk"]) * 1e-6
            wait = max(w0, 2 * lat + S +
                       (2 * WAKE_DELAY if lat >= YIELD_S / 2 else 0.0))
            x = min(x0, workers * k / (C + wait))
            # with groups the members' waits are hidden by their own
            # adaptive credit; what the latency costs is the leader's
            # upstream round trip, not a member's wait: not predicted
            pred[i] = (x, wait * 1e3 if kind == "s64" else float("nan"),
                       None)
    return pred


def run_spread(out, r):
    """(max - min) / median of the rates of a row's repeats (its --stats
    files; NaN for the tbf rows, whose files the next limit overwrote)."""
    if r["bw"] != "none":
        return float("nan")
    import glob
    xs = sorted(stats(p).get("numbers_per_second", 0.0) for p in glob.glob(
        os.path.join(out, "run-%s-%s-%s-%s-%s-*.json" % (
            r["kind"].replace("-node", ""), r["nodes"], r["rpn"],
            r["latency_us"],
            "node" if r["group"] == "node" else "flat"))))
    if len(xs) < 2 or xs[(len(xs) - 1) // 2] <= 0:
        return float("nan")
    return (xs[-1] - xs[0]) / xs[(len(xs) - 1) // 2]


def cluster_main(out):
    path = os.path.join(out, "cluster.csv")
    rs = rows(path)
    if not rs:
        print("model.py cluster: no %s" % path)
        return 1
    pred = predict_cluster(rs, out)
    lines = []
    with open(os.path.join(out, "model.csv"), "w") as f:
        f.write("kind,nodes,rpn,np,latency_us,bw,group,measured_rate,"
                "predicted_rate,rate_diff,measured_wait_ms,"
                "predicted_wait_ms,rank0_busy_us_per_number,"
                "efficiency,predicted_efficiency,repeat_spread\n")
        for i, r in enumerate(rs):
            if i not in pred:
                continue
            x, w, _ = pred[i]
            spread = run_spread(out, r)
            m = num(r["numbers_per_s"])
            # efficiency: S64 CPU delivered per second over what the free
            # cores (2 here, fewer if fewer workers) could deliver
            c = cpu_per_number(out) if "s64" in r["kind"] else 0.0
            cores = min(int(r["np"]) - 1, 2)
            eff = m * c / cores if c > 0 else float("nan")
            peff = x * c / cores if c > 0 else float("nan")
            f.write("%s,%s,%s,%s,%s,%s,%s,%.0f,%.0f,%+.3f,%.3f,%.3f,%s,"
                    "%.3f,%.3f,%.3f\n" % (
                        r["kind"], r["nodes"], r["rpn"], r["np"],
                        r["latency_us"], r["bw"], r["group"], m, x,
                        (m - x) / x if x > 0 else float("nan"),
                        num(r["worker_wait_ms_per_chunk"]), w,
                        r["rank0_busy_us_per_number"], eff, peff, spread))
    # the README table: per kind and latency, the median over the layouts
    # of measured and predicted, and how many layouts are off by > 20%
    mrows = rows(os.path.join(out, "model.csv"))
    groups = {}
    for r in mrows:
        kind = r["kind"] + ("-node" if r["kind"].startswith("tbf")
                            and r["group"] == "node" else "")
        groups.setdefault((kind, r["bw"], r["latency_us"]), []).append(r)

    def med(xs):
        xs = sorted(x for x in xs if not math.isnan(x))
        return xs[(len(xs) - 1) // 2] if xs else float("nan")
    lines.append("| work | latency | bandwidth | layouts | rate measured "
                 "(median) | predicted | off > 20% | repeats' spread "
                 "(median) | wait per chunk measured | predicted | rank 0 "
                 "busy us/number | efficiency measured / predicted |")
    lines.append("| --- | --- | --- | --- | --- | --- | --- | --- | --- "
                 "| --- | --- | --- |")
    order = {"s64": 0, "s64-node": 1, "dispatch": 2, "tbf-s64": 3,
             "tbf-s64-node": 4, "tbf-dispatch": 5, "tbf-dispatch-node": 6}
    for key in sorted(groups, key=lambda k: (order.get(k[0], 9), k[1],
                                             num(k[2]))):
        g = groups[key]
        off = sum(1 for r in g if abs(num(r["rate_diff"])) > 0.2)
        lines.append("| %s | %s us | %s | %d | %.0f | %.0f | %d | %.0f%% "
                     "| %.2f ms | %.2f ms | %.3f | %.2f / %.2f |" % (
                         key[0], key[2], key[1], len(g),
                         med([num(r["measured_rate"]) for r in g]),
                         med([num(r["predicted_rate"]) for r in g]), off,
                         100 * med([num(r["repeat_spread"]) for r in g]),
                         med([num(r["measured_wait_ms"]) for r in g]),
                         med([num(r["predicted_wait_ms"]) for r in g]),
                         med([num(r["rank0_busy_us_per_number"])
                              for r in g]),
                         med([num(r["efficiency"]) for r in g]),
                         med([num(r["predicted_efficiency"]) for r in g])))
    with open(os.path.join(out, "model-table.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))
    # plots: s64 rate and wait against the rank count, measured (points)
    # and predicted (lines), one colour per latency
    lats = sorted({r["latency_us"] for r in mrows if r["kind"] == "s64"},
                  key=num)
    for kind in ("s64", "dispatch"):
        for lat in lats:
            sel = sorted((r for r in mrows if r["kind"] == kind
                          and r["latency_us"] == lat), key=lambda r:
                         (int(r["np"]), int(r["nodes"])))
            with open(os.path.join(out, "%s-%s.dat" % (kind, lat)), "w") as f:
                for r in sel:
                    f.write("%s %s %s %s %s %s\n" % (
                        r["np"], r["measured_rate"], r["predicted_rate"],
                        r["measured_wait_ms"], r["predicted_wait_ms"],
                        r["nodes"]))
    gp = ["set terminal pngcairo size 1000,600 noenhanced", "set grid",
          "set key outside right top", "set xlabel 'MPI ranks (nodes x "
          "ranks per node; all on 2 shared cores)'"]
    for name, kind, col_m, col_p, ylab, logy in (
            ("rate.png", "s64", 2, 3, "S64 numbers/s (--chunk 20, "
             "--prefetch 0)", True),
            ("wait.png", "s64", 4, 5, "worker wait for work per chunk (ms)",
             True),
            ("dispatch.png", "dispatch", 2, 3, "dispatch-bound numbers/s "
             "(--chunk 43)", False)):
        gp.append("set output '%s/%s'" % (out, name))
        gp.append("set ylabel '%s'" % ylab)
        gp.append("set logscale y" if logy else "unset logscale y")
        curves = []
        for j, lat in enumerate(lats):
            d = "%s/%s-%s.dat" % (out, kind, lat)
            curves.append("'%s' using 1:%d with points pt 7 ps 1.3 lc %d "
                          "title '%s us measured'" % (d, col_m, j + 1, lat))
            curves.append("'%s' using 1:%d with points pt 4 ps 1.8 lc %d "
                          "title '%s us predicted'" % (d, col_p, j + 1, lat))
        gp.append("plot " + ", ".join(curves))
    with open(os.path.join(out, "cluster.gp"), "w") as f:
        f.write("\n".join(gp) + "\n")
    if os.system("command -v gnuplot >/dev/null") == 0:
        os.system("gnuplot '%s/cluster.gp'" % out)
        print("model.py cluster: %s/{model.csv,model-table.md,rate.png,"
              "wait.png,dispatch.png}" % out)
    return 0


# ---- the saturation model (model.py saturation) ----

SAT_RANKS = [2 ** i for i in range(1, 15)]  # 2 .. 16,384


def lstsq(xs, ys):
    """Least squares without numpy: coefficients of ys ~ xs (rows)."""
    n = len(xs[0])
    a = [[sum(x[i] * x[j] for x in xs) for j in range(n)] for i in range(n)]
    b = [sum(x[i] * y for x, y in zip(xs, ys)) for i in range(n)]
    for i in range(n):  # Gauss-Jordan with partial pivoting
        p = max(range(i, n), key=lambda r: abs(a[r][i]))
        a[i], a[p], b[i], b[p] = a[p], a[i], b[p], b[i]
        if a[i][i] == 0:
            return [float("nan")] * n
        for r in range(n):
            if r != i:
                f = a[r][i] / a[i][i]
                a[r] = [u - f * v for u, v in zip(a[r], a[i])]
                b[r] -= f * b[i]
    return [b[i] / a[i][i] for i in range(n)]


def saturation_fit(out):
    """Fitted parameters from saturation.csv (seconds, bytes) or {}."""
    rs = rows(os.path.join(out, "saturation.csv"))
    r0 = [r for r in rs if r["kind"] == "rank0"]
    fit = {}
    if r0:
        # busy = start + a chunks + b_out bytes (+ b_file bytes for --output)
        # + i input bytes
        xs, ys = [], []
        for r in r0:
            byt = num(r["bytes"])
            src = r.get("source", "count")
            inb = num(r.get("input_bytes") or 0)
            xs.append([1.0, num(r["chunks"]),
                       byt if r["output"] == "stdout" else 0.0,
                       byt if r["output"] == "file" else 0.0,
                       inb if src == "input" else 0.0])
            ys.append(num(r["rank0_busy_s"]))
        if not any(x[4] for x in xs):
            xs = [x[:4] for x in xs]
        co = lstsq(xs, ys)
        # a cost cannot be negative: a negative fit is noise around 0
        co = [max(0.0, x) for x in co]
        fit["start_s"], fit["chunk_s"] = co[0], co[1]
        fit["byte_stdout_s"], fit["byte_file_s"] = co[2], co[3]
        fit["input_byte_s"] = co[4] if len(co) > 4 else 0.0
        fit["bytes_per_number"] = sum(num(r["bytes"]) / num(r["numbers"])
                                      for r in r0) / len(r0)
    for eng in ("range", "list"):
        w = [num(r["numbers"]) / num(r["cpu_s"]) for r in rs
             if r["kind"] == "worker" and r["output"] == eng
             and num(r["cpu_s"]) > 0]
        if w:
            fit[eng + "_rate"] = sorted(w)[(len(w) - 1) // 2]
        ib = [num(r.get("input_bytes") or 0) / num(r["numbers"]) for r in rs
              if r["kind"] == "worker" and r["output"] == eng]
        if eng == "list" and ib and ib[0] > 0:
            fit["input_bytes_per_number"] = ib[0]
    return fit


def saturation_main(out, argv):
    import argparse
    fit = saturation_fit(out)
    ap = argparse.ArgumentParser(prog="model.py saturation")
    ap.add_argument("--chunk-us", type=float,
                    default=fit.get("chunk_s", 5e-6) * 1e6,
                    help="rank 0's busy CPU per chunk, us")
    ap.add_argument("--byte-us", type=float,
                    default=fit.get("byte_stdout_s", 1e-3 * 1e-6) * 1e6,
                    help="rank 0 per output byte, text to stdout")
    ap.add_argument("--file-byte-us", type=float,
                    default=fit.get("byte_file_s", 1e-3 * 1e-6) * 1e6,
                    help="rank 0 per output byte, --output FILE (today)")
    ap.add_argument("--input-byte-us", type=float,
                    default=fit.get("input_byte_s", 0.0) * 1e6,
                    help="rank 0 per input byte it reads (--input); 0 "
                    "once workers read their own byte ranges")
    ap.add_argument("--input-bytes-per-number", type=float,
                    default=fit.get("input_bytes_per_number", 14.0),
                    help="bytes of --input per number")
    ap.add_argument("--range-rate", type=float,
                    default=fit.get("range_rate", 1e6),
                    help="a worker's numbers per CPU second, range engine")
    ap.add_argument("--list-rate", type=float,
                    default=fit.get("list_rate", 4e5),
                    help="a worker's numbers per CPU second, per-number "
                    "engine")
    ap.add_argument("--bytes-per-number", type=float,
                    default=fit.get("bytes_per_number", 30.0),
                    help="output bytes per number")
    ap.add_argument("--fs-mbps", type=float, default=1000.0,
                    help="file system bandwidth, MB/s (10^6 bytes)")
    a = ap.parse_args(argv)
    A, beta = a.chunk_us * 1e-6, a.bytes_per_number
    F = a.fs_mbps * 1e6
    cases = []
    for eng, rate, inb in (
            ("range engine (--count)", a.range_rate, 0.0),
            ("per-number engine (--input)", a.list_rate,
             a.input_byte_us * 1e-6 * a.input_bytes_per_number)):
        for outp, b, cap in (
                ("text to stdout", a.byte_us * 1e-6, float("inf")),
                ("--output FILE (as measured: workers write, MPI-IO)", a.file_byte_us * 1e-6, F / beta),
                ("--output FILE (no byte cost on rank 0 at all)", 0.0, F / beta)):
            for k in (1000, 100000):
                x0 = k / (A + k * (beta * b + inb))
                cases.append(("%s, %s, chunk %d" % (eng, outp, k), rate,
                              x0, cap))
    lines = ["saturation model parameters (explicit; refit: "
             "make bench-saturation):",
             "  --chunk-us %.3f --byte-us %.5f --file-byte-us %.5f "
             "--input-byte-us %.5f --input-bytes-per-number %.1f "
             "--range-rate %.0f --list-rate %.0f --bytes-per-number %.1f "
             "--fs-mbps %.0f" % (a.chunk_us, a.byte_us, a.file_byte_us,
                                 a.input_byte_us, a.input_bytes_per_number,
                                 a.range_rate, a.list_rate, beta,
                                 a.fs_mbps),
             "",
             "| job | worker rate /s | rank 0 limit /s | file system "
             "limit /s | P* (saturation) | speedup at 16,384 |",
             "| --- | --- | --- | --- | --- | --- |"]
    with open(os.path.join(out, "saturation-model.csv"), "w") as f:
        f.write("ranks," + ",".join('"%s"' % c[0] for c in cases) + "\n")
        for p in SAT_RANKS:
            f.write("%d,%s\n" % (p, ",".join(
                "%.3f" % (min((p - 1) * r, x0, cap) / r)
                for _, r, x0, cap in cases)))
    for name, r, x0, cap in cases:
        pstar = 1 + min(x0, cap) / r
        lines.append("| %s | %.0f | %.3g | %s | %.0f | %.1f |" % (
            name, r, x0, "-" if cap == float("inf") else "%.3g" % cap,
            pstar, min(16383 * r, x0, cap) / r))
    with open(os.path.join(out, "saturation-table.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    curves = ", ".join(
        "'%s/saturation-model.csv' using 1:%d with lines lw 2 %s title '%s'"
        % (out, i + 2, "dashtype 2" if "100000" in cases[i][0] else "",
           cases[i][0]) for i in range(len(cases)))
    gp = """set terminal pngcairo size 1300,700 noenhanced
set datafile separator ','
set key outside right top font ',8'
set grid
set logscale xy 2
set xrange [2:16384]
set xlabel 'MPI ranks (one master)'
set ylabel 'speedup over one worker'
set title 'one master: where it saturates (model.py saturation)'
set output '{o}/saturation.png'
plot {c}, x - 1 title 'ideal' with lines dashtype 3 lc 'black'
""".format(o=out, c=curves)
    with open(os.path.join(out, "saturation.gp"), "w") as f:
        f.write(gp)
    if os.system("command -v gnuplot >/dev/null") == 0:
        os.system("gnuplot '%s/saturation.gp'" % out)
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "cluster":
        sys.exit(cluster_main(sys.argv[2]))
    if len(sys.argv) > 2 and sys.argv[1] == "saturation":
        sys.exit(saturation_main(sys.argv[2], sys.argv[3:]))
    main()
