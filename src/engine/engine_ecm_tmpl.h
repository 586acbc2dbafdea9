/*
 * engine_ecm_tmpl.h - micro-ECM over one-residue Montgomery arithmetic,
 * written once for both native tiers (private to engine_u64.c and
 * engine_u128.c; not a header to include anywhere else).
 *
 * Instantiation: the tier file defines
 *   ECM_WORD  the residue type (uint64_t or u128),
 *   ECM_BITS  its width as a bare number (64 or 128),
 * then includes this file once, after engine_mont.h.  Every name below is
 * pasted from ECM_BITS, so the tiers keep their own static functions
 * (xdbl64 / xdbl128, ladder64_plan / ladder128_plan, struct curve64 /
 * struct curve128, ...) built on mont_mul_u<BITS>, mont_add_u<BITS>,
 * mont_sub_u<BITS> and gcd_u<BITS>.  The file undefines its own macros
 * and ECM_WORD / ECM_BITS at the end.
 *
 * Contents: the curve struct, x-only doubling and differential addition
 * on Montgomery curves (with a Z = 1 variant), the ladder for a one-word
 * multiplier and the branch-free ladder over the plan's multi-word k
 * (stage 1), modular and Montgomery inversion, the curves (a number's
 * first ECM_Z28_COUNT from the Z/2 x Z/8 table of engine_curves.c, then
 * Suyama's parametrization),
 * batched inversion, the baby-step giant-step stage 2 (D = ECM_D), and
 * the loop over curves (ecm<BITS>_curves), which runs the curves' stage
 * 1 two at a time (ladder<BITS>_plan2: both ladders share the plan's bits
 * and swaps, and one curve's dependent REDC chains fill the other's
 * multiplier waits, although a success wastes the partner's stage 1).
 * The curve steps are forced inline.  Inversions are shared: a pair's two
 * curve set-ups take one (curve<BITS>_init2), and stage 2 normalizes the
 * baby steps with the first block of giant steps of both curves at once,
 * so a pair costs 2 inversions instead of 6.  Stage 2's baby steps run as
 * two chains in steps of 6Q (j = 1 and 5 mod 6).  The tuning (B1/B2 by
 * size, curves per poll, the fallback) stays in each tier file; algorithm
 * and citations: engine_u64.c's top comment; measurements:
 * engine_NOTES.md.
 */
#ifndef ECM_WORD
#error "define ECM_WORD and ECM_BITS before including engine_ecm_tmpl.h"
#endif

#define ECM_PASTE_(a, b, c) a##b##c
#define ECM_PASTE(a, b, c)  ECM_PASTE_(a, b, c)
/* ECM_FN(xadd, _z1) is xadd64_z1 or xadd128_z1 */
#define ECM_FN(pre, post) ECM_PASTE(pre, ECM_BITS, post)
#define ECM_MUL           ECM_FN(mont_mul_u, )
#define ECM_ADD           ECM_FN(mont_add_u, )
#define ECM_SUB           ECM_FN(mont_sub_u, )
#define ECM_GCD           ECM_FN(gcd_u, )
/* the tier's own names */
#define ECM_CURVE        ECM_FN(curve, )
#define ECM_MOD          ECM_FN(mod, )
#define ECM_XDBL         ECM_FN(xdbl, )
#define ECM_XADD         ECM_FN(xadd, )
#define ECM_XADD_Z1      ECM_FN(xadd, _z1)
#define ECM_LADDER       ECM_FN(ladder, )
#define ECM_LADDER_PLAN  ECM_FN(ladder, _plan)
#define ECM_LADDER_PLAN2 ECM_FN(ladder, _plan2)
#define ECM_INVERSE      ECM_FN(inverse_u, )
#define ECM_MONT_INVERSE ECM_FN(mont_inverse, )
#define ECM_CURVE_INIT   ECM_FN(curve, _init)
#define ECM_NORMALIZE    ECM_FN(normalize, )
#define ECM_STAGE2       ECM_FN(ecm, _stage2)
#define ECM_RUN_CURVES   ECM_FN(ecm, _curves)

/* the curve steps are called from a handful of hot loops: always inline
 * (gcc would leave xadd64 as a call) */
#ifndef ECM_INLINE
#define ECM_INLINE static inline __attribute__((always_inline))
#endif

struct ECM_CURVE {
	ECM_WORD n, ninv, a24;
};

