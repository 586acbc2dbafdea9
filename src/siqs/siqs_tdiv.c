/*
 * siqs_tdiv.c - SIQS candidates: scan, root checks, trial division.
 *
 * Purpose: step 6 of src/siqs/siqs.c's outline.  siqs_scan_block lists the
 * sieve bytes with the top bit set; siqs_keep_bucket_hits keeps the
 * bucket entries that land on them; siqs_tdiv_poly trial-divides every
 * candidate of the polynomial and stores its relation (siqs_rel.c).
 *
 * Algorithm: a prime below med_end divides Q(x) exactly when i mod p is
 * one of its roots: sixteen primes per AVX2 step in 16-bit words for
 * eight candidates at once (i < 2^15; thirty-two with AVX-512), else
 * eight in single precision (q = rint(i fl(1/p)) exact for i < 2^20),
 * four with SSE2, and a multiply-shift by floor(2^40/p) + 1 in scalar
 * code.  The larger primes come from the bucket hits.  When every |Q(x)|
 * < 2^126 the division is in 128-bit words: p | u exactly when u p^-1
 * mod 2^128 is at most (2^128 - 1)/p (Granlund and Montgomery, PLDI
 * 1994); else GMP.  The cofactor must be 1 (full relation), a prime
 * below lp_bound (partial), or with the double large prime variation
 * (dlp_max != 0) a composite c < dlp_max with both primes below lp_bound
 * (Lenstra and Manasse, "Factoring with two large primes", 1994): c below
 * the square of the largest FB prime is prime (its factors all exceed
 * that prime); else a base-2 Fermat test rejects the primes, and
 * Pollard's rho with Brent's cycle finding (Brent, "An improved Monte
 * Carlo factorization algorithm", BIT 20, 1980) in 64-bit Montgomery
 * arithmetic splits the rest, giving up after about SIQS_RHO_STEPS steps
 * (msieve's and yafu's sieves split their cofactors the same way, with
 * SQUFOF or tiny ECM in place of rho).
 *
 * Invariants: every path lists the same primes in the same order, so the
 * relations do not depend on the CPU (params->scalar; test_siqs
 * vector-paths-equal-scalar).  Hit lists have room for the vector stores'
 * overrun (see siqs_build_fb's allocations).
 */
#include <string.h>

#include "siqs.h"
#include "siqs_int.h"
#include "status.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#if SIQS_AVX2
/* scan_block's test 128 bytes at a time (e - b is a multiple of 4 KiB). */
__attribute__((target("avx2"))) static void
scan_block_avx2(struct siqs *S, uint32_t b, uint32_t e)
{
	uint32_t i, h;
	for (i = b; i < e; i += 128) {
		const __m256i *v =
			(const __m256i *)(const void *)(S->sv.sieve + i);
		__m256i v0 = _mm256_loadu_si256(v),
			v1 = _mm256_loadu_si256(v + 1);
		__m256i v2 = _mm256_loadu_si256(v + 2),
			v3 = _mm256_loadu_si256(v + 3);
		if (!_mm256_movemask_epi8(_mm256_or_si256(
			    _mm256_or_si256(v0, v1), _mm256_or_si256(v2, v3))))
			continue;
		for (h = 0; h < 2; h++) {
			uint64_t bits =
				(uint64_t)(uint32_t)_mm256_movemask_epi8(
					h ? v2 : v0) |
				(uint64_t)(uint32_t)_mm256_movemask_epi8(h ? v3
									   : v1)
					<< 32;
			while (bits && S->sv.ncand < SIQS_MAX_CAND) {
				S->sv.cand[S->sv.ncand++] = i + 64 * h +
					(uint32_t)__builtin_ctzll(bits);
				bits &= bits - 1;
			}
		}
	}
}
#endif

