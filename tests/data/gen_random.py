#!/usr/bin/env python3
"""gen_random.py - seeded test inputs for the engine's differential tests.

Prints one decimal number per line.  Every random choice comes from
random.Random(seed), so a failing sample is replayed by running the same
command with the seed the test printed.

  gen_random.py range A B
      every integer from A to B inclusive; A and B may be written as
      expressions of integers, ^ (power), + and -, e.g. 2^64-2000.
  gen_random.py bits SEED MINBITS MAXBITS PER
      PER numbers uniform in [2^(b-1), 2^b - 1] for every b in range.
  gen_random.py smooth SEED MINBITS MAXBITS PER SMALLBITS
      PER numbers of exactly b bits for every b, each q*m with q a random
      prime and m a random number of at most SMALLBITS bits: every prime
      factor but q is small, and so is every prime factor of q-1 (GNU
      factor proves q prime by factoring q-1), so GNU factor is fast.
  gen_random.py known SEED COUNT MINBITS MAXBITS SMALLEST
      COUNT products of 2 to 4 random primes, total size in
      [MINBITS, MAXBITS] bits, the smallest prime at most SMALLEST bits;
      with --answers, prints "n: p q ..." (GNU factor's format) instead.

  gen_random.py semi SEED MINBITS MAXBITS STEP [--answers]
      for every b from MINBITS to MAXBITS in steps of STEP: a balanced
      semiprime p*q of exactly b bits (p, q of about b/2 bits: the SIQS
      inputs) and an unbalanced one (p of about b/3 bits: ECM's); with
      --answers, "n: p q" lines instead.

  gen_random.py special SEED
      structured cases: prime powers, Carmichael numbers, squares and
      products of the primes next to 2^32, 2^64, 2^100, 2^k - 1, 2^k + 1.

Primes are chosen with Miller-Rabin over 32 seeded bases; the oracles
(GNU factor, PARI/GP) decide the expected answers, not this script.
"""
import re
import sys
import random


def parse_int(text):
    """An integer written with digits, ^, +, - (no other syntax)."""
    if not re.fullmatch(r"[0-9^+\- ]+", text):
        raise SystemExit("gen_random.py: bad number %r" % text)
    total = 0
    for sign, term in re.findall(r"([+-]?)\s*([0-9^]+)", text):
        parts = [int(x) for x in term.split("^")]
        value = parts[-1]
        for base in reversed(parts[:-1]):
            value = base ** value
        total += -value if sign == "-" else value
    return total


