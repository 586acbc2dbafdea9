#!/usr/bin/env python3
"""pool_mpi4py.py - the mpi4py.futures comparison for make bench-scale.

Purpose: measure the task rate of mpi4py.futures.MPIPoolExecutor (the
Python MPI master/worker) on the same trivial workload bench-scale gives
factorize: the numbers START, START+1, ... factored by trial division
(tiny numbers: number i is 1 + i mod 1000, so the cost is the dispatch,
not the work; factorize's numbers 1..COUNT cost it well under 1 us each).

Run as `mpirun -np P python3 -m mpi4py.futures pool_mpi4py.py COUNT PER`:
rank 0 runs this script, the other P-1 ranks are pool workers.  PER is
the numbers per task (1 = one task per message; 43 = the classic chunk).
Prints one line: "tasks=T numbers=N seconds=S tasks_per_s=R numbers_per_s=Q
checksum=C" (the checksum of every factor list proves the work was done).
"""
import sys
import time

from mpi4py.futures import MPIPoolExecutor


def factor(n):
    """Naive trial division: the factors of n (n >= 1), ascending."""
    out = []
    d = 2
    while d * d <= n:
        while n % d == 0:
            out.append(d)
            n //= d
        d += 1
    if n > 1:
        out.append(n)
    return out


def task(first, count):
    """Factor 1 + i mod 1000 for i in first .. first+count-1; checksum."""
    s = 0
    for i in range(first, first + count):
        s = (s + sum(factor(1 + i % 1000))) % 1000000007
    return s


def main():
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
    per = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    starts = list(range(1, count + 1, per))
    sizes = [min(per, count + 1 - s) for s in starts]
    with MPIPoolExecutor() as pool:
        # warm the pool up (spawn/connection) outside the timed region
        list(pool.map(task, [1] * 4, [1] * 4))
        t0 = time.perf_counter()
        res = list(pool.map(task, starts, sizes, unordered=True))
        t1 = time.perf_counter()
    dt = t1 - t0
    print("tasks=%d numbers=%d seconds=%.4f tasks_per_s=%.1f numbers_per_s=%.1f"
          " checksum=%d" % (len(starts), count, dt, len(starts) / dt,
                            count / dt, sum(res) % 1000000007))


if __name__ == "__main__":
    main()
