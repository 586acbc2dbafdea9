/*
 * siqs_int.h - declarations shared by the SIQS files (private).
 *
 * Files:
 *   siqs.c         driver: parameters, multiplier, factor base, polynomials,
 *                  sieve, trial division, relations, square root
 *   siqs_linalg.c  filtering and Gaussian elimination over GF(2)
 */
#ifndef FACTORIZE_SIQS_INT_H
#define FACTORIZE_SIQS_INT_H

#include <stdint.h>

/* At most this many dependencies come back from siqs_linalg (one bit each). */
enum { SIQS_MAX_DEPS = 64 };

/*
 * Find dependencies among the rows of a sparse GF(2) matrix given in CSR
 * form: row r has the columns cols[row_start[r] .. row_start[r + 1] - 1],
 * each < ncols and distinct within the row.  On STATUS_OK, deps[r] (nrows
 * entries, caller-allocated) has bit k set when row r belongs to
 * dependency k, k < *ndeps; the rows of one dependency sum to zero.
 * Returns STATUS_NOT_FOUND when no dependency exists, STATUS_ERR_NOMEM.
 */
int siqs_linalg(uint32_t nrows, uint32_t ncols, const uint32_t *row_start,
		const uint32_t *cols, uint64_t *deps, int *ndeps);

/* Options of siqs_linalg_solve_opts; all zero: siqs_linalg's defaults. */
struct siqs_linalg_opts {
	/* non-zero: the portable kernels only, no AVX2 (the tests check both
	 * give the same dependencies); default 0 */
	int scalar;
};

/* siqs_linalg with options (NULL: the defaults). */
int siqs_linalg_solve_opts(uint32_t nrows, uint32_t ncols,
			   const uint32_t *row_start, const uint32_t *cols,
			   uint64_t *deps, int *ndeps,
			   const struct siqs_linalg_opts *opts);

#endif
