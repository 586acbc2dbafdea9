/*
 * engine_u128.c - the 128-bit tier: factor n < 2^128 in two-word
 * arithmetic (unsigned __int128).
 *
 * Arithmetic: Montgomery form with R = 2^128 (engine_mont.h): a full
 * 128x128 -> 256-bit product from four 64x64 products, then REDC with the
 * positive inverse n^-1 mod 2^128.
 *
 * Primality (prime_p_u128): BPSW as in the 64-bit tier (strong base-2
 * test, then strong Lucas with Selfridge method A); numbers below 2^64 go
 * to prime_p_u64, where the answer is proven.  Above 2^64 no BPSW
 * pseudoprime is known.
 *
 * Factoring (factor_u128), cheap steps first:
 *   1. trial division by the first TDIV_BOUND_U128 primes (to 997);
 *   2. a work stack of composites; any cofactor below 2^64 is handed to
 *      factor_u64_append at once (the proven 64-bit tier);
 *   3. cofactors above 2^64: BPSW, integer square root (squares), integer
 *      k-th roots for odd prime k <= 11 (perfect powers: SIQS assumes
 *      none), then split_u128:
 *        a. ECM-128 curves at B1 = 150, then 400 (B2 = 50 B1), as many
 *           as split_plans gives for the cofactor's size;
 *        b. from SIQS_MIN_BITS128 = 68 bits SIQS (siqs.c), ECM again if
 *           SIQS declines; below: ECM-128 at B1 = ecm128_b1(c), a
 *           balanced split's level, until a factor (or the deadline).
 *      ECM-128 is the 64-bit tier's micro-ECM over two-word residues
 *      (same curves, ladder and stage 2: one source for both tiers,
 *      engine_ecm_tmpl.h instantiated with ECM_WORD = u128).
 *
 * Strategy: the split of a composite cofactor c of b = 65..128 bits is
 * tuned for expected total time over both kinds of input, random
 * composites (MIX: 675 of its 2000 numbers leave such a cofactor) and
 * balanced semiprimes (S96, S128), where every curve before SIQS is lost.
 *   Model.  After trial division to 2^a, the smallest prime factor
 *   p = 2^k of a random composite c of b bits has density proportional to
 *   omega(b/k - 1) / k^2 on [a, b/2] (Buchstab: the n <= x whose least
 *   prime factor is p number about (x/p) omega(u) / ln p, u = ln(x/p) /
 *   ln p; omega = 1/u on [1, 2], (1 + ln(u - 1))/u on [2, 3], ~e^-gamma
 *   above, so far from b/2, P(p < 2^k | p > 2^a) = 1 - a/k as Mertens
 *   gives).  A Suyama curve finds p when p/23.4 is B1-smooth but for one
 *   prime up to B2 (Dickman's rho and the semi-smooth integral; the same
 *   model gives GMP-ECM's 30 curves at B1 = 2000 for 15 digits), and it
 *   also succeeds on the cofactor c/p.  A curve is worth running while
 *   P(it finds a factor | every earlier curve failed) * SIQS(b) exceeds
 *   its cost (SIQS(b) below).  On MIX the model's first-curve odds
 *   (B1 = 150: 23%, 18%, 16% at 76, 98, 120 bits) are within 1.5x of
 *   those measured (18%, 13%, 8.5%).  For random composites alone it asks
 *   for 9-11 curves before SIQS at 80-100 bits (S96 +40%); with a
 *   half-balanced prior, 2 at B1 = 150 below 104 bits, 3-7 above (1
 *   below 110 bits once SIQS got twice as fast there):
 *   split_plans, whose B1 = 400 counts were then set by measurement (MIX
 *   per-curve success 6-9% for the first 8 curves above 110 bits; each
 *   row's cost on the other set).
 *   Measured costs (CPU, this machine): an ECM-128 curve 62 us at
 *   B1 = 150, 147 at 400, 360 at 1000; SIQS (9531482) 0.6 ms at 66 bits,
 *   0.8 at 74, 1.15 at 82, 1.3 at 86, 1.75 at 96, 2.8 at 100, 3.9 at 110,
 *   11 at 128; ECM to a factor on balanced semiprimes 0.3 ms at 66 bits,
 *   0.55 at 70, 0.9 at 74, 1.2 at 78, 1.9 at 82, 4.3 at 86.  So SIQS
 *   took over at 74 bits (72 and 76 ran the same MIX instructions, 80 4%
 *   more, the old 86 9% more); with 0938295's SIQS, balanced 66-bit
 *   semiprimes cost 0.37 ms CPU by SIQS against 0.55 by ECM (70 bits:
 *   0.57 / 0.85; callgrind 2.0M / 3.9M instructions each) and MIX runs
 *   3.8% fewer instructions with SIQS from 65 bits than from 74 (70:
 *   2.8%).  SIQS starts at 68 bits: the cofactors just above 2^64 stay
 *   with ECM-128, which allocates nothing (SIQS does; test_engine's
 *   small_numbers_reuse_the_result factors 2^64 + 1 .. 2^64 + 200 without
 *   a GMP allocation), for under 1% of MIX.
 *   Pollard-Brent rho is no longer run here: a failing 2048-step rho cost
 *   190-240 us (9% of S96) and its length was best at zero (MIX
 *   instructions 4.36, 4.27, 4.23, 4.14 G at 512, 256, 128, 0 steps; S96
 *   4.53, 4.47, 4.44, 4.41 G): one B1 = 150 curve finds every factor
 *   below 2^16 (its group order over 12 is below B2) and most below 2^20.
 *   Trial division further (to 4093 or 16381) changed MIX by under 0.5%.
 *   Above 110 bits, dropping the 8 curves at B1 = 1000 saved 16% of S128
 *   and 4% of MIX (2.9% success a curve, under cost/SIQS); 8 instead of
 *   12 curves at B1 = 400, 4% of S128 for 0.3% of MIX; with 0938295's
 *   SIQS, 4 instead of 8, 6% of S128 for 1.6% of MIX; with de52967's SIQS,
 *   none at B1 = 400 (split_plans).
 *   A 128-bit REDC costs 13 ns against 3.1 ns for 64 bits, so ECM-128
 *   pays four times more per curve than ECM-64.
 * Seeds, deadline and STATUS_PARTIAL behave as in engine_u64.c.
 */