/* Collect the candidates of [b, e): bytes with the top bit set. */
void siqs_scan_block(struct siqs *S, uint32_t b, uint32_t e)
{
	uint32_t i;
	const uint64_t mask = 0x8080808080808080ULL;
#if SIQS_AVX2
	if (S->fb.avx2) {
		scan_block_avx2(S, b, e);
		return;
	}
#endif
#if defined(__SSE2__)
	/* 64 bytes per test: the top bits by movemask (e - b is a multiple of 4 KiB) */
	for (i = b; S->fb.sse2 && i < e; i += 64) {
		const __m128i *v =
			(const __m128i *)(const void *)(S->sv.sieve + i);
		__m128i v0 = _mm_loadu_si128(v), v1 = _mm_loadu_si128(v + 1);
		__m128i v2 = _mm_loadu_si128(v + 2),
			v3 = _mm_loadu_si128(v + 3);
		uint64_t bits;
		if (!_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(v0, v1),
						    _mm_or_si128(v2, v3))))
			continue;
		bits = (uint64_t)(uint32_t)_mm_movemask_epi8(v0) |
			(uint64_t)(uint32_t)_mm_movemask_epi8(v1) << 16 |
			(uint64_t)(uint32_t)_mm_movemask_epi8(v2) << 32 |
			(uint64_t)(uint32_t)_mm_movemask_epi8(v3) << 48;
		while (bits && S->sv.ncand < SIQS_MAX_CAND) {
			S->sv.cand[S->sv.ncand++] = i +
				(uint32_t)__builtin_ctzll(bits);
			bits &= bits - 1;
		}
	}
	if (S->fb.sse2)
		return;
#endif
	for (i = b; i < e; i += 32) {
		uint64_t v[4];
		unsigned bi;
		memcpy(v, S->sv.sieve + i, 32);
		if (!((v[0] | v[1] | v[2] | v[3]) & mask))
			continue;
		for (bi = 0; bi < 32; bi++)
			if (S->sv.sieve[i + bi] & 0x80 &&
			    S->sv.ncand < SIQS_MAX_CAND)
				S->sv.cand[S->sv.ncand++] = i + bi;
	}
}

#if SIQS_AVX2
/*
 * keep_bucket_hits for a block with few candidates (c0 .. c1 - 1 in
 * S->sv.cand, at most 8): eight entries per step compared with each
 * candidate's offset, instead of a sieve byte load per entry.
 */
__attribute__((target("avx2"))) static void
keep_bucket_hits_avx2(struct siqs *S, uint32_t b, uint32_t c0, uint32_t c1)
{
	const uint32_t *e = S->sv.bucket[b];
	uint32_t k = 0, n = S->sv.bucket_n[b], c, nc = c1 - c0;
	const __m256i lowmask = _mm256_set1_epi32(SIQS_BLOCK - 1);
	__m256i co[8];
	for (c = 0; c < nc; c++)
		co[c] = _mm256_set1_epi32(
			(int)(S->sv.cand[c0 + c] & (SIQS_BLOCK - 1)));
	for (; k + 8 <= n; k += 8) {
		__m256i v = _mm256_and_si256(
			_mm256_loadu_si256(
				(const __m256i *)(const void *)(e + k)),
			lowmask);
		__m256i m = _mm256_cmpeq_epi32(v, co[0]);
		unsigned bits;
		for (c = 1; c < nc; c++)
			m = _mm256_or_si256(m, _mm256_cmpeq_epi32(v, co[c]));
		bits = (unsigned)_mm256_movemask_ps(_mm256_castsi256_ps(m));
		while (bits) {
			uint32_t x = e[k + (uint32_t)__builtin_ctz(bits)];
			S->sv.lhit_pos[S->sv.nlhit] = b * SIQS_BLOCK +
				(x & (SIQS_BLOCK - 1));
			S->sv.lhit_idx[S->sv.nlhit++] = x >> SIQS_BLOCK_BITS;
			bits &= bits - 1;
		}
	}
	for (; k < n; k++) {
		uint32_t off = e[k] & (SIQS_BLOCK - 1);
		for (c = 0; c < nc; c++)
			if (off == (S->sv.cand[c0 + c] & (SIQS_BLOCK - 1)))
				break;
		if (c == nc)
			continue;
		S->sv.lhit_pos[S->sv.nlhit] = b * SIQS_BLOCK + off;
		S->sv.lhit_idx[S->sv.nlhit++] = e[k] >> SIQS_BLOCK_BITS;
	}
}
#endif

