/*
 * siqs.c - self-initialising quadratic sieve: one non-trivial factor of n.
 *
 * Purpose: siqs_factor() of include/siqs.h.  It accepts odd n of
 * SIQS_MIN_BITS to SIQS_MAX_BITS (64 to 400) bits; the engine calls it
 * for composites of 68 bits (engine_u128.c, SIQS_MIN_BITS128) to 110
 * digits (engine_mpz.c, SIQS_MAX_DIGITS; about 365 bits) once trial
 * division, rho and ECM have not split them.  Pure: no printing, no exit,
 * no MPI.  Tuning history: src/siqs_NOTES.md.
 *
 * Algorithm (Contini, "Factoring integers with the self-initializing
 * quadratic sieve", 1997; Silverman, "The multiple polynomial quadratic
 * sieve", Math. Comp. 48, 1987; Pomerance, "The quadratic sieve factoring
 * algorithm", Eurocrypt 1984):
 *   1. Multiplier k (Knuth-Schroeppel score over the odd primes below 4F,
 *      clamped to 600..2000): kN is the number actually sieved, k odd and
 *      squarefree below 100; (k/p) from tables of squares mod the primes
 *      of k, by reciprocity.
 *   2. Parameters from a table by the bit size of n, interpolated: factor
 *      base size F, large-prime bound (lp_mult * largest FB prime), sieve
 *      interval [-M, M) in 32 KiB blocks (below 1 block: 4 KiB steps).
 *   3. Factor base: -1, 2 and the odd primes p with (kN/p) != -1, with
 *      t = sqrt(kN) mod p.  n mod p for the primes needed: one mpz
 *      remainder per group of primes whose product fits 64 bits, then
 *      Barrett reductions; p = 3 mod 4: t = (kN)^((p+1)/4) is the root
 *      exactly when t^2 = kN (one power, no separate Legendre symbol),
 *      else Euler's criterion, then Atkin's formula (p = 5 mod 8) or
 *      Tonelli-Shanks, all with Barrett products.  A prime dividing n is
 *      returned at once as the factor.
 *   4. Polynomials: A = q_1...q_s, FB primes chosen at random (seeded) in
 *      a window around (sqrt(2kN)/M)^(1/s), the last one picked to bring A
 *      closest to sqrt(2kN)/M; an A already used is rejected.  B_l =
 *      (A/q_l) * (t_l (A/q_l)^-1 mod q_l) and B = sum +-B_l: the 2^(s-1)
 *      sign patterns are walked in Gray-code order, so each switch moves
 *      every root by one precomputed 2 B_l A^-1 mod p (the
 *      self-initialisation).  Q(x) = ((Ax+B)^2 - kN)/A = Ax^2 + 2Bx + C.
 *      Per prime and A, Montgomery's batch inversion: prefix products of
 *      the q_l, one inverse (A^-1), then every q_l^-1 walking back, and
 *      2 B_l A^-1 = 2 g_l q_l^-1, B = A sum g_l q_l^-1 (4s - 2 products).
 *      Scalar: Barrett products and a 32-bit Euclid; with AVX2 and FMA
 *      four primes per vector in doubles, four vectors' chains interleaved
 *      (operands below 2^26, so products are exact, one fused a b - q p
 *      each) and A^-1 = A^(p-2).  The Gray-code root step is eight primes
 *      per AVX2 step (min(r, r - p) as unsigned words reduces r < 2p).
 *   5. Sieve: 8-bit scaled logarithms added at both roots of every FB
 *      prime from 30 upwards (small prime variation: smaller primes are
 *      not sieved, the threshold is lowered instead).  Primes below half
 *      the block size are sieved block by block (32 KiB, L1; two roots
 *      per step, unrolled); with one block (96 to 128 bits) straight from
 *      the roots, the primes with under 64 hits per root by runs of equal
 *      len / p, two primes at a time, with a fixed count of adds and the
 *      last one a select into a spare byte (no loop exit that depends on a
 *      root).  Larger primes hit a block at most twice per root: they are
 *      first written to one bucket per block and added when the block is
 *      in L1 (Wambach and Wettig's bucket sieve, as msieve and yafu do).
 *      The byte starts at 128 - T so a candidate is a byte with its top
 *      bit set (plus the expected power of 2 where A x + B is odd, 4 bits
 *      when kN = 1 mod 8: half the positions, the same two-byte pattern
 *      for every polynomial of one A), found 128 bytes per AVX2 test
 *      (SSE2: 64).  T = log2(M sqrt(kN/2)) - log2(large prime bound) -
 *      (the table's slack) bits.
 *   6. Trial division of each candidate: the primes below half the block
 *      divide Q(x) exactly when i mod p is one of their roots.  With AVX2
 *      sixteen primes per step in 16-bit words when i < 2^15 (p | i + p -
 *      r by a multiply-by-inverse test, eight candidates at once; with
 *      AVX-512 thirty-two, the test into a lane mask and the hits appended
 *      by compressing), else eight in single precision (q = rint(i
 *      fl(1/p)) is exact for i < 2^20), the lanes that match appended
 *      branch-free through a table of the set bits of each byte (SSE2:
 *      four; scalar: a multiply-shift by floor(2^40/p) + 1).  The larger
 *      primes are read back from the block's bucket entries landing on a
 *      candidate (AVX2: eight entry offsets compared with the block's few
 *      candidates per step).  When every |Q(x)| < 2^126 (up to about 200
 *      bits) Q(x) is evaluated and divided in 128-bit words: p | u
 *      exactly when u p^-1 mod 2^128 is at most (2^128 - 1)/p (Granlund
 *      and Montgomery, "Division by invariant integers using
 *      multiplication", PLDI 1994), no GMP call per candidate (a hit's
 *      prime is divided out once untested; y = Ax + B is kept as limbs,
 *      and B, C move to the next polynomial in words too).  The cofactor
 *      must be 1 (full relation) or a prime below the large prime bound
 *      (partial relation).  Partials sharing their large prime are paired
 *      into full relations (single large prime variation: a hash table
 *      keyed by the large prime; each later partial pairs with the first
 *      one).
 *   7. When fulls + pairs exceed F by SIQS_EXTRA (4: a dependency splits
 *      n with probability 1/2 or more, and the matrix has more
 *      dependencies than rows beyond F, as a few columns stay empty or
 *      dependent), siqs_linalg() finds them (if all are trivial,
 *      SIQS_EXTRA more relations are gathered and it is tried again, at
 *      most SIQS_MAX_RETRIES times, then STATUS_NOT_FOUND); the matrix
 *      rows keep the odd-exponent columns by parity toggles.  For each
 *      dependency X = prod (Ax+B) mod n, Y = sqrt(prod A Q(x)) mod n from
 *      the summed exponents (prime powers gathered in 64-bit words, one
 *      multiply per word), and gcd(X - Y, n) is tried; the products are
 *      reduced mod n only when past twice n's limbs.
 *
 * Vector paths (SSE2 where compiled, AVX2/FMA/AVX-512 chosen at run time
 * with __builtin_cpu_supports) compute the same residues as the scalar
 * code: params->scalar turns them off and test_siqs checks both find
 * identical relations.
 *
 * Invariants: every random choice comes from params->seed (runs repeat);
 * the deadline and stop hook are polled after every polynomial; every
 * allocation is released through the one cleanup path of siqs_factor;
 * the factor returned satisfies 1 < f < n and f | n.
 */
#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
/* AVX2 code paths are compiled per function and chosen at run time. */
#if defined(__x86_64__) && defined(__GNUC__)
#define SIQS_AVX2 1
#include <immintrin.h>
#else
#define SIQS_AVX2 0
#endif

#include "siqs.h"
#include "siqs_int.h"
#include "status.h"

enum {
	SIQS_BLOCK_BITS = 15,
	SIQS_BLOCK = 1 << SIQS_BLOCK_BITS, /* sieve block: the L1 data cache */
	SIQS_SMALL_PRIME = 30,   /* primes below this are not sieved */
	SIQS_BUCKET_MIN = SIQS_BLOCK / 2, /* primes bucket-sieved from here */
	SIQS_EXTRA = 4,          /* relations wanted beyond F (see step 7) */
	SIQS_MAX_S = 20,         /* most primes in A */
	SIQS_MIN_BITS = 64,      /* smallest n accepted */
	SIQS_MAX_BITS = 400,     /* largest n accepted (about 120 digits) */
	SIQS_MAX_FAC = 512,      /* factor-base entries in one relation */
	SIQS_A_TRIES = 2000,     /* attempts to find an unused A */
	SIQS_MAX_CAND = 16384,   /* candidates kept per polynomial */
	SIQS_MAX_FB = 100000,    /* FB index << SIQS_BLOCK_BITS fits 32 bits */
	SIQS_MAX_BLOCKS = 16,    /* sieve positions stay below 2^20 (pinv) */
	SIQS_MAX_RETRIES = 8,    /* linear algebra rounds with only trivial deps */
	SIQS_CLS_Q = 64          /* one-block sieve: fixed-count runs below this */
};
static_assert((uint64_t)SIQS_MAX_BLOCKS * SIQS_BLOCK <= (1u << 20),
	      "sieve positions must fit the 2^40 reciprocal trick");
static_assert((uint64_t)SIQS_MAX_FB << SIQS_BLOCK_BITS <= UINT32_MAX,
	      "bucket entries hold an FB index and a block offset");

/* Upper bound on the primes of A (none: the table's shape rule decides). */
static const double SIQS_Q_MAX = 1e9;

/*
 * Parameters by bit size of n (interpolated linearly between rows):
 * factor base size, large prime multiplier, sieve blocks in [-M, M)
 * (below 1: a fraction of a block, rounded to 4 KiB),
 * threshold slack in bits (for the unsieved small primes, log rounding
 * and the large prime of partial relations).
 */
struct siqs_row {
	double bits, fb, lp_mult, blocks, fudge;
};
/*
 * The rows were chosen by measurement on the jobs/bench sets (instruction
 * counts and CPU time; src/siqs_NOTES.md has the runs).  Above 233 bits
 * they are extrapolated and capped by the memory of the dense
 * elimination (two bit matrices of F^2 / 8 bytes each).
 */
static const struct siqs_row siqs_table[] = {
	{64, 60, 20, 0.25, 7},     {96, 150, 30, 0.25, 8},
	{112, 275, 40, 0.625, 9},  {128, 550, 50, 1, 10},
	{160, 1400, 50, 2, 10},
	{200, 5000, 200, 6, 15},   {233, 12000, 200, 8, 14},
	{266, 20000, 120, 10, 14}, {299, 25000, 120, 12, 15},
	{400, 25000, 150, 16, 16},
};
enum { SIQS_TABLE_ROWS = sizeof siqs_table / sizeof siqs_table[0] };

__extension__ typedef unsigned __int128 siqs_u128;
__extension__ typedef __int128 siqs_i128;

struct siqs_rel {
	size_t yoff;    /* A x + B: its limbs in the limb pool, from here */
	int ysize;      /* and its GMP size (negative: A x + B < 0) */
	size_t off;     /* first factor-base index in the pool */
	uint32_t nfac;  /* factor-base indices, with repetition */
	uint32_t lp;    /* large prime, 1 for a full relation */
};

struct siqs {
	mpz_t n, kn, A, B, C, q, t, y;
	/* A, B, C as words when every Q(x) fits 126 bits (native != 0) */
	siqs_i128 A128, B128, C128;
	siqs_i128 bl128[SIQS_MAX_S]; /* the B_l as words, when native at init_a */
	int native;
	unsigned abits; /* bits of A, at init_a */
	mpz_t bl[SIQS_MAX_S];
	int sgn[SIQS_MAX_S];
	uint32_t k;

	/* factor base: index 0 is -1, index 1 is 2 */
	uint32_t fb_n;
	uint32_t *prime, *sqrtkn, *ainv, *root1, *root2, *bainv;
	/*
	 * floor(2^40 / p) + 1: i mod p by multiplication.  Exact for i below
	 * 2^20 and p below 2^20 (error i / 2^40 < 1 / p); i * pinv < 2^59.
	 */
	uint64_t *pinv;
	/* floor((2^64 - 1) / p): Barrett reduction of any product below 2^64 */
	uint64_t *bred;
	siqs_u128 *inv128; /* p^-1 mod 2^128 (odd p): exact division */
	float *pf, *pinvf; /* p and fl(1/p): the vector root check */
	/*
	 * The 16-bit root check (r16 != 0: AVX2 and every sieve position
	 * below 2^15): p, p^-1 mod 2^16, floor((2^16 - 1) / p), and per
	 * polynomial the roots, all as 16-bit words in one allocation.
	 */
	uint16_t *p16, *inv16, *lim16, *ra16, *rb16;
	int r16;
	int sse2;          /* SSE2 paths allowed (when compiled in) */
	/* cppcheck-suppress unusedStructMember ; read under SIQS_AVX2 only */
	int avx2;          /* the CPU runs AVX2: eight primes per step */
	int fma;           /* and FMA: the vector per-A set-up */
	/* cppcheck-suppress unusedStructMember ; read under SIQS_AVX2 only */
	int avx512;        /* AVX-512 BW/VL/VBMI2: the 32-lane root check */
	uint8_t hitlut[256][8]; /* the set bits of a byte, listed */
	uint8_t hitcnt[256];    /* and their count */
	uint32_t *next1, *next2; /* block sieve: next hits of the small primes */
	uint32_t *hits;   /* trial division: FB indices whose root matches */
	/*
	 * With r16, the root checks of SIQS_HBATCH candidates at once (each
	 * step's primes and roots loaded once): list k at hitsb + k stride,
	 * nhb[k] entries; bhits, bnh: the current candidate's (NULL: none).
	 */
	uint32_t *hitsb, *bhits;
	uint32_t nhb[8], bnh;
	size_t hit_stride;
	uint32_t *cand;   /* sieve positions reported this polynomial */
	uint32_t ncand;
	uint32_t nblocks;
	uint32_t **bucket; /* per block: large-prime hits, index << 15 | offset */
	uint32_t *bucket_n;
	size_t bucket_cap; /* entries one block's bucket can take */
	uint32_t *lhit_pos, *lhit_idx; /* bucket hits on candidates */
	size_t nlhit;
	uint8_t *logp, *in_a;
	uint32_t sieve_start, med_end;
	uint32_t lp_bound;
	/*
	 * One-block sieve: the primes from cls_first on (below med_end) in
	 * runs of equal len / p (cls_q[c], run c ends before cls_end[c]).
	 */
	uint32_t cls_first, ncls;
	uint32_t cls_end[SIQS_CLS_Q + 1], cls_q[SIQS_CLS_Q + 1];

