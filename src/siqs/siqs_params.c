/*
 * siqs_params.c - SIQS per-number set-up: parameters, multiplier, factor base.
 *
 * Purpose: steps 1 to 3 of src/siqs/siqs.c's outline.  siqs_interp_params
 * reads the parameter table by n's bit size; siqs_build_fb chooses the
 * Knuth-Schroeppel multiplier k and fills the factor base of kN (primes,
 * square roots of kN, Barrett constants, reciprocals and inverses the
 * later phases divide by).
 *
 * Algorithm: odd primes by a sieve of odd numbers; n mod p one mpz
 * remainder per group of primes whose product fits 64 bits, then Barrett
 * reductions; Euler's criterion and the roots by powers (sixteen primes
 * per AVX2/FMA step), Atkin's formula for p = 5 mod 8, Tonelli-Shanks
 * otherwise.  The multiplier score (Knuth and Schroeppel, as in Silverman
 * 1987) over the primes below 4F, clamped to 600..2000.
 *
 * Invariants: the factor base is -1 (index 0), 2 (index 1), then odd
 * primes ascending; sieve_start is the first index with p >= the
 * smallest sieved prime, med_end the first with p >= SIQS_BUCKET_MIN.
 * A prime that divides n ends the set-up with STATUS_FOUND.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "siqs.h"
#include "siqs_int.h"
#include "status.h"
#include "siqs_arith.h"

/*
 * The rows were chosen by measurement on the jobs/bench sets (instruction
 * counts and CPU time; src/siqs/siqs_NOTES.md has the runs).  From
 * SIQS_DLP_MIN_BITS the double large prime columns (cutoff exponent e,
 * and the slack dlp_fudge that replaces fudge, as T then counts the
 * cutoff L^e instead of L) are used; below they are not read.  Above 233 bits the rows are extrapolated and capped by the
 * memory of the dense elimination (two bit matrices of F^2 / 8 bytes
 * each).
 */
static const struct siqs_row siqs_table[] = {
	{ 64, 60, 20, 0.25, 7, 1.75, 10 },
	{ 96, 150, 30, 0.25, 8, 1.75, 10 },
	{ 112, 275, 40, 0.625, 9, 1.75, 10 },
	{ 128, 550, 50, 1, 10, 1.75, 10 },
	{ 160, 1400, 50, 2, 10, 1.75, 10 },
	{ 200, 5000, 200, 6, 15, 1.75, 10 },
	{ 233, 12000, 200, 8, 14, 1.75, 10 },
	{ 266, 20000, 120, 10, 14, 1.75, 11 },
	{ 299, 25000, 120, 12, 15, 1.75, 12 },
	{ 400, 25000, 150, 16, 16, 1.75, 13 },
};
enum { SIQS_TABLE_ROWS = sizeof siqs_table / sizeof siqs_table[0] };

/*
 * The Jacobi symbol (a/n) for odd n, binary form: halvings and
 * subtractions, no division (Cohen, "A Course in Computational Algebraic
 * Number Theory", algorithm 1.4.10 with a - n in place of n mod a).
 */
static int jacobi_u32(uint32_t a, uint32_t n)
{
	int t = 1;
	while (a) {
		unsigned v = (unsigned)__builtin_ctz(a);
		a >>= v;
		if ((v & 1) && ((n & 7) == 3 || (n & 7) == 5))
			t = -t;
		if (a < n) {
			uint32_t x = a;
			a = n;
			n = x;
			if ((a & 3) == 3 && (n & 3) == 3)
				t = -t;
		}
		a -= n;
	}
	return n == 1 ? t : 0;
}

/*
 * Square root of a quadratic residue a mod an odd prime p, m = floor((2^64
 * - 1) / p) for the Barrett products: p = 3 mod 4, a^((p+1)/4); p = 5 mod
 * 8, Atkin's v = (2a)^((p-5)/8), r = a v (2a v^2 - 1) (one power, was
 * Tonelli-Shanks' four or more); else Tonelli-Shanks, the non-residue
 * searched from 3 (2 is a residue when p = 1 mod 8).  Either root may
 * come back: the sieve uses both and the B_l take the smaller gamma.
 */