/*
 * Keep the bucket entries of block b that land on a candidate (the
 * candidates of the block are S->sv.cand[c0 .. c1 - 1]).
 */
void siqs_keep_bucket_hits(struct siqs *S, uint32_t b, uint32_t c0, uint32_t c1)
{
	const uint8_t *sv = S->sv.sieve + (size_t)b * SIQS_BLOCK;
	const uint32_t *e = S->sv.bucket[b];
	uint32_t k, n = S->sv.bucket_n[b];
#if SIQS_AVX2
	if (S->fb.avx2 && c1 - c0 <= 8) {
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
		S->sv.lhit_pos[S->sv.nlhit] = b * SIQS_BLOCK + off;
		S->sv.lhit_idx[S->sv.nlhit++] = e[k] >> SIQS_BLOCK_BITS;
	}
}

#if SIQS_AVX2
/* The root check of find_hits for primes j0 .. med_end, eight at a time. */
__attribute__((target("avx2"))) static uint32_t
root_hits_avx2(const struct siqs *S, uint32_t i, uint32_t *j0, uint32_t nh)
{
	uint32_t *hits = S->sv.hits, j = *j0;
	const __m256 fi = _mm256_set1_ps((float)i), zero = _mm256_setzero_ps();
	for (; j + 8 <= S->fb.med_end; j += 8) {
		__m256 p = _mm256_loadu_ps(S->fb.pf + j);
		__m256 q = _mm256_cvtepi32_ps(_mm256_cvtps_epi32(
			_mm256_mul_ps(fi, _mm256_loadu_ps(S->fb.pinvf + j))));
		__m256 r = _mm256_sub_ps(fi, _mm256_mul_ps(q, p));
		__m256i ri, m;
		unsigned bits;
		r = _mm256_add_ps(
			r,
			_mm256_and_ps(p, _mm256_cmp_ps(r, zero, _CMP_LT_OQ)));
		ri = _mm256_cvttps_epi32(r);
		m = _mm256_or_si256(
			_mm256_cmpeq_epi32(
				ri,
				_mm256_loadu_si256((
					const __m256i
						*)(const void *)(S->poly.root1 +
								 j))),
			_mm256_cmpeq_epi32(
				ri,
				_mm256_loadu_si256((
					const __m256i
						*)(const void *)(S->poly.root2 +
								 j))));
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
						 (const __m128i *)(const void *)
							 S->fb.hitlut[bits]))));
		nh += S->fb.hitcnt[bits];
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
	uint32_t nh[8], j = 2, end = S->fb.med_end;
	__m256i fi[8];
	unsigned k;
	for (k = 0; k < nc; k++) {
		fi[k] = _mm256_set1_epi16((short)pos[k]);
		nh[k] = 0;
	}
	for (; j < end && end >= 16; j += 16) {
		__m256i valid = _mm256_set1_epi16(-1), p, inv, lim, ra, rb;
		if (j + 16 >
		    end) { /* the last step ends at end, lanes below j off */
			valid = _mm256_loadu_si256(
				(const __m256i *)(const void *)(tail + 16 -
								(j -
								 (end - 16))));
			j = end - 16;
		}
		p = _mm256_loadu_si256(
			(const __m256i *)(const void *)(S->fb.p16 + j));
		inv = _mm256_loadu_si256(
			(const __m256i *)(const void *)(S->fb.inv16 + j));
		lim = _mm256_loadu_si256(
			(const __m256i *)(const void *)(S->fb.lim16 + j));
		ra = _mm256_loadu_si256(
			(const __m256i *)(const void *)(S->poly.ra16 + j));
		rb = _mm256_loadu_si256(
			(const __m256i *)(const void *)(S->poly.rb16 + j));
		for (k = 0; k < nc; k++) {
			uint32_t *hits = S->sv.hitsb + k * S->fb.hit_stride;
			__m256i t = _mm256_add_epi16(fi[k], p);
			__m256i m1 = _mm256_mullo_epi16(_mm256_sub_epi16(t, ra),
							inv);
			__m256i m2 = _mm256_mullo_epi16(_mm256_sub_epi16(t, rb),
							inv);
			__m256i m = _mm256_and_si256(
				valid,
				_mm256_or_si256(
					_mm256_cmpeq_epi16(
						_mm256_min_epu16(m1, lim), m1),
					_mm256_cmpeq_epi16(
						_mm256_min_epu16(m2, lim),
						m2)));
			unsigned bits = (unsigned)_mm256_movemask_epi8(
				_mm256_packs_epi16(m, _mm256_setzero_si256()));
			unsigned lo = bits & 0xff, hi = bits >> 16 & 0xff;
			_mm256_storeu_si256(
				(__m256i *)(void *)(hits + nh[k]),
				_mm256_add_epi32(
					_mm256_set1_epi32((int)j),
					_mm256_cvtepu8_epi32(_mm_loadl_epi64(
						(const __m128i *)(const void *)
							S->fb.hitlut[lo]))));
			nh[k] += S->fb.hitcnt[lo];
			_mm256_storeu_si256(
				(__m256i *)(void *)(hits + nh[k]),
				_mm256_add_epi32(
					_mm256_set1_epi32((int)j + 8),
					_mm256_cvtepu8_epi32(_mm_loadl_epi64(
						(const __m128i *)(const void *)
							S->fb.hitlut[hi]))));
			nh[k] += S->fb.hitcnt[hi];
		}
	}
	for (k = 0; k < nc; k++)
		S->sv.nhb[k] = nh[k];
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
	uint32_t nh[8], j, end = S->fb.med_end;
	__m512i fi[8];
	unsigned k;
	for (k = 0; k < nc; k++) {
		fi[k] = _mm512_set1_epi16((short)pos[k]);
		nh[k] = 0;
	}
	for (j = 2; j < end; j += 32) {
		__mmask32 valid = end - j >= 32
			? ~(__mmask32)0
			: (((__mmask32)1 << (end - j)) - 1);
		__m512i p = _mm512_maskz_loadu_epi16(valid, S->fb.p16 + j);
		__m512i inv = _mm512_maskz_loadu_epi16(valid, S->fb.inv16 + j);
		__m512i lim = _mm512_maskz_loadu_epi16(valid, S->fb.lim16 + j);
		__m512i ra = _mm512_maskz_loadu_epi16(valid, S->poly.ra16 + j);
		__m512i rb = _mm512_maskz_loadu_epi16(valid, S->poly.rb16 + j);
		__m512i base = _mm512_set1_epi32((int)j);
		for (k = 0; k < nc; k++) {
			uint32_t *hits = S->sv.hitsb + k * S->fb.hit_stride;
			__m512i t = _mm512_add_epi16(fi[k], p);
			__m512i m1 = _mm512_mullo_epi16(_mm512_sub_epi16(t, ra),
							inv);
			__m512i m2 = _mm512_mullo_epi16(_mm512_sub_epi16(t, rb),
							inv);
			__mmask32 m =
				_mm512_mask_cmple_epu16_mask(valid, m1, lim) |
				_mm512_mask_cmple_epu16_mask(valid, m2, lim);
			__m512i c = _mm512_maskz_compress_epi16(m, ln);
			unsigned cnt =
				(unsigned)__builtin_popcount((unsigned)m);
			_mm512_storeu_si512(
				hits + nh[k],
				_mm512_add_epi32(
					base,
					_mm512_cvtepu16_epi32(
						_mm512_castsi512_si256(c))));
			if (cnt > 16)
				_mm512_storeu_si512(
					hits + nh[k] + 16,
					_mm512_add_epi32(
						base,
						_mm512_cvtepu16_epi32(
							_mm512_extracti64x4_epi64(
								c, 1))));
			nh[k] += cnt;
		}
	}
	for (k = 0; k < nc; k++)
		S->sv.nhb[k] = nh[k];
}