def is_probable_prime(n, rng):
    if n < 2:
        return False
    for p in (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37):
        if n % p == 0:
            return n == p
    d, s = n - 1, 0
    while d % 2 == 0:
        d //= 2
        s += 1
    for _ in range(32):
        a = rng.randrange(2, n - 1)
        x = pow(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = x * x % n
            if x == n - 1:
                break
        else:
            return False
    return True


def random_prime(bits, rng):
    """A random prime of exactly bits bits (bits >= 2)."""
    while True:
        n = rng.randrange(1 << (bits - 1), 1 << bits) | 1
        if bits == 2:
            n = rng.choice((2, 3))
        if is_probable_prime(n, rng):
            return n


def smooth_prime(bits, small, rng):
    """A random prime q of bits bits with every prime factor of q-1 at
    most small bits: GNU factor proves primality above 2^64 with a Lucas
    test that factors q-1, which is slow when q-1 has a large composite
    factor."""
    if bits <= small:
        return random_prime(bits, rng)
    while True:
        r = 2
        while r.bit_length() < bits - small:
            r *= uniform(rng.randint(2, small), rng)
        rest = bits - r.bit_length() + 1
        if rest < 1:
            continue
        q = r * uniform(rest, rng) + 1
        if q.bit_length() == bits and is_probable_prime(q, rng):
            return q


def uniform(bits, rng):
    return 1 if bits <= 1 else rng.randrange(1 << (bits - 1), 1 << bits)


def special(seed):
    """Structured numbers that break careless code: prime powers (perfect
    power detection, exponent merging), Carmichael numbers (Fermat liars),
    squares and products of the primes next to 2^32, 2^64 and 2^100 (tier
    boundaries, Montgomery carries), 2^k - 1 and 2^k + 1 (k <= 128)."""
    rng = random.Random(seed)
    nums = []
    for b in (2, 3, 5, 8, 13, 21, 31, 32, 33, 40, 50, 63, 64, 65, 70, 100):
        p = random_prime(b, rng)
        for e in sorted({2, 3, rng.randint(2, max(2, 200 // b))}):
            if b * e <= 200:
                nums.append(p ** e)
    # Chernick's Carmichael numbers (6k+1)(12k+1)(18k+1), all three prime
    for bits in (10, 20, 30, 40, 50, 60):
        k = rng.randrange(1 << (bits - 1), 1 << bits)
        while not all(is_probable_prime(m * k + 1, rng) for m in (6, 12, 18)):
            k += 1
        nums.append((6 * k + 1) * (12 * k + 1) * (18 * k + 1))
    nums += [561, 41041, 825265, 321197185, 5394826801, 232250619601,
             9746347772161]
    for b in (32, 64, 100):
        below, above = (1 << b) - 1, (1 << b) + 1
        while not is_probable_prime(below, rng):
            below -= 1
        while not is_probable_prime(above, rng):
            above += 1
        nums += [below * below, above * above, below ** 3]
        if b <= 64:  # a balanced 200-bit semiprime takes seconds: skip
            nums.append(below * above)
    for k in range(2, 129, 7):
        nums += [(1 << k) - 1, (1 << k) + 1]
    return nums


def main(argv):
    if len(argv) < 2:
        raise SystemExit(__doc__)
    mode, args = argv[1], argv[2:]
    out = []
    if mode == "range" and len(args) == 2:
        lo, hi = parse_int(args[0]), parse_int(args[1])
        out = (str(n) for n in range(lo, hi + 1))
    elif mode == "bits" and len(args) == 4:
        seed, lo, hi, per = (int(a) for a in args)
        rng = random.Random(seed)
        out = [str(uniform(b, rng)) for b in range(lo, hi + 1)
               for _ in range(per)]
    elif mode == "smooth" and len(args) == 5:
        seed, lo, hi, per, small = (int(a) for a in args)
        rng = random.Random(seed)
        for b in range(lo, hi + 1):
            for _ in range(per):
                while True:
                    k = rng.randint(1, min(small, b - 2))
                    m = uniform(k, rng)
                    q = smooth_prime(max(2, b - m.bit_length() + 1),
                                     small, rng)
                    if (q * m).bit_length() == b:
                        out.append(str(q * m))
                        break
    elif mode == "known" and len(args) in (5, 6):
        answers = "--answers" in args
        args = [a for a in args if a != "--answers"]
        seed, count, lo, hi, smallest = (int(a) for a in args)
        rng = random.Random(seed)
        while len(out) < count:
            target = rng.randint(lo, hi)
            k = rng.randint(2, 4)
            first = rng.randint(8, smallest)
            sizes = [first]
            rest = target - first
            for i in range(k - 2):
                s = rng.randint(first, max(first, rest // (k - 1 - i)))
                sizes.append(s)
                rest -= s
            if rest < first:
                continue
            sizes.append(rest)
            primes = sorted(random_prime(s, rng) for s in sizes)
            n = 1
            for p in primes:
                n *= p
            if answers:
                out.append("%d: %s" % (n, " ".join(map(str, primes))))
            else:
                out.append(str(n))
    elif mode == "semi" and len(args) in (4, 5):
        answers = "--answers" in args
        args = [a for a in args if a != "--answers"]
        seed, lo, hi, step = (int(a) for a in args)
        rng = random.Random(seed)
        for b in range(lo, hi + 1, step):
            for small in (b // 2, b // 3):
                while True:
                    p = random_prime(small, rng)
                    q = random_prime(b - small, rng)
                    if (p * q).bit_length() == b and p != q:
                        break
                p, q = min(p, q), max(p, q)
                out.append("%d: %d %d" % (p * q, p, q) if answers
                           else str(p * q))
    elif mode == "special" and len(args) == 1:
        out = [str(n) for n in special(int(args[0]))]
    else:
        raise SystemExit(__doc__)
    sys.stdout.write("".join(line + "\n" for line in out))


if __name__ == "__main__":
    main(sys.argv)