static uint32_t sqrtmod(uint32_t a, uint32_t p, uint64_t m)
{
	uint32_t q = p - 1, z = 3, e = 0, c, t, r, b, i, j;
	a %= p;
	if (a == 0)
		return 0;
	if ((p & 3) == 3)
		return powmod(a, (p + 1) / 4, p, m);
	if ((p & 7) == 5) {
		uint32_t a2 = a << 1 >= p ? (a << 1) - p
					  : a << 1; /* p < 2^31 */
		uint32_t v = powmod(a2, (p - 5) / 8, p, m);
		uint32_t ii = mulmod_b(a2, mulmod_b(v, v, p, m), p, m);
		return mulmod_b(mulmod_b(a, v, p, m), ii == 0 ? p - 1 : ii - 1,
				p, m);
	}
	while (!(q & 1)) {
		q >>= 1;
		e++;
	}
	while (jacobi_u32(z, p) != -1) /* no power per try */
		z++;
	c = powmod(z, q, p, m);
	t = powmod(a, q, p, m);
	r = powmod(a, (q + 1) / 2, p, m);
	while (t != 1) {
		uint32_t tt = t;
		for (i = 0; tt != 1 && i < e; i++)
			tt = mulmod_b(tt, tt, p, m);
		b = c;
		for (j = 0; j + i + 1 < e; j++)
			b = mulmod_b(b, b, p, m);
		e = i;
		c = mulmod_b(b, b, p, m);
		t = mulmod_b(t, c, p, m);
		r = mulmod_b(r, b, p, m);
	}
	return r;
}

/*
 * Odd primes below limit into *out (malloc'd); returns count or -1.  The
 * sieve holds odd numbers only: byte k stands for 2k + 1.
 */
static long odd_primes(uint32_t limit, uint32_t **out)
{
	uint32_t half = limit / 2, k, m;
	uint8_t *comp = calloc(half + 1, 1);
	uint32_t *p;
	long cnt = 0;
	if (!comp)
		return -1;
	for (k = 1; k < half && (uint64_t)(2 * k + 1) * (2 * k + 1) < limit;
	     k++)
		if (!comp[k])
			for (m = 2 * k * (k + 1); m < half; m += 2 * k + 1)
				comp[m] = 1; /* (2k+1)^2 = 2m + 1 onwards */
	for (k = 1; k < half; k++)
		cnt += !comp[k];
	p = malloc(((size_t)cnt + 1) * sizeof *p); /* + 1: the last store */
	if (!p) {
		free(comp);
		return -1;
	}
	cnt = 0;
	for (k = 1; k < half; k++) { /* branch-free: a branch mispredicted */
		p[cnt] = 2 * k + 1;
		cnt += !comp[k];
	}
	free(comp);
	*out = p;
	return cnt;
}

#if SIQS_AVX2
/*
 * out[j] = base[j]^ex[j] mod pr[j] for every j below n when n >= 4
 * SIQS_VH, else none (returns the count done), the primes ascending and
 * below 2^26, ex[j] < pr[j]: 4 SIQS_VH lanes in doubles as in init_a_avx2
 * (lazy products, canonical at the end).
 */
__attribute__((target("avx2,fma"))) static long
powmods_avx2(const uint32_t *pr, const uint32_t *base, const uint32_t *ex,
	     uint32_t *out, long n)
{
	const __m256d one = _mm256_set1_pd(1.0);
	long j = 0;
	unsigned h;
	for (; j < n && n >= 4 * SIQS_VH; j += 4 * SIQS_VH) {
		__m256d p[SIQS_VH], pinv[SIQS_VH], b[SIQS_VH], r[SIQS_VH];
		__m128i e[SIQS_VH];
		int bit;
		if (j + 4 * SIQS_VH > n)
			j = n - 4 * SIQS_VH; /* overlapping last step */
		bit = 32 - __builtin_clz(pr[j + 4 * SIQS_VH - 1]);
		for (h = 0; h < SIQS_VH; h++) {
			p[h] = _mm256_cvtepi32_pd(_mm_loadu_si128(
				(const __m128i *)(const void *)(pr + j +
								4 * h)));
			pinv[h] = _mm256_div_pd(one, p[h]);
			b[h] = _mm256_cvtepi32_pd(_mm_loadu_si128(
				(const __m128i *)(const void *)(base + j +
								4 * h)));
			e[h] = _mm_loadu_si128((
				const __m128i *)(const void *)(ex + j + 4 * h));
		}
		vpowmods(r, b, e, bit, p, pinv);
		for (h = 0; h < SIQS_VH; h++)
			store_u32x4(out + j + 4 * h, canon(r[h], p[h]));
	}
	return j;
}
#endif

