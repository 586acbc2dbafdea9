/*
 * siqs_linalg.c - dependencies of the SIQS exponent matrix over GF(2).
 *
 * Input: one row per (combined) relation, listing the factor-base columns
 * with an odd exponent.  Output: up to SIQS_MAX_DEPS sets of rows whose
 * sum is the zero vector.
 *
 * Small matrices (at most LINALG_SMALL = 256 rows, as at 96 bits: about
 * 167 rows by 150 columns) go by dense elimination on the columns:
 *   a. Each column is a bitset over the rows (at most four words), stored
 *      word-major (word w of column j at m[w * ncp + j], ncp the column
 *      count rounded up to four) so that one AVX2 step handles the same
 *      word of four columns.  No identity block: filtering and column
 *      order cost more than they save at this size (weight order +8%).
 *   b. Forward elimination: for each column k in turn, its lowest set row
 *      p is the pivot, and column k is XORed into every later column
 *      holding row p (branch-free, four columns per step, the pivot's
 *      zero words skipped).  Afterwards pivot column i is zero in the
 *      rows of the pivots before it.  Lowest-row pivots make the pivot
 *      rows the greedy basis of the rows taken in input order, whatever
 *      the column order: a row is free when it is a sum of earlier rows.
 *   c. Null space: each of the first SIQS_MAX_DEPS free rows f_d starts
 *      dependency d; pivot row p_i joins it when
 *      a_i = b_i[f_d] + sum over j > i of a_j b_i[p_j] is one (b_i the
 *      reduced column of pivot i), computed 64 dependencies at a time as
 *      words, last pivot first, one branch-free pass over the columns per
 *      two pivots.  Then every column is orthogonal to every dependency, so
 *      each dependency sums to zero.  A free row plus earlier rows is a
 *      unique dependency, so the output depends only on the rows: the
 *      sparse path below returned the same deps on all 300 S96 matrices.
 *   Cost at 96 bits (callgrind, siqs_linalg inclusive per call over the
 *   300 S96 matrices): 676.6k instructions with [columns | identity] row
 *   elimination, 115.7k with this (AVX2), 511.4k with the scalar kernels.
 *
 * Medium matrices (at most LINALG_MID = 8192 rows: 128 to 200 bits):
 *   i.  Merges (the cheap half of structured Gaussian elimination, see
 *       step 2 below): a column held by at most wmax live rows (4 at 466
 *       rows, up to 16 by size) loses them by adding the lightest of them
 *       to the others; that row is dropped (a column of weight one just
 *       drops its row, which can be in no dependency).  Rows are kept as
 *       bitsets over the columns and columns as bitsets over the rows, so
 *       a merge costs the pivot row's weight; each addition is logged.
 *   ii. The rows and non-empty columns left (at 128 bits about 290 x 265
 *       of 466 x 450) go through the small path above.
 *   iii. Undoing the merges last first (row s was s + p, so p joins every
 *       dependency s is in) gives the dependencies in input rows; each
 *       merge is invertible, so they stay independent and there are as
 *       many as the input has (up to SIQS_MAX_DEPS).
 *   Instructions per call (callgrind, as above) against the path below:
 *   S128 1.706M -> 0.964M, S160 18.2M -> 9.86M, S200 212.5M -> 132.9M.
 *   Memory: the two bitset copies, 2 * rows * columns / 8 bytes (6.3 MB
 *   at 200 bits), as the path below keeps.
 *
 * Larger matrices (more than LINALG_MID rows, as at 230 bits):
 *   1. Filtering: drop every row that holds a column of weight one (a
 *      singleton can never cancel), repeated until none is left; drop
 *      columns of weight zero; keep at most (active columns + 96) rows.
 *   2. Order the active columns by ascending weight.  Eliminating the
 *      sparse columns (large primes) first touches few rows, so the
 *      fill-in reaches the dense columns (-1, 2, 3, ...) only when most
 *      rows are already pivots: the cheap half of structured Gaussian
 *      elimination (Pomerance and Smith, "Reduction of huge, sparse
 *      matrices over finite fields via created catastrophes", 1992).
 *   3. Forward elimination with the matrix kept both by columns (each a
 *      bitset over the rows) and by rows (bitsets over the columns).
 *      Adding the pivot row to the set S of other unused rows holding the
 *      pivot column flips S in every column where the pivot row has a one
 *      and adds the pivot row to every row of S; both touch only non-zero
 *      words, so while the matrix is sparse a step costs about |S| times
 *      the pivot row's weight, and ordering sparse columns first keeps
 *      both small until few rows are left.  Each step logs (pivot, S).
 *      Rows never used as pivots end as zero vectors; each seeds a
 *      dependency bit, and walking the log backwards (a pivot's mask gets
 *      the XOR of the masks of the rows it was added to) expresses them
 *      in input rows.  This replaces the identity block of textbook
 *      Gaussian elimination.
 *   4. Dense phase: when a column is held by more than LINALG_DENSE
 *      unused rows, fill-in has made the rows dense as well; the column
 *      copy is dropped and elimination goes on over the row bitsets of
 *      the unused rows only, each XOR starting at the pivot's word (a row
 *      has no ones left of the current column), still logging (pivot, S).
 *      On an S230 matrix (11220 x 11151) this halves the time.
 *
 * Invariant: after step t, every row vector equals the XOR of the input
 * rows named by mask-propagation through log entries t-1 .. 0; dropped
 * columns are zero in every kept row.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "siqs_int.h"
#include "status.h"

/* The AVX2 kernels are compiled per function and chosen at run time. */
#if defined(__x86_64__) && defined(__GNUC__)
#define LINALG_AVX2 1
#include <immintrin.h>
#else
#define LINALG_AVX2 0
#endif

