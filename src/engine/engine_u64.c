/*
 * engine_u64.c - the 64-bit tier: factor n < 2^64 in native words.
 *
 * Arithmetic: Montgomery form with R = 2^64 (engine_mont.h).
 *
 * Primality (prime_p_u64), deterministic: trial division by the primes to
 * 53; below 4759123141 strong tests to bases 2, 7 and 61 (Jaeschke 1993,
 * "On strong pseudoprimes to several bases"; 7 and 61 as one interleaved
 * pair, sprp_pair_u64, once base 2 passed); above, BPSW
 * (engine_bpsw_tmpl.h: strong base-2 test, then the strong Lucas test
 * with Selfridge's method A, perfect squares rejected first).  No
 * composite below 2^64 passes (exhaustive check against Feitsma's list of
 * base-2 pseudoprimes, Gilchrist 2009).
 *
 * Factoring (factor_u64), cheap steps first:
 *   1. trial division by the first TDIV_BOUND_U64 primes (to 3671) with
 *      the multiply-by-inverse test (engine_tdiv.c);
 *   2. a work stack of composites: each cofactor c is declared prime when
 *      c < B^2 (B the next prime) or prime_p_u64(c); squares are split by
 *      an integer square root; otherwise split by
 *   3. Pollard-Brent rho (Brent 1980, "An improved Monte Carlo
 *      factorization algorithm") up to ECM_MIN_BITS bits, with products of
 *      RHO_BATCH differences per gcd, run as two walks in lockstep
 *      (rho2_u64: one walk waits on its own squaring, the second fills
 *      those waits, and the first to collide wins, after about 1/sqrt(2)
 *      of one walk's steps); a batch whose gcd is c itself is backtracked
 *      walk by walk from the saved points, RHO_BACK steps per gcd.  Above
 *      ECM_MIN_BITS, micro-ECM (after Buhrow's yafu micro-ECM;
 *      engine_ecm_tmpl.h): a number's first 56 curves are the Z/2 x Z/8
 *      curves of engine_curves.c (group order divisible by 16), numbered
 *      across the rounds of split_u64, then Suyama curves (divisible by
 *      12); curves taken two at a time, stage 1 a Montgomery ladder over
 *      lcm(1..B1), stage 2 baby-step giant-step with D = 210 and prime
 *      pairs m*D +- j sharing one multiplication.  B1/B2 by size
 *      (ecm64_bounds).  Rho is the fallback if ECM gives up.
 *   SQUFOF (Gower-Wagstaff, with a multiplier list) is a tested method
 *   that the pipeline does not call: rho beats it at every size.
 * The measurements behind TDIV_BOUND_U64, ECM_MIN_BITS, the bounds and
 * the curves are in engine_NOTES.md.
 *
 * Every random choice (rho constant, curve seed) comes from params->seed.
 * The deadline (time limit, stop hook) is polled every few thousand
 * iterations; when it fires the cofactor is recorded as composite and the
 * result is STATUS_PARTIAL.
 */
#include "engine_ecm_plan.h"
#include "engine_int.h"
#include "engine_mont.h"
#include "status.h"

#include <math.h>

enum {
	TDIV_BOUND_U64 = 512, /* primes tried by trial division (to 3671) */
	RHO_BATCH = 64,       /* differences multiplied per gcd */
	RHO_BACK = 8,         /* the same when backtracking */
	RHO_POLL = 4096,      /* iterations between deadline polls */
	FACTOR_STACK = 64,    /* pending composites; a 64-bit n has < 64 */
	/*
	 * ECM above this size, rho up to it: balanced semiprimes tie here,
	 * and the composites trial division leaves in the classic job mostly
	 * have one small factor, which rho finds first.
	 */
	ECM_MIN_BITS = 40,
	ECM_CURVES = 8, /* curves per deadline poll */
	ECM_ROUNDS = 64 /* then fall back to rho */
};