/*
 * The roots as 16-bit words for root_hits16_batch_avx2 (r < p < 2^15), sixteen
 * per step from index 0 (the arrays have 16 entries of slack).
 */
__attribute__((target("avx2"))) static void set_roots16(struct siqs *S)
{
	uint32_t j;
	for (j = 0; j < S->fb.med_end; j += 16) {
		const __m256i *a =
			(const __m256i *)(const void *)(S->poly.root1 + j);
		const __m256i *b =
			(const __m256i *)(const void *)(S->poly.root2 + j);
		/* packus works per 128-bit lane: 0xd8 puts the quarters in order */
		_mm256_storeu_si256(
			(__m256i *)(void *)(S->poly.ra16 + j),
			_mm256_permute4x64_epi64(
				_mm256_packus_epi32(_mm256_loadu_si256(a),
						    _mm256_loadu_si256(a + 1)),
				0xd8));
		_mm256_storeu_si256(
			(__m256i *)(void *)(S->poly.rb16 + j),
			_mm256_permute4x64_epi64(
				_mm256_packus_epi32(_mm256_loadu_si256(b),
						    _mm256_loadu_si256(b + 1)),
				0xd8));
	}
}
#endif

/*
 * The FB indices j >= 2 whose prime divides Q(i - M), besides the primes
 * of A: below med_end, p | Q exactly when i mod p is a root (one
 * multiply-shift per prime, no division); above, the bucket hits kept for
 * the candidates.  Returns the count written to S->sv.hits.
 */
