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
 *      none), then
 *      split_u128: a short Pollard-Brent rho (RHO_SHORT128 iterations) for
 *      small factors, then ECM-128 with rising B1 (150, 400, 1000 while
 *      below the size's level), then
 *        - below SIQS_MIN_BITS128 bits: ECM-128 at B1 = ecm128_b1(c), a
 *          balanced split's level, until a factor (or the deadline);
 *        - from SIQS_MIN_BITS128 bits: SIQS (siqs.c), more ECM first
 *          for cofactors above 2^110 where SIQS is slow; ECM again if
 *          SIQS declines.
 *      ECM-128 is the 64-bit tier's micro-ECM over two-word residues
 *      (same curves, ladder and D = 120 stage 2; the code is kept
 *      parallel to engine_u64.c on purpose).
 *   Measured (CPU time, this machine under load, balanced semiprimes):
 *   70 bits ECM 0.9 ms / SIQS 3.1 ms; 80 bits 2.2 / 3.6; 88 bits 4.3 /
 *   4.4; 96 bits (S96) 11-14 / 5.8; 128 bits (S128) 285 / 36 ms.  A
 *   128-bit REDC costs 13 ns against 3.1 ns for 64 bits, so ECM-128 pays
 *   four times more per curve than ECM-64.
 * Seeds, deadline and STATUS_PARTIAL behave as in engine_u64.c.
 */
#include "engine_int.h"
#include "engine_mont.h"
#include "siqs.h"
#include "status.h"

#include <math.h>

enum {
	TDIV_BOUND_U128 = 168, /* primes tried by trial division (up to 997) */
	RHO_BATCH128 = 64,
	FACTOR_STACK128 = 130,
	RHO_SHORT128 = 2048,  /* rho iterations before ECM */
	ECM_CURVES128 = 4,    /* curves per deadline poll */
	SIQS_MIN_BITS128 = 86 /* SIQS beats ECM above (balanced factors) */
};

/* splitmix64: the seeded generator for every random choice. */
static uint64_t next_rand128(uint64_t *state)
{
	uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

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

struct curve128 {
	u128 n, ninv, a24;
};

static inline void xdbl128(u128 *x, u128 *z, u128 px, u128 pz,
			  const struct curve128 *c)
{
	u128 n = c->n, ninv = c->ninv;
	u128 s = mont_add_u128(px, pz, n), d = mont_sub_u128(px, pz, n);
	s = mont_mul_u128(s, s, n, ninv);
	d = mont_mul_u128(d, d, n, ninv);
	u128 t = mont_sub_u128(s, d, n);
	*x = mont_mul_u128(s, d, n, ninv);
	*z = mont_mul_u128(
	    t, mont_add_u128(d, mont_mul_u128(c->a24, t, n, ninv), n), n, ninv);
}

/* (x:z) = P + Q given D = P - Q. */
static inline void xadd128(u128 *x, u128 *z, u128 px, u128 pz,
			  u128 qx, u128 qz, u128 dx, u128 dz,
			  const struct curve128 *c)
{
	u128 n = c->n, ninv = c->ninv;
	u128 u = mont_mul_u128(mont_sub_u128(px, pz, n),
				  mont_add_u128(qx, qz, n), n, ninv);
	u128 v = mont_mul_u128(mont_add_u128(px, pz, n),
				  mont_sub_u128(qx, qz, n), n, ninv);
	u128 s = mont_add_u128(u, v, n), d = mont_sub_u128(u, v, n);
	*x = mont_mul_u128(dz, mont_mul_u128(s, s, n, ninv), n, ninv);
	*z = mont_mul_u128(dx, mont_mul_u128(d, d, n, ninv), n, ninv);
}

/* (x:z) = P + Q given D = P - Q = (dx : 1). */
static inline void xadd128_z1(u128 *x, u128 *z, u128 px,
			     u128 pz, u128 qx, u128 qz, u128 dx,
			     const struct curve128 *c)
{
	u128 n = c->n, ninv = c->ninv;
	u128 u = mont_mul_u128(mont_sub_u128(px, pz, n),
				  mont_add_u128(qx, qz, n), n, ninv);
	u128 v = mont_mul_u128(mont_add_u128(px, pz, n),
				  mont_sub_u128(qx, qz, n), n, ninv);
	u128 s = mont_add_u128(u, v, n), d = mont_sub_u128(u, v, n);
	*x = mont_mul_u128(s, s, n, ninv);
	*z = mont_mul_u128(dx, mont_mul_u128(d, d, n, ninv), n, ninv);
}

/*
 * Montgomery ladder: (x0:z0) <- k*P and (x1:z1) <- (k+1)*P for P =
 * (px:pz), k >= 1.
 */
static void ladder128(u128 *x0, u128 *z0, u128 *x1, u128 *z1,
		     u128 px, u128 pz, uint64_t k,
		     const struct curve128 *c)
{
	u128 ax = px, az = pz, bx, bz;
	xdbl128(&bx, &bz, px, pz, c);
	for (int i = 62 - __builtin_clzll(k); i >= 0; i--) {
		if ((k >> i) & 1) {
			xadd128(&ax, &az, ax, az, bx, bz, px, pz, c);
			xdbl128(&bx, &bz, bx, bz, c);
		} else {
			xadd128(&bx, &bz, ax, az, bx, bz, px, pz, c);
			xdbl128(&ax, &az, ax, az, c);
		}
	}
	*x0 = ax;
	*z0 = az;
	*x1 = bx;
	*z1 = bz;
}

/*
 * (x:z) <- k*(px:1) for the plan's multi-word odd k, by one ladder whose
 * difference point has Z = 1 (one multiplication saved per bit).
 */
static void ladder128_plan(u128 *x, u128 *z, u128 px,
			  u128 one, const struct ecm_plan *pl,
			  const struct curve128 *c)
{
	u128 x0 = px, z0 = one, x1, z1, prev = 0;
	xdbl128(&x1, &z1, x0, z0, c);
	int i = pl->ktop - 1;
	for (unsigned w = 0; w < pl->nk; w++, i = 63) {
		uint64_t word = pl->k[w];
		for (; i >= 0; i--) {
			/* branch-free: swap the pair when the bit changes */
			u128 bit = (word >> i) & 1;
			u128 mask = 0 - (bit ^ prev);
			u128 tx = (x0 ^ x1) & mask, tz = (z0 ^ z1) & mask;
			x0 ^= tx;
			x1 ^= tx;
			z0 ^= tz;
			z1 ^= tz;
			prev = bit;
			xadd128_z1(&x1, &z1, x0, z0, x1, z1, px, c);
			xdbl128(&x0, &z0, x0, z0, c);
		}
	}
	u128 mask = 0 - prev;
	*x = (x0 & ~mask) | (x1 & mask);
	*z = (z0 & ~mask) | (z1 & mask);
}

/* a^-1 mod n (n odd), or 0 when gcd(a, n) > 1. */
static u128 inverse_u128(u128 a, u128 n)
{
	u128 r0 = n, r1 = a % n;
	u128 t0 = 0, t1 = 1; /* |coefficients|, signs alternate */
	int neg = 0;
	while (r1 != 0) {
		/* quotient 1 is the most common (41.5%): skip the division */
		u128 q = 1, r2 = r0 - r1;
		if (r2 >= r1) {
			q = r0 / r1;
			r2 = r0 - q * r1;
		}
		u128 t2 = t0 + q * t1;
		r0 = r1;
		r1 = r2;
		t0 = t1;
		t1 = t2;
		neg = !neg;
	}
	if (r0 != 1)
		return 0;
	return neg ? t0 : n - t0;
}

/* Per-modulus constants: R mod n and R^3 mod n. */
struct mod128 {
	u128 one, r3;
};

/*
 * Montgomery inverse: a*R -> a^-1*R.  0 when gcd(a, n) > 1 (then
 * gcd(am, n) is a factor or n).
 */
static u128 mont_inverse128(u128 am, const struct curve128 *c,
			       const struct mod128 *m)
{
	u128 y = inverse_u128(am, c->n); /* a^-1 R^-1 */
	if (y == 0)
		return 0;
	return mont_mul_u128(y, m->r3, c->n, c->ninv);
}

/*
 * Suyama's parametrization (group order divisible by 12):
 * u = s^2 - 5, v = 4s, P = (u^3 : v^3), a24 = (v-u)^3 (3u+v) / (16 u^3 v).
 * One inversion of 16 u^3 v^4 gives both a24 and the affine x = u^3/v^3.
 * Returns 1 with the curve set, 0 on a degenerate sigma, or stores a
 * factor of n in *f when the denominator is not invertible.
 */
static int curve128_init(struct curve128 *c, u128 *px, uint64_t sigma,
			const struct mod128 *md, u128 *f)
{
	u128 n = c->n, ninv = c->ninv;
	u128 s = mont_mul_u128(sigma % n, md->r3, n, ninv);
	s = mont_mul_u128(s, 1, n, ninv); /* sigma*R^2 -> sigma*R */
	u128 five = mont_add_u128(md->one, md->one, n);
	five = mont_add_u128(mont_add_u128(five, five, n), md->one, n);
	u128 u = mont_sub_u128(mont_mul_u128(s, s, n, ninv), five, n);
	u128 v = mont_add_u128(s, s, n);
	v = mont_add_u128(v, v, n);
	u128 u3 = mont_mul_u128(mont_mul_u128(u, u, n, ninv), u, n, ninv);
	u128 v3 = mont_mul_u128(mont_mul_u128(v, v, n, ninv), v, n, ninv);
	u128 vmu = mont_sub_u128(v, u, n);
	u128 num = mont_mul_u128(mont_mul_u128(vmu, vmu, n, ninv), vmu, n,
				    ninv);
	u128 t = mont_add_u128(mont_add_u128(u, u, n), u, n);
	num = mont_mul_u128(num, mont_add_u128(t, v, n), n, ninv);
	u128 den = mont_mul_u128(u3, v, n, ninv);
	for (int i = 0; i < 4; i++)
		den = mont_add_u128(den, den, n);
	u128 prod = mont_mul_u128(den, v3, n, ninv);
	if (prod == 0)
		return 0;
	u128 inv = mont_inverse128(prod, c, md);
	if (inv == 0) {
		u128 g = gcd_u128(prod, n);
		if (g > 1 && g < n)
			*f = g;
		return 0;
	}
	c->a24 = mont_mul_u128(mont_mul_u128(num, v3, n, ninv), inv, n, ninv);
	*px = mont_mul_u128(mont_mul_u128(u3, den, n, ninv), inv, n, ninv);
	return 1;
}

/*
 * Batched inversion (Montgomery's trick) of z[0..k-1] in place, with
 * x[i] <- x[i]/z[i]: 3(k-1) multiplications and one inversion.  Returns 0
 * when some z[i] is not invertible: then *f gets a factor of n if the
 * product of the z[i] shares a proper one.
 */
static int normalize128(u128 *x, const u128 *z, u128 *pre,
		       unsigned k, const struct curve128 *c,
		       const struct mod128 *md, u128 *f)
{
	u128 n = c->n, ninv = c->ninv;
	pre[0] = z[0];
	for (unsigned i = 1; i < k; i++)
		pre[i] = mont_mul_u128(pre[i - 1], z[i], n, ninv);
	u128 inv = mont_inverse128(pre[k - 1], c, md);
	if (inv == 0) {
		u128 g = gcd_u128(pre[k - 1], n);
		if (g > 1 && g < n)
			*f = g;
		return 0;
	}
	for (unsigned i = k - 1; i > 0; i--) {
		u128 zi = mont_mul_u128(inv, pre[i - 1], n, ninv);
		inv = mont_mul_u128(inv, z[i], n, ninv);
		x[i] = mont_mul_u128(x[i], zi, n, ninv);
	}
	x[0] = mont_mul_u128(x[0], inv, n, ninv);
	return 1;
}

/*
 * Stage 2: baby-step giant-step over the plan's prime pairs.  Baby steps
 * jQ and giant steps m*D*Q are both made affine by batched inversion, so
 * each pair m*D +- j costs one multiplication: x(mDQ) - x(jQ) vanishes
 * mod p exactly when (mD +- j)Q is the identity mod p.  Returns the
 * product to take a gcd with, or stores a factor in *f.
 */
static u128 ecm128_stage2(u128 qx, u128 qz, const struct curve128 *c,
			     const struct ecm_plan *pl, const struct mod128 *md,
			     u128 *f)
{
	u128 n = c->n, ninv = c->ninv;
	u128 bx[ECM_NBABY], bz[ECM_NBABY];
	u128 gx[ECM_GBLOCK], gz[ECM_GBLOCK], pre[ECM_GBLOCK];
	/* odd multiples jQ, j = 1, 3, ..., D/2 + 1 */
	u128 q2x, q2z;
	xdbl128(&q2x, &q2z, qx, qz, c);
	u128 prevx = qx, prevz = qz, curx, curz;
	xadd128(&curx, &curz, q2x, q2z, qx, qz, qx, qz, c); /* 3Q */
	unsigned bi = 0;
	bx[bi] = qx;
	bz[bi++] = qz;
	for (unsigned j = 3; j < ECM_D / 2; j += 2) {
		if (bi < ECM_NBABY && ecm_baby[bi] == j) {
			bx[bi] = curx;
			bz[bi++] = curz;
		}
		u128 nx, nz;
		xadd128(&nx, &nz, curx, curz, q2x, q2z, prevx, prevz, c);
		prevx = curx;
		prevz = curz;
		curx = nx;
		curz = nz;
	}
	/* the loop left cur = (D/2+1)Q, prev = (D/2-1)Q: D*Q is their sum
	 * (difference 2Q); then m0*D*Q and (m0+1)*D*Q from one ladder */
	u128 dx, dz, g0x, g0z, g1x, g1z;
	xadd128(&dx, &dz, curx, curz, prevx, prevz, q2x, q2z, c);
	ladder128(&g0x, &g0z, &g1x, &g1z, dx, dz, pl->m0, c);
	if (!normalize128(bx, bz, pre, ECM_NBABY, c, md, f))
		return 0;
	/* four accumulators (by baby index mod 4) break the serial chain of
	 * multiplications, so their latencies overlap */
	u128 acc[4] = {md->one, md->one, md->one, md->one};
	for (unsigned m = pl->m0; m <= pl->m1; m += ECM_GBLOCK) {
		unsigned k = pl->m1 - m + 1;
		if (k > ECM_GBLOCK)
			k = ECM_GBLOCK;
		for (unsigned i = 0; i < k; i++) {
			u128 nx, nz;
			gx[i] = g0x;
			gz[i] = g0z;
			xadd128(&nx, &nz, g1x, g1z, dx, dz, g0x, g0z, c);
			g0x = g1x;
			g0z = g1z;
			g1x = nx;
			g1z = nz;
		}
		if (!normalize128(gx, gz, pre, k, c, md, f))
			return 0;
		for (unsigned i = 0; i < k; i++) {
			unsigned mask = pl->mask[m + i - pl->m0];
			for (unsigned j = 0; mask != 0; j++, mask >>= 1) {
				if (mask & 1)
					acc[j & 3] = mont_mul_u128(
					    acc[j & 3],
					    mont_sub_u128(gx[i], bx[j], n), n,
					    ninv);
			}
		}
	}
	return mont_mul_u128(mont_mul_u128(acc[0], acc[1], n, ninv),
			    mont_mul_u128(acc[2], acc[3], n, ninv), n, ninv);
}

/* B1 for a balanced split of n (factors near sqrt(n)); B2 = 50 B1. */
static unsigned ecm128_b1(u128 n)
{
	int bits = (n >> 64) ? 128 - __builtin_clzll((uint64_t)(n >> 64))
			     : 64 - __builtin_clzll((uint64_t)n);
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

/* Up to curves curves with bounds (b1, 50 b1); a factor or 0. */
static u128 ecm128_run(u128 n, unsigned b1, unsigned curves, uint64_t seed)
{
	const struct ecm_plan *pl = ecm_plan_get(b1, 50 * b1);
	struct curve128 c;
	struct mod128 md;
	c.n = n;
	c.ninv = mont_inv_u128(n);
	md.one = mont_one_u128(n);
	md.r3 = mont_to_u128(mont_to_u128(md.one, n), n);
	uint64_t state = seed;
	for (unsigned k = 0; k < curves; k++) {
		uint64_t sigma = 6 + (next_rand128(&state) >> 33);
		u128 px, x, z, f = 0;
		if (!curve128_init(&c, &px, sigma, &md, &f)) {
			if (f != 0)
				return f;
			continue;
		}
		ladder128_plan(&x, &z, px, md.one, pl, &c);
		for (unsigned i = 0; i < pl->pow2; i++)
			xdbl128(&x, &z, x, z, &c);
		u128 g = gcd_u128(z, n);
		if (g > 1 && g < n)
			return g;
		if (g == n)
			continue;
		u128 acc = ecm128_stage2(x, z, &c, pl, &md, &f);
		if (f != 0)
			return f;
		g = gcd_u128(acc, n);
		if (g > 1 && g < n)
			return g;
	}
	return 0;
}

u128 ecm_u128(u128 n, unsigned curves, uint64_t seed)
{
	if (n < 4 || (n & 1) == 0)
		return n >= 4 ? 2 : 0;
	return ecm128_run(n, ecm128_b1(n), curves, seed);
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
	uint64_t w[2] = {(uint64_t)n, (uint64_t)(n >> 64)};
	mpz_t z, f;
	struct siqs_params sp;
	u128 res = 0;
	mpz_inits(z, f, NULL);
	mpz_import(z, 2, -1, sizeof w[0], 0, 0, w);
	siqs_params_init(&sp);
	sp.seed = seed;
	if (dl->params != NULL) {
		sp.stop = dl->params->stop;
		sp.stop_arg = dl->params->stop_arg;
	}
	if (dl->has_end)
		sp.deadline = (double)dl->end.tv_sec + 1e-9 * (double)dl->end.tv_nsec;
	if (siqs_factor(f, z, &sp) == STATUS_FOUND && mpz_sizeinbase(f, 2) <= 128) {
		size_t cnt = 0;
		w[0] = w[1] = 0;
		mpz_export(w, &cnt, -1, sizeof w[0], 0, 0, f);
		res = ((u128)w[1] << 64) | w[0];
		if (res <= 1 || res >= n || n % res != 0)
			res = 0;
	}
	mpz_clears(z, f, NULL);
	return res;
}

/*
 * A non-trivial factor of the odd composite n > 2^64 (not a square), or 0
 * when the deadline fired: a short rho for small factors, then ECM with
 * rising B1 up to the level for a balanced split; from SIQS_MIN_BITS128
 * bits on, a few ECM curves and then SIQS, which is faster there for
 * balanced factors (measured: 88 bits, ECM 4.8 ms, SIQS 4.4 ms; 96 bits,
 * ECM 12-16 ms, SIQS 5.8 ms; 128 bits, ECM 285 ms, SIQS 36 ms).
 */
static u128 split_u128(u128 n, uint64_t *rng, struct small_deadline *dl)
{
	u128 f = rho_u128(n, next_rand128(rng), RHO_SHORT128);
	if (f != 0)
		return f;
	unsigned top = ecm128_b1(n);
	int use_siqs = (n >> (SIQS_MIN_BITS128 - 1)) != 0;
	/* curves per level: few below 2^110 (on S96, 2/1/0 curves take 13%
	 * fewer instructions than 3/3/2, MIX 2% more), more before a slower
	 * SIQS above */
	static const struct {
		unsigned b1, curves, curves_big;
	} level[] = {{150, 2, 4}, {400, 1, 12}, {1000, 0, 8}};
	int big = (n >> 109) != 0;
	for (unsigned i = 0; i < sizeof level / sizeof level[0]; i++) {
		if (level[i].b1 * 2 > top)
			break;
		f = ecm128_run(n, level[i].b1,
			       big ? level[i].curves_big : level[i].curves,
			       next_rand128(rng));
		if (f != 0)
			return f;
		if (small_deadline_expired(dl))
			return 0;
	}
	if (use_siqs) {
		f = siqs_u128(n, next_rand128(rng), dl);
		if (f != 0 || small_deadline_expired(dl))
			return f;
	}
	for (;;) {
		f = ecm128_run(n, top, ECM_CURVES128, next_rand128(rng));
		if (f != 0)
			return f;
		if (small_deadline_expired(dl))
			return 0;
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