/* ---- primality ---- */

#define BPSW_WORD uint64_t
#define BPSW_BITS 64
#include "engine_bpsw_tmpl.h"

static uint64_t isqrt_u64(uint64_t n)
{
	uint64_t r = (uint64_t)sqrt((double)n);
	while (r > 0xFFFFFFFFu || r * r > n)
		r--;
	while ((r + 1) <= 0xFFFFFFFFu && (r + 1) * (r + 1) <= n)
		r++;
	return r;
}

/*
 * Strong probable prime to both bases a[0], a[1] (n odd, neither divisible
 * by n).  The two powerings share the exponent, so one loop runs both
 * chains side by side: each chain of dependent multiplications waits on
 * the multiplier's latency, and the other fills those waits.
 */
static int sprp_pair_u64(uint64_t n, uint64_t ninv, uint64_t one,
			 const uint64_t *a)
{
	uint64_t nm1 = n - 1;
	int s = __builtin_ctzll(nm1);
	uint64_t d = nm1 >> s;
	uint64_t mone = n - one;
	uint64_t b[2], x[2];
	for (int j = 0; j < 2; j++)
		b[j] = x[j] = mont_small_u64(a[j], one, n);
	for (int i = 62 - __builtin_clzll(d); i >= 0; i--) {
		x[0] = mont_mul_u64(x[0], x[0], n, ninv);
		x[1] = mont_mul_u64(x[1], x[1], n, ninv);
		if ((d >> i) & 1) {
			x[0] = mont_mul_u64(x[0], b[0], n, ninv);
			x[1] = mont_mul_u64(x[1], b[1], n, ninv);
		}
	}
	for (int j = 0; j < 2; j++) {
		uint64_t y = x[j];
		if (y == one || y == mone)
			continue;
		int r = 1;
		for (; r < s; r++) {
			y = mont_mul_u64(y, y, n, ninv);
			if (y == mone || y == one)
				break;
		}
		if (r >= s || y != mone)
			return 0;
	}
	return 1;
}

int prime_p_u64(uint64_t n)
{
	static const uint8_t small[] = { 3,  5,  7,  11, 13, 17, 19, 23,
					 29, 31, 37, 41, 43, 47, 53 };
	if (n < 4)
		return n >= 2;
	if ((n & 1) == 0)
		return 0;
	for (unsigned i = 0; i < sizeof small; i++) {
		if (n % small[i] == 0)
			return n == small[i];
	}
	if (n < 59 * 59)
		return 1;
	uint64_t ninv = mont_inv_u64(n);
	uint64_t one = mont_one_u64(n);
	if (!sprp2_u64(n, ninv, one))
		return 0;
	/* (n >= 59^2 here, above 2047, the smallest strong base-2
	 * pseudoprime: the base-2 test alone never decides) */
	/* below 4759123141 bases 2, 7, 61 decide (Jaeschke 1993, "On strong
	 * pseudoprimes to several bases"); cheaper than the Lucas step */
	if (n < 4759123141ull) {
		static const uint64_t b761[2] = { 7, 61 };
		return sprp_pair_u64(n, ninv, one, b761);
	}
	uint64_t r = isqrt_u64(n);
	if (r * r == n)
		return 0;
	return lucas_u64(n, ninv, one);
}

/* ---- Pollard-Brent rho ---- */

#define RHO_WORD uint64_t
#define RHO_BITS 64
#include "engine_rho_tmpl.h"

/*
 * Two Brent walks, y <- y^2 + c1 and y <- y^2 + c2, in lockstep with one
 * gcd per batch over both products.  A single walk waits on its own
 * squaring (each step depends on the last); the second walk fills those
 * waits, and the first of the two to collide mod p ends the search, after
 * about 1/sqrt(2) of one walk's expected steps.  When the batch's gcd is
 * n, each walk is backtracked from its saved point (at most a batch).
 * A factor of the odd composite n, or 0 after about max_iter steps.
 */