static uint32_t find_hits(const struct siqs *S, uint32_t i,
			  const uint32_t **out)
{
	uint32_t *hits = S->sv.hits, nh = 0, j = 2, h;
	if (S->sv.bhits) { /* root-checked already, with the other candidates */
		hits = S->sv.bhits;
		nh = S->sv.bnh;
		j = S->fb.med_end;
	}
#if SIQS_AVX2
	if (S->fb.avx2 && j + 8 <= S->fb.med_end)
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
	for (; S->fb.sse2 && j + 4 <= S->fb.med_end; j += 4) {
		__m128 p = _mm_loadu_ps(S->fb.pf + j);
		__m128 q = _mm_cvtepi32_ps(_mm_cvtps_epi32(
			_mm_mul_ps(fi, _mm_loadu_ps(S->fb.pinvf + j))));
		__m128 r = _mm_sub_ps(fi, _mm_mul_ps(q, p));
		__m128i ri, m;
		unsigned bits;
		r = _mm_add_ps(r, _mm_and_ps(p, _mm_cmplt_ps(r, zero)));
		ri = _mm_cvttps_epi32(r);
		m = _mm_or_si128(
			_mm_cmpeq_epi32(
				ri,
				_mm_loadu_si128((
					const __m128i
						*)(const void *)(S->poly.root1 +
								 j))),
			_mm_cmpeq_epi32(
				ri,
				_mm_loadu_si128((
					const __m128i
						*)(const void *)(S->poly.root2 +
								 j))));
		bits = (unsigned)_mm_movemask_ps(_mm_castsi128_ps(m));
		while (bits) {
			hits[nh++] = j + (uint32_t)__builtin_ctz(bits);
			bits &= bits - 1;
		}
	}
#endif
	for (; j < S->fb.med_end; j++) {
		uint32_t r = i -
			S->fb.prime[j] * (uint32_t)((i * S->fb.pinv[j]) >> 40);
		if ((r == S->poly.root1[j]) | (r == S->poly.root2[j]))
			hits[nh++] = j;
	}
	for (h = 0; h < S->sv.nlhit; h++)
		if (S->sv.lhit_pos[h] == i)
			hits[nh++] = S->sv.lhit_idx[h];
	*out = hits;
	return nh;
}

/* ---- double large prime cofactors: 64-bit Montgomery arithmetic ---- */

static_assert(GMP_LIMB_BITS == 64, "a cofactor below 2^64 is one limb");