	/* sieve */
	uint32_t M, len;
	uint8_t *sieve;
	uint8_t init_byte;
	uint8_t two_lg;   /* log of 2's share of Q(x) where A x + B is odd */
	uint8_t init_pat[64]; /* sieve start: init_byte, + two_lg at odd A x + B */
	uint8_t *ref;         /* params->check_sieve: the reference sieve */
	unsigned long sieve_bad; /* bytes where the two differed */

	/* polynomial A */
	unsigned s;
	uint32_t qlo, qhi;
	uint32_t qidx[SIQS_MAX_S];
	uint32_t gamma[SIQS_MAX_S]; /* B_l = (A/q_l) gamma_l */
	double log_a_target;
	uint64_t *seen_a;
	size_t n_seen, cap_seen;
	uint64_t rng;

	/* relations */
	struct siqs_rel *rel;
	size_t nrel, cap_rel;
	uint32_t *pool;
	size_t npool, cap_pool;
	mp_limb_t *ylimb; /* the A x + B of every relation, limbs end to end */
	size_t nylimb, cap_ylimb;
	uint32_t *lp_key, *lp_first;
	size_t lp_cap, lp_used;
	size_t nfull, ncycle;
	unsigned long polys, candidates;
	double fudge, q_max;
	uint32_t small_prime;
};

/* ---- small modular arithmetic (p < 2^32) ---- */


/*
 * a b mod p for any a, b below 2^32 (unreduced operands allowed), m =
 * floor((2^64 - 1) / p): the quotient estimate is at most 2 short, so two
 * conditional subtractions finish (no division instruction).
 */
static uint32_t mulmod_b(uint32_t a, uint32_t b, uint32_t p, uint64_t m)
{
	uint64_t x = (uint64_t)a * b;
	uint64_t q = (uint64_t)(((siqs_u128)x * m) >> 64);
	uint64_t r = x - q * p;
	if (r >= p)
		r -= p;
	if (r >= p)
		r -= p;
	return (uint32_t)r;
}

static uint32_t mulmod(uint32_t a, uint32_t b, uint32_t p)
{
	return (uint32_t)((uint64_t)a * b % p);
}

/* b^e mod p, m = floor((2^64 - 1) / p): Barrett products, no division. */
static uint32_t powmod(uint32_t b, uint32_t e, uint32_t p, uint64_t m)
{
	uint32_t r = 1 % p;
	b %= p;
	while (e) {
		if (e & 1)
			r = mulmod_b(r, b, p, m);
		b = mulmod_b(b, b, p, m);
		e >>= 1;
	}
	return r;
}

/*
 * a^-1 mod p for gcd(a, p) = 1, p > 1: extended Euclid on 32-bit words
 * (no 64-bit division).  The Bezout coefficients of a alternate in sign,
 * so only their magnitudes are kept (each at most p) and the sign comes
 * from the parity of the step count: positive after an odd number.
 */
static uint32_t invmod(uint32_t a, uint32_t p)
{
	uint32_t r0 = p, r1 = a % p, t0 = 0, t1 = 1;
	unsigned odd = 0;
	while (r1) {
		uint32_t qq = r0 / r1, tmp;
		tmp = r0 - qq * r1;
		r0 = r1;
		r1 = tmp;
		tmp = t0 + qq * t1;
		t0 = t1;
		t1 = tmp;
		odd ^= 1;
	}
	return odd || t0 == 0 ? t0 : p - t0;
}

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
		uint32_t a2 = a << 1 >= p ? (a << 1) - p : a << 1; /* p < 2^31 */
		uint32_t v = powmod(a2, (p - 5) / 8, p, m);
		uint32_t ii = mulmod_b(a2, mulmod_b(v, v, p, m), p, m);
		return mulmod_b(mulmod_b(a, v, p, m), ii == 0 ? p - 1 : ii - 1, p, m);
	}
	while (!(q & 1)) {
		q >>= 1;
		e++;
	}
	while (jacobi_u32(z, p) != -1) /* was Euler's criterion: a power each */
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

static uint64_t rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static double now_monotonic(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* log(x) for an mpz of any size. */
static double mpz_log(const mpz_t x)
{
	long e;
	double d = mpz_get_d_2exp(&e, x);
	return log(d) + (double)e * log(2.0);
}

/* ---- primes ---- */

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
	for (k = 1; k < half && (uint64_t)(2 * k + 1) * (2 * k + 1) < limit; k++)
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

/* ---- many powers at once ---- */

#if SIQS_AVX2
__attribute__((target("avx2,fma"))) static __m256d vaddmod(__m256d a, __m256d b,
							   __m256d p)
{
	__m256d r = _mm256_add_pd(a, b);
	return _mm256_sub_pd(r, _mm256_and_pd(p, _mm256_cmp_pd(r, p, _CMP_GE_OQ)));
}

__attribute__((target("avx2,fma"))) static void store_u32x4(uint32_t *dst,
							    __m256d v)
{
	_mm_storeu_si128((__m128i *)(void *)dst, _mm256_cvttpd_epi32(v));
}

/*
 * a b mod p up to sign: in (-p, p) for |a| p, |b| p < 2^52 (the nearest
 * quotient, no correction), so chains of products need no compare; canon
 * maps (-p, p) to [0, p).  The chains of init_a_avx2 are latency-bound.
 */
__attribute__((target("avx2,fma"))) static __m256d
vmulmod_lazy(__m256d a, __m256d b, __m256d p, __m256d pinv)
{
	__m256d h = _mm256_mul_pd(a, b);
	__m256d q = _mm256_round_pd(_mm256_mul_pd(h, pinv),
				    _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
	return _mm256_fnmadd_pd(q, p, h);
}

__attribute__((target("avx2,fma"))) static __m256d canon(__m256d r, __m256d p)
{
	return _mm256_add_pd(r, _mm256_and_pd(p, _mm256_cmp_pd(r, _mm256_setzero_pd(),
							      _CMP_LT_OQ)));
}

/*
 * Four groups of four primes per step (H = 4), interleaved: independent
 * chains (the powers are latency-bound: H = 4 against 2, S96 and S128 CPU
 * time -3%, the same instructions).  A last partial step is done as a
 * whole one ending at the last prime: the primes it shares with the step
 * before get the same values again, none goes to the scalar code.
 */
enum { SIQS_VH = 4 };

/*
 * r[h] = b[h]^e[h] mod p[h] for the SIQS_VH groups of four lanes, e below
 * 2^bit: left to right two bits at a time (three products per two bits,
 * was four: init_a's chains are latency-bound) with lazy products
 * (results in (-p, p)), the groups interleaved so their chains run side
 * by side.
 */
__attribute__((target("avx2,fma"), always_inline)) static inline void
vpowmods(__m256d *r, const __m256d *b, const __m128i *e, int bit,
	 const __m256d *p, const __m256d *pinv)
{
	const __m256d one = _mm256_set1_pd(1.0);
	const __m128i one_i = _mm_set1_epi32(1), two_i = _mm_set1_epi32(2);
	__m256d b2[SIQS_VH], b3[SIQS_VH];
	unsigned h;

	for (h = 0; h < SIQS_VH; h++) {
		r[h] = one;
		b2[h] = vmulmod_lazy(b[h], b[h], p[h], pinv[h]);
		b3[h] = vmulmod_lazy(b2[h], b[h], p[h], pinv[h]);
	}
	if (bit & 1) { /* an odd count: the top bit alone */
		const __m128i cnt = _mm_cvtsi32_si128(--bit);
		for (h = 0; h < SIQS_VH; h++) {
			__m128i b32 = _mm_cmpeq_epi32(
				_mm_and_si128(_mm_srl_epi32(e[h], cnt), one_i), one_i);
			r[h] = _mm256_blendv_pd(one, b[h], _mm256_castsi256_pd(
							   _mm256_cvtepi32_epi64(b32)));
		}
	}
	/* two bits per step: r^4 times b^d, b^d picked from 1, b, b^2, b^3 */
	while (bit > 0) {
		const __m128i cnt = _mm_cvtsi32_si128(bit -= 2);
		for (h = 0; h < SIQS_VH; h++) {
			__m128i d = _mm_srl_epi32(e[h], cnt);
			__m256d m0 = _mm256_castsi256_pd(_mm256_cvtepi32_epi64(
				_mm_cmpeq_epi32(_mm_and_si128(d, one_i), one_i)));
			__m256d m1 = _mm256_castsi256_pd(_mm256_cvtepi32_epi64(
				_mm_cmpeq_epi32(_mm_and_si128(d, two_i), two_i)));
			__m256d t = _mm256_blendv_pd(_mm256_blendv_pd(one, b[h], m0),
						     _mm256_blendv_pd(b2[h], b3[h], m0), m1);
			r[h] = vmulmod_lazy(r[h], r[h], p[h], pinv[h]);
			r[h] = vmulmod_lazy(r[h], r[h], p[h], pinv[h]);
			r[h] = vmulmod_lazy(r[h], t, p[h], pinv[h]);
		}
	}
}

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
				(const __m128i *)(const void *)(pr + j + 4 * h)));
			pinv[h] = _mm256_div_pd(one, p[h]);
			b[h] = _mm256_cvtepi32_pd(_mm_loadu_si128(
				(const __m128i *)(const void *)(base + j + 4 * h)));
			e[h] = _mm_loadu_si128((const __m128i *)(const void *)(ex + j + 4 * h));
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

/* ---- multiplier ---- */

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
 * same (was one table lookup pair and multiply per (k, p), and a branchy
 * Legendre per (q, p): 1200 instructions per prime, 3% of 96 bits).
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
		__m256d add = _mm256_or_pd(_mm256_and_pd(mz, vr),
					   _mm256_andnot_pd(_mm256_or_pd(mz, mn), vs));
		_mm256_storeu_pd(score + 4 * g,
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
		for (nj = 0; nj < CHUNK && j0 + nj < np && pr[j0 + nj] < pmax; nj++) {
			/* Euler's criterion: (n/p) = n^((p-1)/2); (kn/p) = (n/p) (k/p) */
			zero[nj] = nres[j0 + nj] == 0 ? all : 0;
			nonres[nj] = nres[j0 + nj] && euler[j0 + nj] != 1 ? all : 0;
		}
		for (qi = 0; qi < NQ; qi++) {
			uint32_t q = siqs_mult_primes[qi], q3 = (q & 3) == 3;
			/* p mod q = p - q floor(p m / 2^32): exact for p < 2^24 */
			uint64_t m = ((uint64_t)1 << 32) / q + 1, km = kmask[qi];
			const uint8_t *ns = nonsq[qi];
			for (j = 0; j < nj; j++) {
				uint32_t p = pr[j0 + j];
				uint32_t r = p - q * (uint32_t)(((uint64_t)p * m) >> 32);
				/* (q/p) = -1: p mod q a non-square, flipped when p
				 * and q are both 3 mod 4 */
				uint64_t nr = (uint64_t)(ns[r] ^ (q3 & (p >> 1)));
				nonres[j] ^= km & (0 - nr);
				if (r == 0) /* q = p */
					zero[j] |= km;
			}
		}
		for (j = 0; j < nj; j++) {
			uint32_t p = pr[j0 + j];
			double lp = log((double)p), ram = lp / p, split = 2.0 * lp / (p - 1);
#if SIQS_AVX2
			if (avx2) {
				ks_add_avx2(score, zero[j], nonres[j], ram, split);
				continue;
			}
#endif
			for (i = 0; i < NK; i++)
				score[i] += zero[j] >> i & 1 ? ram
					    : nonres[j] >> i & 1 ? 0.0 : split;
		}
	}
	for (i = 0; i < NK; i++)
		if (score[i] > bs) {
			bs = score[i];
			best = siqs_mults[i];
		}
	return best;
}

/* ---- set-up ---- */

static void interp_params(size_t bits, double *fb, double *lpm, double *blk,
			  double *fudge)
{
	size_t i;
	double b = (double)bits, f;
	if (b <= siqs_table[0].bits) {
		*fb = siqs_table[0].fb;
		*lpm = siqs_table[0].lp_mult;
		*blk = siqs_table[0].blocks;
		*fudge = siqs_table[0].fudge;
		return;
	}
	for (i = 1; i + 1 < SIQS_TABLE_ROWS && b > siqs_table[i].bits; i++)
		;
	f = (b - siqs_table[i - 1].bits) /
	    (siqs_table[i].bits - siqs_table[i - 1].bits);
	if (f > 1)
		f = 1;
	*fb = siqs_table[i - 1].fb + f * (siqs_table[i].fb - siqs_table[i - 1].fb);
	*lpm = siqs_table[i - 1].lp_mult +
	       f * (siqs_table[i].lp_mult - siqs_table[i - 1].lp_mult);
	*blk = siqs_table[i - 1].blocks +
	       f * (siqs_table[i].blocks - siqs_table[i - 1].blocks);
	*fudge = siqs_table[i - 1].fudge +
		 f * (siqs_table[i].fudge - siqs_table[i - 1].fudge);
}

/*
 * n mod p (nres) and floor((2^64 - 1) / p) (pm) for the primes from *done
 * to at least upto (or np): one mpz remainder per group of primes whose
 * product fits 64 bits, then Barrett reductions.  Only the primes the
 * factor base reaches are done (about half of those sieved at 96 bits).
 */
static void fill_nres(const mpz_t n, const uint32_t *pr, long np, uint32_t *nres,
		      uint64_t *pm, long *done, long upto)
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
 * Build the factor base.  Returns STATUS_OK, STATUS_FOUND (f set to a
 * prime of n met on the way), STATUS_ERR_NOMEM.
 */
