#!/usr/bin/env python3
"""classic_managers.py - the original Python system factorize descends from.

Purpose: the baseline of make bench-scale's table.  A server process owns
a job queue and a result queue, shared over TCP on 127.0.0.1 through
multiprocessing.managers; WORKERS client processes connect, pull chunks of
CHUNK numbers, factor them by naive trial division (2, then odd divisors
up to the square root, as the original did) and put {n: factors} dicts on
the result queue; the main process collects them and prints the results
in input order, as GNU factor does, to stdout.

Bounded and local only: it listens on 127.0.0.1 with an ephemeral port
and an in-process random authkey, and every process exits when the job is
done.  Usage: classic_managers.py [COUNT [WORKERS [CHUNK [START [STEP]]]]]
(defaults 999 2 43 999999999999 2).  Prints the wall time on stderr as
"classic: N numbers in S s with W workers".
"""
import multiprocessing as mp
import os
import queue
import sys
import time
from multiprocessing.managers import BaseManager


class JobManager(BaseManager):
    """The server and client manager: two registered queues."""


def factorize_naive(n):
    """Trial division by 2 and the odd numbers up to sqrt(n)."""
    out = []
    while n % 2 == 0:
        out.append(2)
        n //= 2
    d = 3
    while d * d <= n:
        while n % d == 0:
            out.append(d)
            n //= d
        d += 2
    if n > 1:
        out.append(n)
    return out


def worker(address, authkey):
    """Connect, pull chunks until the queue is empty, push results."""
    JobManager.register("get_job_q")
    JobManager.register("get_result_q")
    m = JobManager(address=address, authkey=authkey)
    m.connect()
    job_q, result_q = m.get_job_q(), m.get_result_q()
    while True:
        try:
            chunk = job_q.get_nowait()
        except queue.Empty:
            return
        result_q.put({n: factorize_naive(n) for n in chunk})


def main():
    a = [int(x) for x in sys.argv[1:]]
    count, workers, chunk, start, step = (a + [999, 2, 43, 999999999999, 2][len(a):])[:5]
    nums = [start + i * step for i in range(count)]
    job_q, result_q = queue.Queue(), queue.Queue()
    JobManager.register("get_job_q", callable=lambda: job_q)
    JobManager.register("get_result_q", callable=lambda: result_q)
    authkey = os.urandom(16)
    m = JobManager(address=("127.0.0.1", 0), authkey=authkey)
    m.start()
    t0 = time.perf_counter()
    shared_job_q = m.get_job_q()
    shared_result_q = m.get_result_q()
    for i in range(0, count, chunk):
        shared_job_q.put(nums[i:i + chunk])
    procs = [mp.Process(target=worker, args=(m.address, authkey))
             for _ in range(workers)]
    for p in procs:
        p.start()
    results = {}
    while len(results) < count:
        results.update(shared_result_q.get())
    for p in procs:
        p.join()
    dt = time.perf_counter() - t0
    m.shutdown()
    out = sys.stdout
    for n in nums:
        out.write("%d: %s\n" % (n, " ".join(str(f) for f in results[n])))
    sys.stderr.write("classic: %d numbers in %.3f s with %d workers\n"
                     % (count, dt, workers))


if __name__ == "__main__":
    main()