/* -n^-1 mod 2^64 for odd n (Newton's iteration, 5 bits doubling). */
static uint64_t mont_ninv(uint64_t n)
{
	uint64_t x = n; /* n n = 1 mod 8: 3 bits */
	int k;
	for (k = 0; k < 5; k++)
		x *= 2 - n * x;
	return (uint64_t)0 - x;
}

/* a b / 2^64 mod n for a, b < n < 2^63 (SIQS_DLP_MAX): the sum fits 128 bits. */
static uint64_t mont_mul(uint64_t a, uint64_t b, uint64_t n, uint64_t ninv)
{
	siqs_u128 t = (siqs_u128)a * b;
	uint64_t m = (uint64_t)t * ninv;
	uint64_t r = (uint64_t)((t + (siqs_u128)m * n) >> 64);
	return r >= n ? r - n : r;
}

/*
 * 1 when n passes the base-2 Fermat test 2^(n-1) = 1 mod n (every prime
 * does; the few base-2 pseudoprimes among the cofactors cost a failed
 * split, nothing more).
 */
static int fermat2(uint64_t n, uint64_t ninv)
{
	uint64_t one = ((uint64_t)0 - n) % n; /* 2^64 mod n */
	uint64_t x = one, b = one << 1 >= n ? (one << 1) - n : one << 1;
	uint64_t e = n - 1;
	while (e) {
		if (e & 1)
			x = mont_mul(x, b, n, ninv);
		b = mont_mul(b, b, n, ninv);
		e >>= 1;
	}
	return x == one;
}

static uint64_t gcd_u64(uint64_t a, uint64_t b)
{
	unsigned k;
	if (!a || !b)
		return a | b;
	k = (unsigned)__builtin_ctzll(a | b);
	a >>= __builtin_ctzll(a);
	do {
		b >>= __builtin_ctzll(b);
		if (a > b) {
			uint64_t t = a;
			a = b;
			b = t;
		}
		b -= a;
	} while (b);
	return a << k;
}

/*
 * A factor 1 < d < n of odd composite n < 2^62, or 0: Pollard's rho with
 * Brent's cycle detection (x -> x^2 + c in Montgomery form), products of
 * 64 differences per gcd, backtracking one step at a time when the gcd
 * jumps to n; at most about SIQS_RHO_STEPS steps.
 */
static uint64_t rho_brent(uint64_t n, uint64_t c)
{
	uint64_t ninv = mont_ninv(n), x, y = 2, ys = 2, q = 1, g = 1;
	uint64_t r = 1, k, i, lim;
	const uint64_t m = 64;
	c %= n;
	do {
		x = y;
		for (i = 0; i < r; i++) {
			y = mont_mul(y, y, n, ninv) + c;
			y = y >= n ? y - n : y;
		}
		for (k = 0; k < r && g == 1; k += m) {
			ys = y;
			lim = r - k < m ? r - k : m;
			for (i = 0; i < lim; i++) {
				y = mont_mul(y, y, n, ninv) + c;
				y = y >= n ? y - n : y;
				q = mont_mul(q, x > y ? x - y : y - x, n, ninv);
			}
			g = gcd_u64(q, n);
		}
		r <<= 1;
	} while (g == 1 && r <= SIQS_RHO_STEPS);
	if (g == n || g == 0) {
		do {
			ys = mont_mul(ys, ys, n, ninv) + c;
			ys = ys >= n ? ys - n : ys;
			g = gcd_u64(x > ys ? x - ys : ys - x, n);
		} while (g == 1);
	}
	return g > 1 && g < n ? g : 0;
}

int siqs_split_cofactor(uint64_t c, uint32_t lp_bound, uint64_t pmax2,
			uint32_t *p, uint32_t *q)
{
	uint64_t d = 0, e;
	unsigned t;
	if (c < pmax2 || !(c & 1) || c >= SIQS_DLP_MAX ||
	    fermat2(c, mont_ninv(c)))
		return 0;
	for (t = 1; t <= 2 && !d; t++)
		d = rho_brent(c, t);
	if (!d)
		return 0;
	e = c / d;
	if (d > e) {
		uint64_t x = d;
		d = e;
		e = x;
	}
	if (e >= lp_bound)
		return 0;
	*p = (uint32_t)d;
	*q = (uint32_t)e;
	return 1;
}

