/*
 * engine_u128.c - the 128-bit tier: factor n < 2^128 in two-word
 * arithmetic (unsigned __int128).
 *
 * Arithmetic: Montgomery form with R = 2^128 (engine_mont.h): a full
 * 128x128 -> 256-bit product from four 64x64 products, then REDC with the
 * positive inverse n^-1 mod 2^128.
 *
 * Primality (prime_p_u128): BPSW, the 64-bit tier's test over two words
 * (engine_bpsw_tmpl.h: strong base-2 test, then strong Lucas with
 * Selfridge method A, squares rejected first); numbers below 2^64 go
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
 * composites (MIX) and balanced semiprimes (S96, S128), where every curve
 * before SIQS is lost.  A curve is run while P(it finds a factor | every
 * earlier curve failed) * SIQS's cost on c exceeds the curve's cost, P
 * from a model of the smallest prime factor of a random composite
 * (Buchstab's function) and of a curve's success (Dickman's rho and the
 * semi-smooth integral), under a prior half random, half balanced; the
 * counts in split_plans were then set by instruction counts on MIX, S96
 * and S128.  SIQS takes over from SIQS_MIN_BITS128 bits (below, ECM-128
 * is cheaper, and it allocates nothing).  Pollard rho is not run: one
 * B1 = 150 curve finds every factor below 2^16 (its group order over 12
 * is below B2) and most below 2^20.  The model, the measured costs and
 * what each row of split_plans was checked against: engine_NOTES.md.
 *
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
	RHO_BATCH = 64,        /* differences multiplied per gcd */
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
	static const uint8_t small[] = { 3,  5,  7,  11, 13, 17, 19,
					 23, 29, 31, 37, 41, 43, 47 };
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

#define RHO_WORD u128
#define RHO_BITS 128
#include "engine_rho_tmpl.h"

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
	} table[] = { { 70, 300 },   { 80, 500 },   { 90, 600 },  { 100, 800 },
		      { 110, 1200 }, { 120, 2000 }, { 128, 3000 } };
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
	static const unsigned ks[] = { 3, 5, 7, 11 };
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
	if (siqs_factor(f, z, &sp) == STATUS_FOUND &&
	    mpz_sizeinbase(f, 2) <= 128) {
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
 * S96 and S128 (engine_NOTES.md).
 */
static const struct split_plan {
	int max_bits;
	unsigned c150, c400;
} split_plans[] = {
	{ 109, 1, 0 }, /* SIQS 0.4-1.3 ms: one cheap curve */
	{ 128, 4, 0 }, /* SIQS 3-10 ms: B1 = 400 curves cost more than the
		      * SIQS runs they save */
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
	const unsigned b1[2] = { 150, 400 }, curves[2] = { pl->c150, pl->c400 };
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
