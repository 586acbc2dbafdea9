/*
 * siqs_linalg.c - dependencies of the SIQS exponent matrix over GF(2).
 *
 * Input: one row per (combined) relation, listing the factor-base columns
 * with an odd exponent.  Output: up to SIQS_MAX_DEPS sets of rows whose
 * sum is the zero vector.
 *
 * Steps:
 *   1. Filtering: drop every row that holds a column of weight one (a
 *      singleton can never cancel), repeated until none is left; drop
 *      columns of weight zero; keep at most (active columns + 96) rows.
 *   2. Order the active columns by ascending weight.  Eliminating the
 *      sparse columns (large primes) first touches few rows, so the
 *      fill-in reaches the dense columns (-1, 2, 3, ...) only when most
 *      rows are already pivots: the cheap half of structured Gaussian
 *      elimination (Pomerance and Smith, "Reduction of huge, sparse
 *      matrices over finite fields via created catastrophes", 1992).
 *   3. Forward elimination with the matrix stored by columns, each a
 *      bitset over the rows (64 rows a word).  Adding the pivot row to the
 *      set S of other unused rows holding the pivot column flips S in
 *      every column where the pivot row has a one, so a step costs the
 *      pivot row's weight times rows/64 words; sparse columns first keep
 *      those weights small.  Each step logs (pivot, S).  Rows never used
 *      as pivots end as zero vectors; each seeds a dependency bit, and
 *      walking the log backwards (a pivot's mask gets the XOR of the
 *      masks of the rows it was added to) expresses them in input rows.
 *      This replaces the identity block of textbook Gaussian elimination
 *      (Knuth, TAOCP vol. 2, 4.6.2, Algorithm N, is the row version).
 *
 * Invariant: after step t, every row vector equals the XOR of the input
 * rows named by mask-propagation through log entries t-1 .. 0; dropped
 * columns are zero in every kept row.
 */
#include <stdlib.h>
#include <string.h>

#include "siqs_int.h"
#include "status.h"

enum { LINALG_EXCESS = 96 };

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

int siqs_linalg(uint32_t nrows, uint32_t ncols, const uint32_t *row_start,
		const uint32_t *cols, uint64_t *deps, int *ndeps)
{
	int status = STATUS_ERR_NOMEM;
	uint32_t *weight = NULL, *colmap = NULL, *rowid = NULL;
	uint64_t *order = NULL, *mat = NULL, *log = NULL, *used = NULL;
	uint64_t *mask = NULL;
	uint32_t *logpiv = NULL, *pcols = NULL;
	size_t wr, nsteps;
	uint8_t *alive = NULL;
	uint32_t r, c, nact = 0, nlive = 0, k;
	int changed;

	*ndeps = 0;
	memset(deps, 0, (size_t)nrows * sizeof *deps);
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
	 * 3. Elimination on columns stored as bitsets over the rows.  Adding
	 * the pivot row to the rows S (those of column c still unused) flips
	 * S in every column where the pivot row has a one: the cost is the
	 * pivot row's weight times nlive/64 words.  Each step logs S; the
	 * dependencies are traced back through the log at the end.
	 */
	wr = ((size_t)nlive + 63) / 64;
	mat = calloc((size_t)nact * wr, sizeof *mat);
	log = malloc((size_t)nact * wr * sizeof *log);
	logpiv = malloc(((size_t)nact + 1) * sizeof *logpiv);
	used = calloc(wr, sizeof *used);
	mask = calloc((size_t)nlive, sizeof *mask);
	pcols = malloc(((size_t)nact + 1) * sizeof *pcols);
	if (!mat || !log || !logpiv || !used || !mask || !pcols)
		goto cleanup;
	for (r = 0; r < nlive; r++) {
		uint32_t orig = rowid[r];
		for (k = row_start[orig]; k < row_start[orig + 1]; k++) {
			uint32_t cc = colmap[cols[k]];
			if (cc != UINT32_MAX)
				mat[(size_t)cc * wr + (r >> 6)] ^=
					(uint64_t)1 << (r & 63);
		}
	}
	nsteps = 0;
	for (c = 0; c < nact; c++) {
		uint64_t *col = mat + (size_t)c * wr, *sl;
		size_t t, piv = SIZE_MAX, np = 0, u;
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
		/* S: rows of column c still unused, pivot excluded */
		sl = log + nsteps * wr;
		for (t = 0; t < wr; t++)
			sl[t] = col[t] & ~used[t];
		logpiv[nsteps++] = (uint32_t)piv;
		/* the pivot row's ones right of c */
		for (u = c + 1; u < nact; u++)
			if (mat[u * wr + (piv >> 6)] >> (piv & 63) & 1)
				pcols[np++] = (uint32_t)u;
		for (u = 0; u < np; u++) {
			uint64_t *dst = mat + (size_t)pcols[u] * wr;
			for (t = 0; t < wr; t++)
				dst[t] ^= sl[t];
		}
		for (t = 0; t < wr; t++)
			col[t] &= used[t];
	}

	/* unused rows are now zero: each one starts a dependency */
	k = 0;
	for (r = 0; r < nlive && k < SIQS_MAX_DEPS; r++)
		if (!(used[r >> 6] >> (r & 63) & 1))
			mask[r] = (uint64_t)1 << k++;
	*ndeps = (int)k;
	while (nsteps-- > 0) {
		const uint64_t *sl = log + nsteps * wr;
		uint64_t acc = 0;
		size_t t;
		for (t = 0; t < wr; t++) {
			uint64_t v = sl[t];
			while (v) {
				acc ^= mask[t * 64 + (size_t)__builtin_ctzll(v)];
				v &= v - 1;
			}
		}
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
	free(log);
	free(logpiv);
	free(used);
	free(mask);
	free(pcols);
	return status;
}
