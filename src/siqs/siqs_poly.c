/*
 * siqs_poly.c - SIQS polynomials: A, the B_l, Gray-code switches.
 *
 * Purpose: step 4 of src/siqs/siqs.c's outline.  siqs_choose_a_shape fixes
 * s (primes in A) and the window of factor-base primes they come from;
 * siqs_pick_a draws an unused A; siqs_init_a sets up B, C, the roots of
 * Q(x) mod every prime and the 2 B_l A^-1 tables; siqs_next_b moves to
 * the next B in Gray-code order (one root update per prime).
 *
 * Algorithm (Contini 1997, section 2): A = q_1...q_s near sqrt(2kN)/M,
 * B_l = (A/q_l) gamma_l with gamma_l = t_l (A/q_l)^-1 mod q_l, B = sum
 * +-B_l; per prime Montgomery's batch inversion (prefix products of the
 * q_l, one inverse, every q_l^-1 walking back).  With AVX2 and FMA,
 * sixteen primes per step in doubles (siqs_arith.h).  When every |Q(x)|
 * stays below 2^126, A, B, C are also kept as 128-bit words ("native")
 * and B, C follow the Gray code in words.
 *
 * Invariants: every random choice comes from S->poly.rng (seeded by
 * params->seed); an A is never used twice (hashes in seen_a); the primes
 * of A have in_a set and their bainv entries zero; root1, root2 < p.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "siqs.h"
#include "engine_util.h"
#include "siqs_int.h"
#include "status.h"
#include "siqs_arith.h"

/* Choose s and the window of FB indices the q_l are drawn from. */
int siqs_choose_a_shape(struct siqs *S)
{
	double la = S->fb.log_a_target;
	uint32_t F = S->fb.fb_n, lo_min, hi, lo;
	unsigned s;
	double qt = 0;

	lo_min = S->fb.sieve_start + 1;
	if (F < lo_min + 8)
		return STATUS_ERR_INVAL;
	for (s = 2; s < SIQS_MAX_S; s++) {
		qt = exp(la / s);
		if (qt < S->fb.prime[F - 1 - (F - lo_min) / 4] &&
		    qt < S->fb.q_max)
			break;
	}
	/* q below the window's start leaves no room for the last prime */
	while (s > 2 && qt < 2.0 * S->fb.prime[lo_min]) {
		s--;
		qt = exp(la / s);
	}
	if (qt < S->fb.prime[lo_min])
		qt = S->fb.prime[lo_min];
	S->fb.s = s;
	/* window: the FB primes within a factor 1.5 of qt, at least 3s + 10 */
	for (lo = lo_min; lo < F - 1 && S->fb.prime[lo] < qt / 1.5; lo++)
		;
	for (hi = lo; hi < F && S->fb.prime[hi] < qt * 1.5; hi++)
		;
	while (hi - lo < 3 * s + 10 && (lo > lo_min || hi < F)) {
		if (lo > lo_min)
			lo--;
		if (hi < F)
			hi++;
	}
	if (hi < lo + s + 2)
		return STATUS_ERR_INVAL;
	S->fb.qlo = lo;
	S->fb.qhi = hi;
	return STATUS_OK;
}