/*
 * out[j] = base[j]^ex[j] mod pr[j] (pm: the Barrett constants), eight at
 * a time when fast (AVX2 and FMA) and the primes fit 26 bits: the scalar
 * chains are latency-bound (a tenth of the 96-bit set-up).
 */
static void powmods(int fast, const uint32_t *pr, const uint64_t *pm,
		    const uint32_t *base, const uint32_t *ex, uint32_t *out,
		    long n)
{
	long j = 0;
#if SIQS_AVX2
	if (fast && n > 0 && pr[n - 1] < (1u << 26))
		j = powmods_avx2(pr, base, ex, out, n);
#else
	(void)fast;
#endif
	for (; j < n; j++)
		out[j] = powmod(base[j], ex[j], pr[j], pm[j]);
}

static const uint8_t siqs_mults[] = {
	1,  3,  5,  7,  11, 13, 15, 17, 19, 21, 23, 29, 31, 33,
	35, 37, 39, 41, 43, 47, 51, 53, 55, 57, 59, 61, 65, 67,
	69, 71, 73, 77, 79, 83, 85, 87, 89, 91, 93, 95, 97,
};

/* The odd primes of the multipliers (each multiplier has at most two). */
static const uint8_t siqs_mult_primes[] = {
	3,  5,  7,  11, 13, 17, 19, 23, 29, 31, 37, 41,
	43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89, 97,
};

/*
 * Knuth-Schroeppel: the k maximising the expected log contribution.
 * (k/p) is the product of the Legendre symbols (q/p) of the primes q of k,
 * each read from a bit set of the squares mod q by quadratic reciprocity:
 * (q/p) = (p mod q / q), negated when p and q are both 3 mod 4.  Per
 * prime p, bit i of nonres is set when (k_i/p) = -1 (the XOR of the
 * multiplier masks of the q with (q/p) = -1: k is squarefree) and bit i of
 * zero when p | k_i; then every score moves by ram (p | k n), 0 ((kn/p) =
 * -1) or split ((kn/p) = 1), four multipliers per AVX2 step.  The same
 * doubles are added in the same order on both paths, so the choice is the
 * same.
 */
enum {
	SIQS_NK = sizeof siqs_mults,
	SIQS_NQ = sizeof siqs_mult_primes,
	SIQS_NK4 = (SIQS_NK + 3) / 4 /* groups of four multipliers */
};
static_assert(SIQS_NK <= 64, "a multiplier set is one 64-bit mask");

#if SIQS_AVX2
/* score[i] += zero_i ? ram : nonres_i ? 0 : split, four lanes per step. */
__attribute__((target("avx2"))) static void
ks_add_avx2(double *score, uint64_t zero, uint64_t nonres, double ram,
	    double split)
{
	const __m256i lane = _mm256_set_epi64x(8, 4, 2, 1);
	const __m256d vr = _mm256_set1_pd(ram), vs = _mm256_set1_pd(split);
	unsigned g;
	for (g = 0; g < SIQS_NK4; g++) {
		__m256i z = _mm256_set1_epi64x((long long)(zero >> 4 * g));
		__m256i nr = _mm256_set1_epi64x((long long)(nonres >> 4 * g));
		__m256d mz = _mm256_castsi256_pd(
			_mm256_cmpeq_epi64(_mm256_and_si256(z, lane), lane));
		__m256d mn = _mm256_castsi256_pd(
			_mm256_cmpeq_epi64(_mm256_and_si256(nr, lane), lane));
		__m256d add = _mm256_or_pd(
			_mm256_and_pd(mz, vr),
			_mm256_andnot_pd(_mm256_or_pd(mz, mn), vs));
		_mm256_storeu_pd(
			score + 4 * g,
			_mm256_add_pd(_mm256_loadu_pd(score + 4 * g), add));
	}
}
#endif