ECM_INLINE void ECM_XDBL(ECM_WORD *x, ECM_WORD *z, ECM_WORD px, ECM_WORD pz,
			 const struct ECM_CURVE *c)
{
	ECM_WORD n = c->n, ninv = c->ninv;
	ECM_WORD s = ECM_ADD(px, pz, n), d = ECM_SUB(px, pz, n);
	s = ECM_MUL(s, s, n, ninv);
	d = ECM_MUL(d, d, n, ninv);
	ECM_WORD t = ECM_SUB(s, d, n);
	*x = ECM_MUL(s, d, n, ninv);
	*z = ECM_MUL(t, ECM_ADD(d, ECM_MUL(c->a24, t, n, ninv), n), n, ninv);
}

/* (x:z) = P + Q given D = P - Q. */
ECM_INLINE void ECM_XADD(ECM_WORD *x, ECM_WORD *z, ECM_WORD px, ECM_WORD pz,
			 ECM_WORD qx, ECM_WORD qz, ECM_WORD dx, ECM_WORD dz,
			 const struct ECM_CURVE *c)
{
	ECM_WORD n = c->n, ninv = c->ninv;
	ECM_WORD u = ECM_MUL(ECM_SUB(px, pz, n), ECM_ADD(qx, qz, n), n, ninv);
	ECM_WORD v = ECM_MUL(ECM_ADD(px, pz, n), ECM_SUB(qx, qz, n), n, ninv);
	ECM_WORD s = ECM_ADD(u, v, n), d = ECM_SUB(u, v, n);
	*x = ECM_MUL(dz, ECM_MUL(s, s, n, ninv), n, ninv);
	*z = ECM_MUL(dx, ECM_MUL(d, d, n, ninv), n, ninv);
}

/* (x:z) = P + Q given D = P - Q = (dx : 1). */
ECM_INLINE void ECM_XADD_Z1(ECM_WORD *x, ECM_WORD *z, ECM_WORD px, ECM_WORD pz,
			    ECM_WORD qx, ECM_WORD qz, ECM_WORD dx,
			    const struct ECM_CURVE *c)
{
	ECM_WORD n = c->n, ninv = c->ninv;
	ECM_WORD u = ECM_MUL(ECM_SUB(px, pz, n), ECM_ADD(qx, qz, n), n, ninv);
	ECM_WORD v = ECM_MUL(ECM_ADD(px, pz, n), ECM_SUB(qx, qz, n), n, ninv);
	ECM_WORD s = ECM_ADD(u, v, n), d = ECM_SUB(u, v, n);
	*x = ECM_MUL(s, s, n, ninv);
	*z = ECM_MUL(dx, ECM_MUL(d, d, n, ninv), n, ninv);
}

/*
 * Montgomery ladder: (x0:z0) <- k*P and (x1:z1) <- (k+1)*P for P =
 * (px:pz), k >= 1.
 */