enum {
	LINALG_EXCESS = 96, /* rows kept beyond the active columns */
	LINALG_DENSE = 1024, /* rows on one column that start the dense phase */
	LINALG_SMALL = 256,  /* at most this many rows: plain dense elimination */
	LINALG_MID = 8192,   /* at most this many: merges first, then dense */
	/* merge away columns of weight at most rows / LINALG_MERGE_ROWS,
	 * within [LINALG_MERGE_MIN, LINALG_MERGE_MAX] (fewest instructions
	 * at 466 rows: 4, at 1400: 12, at 5016: 16) */
	LINALG_MERGE_ROWS = 112,
	LINALG_MERGE_MIN = 4,
	LINALG_MERGE_MAX = 16,
	LINALG_LANES = 4     /* columns per AVX2 step; ncp is a multiple */
};

static_assert(LINALG_SMALL <= LINALG_MID,
	      "the dense kernels' word arrays hold LINALG_MID rows");
static_assert(SIQS_MAX_DEPS <= 64, "one bit of a word per dependency");
static_assert(LINALG_MERGE_MIN >= 1, "a column of weight one drops its row");

/* 1 when the CPU runs AVX2 (and the kernels were compiled). */
static int linalg_avx2(void)
{
#if LINALG_AVX2
	return __builtin_cpu_supports("avx2") != 0;
#else
	return 0;
#endif
}