static uint32_t choose_multiplier(const mpz_t n, const uint32_t *pr,
				  const uint32_t *nres, const uint32_t *euler,
				  long np, uint32_t pmax, int avx2)
{
	enum { NK = SIQS_NK, NQ = SIQS_NQ, QMAX = 97, CHUNK = 64 };
	double score[4 * SIQS_NK4];
	uint8_t nonsq[NQ][QMAX]; /* 1: r is not a square mod q (r < q) */
	uint64_t kmask[NQ], zero[CHUNK], nonres[CHUNK];
	uint64_t all = ((uint64_t)1 << NK) - 1;
	int8_t idx_of[QMAX + 1];
	uint32_t nmod8 = (uint32_t)mpz_fdiv_ui(n, 8), best = 1;
	double bs = -1e30;
	size_t i, qi;
	long j0, j, nj;

	(void)avx2;
	/*
	 * Squares mod q by (x+1)^2 = x^2 + 2x + 1 (x below q/2 covers them
	 * all), the multipliers of each q by walking its multiples: no
	 * division.
	 */
	memset(idx_of, 0xff, sizeof idx_of);
	for (i = 0; i < NK; i++)
		idx_of[siqs_mults[i]] = (int8_t)i;
	memset(nonsq, 1, sizeof nonsq);
	for (qi = 0; qi < NQ; qi++) {
		uint32_t q = siqs_mult_primes[qi], x, sq = 0, t;
		for (x = 1; 2 * x < q; x++) {
			sq += 2 * x - 1; /* x^2 mod q: sq + 2x - 1 < 3q */
			if (sq >= q)
				sq -= q;
			if (sq >= q)
				sq -= q;
			nonsq[qi][sq] = 0;
		}
		kmask[qi] = 0;
		for (t = q; t <= QMAX; t += q)
			if (idx_of[t] >= 0)
				kmask[qi] |= (uint64_t)1 << idx_of[t];
	}
	for (i = 0; i < 4 * SIQS_NK4; i++) {
		uint32_t k = i < NK ? siqs_mults[i] : 1, km = (nmod8 * k) & 7;
		score[i] = -0.5 * log((double)k);
		if (km == 1)
			score[i] += 2.0 * log(2.0);
		else if (km == 5)
			score[i] += log(2.0);
		else
			score[i] += 0.5 * log(2.0);
	}
	for (j0 = 0; j0 < np && pr[j0] < pmax; j0 += nj) {
		for (nj = 0; nj < CHUNK && j0 + nj < np && pr[j0 + nj] < pmax;
		     nj++) {
			/* Euler's criterion: (n/p) = n^((p-1)/2); (kn/p) = (n/p) (k/p) */
			zero[nj] = nres[j0 + nj] == 0 ? all : 0;
			nonres[nj] = nres[j0 + nj] && euler[j0 + nj] != 1 ? all
									  : 0;
		}
		for (qi = 0; qi < NQ; qi++) {
			uint32_t q = siqs_mult_primes[qi], q3 = (q & 3) == 3;
			/* p mod q = p - q floor(p m / 2^32): exact for p < 2^24 */
			uint64_t m = ((uint64_t)1 << 32) / q + 1,
				 km = kmask[qi];
			const uint8_t *ns = nonsq[qi];
			for (j = 0; j < nj; j++) {
				uint32_t p = pr[j0 + j];
				uint32_t r = p -
					q * (uint32_t)(((uint64_t)p * m) >> 32);
				/* (q/p) = -1: p mod q a non-square, flipped when p
				 * and q are both 3 mod 4 */
				uint64_t nr =
					(uint64_t)(ns[r] ^ (q3 & (p >> 1)));
				nonres[j] ^= km & (0 - nr);
				if (r == 0) /* q = p */
					zero[j] |= km;
			}
		}
		for (j = 0; j < nj; j++) {
			uint32_t p = pr[j0 + j];
			double lp = log((double)p), ram = lp / p,
			       split = 2.0 * lp / (p - 1);
#if SIQS_AVX2
			if (avx2) {
				ks_add_avx2(score, zero[j], nonres[j], ram,
					    split);
				continue;
			}
#endif
			for (i = 0; i < NK; i++)
				score[i] += zero[j] >> i & 1 ? ram
					: nonres[j] >> i & 1 ? 0.0
							     : split;
		}
	}
	for (i = 0; i < NK; i++)
		if (score[i] > bs) {
			bs = score[i];
			best = siqs_mults[i];
		}
	return best;
}

