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
 *   3. Dense forward elimination on 64-bit words, each row carrying an
 *      identity block that records which input rows it is the sum of.
 *      A pivot row has no bits left of its pivot column, so each XOR
 *      starts at the pivot's word.  Rows never used as pivots end as
 *      zero vectors; their identity blocks are the dependencies.
 *
 * Invariant: for every unpivoted row, matrix part == XOR of the input rows
 * named by its identity block (restricted to active columns, and the
 * dropped columns are zero in every kept row).
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
	uint32_t *weight = NULL, *colmap = NULL, *rowid = NULL, *unused = NULL;
	uint64_t *order = NULL, *mat = NULL;
	uint8_t *alive = NULL;
	uint32_t r, c, nact = 0, nlive = 0, nun, k;
	size_t w_mat, w_id, stride;
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

	/* 3. dense elimination with identity block */
	w_mat = ((size_t)nact + 63) / 64;
	w_id = ((size_t)nlive + 63) / 64;
	stride = w_mat + w_id;
	mat = calloc((size_t)nlive * stride, sizeof *mat);
	unused = malloc((size_t)nlive * sizeof *unused);
	if (!mat || !unused)
		goto cleanup;
	for (r = 0; r < nlive; r++) {
		uint64_t *row = mat + (size_t)r * stride;
		uint32_t orig = rowid[r];
		for (k = row_start[orig]; k < row_start[orig + 1]; k++) {
			uint32_t cc = colmap[cols[k]];
			if (cc != UINT32_MAX)
				row[cc >> 6] ^= (uint64_t)1 << (cc & 63);
		}
		row[w_mat + (r >> 6)] |= (uint64_t)1 << (r & 63);
		unused[r] = r;
	}
	nun = nlive;
	for (c = 0; c < nact && nun > 0; c++) {
		size_t w = c >> 6, t;
		uint64_t bit = (uint64_t)1 << (c & 63);
		const uint64_t *prow;
		uint32_t piv;
		for (k = 0; k < nun; k++)
			if (mat[(size_t)unused[k] * stride + w] & bit)
				break;
		if (k == nun)
			continue;
		piv = unused[k];
		unused[k] = unused[--nun];
		prow = mat + (size_t)piv * stride;
		for (k = 0; k < nun; k++) {
			uint64_t *row = mat + (size_t)unused[k] * stride;
			if (!(row[w] & bit))
				continue;
			for (t = w; t < stride; t++)
				row[t] ^= prow[t];
		}
	}

	for (k = 0; k < nun && k < SIQS_MAX_DEPS; k++) {
		const uint64_t *row = mat + (size_t)unused[k] * stride;
		for (r = 0; r < nlive; r++)
			if (row[w_mat + (r >> 6)] >> (r & 63) & 1)
				deps[rowid[r]] |= (uint64_t)1 << k;
	}
	*ndeps = (int)k;
	status = k > 0 ? STATUS_OK : STATUS_NOT_FOUND;

cleanup:
	free(weight);
	free(colmap);
	free(alive);
	free(rowid);
	free(order);
	free(mat);
	free(unused);
	return status;
}