/* Pick the primes of a new A; STATUS_NOT_FOUND when none unused is left. */
int siqs_pick_a(struct siqs *S)
{
	unsigned s = S->fb.s, l, m;
	int tries;

	for (tries = 0; tries < SIQS_A_TRIES; tries++) {
		double rem = S->fb.log_a_target, tgt;
		uint32_t lo, hi, best = 0, c;
		uint64_t h = 1469598103934665603ULL, *ns;
		size_t u;
		int ok = 1;

		for (l = 0; l + 1 < s && ok; l++) {
			uint32_t span = S->fb.qhi - S->fb.qlo;
			c = S->fb.qlo +
				(uint32_t)(engine_rand(&S->poly.rng) % span);
			for (m = 0; m < l; m++)
				if (S->poly.qidx[m] == c)
					ok = 0;
			if (S->fb.sqrtkn[c] == 0)
				ok = 0;
			S->poly.qidx[l] = c;
			rem -= log((double)S->fb.prime[c]);
		}
		if (!ok)
			continue;
		tgt = exp(rem);
		/* closest unused FB prime to tgt */
		lo = S->fb.sieve_start + 1;
		hi = S->fb.fb_n - 1;
		if (tgt < S->fb.prime[lo] * 0.7 || tgt > S->fb.prime[hi] * 1.3)
			continue;
		while (lo < hi) {
			uint32_t mid = lo + (hi - lo) / 2;
			if (S->fb.prime[mid] < tgt)
				lo = mid + 1;
			else
				hi = mid;
		}
		ok = 0;
		for (c = 0; c < 2 * s + 4 && !ok; c++) {
			uint32_t x = (c & 1) ? lo + (c + 1) / 2 : lo - c / 2;
			if (x <= S->fb.sieve_start || x >= S->fb.fb_n ||
			    S->fb.sqrtkn[x] == 0)
				continue;
			for (m = 0; m + 1 < s; m++)
				if (S->poly.qidx[m] == x)
					break;
			if (m + 1 < s)
				continue;
			best = x;
			ok = 1;
		}
		if (!ok)
			continue;
		S->poly.qidx[s - 1] = best;
		siqs_sort_u32(S->poly.qidx, s);
		for (l = 0; l < s; l++)
			h = (h ^ S->poly.qidx[l]) * 1099511628211ULL;
		for (u = 0; u < S->poly.n_seen; u++)
			if (S->poly.seen_a[u] == h)
				break;
		if (u < S->poly.n_seen)
			continue;
		ns = siqs_grow(S->poly.seen_a, &S->poly.cap_seen,
			       S->poly.n_seen + 1, sizeof *S->poly.seen_a, 64);
		if (!ns)
			return STATUS_ERR_NOMEM;
		S->poly.seen_a = ns;
		S->poly.seen_a[S->poly.n_seen++] = h;
		return STATUS_OK;
	}
	return STATUS_NOT_FOUND;
}

/* z as a signed 128-bit word (|z| < 2^126 assumed by the caller). */
static siqs_i128 mpz_get_i128(const mpz_t z)
{
	siqs_u128 m = 0;
	size_t n = mpz_size(z);
	if (n > 0)
		m = mpz_getlimbn(z, 0);
	if (n > 1)
		m |= (siqs_u128)mpz_getlimbn(z, 1) << 64;
	return mpz_sgn(z) < 0 ? -(siqs_i128)m : (siqs_i128)m;
}

/* Whether |Q(x)| and its partial sums stay below 2^126 for every |x| <= M. */
static int native_fits(const struct siqs *S, size_t ba, size_t bb, size_t bc)
{
	size_t bm = 0;
	while (((uint64_t)1 << bm) <= S->fb.M)
		bm++;
	return mp_bits_per_limb == 64 && ba + 2 * bm + 3 <= 125 &&
		bb + bm + 3 <= 125 && bc + 2 <= 125;
}

/* Bits of |z| (0 for 0), as mpz_sizeinbase(z, 2) but 0 for 0. */
static size_t bits_i128(siqs_i128 z)
{
	siqs_u128 u = z < 0 ? (siqs_u128)-z : (siqs_u128)z;
	uint64_t hi = (uint64_t)(u >> 64), lo = (uint64_t)u;
	return hi    ? 128 - (size_t)__builtin_clzll(hi)
		: lo ? 64 - (size_t)__builtin_clzll(lo)
		     : 0;
}

/*
 * Copy A, B, C to words when |Q(x)| and its partial sums stay below
 * 2^126 for every |x| <= M: |A| x^2 + 2 |B| |x| + |C|.
 */