/* Bits set in x (SWAR: no popcnt instruction assumed). */
static long popcount64(uint64_t x)
{
	x = x - ((x >> 1) & 0x5555555555555555ULL);
	x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
	x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
	return (long)((x * 0x0101010101010101ULL) >> 56);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

/*
 * Small matrices (at most LINALG_SMALL rows): the dense matrix by
 * columns, word w of column j (bits over the rows) at m[w * ncp + j].
 */

/* Columns lo .. hi - 1 (hi <= ncp): XOR column k into each that has bit p. */
static void elim_scalar(uint64_t *m, size_t nw, size_t ncp, size_t k,
			size_t p, size_t lo, size_t hi)
{
	size_t pw = p / 64, w, l;
	unsigned pb = (unsigned)(p % 64);
	for (l = lo; l < hi; l++) {
		uint64_t on = (uint64_t)0 - ((m[pw * ncp + l] >> pb) & 1);
		for (w = pw; w < nw; w++)
			m[w * ncp + l] ^= m[w * ncp + k] & on;
	}
}

/* acc[j] ^= v for each column j < hi that has bit p, and w for bit q. */
static void acc_scalar(uint64_t *acc, const uint64_t *m, size_t ncp,
		       size_t p, uint64_t v, size_t q, uint64_t w, size_t hi)
{
	const uint64_t *x = m + p / 64 * ncp, *y = m + q / 64 * ncp;
	unsigned pb = (unsigned)(p % 64), qb = (unsigned)(q % 64);
	size_t j;
	for (j = 0; j < hi; j++)
		acc[j] ^= (v & ((uint64_t)0 - ((x[j] >> pb) & 1))) ^
			  (w & ((uint64_t)0 - ((y[j] >> qb) & 1)));
}

#if LINALG_AVX2
/* All ones in each of the four columns at x that has the bit. */
__attribute__((target("avx2"))) static inline __m256i
elim_mask(const uint64_t *x, __m256i bit)
{
	__m256i c = _mm256_loadu_si256((const __m256i *)x);
	return _mm256_cmpeq_epi64(_mm256_and_si256(c, bit), bit);
}

/* The four words at d ^= piv & on. */
__attribute__((target("avx2"))) static inline void
elim_xor(uint64_t *d, __m256i piv, __m256i on)
{
	__m256i *v = (__m256i *)d;
	_mm256_storeu_si256(v, _mm256_xor_si256(_mm256_loadu_si256(v),
						_mm256_and_si256(piv, on)));
}

/*
 * Columns l0, l0 + 4, ... below ncp: XOR the nz pivot words piv (at word
 * offsets wi) into each column whose word x (the pivot row's) has the bit.
 */
__attribute__((target("avx2"), always_inline)) static inline void
elim_run(uint64_t *m, const uint64_t *x, __m256i bit, size_t l0, size_t ncp,
	 const __m256i *piv, const size_t *wi, size_t nz)
{
	size_t l, u;
	for (l = l0; l < ncp; l += LINALG_LANES) {
		__m256i on = elim_mask(x + l, bit);
#pragma GCC unroll 8
		for (u = 0; u < nz; u++)
			elim_xor(m + wi[u] + l, piv[u], on);
	}
}

/*
 * elim_scalar for the columns from lo on, four columns per step (ncp is a
 * multiple of four; the columns below lo in the first four are masked
 * off).  Words of column k that are zero are skipped.
 */
__attribute__((target("avx2"))) static void
elim_avx2(uint64_t *m, size_t nw, size_t ncp, size_t k, size_t p, size_t lo)
{
	__m256i piv[LINALG_MID / 64];
	size_t wi[LINALG_MID / 64];
	size_t pw = p / 64, w, u, nz = 0;
	size_t l0 = lo / LINALG_LANES * LINALG_LANES;
	const uint64_t pb = (uint64_t)1 << (p % 64);
	const __m256i bit = _mm256_set1_epi64x((long long)pb);
	__m256i on;

	if (l0 >= ncp)
		return;
	for (w = pw; w < nw; w++)
		if (m[w * ncp + k]) {
			piv[nz] = _mm256_set1_epi64x((long long)m[w * ncp + k]);
			wi[nz++] = w * ncp;
		}
	/* the first four columns: those below lo masked off */
	on = _mm256_and_si256(elim_mask(m + pw * ncp + l0, bit),
			      _mm256_cmpgt_epi64(_mm256_set_epi64x(3, 2, 1, 0),
						 _mm256_set1_epi64x((long long)(lo % LINALG_LANES) - 1)));
	for (u = 0; u < nz; u++)
		elim_xor(m + wi[u] + l0, piv[u], on);
	l0 += LINALG_LANES;
	/* the word counts written out (a constant nz unrolls the loop over
	 * the words, which costs as much as the XORs) */
	switch (nz) {
	case 1: elim_run(m, m + pw * ncp, bit, l0, ncp, piv, wi, 1); break;
	case 2: elim_run(m, m + pw * ncp, bit, l0, ncp, piv, wi, 2); break;
	case 3: elim_run(m, m + pw * ncp, bit, l0, ncp, piv, wi, 3); break;
	case 4: elim_run(m, m + pw * ncp, bit, l0, ncp, piv, wi, 4); break;
	case 5: elim_run(m, m + pw * ncp, bit, l0, ncp, piv, wi, 5); break;
	case 6: elim_run(m, m + pw * ncp, bit, l0, ncp, piv, wi, 6); break;
	case 7: elim_run(m, m + pw * ncp, bit, l0, ncp, piv, wi, 7); break;
	case 8: elim_run(m, m + pw * ncp, bit, l0, ncp, piv, wi, 8); break;
	default: elim_run(m, m + pw * ncp, bit, l0, ncp, piv, wi, nz);
	}
}

/* acc_scalar, four columns per step (hi a multiple of four). */
__attribute__((target("avx2"))) static void
acc_avx2(uint64_t *acc, const uint64_t *m, size_t ncp, size_t p, uint64_t v,
	 size_t q, uint64_t w, size_t hi)
{
	const uint64_t *x = m + p / 64 * ncp, *y = m + q / 64 * ncp;
	const uint64_t pb = (uint64_t)1 << (p % 64), qb = (uint64_t)1 << (q % 64);
	const __m256i pbit = _mm256_set1_epi64x((long long)pb);
	const __m256i qbit = _mm256_set1_epi64x((long long)qb);
	const __m256i vv = _mm256_set1_epi64x((long long)v);
	const __m256i ww = _mm256_set1_epi64x((long long)w);
	size_t j;
	for (j = 0; j < hi; j += LINALG_LANES) {
		__m256i *d = (__m256i *)(acc + j);
		__m256i s = _mm256_xor_si256(
			_mm256_and_si256(vv, elim_mask(x + j, pbit)),
			_mm256_and_si256(ww, elim_mask(y + j, qbit)));
		_mm256_storeu_si256(d, _mm256_xor_si256(_mm256_loadu_si256(d), s));
	}
}
#endif

/* acc[j] ^= v for the columns j < hi with bit p, w for bit q. */
static void acc_pass(int avx2, uint64_t *acc, const uint64_t *m, size_t ncp,
		     size_t p, uint64_t v, size_t q, uint64_t w, size_t hi)
{
#if LINALG_AVX2
	if (avx2) {
		acc_avx2(acc, m, ncp, p, v, q, w,
			 (hi + LINALG_LANES - 1) / LINALG_LANES * LINALG_LANES);
		return;
	}
#else
	(void)avx2;
#endif
	acc_scalar(acc, m, ncp, p, v, q, w, hi);
}

static int linalg_small(uint32_t nrows, uint32_t ncols,
			const uint32_t *row_start, const uint32_t *cols,
			uint64_t *deps, int *ndeps, int avx2)
{
	size_t nw = ((size_t)nrows + 63) / 64, k, j, i, npiv = 0;
	size_t ncp = ((size_t)ncols + LINALG_LANES - 1) / LINALG_LANES * LINALG_LANES;
	uint32_t *pcol = NULL, *prow = NULL, r, q;
	uint64_t *m = NULL, *acc = NULL, *isfree = NULL;
	int d = 0, status = STATUS_ERR_NOMEM;

	/* 1. the matrix by columns, all of them in input order (an empty
	 * column costs less than the pass that would drop it) */
	m = calloc(nw * ncp + 1, sizeof *m);
	acc = calloc(ncp + 1, sizeof *acc);
	isfree = malloc((nw + 1) * sizeof *isfree);
	pcol = malloc(((size_t)nrows + SIQS_MAX_DEPS + 1) * sizeof *pcol);
	prow = malloc(((size_t)nrows + 1) * sizeof *prow);
	if (!m || !acc || !isfree || !pcol || !prow)
		goto cleanup;
	for (r = 0; r < nrows; r++)
		for (q = row_start[r]; q < row_start[r + 1]; q++)
			m[(size_t)(r / 64) * ncp + cols[q]] ^=
				(uint64_t)1 << (r % 64);

	/* 2. forward elimination, pivot = lowest row of the column */
	for (k = 0; k < ncols && npiv < nrows; k++) {
		size_t w, p;
		for (w = 0; w < nw && !m[w * ncp + k]; w++)
			;
		if (w == nw)
			continue;
		p = w * 64 + (size_t)__builtin_ctzll(m[w * ncp + k]);
		pcol[npiv] = (uint32_t)k;
		prow[npiv++] = (uint32_t)p;
#if LINALG_AVX2
		if (avx2) {
			elim_avx2(m, nw, ncp, k, p, k + 1);
			continue;
		}
#endif
		elim_scalar(m, nw, ncp, k, p, k + 1, ncols);
	}

	/* 3. free rows: dependency d is free row d plus pivot rows; each
	 * column collects the dependencies holding its free-row bits, two
	 * free rows per pass */
	for (j = 0; j < nw; j++)
		isfree[j] = ~(uint64_t)0;
	for (i = 0; i < npiv; i++)
		isfree[prow[i] / 64] &= ~((uint64_t)1 << (prow[i] % 64));
	for (r = 0; r < nrows && d < SIQS_MAX_DEPS; r++) {
		if (!(isfree[r / 64] >> (r % 64) & 1))
			continue;
		deps[r] = (uint64_t)1 << d;
		pcol[npiv + (size_t)d++] = r; /* after the pivots: free */
	}
	for (i = 0; i < (size_t)d; i += 2) {
		size_t f1 = pcol[npiv + i], f2 = i + 1 < (size_t)d ? pcol[npiv + i + 1] : f1;
		acc_pass(avx2, acc, m, ncp, f1, deps[f1], f2,
			 f2 != f1 ? deps[f2] : 0, ncols);
	}
	/*
	 * 4. back substitution, last pivot first, two per pass: pivot i's
	 * word a is final once the pivots after it are done; every earlier
	 * column with row p_i takes it (columns after it lack row p_i).
	 * Pivot i - 1 first takes a_i if it has row p_i.
	 */
	for (i = npiv; d > 0 && i > 0;) {
		size_t i1 = i - 1, p0 = prow[i1];
		uint64_t a1 = acc[pcol[i1]], a0 = 0;
		if (i1 > 0) {
			size_t x = (size_t)prow[i1] / 64 * ncp + pcol[i1 - 1];
			a0 = acc[pcol[i1 - 1]] ^
			     (a1 & ((uint64_t)0 - (m[x] >> (prow[i1] % 64) & 1)));
			p0 = prow[i1 - 1];
		}
		acc_pass(avx2, acc, m, ncp, prow[i1], a1, p0, a0,
			 (size_t)pcol[i1] + 1);
		acc[pcol[i1]] = a1;
		deps[prow[i1]] = a1;
		i--;
		if (i1 > 0) {
			acc[pcol[i1 - 1]] = a0;
			deps[prow[i1 - 1]] = a0;
			i--;
		}
	}
	*ndeps = d;
	status = d > 0 ? STATUS_OK : STATUS_NOT_FOUND;
cleanup:
	free(m);
	free(acc);
	free(isfree);
	free(pcol);
	free(prow);
	return status;
}

/*
 * Medium matrices: rows as bitsets over the columns (rc), columns as
 * bitsets over the live rows (cr), both kept exact through the merges.
 */
struct linalg_merge {
	uint64_t *rc, *cr;
	uint32_t *weight, *rw; /* live rows per column, columns per row */
	uint32_t *log;         /* (s, p) per merge: row s += row p */
	size_t wc, wr, nlog;
};

/*
 * Row s += row p.  rc word by word; then each column of p flips row s in
 * cr and moves its weight and the row's by one, as the new bit says.
 */
static void merge_add(struct linalg_merge *g, uint32_t s, uint32_t p)
{
	const uint64_t *pc = g->rc + (size_t)p * g->wc;
	uint64_t *sc = g->rc + (size_t)s * g->wc;
	uint64_t sb = (uint64_t)1 << (s % 64);
	size_t t, so = s / 64;
	for (t = 0; t < g->wc; t++) {
		uint64_t v = pc[t], nw = sc[t] ^ v;
		sc[t] = nw;
		while (v) {
			unsigned b = (unsigned)__builtin_ctzll(v);
			size_t c = t * 64 + b;
			uint32_t on = (uint32_t)(nw >> b & 1);
			g->cr[c * g->wr + so] ^= sb;
			g->weight[c] += 2 * on - 1;
			g->rw[s] += 2 * on - 1;
			v &= v - 1;
		}
	}
	g->log[2 * g->nlog] = s;
	g->log[2 * g->nlog++ + 1] = p;
}

/* Drop row p: its columns lose it (its own bits are left as they are). */
static void merge_kill(struct linalg_merge *g, uint32_t p)
{
	const uint64_t *pc = g->rc + (size_t)p * g->wc;
	uint64_t keep = ~((uint64_t)1 << (p % 64));
	size_t t;
	for (t = 0; t < g->wc; t++) {
		uint64_t v = pc[t];
		while (v) {
			size_t c = t * 64 + (size_t)__builtin_ctzll(v);
			g->cr[c * g->wr + p / 64] &= keep;
			g->weight[c]--;
			v &= v - 1;
		}
	}
}

static int linalg_mid(uint32_t nrows, uint32_t ncols,
		      const uint32_t *row_start, const uint32_t *cols,
		      uint64_t *deps, int *ndeps, int avx2)
{
	struct linalg_merge g;
	uint32_t *live = NULL, *crs = NULL, *ccols = NULL, *list = NULL;
	uint64_t *cdeps = NULL;
	uint8_t *dead = NULL;
	uint32_t r, c, q, nlive = 0, nl, ncore = 0, wmax;
	size_t t, nnz = 0;
	int status = STATUS_ERR_NOMEM, changed;

	g.wc = ((size_t)ncols + 63) / 64;
	g.wr = ((size_t)nrows + 63) / 64;
	g.nlog = 0;
	g.rc = calloc((size_t)nrows * g.wc + 1, sizeof *g.rc);
	g.cr = calloc((size_t)ncols * g.wr + 1, sizeof *g.cr);
	g.weight = calloc((size_t)ncols + 1, sizeof *g.weight);
	g.rw = calloc((size_t)nrows + 1, sizeof *g.rw);
	wmax = nrows / LINALG_MERGE_ROWS;
	wmax = wmax < LINALG_MERGE_MIN ? LINALG_MERGE_MIN : wmax;
	wmax = wmax > LINALG_MERGE_MAX ? LINALG_MERGE_MAX : wmax;
	g.log = malloc(2 * ((size_t)nrows + 1) * wmax * sizeof *g.log);
	dead = calloc((size_t)nrows + 1, 1);
	list = malloc(((size_t)nrows + 1) * sizeof *list);
	live = malloc(((size_t)nrows + 1) * sizeof *live);
	crs = malloc(((size_t)nrows + 2) * sizeof *crs);
	cdeps = malloc(((size_t)nrows + 1) * sizeof *cdeps);
	if (!g.rc || !g.cr || !g.weight || !g.rw || !g.log || !dead || !list ||
	    !live || !crs || !cdeps)
		goto cleanup;
	/* weights count the entries (distinct within a row, as promised;
	 * a repeat would only make them too large, never too small) */
	for (r = 0; r < nrows; r++) {
		uint64_t rb = (uint64_t)1 << (r % 64);
		uint64_t *rc = g.rc + (size_t)r * g.wc, *cr = g.cr + r / 64;
		g.rw[r] = row_start[r + 1] - row_start[r];
		for (q = row_start[r]; q < row_start[r + 1]; q++) {
			rc[cols[q] / 64] ^= (uint64_t)1 << (cols[q] % 64);
			cr[(size_t)cols[q] * g.wr] ^= rb;
			g.weight[cols[q]]++;
		}
	}

	/*
	 * 1. merges: a column held by at most wmax rows is removed by adding
	 * its lightest row to the others and dropping that row; at most
	 * nrows merges (one row dropped each) of at most wmax - 1
	 * additions fill the log
	 */
	do {
		changed = 0;
		for (c = 0; c < ncols; c++) {
			uint32_t p, u;
			if (g.weight[c] == 0 || g.weight[c] > wmax)
				continue;
			nl = 0;
			for (t = 0; t < g.wr; t++) {
				uint64_t v = g.cr[(size_t)c * g.wr + t];
				while (v) {
					list[nl++] = (uint32_t)(t * 64 +
						(size_t)__builtin_ctzll(v));
					v &= v - 1;
				}
			}
			if (nl == 0) {
				g.weight[c] = 0;
				continue;
			}
			/* pivot: the lightest row, the first of equals */
			p = list[0];
			for (u = 1; u < nl; u++)
				if (g.rw[list[u]] < g.rw[p])
					p = list[u];
			for (u = 0; u < nl; u++)
				if (list[u] != p)
					merge_add(&g, list[u], p);
			merge_kill(&g, p);
			dead[p] = 1;
			changed = 1;
		}
	} while (changed);

	/* 2. the rows and columns left, dense (the merged-away columns
	 * would still cost a lane each in every step) */
	for (c = 0; c < ncols; c++)
		g.weight[c] = g.weight[c] ? ncore++ : UINT32_MAX;
	for (r = 0; r < nrows; r++)
		if (!dead[r]) {
			live[nlive++] = r;
			nnz += g.rw[r];
		}
	ccols = calloc(nnz + 1, sizeof *ccols); /* (gcc: maybe-uninitialized) */
	if (!ccols)
		goto cleanup;
	nnz = 0;
	for (r = 0; r < nlive; r++) {
		const uint64_t *rc = g.rc + (size_t)live[r] * g.wc;
		crs[r] = (uint32_t)nnz;
		for (t = 0; t < g.wc; t++) {
			uint64_t v = rc[t];
			while (v) {
				ccols[nnz++] = g.weight[t * 64 +
						       (size_t)__builtin_ctzll(v)];
				v &= v - 1;
			}
		}
	}
	crs[nlive] = (uint32_t)nnz;
	memset(cdeps, 0, (size_t)nlive * sizeof *cdeps);
	status = linalg_small(nlive, ncore, crs, ccols, cdeps, ndeps, avx2);
	if (status != STATUS_OK)
		goto cleanup;

	/* 3. back to input rows: undo the merges, last first (row s was
	 * s + p, so p joins every dependency that s is in) */
	for (r = 0; r < nlive; r++)
		deps[live[r]] = cdeps[r];
	while (g.nlog-- > 0)
		deps[g.log[2 * g.nlog + 1]] ^= deps[g.log[2 * g.nlog]];
cleanup:
	free(g.rc);
	free(g.cr);
	free(g.weight);
	free(g.rw);
	free(g.log);
	free(dead);
	free(list);
	free(live);
	free(crs);
	free(ccols);
	free(cdeps);
	return status;
}

int siqs_linalg(uint32_t nrows, uint32_t ncols, const uint32_t *row_start,
		const uint32_t *cols, uint64_t *deps, int *ndeps)
{
	return siqs_linalg_solve_opts(nrows, ncols, row_start, cols, deps, ndeps,
				      NULL);
}

int siqs_linalg_solve_opts(uint32_t nrows, uint32_t ncols,
			   const uint32_t *row_start, const uint32_t *cols,
			   uint64_t *deps, int *ndeps,
			   const struct siqs_linalg_opts *opts)
{
	int scalar = opts ? opts->scalar : 0;
	int status = STATUS_ERR_NOMEM;
	uint32_t *weight = NULL, *colmap = NULL, *rowid = NULL;
	uint64_t *order = NULL, *mat = NULL, *rmat = NULL, *used = NULL;
	uint64_t *mask = NULL;
	uint32_t *logpiv = NULL, *pcols = NULL, *loglist = NULL, *ul = NULL;
	uint32_t nul = 0;
	int dense = 0;
	size_t *logoff = NULL, *swords = NULL, *pwords = NULL;
	size_t wr, wc, nsteps, loglen, loglist_cap;
	uint8_t *alive = NULL;
	uint32_t r, c, nact = 0, nlive = 0, k;
	int changed;

	*ndeps = 0;
	memset(deps, 0, (size_t)nrows * sizeof *deps);
	if (nrows <= LINALG_SMALL)
		return linalg_small(nrows, ncols, row_start, cols, deps, ndeps,
				    !scalar && linalg_avx2());
	if (nrows <= LINALG_MID)
		return linalg_mid(nrows, ncols, row_start, cols, deps, ndeps,
				  !scalar && linalg_avx2());
	weight = calloc((size_t)ncols + 1, sizeof *weight);
	colmap = malloc(((size_t)ncols + 1) * sizeof *colmap);
	alive = malloc((size_t)nrows + 1);
	rowid = malloc(((size_t)nrows + 1) * sizeof *rowid);
	order = malloc(((size_t)ncols + 1) * sizeof *order);
	if (!weight || !colmap || !alive || !rowid || !order)
		goto cleanup;

	/* 1. singleton removal */
	memset(alive, 1, nrows);
	for (r = 0; r < nrows; r++)
		for (k = row_start[r]; k < row_start[r + 1]; k++)
			weight[cols[k]]++;
	do {
		changed = 0;
		for (r = 0; r < nrows; r++) {
			if (!alive[r])
				continue;
			for (k = row_start[r]; k < row_start[r + 1]; k++)
				if (weight[cols[k]] == 1)
					break;
			if (k == row_start[r + 1])
				continue;
			alive[r] = 0;
			changed = 1;
			for (k = row_start[r]; k < row_start[r + 1]; k++)
				weight[cols[k]]--;
		}
	} while (changed);

	/* 2. active columns by ascending weight */
	for (c = 0; c < ncols; c++)
		if (weight[c] > 0)
			order[nact++] = ((uint64_t)weight[c] << 32) | c;
	qsort(order, nact, sizeof *order, cmp_u64);
	for (c = 0; c < ncols; c++)
		colmap[c] = UINT32_MAX;
	for (c = 0; c < nact; c++)
		colmap[(uint32_t)order[c]] = c;
	for (r = 0; r < nrows; r++)
		if (alive[r] && nlive < nact + LINALG_EXCESS)
			rowid[nlive++] = r;
	if (nlive == 0) {
		status = STATUS_NOT_FOUND;
		goto cleanup;
	}

	/*
	 * 3. Elimination with the matrix kept twice: by columns (bitsets over
	 * the rows) and by rows (bitsets over the columns).  Adding the pivot
	 * row to the set S of other unused rows holding column c flips S in
	 * every column where the pivot row has a one (only S's non-zero
	 * words) and adds the pivot row to each row of S.  Each step logs
	 * (pivot, S) as a row list; the dependencies are traced back through
	 * the log at the end.
	 */
	wr = ((size_t)nlive + 63) / 64;
	wc = ((size_t)nact + 63) / 64;
	mat = calloc((size_t)nact * wr, sizeof *mat);
	rmat = calloc((size_t)nlive * wc, sizeof *rmat);
	logpiv = malloc(((size_t)nact + 1) * sizeof *logpiv);
	logoff = malloc(((size_t)nact + 2) * sizeof *logoff);
	used = calloc(wr, sizeof *used);
	mask = calloc((size_t)nlive, sizeof *mask);
	pcols = malloc(((size_t)nact + 1) * sizeof *pcols);
	ul = malloc(((size_t)nlive + 1) * sizeof *ul);
	swords = malloc((wr + 1) * sizeof *swords);
	pwords = malloc((wc + 1) * sizeof *pwords);
	loglist_cap = 4 * (size_t)nact + 1024;
	loglist = malloc(loglist_cap * sizeof *loglist);
	if (!mat || !rmat || !logpiv || !logoff || !used || !mask || !pcols ||
	    !swords || !pwords || !loglist || !ul)
		goto cleanup;
	for (r = 0; r < nlive; r++) {
		uint32_t orig = rowid[r];
		for (k = row_start[orig]; k < row_start[orig + 1]; k++) {
			uint32_t cc = colmap[cols[k]];
			if (cc == UINT32_MAX)
				continue;
			/* NOLINTNEXTLINE(clang-analyzer-unix.Malloc): cc < nact */
			mat[(size_t)cc * wr + (r >> 6)] ^= (uint64_t)1 << (r & 63);
			rmat[(size_t)r * wc + (cc >> 6)] ^= (uint64_t)1
							     << (cc & 63);
		}
	}
	nsteps = 0;
	loglen = 0;
	for (c = 0; c < nact && !dense; c++) {
		uint64_t *col = mat + (size_t)c * wr;
		const uint64_t *prow;
		size_t t, piv = SIZE_MAX, np = 0, u, nsw = 0, s0, w0 = c >> 6;
		size_t npw, cnt = 0;
		for (t = 0; t < wr; t++)
			cnt += (size_t)popcount64(col[t] & ~used[t]);
		if (cnt > LINALG_DENSE) {
			dense = 1; /* c is redone by rows below */
			break;
		}
		for (t = 0; t < wr; t++) {
			uint64_t v = col[t] & ~used[t];
			if (v) {
				piv = t * 64 + (size_t)__builtin_ctzll(v);
				break;
			}
		}
		if (piv == SIZE_MAX)
			continue;
		used[piv >> 6] |= (uint64_t)1 << (piv & 63);
		/* S as non-zero words and as a row list (logged) */
		s0 = loglen;
		for (t = piv >> 6; t < wr; t++) {
			uint64_t v = col[t] & ~used[t];
			col[t] &= used[t];
			if (!v)
				continue;
			col[t] |= v; /* restored below; keeps S readable */
			swords[nsw++] = t;
			while (v) {
				if (loglen == loglist_cap) {
					uint32_t *nl;
					loglist_cap *= 2;
					nl = realloc(loglist, loglist_cap *
								 sizeof *nl);
					if (!nl)
						goto cleanup;
					loglist = nl;
				}
				loglist[loglen++] =
					(uint32_t)(t * 64 +
						   (size_t)__builtin_ctzll(v));
				v &= v - 1;
			}
		}
		logpiv[nsteps] = (uint32_t)piv;
		logoff[nsteps++] = s0;
		/* the pivot row's ones right of c */
		prow = rmat + piv * wc;
		for (t = w0; t < wc; t++) {
			uint64_t v = prow[t];
			if (t == w0)
				v &= ~(uint64_t)0 << (c & 63) << 1;
			while (v) {
				pcols[np++] = (uint32_t)(t * 64 +
					      (size_t)__builtin_ctzll(v));
				v &= v - 1;
			}
		}
		for (u = 0; u < np; u++) {
			uint64_t *dst = mat + (size_t)pcols[u] * wr;
			size_t q;
			for (q = 0; q < nsw; q++)
				dst[swords[q]] ^= col[swords[q]] & ~used[swords[q]];
		}
		/* the pivot row's non-zero words from w0 on */
		npw = 0;
		for (t = w0; t < wc; t++)
			if (prow[t])
				pwords[npw++] = t;
		for (u = s0; u < loglen; u++) {
			uint64_t *dst = rmat + (size_t)loglist[u] * wc;
			size_t q;
			for (q = 0; q < npw; q++)
				dst[pwords[q]] ^= prow[pwords[q]];
		}
		for (u = 0; u < nsw; u++)
			col[swords[u]] &= used[swords[u]];
	}
	/*
	 * Dense phase: once a column is held by many rows the rows are
	 * dense too; continue on the row bitsets alone, over the unused rows.
	 */
	if (dense) {
		nul = 0;
		for (r = 0; r < nlive; r++)
			if (!(used[r >> 6] >> (r & 63) & 1))
				ul[nul++] = r;
	}
	for (; dense && c < nact; c++) {
		size_t w0 = c >> 6, t, u, s0;
		uint64_t bit = (uint64_t)1 << (c & 63);
		const uint64_t *prow;
		uint32_t piv;
		for (u = 0; u < nul; u++)
			if (rmat[(size_t)ul[u] * wc + w0] & bit)
				break;
		if (u == nul)
			continue;
		piv = ul[u];
		ul[u] = ul[--nul];
		used[piv >> 6] |= (uint64_t)1 << (piv & 63);
		prow = rmat + (size_t)piv * wc;
		s0 = loglen;
		for (u = 0; u < nul; u++) {
			uint64_t *dst = rmat + (size_t)ul[u] * wc;
			if (!(dst[w0] & bit))
				continue;
			if (loglen == loglist_cap) {
				uint32_t *nl;
				loglist_cap *= 2;
				nl = realloc(loglist, loglist_cap * sizeof *nl);
				if (!nl)
					goto cleanup;
				loglist = nl;
			}
			loglist[loglen++] = ul[u];
			for (t = w0; t < wc; t++)
				dst[t] ^= prow[t];
		}
		logpiv[nsteps] = piv;
		logoff[nsteps++] = s0;
	}
	logoff[nsteps] = loglen;

	/* unused rows are now zero: each one starts a dependency */
	k = 0;
	for (r = 0; r < nlive && k < SIQS_MAX_DEPS; r++)
		if (!(used[r >> 6] >> (r & 63) & 1))
			mask[r] = (uint64_t)1 << k++;
	*ndeps = (int)k;
	while (nsteps-- > 0) {
		uint64_t acc = 0;
		size_t u;
		for (u = logoff[nsteps]; u < logoff[nsteps + 1]; u++)
			acc ^= mask[loglist[u]];
		mask[logpiv[nsteps]] ^= acc;
	}
	for (r = 0; r < nlive; r++)
		deps[rowid[r]] = mask[r];
	status = k > 0 ? STATUS_OK : STATUS_NOT_FOUND;

cleanup:
	free(weight);
	free(colmap);
	free(alive);
	free(rowid);
	free(order);
	free(mat);
	free(rmat);
	free(loglist);
	free(logoff);
	free(swords);
	free(pwords);
	free(logpiv);
	free(used);
	free(mask);
	free(pcols);
	free(ul);
	return status;
}