static uint64_t rho_back_u64(uint64_t n, uint64_t ninv, uint64_t one,
			     uint64_t x, uint64_t ys, uint64_t cm,
			     uint64_t steps)
{
	/* RHO_BACK steps per gcd; a chunk whose gcd is n again one by one */
	for (uint64_t i = 0; i < steps; i += RHO_BACK) {
		uint64_t len = steps - i < RHO_BACK ? steps - i : RHO_BACK;
		uint64_t y = ys, q = one;
		for (uint64_t j = 0; j < len; j++) {
			y = mont_add_u64(mont_mul_u64(y, y, n, ninv), cm, n);
			q = mont_mul_u64(q, mont_sub_u64(x, y, n), n, ninv);
		}
		uint64_t g = gcd_u64(q, n);
		if (g == 1) {
			ys = y;
			continue;
		}
		if (g != n)
			return g;
		for (uint64_t j = 0; j < len; j++) {
			ys = mont_add_u64(mont_mul_u64(ys, ys, n, ninv), cm, n);
			g = gcd_u64(mont_sub_u64(x, ys, n), n);
			if (g != 1)
				return g;
		}
		return n;
	}
	return 1;
}

static uint64_t rho2_u64(uint64_t n, uint64_t c1, uint64_t c2,
			 uint64_t max_iter)
{
	uint64_t ninv = mont_inv_u64(n);
	uint64_t one = mont_one_u64(n);
	uint64_t a1 = mont_to_u64(c1 % (n - 1) + 1, n);
	uint64_t a2 = mont_to_u64(c2 % (n - 1) + 1, n);
	uint64_t y1 = mont_add_u64(one, one, n), y2 = y1, x1 = y1, x2 = y2;
	uint64_t ys1 = y1, ys2 = y2, q1 = one, q2 = one, g = 1, done = 0;
	uint64_t lim = 0;
	for (uint64_t r = 1; g == 1; r <<= 1) {
		x1 = y1;
		x2 = y2;
		for (uint64_t i = 0; i < r; i++) {
			y1 = mont_add_u64(mont_mul_u64(y1, y1, n, ninv), a1, n);
			y2 = mont_add_u64(mont_mul_u64(y2, y2, n, ninv), a2, n);
		}
		for (uint64_t k = 0; k < r && g == 1; k += RHO_BATCH) {
			ys1 = y1;
			ys2 = y2;
			lim = r - k < RHO_BATCH ? r - k : RHO_BATCH;
			for (uint64_t i = 0; i < lim; i++) {
				y1 = mont_add_u64(mont_mul_u64(y1, y1, n, ninv),
						  a1, n);
				y2 = mont_add_u64(mont_mul_u64(y2, y2, n, ninv),
						  a2, n);
				q1 = mont_mul_u64(q1, mont_sub_u64(x1, y1, n),
						  n, ninv);
				q2 = mont_mul_u64(q2, mont_sub_u64(x2, y2, n),
						  n, ninv);
			}
			g = gcd_u64(mont_mul_u64(q1, q2, n, ninv), n);
			done += lim;
		}
		if (done > max_iter && g == 1)
			return 0;
	}
	if (g == n) {
		g = rho_back_u64(n, ninv, one, x1, ys1, a1, lim);
		if (g == 1 || g == n)
			g = rho_back_u64(n, ninv, one, x2, ys2, a2, lim);
	}
	return g > 1 && g < n ? g : 0;
}

/* ---- SQUFOF ---- */

/*
 * Shanks' square forms factorization (Gower and Wagstaff, "Square form
 * factorization", Math. Comp. 77, 2008): walk the continued fraction of
 * sqrt(k n) until a square form Q = r^2 appears at an even step, then walk
 * the reverse cycle from the inverse square root form until P repeats;
 * gcd(n, P) is then a factor.  Racing is replaced by trying the
 * multipliers k in turn with an iteration cap of about 3 (kn)^(1/4) each.
 * Needs k n < 2^62, so n < 2^50 here.
 */