static void set_native(struct siqs *S)
{
	S->poly.native = native_fits(S, mpz_sizeinbase(S->poly.A, 2),
				     mpz_sizeinbase(S->poly.B, 2),
				     mpz_sizeinbase(S->poly.C, 2));
	if (!S->poly.native)
		return;
	S->poly.A128 = mpz_get_i128(S->poly.A);
	S->poly.B128 = mpz_get_i128(S->poly.B);
	S->poly.C128 = mpz_get_i128(S->poly.C);
}

#if SIQS_AVX2
/*
 * The per-prime set-up of init_a, 4 SIQS_VH primes per step in double
 * precision (AVX2 and FMA): every operand is a residue or a prime below
 * 2^26, so a b is exact, the nearest quotient is off by at most one and
 * a b - q p (one fused rounding) is exact and in (-p, p).
 * A^-1 = A^(p-2) by Fermat (the scalar path's Euclid divides).  The
 * results are the canonical residues of the scalar path.  Returns the
 * first prime index left undone; the primes of A get zero steps.
 */
__attribute__((target("avx2,fma"))) static uint32_t init_a_avx2(struct siqs *S)
{
	unsigned s = S->fb.s, l, h;
	uint32_t j = 2, F = S->fb.fb_n;
	const __m256d one = _mm256_set1_pd(1.0), zero = _mm256_setzero_pd();
	const __m256d md = _mm256_set1_pd((double)S->fb.M);
	__m256d qd[SIQS_MAX_S], gd[SIQS_MAX_S];
	for (l = 0; l < s; l++) {
		qd[l] = _mm256_set1_pd((double)S->fb.prime[S->poly.qidx[l]]);
		gd[l] = _mm256_set1_pd((double)S->poly.gamma[l]);
	}
	for (; j < F && F >= 2 + 4 * SIQS_VH; j += 4 * SIQS_VH) {
		__m128i ei[SIQS_VH];
		__m256d p[SIQS_VH], pinv[SIQS_VH], am[SIQS_VH], ai[SIQS_VH];
		__m256d inv[SIQS_VH], sum[SIQS_VH];
		__m256d pre[SIQS_MAX_S][SIQS_VH], qinv[SIQS_MAX_S][SIQS_VH];
		int bit;
		if (j + 4 * SIQS_VH > F)
			j = F - 4 * SIQS_VH; /* overlapping last step */
		/* ascending primes: the last one has the longest exponent */
		bit = 32 - __builtin_clz(S->fb.prime[j + 4 * SIQS_VH - 1]);
		for (h = 0; h < SIQS_VH; h++) {
			__m128i pi = _mm_loadu_si128(
				(const __m128i *)(const void *)(S->fb.prime +
								j + 4 * h));
			ei[h] = _mm_sub_epi32(pi, _mm_set1_epi32(2));
			p[h] = _mm256_cvtepi32_pd(pi);
			pinv[h] = _mm256_div_pd(one, p[h]);
			pre[0][h] = vmulmod_lazy(qd[0], one, p[h], pinv[h]);
		}
		for (l = 1; l < s; l++)
			for (h = 0; h < SIQS_VH; h++)
				pre[l][h] = vmulmod_lazy(pre[l - 1][h], qd[l],
							 p[h], pinv[h]);
		for (h = 0; h < SIQS_VH; h++)
			am[h] = pre[s - 1][h];
		vpowmods(ai, am, ei, bit, p, pinv);
		for (h = 0; h < SIQS_VH; h++)
			inv[h] = ai[h];
		for (l = s - 1; l > 0; l--)
			for (h = 0; h < SIQS_VH; h++) {
				qinv[l][h] = vmulmod_lazy(inv[h], pre[l - 1][h],
							  p[h], pinv[h]);
				inv[h] = vmulmod_lazy(inv[h], qd[l], p[h],
						      pinv[h]);
			}
		for (h = 0; h < SIQS_VH; h++) {
			qinv[0][h] = inv[h];
			ai[h] = canon(ai[h], p[h]);
			store_u32x4(S->poly.ainv + j + 4 * h, ai[h]);
			sum[h] = zero;
		}
		for (l = 0; l < s; l++)
			for (h = 0; h < SIQS_VH; h++) {
				__m256d g =
					canon(vmulmod_lazy(qinv[l][h], gd[l],
							   p[h], pinv[h]),
					      p[h]);
				sum[h] = vaddmod(sum[h], g, p[h]);
				store_u32x4(S->poly.bainv + (size_t)l * F + j +
						    4 * h,
					    vaddmod(g, g, p[h]));
			}
		for (h = 0; h < SIQS_VH; h++) {
			__m256d bm = canon(
				vmulmod_lazy(am[h], sum[h], p[h], pinv[h]),
				p[h]);
			__m256d mm = canon(vmulmod_lazy(md, one, p[h], pinv[h]),
					   p[h]);
			__m256d sq = _mm256_cvtepi32_pd(_mm_loadu_si128(
				(const __m128i *)(const void *)(S->fb.sqrtkn +
								j + 4 * h)));
			__m256d t1 = canon(_mm256_sub_pd(sq, bm), p[h]);
			__m256d t2 = canon(
				_mm256_sub_pd(_mm256_sub_pd(p[h], sq), bm),
				p[h]);
			store_u32x4(S->poly.root1 + j + 4 * h,
				    vaddmod(canon(vmulmod_lazy(t1, ai[h], p[h],
							       pinv[h]),
						  p[h]),
					    mm, p[h]));
			store_u32x4(S->poly.root2 + j + 4 * h,
				    vaddmod(canon(vmulmod_lazy(t2, ai[h], p[h],
							       pinv[h]),
						  p[h]),
					    mm, p[h]));
		}
	}
	for (l = 0; l < s; l++) {
		uint32_t jq = S->poly.qidx[l];
		unsigned m;
		if (jq >= j)
			continue;
		for (m = 0; m < s; m++)
			S->poly.bainv[(size_t)m * F + jq] = 0;
	}
	return j;
}
#endif

