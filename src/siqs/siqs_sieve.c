/*
 * siqs_sieve.c - the SIQS sieve core: one polynomial's sieve array.
 *
 * Purpose: step 5 of src/siqs/siqs.c's outline.  siqs_sieve_poly fills the
 * sieve array of the current polynomial and collects its candidates
 * (through siqs_scan_block and siqs_keep_bucket_hits of siqs_tdiv.c,
 * block by block while each block is in L1).
 *
 * Algorithm: 8-bit scaled logarithms added at both roots of every prime
 * from sieve_start.  Primes at or above SIQS_BUCKET_MIN (half a block)
 * first go to one bucket per block (Wambach and Wettig's bucket sieve,
 * as msieve and yafu do), added when the block is sieved; smaller primes
 * block by block, two roots per step, four steps unrolled.  With one
 * block (96 to 128 bits) straight from the roots: primes with under
 * SIQS_CLS_Q hits per root by runs of equal len / p, a fixed count of
 * adds and the last one a select into the spare byte sv[len], so no loop
 * exit depends on a root.  The hot loops (sieve_steps4, sieve_prime,
 * sieve_prime_nt, sieve_one_block) stay in this one file so they inline.
 *
 * Invariants: the sieve starts from S->poly.init_pat (128 - threshold, plus
 * 2's share at odd A x + B); byte adds wrap the same in any order, so
 * every path equals the plain reference sieve (sieve_check, run when
 * params->check_sieve is set; test_siqs sieve-matches-reference).
 */
#include <stdlib.h>
#include <string.h>

#include "siqs.h"
#include "siqs_int.h"
#include "status.h"

/*
 * Primes at or above SIQS_BUCKET_MIN hit a block at most twice per root:
 * their hits go to one bucket per block, (FB index << 15 | offset), to be
 * added while that block is in L1 and read back by trial division.
 */
static void sieve_large(struct siqs *S)
{
	uint32_t len = S->fb.len, j, b;
	uint32_t *wp[SIQS_MAX_BLOCKS]; /* write pointers: one load per hit */

	for (b = 0; b < S->fb.nblocks; b++)
		wp[b] = S->sv.bucket[b];
	for (j = S->fb.med_end; j < S->fb.fb_n; j++) {
		uint32_t p = S->fb.prime[j], r, tag = j << SIQS_BLOCK_BITS;
		if (S->poly.in_a[j])
			continue;
		for (r = S->poly.root1[j]; r < len; r += p)
			*wp[r >> SIQS_BLOCK_BITS]++ = tag |
				(r & (SIQS_BLOCK - 1));
		if (S->poly.root2[j] == S->poly.root1[j])
			continue;
		for (r = S->poly.root2[j]; r < len; r += p)
			*wp[r >> SIQS_BLOCK_BITS]++ = tag |
				(r & (SIQS_BLOCK - 1));
	}
	for (b = 0; b < S->fb.nblocks; b++)
		S->sv.bucket_n[b] = (uint32_t)(wp[b] - S->sv.bucket[b]);
}

/* Add block b's bucket of large-prime hits. */
static void apply_bucket(struct siqs *S, uint32_t b)
{
	uint8_t *sv = S->sv.sieve + (size_t)b * SIQS_BLOCK;
	const uint32_t *e = S->sv.bucket[b];
	uint32_t k, n = S->sv.bucket_n[b];
	for (k = 0; k < n; k++) {
		uint32_t off = e[k] & (SIQS_BLOCK - 1);
		sv[off] = (uint8_t)(sv[off] +
				    S->fb.logp[e[k] >> SIQS_BLOCK_BITS]);
	}
}

/*
 * Both roots per step, four steps unrolled (r1 <= r2 < r1 + p), adding lg1
 * at r1 and lg2 at r2 while r2 + 3p < e; the roots move past what was done.
 */