void siqs_interp_params(size_t bits, struct siqs_row *row)
{
	size_t i;
	double b = (double)bits, f;
	const struct siqs_row *lo, *hi;
	if (b <= siqs_table[0].bits) {
		*row = siqs_table[0];
		return;
	}
	for (i = 1; i + 1 < SIQS_TABLE_ROWS && b > siqs_table[i].bits; i++)
		;
	lo = &siqs_table[i - 1];
	hi = &siqs_table[i];
	f = (b - lo->bits) / (hi->bits - lo->bits);
	if (f > 1)
		f = 1;
	row->bits = b;
	row->fb = lo->fb + f * (hi->fb - lo->fb);
	row->lp_mult = lo->lp_mult + f * (hi->lp_mult - lo->lp_mult);
	row->blocks = lo->blocks + f * (hi->blocks - lo->blocks);
	row->fudge = lo->fudge + f * (hi->fudge - lo->fudge);
	row->dlp = lo->dlp + f * (hi->dlp - lo->dlp);
	row->dlp_fudge = lo->dlp_fudge + f * (hi->dlp_fudge - lo->dlp_fudge);
}

/*
 * n mod p (nres) and floor((2^64 - 1) / p) (pm) for the primes from *done
 * to at least upto (or np): one mpz remainder per group of primes whose
 * product fits 64 bits, then Barrett reductions.  Only the primes the
 * factor base reaches are done (about half of those sieved at 96 bits).
 */
static void fill_nres(const mpz_t n, const uint32_t *pr, long np,
		      uint32_t *nres, uint64_t *pm, long *done, long upto)
{
	long j = *done;
	while (j < np && j < upto) {
		uint64_t prod = 1, r;
		long g = j;
		while (g < np && (siqs_u128)prod * pr[g] <= UINT64_MAX)
			prod *= pr[g++];
		r = mpz_fdiv_ui(n, prod);
		for (; j < g; j++) {
			uint64_t q;
			pm[j] = UINT64_MAX / pr[j];
			q = (uint64_t)(((siqs_u128)r * pm[j]) >> 64);
			q = r - q * pr[j];
			while (q >= pr[j])
				q -= pr[j];
			nres[j] = (uint32_t)q;
		}
	}
	*done = j;
}

/*
 * The arrays of sz factor-base entries (with the slack the vector code
 * reads or writes past the last entry), and the per-polynomial arrays of
 * the same length.
 */