/*
 * Store the relation of x with cofactor 1 (full), a prime below the
 * large prime bound (partial), or with the double large prime variation
 * a composite below dlp_max that splits into two primes below the bound.
 */
static int finish_rel(struct siqs *S, long x, const uint32_t *fac,
		      uint32_t nfac, uint64_t cof)
{
	uint32_t lp = (uint32_t)cof, lp2 = 1;
	if (cof != 1 && cof >= S->fb.lp_bound) {
		if (cof >= S->fb.dlp_max ||
		    !siqs_split_cofactor(cof, S->fb.lp_bound, S->fb.pmax2, &lp,
					 &lp2))
			return STATUS_OK;
	}
	if (S->poly.native) {
		/* |A x + B| < 2^123 (set_native's bounds): two limbs, no GMP */
		siqs_i128 y = S->poly.A128 * x + S->poly.B128;
		siqs_u128 u = y < 0 ? (siqs_u128)-y : (siqs_u128)y;
		mp_limb_t yl[2];
		int yn;
		yl[0] = (mp_limb_t)u;
		yl[1] = (mp_limb_t)(u >> 64);
		yn = yl[1] ? 2 : yl[0] ? 1 : 0;
		return siqs_add_rel(&S->rels, fac, nfac, lp, lp2, yl,
				    y < 0 ? -yn : yn);
	}
	mpz_mul_si(S->sv.y, S->poly.A, x);
	mpz_add(S->sv.y, S->sv.y, S->poly.B);
	return siqs_add_rel(&S->rels, fac, nfac, lp, lp2,
			    mpz_limbs_read(S->sv.y),
			    mpz_sgn(S->sv.y) * (int)mpz_size(S->sv.y));
}

/*
 * u / p when p | u, else 0 (u odd or even, p odd): multiplication by
 * p^-1 mod 2^128 gives the exact quotient when p divides u, and a value
 * whose product with p overflows 128 bits when it does not (Granlund and
 * Montgomery, "Division by invariant integers using multiplication",
 * 1994, section 9).  inv is p^-1 mod 2^128, precomputed per prime;
 * below 2^64 one multiply.
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

	qv = (S->poly.A128 * xq + 2 * S->poly.B128) * xq + S->poly.C128;
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
	if (e2 + S->fb.s + 1 >= SIQS_MAX_FAC)
		return STATUS_OK;
	u >>= e2;
	while (e2--)
		fac[nfac++] = 1;
	for (l = 0; l < S->fb.s; l++)
		fac[nfac++] = S->poly.qidx[l];
	for (l = 0; l < S->fb.s; l++) {
		uint32_t jq = S->poly.qidx[l], p = S->fb.prime[jq];
		while (nfac < SIQS_MAX_FAC &&
		       (d = divexact_u128(u, p, S->fb.inv128[jq],
					  S->fb.bred[jq]))) {
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
		if (S->poly.in_a[j])
			continue;
		if (u >> 64)
			u *= S->fb.inv128[j];
		else
			u = (uint64_t)u * (uint64_t)S->fb.inv128[j];
	}
	for (h = 0; h < nh; h++) {
		uint32_t j = hits[h], p = S->fb.prime[j];
		if (S->poly.in_a[j])
			continue;
		if (nfac >= SIQS_MAX_FAC)
			return STATUS_OK;
		fac[nfac++] = j;
		while ((d = divexact_u128(u, p, S->fb.inv128[j],
					  S->fb.bred[j]))) {
			u = d;
			if (nfac >= SIQS_MAX_FAC)
				return STATUS_OK;
			fac[nfac++] = j;
		}
	}
	if (u >> 64)
		return STATUS_OK;
	return finish_rel(S, x, fac, nfac, (uint64_t)u);
}

/*
 * Trial-divide the candidate at sieve position i; store a relation.
 * always_inline into siqs_tdiv_poly: a call per candidate costs more
 * than the body's set-up (siqs_NOTES.md).
 */