static inline void sieve_steps4(uint8_t *sv, uint32_t p, uint8_t lg1,
				uint8_t lg2, uint32_t *r1, uint32_t *r2,
				uint32_t e)
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
			       uint32_t r2, uint32_t e, uint32_t *n1,
			       uint32_t *n2)
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
	uint8_t *sv = S->sv.sieve;
	uint32_t j;

	for (j = S->fb.sieve_start; j < S->fb.med_end; j++) {
		if (S->sv.next1[j] == UINT32_MAX)
			continue;
		sieve_prime(sv, S->fb.prime[j], S->fb.logp[j], S->sv.next1[j],
			    S->sv.next2[j], e, &S->sv.next1[j],
			    &S->sv.next2[j]);
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
	uint8_t *sv = S->sv.sieve;
	uint32_t j, c, e = S->fb.len;

	for (j = S->fb.sieve_start; j < S->fb.cls_first; j++) {
		uint32_t r1 = S->poly.root1[j], r2 = S->poly.root2[j];
		if (S->poly.in_a[j])
			continue;
		sieve_prime_nt(sv, S->fb.prime[j], S->fb.logp[j],
			       r1 < r2 ? r1 : r2, r1 < r2 ? r2 : r1, e);
	}
	for (c = 0; c < S->fb.ncls; c++) {
		uint32_t q = S->fb.cls_q[c], end = S->fb.cls_end[c];
		/* two primes of the run at once: four independent walks */
		for (; j + 1 < end && !(S->poly.in_a[j] | S->poly.in_a[j + 1]);
		     j += 2) {
			uint32_t p = S->fb.prime[j], r1 = S->poly.root1[j],
				 r2 = S->poly.root2[j];
			uint32_t pb = S->fb.prime[j + 1],
				 r3 = S->poly.root1[j + 1];
			uint32_t r4 = S->poly.root2[j + 1], i;
			uint8_t lg = S->fb.logp[j], lg2 = r1 == r2 ? 0 : lg;
			uint8_t lb = S->fb.logp[j + 1], lb2 = r3 == r4 ? 0 : lb;
			uint8_t *a1 = sv + r1, *a2 = sv + r2, *a3 = sv + r3,
				*a4 = sv + r4;
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
			uint32_t p = S->fb.prime[j], r1 = S->poly.root1[j],
				 r2 = S->poly.root2[j], i;
			uint8_t lg = S->fb.logp[j], lg2 = r1 == r2 ? 0 : lg;
			uint8_t *a1 = sv + r1, *a2 = sv + r2;
			if (S->poly.in_a[j])
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
void siqs_set_sieve_classes(struct siqs *S)
{
	uint32_t j = S->fb.sieve_start;

	while (j < S->fb.med_end && S->fb.len / S->fb.prime[j] >= SIQS_CLS_Q)
		j++;
	S->fb.cls_first = j;
	S->fb.ncls = 0;
	while (j < S->fb.med_end) {
		uint32_t q = S->fb.len / S->fb.prime[j];
		while (j < S->fb.med_end && S->fb.len / S->fb.prime[j] == q)
			j++;
		S->fb.cls_q[S->fb.ncls] = q;
		S->fb.cls_end[S->fb.ncls++] = j;
	}
}

#if SIQS_AVX2
/* next1 = min(root1, root2), next2 = max, eight primes per step from j. */
__attribute__((target("avx2"))) static uint32_t order_roots_avx2(struct siqs *S,
								 uint32_t j)
{
	for (; j + 8 <= S->fb.med_end; j += 8) {
		__m256i r1 = _mm256_loadu_si256(
			(const __m256i *)(const void *)(S->poly.root1 + j));
		__m256i r2 = _mm256_loadu_si256(
			(const __m256i *)(const void *)(S->poly.root2 + j));
		_mm256_storeu_si256((__m256i *)(void *)(S->sv.next1 + j),
				    _mm256_min_epu32(r1, r2));
		_mm256_storeu_si256((__m256i *)(void *)(S->sv.next2 + j),
				    _mm256_max_epu32(r1, r2));
	}
	return j;
}
#endif

/* Every block in turn: small primes from next1/next2, the scan, the bucket hits. */
static void sieve_blocks(struct siqs *S)
{
	uint32_t j, b;
	unsigned l;

	j = S->fb.sieve_start;
#if SIQS_AVX2
	if (S->fb.avx2)
		j = order_roots_avx2(S, j);
#endif
	for (; j < S->fb.med_end; j++) {
		uint32_t r1 = S->poly.root1[j], r2 = S->poly.root2[j];
		S->sv.next1[j] = r1 < r2 ? r1 : r2;
		S->sv.next2[j] = r1 < r2 ? r2 : r1;
	}
	for (l = 0; l < S->fb.s; l++) /* the primes of A are not sieved */
		if (S->poly.qidx[l] >= S->fb.sieve_start &&
		    S->poly.qidx[l] < S->fb.med_end)
			S->sv.next1[S->poly.qidx[l]] =
				S->sv.next2[S->poly.qidx[l]] = UINT32_MAX;
	for (b = 0; b < S->fb.nblocks; b++) {
		uint32_t before = S->sv.ncand;
		uint32_t e = b + 1 < S->fb.nblocks ? (b + 1) * SIQS_BLOCK
						   : S->fb.len;
		apply_bucket(S, b);
		sieve_block(S, e);
		siqs_scan_block(S, b * SIQS_BLOCK, e);
		if (S->sv.ncand > before)
			siqs_keep_bucket_hits(S, b, before, S->sv.ncand);
	}
}

/*
 * params->check_sieve: the sieve recomputed the plain way (the starting
 * pattern, then every prime from sieve_start, one root at a time over the
 * whole interval) and compared byte for byte with S->sv.sieve.  Byte adds
 * wrap the same in any order, so every sieving path (blocks, buckets,
 * runs, selects, pairs) must agree with it exactly.
 */
static void sieve_check(struct siqs *S)
{
	uint32_t i, j, r;
	for (i = 0; i < S->fb.len; i++)
		S->sv.ref[i] = S->poly.init_pat[i % sizeof S->poly.init_pat];
	for (j = S->fb.sieve_start; j < S->fb.fb_n; j++) {
		uint32_t p = S->fb.prime[j];
		uint8_t lg = S->fb.logp[j];
		if (S->poly.in_a[j])
			continue;
		for (r = S->poly.root1[j]; r < S->fb.len; r += p)
			S->sv.ref[r] = (uint8_t)(S->sv.ref[r] + lg);
		if (S->poly.root2[j] != S->poly.root1[j])
			for (r = S->poly.root2[j]; r < S->fb.len; r += p)
				S->sv.ref[r] = (uint8_t)(S->sv.ref[r] + lg);
	}
	for (i = 0; i < S->fb.len; i++)
		S->sv.sieve_bad += S->sv.ref[i] != S->sv.sieve[i];
}

/*
 * One polynomial: large primes over the whole interval first (few hits,
 * each a cache miss), then block by block the smaller primes and the scan
 * while the block is in L1 (one block: straight from the roots).  The
 * candidates end in S->sv.cand[0 .. ncand - 1], their bucket hits in
 * lhit_pos / lhit_idx.
 */
void siqs_sieve_poly(struct siqs *S)
{
	uint32_t j;

	for (j = 0; j < S->fb.len; j += sizeof S->poly.init_pat)
		memcpy(S->sv.sieve + j, S->poly.init_pat,
		       sizeof S->poly.init_pat);
	sieve_large(S);
	S->sv.ncand = 0;
	S->sv.nlhit = 0;
	if (S->fb.nblocks == 1) {
		apply_bucket(S, 0);
		sieve_one_block(S);
		siqs_scan_block(S, 0, S->fb.len);
		if (S->sv.ncand)
			siqs_keep_bucket_hits(S, 0, 0, S->sv.ncand);
	} else {
		sieve_blocks(S);
	}
	if (S->sv.ref)
		sieve_check(S);
}