#include "engine_ecm_plan.h"
#include "engine_int.h"
#include "engine_mont.h"
#include "siqs.h"
#include "status.h"

#include <math.h>

enum {
	TDIV_BOUND_U128 = 168, /* primes tried by trial division (up to 997) */
	RHO_BATCH128 = 64,
	FACTOR_STACK128 = 130,
	ECM_CURVES128 = 4,    /* curves per deadline poll */
	SIQS_MIN_BITS128 = 68 /* SIQS from here (see the top comment) */
};

/* ---- primality ---- */

#define BPSW_WORD u128
#define BPSW_BITS 128
#include "engine_bpsw_tmpl.h"

static u128 isqrt_u128(u128 n)
{
	u128 r = (u128)sqrtl((long double)n);
	const u128 max = UINT64_MAX;
	if (r > max)
		r = max;
	while (r * r > n)
		r--;
	while (r + 1 <= max && (r + 1) * (r + 1) <= n)
		r++;
	return r;
}

int prime_p_u128(u128 n)
{
	if ((n >> 64) == 0)
		return prime_p_u64((uint64_t)n);
	if ((n & 1) == 0)
		return 0;
	/* 3*5*7*11*13*17*19*23*29*31*37*41*43*47 < 2^64 */
	uint64_t r = (uint64_t)(n % 307444891294245705ull);
	static const uint8_t small[] = {3,  5,  7,  11, 13, 17, 19,
					23, 29, 31, 37, 41, 43, 47};
	for (unsigned i = 0; i < sizeof small; i++) {
		if (r % small[i] == 0)
			return 0;
	}
	u128 ninv = mont_inv_u128(n);
	u128 one = mont_one_u128(n);
	if (!sprp2_u128(n, ninv, one))
		return 0;
	u128 s = isqrt_u128(n);
	if (s * s == n)
		return 0;
	return lucas_u128(n, ninv, one);
}

/* ---- Pollard-Brent rho ---- */

u128 rho_u128(u128 n, uint64_t c, uint64_t max_iter)
{
	if (n < 4 || (n & 1) == 0)
		return (n >= 4) ? 2 : 0;
	u128 ninv = mont_inv_u128(n);
	u128 one = mont_one_u128(n);
	u128 cm = mont_to_u128((u128)c % (n - 1) + 1, n);
	u128 y = mont_add_u128(one, one, n), x = y, ys = y;
	u128 q = one, g = 1;
	uint64_t done = 0;
	for (uint64_t r = 1; g == 1; r <<= 1) {
		x = y;
		for (uint64_t i = 0; i < r; i++)
			y = mont_add_u128(mont_mul_u128(y, y, n, ninv), cm, n);
		for (uint64_t k = 0; k < r && g == 1; k += RHO_BATCH128) {
			ys = y;
			uint64_t lim =
			    r - k < RHO_BATCH128 ? r - k : RHO_BATCH128;
			for (uint64_t i = 0; i < lim; i++) {
				y = mont_add_u128(mont_mul_u128(y, y, n, ninv),
						  cm, n);
				q = mont_mul_u128(q, mont_sub_u128(x, y, n), n,
						  ninv);
			}
			g = gcd_u128(q, n);
			done += lim;
		}
		if (done > max_iter && g == 1)
			return 0;
	}
	if (g == n) {
		do {
			ys = mont_add_u128(mont_mul_u128(ys, ys, n, ninv), cm,
					   n);
			g = gcd_u128(mont_sub_u128(x, ys, n), n);
		} while (g == 1);
	}
	return g == n ? 0 : g;
}