static int fb_alloc(struct siqs *S, size_t sz)
{
	S->fb.prime = malloc(sz * sizeof *S->fb.prime);
	S->fb.sqrtkn = malloc(sz * sizeof *S->fb.sqrtkn);
	S->poly.ainv = calloc(sz, sizeof *S->poly.ainv);
	/* + 16: set_roots16 reads sixteen at a time */
	S->poly.root1 = calloc(sz + 16, sizeof *S->poly.root1);
	S->poly.root2 = calloc(sz + 16, sizeof *S->poly.root2);
	S->fb.logp = calloc(sz, 1);
	S->fb.pinv = calloc(sz, sizeof *S->fb.pinv);
	S->fb.bred = calloc(sz, sizeof *S->fb.bred);
	S->fb.inv128 = calloc(sz, sizeof *S->fb.inv128);
	S->fb.pf = calloc(sz, sizeof *S->fb.pf);
	S->fb.pinvf = calloc(sz, sizeof *S->fb.pinvf);
	S->fb.p16 = calloc(5 * (sz + 16), sizeof *S->fb.p16);
	S->sv.next1 = calloc(sz, sizeof *S->sv.next1);
	S->sv.next2 = calloc(sz, sizeof *S->sv.next2);
	S->sv.hits = calloc(
		sz + 16, sizeof *S->sv.hits); /* vector appends overrun by 7 */
	S->fb.hit_stride = sz +
		32; /* root_hits16_batch_avx512: 16 past the last */
	S->sv.hitsb = calloc(8 * S->fb.hit_stride, sizeof *S->sv.hitsb);
	S->sv.cand = malloc(SIQS_MAX_CAND * sizeof *S->sv.cand);
	S->poly.in_a = calloc(sz, 1);
	if (!S->fb.prime || !S->fb.sqrtkn || !S->poly.ainv || !S->poly.root1 ||
	    !S->poly.root2 || !S->fb.logp || !S->poly.in_a || !S->fb.pinv ||
	    !S->fb.bred || !S->fb.inv128 || !S->fb.pf || !S->fb.pinvf ||
	    !S->fb.p16 || !S->sv.next1 || !S->sv.next2 || !S->sv.hits ||
	    !S->sv.hitsb || !S->sv.cand) {
		return STATUS_ERR_NOMEM;
	}
	return STATUS_OK;
}

/*
 * What the later phases divide by, per factor-base prime: the 2^40
 * reciprocal, p^-1 mod 2^128, p and 1/p as floats, the 16-bit words of
 * the root check; and where the sieved and the bucket-sieved primes start.
 */
static void fb_constants(struct siqs *S, size_t sz)
{
	uint32_t i;

	S->fb.bred[1] = UINT64_MAX / 2;
	for (i = 1; i < S->fb.fb_n; i++)
		/* floor(2^40 / p) + 1, as 2^40 / p is never an integer (odd p) */
		S->fb.pinv[i] = (S->fb.bred[i] >> 24) + 1;
	for (i = 2; i < S->fb.fb_n; i++) {
		uint64_t p = S->fb.prime[i], x = p; /* p p = 1 mod 8 */
		int it;
		for (it = 0; it < 5; it++) /* Newton: 3, 6, ... 96 bits */
			x *= 2 - p * x;
		/* one more step in 128 bits */
		S->fb.inv128[i] = (siqs_u128)x * (2 - (siqs_u128)p * x);
		S->fb.pf[i] = (float)S->fb.prime[i];
		S->fb.pinvf[i] = 1.0f / (float)S->fb.prime[i];
	}
	S->fb.inv16 = S->fb.p16 + (sz + 16);
	S->fb.lim16 = S->fb.p16 + 2 * (sz + 16);
	S->poly.ra16 = S->fb.p16 + 3 * (sz + 16);
	S->poly.rb16 = S->fb.p16 + 4 * (sz + 16);
	for (i = 2; i < S->fb.fb_n && S->fb.prime[i] < (1u << 15); i++) {
		S->fb.p16[i] = (uint16_t)S->fb.prime[i];
		S->fb.inv16[i] = (uint16_t)S->fb.inv128[i];
		S->fb.lim16[i] = (uint16_t)(UINT16_MAX / S->fb.prime[i]);
	}
	S->fb.sieve_start = 2;
	while (S->fb.sieve_start < S->fb.fb_n &&
	       S->fb.prime[S->fb.sieve_start] < S->fb.small_prime)
		S->fb.sieve_start++;
	S->fb.med_end = S->fb.sieve_start;
	while (S->fb.med_end < S->fb.fb_n &&
	       S->fb.prime[S->fb.med_end] < SIQS_BUCKET_MIN)
		S->fb.med_end++;
}

/*
 * Build the factor base.  Returns STATUS_OK, STATUS_FOUND (f set to a
 * prime of n met on the way), STATUS_ERR_NOMEM.
 */
