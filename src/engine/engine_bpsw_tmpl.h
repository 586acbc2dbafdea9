/*
 * engine_bpsw_tmpl.h - the BPSW probable-prime test over one-residue
 * Montgomery arithmetic, written once for both native tiers (private to
 * engine_u64.c and engine_u128.c; not a header to include anywhere else).
 *
 * Instantiation: the tier file defines
 *   BPSW_WORD  the residue type (uint64_t or u128),
 *   BPSW_BITS  its width as a bare number (64 or 128),
 * then includes this file once, after engine_mont.h.  Every name below is
 * pasted from BPSW_BITS (jacobi_u64 / jacobi_u128, sprp2_u64,
 * lucas_u128, ...), built on mont_mul_u<BITS>, mont_add_u<BITS>,
 * mont_sub_u<BITS>, ctz_u<BITS> and top_bit_u<BITS>.  The file undefines
 * its own macros and BPSW_WORD / BPSW_BITS at the end.  The tier keeps
 * what differs by size: the small-prime screen and the integer square
 * root before the Lucas step, and in the 64-bit tier Jaeschke's bases.
 *
 * Algorithm (Baillie and Wagstaff, "Lucas pseudoprimes", Math. Comp. 35,
 * 1980; Pomerance, Selfridge and Wagstaff, "The pseudoprimes to
 * 25*10^9", Math. Comp. 35, 1980):
 *   1. sprp2: strong probable prime to base 2, by left-to-right powering
 *      in which multiplying by 2 is a modular addition;
 *   2. lucas: strong Lucas probable prime with Selfridge's method A
 *      parameters (the first D in 5, -7, 9, -11, ... with Jacobi(D/n) =
 *      -1, P = 1, Q = (1 - D)/4); n must not be a perfect square (no such
 *      D exists), which the caller checks.  With n + 1 = d 2^s, n passes
 *      when U_d = 0 or V_{d 2^r} = 0 for some r < s.  V only, by the
 *      ladder over (V_k, V_k+1, Q^k):
 *        V_2k = V_k^2 - 2 Q^k,  V_2k+1 = V_k V_k+1 - P Q^k,
 *      three independent multiplications per bit and branch-free
 *      selects, and at the end U_d = (2 V_d+1 - P V_d) / D, which is 0
 *      iff 2 V_d+1 = V_d (D is prime to n since (D/n) = -1).  The same
 *      predicate as the U,V recurrence, bit for bit.
 * No composite below 2^64 passes both (exhaustive check against Feitsma's
 * list of base-2 pseudoprimes, Gilchrist 2009); none is known above.
 *
 * Invariants: n odd, n > 2 and free of the small primes the tier screens
 * (so |D| and Q are prime to n, and Q, D fit in 31 bits); ninv and one
 * are mont_inv_u<BITS>(n) and mont_one_u<BITS>(n); n + 1 does not wrap
 * (2^BITS - 1 is divisible by 3).
 */
#ifndef BPSW_WORD
#error "define BPSW_WORD and BPSW_BITS before including engine_bpsw_tmpl.h"
#endif

#define BPSW_PASTE_(a, b, c) a##b##c
#define BPSW_PASTE(a, b, c)  BPSW_PASTE_(a, b, c)
/* BPSW_FN(jacobi_u, ) is jacobi_u64 or jacobi_u128 */
#define BPSW_FN(pre, post) BPSW_PASTE(pre, BPSW_BITS, post)
#define BPSW_MUL           BPSW_FN(mont_mul_u, )
#define BPSW_ADD           BPSW_FN(mont_add_u, )
#define BPSW_SUB           BPSW_FN(mont_sub_u, )
#define BPSW_CTZ           BPSW_FN(ctz_u, )
#define BPSW_TOP           BPSW_FN(top_bit_u, )

/* Jacobi symbol (a/n) for odd n > 0. */
static int BPSW_FN(jacobi_u, )(BPSW_WORD a, BPSW_WORD n)
{
	int t = 1;
	a %= n;
	while (a != 0) {
		int z = BPSW_CTZ(a);
		a >>= z;
		unsigned n8 = (unsigned)(n & 7);
		if ((z & 1) && (n8 == 3 || n8 == 5))
			t = -t;
		if ((a & 3) == 3 && (n & 3) == 3)
			t = -t;
		BPSW_WORD r = n % a;
		n = a;
		a = r;
	}
	return n == 1 ? t : 0;
}

