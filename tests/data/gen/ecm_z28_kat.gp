\\ tests/data/gen/ecm_z28_kat.gp - known answers for the Z/2 x Z/8 table
\\ (test_engine_small: z28_curves_known_answers).
\\
\\   gp -q tests/data/gen/ecm_z28_kat.gp < /dev/null
\\
\\ For row i of src/engine/engine_curves.c (read from the C source): a 32-bit
\\ prime p for which the row's point has order dividing lcm(1..200) (so
\\ stage 1 at B1 = 200 finds p), and a 32-bit prime q for which the
\\ point's order has a prime factor above 10^5 (neither stage finds q);
\\ prints "{n = p q, p}" per row.  Seeded: the same rows every run.
L = lcm(vector(200, i, i));
ord(p, a24, w) = { my(A = Mod(4 * a24 - 2, p), x = Mod(w, p), B = x^3 + A * x^2 + x, E);
  if (B == 0, return(-1)); E = ellinit([0, A / B, 0, 1 / B^2, 0], p);
  if (E == [], return(-1)); lift(ellorder(E, [x / B, 1 / B])) };
\\ the text between the first { and } of a line, "ull" suffixes dropped
inner(l) = { my(c = Vec(l), a = 0, b = 0, s = "");
  for (k = 1, #c, if (c[k] == "{" && !a, a = k); if (c[k] == "}" && a && !b, b = k));
  if (!a || !b, return(""));
  for (k = a + 1, b - 1, s = concat(s, c[k]));
  strjoin(strsplit(s, "ull"), "") };
rows = [];
{
my(f = fileopen("src/engine/engine_curves.c"), l, t);
while (l = filereadstr(f),
  if (#l > 3 && Vec(l)[1] == "\t" && Vec(l)[2] == "{",
    t = strsplit(inner(l), ",");
    rows = concat(rows, [[eval(t[1]) / eval(t[2]), (1 - 2 * eval(t[5])) * eval(t[3]) / eval(t[4])]])));
fileclose(f);
}
setrand(29);
{
for (i = 1, #rows, my(a24 = rows[i][1], w = rows[i][2], p, q, o);
  until (o > 0 && L % o == 0, p = randomprime([2^31, 2^32]); o = ord(p, a24, w));
  until (o > 0 && vecmax(factor(o)[, 1]) > 10^5, q = randomprime([2^31, 2^32]); o = ord(q, a24, w));
  printf("\t{%dull, %dull}, /* row %d */\n", p * q, p, i - 1));
}
