\\ tests/data/gen/ecm_curves.gp - the Z/2 x Z/8 curves of src/engine/engine_curves.c.
\\
\\   gp -q tests/data/gen/ecm_curves.gp < /dev/null > rows.txt
\\
\\ Edwards curves x^2 + y^2 = 1 + d x^2 y^2 with torsion Z/2 x Z/8 over Q
\\ (Bernstein, Birkner, Lange, Peters, "ECM using Edwards curves", Math.
\\ Comp. 82, 2013, its Z/2 x Z/8 family): x8 = (u^2 + 2u + 2)/(u^2 - 2),
\\ d = (2 x8^2 - 1)/x8^4, for u = a/b with |a| <= 30, b <= 12.  Each is the
\\ Montgomery curve B v^2 = w^3 + A w^2 + w, A = 2(1 + d)/(1 - d),
\\ B = 4/(1 - d) (w = (1 + y)/(1 - y)).  A curve is kept when ellrank finds
\\ a point of infinite order on it; one curve per isogeny class (isogenous
\\ curves have the same group order mod every p: a_p of eight primes as
\\ the key); a24 = (A + 2)/4 and the point's w as fractions whose parts
\\ fit 63 bits.  Rows are sorted by the measured share of 3000 seeded
\\ random primes of 32 bits for which the point's order is 200-smooth but
\\ for one prime up to 10^4 (stage 1 and 2 of S64's bounds): curves with
\\ more 2- and 3-power in their group orders come first.  Output: one C
\\ initializer per curve, {a24 num, a24 den, |w num|, w den, w < 0}.
L = lcm(vector(200, i, i));
ok(o) = { my(f); if (o == 0, return(0)); if (L % o == 0, return(1));
  f = factor(o); f[#f~, 2] == 1 && f[#f~, 1] <= 10000 && L % (o / f[#f~, 1]) == 0 };
hit(p, a24, w) = { my(A = Mod(4 * a24 - 2, p), x = Mod(w, p), B = x^3 + A * x^2 + x, E);
  if (B == 0, return(0)); E = ellinit([0, A / B, 0, 1 / B^2, 0], p);
  if (E == [], return(0)); ok(lift(ellorder(E, [x / B, 1 / B]))) };
ap(a24) = { my(E = ellinit([0, 4 * a24 - 2, 0, 1, 0])); vector(8, i, ellap(E, prime(40 + i))) };
size(a24, w) = vecmax([abs(numerator(a24)), denominator(a24), abs(numerator(w)), denominator(w)]);
seen = Map(); keep = List();
{
for (b = 1, 12, for (a = -30, 30,
  my(u, x8, d, A, B, E, M, v, R, best = 0);
  if (gcd(a, b) != 1, next); u = a / b;
  if (u^2 == 2 || u == 0 || u == -1 || u == -2, next);
  x8 = (u^2 + 2 * u + 2) / (u^2 - 2); if (x8 == 0, next);
  d = (2 * x8^2 - 1) / x8^4; if (d == 0 || d == 1, next);
  A = 2 * (1 + d) / (1 - d); B = 4 / (1 - d);
  E = ellinit([0, A * B, 0, B^2, 0]); if (E == [], next);
  if (elltors(E)[2] != [8, 2], next);
  if (mapisdefined(seen, ap((A + 2) / 4)), next);
  M = ellminimalmodel(E, &v);
  R = iferr(ellrank(M), err, next);
  foreach (R[4], P, if (ellorder(M, P) != 0, next);
    foreach ([P, ellneg(M, P)], Q, my(w = ellchangepointinv(Q, v)[1] / B, h = size((A + 2) / 4, w));
      if (best == 0 || h < best[1], best = [h, (A + 2) / 4, w, u])));
  if (best == 0 || best[1] >= 2^63, next);
  mapput(seen, ap(best[2]), 1); listput(keep, best)));
}
setrand(23); N = 3000; P = vector(N, i, randomprime([2^31, 2^32]));
rate = vector(#keep, k, my(c = keep[k]); sum(j = 1, N, hit(P[j], c[2], c[3])) * 1. / N);
ord = vecsort(vector(#keep, k, [-rate[k], size(keep[k][2], keep[k][3]), k]));
{
for (i = 1, #ord, my(k = ord[i][3], c = keep[k]);
  printf("\t{%d, %d, %d, %d, %d}, /* u = %s, %.3f */\n", numerator(c[2]), denominator(c[2]),
    abs(numerator(c[3])), denominator(c[3]), c[3] < 0, c[4], rate[k]));
}