static uint64_t squfof_try(uint64_t n, uint64_t k)
{
	uint64_t kn = k * n;
	uint64_t p0 = isqrt_u64(kn);
	if (p0 * p0 == kn)
		return 0;
	uint64_t bound = 3 * (uint64_t)sqrt(2.0 * (double)p0) + 64;
	uint64_t p = p0, qprev = 1, q = kn - p0 * p0, r = 0;
	uint64_t i;
	for (i = 2; i < bound; i++) {
		uint64_t b = (p0 + p) / q;
		uint64_t pn = b * q - p;
		/* p - pn may wrap; the sum is exact modulo 2^64 */
		uint64_t qn = qprev + b * (p - pn);
		qprev = q;
		q = qn;
		p = pn;
		if ((i & 1) == 0) {
			/* squares mod 64 are in {0,1,4,9,16,17,25,33,36,41,49,57} */
			if ((0x0202021202030213ull >> (q & 63)) & 1) {
				r = isqrt_u64(q);
				if (r * r == q)
					break;
			}
		}
	}
	if (i >= bound || r == 0)
		return 0;
	uint64_t b = (p0 - p) / r;
	p = b * r + p;
	qprev = r;
	q = (kn - p * p) / qprev;
	for (uint64_t j = 0; j < bound; j++) {
		b = (p0 + p) / q;
		uint64_t pn = b * q - p;
		if (pn == p)
			break;
		uint64_t qn = qprev + b * (p - pn);
		qprev = q;
		q = qn;
		p = pn;
	}
	uint64_t g = gcd_u64(n, p);
	return (g > 1 && g < n) ? g : 0;
}

uint64_t squfof_u64(uint64_t n)
{
	static const uint16_t mult[] = { 1,  3,  5,  7,   11,  15,  21,  33,
					 35, 55, 77, 105, 165, 231, 385, 1155 };
	if (n < 4 || (n & 1) == 0)
		return n >= 4 ? 2 : 0;
	if ((n >> 50) != 0)
		return 0;
	uint64_t r = isqrt_u64(n);
	if (r * r == n)
		return r;
	for (unsigned i = 0; i < sizeof mult / sizeof mult[0]; i++) {
		uint64_t g = gcd_u64(n, mult[i]);
		if (g > 1)
			return g < n ? g : 0;
		uint64_t f = squfof_try(n, mult[i]);
		if (f != 0)
			return f;
	}
	return 0;
}

/* ---- ECM ---- */

/*
 * The curve arithmetic, stage 1 ladders and stage 2 (struct curve64,
 * xdbl64, ladder64_plan, ecm64_stage2, ...): engine_ecm_tmpl.h.
 */
#define ECM_WORD uint64_t
#define ECM_BITS 64
#include "engine_ecm_tmpl.h"

/*
 * B1 and B2 by the size of n, for a balanced split (measured on sets of
 * 200 semiprimes of 44 to 60 bits and on S64: the optimum is flat within
 * about 15% around these values).
 */
static void ecm64_bounds(uint64_t n, unsigned *b1, unsigned *b2)
{
	static const struct {
		int bits;
		unsigned b1, mult;
	} table[] = { { 44, 70, 25 },  { 48, 100, 25 }, { 52, 140, 25 },
		      { 56, 140, 25 }, { 60, 140, 50 }, { 64, 200, 50 } };
	int bits = 64 - __builtin_clzll(n);
	unsigned i = 0;
	while (i + 1 < sizeof table / sizeof table[0] && bits > table[i].bits)
		i++;
	*b1 = table[i].b1;
	*b2 = table[i].b1 * table[i].mult;
}

