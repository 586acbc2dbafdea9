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
 * Files: this driver runs the phases below in order; each phase has its
 * file (siqs_params.c steps 1-3, siqs_poly.c step 4, siqs_sieve.c step 5,
 * siqs_tdiv.c and siqs_rel.c step 6, siqs_sqrt.c and siqs_linalg.c step
 * 7), with the shared state and declarations in siqs_int.h.
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
 *      (SSE2: 64).  T = log2(M sqrt(kN/2)) - log2(largest cofactor
 *      kept: the large prime bound L, or with double large primes the
 *      cutoff L^e) - (the table's slack) bits.
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
 *      must be 1 (full relation), a prime below the large prime bound L
 *      (partial), or, from SIQS_DLP_MIN_BITS (216 bits, about 65
 *      digits), a composite below the cutoff L^e (the table's e, 1.75)
 *      whose two primes are both below L (partial-partial: double
 *      large prime variation, Lenstra and Manasse 1990/1994): below the
 *      square of the largest FB prime it is prime, else a base-2 Fermat
 *      test, then Pollard-Brent rho on 64-bit Montgomery words.  The
 *      relations are the edges of a graph on the large primes (and 1);
 *      union-find counts its independent cycles as they come, each one
 *      a full relation (siqs_rel.c).
 *   7. When fulls + cycles exceed F by SIQS_EXTRA (4: a dependency splits
 *      n with probability 1/2 or more, and the matrix has more
 *      dependencies than rows beyond F, as a few columns stay empty or
 *      dependent), the cycles are built (a breadth-first spanning forest;
 *      each edge outside it with the tree path between its ends is one
 *      row, the XOR of its relations' exponents), siqs_linalg() finds (if all are trivial,
 *      SIQS_EXTRA more relations are gathered and it is tried again, at
 *      most SIQS_MAX_RETRIES times, then STATUS_NOT_FOUND); the matrix
 *      rows keep the odd-exponent columns by parity toggles.  For each
 *      dependency X = prod (Ax+B) mod n, Y = sqrt(prod A Q(x)) mod n from
 *      the summed exponents and the large primes, each occurring an even
 *      number of times (prime powers gathered in 64-bit words, one
 *      multiply per word), and gcd(X - Y, n) is tried; the products are
 *      reduced mod n only when past twice n's limbs.
 *
 * Shared sieve (siqs_wire.c; include/siqs.h's export_rels and
 * import_rels): relations are independent per A, so helpers sieve n
 * with their own streams of A's (seed and helper id) and send packed
 * relations; after every polynomial a helper packs and empties its store
 * (sending at each A's end or past SIQS_WIRE_BATCH bytes) and an owner
 * checks and stores every batch waiting, dropping relations it holds;
 * only the owner reaches step 7.
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
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "siqs.h"
#include "engine_util.h"
#include "siqs_int.h"
#include "status.h"

/* Upper bound on the primes of A (none: the table's shape rule decides). */
static const double SIQS_Q_MAX = 1e9;

/* log(x) for an mpz of any size. */
static double mpz_log(const mpz_t x)
{
	long e;
	double d = mpz_get_d_2exp(&e, x);
	return log(d) + (double)e * log(2.0);
}

/* ---- driver ---- */

void siqs_params_init(struct siqs_params *params)
{
	params->seed = 1;       /* fixed seed: runs repeat */
	params->deadline = 0.0; /* no time limit */
	params->stop = NULL;    /* no stop hook */
	params->stop_arg = NULL;
	params->stats = NULL; /* no statistics */
	params->fb_size = 0;  /* tuning overrides: all from the table */
	params->lp_mult = 0;
	params->blocks = 0;
	params->fudge = 0;
	params->q_max = 0;
	params->small_prime = 0;
	params->dlp = 0;            /* double large primes as the table says */
	params->scalar = 0;         /* vector paths where the CPU has them */
	params->check_sieve = 0;    /* no reference sieve */
	params->check_rels = 0;     /* no relation check */
	params->export_rels = NULL; /* not a helper */
	params->export_arg = NULL;
	params->helper = 0;         /* the owner's stream of A's */
	params->import_rels = NULL; /* nothing to import */
	params->import_arg = NULL;
}

static void siqs_clear(struct siqs *S)
{
	unsigned l;
	mpz_clear(S->fb.n);
	mpz_clear(S->fb.kn);
	mpz_clear(S->poly.A);
	mpz_clear(S->poly.B);
	mpz_clear(S->poly.C);
	mpz_clear(S->sv.q);
	mpz_clear(S->poly.t);
	mpz_clear(S->sv.y);
	for (l = 0; l < SIQS_MAX_S; l++)
		mpz_clear(S->poly.bl[l]);
	free(S->fb.prime);
	free(S->fb.sqrtkn);
	free(S->poly.ainv);
	free(S->poly.root1);
	free(S->poly.root2);
	free(S->poly.bainv);
	free(S->fb.logp);
	free(S->fb.pinv);
	free(S->fb.bred);
	free(S->fb.inv128);
	free(S->fb.pf);
	free(S->fb.pinvf);
	free(S->fb.p16);
	free(S->sv.next1);
	free(S->sv.next2);
	free(S->sv.hits);
	free(S->sv.hitsb);
	free(S->sv.cand);
	if (S->sv.bucket)
		for (l = 0; l < S->fb.nblocks; l++)
			free(S->sv.bucket[l]);
	free(S->sv.bucket);
	free(S->sv.bucket_n);
	free(S->sv.lhit_pos);
	free(S->sv.lhit_idx);
	free(S->poly.in_a);
	free(S->sv.sieve);
	free(S->sv.ref);
	free(S->poly.seen_a);
	free(S->out.buf);
	siqs_rels_clear(&S->rels);
}

/* The state before set-up: GMP variables, the seed, the CPU's paths. */
static void siqs_start(struct siqs *S, const mpz_t n,
		       const struct siqs_params *params)
{
	uint32_t j;
	unsigned l;

	memset(S, 0, sizeof *S);
	mpz_init_set(S->fb.n, n);
	mpz_init(S->fb.kn);
	mpz_init(S->poly.A);
	mpz_init(S->poly.B);
	mpz_init(S->poly.C);
	mpz_init(S->sv.q);
	S->rels.check = params->check_rels != 0;
	S->rels.dedup = params->import_rels != NULL;
	mpz_init(S->poly.t);
	mpz_init(S->sv.y);
	for (l = 0; l < SIQS_MAX_S; l++)
		mpz_init(S->poly.bl[l]);
	/* a helper's A's: its own stream, distinct per helper id */
	S->poly.rng = params->seed ^ 0x5851f42d4c957f2dULL ^
		((uint64_t)params->helper * 0x9e3779b97f4a7c15ULL);
	S->fb.sse2 = params->scalar != 1;
#if SIQS_AVX2
	S->fb.avx2 = params->scalar != 1 && __builtin_cpu_supports("avx2") != 0;
	S->fb.fma = S->fb.avx2 && __builtin_cpu_supports("fma") != 0;
	S->fb.avx512 = S->fb.avx2 && params->scalar == 0 &&
		__builtin_cpu_supports("avx512bw") &&
		__builtin_cpu_supports("avx512vl") &&
		__builtin_cpu_supports("avx512vbmi2");
#endif
	/* the set bits of j: the lowest, then those of j without it */
	for (j = 1; j < 256; j++) {
		uint32_t rest = j & (j - 1);
		S->fb.hitlut[j][0] = (uint8_t)__builtin_ctz(j);
		memcpy(S->fb.hitlut[j] + 1, S->fb.hitlut[rest], 7);
		S->fb.hitcnt[j] = (uint8_t)(S->fb.hitcnt[rest] + 1);
	}
}

/*
 * Steps 1-3: the table's parameters (params' overrides first), then the
 * multiplier and factor base.  Returns siqs_build_fb's status; *lpm and
 * *blk are the large prime multiplier and the blocks for siqs_geometry.
 */
static int siqs_setup_fb(struct siqs *S, mpz_t f, size_t bits,
			 const struct siqs_params *params, double *lpm,
			 double *blk, double *dlp)
{
	double fbd, fudge;
	struct siqs_row row;

	siqs_interp_params(bits, &row);
	fbd = row.fb;
	*lpm = row.lp_mult;
	*blk = row.blocks;
	fudge = row.fudge;
	*dlp = params->dlp > 0                                ? params->dlp
		: params->dlp < 0 || bits < SIQS_DLP_MIN_BITS ? 0
							      : row.dlp;
	if (*dlp > 0)
		fudge = row.dlp_fudge;
	if (params->fb_size)
		fbd = params->fb_size;
	if (fbd > SIQS_MAX_FB)
		fbd = SIQS_MAX_FB;
	if (params->lp_mult > 0)
		*lpm = params->lp_mult;
	if (params->blocks)
		*blk = params->blocks;
	S->fb.fudge = params->fudge > 0 ? params->fudge : fudge;
	S->fb.q_max = params->q_max > 0 ? params->q_max : SIQS_Q_MAX;
	S->fb.small_prime = params->small_prime ? params->small_prime
						: SIQS_SMALL_PRIME;
	return siqs_build_fb(S, f, (uint32_t)fbd);
}

/*
 * The interval, the large prime bound, the threshold and the scaled
 * logarithms (step 5's T), then the shape of A.
 */
static int siqs_geometry(struct siqs *S, double lpm, double blk, double dlp)
{
	double log2q, thr, scale, lb, pmax;
	unsigned long km;
	uint32_t j;

	if (blk > SIQS_MAX_BLOCKS)
		blk = SIQS_MAX_BLOCKS;
	if (blk < 0.25)
		blk = 0.25;
	/* whole blocks, or below one block a multiple of 4 KiB */
	S->fb.len = blk < 1 ? (uint32_t)(blk * 8 + 0.5) * (SIQS_BLOCK / 8)
			    : (uint32_t)(blk + 0.5) * SIQS_BLOCK;
	S->fb.M = S->fb.len / 2;
	/* root_hits16_batch_avx2: positions and root-checked primes below 2^15 */
	S->fb.r16 = S->fb.avx2 && S->fb.len <= (1u << 15) &&
		SIQS_BUCKET_MIN <= (1u << 15);
	pmax = S->fb.prime[S->fb.fb_n - 1];
	lb = lpm * pmax;
	S->fb.lp_bound = lb > 4e9 ? 4000000000u : (uint32_t)lb;
	S->fb.pmax2 = (uint64_t)(pmax * pmax);
	if (dlp > 1) {
		double dm = pow((double)S->fb.lp_bound, dlp > 2 ? 2 : dlp);
		S->fb.dlp_max = dm >= (double)SIQS_DLP_MAX ? SIQS_DLP_MAX
							   : (uint64_t)dm;
	}
	S->fb.log_a_target = 0.5 * (mpz_log(S->fb.kn) + log(2.0)) -
		log((double)S->fb.M);
	log2q = log2((double)S->fb.M) +
		0.5 * (mpz_log(S->fb.kn) / log(2.0) - 1.0);
	/* the largest cofactor kept: the large prime bound, or the DLP cutoff */
	thr = log2q -
		(S->fb.dlp_max ? log2((double)S->fb.dlp_max)
			       : log2((double)S->fb.lp_bound)) -
		S->fb.fudge;
	scale = thr > 100 ? 100 / thr : 1.0;
	S->fb.init_byte = (uint8_t)(128 - (int)(thr * scale + 0.5));
	for (j = 2; j < S->fb.fb_n; j++)
		S->fb.logp[j] =
			(uint8_t)(log2((double)S->fb.prime[j]) * scale + 0.5);
	/* A x + B odd: 2^3 | (Ax+B)^2 - kN, 2^4 on average, when kN = 1 mod
	   8; exactly 2^2 when 5 mod 8, 2 when 3 mod 4; A x + B even: Q(x)
	   odd */
	km = mpz_fdiv_ui(S->fb.kn, 8);
	S->fb.two_lg = (uint8_t)((km == 1           ? 4.0
					  : km == 5 ? 2.0
						    : 1.0) *
					 scale +
				 0.5);
	return siqs_choose_a_shape(S);
}

/* The per-A table 2 B_l A^-1, the sieve, its buckets and hit lists. */
static int siqs_alloc_sieve(struct siqs *S, const struct siqs_params *params)
{
	size_t nhit;
	uint32_t j;

	S->poly.bainv =
		malloc((size_t)S->fb.s * S->fb.fb_n * sizeof *S->poly.bainv);
	/* sv[len]: sieve_one_block's spare byte */
	S->sv.sieve = calloc((size_t)S->fb.len + 8, 1);
	if (params->check_sieve && !(S->sv.ref = malloc(S->fb.len)))
		return STATUS_ERR_NOMEM;
	S->fb.nblocks = (S->fb.len + SIQS_BLOCK - 1) / SIQS_BLOCK;
	siqs_set_sieve_classes(S);
	S->sv.bucket = calloc(S->fb.nblocks, sizeof *S->sv.bucket);
	S->sv.bucket_n = calloc(S->fb.nblocks, sizeof *S->sv.bucket_n);
	if (!S->poly.bainv || !S->sv.sieve || !S->sv.bucket || !S->sv.bucket_n)
		return STATUS_ERR_NOMEM;
	/* a bucket-sieved prime p hits a block at most BLOCK / p + 1 times per root */
	for (j = S->fb.med_end; j < S->fb.fb_n; j++)
		S->fb.bucket_cap += 2 *
			((size_t)SIQS_BLOCK / S->fb.prime[j] + 1);
	nhit = (size_t)S->fb.nblocks * S->fb.bucket_cap + 1;
	S->sv.lhit_pos = malloc(nhit * sizeof *S->sv.lhit_pos);
	S->sv.lhit_idx = malloc(nhit * sizeof *S->sv.lhit_idx);
	if (!S->sv.lhit_pos || !S->sv.lhit_idx)
		return STATUS_ERR_NOMEM;
	for (j = 0; j < S->fb.nblocks; j++) {
		S->sv.bucket[j] =
			malloc((S->fb.bucket_cap + 1) * sizeof **S->sv.bucket);
		if (!S->sv.bucket[j])
			return STATUS_ERR_NOMEM;
	}
	return STATUS_OK;
}

/*
 * The shared sieve after each polynomial: a helper packs its new
 * relations (and sends them at the end of an A, or past the batch
 * size) and empties its store; an owner takes every batch waiting.
 */
static int siqs_share(struct siqs *S, const struct siqs_params *params,
		      int end_of_a)
{
	const unsigned char *batch;
	size_t len;
	int status = STATUS_OK;

	if (params->export_rels) {
		status = siqs_wire_pack(S, 0, end_of_a, params->export_rels,
					params->export_arg);
		siqs_rels_reset(&S->rels);
		return status;
	}
	if (!params->import_rels)
		return STATUS_OK;
	while (status == STATUS_OK &&
	       params->import_rels(params->import_arg, &batch, &len))
		status = siqs_wire_import(S, batch, len);
	return status;
}

/* STATUS_ERR_STOPPED / STATUS_ERR_TIMEOUT when the run must end. */
static int siqs_poll(const struct siqs_params *params)
{
	if (params->stop && params->stop(params->stop_arg))
		return STATUS_ERR_STOPPED;
	if (params->deadline > 0 && engine_now() >= params->deadline)
		return STATUS_ERR_TIMEOUT;
	return STATUS_OK;
}

/*
 * Steps 4-6 for one new A: its polynomials in Gray-code order, each
 * sieved and its candidates trial-divided, until want relations (the
 * rest of the A's polynomials are not needed then).  STATUS_OK also when
 * the A is unusable (C not integral): the caller draws the next.
 */
static int siqs_sieve_a(struct siqs *S, const struct siqs_params *params,
			size_t want)
{
	uint32_t i, npoly = 1u << (S->fb.s - 1);
	int status = siqs_pick_a(S);

	if (status != STATUS_OK)
		return status;
	if (siqs_init_a(S) != STATUS_OK)
		return STATUS_OK;
	for (i = 0; i < npoly; i++) {
		if (i > 0)
			siqs_next_b(S, i);
		S->rels.polys++;
		siqs_sieve_poly(S);
		status = siqs_tdiv_poly(S);
		if (status == STATUS_OK)
			status = siqs_share(S, params, i + 1 == npoly);
		if (status == STATUS_OK)
			status = siqs_poll(params);
		if (status != STATUS_OK)
			return status;
		if (S->rels.nfull + S->rels.ncycle >= want)
			break;
	}
	return STATUS_OK;
}

/* What the run did, for params->stats. */
static void siqs_fill_stats(struct siqs_stats *st, const struct siqs *S,
			    double t_start, double t_la)
{
	st->multiplier = S->fb.k;
	st->fb_size = S->fb.fb_n;
	st->s = S->fb.s;
	st->sieve_len = S->fb.len;
	st->lp_bound = S->fb.lp_bound;
	st->polys = S->rels.polys;
	st->candidates = S->rels.candidates;
	st->fulls = S->rels.nfull;
	st->partials = S->rels.nrel - S->rels.nfull;
	st->double_partials = S->rels.ndouble;
	st->cycles = S->rels.ncycle;
	st->sieve_mismatches = S->sv.sieve_bad;
	st->rel_mismatches = S->rels.bad;
	st->exported = S->rels.exported;
	st->imported = S->rels.imported;
	st->import_rejected = S->rels.rejected;
	st->import_dups = S->rels.dups;
	st->t_linalg = t_la;
	st->t_sieve = engine_now() - t_start - t_la;
}

/*
 * STATUS_OK when n is for the sieve; else what siqs_factor returns: a
 * refusal, the deadline, or a perfect power's root in f (every square
 * root of 1 mod p^k is +-1, so all dependencies would be trivial).
 */
static int siqs_check_input(mpz_t f, const mpz_t n,
			    const struct siqs_params *params)
{
	size_t bits;
	unsigned long k;

	if (mpz_sgn(n) <= 0 || mpz_even_p(n))
		return STATUS_ERR_INVAL;
	bits = mpz_sizeinbase(n, 2);
	if (bits < SIQS_MIN_BITS || bits > SIQS_MAX_BITS)
		return STATUS_ERR_INVAL;
	if (params->deadline > 0 && engine_now() >= params->deadline)
		return STATUS_ERR_TIMEOUT;
	if (mpz_perfect_power_p(n))
		for (k = 2; k < bits; k++)
			if (mpz_root(f, n, k))
				return STATUS_FOUND;
	return STATUS_OK;
}

int siqs_factor(mpz_t f, const mpz_t n, const struct siqs_params *params)
{
	struct siqs_params defaults;
	struct siqs S;
	size_t want;
	int retries = 0, status;
	double lpm, blk, dlp, t_start, t_la = 0;

	if (!params) {
		siqs_params_init(&defaults);
		params = &defaults;
	}
	status = siqs_check_input(f, n, params);
	if (status != STATUS_OK)
		return status;
	t_start = engine_now();
	siqs_start(&S, n, params);
	/* steps 1-3: parameters, multiplier, factor base; the sieve's shape */
	status = siqs_setup_fb(&S, f, mpz_sizeinbase(n, 2), params, &lpm, &blk,
			       &dlp);
	if (status == STATUS_OK)
		status = siqs_geometry(&S, lpm, blk, dlp);
	if (status == STATUS_OK)
		status = siqs_alloc_sieve(&S, params);
	/* a helper never reaches step 7 */
	want = params->export_rels ? SIZE_MAX : (size_t)S.fb.fb_n + SIQS_EXTRA;
	while (status == STATUS_OK) {
		/* steps 4-6: one A's polynomials, sieve, trial division */
		status = siqs_sieve_a(&S, params, want);
		if (status != STATUS_OK || S.rels.nfull + S.rels.ncycle < want)
			continue;
		/* step 7: linear algebra and square root */
		t_la = engine_now();
		status = siqs_try_deps(&S, f);
		t_la = engine_now() - t_la;
		if (status != STATUS_NOT_FOUND)
			break;
		/* all trivial: gather some more and retry, a few times */
		if (++retries > SIQS_MAX_RETRIES)
			break;
		want = S.rels.nfull + S.rels.ncycle + SIQS_EXTRA;
		status = STATUS_OK;
	}
	if (params->stats)
		siqs_fill_stats(params->stats, &S, t_start, t_la);
	siqs_clear(&S);
	return status;
}