/* Set up A, the B_l, the first B, C and every root and 2 B_l A^-1 table. */
int siqs_init_a(struct siqs *S)
{
	unsigned s = S->fb.s, l;
	uint32_t j, F = S->fb.fb_n;

	mpz_set_ui(S->poly.A, 1);
	for (l = 0; l < s; l++)
		mpz_mul_ui(S->poly.A, S->poly.A, S->fb.prime[S->poly.qidx[l]]);
	mpz_set_ui(S->poly.B, 0);
	for (l = 0; l < s; l++) {
		uint32_t jq = S->poly.qidx[l], q = S->fb.prime[jq], r, g;
		mpz_divexact_ui(S->poly.t, S->poly.A, q);
		r = (uint32_t)mpz_fdiv_ui(S->poly.t, q);
		g = mulmod(S->fb.sqrtkn[jq], invmod(r, q), q);
		if (g > q / 2)
			g = q - g;
		S->poly.gamma[l] = g;
		mpz_mul_ui(S->poly.bl[l], S->poly.t, g);
		mpz_add(S->poly.B, S->poly.B, S->poly.bl[l]);
		S->poly.sgn[l] = 1;
	}
	mpz_mul(S->poly.C, S->poly.B, S->poly.B);
	mpz_sub(S->poly.C, S->poly.C, S->fb.kn);
	if (!mpz_divisible_p(S->poly.C, S->poly.A))
		return STATUS_NOT_FOUND;
	mpz_divexact(S->poly.C, S->poly.C, S->poly.A);
	/* A is odd and B's parity stays with A: A x + B is odd at the sieve
	   positions i = x + M (M even) of B's other parity */
	for (j = 0; j < sizeof S->poly.init_pat; j++)
		S->poly.init_pat[j] =
			(uint8_t)(S->fb.init_byte +
				  ((j ^ (uint32_t)mpz_odd_p(S->poly.B)) & 1
					   ? S->fb.two_lg
					   : 0));
	set_native(S);
	S->poly.abits = (unsigned)mpz_sizeinbase(S->poly.A, 2);
	if (S->poly.native)
		for (l = 0; l < s; l++)
			S->poly.bl128[l] = mpz_get_i128(S->poly.bl[l]);

	memset(S->poly.in_a, 0, F);
	for (l = 0; l < s; l++)
		S->poly.in_a[S->poly.qidx[l]] = 1;
	/*
	 * Per prime, in native words (Montgomery's batch inversion): prefix
	 * products of the q_l give A mod p, one inversion gives A^-1, and
	 * walking back gives every q_l^-1.  Then 2 B_l A^-1 = 2 g_l q_l^-1
	 * and B = A sum g_l q_l^-1 (B_l = (A/q_l) g_l): 4s - 2 products per
	 * prime instead of 5s.
	 */
	j = 2;
#if SIQS_AVX2
	if (S->fb.fma)
		j = init_a_avx2(S);
#endif
	for (; j < F; j++) {
		uint32_t p = S->fb.prime[j], ai, inv, am, sum = 0, bm, t1, t2,
			 Mm;
		uint64_t m = S->fb.bred[j];
		uint32_t pre[SIQS_MAX_S], qinv[SIQS_MAX_S];
		if (S->poly.in_a[j]) {
			for (l = 0; l < s; l++)
				S->poly.bainv[(size_t)l * F + j] = 0;
			continue;
		}
		pre[0] = mulmod_b(S->fb.prime[S->poly.qidx[0]], 1, p, m);
		for (l = 1; l < s; l++)
			pre[l] = mulmod_b(pre[l - 1],
					  S->fb.prime[S->poly.qidx[l]], p, m);
		/* NOLINTNEXTLINE(clang-analyzer-core.uninitialized.Assign): s >= 2 (choose_a_shape) */
		am = pre[s - 1];
		ai = invmod(am, p);
		inv = ai;
		for (l = s - 1; l > 0; l--) {
			qinv[l] = mulmod_b(inv, pre[l - 1], p, m);
			inv = mulmod_b(inv, S->fb.prime[S->poly.qidx[l]], p, m);
		}
		qinv[0] = inv;
		S->poly.ainv[j] = ai;
		for (l = 0; l < s; l++) {
			uint32_t g = mulmod_b(qinv[l], S->poly.gamma[l], p, m),
				 g2;
			sum += g;
			if (sum >= p)
				sum -= p;
			g2 = g << 1; /* p < 2^31 */
			S->poly.bainv[(size_t)l * F + j] = g2 >= p ? g2 - p
								   : g2;
		}
		bm = mulmod_b(am, sum, p, m);
		Mm = mulmod_b(S->fb.M, 1, p, m);
		t1 = S->fb.sqrtkn[j] >= bm ? S->fb.sqrtkn[j] - bm
					   : S->fb.sqrtkn[j] + p - bm;
		t2 = p - S->fb.sqrtkn[j] >= bm ? p - S->fb.sqrtkn[j] - bm
					       : 2 * p - S->fb.sqrtkn[j] - bm;
		t1 = mulmod_b(t1, ai, p, m) + Mm;
		t2 = mulmod_b(t2, ai, p, m) + Mm;
		S->poly.root1[j] = t1 >= p ? t1 - p : t1;
		S->poly.root2[j] = t2 >= p ? t2 - p : t2;
	}
	return STATUS_OK;
}

