\\ Deterministic generator of the sets of real-like and 80-digit numbers.
\\ Usage (from this directory):  gp -q gen_real.gp
\\ Requires PARI/GP >= 2.13 (fileopen/filewrite). Tested with 2.15.2.
\\
\\ R90: integers uniform in [10^(D-1), 10^D), D uniform in 80..100, drawn
\\ with their factorization by Kalai's algorithm ("Generating random
\\ factored numbers, easily", J. Cryptology 16 (2003)): s_1 uniform in
\\ [1, N], s_(i+1) uniform in [1, s_i] down to 1; r = product of the
\\ prime s_i; accept r with probability r/N when r <= N.  Accepted r is
\\ uniform in [1, N], so its factor sizes are those of random composites
\\ (Dickman, Knuth-Trabb Pardo).  A number is kept only when its
\\ second-largest prime factor has at most R_P2_DIGITS digits, so that
\\ PARI/GP's factor() (ECM, then MPQS) finishes the set in about 140 CPU s;
\\ the largest factor is unrestricted.  R90.expect is written from the
\\ drawn factorization, every factor checked with isprime (a proof).
\\
\\ S266: balanced semiprimes of two 133-bit primes (80 digits), as gen.gp's
\\ S-sets; the sieve's target size.
SEED = 20240611;
R_COUNT = 10;
R_P2_DIGITS = 26;

wr(fn, v) = {
  my(f = fileopen(fn, "w"));
  for (i = 1, #v, filewrite(f, Str(v[i])));
  fileclose(f);
}

\\ one uniform integer in [1, N] with its prime factors (ascending, repeated)
kalai(N) = {
  while (1,
    my(s = N, r = 1, fs = List());
    while (s > 1,
      s = 1 + random(s);
      if (s > 1 && ispseudoprime(s), r *= s; listput(fs, s); if (r > N, break)));
    if (r <= N && random(N) < r, return([r, vecsort(Vec(fs))])));
}

\\ "n: p1 p2 ..." as GNU factor prints it
line(n, fs) = {
  my(s = Str(n, ":"));
  for (i = 1, #fs, s = Str(s, " ", fs[i]));
  s;
}

real_set(count, k) = {
  my(nums = vector(count), lines = vector(count), i = 0);
  setrand(SEED + k);
  while (i < count,
    my(D = 80 + random(21), x = kalai(10^D), fs = x[2]);
    if (x[1] < 10^(D - 1), next);
    if (#fs >= 2 && #digits(fs[#fs - 1]) > R_P2_DIGITS, next);
    for (j = 1, #fs, if (!isprime(fs[j]), error("not prime: ", fs[j])));
    i++; nums[i] = x[1]; lines[i] = line(x[1], fs));
  [nums, lines];
}

\\ n semiprimes p*q of two distinct b-bit primes, with "n: p q" lines
semis(n, b, k) = {
  my(nums = vector(n), lines = vector(n));
  setrand(SEED + k);
  for (i = 1, n,
    my(p = randomprime([2^(b-1), 2^b - 1]), q = randomprime([2^(b-1), 2^b - 1]));
    while (q == p, q = randomprime([2^(b-1), 2^b - 1]));
    nums[i] = p * q; lines[i] = line(p * q, vecsort([p, q])));
  [nums, lines];
}

r = real_set(R_COUNT, 2000);
wr("R90.txt", r[1]);
wr("R90.expect", r[2]);
s = semis(3, 133, 266);
wr("S266.txt", s[1]);
wr("S266.expect", s[2]);
quit;