/* Strong probable prime to base 2 (n odd, n > 2), Montgomery form. */
static int BPSW_FN(sprp2_u, )(BPSW_WORD n, BPSW_WORD ninv, BPSW_WORD one)
{
	BPSW_WORD nm1 = n - 1;
	int s = BPSW_CTZ(nm1);
	BPSW_WORD d = nm1 >> s;
	BPSW_WORD mone = n - one; /* -1 in Montgomery form */
	BPSW_WORD x = one;
	/* left-to-right powering of 2: doubling is a modular add */
	for (int i = BPSW_TOP(d); i >= 0; i--) {
		x = BPSW_MUL(x, x, n, ninv);
		if ((d >> i) & 1)
			x = BPSW_ADD(x, x, n);
	}
	if (x == one || x == mone)
		return 1;
	for (int r = 1; r < s; r++) {
		x = BPSW_MUL(x, x, n, ninv);
		if (x == mone)
			return 1;
		if (x == one)
			return 0;
	}
	return 0;
}

/* x*q mod n for the small Selfridge Q (|q| < 2^31) by doubling and adding */
static inline BPSW_WORD BPSW_FN(mul_q_u, )(BPSW_WORD x, uint64_t qabs, int qneg,
					   BPSW_WORD n)
{
	BPSW_WORD r = x;
	for (int i = 62 - __builtin_clzll(qabs); i >= 0; i--) {
		r = BPSW_ADD(r, r, n);
		if ((qabs >> i) & 1)
			r = BPSW_ADD(r, x, n);
	}
	return qneg ? BPSW_SUB(0, r, n) : r;
}

/* Strong Lucas probable prime, Selfridge method A (n odd, not square). */
static int BPSW_FN(lucas_u, )(BPSW_WORD n, BPSW_WORD ninv, BPSW_WORD one)
{
	int64_t d = 5;
	for (;;) {
		uint64_t ad = (uint64_t)(d < 0 ? -d : d);
		int j = BPSW_FN(jacobi_u, )((BPSW_WORD)ad, n);
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
	uint64_t qabs = (uint64_t)(q < 0 ? -q : q);
	int qneg = q < 0;
	BPSW_WORD k = n + 1;
	int s = BPSW_CTZ(k);
	k >>= s;
	BPSW_WORD v0 = BPSW_ADD(one, one, n), v1 = one, qk = one; /* k=0 */
	for (int i = BPSW_TOP(k); i >= 0; i--) {
		BPSW_WORD bit = (k >> i) & 1;
		BPSW_WORD t = BPSW_SUB(BPSW_MUL(v0, v1, n, ninv), qk, n);
		/* bit 0: V_2k from V_k and Q^k; bit 1: V_2k+2 from V_k+1 and
		 * Q^k+1 */
		BPSW_WORD w = bit ? v1 : v0;
		BPSW_WORD qw = bit ? BPSW_FN(mul_q_u, )(qk, qabs, qneg, n) : qk;
		BPSW_WORD sq = BPSW_SUB(BPSW_MUL(w, w, n, ninv),
					BPSW_ADD(qw, qw, n), n);
		BPSW_WORD q2 = BPSW_MUL(qk, qk, n, ninv);
		qk = bit ? BPSW_FN(mul_q_u, )(q2, qabs, qneg, n) : q2;
		v0 = bit ? t : sq;
		v1 = bit ? sq : t;
	}
	if (BPSW_ADD(v1, v1, n) == v0 || v0 == 0)
		return 1;
	for (int r = 1; r < s; r++) {
		v0 = BPSW_SUB(BPSW_MUL(v0, v0, n, ninv), BPSW_ADD(qk, qk, n),
			      n);
		if (v0 == 0)
			return 1;
		qk = BPSW_MUL(qk, qk, n, ninv);
	}
	return 0;
}

#undef BPSW_TOP
#undef BPSW_CTZ
#undef BPSW_SUB
#undef BPSW_ADD
#undef BPSW_MUL
#undef BPSW_FN
#undef BPSW_PASTE
#undef BPSW_PASTE_
#undef BPSW_WORD
#undef BPSW_BITS