__attribute__((always_inline)) static inline int check_candidate(struct siqs *S,
								 uint32_t i)
{
	uint32_t fac[SIQS_MAX_FAC], nfac = 0, nh, h;
	const uint32_t *hits;
	long x = (long)i - (long)S->fb.M;
	unsigned l;
	mp_bitcnt_t e2;

	if (S->poly.native)
		return check_native(S, i, x);
	/* Q(x) = (A x + 2B) x + C */
	mpz_mul_si(S->sv.q, S->poly.A, x);
	mpz_addmul_ui(S->sv.q, S->poly.B, 2);
	mpz_mul_si(S->sv.q, S->sv.q, x);
	mpz_add(S->sv.q, S->sv.q, S->poly.C);
	if (mpz_sgn(S->sv.q) == 0)
		return STATUS_OK;
	if (mpz_sgn(S->sv.q) < 0) {
		fac[nfac++] = 0;
		mpz_neg(S->sv.q, S->sv.q);
	}
	e2 = mpz_scan1(S->sv.q, 0);
	if (e2 + S->fb.s + 1 >= SIQS_MAX_FAC)
		return STATUS_OK;
	mpz_tdiv_q_2exp(S->sv.q, S->sv.q, e2);
	while (e2--)
		fac[nfac++] = 1;
	for (l = 0; l < S->fb.s; l++)
		fac[nfac++] = S->poly.qidx[l];
	/* the primes of A: no roots, divide directly */
	for (l = 0; l < S->fb.s; l++) {
		uint32_t p = S->fb.prime[S->poly.qidx[l]];
		while (mpz_divisible_ui_p(S->sv.q, p) && nfac < SIQS_MAX_FAC) {
			mpz_divexact_ui(S->sv.q, S->sv.q, p);
			fac[nfac++] = S->poly.qidx[l];
		}
	}
	nh = find_hits(S, i, &hits);
	for (h = 0; h < nh; h++) {
		uint32_t p = S->fb.prime[hits[h]];
		if (S->poly.in_a[hits[h]])
			continue;
		while (mpz_divisible_ui_p(S->sv.q, p)) {
			mpz_divexact_ui(S->sv.q, S->sv.q, p);
			if (nfac >= SIQS_MAX_FAC)
				return STATUS_OK;
			fac[nfac++] = hits[h];
		}
	}
	if (mpz_size(S->sv.q) > 1)
		return STATUS_OK;
	return finish_rel(S, x, fac, nfac, mpz_getlimbn(S->sv.q, 0));
}

/*
 * Trial-divide the candidates of the polynomial just sieved, eight at a
 * time: with the 16-bit root check (r16) their root hits first, all
 * eight in one pass over the primes, then each candidate in turn.
 */
int siqs_tdiv_poly(struct siqs *S)
{
	uint32_t j;
	int st = STATUS_OK;

#if SIQS_AVX2
	if (S->fb.r16 && S->sv.ncand)
		set_roots16(S);
#endif
	for (j = 0; j < S->sv.ncand && st == STATUS_OK; j += 8) {
		uint32_t k, nb = S->sv.ncand - j;
		if (nb > 8)
			nb = 8;
#if SIQS_AVX2
		if (S->fb.r16 && S->fb.avx512)
			root_hits16_batch_avx512(S, S->sv.cand + j, nb);
		else if (S->fb.r16)
			root_hits16_batch_avx2(S, S->sv.cand + j, nb);
#endif
		for (k = 0; k < nb && st == STATUS_OK; k++) {
			S->rels.candidates++;
			if (S->fb.r16) {
				S->sv.bhits = S->sv.hitsb +
					k * S->fb.hit_stride;
				S->sv.bnh = S->sv.nhb[k];
			}
			st = check_candidate(S, S->sv.cand[j + k]);
		}
		S->sv.bhits = NULL;
	}
	return st;
}