int siqs_build_fb(struct siqs *S, mpz_t f, uint32_t want)
{
	uint32_t limit = 16 * want + 2048, pmax;
	uint32_t *pr = NULL, *nres = NULL, *ex = NULL, *km = NULL, *rr = NULL;
	uint64_t *pm = NULL;
	long np, j, done = 0, nres_done = 0;
	size_t sz;
	int status = STATUS_OK;

	for (;;) {
		np = odd_primes(limit, &pr);
		if (np < 0)
			return STATUS_ERR_NOMEM;
		/* about half the primes are residues: 2.5 want is plenty */
		if ((uint64_t)np * 2 > 5ULL * want + 200 || limit >= (1u << 30))
			break;
		free(pr);
		pr = NULL;
		limit *= 2;
	}
	nres = malloc(((size_t)np + 1) * sizeof *nres);
	pm = malloc(((size_t)np + 1) * sizeof *pm);
	if (!nres || !pm) {
		free(pr);
		free(nres);
		free(pm);
		return STATUS_ERR_NOMEM;
	}
	/*
	 * The score over the primes below 4F, at least 600, at most 2000
	 * (a longer score costs more than a better k saves: siqs_NOTES.md).
	 */
	ex = malloc(((size_t)np + 1) * sizeof *ex);
	km = malloc(((size_t)np + 1) * sizeof *km);
	rr = malloc(((size_t)np + 1) * sizeof *rr);
	if (!ex || !km || !rr) {
		status = STATUS_ERR_NOMEM;
		goto done;
	}
	pmax = want < 150 ? 600 : want > 500 ? 2000 : 4 * want;
	for (j = 0; j < np && pr[j] < pmax; j++)
		ex[j] = (pr[j] - 1) / 2;
	fill_nres(S->fb.n, pr, np, nres, pm, &nres_done, j);
	powmods(S->fb.fma, pr, pm, nres, ex, rr, j);
	S->fb.k =
		choose_multiplier(S->fb.n, pr, nres, rr, np, pmax, S->fb.avx2);
	mpz_mul_ui(S->fb.kn, S->fb.n, S->fb.k);

	sz = (size_t)want + 2;
	if (fb_alloc(S, sz) != STATUS_OK) {
		status = STATUS_ERR_NOMEM;
		goto done;
	}
	S->fb.prime[0] = 1;
	S->fb.sqrtkn[0] = 0;
	S->fb.prime[1] = 2;
	S->fb.sqrtkn[1] = 1;
	S->fb.fb_n = 2;
	for (j = 0; j < np && S->fb.fb_n < want; j++) {
		uint32_t p = pr[j], r = 0;
		if (j == done) {
			/*
			 * the next 64 primes: km = kN mod p and km^e with e =
			 * (p+1)/4 (p = 3 mod 4: the root when km is a residue)
			 * or (p-1)/2 (Euler's criterion), all at once
			 */
			long t, e = np - done < 64 ? np : done + 64;
			fill_nres(S->fb.n, pr, np, nres, pm, &nres_done, e);
			for (t = done; t < e; t++) {
				uint32_t q = pr[t];
				km[t] = mulmod_b(nres[t],
						 S->fb.k < q ? S->fb.k
							     : S->fb.k % q,
						 q, pm[t]);
				ex[t] = (q & 3) == 3 ? (q + 1) / 4
						     : (q - 1) / 2;
			}
			powmods(S->fb.fma, pr + done, pm + done, km + done,
				ex + done, rr + done, e - done);
			done = e;
		}
		if (km[j] == 0) {
			if (nres[j] == 0 && mpz_cmp_ui(S->fb.n, p) > 0) {
				mpz_set_ui(f, p);
				status = STATUS_FOUND;
				goto done;
			}
		} else if ((p & 3) == 3) {
			/* r = km^((p+1)/4) is a root exactly when km is a residue */
			r = rr[j];
			if (mulmod_b(r, r, p, pm[j]) != km[j])
				continue;
		} else if (rr[j] == 1) {
			r = sqrtmod(km[j], p, pm[j]);
		} else {
			continue;
		}
		S->fb.sqrtkn[S->fb.fb_n] = r;
		S->fb.bred[S->fb.fb_n] = pm[j];
		S->fb.prime[S->fb.fb_n++] = p;
	}
	fb_constants(S, sz);
done:
	free(pr);
	free(nres);
	free(pm);
	free(ex);
	free(km);
	free(rr);
	return status;
}