#if SIQS_AVX2
/*
 * roots += d (neg == 0) or += p - d (neg != 0), mod p, for the primes
 * j .. F - 1 in steps of eight; returns the first index left undone.
 * min(r, r - p) as unsigned words is r mod p for r < 2p.
 */
__attribute__((target("avx2"))) static uint32_t
roots_step_avx2(struct siqs *S, const uint32_t *d, int neg, uint32_t j)
{
	uint32_t F = S->fb.fb_n;
	for (; j + 8 <= F; j += 8) {
		__m256i p = _mm256_loadu_si256(
			(const __m256i *)(const void *)(S->fb.prime + j));
		__m256i dd = _mm256_loadu_si256(
			(const __m256i *)(const void *)(d + j));
		__m256i *q1 = (__m256i *)(void *)(S->poly.root1 + j);
		__m256i *q2 = (__m256i *)(void *)(S->poly.root2 + j);
		__m256i r1, r2;
		if (neg)
			dd = _mm256_sub_epi32(p, dd);
		r1 = _mm256_add_epi32(_mm256_loadu_si256(q1), dd);
		r2 = _mm256_add_epi32(_mm256_loadu_si256(q2), dd);
		_mm256_storeu_si256(
			q1, _mm256_min_epu32(r1, _mm256_sub_epi32(r1, p)));
		_mm256_storeu_si256(
			q2, _mm256_min_epu32(r2, _mm256_sub_epi32(r2, p)));
	}
	return j;
}
#endif