/* ---- ECM-128 ---- */

/*
 * The curve arithmetic, stage 1 ladders and stage 2 (struct curve128,
 * xdbl128, ladder128_plan, ecm128_stage2, ...): engine_ecm_tmpl.h.
 */
#define ECM_WORD u128
#define ECM_BITS 128
#include "engine_ecm_tmpl.h"

/* Bits of n > 0. */
static int bits_u128(u128 n)
{
	return (n >> 64) ? 128 - __builtin_clzll((uint64_t)(n >> 64))
			 : 64 - __builtin_clzll((uint64_t)n);
}

/* B1 for a balanced split of n (factors near sqrt(n)); B2 = 50 B1. */
static unsigned ecm128_b1(u128 n)
{
	int bits = bits_u128(n);
	static const struct {
		int bits;
		unsigned b1;
	} table[] = {{70, 300}, {80, 500}, {90, 600}, {100, 800},
		     {110, 1200}, {120, 2000}, {128, 3000}};
	for (unsigned i = 0; i < sizeof table / sizeof table[0]; i++) {
		if (bits <= table[i].bits)
			return table[i].b1;
	}
	return 3000;
}

/*
 * Up to curves curves with bounds (b1, 50 b1), numbered from *next (which
 * moves past them); a factor or 0.
 */
static u128 ecm128_run(u128 n, unsigned b1, unsigned *next, unsigned curves,
		       uint64_t seed)
{
	unsigned first = *next;
	*next += curves;
	return ecm128_curves(n, ecm_plan_get(b1, 50 * b1), first, curves, seed);
}

u128 ecm_u128_from(u128 n, unsigned first, unsigned curves, uint64_t seed)
{
	if (n < 4 || (n & 1) == 0)
		return n >= 4 ? 2 : 0;
	return ecm128_run(n, ecm128_b1(n), &first, curves, seed);
}

u128 ecm_u128(u128 n, unsigned curves, uint64_t seed)
{
	return ecm_u128_from(n, ECM_Z28_COUNT, curves, seed);
}

/* base^k, or 0 when it reaches 2^128. */
static u128 pow_u128(u128 base, unsigned k)
{
	u128 r = 1;
	for (unsigned i = 0; i < k; i++) {
		if (base != 0 && r > ~(u128)0 / base)
			return 0;
		r *= base;
	}
	return r;
}

/*
 * r with r^k = n for an odd prime k <= 11, or 0.  After trial division
 * to 997 a 128-bit perfect power has a root above 1000, so k <= 12; SIQS
 * must never see one (it assumes n is not a perfect power).
 */
static u128 perfect_power_u128(u128 n, unsigned *k_out)
{
	static const unsigned ks[] = {3, 5, 7, 11};
	for (unsigned i = 0; i < sizeof ks / sizeof ks[0]; i++) {
		unsigned k = ks[i];
		long double x = powl((long double)n, 1.0L / (long double)k);
		u128 r = (u128)(x + 0.5L);
		for (u128 c = r > 1 ? r - 1 : 1; c <= r + 1; c++) {
			if (pow_u128(c, k) == n) {
				*k_out = k;
				return c;
			}
		}
	}
	return 0;
}

/* SIQS (siqs.c) on n; a factor or 0 (declined, failed or stopped). */
static u128 siqs_u128(u128 n, uint64_t seed, const struct small_deadline *dl)
{
	mpz_t z, f;
	struct siqs_params sp;
	u128 res = 0;
	mpz_inits(z, f, NULL);
	mpz_set_u128(z, n);
	siqs_params_init(&sp);
	sp.seed = seed;
	if (dl->params != NULL) {
		sp.stop = dl->params->stop;
		sp.stop_arg = dl->params->stop_arg;
	}
	if (dl->end > 0)
		sp.deadline = dl->end;
	if (siqs_factor(f, z, &sp) == STATUS_FOUND && mpz_sizeinbase(f, 2) <= 128) {
		res = mpz_get_u128(f);
		if (res <= 1 || res >= n || n % res != 0)
			res = 0;
	}
	mpz_clears(z, f, NULL);
	return res;
}

/*
 * What split_u128 spends on a composite cofactor of up to max_bits bits
 * before its last method: ECM-128 curves at B1 = 150 and at B1 = 400
 * (B2 = 50 B1), then SIQS (from SIQS_MIN_BITS128 bits) or ECM-128 at the
 * balanced level.  The counts follow the rule of the top comment (a curve
 * is run while P(it finds a factor) * SIQS's cost > its cost, under the
 * mixture prior); each row was then checked by instruction counts on MIX,
 * S96 and S128.
 */