static void ECM_LADDER(ECM_WORD *x0, ECM_WORD *z0, ECM_WORD *x1, ECM_WORD *z1,
		       ECM_WORD px, ECM_WORD pz, uint64_t k,
		       const struct ECM_CURVE *c)
{
	ECM_WORD ax = px, az = pz, bx, bz;
	ECM_XDBL(&bx, &bz, px, pz, c);
	for (int i = 62 - __builtin_clzll(k); i >= 0; i--) {
		if ((k >> i) & 1) {
			ECM_XADD(&ax, &az, ax, az, bx, bz, px, pz, c);
			ECM_XDBL(&bx, &bz, bx, bz, c);
		} else {
			ECM_XADD(&bx, &bz, ax, az, bx, bz, px, pz, c);
			ECM_XDBL(&ax, &az, ax, az, c);
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
static void ECM_LADDER_PLAN(ECM_WORD *x, ECM_WORD *z, ECM_WORD px, ECM_WORD one,
			    const struct ecm_plan *pl,
			    const struct ECM_CURVE *c)
{
	ECM_WORD x0 = px, z0 = one, x1, z1, prev = 0;
	ECM_XDBL(&x1, &z1, x0, z0, c);
	int i = pl->ktop - 1;
	for (unsigned w = 0; w < pl->nk; w++, i = 63) {
		uint64_t word = pl->k[w];
		for (; i >= 0; i--) {
			/* branch-free: swap the pair when the bit changes */
			ECM_WORD bit = (word >> i) & 1;
			ECM_WORD mask = 0 - (bit ^ prev);
			ECM_WORD tx = (x0 ^ x1) & mask, tz = (z0 ^ z1) & mask;
			x0 ^= tx;
			x1 ^= tx;
			z0 ^= tz;
			z1 ^= tz;
			prev = bit;
			ECM_XADD_Z1(&x1, &z1, x0, z0, x1, z1, px, c);
			ECM_XDBL(&x0, &z0, x0, z0, c);
		}
	}
	ECM_WORD mask = 0 - prev;
	*x = (x0 & ~mask) | (x1 & mask);
	*z = (z0 & ~mask) | (z1 & mask);
}

/*
 * Two curves' ladders over the same plan side by side: the bits and so
 * the swaps are shared, and each bit's chains of dependent
 * multiplications (about four REDCs deep) for one curve fill the other's
 * waits on the multiplier.  (x[i]:z[i]) <- k*(px[i]:1) on c[i].
 */
static void ECM_LADDER_PLAN2(ECM_WORD *x, ECM_WORD *z, const ECM_WORD *px,
			     ECM_WORD one, const struct ecm_plan *pl,
			     const struct ECM_CURVE *c)
{
	ECM_WORD ax0 = px[0], az0 = one, ax1, az1;
	ECM_WORD bx0 = px[1], bz0 = one, bx1, bz1, prev = 0;
	ECM_XDBL(&ax1, &az1, ax0, az0, &c[0]);
	ECM_XDBL(&bx1, &bz1, bx0, bz0, &c[1]);
	int i = pl->ktop - 1;
	for (unsigned w = 0; w < pl->nk; w++, i = 63) {
		uint64_t word = pl->k[w];
		for (; i >= 0; i--) {
			ECM_WORD bit = (word >> i) & 1;
			ECM_WORD mask = 0 - (bit ^ prev);
			ECM_WORD tx = (ax0 ^ ax1) & mask,
				 tz = (az0 ^ az1) & mask;
			ax0 ^= tx;
			ax1 ^= tx;
			az0 ^= tz;
			az1 ^= tz;
			tx = (bx0 ^ bx1) & mask;
			tz = (bz0 ^ bz1) & mask;
			bx0 ^= tx;
			bx1 ^= tx;
			bz0 ^= tz;
			bz1 ^= tz;
			prev = bit;
			ECM_XADD_Z1(&ax1, &az1, ax0, az0, ax1, az1, px[0],
				    &c[0]);
			ECM_XADD_Z1(&bx1, &bz1, bx0, bz0, bx1, bz1, px[1],
				    &c[1]);
			ECM_XDBL(&ax0, &az0, ax0, az0, &c[0]);
			ECM_XDBL(&bx0, &bz0, bx0, bz0, &c[1]);
		}
	}
	ECM_WORD mask = 0 - prev;
	x[0] = (ax0 & ~mask) | (ax1 & mask);
	z[0] = (az0 & ~mask) | (az1 & mask);
	x[1] = (bx0 & ~mask) | (bx1 & mask);
	z[1] = (bz0 & ~mask) | (bz1 & mask);
	for (unsigned j = 0; j < pl->pow2; j++) {
		ECM_XDBL(&x[0], &z[0], x[0], z[0], &c[0]);
		ECM_XDBL(&x[1], &z[1], x[1], z[1], &c[1]);
	}
}

/* a^-1 mod n (n odd), or 0 when gcd(a, n) > 1. */
static ECM_WORD ECM_INVERSE(ECM_WORD a, ECM_WORD n)
{
	ECM_WORD r0 = n, r1 = a % n;
	ECM_WORD t0 = 0, t1 = 1; /* |coefficients|, signs alternate */
	int neg = 0;
	while (r1 != 0) {
		/* quotient 1 is the most common (41.5%): skip the division */
		ECM_WORD q = 1, r2 = r0 - r1;
		if (r2 >= r1) {
			q = r0 / r1;
			r2 = r0 - q * r1;
		}
		ECM_WORD t2 = t0 + q * t1;
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
struct ECM_MOD {
	ECM_WORD one, r3;
};

/*
 * Montgomery inverse: a*R -> a^-1*R.  0 when gcd(a, n) > 1 (then
 * gcd(am, n) is a factor or n).
 */
static ECM_WORD ECM_MONT_INVERSE(ECM_WORD am, const struct ECM_CURVE *c,
				 const struct ECM_MOD *m)
{
	ECM_WORD y = ECM_INVERSE(am, c->n); /* a^-1 R^-1 */
	if (y == 0)
		return 0;
	return ECM_MUL(y, m->r3, c->n, c->ninv);
}

/*
 * Suyama's parametrization (group order divisible by 12):
 * u = s^2 - 5, v = 4s, P = (u^3 : v^3), a24 = (v-u)^3 (3u+v) / (16 u^3 v).
 * One inversion of 16 u^3 v^4 gives both a24 and the affine x = u^3/v^3.
 * Returns 1 with the curve set, 0 on a degenerate sigma, or stores a
 * factor of n in *f when the denominator is not invertible.
 */
/* The numerator and denominator of Suyama's curve for sigma. */
struct ECM_FN(suyama, ) {
	ECM_WORD num, u3, v3, den, prod; /* prod = den * v3 */
};

static void ECM_FN(suyama, _prep)(struct ECM_FN(suyama, ) * sy,
				  const struct ECM_CURVE *c, uint64_t sigma,
				  const struct ECM_MOD *md)
{
	ECM_WORD n = c->n, ninv = c->ninv;
	ECM_WORD s = ECM_MUL(sigma % n, md->r3, n, ninv);
	s = ECM_MUL(s, 1, n, ninv); /* sigma*R^2 -> sigma*R */
	ECM_WORD five = ECM_ADD(md->one, md->one, n);
	five = ECM_ADD(ECM_ADD(five, five, n), md->one, n);
	ECM_WORD u = ECM_SUB(ECM_MUL(s, s, n, ninv), five, n);
	ECM_WORD v = ECM_ADD(s, s, n);
	v = ECM_ADD(v, v, n);
	ECM_WORD u3 = ECM_MUL(ECM_MUL(u, u, n, ninv), u, n, ninv);
	ECM_WORD v3 = ECM_MUL(ECM_MUL(v, v, n, ninv), v, n, ninv);
	ECM_WORD vmu = ECM_SUB(v, u, n);
	ECM_WORD num = ECM_MUL(ECM_MUL(vmu, vmu, n, ninv), vmu, n, ninv);
	ECM_WORD t = ECM_ADD(ECM_ADD(u, u, n), u, n);
	num = ECM_MUL(num, ECM_ADD(t, v, n), n, ninv);
	ECM_WORD den = ECM_MUL(u3, v, n, ninv);
	for (int i = 0; i < 4; i++)
		den = ECM_ADD(den, den, n);
	sy->num = num;
	sy->u3 = u3;
	sy->v3 = v3;
	sy->den = den;
	sy->prod = ECM_MUL(den, v3, n, ninv);
}

/* v (below 2^63) in Montgomery form mod n */
static ECM_WORD ECM_FN(to_mont, )(uint64_t v, const struct ECM_CURVE *c,
				  const struct ECM_MOD *md)
{
	ECM_WORD s = ECM_MUL((ECM_WORD)v % c->n, md->r3, c->n, c->ninv);
	return ECM_MUL(s, 1, c->n, c->ninv); /* v R^2 -> v R */
}

/*
 * Row idx of the Z/2 x Z/8 table (engine_curves.c) in the same form as
 * Suyama's curve: a24 = num / den, x = u3 / v3.
 */
static void ECM_FN(z28, _prep)(struct ECM_FN(suyama, ) * sy,
			       const struct ECM_CURVE *c, unsigned idx,
			       const struct ECM_MOD *md)
{
	const struct ecm_z28_curve *t = &ecm_z28_curves[idx];
	sy->num = ECM_FN(to_mont, )(t->a24_num, c, md);
	sy->den = ECM_FN(to_mont, )(t->a24_den, c, md);
	sy->u3 = ECM_FN(to_mont, )(t->w_num, c, md);
	if (t->w_neg)
		sy->u3 = ECM_SUB(0, sy->u3, c->n);
	sy->v3 = ECM_FN(to_mont, )(t->w_den, c, md);
	sy->prod = ECM_MUL(sy->den, sy->v3, c->n, c->ninv);
}

/* Curve number idx: the table's row idx, or Suyama's curve for sigma. */
static void ECM_FN(curve, _prep)(struct ECM_FN(suyama, ) * sy,
				 const struct ECM_CURVE *c, unsigned idx,
				 uint64_t sigma, const struct ECM_MOD *md)
{
	if (idx < ECM_Z28_COUNT)
		ECM_FN(z28, _prep)(sy, c, idx, md);
	else
		ECM_FN(suyama, _prep)(sy, c, sigma, md);
}

/* a24 and the affine x from inv = prod^-1 */
static void ECM_FN(suyama, _finish)(struct ECM_CURVE *c, ECM_WORD *px,
				    const struct ECM_FN(suyama, ) * sy,
				    ECM_WORD inv)
{
	ECM_WORD n = c->n, ninv = c->ninv;
	c->a24 = ECM_MUL(ECM_MUL(sy->num, sy->v3, n, ninv), inv, n, ninv);
	*px = ECM_MUL(ECM_MUL(sy->u3, sy->den, n, ninv), inv, n, ninv);
}

static int ECM_CURVE_INIT(struct ECM_CURVE *c, ECM_WORD *px, unsigned idx,
			  uint64_t sigma, const struct ECM_MOD *md, ECM_WORD *f)
{
	struct ECM_FN(suyama, ) sy;
	ECM_FN(curve, _prep)(&sy, c, idx, sigma, md);
	if (sy.prod == 0)
		return 0;
	ECM_WORD inv = ECM_MONT_INVERSE(sy.prod, c, md);
	if (inv == 0) {
		ECM_WORD g = ECM_GCD(sy.prod, c->n);
		if (g > 1 && g < c->n)
			*f = g;
		return 0;
	}
	ECM_FN(suyama, _finish)(c, px, &sy, inv);
	return 1;
}

/*
 * Two curves (numbers idx[i], Suyama's for sigma[i] past the table)
 * sharing one inversion.  Returns 1 with both set, or 0 when either
 * denominator is not invertible (the caller then sets them up one by
 * one, which finds the factor or the degenerate curve).
 */
static int ECM_FN(curve, _init2)(struct ECM_CURVE *c, ECM_WORD *px,
				 const unsigned *idx, const uint64_t *sigma,
				 const struct ECM_MOD *md)
{
	ECM_WORD n = c[0].n, ninv = c[0].ninv;
	struct ECM_FN(suyama, ) sy[2];
	ECM_FN(curve, _prep)(&sy[0], &c[0], idx[0], sigma[0], md);
	ECM_FN(curve, _prep)(&sy[1], &c[1], idx[1], sigma[1], md);
	ECM_WORD all = ECM_MUL(sy[0].prod, sy[1].prod, n, ninv);
	if (all == 0)
		return 0;
	ECM_WORD inv = ECM_MONT_INVERSE(all, &c[0], md);
	if (inv == 0)
		return 0;
	ECM_FN(suyama, _finish)
	(&c[0], &px[0], &sy[0], ECM_MUL(inv, sy[1].prod, n, ninv));
	ECM_FN(suyama, _finish)
	(&c[1], &px[1], &sy[1], ECM_MUL(inv, sy[0].prod, n, ninv));
	return 1;
}

/*
 * Batched inversion (Montgomery's trick) for nc <= 2 curves at once:
 * x[c*stride + i] <- x/z for i < k, z read from z[c*stride + i].  The
 * curves' prefix products run as separate chains (their multiplications
 * overlap) and share one inversion: 3k multiplications per curve, plus 3.
 * Returns 0 when some z is not invertible: then *f gets a factor of n if
 * the product of the z shares a proper one.
 */
static int ECM_NORMALIZE(ECM_WORD *x, const ECM_WORD *z, ECM_WORD *pre,
			 unsigned stride, unsigned k, unsigned nc,
			 const struct ECM_CURVE *c, const struct ECM_MOD *md,
			 ECM_WORD *f)
{
	ECM_WORD n = c->n, ninv = c->ninv;
	for (unsigned j = 0; j < nc; j++)
		pre[j * stride] = z[j * stride];
	for (unsigned i = 1; i < k; i++)
		for (unsigned j = 0; j < nc; j++)
			pre[j * stride + i] = ECM_MUL(pre[j * stride + i - 1],
						      z[j * stride + i], n,
						      ninv);
	ECM_WORD last0 = pre[k - 1], last1 = nc > 1 ? pre[stride + k - 1] : 0;
	ECM_WORD all = nc > 1 ? ECM_MUL(last0, last1, n, ninv) : last0;
	ECM_WORD inv = ECM_MONT_INVERSE(all, c, md);
	if (inv == 0) {
		ECM_WORD g = ECM_GCD(all, n);
		if (g > 1 && g < n)
			*f = g;
		return 0;
	}
	ECM_WORD iv[2] = { inv, 0 };
	if (nc > 1) {
		iv[0] = ECM_MUL(inv, last1, n, ninv);
		iv[1] = ECM_MUL(inv, last0, n, ninv);
	}
	for (unsigned i = k - 1; i > 0; i--) {
		for (unsigned j = 0; j < nc; j++) {
			unsigned o = j * stride + i;
			ECM_WORD zi = ECM_MUL(iv[j], pre[o - 1], n, ninv);
			iv[j] = ECM_MUL(iv[j], z[o], n, ninv);
			x[o] = ECM_MUL(x[o], zi, n, ninv);
		}
	}
	for (unsigned j = 0; j < nc; j++)
		x[j * stride] = ECM_MUL(x[j * stride], iv[j], n, ninv);
	return 1;
}

/*
 * Stage 2 for nc <= 2 curves side by side (their serial chains of giant
 * steps and prefix products overlap): baby-step giant-step over the
 * plan's prime pairs.  Baby steps jQ and giant steps m*D*Q are both made
 * affine by batched inversion, so each pair m*D +- j costs one
 * multiplication: x(mDQ) - x(jQ) vanishes mod p exactly when (mD +- j)Q
 * is the identity mod p.  The pairs of a giant step are read off its mask
 * by count-trailing-zeros.  acc[c] gets the product to take a gcd with;
 * returns 0 (and maybe a factor in *f) when an inversion failed.
 */
static_assert(ECM_D % 6 == 0 && (ECM_D / 2) % 6 == 3,
	      "baby-step chains: D/2 - 2 = 1 mod 6 and D/2 + 2 = 5 mod 6");
static int ECM_STAGE2(ECM_WORD *acc, const ECM_WORD *qx, const ECM_WORD *qz,
		      const struct ECM_CURVE *c, unsigned nc,
		      const struct ecm_plan *pl, const struct ECM_MOD *md,
		      ECM_WORD *f)
{
	ECM_WORD n = c->n, ninv = c->ninv;
	/* per curve: the baby steps, then a block of giant steps, so the
	 * first block and the babies share one batched inversion */
	enum { W = ECM_NBABY + ECM_GBLOCK };
	ECM_WORD ex[2][W], ez[2][W], pre[2][W];
#define BX(h, j) ex[h][j]
#define BZ(h, j) ez[h][j]
#define GX(h, i) ex[h][ECM_NBABY + (i)]
#define GZ(h, i) ez[h][ECM_NBABY + (i)]
	ECM_WORD dx[2], dz[2], g0x[2], g0z[2], g1x[2], g1z[2];
	for (unsigned h = 0; h < nc; h++) {
		/* the baby steps jQ (j coprime to D, so j = 1 or 5 mod 6) as
		 * two chains in steps of 6Q, a = 1, 7, 13, ... and b = a + 4,
		 * merged in ascending order; they end at a = D/2 - 2 and
		 * b = D/2 + 2, whose sum is D*Q (difference 4Q).  37 additions
		 * and 3 doublings for D = 210, where the chain over every odd j
		 * took 53 additions and 2 doublings. */
		ECM_WORD q2x, q2z, q3x, q3z, q6x, q6z, q5x, q5z;
		ECM_XDBL(&q2x, &q2z, qx[h], qz[h], &c[h]);
		ECM_XADD(&q3x, &q3z, q2x, q2z, qx[h], qz[h], qx[h], qz[h],
			 &c[h]);
		ECM_XDBL(&q6x, &q6z, q3x, q3z, &c[h]);
		ECM_XADD(&q5x, &q5z, q3x, q3z, q2x, q2z, qx[h], qz[h], &c[h]);
		/* chain a: cur = jQ, prev = (j - 6)Q = -(5 - j)Q, same x */
		ECM_WORD ax = qx[h], az = qz[h], apx = q5x, apz = q5z;
		ECM_WORD bx = q5x, bz = q5z, bpx = qx[h], bpz = qz[h];
		unsigned bi = 0;
		for (unsigned j = 1;; j += 6) {
			if (bi < ECM_NBABY && ecm_baby[bi] == j) {
				BX(h, bi) = ax;
				BZ(h, bi++) = az;
			}
			if (bi < ECM_NBABY && ecm_baby[bi] == j + 4) {
				BX(h, bi) = bx;
				BZ(h, bi++) = bz;
			}
			if (j + 6 > ECM_D / 2)
				break;
			ECM_WORD nx, nz;
			ECM_XADD(&nx, &nz, ax, az, q6x, q6z, apx, apz, &c[h]);
			apx = ax;
			apz = az;
			ax = nx;
			az = nz;
			ECM_XADD(&nx, &nz, bx, bz, q6x, q6z, bpx, bpz, &c[h]);
			bpx = bx;
			bpz = bz;
			bx = nx;
			bz = nz;
		}
		/* D*Q = (D/2 - 2)Q + (D/2 + 2)Q, difference 4Q; then m0*D*Q
		 * and (m0+1)*D*Q by a ladder */
		ECM_WORD q4x, q4z;
		ECM_XDBL(&q4x, &q4z, q2x, q2z, &c[h]);
		ECM_XADD(&dx[h], &dz[h], ax, az, bx, bz, q4x, q4z, &c[h]);
		ECM_LADDER(&g0x[h], &g0z[h], &g1x[h], &g1z[h], dx[h], dz[h],
			   pl->m0, &c[h]);
	}
	/* two accumulators per curve break the serial chain of products */
	ECM_WORD a[2][2] = { { md->one, md->one }, { md->one, md->one } };
	for (unsigned m = pl->m0; m <= pl->m1; m += ECM_GBLOCK) {
		unsigned k = pl->m1 - m + 1;
		if (k > ECM_GBLOCK)
			k = ECM_GBLOCK;
		for (unsigned i = 0; i < k; i++) {
			for (unsigned h = 0; h < nc; h++) {
				ECM_WORD nx, nz;
				GX(h, i) = g0x[h];
				GZ(h, i) = g0z[h];
				ECM_XADD(&nx, &nz, g1x[h], g1z[h], dx[h], dz[h],
					 g0x[h], g0z[h], &c[h]);
				g0x[h] = g1x[h];
				g0z[h] = g1z[h];
				g1x[h] = nx;
				g1z[h] = nz;
			}
		}
		unsigned off = m == pl->m0 ? 0 : ECM_NBABY;
		if (!ECM_NORMALIZE(&ex[0][off], &ez[0][off], &pre[0][0], W,
				   ECM_NBABY - off + k, nc, c, md, f))
			return 0;
		const uint32_t *mk = &pl->mask[m - pl->m0];
		if (nc == 2) {
			/* written out for the pair: the generic loop below
			 * spent a sixth of stage 2 on its own overhead */
			ECM_WORD a00 = a[0][0], a01 = a[0][1];
			ECM_WORD a10 = a[1][0], a11 = a[1][1];
			for (unsigned i = 0; i < k; i++) {
				unsigned mask = mk[i];
				ECM_WORD x0 = GX(0, i), x1 = GX(1, i);
				while (mask != 0) {
					unsigned j =
						(unsigned)__builtin_ctz(mask);
					mask &= mask - 1;
					ECM_WORD t0 = ECM_MUL(
						a00, ECM_SUB(x0, BX(0, j), n),
						n, ninv);
					ECM_WORD t1 = ECM_MUL(
						a10, ECM_SUB(x1, BX(1, j), n),
						n, ninv);
					a00 = a01;
					a01 = t0;
					a10 = a11;
					a11 = t1;
				}
			}
			a[0][0] = a00;
			a[0][1] = a01;
			a[1][0] = a10;
			a[1][1] = a11;
			continue;
		}
		for (unsigned i = 0; i < k; i++) {
			unsigned mask = mk[i];
			while (mask != 0) {
				unsigned j = (unsigned)__builtin_ctz(mask);
				mask &= mask - 1;
				ECM_WORD t = ECM_MUL(
					a[0][0], ECM_SUB(GX(0, i), BX(0, j), n),
					n, ninv);
				a[0][0] = a[0][1];
				a[0][1] = t;
			}
		}
	}
	for (unsigned h = 0; h < nc; h++)
		acc[h] = ECM_MUL(a[h][0], a[h][1], n, ninv);
	return 1;
}
#undef BX
#undef BZ
#undef GX
#undef GZ

/*
 * Up to curves curves with the plan's bounds, numbered from first (the
 * table's rows below ECM_Z28_COUNT, then Suyama's curves with sigma from
 * the splitmix64 stream seeded by seed, drawn for every curve), two at a
 * time: stage 1 (ladder over the plan, then the powers of 2), gcd, stage
 * 2, gcd.  A non-trivial factor of n, or 0.
 */
static ECM_WORD ECM_RUN_CURVES(ECM_WORD n, const struct ecm_plan *pl,
			       unsigned first, unsigned curves, uint64_t seed)
{
	struct ECM_CURVE c[2];
	struct ECM_MOD md;
	c[0].n = c[1].n = n;
	c[0].ninv = c[1].ninv = ECM_FN(mont_inv_u, )(n);
	md.one = ECM_FN(mont_one_u, )(n);
	md.r3 = ECM_FN(mont_to_u, )(ECM_FN(mont_to_u, )(md.one, n), n);
	uint64_t state = seed;
	unsigned k = 0;
	while (k < curves) {
		ECM_WORD px[2], x[2], z[2], acc[2], f = 0;
		unsigned have = 0;
		/* the next two good curves (or what is left): two at once
		 * share an inversion; when that fails they are set up one
		 * by one below */
		uint64_t sg[2];
		unsigned id[2], nsg = 0;
		if (curves - k >= 2) {
			for (unsigned i = 0; i < 2; i++, k++) {
				sg[i] = 6 + (engine_rand(&state) >> 33);
				id[i] = first + k;
			}
			if (ECM_FN(curve, _init2)(c, px, id, sg, &md))
				have = 2;
			else
				nsg = 2;
		}
		for (unsigned i = 0; i < nsg; i++) {
			if (ECM_CURVE_INIT(&c[have], &px[have], id[i], sg[i],
					   &md, &f))
				have++;
			else if (f != 0)
				return f;
		}
		while (have < 2 && k < curves) {
			uint64_t sigma = 6 + (engine_rand(&state) >> 33);
			unsigned idx = first + k++;
			if (ECM_CURVE_INIT(&c[have], &px[have], idx, sigma, &md,
					   &f))
				have++;
			else if (f != 0)
				return f;
		}
		if (have == 2) {
			ECM_LADDER_PLAN2(x, z, px, md.one, pl, c);
		} else if (have == 1) {
			ECM_LADDER_PLAN(&x[0], &z[0], px[0], md.one, pl, &c[0]);
			for (unsigned i = 0; i < pl->pow2; i++)
				ECM_XDBL(&x[0], &z[0], x[0], z[0], &c[0]);
		}
		/* keep the curves whose stage 1 left a point of order > 1
		 * mod both primes (g == n: the curve is spent) */
		unsigned live = 0;
		for (unsigned j = 0; j < have; j++) {
			ECM_WORD g = ECM_GCD(z[j], n);
			if (g > 1 && g < n)
				return g;
			if (g == n)
				continue;
			x[live] = x[j];
			z[live] = z[j];
			c[live] = c[j];
			live++;
		}
		if (live == 0)
			continue;
		if (!ECM_STAGE2(acc, x, z, c, live, pl, &md, &f)) {
			if (f != 0)
				return f;
			continue;
		}
		for (unsigned j = 0; j < live; j++) {
			ECM_WORD g = ECM_GCD(acc[j], n);
			if (g > 1 && g < n)
				return g;
		}
	}
	return 0;
}

#undef ECM_RUN_CURVES
#undef ECM_STAGE2
#undef ECM_NORMALIZE
#undef ECM_CURVE_INIT
#undef ECM_MONT_INVERSE
#undef ECM_INVERSE
#undef ECM_LADDER_PLAN2
#undef ECM_LADDER_PLAN
#undef ECM_LADDER
#undef ECM_XADD_Z1
#undef ECM_XADD
#undef ECM_XDBL
#undef ECM_MOD
#undef ECM_CURVE
#undef ECM_GCD
#undef ECM_SUB
#undef ECM_ADD
#undef ECM_MUL
#undef ECM_FN
#undef ECM_PASTE
#undef ECM_PASTE_
#undef ECM_BITS
#undef ECM_WORD