/* Gray-code step i (1 <= i < 2^(s-1)): flip the sign of B_v, v = ctz(i). */
void siqs_next_b(struct siqs *S, uint32_t i)
{
	unsigned v = 0;
	uint32_t j = 2, F = S->fb.fb_n;
	const uint32_t *d;
	int neg;
	while (!(i >> v & 1))
		v++;
	d = S->poly.bainv + (size_t)v * F;
	/* B -= 2 B_v moves every root by +2 B_v A^-1, B += 2 B_v by minus it */
	neg = S->poly.sgn[v] < 0;
	if (neg)
		mpz_addmul_ui(S->poly.B, S->poly.bl[v], 2);
	else
		mpz_submul_ui(S->poly.B, S->poly.bl[v], 2);
#if SIQS_AVX2
	if (S->fb.avx2)
		j = roots_step_avx2(S, d, neg, j);
#endif
	for (; j < F; j++) {
		uint32_t p = S->fb.prime[j], dd = neg ? p - d[j] : d[j], r1, r2;
		r1 = S->poly.root1[j] + dd;
		r2 = S->poly.root2[j] + dd;
		S->poly.root1[j] = r1 >= p ? r1 - p : r1;
		S->poly.root2[j] = r2 >= p ? r2 - p : r2;
	}
	if (S->poly.native) {
		/*
		 * In words: B' = B - 2 e B_v (e = sgn[v]) and C' = (B'^2 - kN)/A =
		 * C - 4 e g_v (B - e B_v) / q_v, as B_v = (A/q_v) g_v and q_v
		 * divides B - e B_v (the other B_l): an exact division, a
		 * multiplication by q_v^-1 mod 2^128.  |B|, |B_v| < 2^122 and
		 * |C| < 2^123, so nothing overflows; the mpz C is left stale.
		 */
		siqs_i128 e = S->poly.sgn[v], bv = S->poly.bl128[v], b2, c2, t;
		uint32_t jq = S->poly.qidx[v];
		t = S->poly.B128 - e * bv;
		t = (siqs_i128)((siqs_u128)t * S->fb.inv128[jq]);
		b2 = S->poly.B128 - 2 * e * bv;
		c2 = S->poly.C128 - 4 * e * (siqs_i128)S->poly.gamma[v] * t;
		S->poly.sgn[v] = -S->poly.sgn[v];
		if (native_fits(S, S->poly.abits, bits_i128(b2),
				bits_i128(c2))) {
			S->poly.B128 = b2;
			S->poly.C128 = c2;
			return;
		}
	} else {
		S->poly.sgn[v] = -S->poly.sgn[v];
	}
	mpz_mul(S->poly.C, S->poly.B, S->poly.B);
	mpz_sub(S->poly.C, S->poly.C, S->fb.kn);
	mpz_divexact(S->poly.C, S->poly.C, S->poly.A);
	set_native(S);
}