static int build_fb(struct siqs *S, mpz_t f, uint32_t want)
{
	uint32_t limit = 16 * want + 2048, i, pmax;
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
	 * The score over the primes below 4F, at least 600, at most 2000:
	 * at 96 bits 600 against 2000 cost 4% fewer instructions in all
	 * (S96, and S128 with 1800), the choice itself a few percent of it.
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
	fill_nres(S->n, pr, np, nres, pm, &nres_done, j);
	powmods(S->fma, pr, pm, nres, ex, rr, j);
	S->k = choose_multiplier(S->n, pr, nres, rr, np, pmax, S->avx2);
	mpz_mul_ui(S->kn, S->n, S->k);

	sz = (size_t)want + 2;
	S->prime = malloc(sz * sizeof *S->prime);
	S->sqrtkn = malloc(sz * sizeof *S->sqrtkn);
	S->ainv = calloc(sz, sizeof *S->ainv);
	/* + 16: set_roots16 reads sixteen at a time */
	S->root1 = calloc(sz + 16, sizeof *S->root1);
	S->root2 = calloc(sz + 16, sizeof *S->root2);
	S->logp = calloc(sz, 1);
	S->pinv = calloc(sz, sizeof *S->pinv);
	S->bred = calloc(sz, sizeof *S->bred);
	S->inv128 = calloc(sz, sizeof *S->inv128);
	S->pf = calloc(sz, sizeof *S->pf);
	S->pinvf = calloc(sz, sizeof *S->pinvf);
	S->p16 = calloc(5 * (sz + 16), sizeof *S->p16);
	S->next1 = calloc(sz, sizeof *S->next1);
	S->next2 = calloc(sz, sizeof *S->next2);
	S->hits = calloc(sz + 16, sizeof *S->hits); /* vector appends overrun by 7 */
	S->hit_stride = sz + 32; /* root_hits16_batch_avx512: 16 past the last */
	S->hitsb = calloc(8 * S->hit_stride, sizeof *S->hitsb);
	S->cand = malloc(SIQS_MAX_CAND * sizeof *S->cand);
	S->in_a = calloc(sz, 1);
	if (!S->prime || !S->sqrtkn || !S->ainv || !S->root1 || !S->root2 ||
	    !S->logp || !S->in_a || !S->pinv || !S->bred || !S->inv128 || !S->pf || !S->pinvf || !S->p16 || !S->next1 || !S->next2 ||
	    !S->hits || !S->hitsb || !S->cand) {
		status = STATUS_ERR_NOMEM;
		goto done;
	}
	S->prime[0] = 1;
	S->sqrtkn[0] = 0;
	S->prime[1] = 2;
	S->sqrtkn[1] = 1;
	S->fb_n = 2;
	for (j = 0; j < np && S->fb_n < want; j++) {
		uint32_t p = pr[j], r = 0;
		if (j == done) {
			/*
			 * the next 64 primes: km = kN mod p and km^e with e =
			 * (p+1)/4 (p = 3 mod 4: the root when km is a residue)
			 * or (p-1)/2 (Euler's criterion), all at once
			 */
			long t, e = np - done < 64 ? np : done + 64;
			fill_nres(S->n, pr, np, nres, pm, &nres_done, e);
			for (t = done; t < e; t++) {
				uint32_t q = pr[t];
				km[t] = mulmod_b(nres[t], S->k < q ? S->k : S->k % q, q, pm[t]);
				ex[t] = (q & 3) == 3 ? (q + 1) / 4 : (q - 1) / 2;
			}
			powmods(S->fma, pr + done, pm + done, km + done, ex + done,
				rr + done, e - done);
			done = e;
		}
		if (km[j] == 0) {
			if (nres[j] == 0 && mpz_cmp_ui(S->n, p) > 0) {
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
		S->sqrtkn[S->fb_n] = r;
		S->bred[S->fb_n] = pm[j];
		S->prime[S->fb_n++] = p;
	}
	S->bred[1] = UINT64_MAX / 2;
	for (i = 1; i < S->fb_n; i++)
		/* floor(2^40 / p) + 1, as 2^40 / p is never an integer (odd p) */
		S->pinv[i] = (S->bred[i] >> 24) + 1;
	for (i = 2; i < S->fb_n; i++) {
		uint64_t p = S->prime[i], x = p; /* p p = 1 mod 8 */
		int it;
		for (it = 0; it < 5; it++) /* Newton: 3, 6, ... 96 bits */
			x *= 2 - p * x;
		/* one more step in 128 bits */
		S->inv128[i] = (siqs_u128)x * (2 - (siqs_u128)p * x);
		S->pf[i] = (float)S->prime[i];
		S->pinvf[i] = 1.0f / (float)S->prime[i];
	}
	S->inv16 = S->p16 + (sz + 16);
	S->lim16 = S->p16 + 2 * (sz + 16);
	S->ra16 = S->p16 + 3 * (sz + 16);
	S->rb16 = S->p16 + 4 * (sz + 16);
	for (i = 2; i < S->fb_n && S->prime[i] < (1u << 15); i++) {
		S->p16[i] = (uint16_t)S->prime[i];
		S->inv16[i] = (uint16_t)S->inv128[i];
		S->lim16[i] = (uint16_t)(UINT16_MAX / S->prime[i]);
	}
	S->sieve_start = 2;
	while (S->sieve_start < S->fb_n &&
	       S->prime[S->sieve_start] < S->small_prime)
		S->sieve_start++;
	S->med_end = S->sieve_start;
	while (S->med_end < S->fb_n && S->prime[S->med_end] < SIQS_BUCKET_MIN)
		S->med_end++;
done:
	free(pr);
	free(nres);
	free(pm);
	free(ex);
	free(km);
	free(rr);
	return status;
}

/* Choose s and the window of FB indices the q_l are drawn from. */
static int choose_a_shape(struct siqs *S)
{
	double la = S->log_a_target;
	uint32_t F = S->fb_n, lo_min, hi, lo;
	unsigned s;
	double qt = 0;

	lo_min = S->sieve_start + 1;
	if (F < lo_min + 8)
		return STATUS_ERR_INVAL;
	for (s = 2; s < SIQS_MAX_S; s++) {
		qt = exp(la / s);
		if (qt < S->prime[F - 1 - (F - lo_min) / 4] && qt < S->q_max)
			break;
	}
	/* q below the window's start leaves no room for the last prime */
	while (s > 2 && qt < 2.0 * S->prime[lo_min]) {
		s--;
		qt = exp(la / s);
	}
	if (qt < S->prime[lo_min])
		qt = S->prime[lo_min];
	S->s = s;
	/* window: the FB primes within a factor 1.5 of qt, at least 3s + 10 */
	for (lo = lo_min; lo < F - 1 && S->prime[lo] < qt / 1.5; lo++)
		;
	for (hi = lo; hi < F && S->prime[hi] < qt * 1.5; hi++)
		;
	while (hi - lo < 3 * s + 10 && (lo > lo_min || hi < F)) {
		if (lo > lo_min)
			lo--;
		if (hi < F)
			hi++;
	}
	if (hi < lo + s + 2)
		return STATUS_ERR_INVAL;
	S->qlo = lo;
	S->qhi = hi;
	return STATUS_OK;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

/*
 * Ascending sort: insertion sort for the short lists of one relation (a
 * few dozen entries; qsort's merge sort and callback were a tenth of the
 * 96-bit time), qsort above.
 */
static void sort_u32(uint32_t *a, size_t n)
{
	size_t i, j;
	if (n > 64) {
		qsort(a, n, sizeof *a, cmp_u32);
		return;
	}
	for (i = 1; i < n; i++) {
		uint32_t v = a[i];
		for (j = i; j > 0 && a[j - 1] > v; j--)
			a[j] = a[j - 1];
		a[j] = v;
	}
}

/*
 * The array p of *cap elements of size elem, grown (realloc) to hold
 * need of them, the capacity doubling from first; NULL when out of
 * memory (p is left as it was).
 */
static void *grow(void *p, size_t *cap, size_t need, size_t elem, size_t first)
{
	size_t nc = *cap ? *cap : first;
	void *np;
	if (need <= *cap)
		return p;
	while (nc < need)
		nc *= 2;
	np = realloc(p, nc * elem);
	if (np)
		*cap = nc;
	return np;
}

/* Pick the primes of a new A; STATUS_NOT_FOUND when none unused is left. */
static int pick_a(struct siqs *S)
{
	unsigned s = S->s, l, m;
	int tries;

	for (tries = 0; tries < SIQS_A_TRIES; tries++) {
		double rem = S->log_a_target, tgt;
		uint32_t lo, hi, best = 0, c;
		uint64_t h = 1469598103934665603ULL, *ns;
		size_t u;
		int ok = 1;

		for (l = 0; l + 1 < s && ok; l++) {
			uint32_t span = S->qhi - S->qlo;
			c = S->qlo + (uint32_t)(rng_next(&S->rng) % span);
			for (m = 0; m < l; m++)
				if (S->qidx[m] == c)
					ok = 0;
			if (S->sqrtkn[c] == 0)
				ok = 0;
			S->qidx[l] = c;
			rem -= log((double)S->prime[c]);
		}
		if (!ok)
			continue;
		tgt = exp(rem);
		/* closest unused FB prime to tgt */
		lo = S->sieve_start + 1;
		hi = S->fb_n - 1;
		if (tgt < S->prime[lo] * 0.7 || tgt > S->prime[hi] * 1.3)
			continue;
		while (lo < hi) {
			uint32_t mid = lo + (hi - lo) / 2;
			if (S->prime[mid] < tgt)
				lo = mid + 1;
			else
				hi = mid;
		}
		ok = 0;
		for (c = 0; c < 2 * s + 4 && !ok; c++) {
			uint32_t x = (c & 1) ? lo + (c + 1) / 2 : lo - c / 2;
			if (x <= S->sieve_start || x >= S->fb_n ||
			    S->sqrtkn[x] == 0)
				continue;
			for (m = 0; m + 1 < s; m++)
				if (S->qidx[m] == x)
					break;
			if (m + 1 < s)
				continue;
			best = x;
			ok = 1;
		}
		if (!ok)
			continue;
		S->qidx[s - 1] = best;
		sort_u32(S->qidx, s);
		for (l = 0; l < s; l++)
			h = (h ^ S->qidx[l]) * 1099511628211ULL;
		for (u = 0; u < S->n_seen; u++)
			if (S->seen_a[u] == h)
				break;
		if (u < S->n_seen)
			continue;
		ns = grow(S->seen_a, &S->cap_seen, S->n_seen + 1,
			  sizeof *S->seen_a, 64);
		if (!ns)
			return STATUS_ERR_NOMEM;
		S->seen_a = ns;
		S->seen_a[S->n_seen++] = h;
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
	while (((uint64_t)1 << bm) <= S->M)
		bm++;
	return mp_bits_per_limb == 64 && ba + 2 * bm + 3 <= 125 &&
	       bb + bm + 3 <= 125 && bc + 2 <= 125;
}

/* Bits of |z| (0 for 0), as mpz_sizeinbase(z, 2) but 0 for 0. */
static size_t bits_i128(siqs_i128 z)
{
	siqs_u128 u = z < 0 ? (siqs_u128)-z : (siqs_u128)z;
	uint64_t hi = (uint64_t)(u >> 64), lo = (uint64_t)u;
	return hi ? 128 - (size_t)__builtin_clzll(hi)
		  : lo ? 64 - (size_t)__builtin_clzll(lo) : 0;
}

/*
 * Copy A, B, C to words when |Q(x)| and its partial sums stay below
 * 2^126 for every |x| <= M: |A| x^2 + 2 |B| |x| + |C|.
 */
static void set_native(struct siqs *S)
{
	S->native = native_fits(S, mpz_sizeinbase(S->A, 2),
				mpz_sizeinbase(S->B, 2), mpz_sizeinbase(S->C, 2));
	if (!S->native)
		return;
	S->A128 = mpz_get_i128(S->A);
	S->B128 = mpz_get_i128(S->B);
	S->C128 = mpz_get_i128(S->C);
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
	unsigned s = S->s, l, h;
	uint32_t j = 2, F = S->fb_n;
	const __m256d one = _mm256_set1_pd(1.0), zero = _mm256_setzero_pd();
	const __m256d md = _mm256_set1_pd((double)S->M);
	__m256d qd[SIQS_MAX_S], gd[SIQS_MAX_S];
	for (l = 0; l < s; l++) {
		qd[l] = _mm256_set1_pd((double)S->prime[S->qidx[l]]);
		gd[l] = _mm256_set1_pd((double)S->gamma[l]);
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
		bit = 32 - __builtin_clz(S->prime[j + 4 * SIQS_VH - 1]);
		for (h = 0; h < SIQS_VH; h++) {
			__m128i pi = _mm_loadu_si128(
				(const __m128i *)(const void *)(S->prime + j + 4 * h));
			ei[h] = _mm_sub_epi32(pi, _mm_set1_epi32(2));
			p[h] = _mm256_cvtepi32_pd(pi);
			pinv[h] = _mm256_div_pd(one, p[h]);
			pre[0][h] = vmulmod_lazy(qd[0], one, p[h], pinv[h]);
		}
		for (l = 1; l < s; l++)
			for (h = 0; h < SIQS_VH; h++)
				pre[l][h] = vmulmod_lazy(pre[l - 1][h], qd[l], p[h], pinv[h]);
		for (h = 0; h < SIQS_VH; h++)
			am[h] = pre[s - 1][h];
		vpowmods(ai, am, ei, bit, p, pinv);
		for (h = 0; h < SIQS_VH; h++)
			inv[h] = ai[h];
		for (l = s - 1; l > 0; l--)
			for (h = 0; h < SIQS_VH; h++) {
				qinv[l][h] = vmulmod_lazy(inv[h], pre[l - 1][h], p[h], pinv[h]);
				inv[h] = vmulmod_lazy(inv[h], qd[l], p[h], pinv[h]);
			}
		for (h = 0; h < SIQS_VH; h++) {
			qinv[0][h] = inv[h];
			ai[h] = canon(ai[h], p[h]);
			store_u32x4(S->ainv + j + 4 * h, ai[h]);
			sum[h] = zero;
		}
		for (l = 0; l < s; l++)
			for (h = 0; h < SIQS_VH; h++) {
				__m256d g = canon(vmulmod_lazy(qinv[l][h], gd[l], p[h], pinv[h]),
						  p[h]);
				sum[h] = vaddmod(sum[h], g, p[h]);
				store_u32x4(S->bainv + (size_t)l * F + j + 4 * h,
					    vaddmod(g, g, p[h]));
			}
		for (h = 0; h < SIQS_VH; h++) {
			__m256d bm = canon(vmulmod_lazy(am[h], sum[h], p[h], pinv[h]), p[h]);
			__m256d mm = canon(vmulmod_lazy(md, one, p[h], pinv[h]), p[h]);
			__m256d sq = _mm256_cvtepi32_pd(_mm_loadu_si128(
				(const __m128i *)(const void *)(S->sqrtkn + j + 4 * h)));
			__m256d t1 = canon(_mm256_sub_pd(sq, bm), p[h]);
			__m256d t2 = canon(_mm256_sub_pd(_mm256_sub_pd(p[h], sq), bm), p[h]);
			store_u32x4(S->root1 + j + 4 * h,
				    vaddmod(canon(vmulmod_lazy(t1, ai[h], p[h], pinv[h]), p[h]),
					    mm, p[h]));
			store_u32x4(S->root2 + j + 4 * h,
				    vaddmod(canon(vmulmod_lazy(t2, ai[h], p[h], pinv[h]), p[h]),
					    mm, p[h]));
		}
	}
	for (l = 0; l < s; l++) {
		uint32_t jq = S->qidx[l];
		unsigned m;
		if (jq >= j)
			continue;
		for (m = 0; m < s; m++)
			S->bainv[(size_t)m * F + jq] = 0;
	}
	return j;
}
#endif

/* Set up A, the B_l, the first B, C and every root and 2 B_l A^-1 table. */
static int init_a(struct siqs *S)
{
	unsigned s = S->s, l;
	uint32_t j, F = S->fb_n;

	mpz_set_ui(S->A, 1);
	for (l = 0; l < s; l++)
		mpz_mul_ui(S->A, S->A, S->prime[S->qidx[l]]);
	mpz_set_ui(S->B, 0);
	for (l = 0; l < s; l++) {
		uint32_t jq = S->qidx[l], q = S->prime[jq], r, g;
		mpz_divexact_ui(S->t, S->A, q);
		r = (uint32_t)mpz_fdiv_ui(S->t, q);
		g = mulmod(S->sqrtkn[jq], invmod(r, q), q);
		if (g > q / 2)
			g = q - g;
		S->gamma[l] = g;
		mpz_mul_ui(S->bl[l], S->t, g);
		mpz_add(S->B, S->B, S->bl[l]);
		S->sgn[l] = 1;
	}
	mpz_mul(S->C, S->B, S->B);
	mpz_sub(S->C, S->C, S->kn);
	if (!mpz_divisible_p(S->C, S->A))
		return STATUS_NOT_FOUND;
	mpz_divexact(S->C, S->C, S->A);
	/* A is odd and B's parity stays with A: A x + B is odd at the sieve
	   positions i = x + M (M even) of B's other parity */
	for (j = 0; j < sizeof S->init_pat; j++)
		S->init_pat[j] = (uint8_t)(S->init_byte +
			((j ^ (uint32_t)mpz_odd_p(S->B)) & 1 ? S->two_lg : 0));
	set_native(S);
	S->abits = (unsigned)mpz_sizeinbase(S->A, 2);
	if (S->native)
		for (l = 0; l < s; l++)
			S->bl128[l] = mpz_get_i128(S->bl[l]);

	memset(S->in_a, 0, F);
	for (l = 0; l < s; l++)
		S->in_a[S->qidx[l]] = 1;
	/*
	 * Per prime, in native words (Montgomery's batch inversion): prefix
	 * products of the q_l give A mod p, one inversion gives A^-1, and
	 * walking back gives every q_l^-1.  Then 2 B_l A^-1 = 2 g_l q_l^-1
	 * and B = A sum g_l q_l^-1 (B_l = (A/q_l) g_l): 4s - 2 products per
	 * prime instead of 5s.
	 */
	j = 2;
#if SIQS_AVX2
	if (S->fma)
		j = init_a_avx2(S);
#endif
	for (; j < F; j++) {
		uint32_t p = S->prime[j], ai, inv, am, sum = 0, bm, t1, t2, Mm;
		uint64_t m = S->bred[j];
		uint32_t pre[SIQS_MAX_S], qinv[SIQS_MAX_S];
		if (S->in_a[j]) {
			for (l = 0; l < s; l++)
				S->bainv[(size_t)l * F + j] = 0;
			continue;
		}
		pre[0] = mulmod_b(S->prime[S->qidx[0]], 1, p, m);
		for (l = 1; l < s; l++)
			pre[l] = mulmod_b(pre[l - 1], S->prime[S->qidx[l]], p, m);
		/* NOLINTNEXTLINE(clang-analyzer-core.uninitialized.Assign): s >= 2 (choose_a_shape) */
		am = pre[s - 1];
		ai = invmod(am, p);
		inv = ai;
		for (l = s - 1; l > 0; l--) {
			qinv[l] = mulmod_b(inv, pre[l - 1], p, m);
			inv = mulmod_b(inv, S->prime[S->qidx[l]], p, m);
		}
		qinv[0] = inv;
		S->ainv[j] = ai;
		for (l = 0; l < s; l++) {
			uint32_t g = mulmod_b(qinv[l], S->gamma[l], p, m), g2;
			sum += g;
			if (sum >= p)
				sum -= p;
			g2 = g << 1; /* p < 2^31 */
			S->bainv[(size_t)l * F + j] = g2 >= p ? g2 - p : g2;
		}
		bm = mulmod_b(am, sum, p, m);
		Mm = mulmod_b(S->M, 1, p, m);
		t1 = S->sqrtkn[j] >= bm ? S->sqrtkn[j] - bm
					: S->sqrtkn[j] + p - bm;
		t2 = p - S->sqrtkn[j] >= bm ? p - S->sqrtkn[j] - bm
					    : 2 * p - S->sqrtkn[j] - bm;
		t1 = mulmod_b(t1, ai, p, m) + Mm;
		t2 = mulmod_b(t2, ai, p, m) + Mm;
		S->root1[j] = t1 >= p ? t1 - p : t1;
		S->root2[j] = t2 >= p ? t2 - p : t2;
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
	uint32_t F = S->fb_n;
	for (; j + 8 <= F; j += 8) {
		__m256i p = _mm256_loadu_si256((const __m256i *)(const void *)(S->prime + j));
		__m256i dd = _mm256_loadu_si256((const __m256i *)(const void *)(d + j));
		__m256i *q1 = (__m256i *)(void *)(S->root1 + j);
		__m256i *q2 = (__m256i *)(void *)(S->root2 + j);
		__m256i r1, r2;
		if (neg)
			dd = _mm256_sub_epi32(p, dd);
		r1 = _mm256_add_epi32(_mm256_loadu_si256(q1), dd);
		r2 = _mm256_add_epi32(_mm256_loadu_si256(q2), dd);
		_mm256_storeu_si256(q1, _mm256_min_epu32(r1, _mm256_sub_epi32(r1, p)));
		_mm256_storeu_si256(q2, _mm256_min_epu32(r2, _mm256_sub_epi32(r2, p)));
	}
	return j;
}
#endif

/* Gray-code step i (1 <= i < 2^(s-1)): flip the sign of B_v, v = ctz(i). */
static void next_b(struct siqs *S, uint32_t i)
{
	unsigned v = 0;
	uint32_t j = 2, F = S->fb_n;
	const uint32_t *d;
	int neg;
	while (!(i >> v & 1))
		v++;
	d = S->bainv + (size_t)v * F;
	/* B -= 2 B_v moves every root by +2 B_v A^-1, B += 2 B_v by minus it */
	neg = S->sgn[v] < 0;
	if (neg)
		mpz_addmul_ui(S->B, S->bl[v], 2);
	else
		mpz_submul_ui(S->B, S->bl[v], 2);
#if SIQS_AVX2
	if (S->avx2)
		j = roots_step_avx2(S, d, neg, j);
#endif
	for (; j < F; j++) {
		uint32_t p = S->prime[j], dd = neg ? p - d[j] : d[j], r1, r2;
		r1 = S->root1[j] + dd;
		r2 = S->root2[j] + dd;
		S->root1[j] = r1 >= p ? r1 - p : r1;
		S->root2[j] = r2 >= p ? r2 - p : r2;
	}
	if (S->native) {
		/*
		 * In words: B' = B - 2 e B_v (e = sgn[v]) and C' = (B'^2 - kN)/A =
		 * C - 4 e g_v (B - e B_v) / q_v, as B_v = (A/q_v) g_v and q_v
		 * divides B - e B_v (the other B_l): an exact division, a
		 * multiplication by q_v^-1 mod 2^128.  |B|, |B_v| < 2^122 and
		 * |C| < 2^123, so nothing overflows; the mpz C is left stale.
		 */
		siqs_i128 e = S->sgn[v], bv = S->bl128[v], b2, c2, t;
		uint32_t jq = S->qidx[v];
		t = S->B128 - e * bv;
		t = (siqs_i128)((siqs_u128)t * S->inv128[jq]);
		b2 = S->B128 - 2 * e * bv;
		c2 = S->C128 - 4 * e * (siqs_i128)S->gamma[v] * t;
		S->sgn[v] = -S->sgn[v];
		if (native_fits(S, S->abits, bits_i128(b2), bits_i128(c2))) {
			S->B128 = b2;
			S->C128 = c2;
			return;
		}
	} else {
		S->sgn[v] = -S->sgn[v];
	}
	mpz_mul(S->C, S->B, S->B);
	mpz_sub(S->C, S->C, S->kn);
	mpz_divexact(S->C, S->C, S->A);
	set_native(S);
}

/* ---- relations ---- */

static int lp_insert(struct siqs *S, uint32_t lp, uint32_t idx, int *found)
{
	size_t h, mask;
	if (2 * (S->lp_used + 1) > S->lp_cap) {
		size_t nc = S->lp_cap ? 2 * S->lp_cap : 1024, u;
		uint32_t *nk = calloc(nc, sizeof *nk), *nf = malloc(nc * sizeof *nf);
		if (!nk || !nf) {
			free(nk);
			free(nf);
			return STATUS_ERR_NOMEM;
		}
		for (u = 0; u < S->lp_cap; u++) {
			if (!S->lp_key[u])
				continue;
			h = (S->lp_key[u] * 2654435761u) & (nc - 1);
			while (nk[h])
				h = (h + 1) & (nc - 1);
			nk[h] = S->lp_key[u];
			nf[h] = S->lp_first[u];
		}
		free(S->lp_key);
		free(S->lp_first);
		S->lp_key = nk;
		S->lp_first = nf;
		S->lp_cap = nc;
	}
	mask = S->lp_cap - 1;
	h = (lp * 2654435761u) & mask;
	while (S->lp_key[h] && S->lp_key[h] != lp)
		h = (h + 1) & mask;
	if (S->lp_key[h] == lp) {
		*found = 1;
		return STATUS_OK;
	}
	*found = 0;
	S->lp_key[h] = lp;
	S->lp_first[h] = idx;
	S->lp_used++;
	return STATUS_OK;
}

static uint32_t lp_lookup(const struct siqs *S, uint32_t lp)
{
	size_t mask = S->lp_cap - 1, h = (lp * 2654435761u) & mask;
	while (S->lp_key[h] != lp)
		h = (h + 1) & mask;
	return S->lp_first[h];
}

/*
 * Store a relation: its factor-base indices, large prime (1: full) and
 * y = A x + B as ysize limbs (GMP's signed size) at yl.  The limbs go to
 * one pool (was one mpz_init_set per relation: a malloc and a free each).
 */
static int add_rel(struct siqs *S, const uint32_t *fac, uint32_t nfac,
		   uint32_t lp, const mp_limb_t *yl, int ysize)
{
	struct siqs_rel *r;
	int found = 0, st;
	size_t yn = (size_t)(ysize < 0 ? -ysize : ysize);
	void *g;
	if (!(g = grow(S->rel, &S->cap_rel, S->nrel + 1, sizeof *S->rel, 1024)))
		return STATUS_ERR_NOMEM;
	S->rel = g;
	if (!(g = grow(S->pool, &S->cap_pool, S->npool + nfac, sizeof *S->pool,
		       65536)))
		return STATUS_ERR_NOMEM;
	S->pool = g;
	if (!(g = grow(S->ylimb, &S->cap_ylimb, S->nylimb + yn,
		       sizeof *S->ylimb, 4096)))
		return STATUS_ERR_NOMEM;
	S->ylimb = g;
	if (lp > 1) {
		st = lp_insert(S, lp, (uint32_t)S->nrel, &found);
		if (st != STATUS_OK)
			return st;
		if (found)
			S->ncycle++;
	} else {
		S->nfull++;
	}
	r = &S->rel[S->nrel++];
	r->yoff = S->nylimb;
	r->ysize = ysize;
	if (yn)
		memcpy(S->ylimb + S->nylimb, yl, yn * sizeof *yl);
	S->nylimb += yn;
	r->off = S->npool;
	r->nfac = nfac;
	r->lp = lp;
	memcpy(S->pool + S->npool, fac, nfac * sizeof *fac);
	S->npool += nfac;
	return STATUS_OK;
}

/*
 * The FB indices j >= 2 whose prime divides Q(i - M), besides the primes
 * of A: below med_end, p | Q exactly when i mod p is a root (one
 * multiply-shift per prime, no division); above, the bucket hits kept for
 * the candidates.  Returns the count written to S->hits.
 */
#if SIQS_AVX2
/* The root check of find_hits for primes j0 .. med_end, eight at a time. */
__attribute__((target("avx2"))) static uint32_t
root_hits_avx2(const struct siqs *S, uint32_t i, uint32_t *j0, uint32_t nh)
{
	uint32_t *hits = S->hits, j = *j0;
	const __m256 fi = _mm256_set1_ps((float)i), zero = _mm256_setzero_ps();
	for (; j + 8 <= S->med_end; j += 8) {
		__m256 p = _mm256_loadu_ps(S->pf + j);
		__m256 q = _mm256_cvtepi32_ps(_mm256_cvtps_epi32(
			_mm256_mul_ps(fi, _mm256_loadu_ps(S->pinvf + j))));
		__m256 r = _mm256_sub_ps(fi, _mm256_mul_ps(q, p));
		__m256i ri, m;
		unsigned bits;
		r = _mm256_add_ps(r, _mm256_and_ps(p, _mm256_cmp_ps(r, zero, _CMP_LT_OQ)));
		ri = _mm256_cvttps_epi32(r);
		m = _mm256_or_si256(
			_mm256_cmpeq_epi32(ri, _mm256_loadu_si256((const __m256i *)(const void *)(S->root1 + j))),
			_mm256_cmpeq_epi32(ri, _mm256_loadu_si256((const __m256i *)(const void *)(S->root2 + j))));
		bits = (unsigned)_mm256_movemask_ps(_mm256_castsi256_ps(m));
		/*
		 * Branch-free append: the lanes set in bits, as indices from
		 * a table, are all eight stored and nh moves by their count
		 * (a loop over the bits mispredicted: a third of this step).
		 */
		_mm256_storeu_si256(
			(__m256i *)(void *)(hits + nh),
			_mm256_add_epi32(_mm256_set1_epi32((int)j),
					 _mm256_cvtepu8_epi32(_mm_loadl_epi64(
						 (const __m128i *)(const void *)S->hitlut[bits]))));
		nh += S->hitcnt[bits];
	}
	*j0 = j;
	return nh;
}

/*
 * The root check sixteen primes per step in 16-bit words, for i < 2^15
 * and p < 2^15: d = i + p - r is in (0, 2^16), and p | d (i = r mod p)
 * exactly when d p^-1 mod 2^16 is at most (2^16 - 1) / p (Granlund and
 * Montgomery, as divexact_u128).  The hits come out in the order of the
 * 8-lane check; the 16-bit roots are set per polynomial (set_roots16).
 * For nc <= 8 candidates at once (positions pos[k]): each step's primes,
 * inverses and roots are loaded once for all of them (one at a time cost
 * 1.5x the time); list k goes to hitsb + k hit_stride, its length to
 * nhb[k].  A last partial step is done as a whole one ending at med_end,
 * its lanes below j (checked already) masked off: no scalar tail.
 */
__attribute__((target("avx2"))) static void
root_hits16_batch_avx2(struct siqs *S, const uint32_t *pos, unsigned nc)
{
	static const uint16_t tail[32] = {
		0,      0,      0,      0,      0,      0,      0,      0,
		0,      0,      0,      0,      0,      0,      0,      0,
		0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff,
		0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff,
	};
	uint32_t nh[8], j = 2, end = S->med_end;
	__m256i fi[8];
	unsigned k;
	for (k = 0; k < nc; k++) {
		fi[k] = _mm256_set1_epi16((short)pos[k]);
		nh[k] = 0;
	}
	for (; j < end && end >= 16; j += 16) {
		__m256i valid = _mm256_set1_epi16(-1), p, inv, lim, ra, rb;
		if (j + 16 > end) { /* the last step ends at end, lanes below j off */
			valid = _mm256_loadu_si256((const __m256i *)(const void *)(tail + 16 - (j - (end - 16))));
			j = end - 16;
		}
		p = _mm256_loadu_si256((const __m256i *)(const void *)(S->p16 + j));
		inv = _mm256_loadu_si256((const __m256i *)(const void *)(S->inv16 + j));
		lim = _mm256_loadu_si256((const __m256i *)(const void *)(S->lim16 + j));
		ra = _mm256_loadu_si256((const __m256i *)(const void *)(S->ra16 + j));
		rb = _mm256_loadu_si256((const __m256i *)(const void *)(S->rb16 + j));
		for (k = 0; k < nc; k++) {
			uint32_t *hits = S->hitsb + k * S->hit_stride;
			__m256i t = _mm256_add_epi16(fi[k], p);
			__m256i m1 = _mm256_mullo_epi16(_mm256_sub_epi16(t, ra), inv);
			__m256i m2 = _mm256_mullo_epi16(_mm256_sub_epi16(t, rb), inv);
			__m256i m = _mm256_and_si256(valid, _mm256_or_si256(
				_mm256_cmpeq_epi16(_mm256_min_epu16(m1, lim), m1),
				_mm256_cmpeq_epi16(_mm256_min_epu16(m2, lim), m2)));
			unsigned bits = (unsigned)_mm256_movemask_epi8(
				_mm256_packs_epi16(m, _mm256_setzero_si256()));
			unsigned lo = bits & 0xff, hi = bits >> 16 & 0xff;
			_mm256_storeu_si256(
				(__m256i *)(void *)(hits + nh[k]),
				_mm256_add_epi32(_mm256_set1_epi32((int)j),
						 _mm256_cvtepu8_epi32(_mm_loadl_epi64(
							 (const __m128i *)(const void *)S->hitlut[lo]))));
			nh[k] += S->hitcnt[lo];
			_mm256_storeu_si256(
				(__m256i *)(void *)(hits + nh[k]),
				_mm256_add_epi32(_mm256_set1_epi32((int)j + 8),
						 _mm256_cvtepu8_epi32(_mm_loadl_epi64(
							 (const __m128i *)(const void *)S->hitlut[hi]))));
			nh[k] += S->hitcnt[hi];
		}
	}
	for (k = 0; k < nc; k++)
		S->nhb[k] = nh[k];
}

/*
 * root_hits16_batch_avx2 with AVX-512: thirty-two primes per step, the
 * test m <= lim straight into a lane mask (no min and compare), the hits
 * appended by compressing the lane numbers (VBMI2) and widening sixteen
 * of them to 32 bits (a second sixteen only when a step hits more).  The
 * same hits in the same (ascending) order; the loads of a last partial
 * step are masked, so nothing past med_end is read.
 */
__attribute__((target("avx512f,avx512bw,avx512vl,avx512vbmi2"))) static void
root_hits16_batch_avx512(struct siqs *S, const uint32_t *pos, unsigned nc)
{
	static const uint16_t lanes[32] = {
		0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15,
		16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31,
	};
	const __m512i ln = _mm512_loadu_si512(lanes);
	uint32_t nh[8], j, end = S->med_end;
	__m512i fi[8];
	unsigned k;
	for (k = 0; k < nc; k++) {
		fi[k] = _mm512_set1_epi16((short)pos[k]);
		nh[k] = 0;
	}
	for (j = 2; j < end; j += 32) {
		__mmask32 valid = end - j >= 32 ? ~(__mmask32)0
				  : (((__mmask32)1 << (end - j)) - 1);
		__m512i p = _mm512_maskz_loadu_epi16(valid, S->p16 + j);
		__m512i inv = _mm512_maskz_loadu_epi16(valid, S->inv16 + j);
		__m512i lim = _mm512_maskz_loadu_epi16(valid, S->lim16 + j);
		__m512i ra = _mm512_maskz_loadu_epi16(valid, S->ra16 + j);
		__m512i rb = _mm512_maskz_loadu_epi16(valid, S->rb16 + j);
		__m512i base = _mm512_set1_epi32((int)j);
		for (k = 0; k < nc; k++) {
			uint32_t *hits = S->hitsb + k * S->hit_stride;
			__m512i t = _mm512_add_epi16(fi[k], p);
			__m512i m1 = _mm512_mullo_epi16(_mm512_sub_epi16(t, ra), inv);
			__m512i m2 = _mm512_mullo_epi16(_mm512_sub_epi16(t, rb), inv);
			__mmask32 m = _mm512_mask_cmple_epu16_mask(valid, m1, lim) |
				      _mm512_mask_cmple_epu16_mask(valid, m2, lim);
			__m512i c = _mm512_maskz_compress_epi16(m, ln);
			unsigned cnt = (unsigned)__builtin_popcount((unsigned)m);
			_mm512_storeu_si512(hits + nh[k], _mm512_add_epi32(base,
				_mm512_cvtepu16_epi32(_mm512_castsi512_si256(c))));
			if (cnt > 16)
				_mm512_storeu_si512(hits + nh[k] + 16, _mm512_add_epi32(base,
					_mm512_cvtepu16_epi32(_mm512_extracti64x4_epi64(c, 1))));
			nh[k] += cnt;
		}
	}
	for (k = 0; k < nc; k++)
		S->nhb[k] = nh[k];
}

/*
 * The roots as 16-bit words for root_hits16_batch_avx2 (r < p < 2^15), sixteen
 * per step from index 0 (the arrays have 16 entries of slack).
 */
__attribute__((target("avx2"))) static void set_roots16(struct siqs *S)
{
	uint32_t j;
	for (j = 0; j < S->med_end; j += 16) {
		const __m256i *a = (const __m256i *)(const void *)(S->root1 + j);
		const __m256i *b = (const __m256i *)(const void *)(S->root2 + j);
		/* packus works per 128-bit lane: 0xd8 puts the quarters in order */
		_mm256_storeu_si256((__m256i *)(void *)(S->ra16 + j),
				    _mm256_permute4x64_epi64(_mm256_packus_epi32(
					_mm256_loadu_si256(a), _mm256_loadu_si256(a + 1)), 0xd8));
		_mm256_storeu_si256((__m256i *)(void *)(S->rb16 + j),
				    _mm256_permute4x64_epi64(_mm256_packus_epi32(
					_mm256_loadu_si256(b), _mm256_loadu_si256(b + 1)), 0xd8));
	}
}
#endif

static uint32_t find_hits(const struct siqs *S, uint32_t i, const uint32_t **out)
{
	uint32_t *hits = S->hits, nh = 0, j = 2, h;
	if (S->bhits) { /* root-checked already, with the other candidates */
		hits = S->bhits;
		nh = S->bnh;
		j = S->med_end;
	}
#if SIQS_AVX2
	if (S->avx2 && j + 8 <= S->med_end)
		nh = root_hits_avx2(S, i, &j, nh);
#endif
#if defined(__SSE2__)
	/*
	 * Four primes at a time in single precision: q = rint(i / p) is exact
	 * (i < 2^20: the error of i * fl(1/p) is below 1/(16p), while i/p is
	 * at least 1/(2p) from a half-integer for odd p), then r = i - q p is
	 * exact (every term below 2^24) and lies in (-p/2, p/2).
	 */
	const __m128 fi = _mm_set1_ps((float)i), zero = _mm_setzero_ps();
	for (; S->sse2 && j + 4 <= S->med_end; j += 4) {
		__m128 p = _mm_loadu_ps(S->pf + j);
		__m128 q = _mm_cvtepi32_ps(
			_mm_cvtps_epi32(_mm_mul_ps(fi, _mm_loadu_ps(S->pinvf + j))));
		__m128 r = _mm_sub_ps(fi, _mm_mul_ps(q, p));
		__m128i ri, m;
		unsigned bits;
		r = _mm_add_ps(r, _mm_and_ps(p, _mm_cmplt_ps(r, zero)));
		ri = _mm_cvttps_epi32(r);
		m = _mm_or_si128(
			_mm_cmpeq_epi32(ri, _mm_loadu_si128((const __m128i *)(const void *)(S->root1 + j))),
			_mm_cmpeq_epi32(ri, _mm_loadu_si128((const __m128i *)(const void *)(S->root2 + j))));
		bits = (unsigned)_mm_movemask_ps(_mm_castsi128_ps(m));
		while (bits) {
			hits[nh++] = j + (uint32_t)__builtin_ctz(bits);
			bits &= bits - 1;
		}
	}
#endif
	for (; j < S->med_end; j++) {
		uint32_t r = i - S->prime[j] * (uint32_t)((i * S->pinv[j]) >> 40);
		if ((r == S->root1[j]) | (r == S->root2[j]))
			hits[nh++] = j;
	}
	for (h = 0; h < S->nlhit; h++)
		if (S->lhit_pos[h] == i)
			hits[nh++] = S->lhit_idx[h];
	*out = hits;
	return nh;
}

/* Store the relation of x with cofactor 1 (full) or a large prime below the bound. */
static int finish_rel(struct siqs *S, long x, const uint32_t *fac,
		      uint32_t nfac, uint64_t cof)
{
	if (cof != 1 && cof >= S->lp_bound)
		return STATUS_OK;
	if (S->native) {
		/* |A x + B| < 2^123 (set_native's bounds): two limbs, no GMP */
		siqs_i128 y = S->A128 * x + S->B128;
		siqs_u128 u = y < 0 ? (siqs_u128)-y : (siqs_u128)y;
		mp_limb_t yl[2];
		int yn;
		yl[0] = (mp_limb_t)u;
		yl[1] = (mp_limb_t)(u >> 64);
		yn = yl[1] ? 2 : yl[0] ? 1 : 0;
		return add_rel(S, fac, nfac, (uint32_t)cof, yl, y < 0 ? -yn : yn);
	}
	mpz_mul_si(S->y, S->A, x);
	mpz_add(S->y, S->y, S->B);
	return add_rel(S, fac, nfac, (uint32_t)cof, mpz_limbs_read(S->y),
		       mpz_sgn(S->y) * (int)mpz_size(S->y));
}

/*
 * u / p when p | u, else 0 (u odd or even, p odd): multiplication by
 * p^-1 mod 2^128 gives the exact quotient when p divides u, and a value
 * whose product with p overflows 128 bits when it does not (Granlund and
 * Montgomery, "Division by invariant integers using multiplication",
 * 1994, section 9).  inv is p^-1 mod 2^128 (precomputed per prime: the
 * Newton step lifting it from 2^64 here was a fifth of trial division at
 * 96 bits); below 2^64 one multiply.
 */
static siqs_u128 divexact_u128(siqs_u128 u, uint32_t p, siqs_u128 inv,
			       uint64_t lim)
{
	siqs_u128 q, hi;
	if (!(uint64_t)(u >> 64)) {
		uint64_t q64 = (uint64_t)u * (uint64_t)inv;
		return q64 <= lim ? q64 : 0;
	}
	q = u * inv;
	hi = (siqs_u128)(uint64_t)(q >> 64) * p +
	     (((siqs_u128)(uint64_t)q * p) >> 64);
	return hi >> 64 ? 0 : q;
}

/*
 * Native trial division (Q(x) below 2^126, signed 128-bit words): the
 * same relation as the mpz path, no GMP call per candidate.
 */
static int check_native(struct siqs *S, uint32_t i, long x)
{
	uint32_t fac[SIQS_MAX_FAC], nfac = 0, nh, h;
	const uint32_t *hits;
	siqs_i128 xq = x, qv;
	siqs_u128 u, d;
	unsigned l, e2;

	qv = (S->A128 * xq + 2 * S->B128) * xq + S->C128;
	if (qv == 0)
		return STATUS_OK;
	if (qv < 0) {
		fac[nfac++] = 0;
		u = (siqs_u128)-qv;
	} else {
		u = (siqs_u128)qv;
	}
	e2 = (uint64_t)u ? (unsigned)__builtin_ctzll((uint64_t)u)
			 : 64 + (unsigned)__builtin_ctzll((uint64_t)(u >> 64));
	if (e2 + S->s + 1 >= SIQS_MAX_FAC)
		return STATUS_OK;
	u >>= e2;
	while (e2--)
		fac[nfac++] = 1;
	for (l = 0; l < S->s; l++)
		fac[nfac++] = S->qidx[l];
	for (l = 0; l < S->s; l++) {
		uint32_t jq = S->qidx[l], p = S->prime[jq];
		while (nfac < SIQS_MAX_FAC &&
		       (d = divexact_u128(u, p, S->inv128[jq], S->bred[jq]))) {
			u = d;
			fac[nfac++] = jq;
		}
	}
	nh = find_hits(S, i, &hits);
	/*
	 * A hit's prime divides Q(x) (its root matched), so the first
	 * division needs no test: u p^-1 mod 2^128 is the quotient.  Then u
	 * is mostly below 2^64 and the test for a square factor is one
	 * multiply.  The relation lists each prime with its multiplicity in
	 * the order of the hits, as a test per division would.
	 */
	for (h = 0; h < nh; h++) {
		uint32_t j = hits[h];
		if (S->in_a[j])
			continue;
		if (u >> 64)
			u *= S->inv128[j];
		else
			u = (uint64_t)u * (uint64_t)S->inv128[j];
	}
	for (h = 0; h < nh; h++) {
		uint32_t j = hits[h], p = S->prime[j];
		if (S->in_a[j])
			continue;
		if (nfac >= SIQS_MAX_FAC)
			return STATUS_OK;
		fac[nfac++] = j;
		while ((d = divexact_u128(u, p, S->inv128[j], S->bred[j]))) {
			u = d;
			if (nfac >= SIQS_MAX_FAC)
				return STATUS_OK;
			fac[nfac++] = j;
		}
	}
	if (u >> 32)
		return STATUS_OK;
	return finish_rel(S, x, fac, nfac, (uint64_t)u);
}

/* Trial-divide the candidate at sieve position i; store a relation. */
static int check_candidate(struct siqs *S, uint32_t i)
{
	uint32_t fac[SIQS_MAX_FAC], nfac = 0, nh, h;
	const uint32_t *hits;
	long x = (long)i - (long)S->M;
	unsigned l;
	mp_bitcnt_t e2;

	if (S->native)
		return check_native(S, i, x);
	/* Q(x) = (A x + 2B) x + C */
	mpz_mul_si(S->q, S->A, x);
	mpz_addmul_ui(S->q, S->B, 2);
	mpz_mul_si(S->q, S->q, x);
	mpz_add(S->q, S->q, S->C);
	if (mpz_sgn(S->q) == 0)
		return STATUS_OK;
	if (mpz_sgn(S->q) < 0) {
		fac[nfac++] = 0;
		mpz_neg(S->q, S->q);
	}
	e2 = mpz_scan1(S->q, 0);
	if (e2 + S->s + 1 >= SIQS_MAX_FAC)
		return STATUS_OK;
	mpz_tdiv_q_2exp(S->q, S->q, e2);
	while (e2--)
		fac[nfac++] = 1;
	for (l = 0; l < S->s; l++)
		fac[nfac++] = S->qidx[l];
	/* the primes of A: no roots, divide directly */
	for (l = 0; l < S->s; l++) {
		uint32_t p = S->prime[S->qidx[l]];
		while (mpz_divisible_ui_p(S->q, p) && nfac < SIQS_MAX_FAC) {
			mpz_divexact_ui(S->q, S->q, p);
			fac[nfac++] = S->qidx[l];
		}
	}
	nh = find_hits(S, i, &hits);
	for (h = 0; h < nh; h++) {
		uint32_t p = S->prime[hits[h]];
		if (S->in_a[hits[h]])
			continue;
		while (mpz_divisible_ui_p(S->q, p)) {
			mpz_divexact_ui(S->q, S->q, p);
			if (nfac >= SIQS_MAX_FAC)
				return STATUS_OK;
			fac[nfac++] = hits[h];
		}
	}
	if (!mpz_fits_ulong_p(S->q) || mpz_get_ui(S->q) >> 32)
		return STATUS_OK;
	return finish_rel(S, x, fac, nfac, mpz_get_ui(S->q));
}

/*
 * Primes at or above SIQS_BUCKET_MIN hit a block at most twice per root:
 * their hits go to one bucket per block, (FB index << 15 | offset), to be
 * added while that block is in L1 and read back by trial division.
 */
static void sieve_large(struct siqs *S)
{
	uint32_t len = S->len, j, b;
	uint32_t *wp[SIQS_MAX_BLOCKS]; /* write pointers: one load per hit */

	for (b = 0; b < S->nblocks; b++)
		wp[b] = S->bucket[b];
	for (j = S->med_end; j < S->fb_n; j++) {
		uint32_t p = S->prime[j], r, tag = j << SIQS_BLOCK_BITS;
		if (S->in_a[j])
			continue;
		for (r = S->root1[j]; r < len; r += p)
			*wp[r >> SIQS_BLOCK_BITS]++ = tag | (r & (SIQS_BLOCK - 1));
		if (S->root2[j] == S->root1[j])
			continue;
		for (r = S->root2[j]; r < len; r += p)
			*wp[r >> SIQS_BLOCK_BITS]++ = tag | (r & (SIQS_BLOCK - 1));
	}
	for (b = 0; b < S->nblocks; b++)
		S->bucket_n[b] = (uint32_t)(wp[b] - S->bucket[b]);
}

/* Add block b's bucket of large-prime hits. */
static void apply_bucket(struct siqs *S, uint32_t b)
{
	uint8_t *sv = S->sieve + (size_t)b * SIQS_BLOCK;
	const uint32_t *e = S->bucket[b];
	uint32_t k, n = S->bucket_n[b];
	for (k = 0; k < n; k++) {
		uint32_t off = e[k] & (SIQS_BLOCK - 1);
		sv[off] = (uint8_t)(sv[off] + S->logp[e[k] >> SIQS_BLOCK_BITS]);
	}
}

/*
 * Both roots per step, four steps unrolled (r1 <= r2 < r1 + p), adding lg1
 * at r1 and lg2 at r2 while r2 + 3p < e; the roots move past what was done.
 */
static inline void sieve_steps4(uint8_t *sv, uint32_t p, uint8_t lg1,
				uint8_t lg2, uint32_t *r1, uint32_t *r2, uint32_t e)
{
	uint8_t *a1 = sv + *r1, *a2 = sv + *r2;
	const uint8_t *stop;
	size_t p1 = p, p2 = 2 * (size_t)p, p3 = 3 * (size_t)p;
	if (*r2 + 3 * p >= e)
		return;
	stop = sv + e - 3 * p;
	while (a2 < stop) {
		a1[0] = (uint8_t)(a1[0] + lg1);
		a2[0] = (uint8_t)(a2[0] + lg2);
		a1[p1] = (uint8_t)(a1[p1] + lg1);
		a2[p1] = (uint8_t)(a2[p1] + lg2);
		a1[p2] = (uint8_t)(a1[p2] + lg1);
		a2[p2] = (uint8_t)(a2[p2] + lg2);
		a1[p3] = (uint8_t)(a1[p3] + lg1);
		a2[p3] = (uint8_t)(a2[p3] + lg2);
		a1 += 4 * p1;
		a2 += 4 * p1;
	}
	*r1 = (uint32_t)(a1 - sv);
	*r2 = (uint32_t)(a2 - sv);
}

/*
 * Add lg at r1, r2 (r1 <= r2 < r1 + p, or r1 == r2: one root) and every p
 * after them below e; *n1 <= *n2 get the first positions at or past e.
 */
static inline void sieve_prime(uint8_t *sv, uint32_t p, uint8_t lg, uint32_t r1,
			       uint32_t r2, uint32_t e, uint32_t *n1, uint32_t *n2)
{
	if (r1 == r2) {
		for (; r1 < e; r1 += p)
			sv[r1] = (uint8_t)(sv[r1] + lg);
		*n1 = *n2 = r1;
		return;
	}
	sieve_steps4(sv, p, lg, lg, &r1, &r2, e);
	for (; r2 < e; r1 += p, r2 += p) {
		sv[r1] = (uint8_t)(sv[r1] + lg);
		sv[r2] = (uint8_t)(sv[r2] + lg);
	}
	if (r1 < e) {
		sv[r1] = (uint8_t)(sv[r1] + lg);
		*n1 = r2;
		*n2 = r1 + p;
	} else {
		*n1 = r1;
		*n2 = r2;
	}
}

/* Sieve [b, e) with the primes below SIQS_BUCKET_MIN; next1 <= next2. */
static void sieve_block(struct siqs *S, uint32_t e)
{
	uint8_t *sv = S->sieve;
	uint32_t j;

	for (j = S->sieve_start; j < S->med_end; j++) {
		if (S->next1[j] == UINT32_MAX)
			continue;
		sieve_prime(sv, S->prime[j], S->logp[j], S->next1[j], S->next2[j],
			    e, &S->next1[j], &S->next2[j]);
	}
}

/*
 * sieve_prime for one-block sieving, p <= e / 64 (many hits per root): the
 * same four-step loop, then the last three steps of r2 and four of r1 as
 * selects into the spare byte sv[e] instead of loops whose exit depends
 * on the roots.  r1 <= r2 < p; r1 == r2 (one root): its second walk adds 0.
 */
static inline void sieve_prime_nt(uint8_t *sv, uint32_t p, uint8_t lg,
				  uint32_t r1, uint32_t r2, uint32_t e)
{
	uint8_t lg2 = r1 == r2 ? 0 : lg;
	uint32_t t, o;
	sieve_steps4(sv, p, lg, lg2, &r1, &r2, e);
	for (t = 0; t < 4; t++) { /* a2 + 3p >= e, a1 + 4p > a2 + 3p */
		o = r1 + t * p;
		o = o < e ? o : e;
		sv[o] = (uint8_t)(sv[o] + lg);
	}
	for (t = 0; t < 3; t++) {
		o = r2 + t * p;
		o = o < e ? o : e;
		sv[o] = (uint8_t)(sv[o] + lg2);
	}
}

/*
 * The whole interval in one block (96 to 128 bits): straight from the
 * roots, no next1/next2 to order before and store after; the same adds.
 * A prime p with q = len / p hits [0, len) q or q + 1 times from a root
 * r < p: the primes with q <= SIQS_CLS_Q go by runs of equal q, q adds
 * per root in a loop whose count the branch predictor learns once per
 * run, then the (q+1)-th add at r + q p or, past the end, at the spare
 * byte sv[len] (a select, no branch).  The loop exits that depended on
 * each root were a mispredicted branch or two per prime.
 */
static void sieve_one_block(struct siqs *S)
{
	uint8_t *sv = S->sieve;
	uint32_t j, c, e = S->len;

	for (j = S->sieve_start; j < S->cls_first; j++) {
		uint32_t r1 = S->root1[j], r2 = S->root2[j];
		if (S->in_a[j])
			continue;
		sieve_prime_nt(sv, S->prime[j], S->logp[j], r1 < r2 ? r1 : r2,
			       r1 < r2 ? r2 : r1, e);
	}
	for (c = 0; c < S->ncls; c++) {
		uint32_t q = S->cls_q[c], end = S->cls_end[c];
		/* two primes of the run at once: four independent walks */
		for (; j + 1 < end && !(S->in_a[j] | S->in_a[j + 1]); j += 2) {
			uint32_t p = S->prime[j], r1 = S->root1[j], r2 = S->root2[j];
			uint32_t pb = S->prime[j + 1], r3 = S->root1[j + 1];
			uint32_t r4 = S->root2[j + 1], i;
			uint8_t lg = S->logp[j], lg2 = r1 == r2 ? 0 : lg;
			uint8_t lb = S->logp[j + 1], lb2 = r3 == r4 ? 0 : lb;
			uint8_t *a1 = sv + r1, *a2 = sv + r2, *a3 = sv + r3, *a4 = sv + r4;
			for (i = 0; i < q; i++) {
				*a1 = (uint8_t)(*a1 + lg);
				*a2 = (uint8_t)(*a2 + lg2);
				*a3 = (uint8_t)(*a3 + lb);
				*a4 = (uint8_t)(*a4 + lb2);
				a1 += p;
				a2 += p;
				a3 += pb;
				a4 += pb;
			}
			r1 += q * p;
			r2 += q * p;
			r3 += q * pb;
			r4 += q * pb;
			r1 = r1 < e ? r1 : e;
			r2 = r2 < e ? r2 : e;
			r3 = r3 < e ? r3 : e;
			r4 = r4 < e ? r4 : e;
			sv[r1] = (uint8_t)(sv[r1] + lg);
			sv[r2] = (uint8_t)(sv[r2] + lg2);
			sv[r3] = (uint8_t)(sv[r3] + lb);
			sv[r4] = (uint8_t)(sv[r4] + lb2);
		}
		for (; j < end; j++) {
			uint32_t p = S->prime[j], r1 = S->root1[j], r2 = S->root2[j], i;
			uint8_t lg = S->logp[j], lg2 = r1 == r2 ? 0 : lg;
			uint8_t *a1 = sv + r1, *a2 = sv + r2;
			if (S->in_a[j])
				continue;
			for (i = 0; i < q; i++) {
				*a1 = (uint8_t)(*a1 + lg);
				*a2 = (uint8_t)(*a2 + lg2);
				a1 += p;
				a2 += p;
			}
			r1 += q * p;
			r2 += q * p;
			r1 = r1 < e ? r1 : e;
			r2 = r2 < e ? r2 : e;
			sv[r1] = (uint8_t)(sv[r1] + lg);
			sv[r2] = (uint8_t)(sv[r2] + lg2);
		}
	}
}

/* The runs of sieve_one_block: primes below med_end by len / p. */
static void set_sieve_classes(struct siqs *S)
{
	uint32_t j = S->sieve_start;

	while (j < S->med_end && S->len / S->prime[j] >= SIQS_CLS_Q)
		j++;
	S->cls_first = j;
	S->ncls = 0;
	while (j < S->med_end) {
		uint32_t q = S->len / S->prime[j];
		while (j < S->med_end && S->len / S->prime[j] == q)
			j++;
		S->cls_q[S->ncls] = q;
		S->cls_end[S->ncls++] = j;
	}
}

#if SIQS_AVX2
/* scan_block's test 128 bytes at a time (e - b is a multiple of 4 KiB). */
__attribute__((target("avx2"))) static void scan_block_avx2(struct siqs *S,
							     uint32_t b, uint32_t e)
{
	uint32_t i, h;
	for (i = b; i < e; i += 128) {
		const __m256i *v = (const __m256i *)(const void *)(S->sieve + i);
		__m256i v0 = _mm256_loadu_si256(v), v1 = _mm256_loadu_si256(v + 1);
		__m256i v2 = _mm256_loadu_si256(v + 2), v3 = _mm256_loadu_si256(v + 3);
		if (!_mm256_movemask_epi8(_mm256_or_si256(_mm256_or_si256(v0, v1),
							  _mm256_or_si256(v2, v3))))
			continue;
		for (h = 0; h < 2; h++) {
			uint64_t bits = (uint64_t)(uint32_t)_mm256_movemask_epi8(h ? v2 : v0) |
					(uint64_t)(uint32_t)_mm256_movemask_epi8(h ? v3 : v1) << 32;
			while (bits && S->ncand < SIQS_MAX_CAND) {
				S->cand[S->ncand++] = i + 64 * h + (uint32_t)__builtin_ctzll(bits);
				bits &= bits - 1;
			}
		}
	}
}
#endif

/* Collect the candidates of [b, e): bytes with the top bit set. */
static void scan_block(struct siqs *S, uint32_t b, uint32_t e)
{
	uint32_t i;
	const uint64_t mask = 0x8080808080808080ULL;
#if SIQS_AVX2
	if (S->avx2) {
		scan_block_avx2(S, b, e);
		return;
	}
#endif
#if defined(__SSE2__)
	/* 64 bytes per test: the top bits by movemask (e - b is a multiple of 4 KiB) */
	for (i = b; S->sse2 && i < e; i += 64) {
		const __m128i *v = (const __m128i *)(const void *)(S->sieve + i);
		__m128i v0 = _mm_loadu_si128(v), v1 = _mm_loadu_si128(v + 1);
		__m128i v2 = _mm_loadu_si128(v + 2), v3 = _mm_loadu_si128(v + 3);
		uint64_t bits;
		if (!_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(v0, v1),
						    _mm_or_si128(v2, v3))))
			continue;
		bits = (uint64_t)(uint32_t)_mm_movemask_epi8(v0) |
		       (uint64_t)(uint32_t)_mm_movemask_epi8(v1) << 16 |
		       (uint64_t)(uint32_t)_mm_movemask_epi8(v2) << 32 |
		       (uint64_t)(uint32_t)_mm_movemask_epi8(v3) << 48;
		while (bits && S->ncand < SIQS_MAX_CAND) {
			S->cand[S->ncand++] = i + (uint32_t)__builtin_ctzll(bits);
			bits &= bits - 1;
		}
	}
	if (S->sse2)
		return;
#endif
	for (i = b; i < e; i += 32) {
		uint64_t v[4];
		unsigned bi;
		memcpy(v, S->sieve + i, 32);
		if (!((v[0] | v[1] | v[2] | v[3]) & mask))
			continue;
		for (bi = 0; bi < 32; bi++)
			if (S->sieve[i + bi] & 0x80 && S->ncand < SIQS_MAX_CAND)
				S->cand[S->ncand++] = i + bi;
	}
}

#if SIQS_AVX2
/*
 * keep_bucket_hits for a block with few candidates (c0 .. c1 - 1 in
 * S->cand, at most 8): eight entries per step compared with each
 * candidate's offset, instead of a sieve byte load per entry.
 */
__attribute__((target("avx2"))) static void
keep_bucket_hits_avx2(struct siqs *S, uint32_t b, uint32_t c0, uint32_t c1)
{
	const uint32_t *e = S->bucket[b];
	uint32_t k = 0, n = S->bucket_n[b], c, nc = c1 - c0;
	const __m256i lowmask = _mm256_set1_epi32(SIQS_BLOCK - 1);
	__m256i co[8];
	for (c = 0; c < nc; c++)
		co[c] = _mm256_set1_epi32((int)(S->cand[c0 + c] & (SIQS_BLOCK - 1)));
	for (; k + 8 <= n; k += 8) {
		__m256i v = _mm256_and_si256(
			_mm256_loadu_si256((const __m256i *)(const void *)(e + k)), lowmask);
		__m256i m = _mm256_cmpeq_epi32(v, co[0]);
		unsigned bits;
		for (c = 1; c < nc; c++)
			m = _mm256_or_si256(m, _mm256_cmpeq_epi32(v, co[c]));
		bits = (unsigned)_mm256_movemask_ps(_mm256_castsi256_ps(m));
		while (bits) {
			uint32_t x = e[k + (uint32_t)__builtin_ctz(bits)];
			S->lhit_pos[S->nlhit] = b * SIQS_BLOCK + (x & (SIQS_BLOCK - 1));
			S->lhit_idx[S->nlhit++] = x >> SIQS_BLOCK_BITS;
			bits &= bits - 1;
		}
	}
	for (; k < n; k++) {
		uint32_t off = e[k] & (SIQS_BLOCK - 1);
		for (c = 0; c < nc; c++)
			if (off == (S->cand[c0 + c] & (SIQS_BLOCK - 1)))
				break;
		if (c == nc)
			continue;
		S->lhit_pos[S->nlhit] = b * SIQS_BLOCK + off;
		S->lhit_idx[S->nlhit++] = e[k] >> SIQS_BLOCK_BITS;
	}
}
#endif

/*
 * Keep the bucket entries of block b that land on a candidate (the
 * candidates of the block are S->cand[c0 .. c1 - 1]).
 */
static void keep_bucket_hits(struct siqs *S, uint32_t b, uint32_t c0,
			     uint32_t c1)
{
	const uint8_t *sv = S->sieve + (size_t)b * SIQS_BLOCK;
	const uint32_t *e = S->bucket[b];
	uint32_t k, n = S->bucket_n[b];
#if SIQS_AVX2
	if (S->avx2 && c1 - c0 <= 8) {
		keep_bucket_hits_avx2(S, b, c0, c1);
		return;
	}
#else
	(void)c0;
	(void)c1;
#endif
	for (k = 0; k < n; k++) {
		uint32_t off = e[k] & (SIQS_BLOCK - 1);
		if (!(sv[off] & 0x80))
			continue;
		S->lhit_pos[S->nlhit] = b * SIQS_BLOCK + off;
		S->lhit_idx[S->nlhit++] = e[k] >> SIQS_BLOCK_BITS;
	}
}

#if SIQS_AVX2
/* next1 = min(root1, root2), next2 = max, eight primes per step from j. */
__attribute__((target("avx2"))) static uint32_t order_roots_avx2(struct siqs *S,
								 uint32_t j)
{
	for (; j + 8 <= S->med_end; j += 8) {
		__m256i r1 = _mm256_loadu_si256((const __m256i *)(const void *)(S->root1 + j));
		__m256i r2 = _mm256_loadu_si256((const __m256i *)(const void *)(S->root2 + j));
		_mm256_storeu_si256((__m256i *)(void *)(S->next1 + j), _mm256_min_epu32(r1, r2));
		_mm256_storeu_si256((__m256i *)(void *)(S->next2 + j), _mm256_max_epu32(r1, r2));
	}
	return j;
}
#endif

/* Every block in turn: small primes from next1/next2, the scan, the bucket hits. */
static void sieve_blocks(struct siqs *S)
{
	uint32_t j, b;
	unsigned l;

	j = S->sieve_start;
#if SIQS_AVX2
	if (S->avx2)
		j = order_roots_avx2(S, j);
#endif
	for (; j < S->med_end; j++) {
		uint32_t r1 = S->root1[j], r2 = S->root2[j];
		S->next1[j] = r1 < r2 ? r1 : r2;
		S->next2[j] = r1 < r2 ? r2 : r1;
	}
	for (l = 0; l < S->s; l++) /* the primes of A are not sieved */
		if (S->qidx[l] >= S->sieve_start && S->qidx[l] < S->med_end)
			S->next1[S->qidx[l]] = S->next2[S->qidx[l]] = UINT32_MAX;
	for (b = 0; b < S->nblocks; b++) {
		uint32_t before = S->ncand;
		uint32_t e = b + 1 < S->nblocks ? (b + 1) * SIQS_BLOCK : S->len;
		apply_bucket(S, b);
		sieve_block(S, e);
		scan_block(S, b * SIQS_BLOCK, e);
		if (S->ncand > before)
			keep_bucket_hits(S, b, before, S->ncand);
	}
}

/*
 * params->check_sieve: the sieve recomputed the plain way (the starting
 * pattern, then every prime from sieve_start, one root at a time over the
 * whole interval) and compared byte for byte with S->sieve.  Byte adds
 * wrap the same in any order, so every sieving path (blocks, buckets,
 * runs, selects, pairs) must agree with it exactly.
 */
static void sieve_check(struct siqs *S)
{
	uint32_t i, j, r;
	for (i = 0; i < S->len; i++)
		S->ref[i] = S->init_pat[i % sizeof S->init_pat];
	for (j = S->sieve_start; j < S->fb_n; j++) {
		uint32_t p = S->prime[j];
		uint8_t lg = S->logp[j];
		if (S->in_a[j])
			continue;
		for (r = S->root1[j]; r < S->len; r += p)
			S->ref[r] = (uint8_t)(S->ref[r] + lg);
		if (S->root2[j] != S->root1[j])
			for (r = S->root2[j]; r < S->len; r += p)
				S->ref[r] = (uint8_t)(S->ref[r] + lg);
	}
	for (i = 0; i < S->len; i++)
		S->sieve_bad += S->ref[i] != S->sieve[i];
}

/*
 * One polynomial: large primes over the whole interval first (few hits,
 * each a cache miss), then block by block the smaller primes and the scan
 * while the block is in L1 (one block: straight from the roots).
 */
static int sieve_poly(struct siqs *S)
{
	uint32_t j;
	int st = STATUS_OK;

	for (j = 0; j < S->len; j += sizeof S->init_pat)
		memcpy(S->sieve + j, S->init_pat, sizeof S->init_pat);
	sieve_large(S);
	S->ncand = 0;
	S->nlhit = 0;
	if (S->nblocks == 1) {
		apply_bucket(S, 0);
		sieve_one_block(S);
		scan_block(S, 0, S->len);
		if (S->ncand)
			keep_bucket_hits(S, 0, 0, S->ncand);
	} else {
		sieve_blocks(S);
	}
	if (S->ref)
		sieve_check(S);
#if SIQS_AVX2
	if (S->r16 && S->ncand)
		set_roots16(S);
#endif
	for (j = 0; j < S->ncand && st == STATUS_OK; j += 8) {
		uint32_t k, nb = S->ncand - j;
		if (nb > 8)
			nb = 8;
#if SIQS_AVX2
		if (S->r16 && S->avx512)
			root_hits16_batch_avx512(S, S->cand + j, nb);
		else if (S->r16)
			root_hits16_batch_avx2(S, S->cand + j, nb);
#endif
		for (k = 0; k < nb && st == STATUS_OK; k++) {
			S->candidates++;
			if (S->r16) {
				S->bhits = S->hitsb + k * S->hit_stride;
				S->bnh = S->nhb[k];
			}
			st = check_candidate(S, S->cand[j + k]);
		}
		S->bhits = NULL;
	}
	return st;
}

/* ---- linear algebra and square root ---- */

static int try_deps(struct siqs *S, mpz_t f)
{
	int status = STATUS_ERR_NOMEM, ndeps = 0, d;
	size_t nrows = 0, r, u, cap_cols = 0, ncols_used = 0;
	uint32_t *row_a = NULL, *row_b = NULL, *row_start = NULL, *cols = NULL;
	uint32_t *cnt = NULL, *lps = NULL, *tmp = NULL;
	uint64_t *deps = NULL;
	uint32_t F = S->fb_n;
	mpz_t X, Y, yv;

	mpz_init(X);
	mpz_init(Y);
	row_a = malloc((S->nrel + 1) * sizeof *row_a);
	row_b = malloc((S->nrel + 1) * sizeof *row_b);
	row_start = malloc((S->nrel + 2) * sizeof *row_start);
	cnt = calloc(F, sizeof *cnt);
	lps = malloc((2 * S->nrel + 1) * sizeof *lps);
	if (!row_a || !row_b || !row_start || !cnt || !lps)
		goto cleanup;
	for (u = 0; u < S->nrel; u++) {
		if (S->rel[u].lp == 1) {
			row_a[nrows] = (uint32_t)u;
			row_b[nrows++] = UINT32_MAX;
		} else {
			uint32_t first = lp_lookup(S, S->rel[u].lp);
			if (first != u) {
				row_a[nrows] = first;
				row_b[nrows++] = (uint32_t)u;
			}
		}
	}
	/* odd-exponent columns of each row */
	cap_cols = 0;
	for (r = 0; r < nrows; r++) {
		cap_cols += S->rel[row_a[r]].nfac;
		if (row_b[r] != UINT32_MAX)
			cap_cols += S->rel[row_b[r]].nfac;
	}
	cols = malloc((cap_cols + 1) * sizeof *cols);
	deps = malloc((nrows + 1) * sizeof *deps);
	if (!cols || !deps)
		goto cleanup;
	for (r = 0; r < nrows; r++) {
		const struct siqs_rel *ra = &S->rel[row_a[r]];
		size_t start = ncols_used, a, m;
		row_start[r] = (uint32_t)start;
		for (a = 0; a < ra->nfac; a++)
			cols[ncols_used++] = S->pool[ra->off + a];
		if (row_b[r] != UINT32_MAX) {
			const struct siqs_rel *rb = &S->rel[row_b[r]];
			for (a = 0; a < rb->nfac; a++)
				cols[ncols_used++] = S->pool[rb->off + a];
		}
		/*
		 * keep entries of odd multiplicity: parities toggled in cnt
		 * (all zero between rows), each odd one kept at its first
		 * occurrence and cleared (was a sort per row)
		 */
		for (a = start; a < ncols_used; a++)
			cnt[cols[a]] ^= 1;
		m = start;
		for (a = start; a < ncols_used; a++)
			if (cnt[cols[a]]) {
				cnt[cols[a]] = 0;
				cols[m++] = cols[a];
			}
		ncols_used = m;
	}
	row_start[nrows] = (uint32_t)ncols_used;

	status = siqs_linalg((uint32_t)nrows, F, row_start, cols, deps, &ndeps);
	if (status != STATUS_OK)
		goto cleanup;
	status = STATUS_NOT_FOUND;
	for (d = 0; d < ndeps; d++) {
		size_t nlp = 0, a;
		uint32_t j;
		int bad = 0;
		memset(cnt, 0, F * sizeof *cnt);
		mpz_set_ui(X, 1);
		mpz_set_ui(Y, 1);
		for (r = 0; r < nrows; r++) {
			uint32_t pair[2];
			int h;
			if (!(deps[r] >> d & 1))
				continue;
			pair[0] = row_a[r];
			pair[1] = row_b[r];
			for (h = 0; h < 2; h++) {
				const struct siqs_rel *rr;
				if (pair[h] == UINT32_MAX)
					continue;
				rr = &S->rel[pair[h]];
				mpz_mul(X, X, mpz_roinit_n(yv, S->ylimb + rr->yoff,
							   rr->ysize));
				/* reduced only past twice n's limbs: a third
				 * of the reductions at 96 bits */
				if (mpz_size(X) > 2 * mpz_size(S->n))
					mpz_mod(X, X, S->n);
				for (a = 0; a < rr->nfac; a++)
					cnt[S->pool[rr->off + a]]++;
				if (rr->lp > 1)
					lps[nlp++] = rr->lp;
			}
		}
		for (j = 0; j < F; j++)
			if (cnt[j] & 1)
				bad = 1;
		if (bad)
			continue;
		sort_u32(lps, nlp);
		for (a = 0; a + 1 < nlp; a += 2) {
			if (lps[a] != lps[a + 1]) {
				bad = 1;
				break;
			}
			mpz_mul_ui(Y, Y, lps[a]);
			if (mpz_size(Y) > 2 * mpz_size(S->n))
				mpz_mod(Y, Y, S->n);
		}
		if (bad || (nlp & 1))
			continue;
		/* prod p^(e/2): prime powers gathered in one word, then one
		 * multiply per full word (was a powm per prime) */
		{
			uint64_t w = 1;
			for (j = 1; j < F; j++) {
				uint32_t e = cnt[j] / 2, p = S->prime[j];
				while (e--) {
					if ((uint64_t)(((siqs_u128)w * p) >> 64)) {
						mpz_mul_ui(Y, Y, w);
						if (mpz_size(Y) > 2 * mpz_size(S->n))
							mpz_mod(Y, Y, S->n);
						w = 1;
					}
					w *= p;
				}
			}
			mpz_mul_ui(Y, Y, w);
			mpz_mod(Y, Y, S->n);
		}
		mpz_mod(X, X, S->n);
		mpz_sub(X, X, Y);
		mpz_gcd(X, X, S->n);
		if (mpz_cmp_ui(X, 1) > 0 && mpz_cmp(X, S->n) < 0) {
			mpz_set(f, X);
			status = STATUS_FOUND;
			break;
		}
	}

cleanup:
	(void)tmp;
	mpz_clear(X);
	mpz_clear(Y);
	free(row_a);
	free(row_b);
	free(row_start);
	free(cols);
	free(cnt);
	free(lps);
	free(deps);
	return status;
}

/* ---- driver ---- */

void siqs_params_init(struct siqs_params *params)
{
	params->seed = 1;       /* fixed seed: runs repeat */
	params->deadline = 0.0; /* no time limit */
	params->stop = NULL;    /* no stop hook */
	params->stop_arg = NULL;
	params->stats = NULL;   /* no statistics */
	params->fb_size = 0;    /* tuning overrides: all from the table */
	params->lp_mult = 0;
	params->blocks = 0;
	params->fudge = 0;
	params->q_max = 0;
	params->small_prime = 0;
	params->scalar = 0;     /* vector paths where the CPU has them */
	params->check_sieve = 0; /* no reference sieve */
}

static void siqs_clear(struct siqs *S)
{
	unsigned l;
	mpz_clear(S->n);
	mpz_clear(S->kn);
	mpz_clear(S->A);
	mpz_clear(S->B);
	mpz_clear(S->C);
	mpz_clear(S->q);
	mpz_clear(S->t);
	mpz_clear(S->y);
	for (l = 0; l < SIQS_MAX_S; l++)
		mpz_clear(S->bl[l]);
	free(S->prime);
	free(S->sqrtkn);
	free(S->ainv);
	free(S->root1);
	free(S->root2);
	free(S->bainv);
	free(S->logp);
	free(S->pinv);
	free(S->bred);
	free(S->inv128);
	free(S->pf);
	free(S->pinvf);
	free(S->p16);
	free(S->next1);
	free(S->next2);
	free(S->hits);
	free(S->hitsb);
	free(S->cand);
	if (S->bucket)
		for (l = 0; l < S->nblocks; l++)
			free(S->bucket[l]);
	free(S->bucket);
	free(S->bucket_n);
	free(S->lhit_pos);
	free(S->lhit_idx);
	free(S->in_a);
	free(S->sieve);
	free(S->ref);
	free(S->seen_a);
	free(S->rel);
	free(S->ylimb);
	free(S->pool);
	free(S->lp_key);
	free(S->lp_first);
}

int siqs_factor(mpz_t f, const mpz_t n, const struct siqs_params *params)
{
	struct siqs_params defaults;
	struct siqs S;
	size_t bits;
	size_t want;
	int retries = 0;
	double fbd, lpm, blk, fudge, log2q, thr, scale, t_start, t_la = 0;
	uint32_t j;
	unsigned l;
	int status;

	if (!params) {
		siqs_params_init(&defaults);
		params = &defaults;
	}
	if (mpz_sgn(n) <= 0 || mpz_even_p(n))
		return STATUS_ERR_INVAL;
	bits = mpz_sizeinbase(n, 2);
	if (bits < SIQS_MIN_BITS || bits > SIQS_MAX_BITS)
		return STATUS_ERR_INVAL;
	if (params->deadline > 0 && now_monotonic() >= params->deadline)
		return STATUS_ERR_TIMEOUT;
	/*
	 * A perfect power r^k: every square root of 1 mod p^k is +-1, so all
	 * dependencies would be trivial.  Return its root instead.
	 */
	if (mpz_perfect_power_p(n)) {
		unsigned long k;
		for (k = 2; k < bits; k++)
			if (mpz_root(f, n, k))
				return STATUS_FOUND;
	}

	t_start = now_monotonic();
	memset(&S, 0, sizeof S);
	mpz_init_set(S.n, n);
	mpz_init(S.kn);
	mpz_init(S.A);
	mpz_init(S.B);
	mpz_init(S.C);
	mpz_init(S.q);
	mpz_init(S.t);
	mpz_init(S.y);
	for (l = 0; l < SIQS_MAX_S; l++)
		mpz_init(S.bl[l]);
	S.rng = params->seed ^ 0x5851f42d4c957f2dULL;
	S.sse2 = params->scalar != 1;
#if SIQS_AVX2
	S.avx2 = params->scalar != 1 && __builtin_cpu_supports("avx2") != 0;
	S.fma = S.avx2 && __builtin_cpu_supports("fma") != 0;
	S.avx512 = S.avx2 && params->scalar == 0 &&
		   __builtin_cpu_supports("avx512bw") &&
		   __builtin_cpu_supports("avx512vl") &&
		   __builtin_cpu_supports("avx512vbmi2");
#endif
	/* the set bits of j: the lowest, then those of j without it */
	for (j = 1; j < 256; j++) {
		uint32_t rest = j & (j - 1);
		S.hitlut[j][0] = (uint8_t)__builtin_ctz(j);
		memcpy(S.hitlut[j] + 1, S.hitlut[rest], 7);
		S.hitcnt[j] = (uint8_t)(S.hitcnt[rest] + 1);
	}

	interp_params(bits, &fbd, &lpm, &blk, &fudge);
	if (params->fb_size)
		fbd = params->fb_size;
	if (fbd > SIQS_MAX_FB)
		fbd = SIQS_MAX_FB;
	if (params->lp_mult > 0)
		lpm = params->lp_mult;
	if (params->blocks)
		blk = params->blocks;
	S.fudge = params->fudge > 0 ? params->fudge : fudge;
	S.q_max = params->q_max > 0 ? params->q_max : SIQS_Q_MAX;
	S.small_prime = params->small_prime ? params->small_prime
					    : SIQS_SMALL_PRIME;
	status = build_fb(&S, f, (uint32_t)fbd);
	if (status != STATUS_OK)
		goto cleanup;
	if (blk > SIQS_MAX_BLOCKS)
		blk = SIQS_MAX_BLOCKS;
	if (blk < 0.25)
		blk = 0.25;
	/* whole blocks, or below one block a multiple of 4 KiB */
	S.len = blk < 1 ? (uint32_t)(blk * 8 + 0.5) * (SIQS_BLOCK / 8)
			: (uint32_t)(blk + 0.5) * SIQS_BLOCK;
	S.M = S.len / 2;
	/* root_hits16_batch_avx2: positions and root-checked primes below 2^15 */
	S.r16 = S.avx2 && S.len <= (1u << 15) && SIQS_BUCKET_MIN <= (1u << 15);
	{
		double lb = lpm * S.prime[S.fb_n - 1];
		S.lp_bound = lb > 4e9 ? 4000000000u : (uint32_t)lb;
	}
	S.log_a_target = 0.5 * (mpz_log(S.kn) + log(2.0)) - log((double)S.M);
	log2q = log2((double)S.M) + 0.5 * (mpz_log(S.kn) / log(2.0) - 1.0);
	thr = log2q - log2((double)S.lp_bound) - S.fudge;
	scale = thr > 100 ? 100 / thr : 1.0;
	S.init_byte = (uint8_t)(128 - (int)(thr * scale + 0.5));
	for (j = 2; j < S.fb_n; j++)
		S.logp[j] = (uint8_t)(log2((double)S.prime[j]) * scale + 0.5);
	{
		/* A x + B odd: 2^3 | (Ax+B)^2 - kN, 2^4 on average, when
		   kN = 1 mod 8; exactly 2^2 when 5 mod 8, 2 when 3 mod 4;
		   A x + B even: Q(x) odd */
		unsigned long km = mpz_fdiv_ui(S.kn, 8);
		double tb = km == 1 ? 4.0 : km == 5 ? 2.0 : 1.0;
		S.two_lg = (uint8_t)(tb * scale + 0.5);
	}
	status = choose_a_shape(&S);
	if (status != STATUS_OK)
		goto cleanup;
	S.bainv = malloc((size_t)S.s * S.fb_n * sizeof *S.bainv);
	S.sieve = calloc((size_t)S.len + 8, 1); /* sv[len]: sieve_one_block's spare */
	if (params->check_sieve && !(S.ref = malloc(S.len))) {
		status = STATUS_ERR_NOMEM;
		goto cleanup;
	}
	S.nblocks = (S.len + SIQS_BLOCK - 1) / SIQS_BLOCK;
	set_sieve_classes(&S);
	S.bucket = calloc(S.nblocks, sizeof *S.bucket);
	S.bucket_n = calloc(S.nblocks, sizeof *S.bucket_n);
	if (!S.bainv || !S.sieve || !S.bucket || !S.bucket_n) {
		status = STATUS_ERR_NOMEM;
		goto cleanup;
	}
	/* a bucket-sieved prime p hits a block at most BLOCK / p + 1 times per root */
	for (j = S.med_end; j < S.fb_n; j++)
		S.bucket_cap += 2 * ((size_t)SIQS_BLOCK / S.prime[j] + 1);
	S.lhit_pos = malloc(((size_t)S.nblocks * S.bucket_cap + 1) *
			    sizeof *S.lhit_pos);
	S.lhit_idx = malloc(((size_t)S.nblocks * S.bucket_cap + 1) *
			    sizeof *S.lhit_idx);
	if (!S.lhit_pos || !S.lhit_idx) {
		status = STATUS_ERR_NOMEM;
		goto cleanup;
	}
	for (j = 0; j < S.nblocks; j++) {
		S.bucket[j] = malloc((S.bucket_cap + 1) * sizeof **S.bucket);
		if (!S.bucket[j]) {
			status = STATUS_ERR_NOMEM;
			goto cleanup;
		}
	}

	want = (size_t)S.fb_n + SIQS_EXTRA;
	for (;;) {
		uint32_t i, npoly = 1u << (S.s - 1);
		status = pick_a(&S);
		if (status != STATUS_OK)
			goto cleanup;
		if (init_a(&S) != STATUS_OK)
			continue;
		for (i = 0; i < npoly; i++) {
			if (i > 0)
				next_b(&S, i);
			S.polys++;
			status = sieve_poly(&S);
			if (status != STATUS_OK)
				goto cleanup;
			if (params->stop && params->stop(params->stop_arg)) {
				status = STATUS_ERR_STOPPED;
				goto cleanup;
			}
			if (params->deadline > 0 &&
			    now_monotonic() >= params->deadline) {
				status = STATUS_ERR_TIMEOUT;
				goto cleanup;
			}
			/* enough: the rest of this A's polynomials are not needed
			 * (half an A's worth saved on average, 3% at 96 bits) */
			if (S.nfull + S.ncycle >= want)
				break;
		}
		if (S.nfull + S.ncycle >= want) {
			t_la = now_monotonic();
			status = try_deps(&S, f);
			t_la = now_monotonic() - t_la;
			if (status != STATUS_NOT_FOUND)
				goto cleanup;
			/* all trivial: gather some more and retry, a few times */
			if (++retries > SIQS_MAX_RETRIES)
				goto cleanup;
			want = S.nfull + S.ncycle + SIQS_EXTRA;
		}
	}

cleanup:
	if (params->stats) {
		struct siqs_stats *st = params->stats;
		st->multiplier = S.k;
		st->fb_size = S.fb_n;
		st->s = S.s;
		st->sieve_len = S.len;
		st->lp_bound = S.lp_bound;
		st->polys = S.polys;
		st->candidates = S.candidates;
		st->fulls = S.nfull;
		st->partials = S.nrel - S.nfull;
		st->cycles = S.ncycle;
		st->sieve_mismatches = S.sieve_bad;
		st->t_linalg = t_la;
		st->t_sieve = now_monotonic() - t_start - t_la;
	}
	siqs_clear(&S);
	return status;
}