uint64_t ecm_u64_from(uint64_t n, unsigned first, unsigned curves,
		      uint64_t seed)
{
	if (n < 4 || (n & 1) == 0)
		return n >= 4 ? 2 : 0;
	unsigned b1, b2;
	ecm64_bounds(n, &b1, &b2);
	return ecm64_curves(n, ecm_plan_get(b1, b2), first, curves, seed);
}

uint64_t ecm_u64(uint64_t n, unsigned curves, uint64_t seed)
{
	return ecm_u64_from(n, ECM_Z28_COUNT, curves, seed);
}

/* ---- driver ---- */

/* A non-trivial factor of the odd composite n (not a square), or 0. */
static uint64_t split_u64(uint64_t n, uint64_t *rng, struct small_deadline *dl)
{
	if (64 - __builtin_clzll(n) > ECM_MIN_BITS) {
		for (int round = 0; round < ECM_ROUNDS; round++) {
			uint64_t f = ecm_u64_from(n,
						  (unsigned)round * ECM_CURVES,
						  ECM_CURVES, engine_rand(rng));
			if (f != 0)
				return f;
			if (small_deadline_expired(dl))
				return 0;
		}
	}
	for (;;) {
		uint64_t c1 = engine_rand(rng);
		uint64_t f = rho2_u64(n, c1, engine_rand(rng), 1u << 16);
		if (f != 0)
			return f;
		if (small_deadline_expired(dl))
			return 0;
	}
}

/*
 * Steps 2-3 for n > 1 whose prime factors are all >= bound (bound <=
 * 2^32): the work stack, into out (not reset).
 */
static int factor_u64_rest(uint64_t n, uint64_t bound,
			   struct small_factors *out, struct small_deadline *dl)
{
	uint64_t rng = dl != NULL && dl->params != NULL ? dl->params->seed : 1;
	uint64_t stack[FACTOR_STACK];
	int top = 0, status = STATUS_OK;
	stack[top++] = n;
	while (top > 0) {
		uint64_t m = stack[--top];
		if (m < bound * bound || prime_p_u64(m)) {
			small_factors_add(out, m, 1, 0);
			continue;
		}
		uint64_t r = isqrt_u64(m);
		if (r * r == m) {
			stack[top++] = r;
			stack[top++] = r;
			continue;
		}
		uint64_t f = split_u64(m, &rng, dl);
		if (f == 0) {
			small_factors_add(out, m, 1, 1);
			status = STATUS_PARTIAL;
			continue;
		}
		stack[top++] = f;
		stack[top++] = m / f;
	}
	return status;
}

int factor_u64_append(uint64_t n, struct small_factors *out,
		      struct small_deadline *dl)
{
	if (n <= 1)
		return STATUS_OK;
	uint64_t bound = tdiv_u64(&n, out, TDIV_BOUND_U64);
	if (n == 1)
		return STATUS_OK;
	return factor_u64_rest(n, bound, out, dl);
}

int factor_u64_rough(uint64_t n, uint64_t bound, struct small_factors *out,
		     const struct engine_params *params)
{
	struct small_deadline dl;
	/* the splitters expect no factor the trial division would find */
	if (bound < tdiv_prime(TDIV_BOUND_U64))
		return factor_u64(n, out, params);
	out->n = 0;
	if (n <= 1)
		return STATUS_OK;
	small_deadline_init(&dl, params);
	return factor_u64_rest(n, bound, out, &dl);
}

int factor_u64(uint64_t n, struct small_factors *out,
	       const struct engine_params *params)
{
	struct small_deadline dl;
	out->n = 0;
	small_deadline_init(&dl, params);
	return factor_u64_append(n, out, &dl);
}

int factor_u64_until(uint64_t n, struct small_factors *out,
		     const struct engine_params *params, double deadline)
{
	struct small_deadline dl;
	out->n = 0;
	small_deadline_init_at(&dl, params, deadline);
	return factor_u64_append(n, out, &dl);
}
