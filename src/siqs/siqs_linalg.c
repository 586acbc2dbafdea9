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
 *      order cost more than they save at this size (siqs_NOTES.md).
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
 *      unique dependency, so the output depends only on the rows.
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
 *   Memory: the two bitset copies, 2 * rows * columns / 8 bytes (6.3 MB
 *   at 200 bits), as the path below keeps.
 *
 * Larger matrices (more than LINALG_MID rows, as at 230 bits;
 * linalg_sparse and its steps):
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
	LINALG_EXCESS = 96,  /* rows kept beyond the active columns */
	LINALG_DENSE = 1024, /* rows on one column that start the dense phase */
	LINALG_SMALL =
		256,       /* at most this many rows: plain dense elimination */
	LINALG_MID = 8192, /* at most this many: merges first, then dense */
	/* merge away columns of weight at most rows / LINALG_MERGE_ROWS,
	 * within [LINALG_MERGE_MIN, LINALG_MERGE_MAX] (fewest instructions
	 * at 466 rows: 4, at 1400: 12, at 5016: 16) */
	LINALG_MERGE_ROWS = 112,
	LINALG_MERGE_MIN = 4,
	LINALG_MERGE_MAX = 16,
	LINALG_LANES = 4 /* columns per AVX2 step; ncp is a multiple */
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
static void elim_scalar(uint64_t *m, size_t nw, size_t ncp, size_t k, size_t p,
			size_t lo, size_t hi)
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
static void acc_scalar(uint64_t *acc, const uint64_t *m, size_t ncp, size_t p,
		       uint64_t v, size_t q, uint64_t w, size_t hi)
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
	_mm256_storeu_si256(v,
			    _mm256_xor_si256(_mm256_loadu_si256(v),
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
	on = _mm256_and_si256(
		elim_mask(m + pw * ncp + l0, bit),
		_mm256_cmpgt_epi64(
			_mm256_set_epi64x(3, 2, 1, 0),
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
	const uint64_t pb = (uint64_t)1 << (p % 64),
		       qb = (uint64_t)1 << (q % 64);
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
		_mm256_storeu_si256(d,
				    _mm256_xor_si256(_mm256_loadu_si256(d), s));
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
	size_t ncp = ((size_t)ncols + LINALG_LANES - 1) / LINALG_LANES *
		LINALG_LANES;
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
			m[(size_t)(r / 64) * ncp + cols[q]] ^= (uint64_t)1
				<< (r % 64);

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
		size_t f1 = pcol[npiv + i],
		       f2 = i + 1 < (size_t)d ? pcol[npiv + i + 1] : f1;
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
				(a1 &
				 ((uint64_t)0 - (m[x] >> (prow[i1] % 64) & 1)));
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

/*
 * Step i of the medium path: a column held by at most wmax rows is
 * removed by adding its lightest row to the others and dropping that
 * row (dead[p] = 1), until no such column is left; at most nrows merges
 * (one row dropped each) of at most wmax - 1 additions fill the log.
 * list: scratch for nrows entries.
 */
static void merge_all(struct linalg_merge *g, uint32_t ncols, uint32_t wmax,
		      uint32_t *list, uint8_t *dead)
{
	uint32_t c, nl;
	size_t t;
	int changed;

	do {
		changed = 0;
		for (c = 0; c < ncols; c++) {
			uint32_t p, u;
			if (g->weight[c] == 0 || g->weight[c] > wmax)
				continue;
			nl = 0;
			for (t = 0; t < g->wr; t++) {
				uint64_t v = g->cr[(size_t)c * g->wr + t];
				while (v) {
					list[nl++] =
						(uint32_t)(t * 64 +
							   (size_t)__builtin_ctzll(
								   v));
					v &= v - 1;
				}
			}
			if (nl == 0) {
				g->weight[c] = 0;
				continue;
			}
			/* pivot: the lightest row, the first of equals */
			p = list[0];
			for (u = 1; u < nl; u++)
				if (g->rw[list[u]] < g->rw[p])
					p = list[u];
			for (u = 0; u < nl; u++)
				if (list[u] != p)
					merge_add(g, list[u], p);
			merge_kill(g, p);
			dead[p] = 1;
			changed = 1;
		}
	} while (changed);
}

static int linalg_mid(uint32_t nrows, uint32_t ncols, const uint32_t *row_start,
		      const uint32_t *cols, uint64_t *deps, int *ndeps,
		      int avx2)
{
	struct linalg_merge g;
	uint32_t *live = NULL, *crs = NULL, *ccols = NULL, *list = NULL;
	uint64_t *cdeps = NULL;
	uint8_t *dead = NULL;
	uint32_t r, c, q, nlive = 0, ncore = 0, wmax;
	size_t t, nnz = 0;
	int status = STATUS_ERR_NOMEM;

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

	merge_all(&g, ncols, wmax, list, dead);

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
				ccols[nnz++] =
					g.weight[t * 64 +
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

/*
 * The large-matrix path (more than LINALG_MID rows), steps 1-4 of the
 * top comment: the matrix twice (columns over rows in mat, rows over
 * columns in rmat), only the filtered rows and active columns.
 */
struct linalg_sparse {
	uint32_t nrows, ncols;
	const uint32_t *row_start, *cols;
	uint32_t *weight, *colmap, *rowid;
	uint8_t *alive;
	uint64_t *order;
	uint32_t nact, nlive; /* active columns, kept rows */
	uint64_t *mat, *rmat, *used, *mask;
	size_t wr, wc; /* words of a column, of a row */
	uint32_t *logpiv, *pcols, *loglist, *ul;
	size_t *logoff, *swords, *pwords;
	size_t nsteps, loglen, loglist_cap;
	uint32_t nul; /* dense phase: unused rows in ul */
};

/* 1-2: singleton removal, active columns by ascending weight, kept rows. */
static int sparse_filter(struct linalg_sparse *L)
{
	const uint32_t *row_start = L->row_start, *cols = L->cols;
	uint32_t r, c, k;
	int changed;

	memset(L->alive, 1, L->nrows);
	for (r = 0; r < L->nrows; r++)
		for (k = row_start[r]; k < row_start[r + 1]; k++)
			L->weight[cols[k]]++;
	do {
		changed = 0;
		for (r = 0; r < L->nrows; r++) {
			if (!L->alive[r])
				continue;
			for (k = row_start[r]; k < row_start[r + 1]; k++)
				if (L->weight[cols[k]] == 1)
					break;
			if (k == row_start[r + 1])
				continue;
			L->alive[r] = 0;
			changed = 1;
			for (k = row_start[r]; k < row_start[r + 1]; k++)
				L->weight[cols[k]]--;
		}
	} while (changed);

	for (c = 0; c < L->ncols; c++)
		if (L->weight[c] > 0)
			L->order[L->nact++] = ((uint64_t)L->weight[c] << 32) |
				c;
	qsort(L->order, L->nact, sizeof *L->order, cmp_u64);
	for (c = 0; c < L->ncols; c++)
		L->colmap[c] = UINT32_MAX;
	for (c = 0; c < L->nact; c++)
		L->colmap[(uint32_t)L->order[c]] = c;
	for (r = 0; r < L->nrows; r++)
		if (L->alive[r] && L->nlive < L->nact + LINALG_EXCESS)
			L->rowid[L->nlive++] = r;
	return L->nlive == 0 ? STATUS_NOT_FOUND : STATUS_OK;
}

/* The two bitset copies of the kept rows and the step log's arrays. */
static int sparse_build(struct linalg_sparse *L)
{
	uint32_t r, k;
	size_t nact = L->nact, nlive = L->nlive, wr, wc;

	wr = L->wr = (nlive + 63) / 64;
	wc = L->wc = (nact + 63) / 64;
	L->mat = calloc(nact * wr, sizeof *L->mat);
	L->rmat = calloc(nlive * wc, sizeof *L->rmat);
	L->logpiv = malloc((nact + 1) * sizeof *L->logpiv);
	L->logoff = malloc((nact + 2) * sizeof *L->logoff);
	L->used = calloc(wr, sizeof *L->used);
	L->mask = calloc(nlive, sizeof *L->mask);
	L->pcols = malloc((nact + 1) * sizeof *L->pcols);
	L->ul = malloc((nlive + 1) * sizeof *L->ul);
	L->swords = malloc((wr + 1) * sizeof *L->swords);
	L->pwords = malloc((wc + 1) * sizeof *L->pwords);
	L->loglist_cap = 4 * nact + 1024;
	L->loglist = malloc(L->loglist_cap * sizeof *L->loglist);
	if (!L->mat || !L->rmat || !L->logpiv || !L->logoff || !L->used ||
	    !L->mask || !L->pcols || !L->swords || !L->pwords || !L->loglist ||
	    !L->ul)
		return STATUS_ERR_NOMEM;
	for (r = 0; r < nlive; r++) {
		uint32_t orig = L->rowid[r];
		for (k = L->row_start[orig]; k < L->row_start[orig + 1]; k++) {
			uint32_t cc = L->colmap[L->cols[k]];
			if (cc == UINT32_MAX)
				continue;
			/* NOLINTNEXTLINE(clang-analyzer-unix.Malloc): cc < nact */
			L->mat[(size_t)cc * wr + (r >> 6)] ^= (uint64_t)1
				<< (r & 63);
			L->rmat[(size_t)r * wc + (cc >> 6)] ^= (uint64_t)1
				<< (cc & 63);
		}
	}
	return STATUS_OK;
}

/* Append row to the step log (grown by doubling). */
static int sparse_log(struct linalg_sparse *L, uint32_t row)
{
	if (L->loglen == L->loglist_cap) {
		uint32_t *nl;
		L->loglist_cap *= 2;
		nl = realloc(L->loglist, L->loglist_cap * sizeof *nl);
		if (!nl)
			return STATUS_ERR_NOMEM;
		L->loglist = nl;
	}
	L->loglist[L->loglen++] = row;
	return STATUS_OK;
}

/*
 * 3: one elimination step on column c with both copies: the pivot is
 * its lowest unused row; the set S of the other unused rows holding c
 * (as non-zero words and as a logged row list) gets the pivot row, in
 * the columns (only S's words) and in the rows (only the pivot's
 * non-zero words).  Returns 1 when c is held by more than LINALG_DENSE
 * unused rows (the dense phase takes c over), 0 after a step or when
 * no row holds c, STATUS_ERR_NOMEM.
 */
static int sparse_step(struct linalg_sparse *L, uint32_t c)
{
	uint64_t *col = L->mat + (size_t)c * L->wr, *used = L->used;
	const uint64_t *prow;
	size_t t, piv = SIZE_MAX, np = 0, u, nsw = 0, s0, w0 = c >> 6;
	size_t npw, cnt = 0, wr = L->wr, wc = L->wc;

	for (t = 0; t < wr; t++)
		cnt += (size_t)popcount64(col[t] & ~used[t]);
	if (cnt > LINALG_DENSE)
		return 1;
	for (t = 0; t < wr; t++) {
		uint64_t v = col[t] & ~used[t];
		if (v) {
			piv = t * 64 + (size_t)__builtin_ctzll(v);
			break;
		}
	}
	if (piv == SIZE_MAX)
		return 0;
	used[piv >> 6] |= (uint64_t)1 << (piv & 63);
	/* S as non-zero words and as a row list (logged) */
	s0 = L->loglen;
	for (t = piv >> 6; t < wr; t++) {
		uint64_t v = col[t] & ~used[t];
		col[t] &= used[t];
		if (!v)
			continue;
		col[t] |= v; /* restored below; keeps S readable */
		L->swords[nsw++] = t;
		while (v) {
			if (sparse_log(L,
				       (uint32_t)(t * 64 +
						  (size_t)__builtin_ctzll(
							  v))) != STATUS_OK)
				return STATUS_ERR_NOMEM;
			v &= v - 1;
		}
	}
	L->logpiv[L->nsteps] = (uint32_t)piv;
	L->logoff[L->nsteps++] = s0;
	/* the pivot row's ones right of c */
	prow = L->rmat + piv * wc;
	for (t = w0; t < wc; t++) {
		uint64_t v = prow[t];
		if (t == w0)
			v &= ~(uint64_t)0 << (c & 63) << 1;
		while (v) {
			L->pcols[np++] =
				(uint32_t)(t * 64 + (size_t)__builtin_ctzll(v));
			v &= v - 1;
		}
	}
	for (u = 0; u < np; u++) {
		uint64_t *dst = L->mat + (size_t)L->pcols[u] * wr;
		size_t q;
		for (q = 0; q < nsw; q++)
			dst[L->swords[q]] ^= col[L->swords[q]] &
				~used[L->swords[q]];
	}
	/* the pivot row's non-zero words from w0 on */
	npw = 0;
	for (t = w0; t < wc; t++)
		if (prow[t])
			L->pwords[npw++] = t;
	for (u = s0; u < L->loglen; u++) {
		uint64_t *dst = L->rmat + (size_t)L->loglist[u] * wc;
		size_t q;
		for (q = 0; q < npw; q++)
			dst[L->pwords[q]] ^= prow[L->pwords[q]];
	}
	for (u = 0; u < nsw; u++)
		col[L->swords[u]] &= used[L->swords[u]];
	return 0;
}

/*
 * 4: the dense phase from column c on: once a column is held by many
 * rows the rows are dense too; elimination goes on over the row bitsets
 * of the unused rows alone, still logging (pivot, S).
 */
static int sparse_dense(struct linalg_sparse *L, uint32_t c)
{
	uint32_t r;
	size_t wc = L->wc;

	L->nul = 0;
	for (r = 0; r < L->nlive; r++)
		if (!(L->used[r >> 6] >> (r & 63) & 1))
			L->ul[L->nul++] = r;
	for (; c < L->nact; c++) {
		size_t w0 = c >> 6, t, u, s0;
		uint64_t bit = (uint64_t)1 << (c & 63);
		const uint64_t *prow;
		uint32_t piv;
		for (u = 0; u < L->nul; u++)
			if (L->rmat[(size_t)L->ul[u] * wc + w0] & bit)
				break;
		if (u == L->nul)
			continue;
		piv = L->ul[u];
		L->ul[u] = L->ul[--L->nul];
		L->used[piv >> 6] |= (uint64_t)1 << (piv & 63);
		prow = L->rmat + (size_t)piv * wc;
		s0 = L->loglen;
		for (u = 0; u < L->nul; u++) {
			uint64_t *dst = L->rmat + (size_t)L->ul[u] * wc;
			if (!(dst[w0] & bit))
				continue;
			if (sparse_log(L, L->ul[u]) != STATUS_OK)
				return STATUS_ERR_NOMEM;
			for (t = w0; t < wc; t++)
				dst[t] ^= prow[t];
		}
		L->logpiv[L->nsteps] = piv;
		L->logoff[L->nsteps++] = s0;
	}
	return STATUS_OK;
}

/*
 * The unused rows are now zero: each of the first SIQS_MAX_DEPS starts a
 * dependency, and walking the log backwards (a pivot's mask gets the XOR
 * of the masks of the rows it was added to) expresses them in input rows.
 */
static int sparse_deps(struct linalg_sparse *L, uint64_t *deps, int *ndeps)
{
	uint32_t r, k = 0;

	L->logoff[L->nsteps] = L->loglen;
	for (r = 0; r < L->nlive && k < SIQS_MAX_DEPS; r++)
		if (!(L->used[r >> 6] >> (r & 63) & 1))
			L->mask[r] = (uint64_t)1 << k++;
	*ndeps = (int)k;
	while (L->nsteps-- > 0) {
		uint64_t acc = 0;
		size_t u;
		for (u = L->logoff[L->nsteps]; u < L->logoff[L->nsteps + 1];
		     u++)
			acc ^= L->mask[L->loglist[u]];
		L->mask[L->logpiv[L->nsteps]] ^= acc;
	}
	for (r = 0; r < L->nlive; r++)
		deps[L->rowid[r]] = L->mask[r];
	return k > 0 ? STATUS_OK : STATUS_NOT_FOUND;
}

static int linalg_sparse(uint32_t nrows, uint32_t ncols,
			 const uint32_t *row_start, const uint32_t *cols,
			 uint64_t *deps, int *ndeps)
{
	struct linalg_sparse L;
	int status = STATUS_ERR_NOMEM, dense = 0;
	uint32_t c;

	memset(&L, 0, sizeof L);
	L.nrows = nrows;
	L.ncols = ncols;
	L.row_start = row_start;
	L.cols = cols;
	L.weight = calloc((size_t)ncols + 1, sizeof *L.weight);
	L.colmap = malloc(((size_t)ncols + 1) * sizeof *L.colmap);
	L.alive = malloc((size_t)nrows + 1);
	L.rowid = malloc(((size_t)nrows + 1) * sizeof *L.rowid);
	L.order = malloc(((size_t)ncols + 1) * sizeof *L.order);
	if (!L.weight || !L.colmap || !L.alive || !L.rowid || !L.order)
		goto cleanup;
	status = sparse_filter(&L);
	if (status == STATUS_OK)
		status = sparse_build(&L);
	for (c = 0; status == STATUS_OK && c < L.nact; c++) {
		int st = sparse_step(&L, c);
		if (st == 1) {
			dense = 1; /* c is redone by rows */
			break;
		}
		status = st;
	}
	if (status == STATUS_OK && dense)
		status = sparse_dense(&L, c);
	if (status == STATUS_OK)
		status = sparse_deps(&L, deps, ndeps);

cleanup:
	free(L.weight);
	free(L.colmap);
	free(L.alive);
	free(L.rowid);
	free(L.order);
	free(L.mat);
	free(L.rmat);
	free(L.loglist);
	free(L.logoff);
	free(L.swords);
	free(L.pwords);
	free(L.logpiv);
	free(L.used);
	free(L.mask);
	free(L.pcols);
	free(L.ul);
	return status;
}

int siqs_linalg(uint32_t nrows, uint32_t ncols, const uint32_t *row_start,
		const uint32_t *cols, uint64_t *deps, int *ndeps)
{
	return siqs_linalg_solve_opts(nrows, ncols, row_start, cols, deps,
				      ndeps, NULL);
}

/* The path by size: dense, merged then dense, or sparse (top comment). */
int siqs_linalg_solve_opts(uint32_t nrows, uint32_t ncols,
			   const uint32_t *row_start, const uint32_t *cols,
			   uint64_t *deps, int *ndeps,
			   const struct siqs_linalg_opts *opts)
{
	int avx2 = !(opts && opts->scalar) && linalg_avx2();

	*ndeps = 0;
	memset(deps, 0, (size_t)nrows * sizeof *deps);
	if (nrows <= LINALG_SMALL)
		return linalg_small(nrows, ncols, row_start, cols, deps, ndeps,
				    avx2);
	if (nrows <= LINALG_MID)
		return linalg_mid(nrows, ncols, row_start, cols, deps, ndeps,
				  avx2);
	return linalg_sparse(nrows, ncols, row_start, cols, deps, ndeps);
}