static const struct split_plan {
	int max_bits;
	unsigned c150, c400;
} split_plans[] = {
	{109, 1, 0}, /* SIQS 0.4-1.3 ms (bfca0b7's SIQS); a B1 = 400 curve
		      * at 91-109 bits: 13% of S96 for 0.5% of MIX; the
		      * second B1 = 150 curve (model: ~5% odds under the
		      * mixture prior x 1 ms < its 62 us) 6.6% of S96 for
		      * 1.1% of MIX (cachegrind, 100 S96 numbers and MIX) */
	{128, 4, 0}, /* SIQS 3-10 ms; curves 5-8 at B1 = 400: 6% of S128
		      * for 1.6% of MIX; with bfca0b7's SIQS (6-7 ms at 128
		      * bits) curves 3-4 at B1 = 400 still cost S128 3.7% for
		      * 1.3% of MIX, all four 7.3% for 4.1%: kept then, as the
		      * model's 3.5% odds x 7 ms exceeded a curve's 147 us.
		      * With de52967's SIQS (3.5 ms at 128 bits) the four
		      * B1 = 400 curves cost more than the SIQS runs they
		      * save on MIX too: dropped (cachegrind, whole sets:
		      * S128 5.67G -> 5.22G instructions, MIX 2.55G ->
		      * 2.47G; 2 of them: 5.45G, 2.50G; a fifth B1 = 150
		      * curve instead: 5.27G, 2.49G; three: 5.18G, 2.53G) */
};

/*
 * A non-trivial factor of the odd composite n > 2^64 (not a square), or 0
 * when the deadline fired: the plan's ECM curves, then SIQS from
 * SIQS_MIN_BITS128 bits on (ECM again if SIQS declines), below it ECM-128
 * at the balanced level until a factor.
 */
static u128 split_u128(u128 n, uint64_t *rng, struct small_deadline *dl)
{
	u128 f;
	int bits = bits_u128(n);
	unsigned ip = 0; /* the last row covers 128 bits */
	while (ip + 1 < sizeof split_plans / sizeof split_plans[0] &&
	       bits > split_plans[ip].max_bits)
		ip++;
	const struct split_plan *pl = &split_plans[ip];
	const unsigned b1[2] = {150, 400}, curves[2] = {pl->c150, pl->c400};
	unsigned next = 0; /* the cofactor's curves, numbered across calls */
	for (unsigned i = 0; i < 2; i++) {
		if (curves[i] == 0)
			continue;
		f = ecm128_run(n, b1[i], &next, curves[i], engine_rand(rng));
		if (f != 0)
			return f;
		if (small_deadline_expired(dl))
			return 0;
	}
	if (bits >= SIQS_MIN_BITS128) {
		f = siqs_u128(n, engine_rand(rng), dl);
		if (f != 0 || small_deadline_expired(dl))
			return f;
	}
	unsigned top = ecm128_b1(n);
	for (;;) {
		f = ecm128_run(n, top, &next, ECM_CURVES128, engine_rand(rng));
		if (f != 0)
			return f;
		if (small_deadline_expired(dl))
			return 0;
	}
}

int factor_u128(u128 n, struct small_factors *out,
		const struct engine_params *params)
{
	return factor_u128_until(n, out, params, engine_deadline(params));
}

int factor_u128_until(u128 n, struct small_factors *out,
		      const struct engine_params *params, double deadline)
{
	struct small_deadline dl;
	out->n = 0;
	small_deadline_init_at(&dl, params, deadline);
	if (n <= 1)
		return STATUS_OK;
	if ((n >> 64) == 0)
		return factor_u64_append((uint64_t)n, out, &dl);
	uint64_t bound = tdiv_u128(&n, out, TDIV_BOUND_U128);
	uint64_t rng = params != NULL ? params->seed : 1;
	u128 stack[FACTOR_STACK128];
	int top = 0, status = STATUS_OK;
	if (n > 1)
		stack[top++] = n;
	while (top > 0) {
		u128 m = stack[--top];
		if ((m >> 64) == 0) {
			if (factor_u64_append((uint64_t)m, out, &dl) !=
			    STATUS_OK)
				status = STATUS_PARTIAL;
			continue;
		}
		if ((u128)bound * bound > m || prime_p_u128(m)) {
			small_factors_add(out, m, 1, 0);
			continue;
		}
		u128 r = isqrt_u128(m);
		if (r * r == m) {
			stack[top++] = r;
			stack[top++] = r;
			continue;
		}
		unsigned k;
		r = perfect_power_u128(m, &k);
		if (r != 0) {
			for (unsigned i = 0; i < k; i++)
				stack[top++] = r;
			continue;
		}
		u128 f = split_u128(m, &rng, &dl);
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
