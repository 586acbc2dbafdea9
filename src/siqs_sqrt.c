/*
 * siqs_sqrt.c - SIQS square root: dependencies to a factor of n.
 *
 * Purpose: step 7 of src/siqs.c's outline.  siqs_try_deps builds the
 * exponent matrix mod 2 (a row per full relation and per pair of partials
 * with one large prime), hands it to siqs_linalg, and tries each
 * dependency: X = prod (A x + B), Y = sqrt(prod A Q(x)) from the summed
 * exponents and the paired large primes, gcd(X - Y, n).
 *
 * Algorithm: odd-exponent columns by parity toggles; Y's prime powers
 * gathered in 64-bit words, one multiply per full word; X and Y reduced
 * mod n only past twice n's limbs (Pomerance 1984; Contini 1997, 2.6).
 *
 * Invariants: a dependency whose exponents are not all even or whose
 * large primes do not pair is skipped; the factor returned is 1 < f < n.
 */
#include <stdlib.h>
#include <string.h>

#include "siqs.h"
#include "siqs_int.h"
#include "status.h"

int siqs_try_deps(struct siqs *S, mpz_t f)
{
	int status = STATUS_ERR_NOMEM, ndeps = 0, d;
	size_t nrows = 0, r, u, cap_cols = 0, ncols_used = 0;
	uint32_t *row_a = NULL, *row_b = NULL, *row_start = NULL, *cols = NULL;
	uint32_t *cnt = NULL, *lps = NULL, *tmp = NULL;
	uint64_t *deps = NULL;
	uint32_t F = S->fb.fb_n;
	mpz_t X, Y, yv;

	mpz_init(X);
	mpz_init(Y);
	row_a = malloc((S->rels.nrel + 1) * sizeof *row_a);
	row_b = malloc((S->rels.nrel + 1) * sizeof *row_b);
	row_start = malloc((S->rels.nrel + 2) * sizeof *row_start);
	cnt = calloc(F, sizeof *cnt);
	lps = malloc((2 * S->rels.nrel + 1) * sizeof *lps);
	if (!row_a || !row_b || !row_start || !cnt || !lps)
		goto cleanup;
	for (u = 0; u < S->rels.nrel; u++) {
		if (S->rels.rel[u].lp == 1) {
			row_a[nrows] = (uint32_t)u;
			row_b[nrows++] = UINT32_MAX;
		} else {
			uint32_t first = siqs_lp_lookup(S, S->rels.rel[u].lp);
			if (first != u) {
				row_a[nrows] = first;
				row_b[nrows++] = (uint32_t)u;
			}
		}
	}
	/* odd-exponent columns of each row */
	cap_cols = 0;
	for (r = 0; r < nrows; r++) {
		cap_cols += S->rels.rel[row_a[r]].nfac;
		if (row_b[r] != UINT32_MAX)
			cap_cols += S->rels.rel[row_b[r]].nfac;
	}
	cols = malloc((cap_cols + 1) * sizeof *cols);
	deps = malloc((nrows + 1) * sizeof *deps);
	if (!cols || !deps)
		goto cleanup;
	for (r = 0; r < nrows; r++) {
		const struct siqs_rel *ra = &S->rels.rel[row_a[r]];
		size_t start = ncols_used, a, m;
		row_start[r] = (uint32_t)start;
		for (a = 0; a < ra->nfac; a++)
			cols[ncols_used++] = S->rels.pool[ra->off + a];
		if (row_b[r] != UINT32_MAX) {
			const struct siqs_rel *rb = &S->rels.rel[row_b[r]];
			for (a = 0; a < rb->nfac; a++)
				cols[ncols_used++] = S->rels.pool[rb->off + a];
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
				rr = &S->rels.rel[pair[h]];
				mpz_mul(X, X, mpz_roinit_n(yv, S->rels.ylimb + rr->yoff,
							   rr->ysize));
				/* reduced only past twice n's limbs: a third
				 * of the reductions at 96 bits */
				if (mpz_size(X) > 2 * mpz_size(S->fb.n))
					mpz_mod(X, X, S->fb.n);
				for (a = 0; a < rr->nfac; a++)
					cnt[S->rels.pool[rr->off + a]]++;
				if (rr->lp > 1)
					lps[nlp++] = rr->lp;
			}
		}
		for (j = 0; j < F; j++)
			if (cnt[j] & 1)
				bad = 1;
		if (bad)
			continue;
		siqs_sort_u32(lps, nlp);
		for (a = 0; a + 1 < nlp; a += 2) {
			if (lps[a] != lps[a + 1]) {
				bad = 1;
				break;
			}
			mpz_mul_ui(Y, Y, lps[a]);
			if (mpz_size(Y) > 2 * mpz_size(S->fb.n))
				mpz_mod(Y, Y, S->fb.n);
		}
		if (bad || (nlp & 1))
			continue;
		/* prod p^(e/2): prime powers gathered in one word, then one
		 * multiply per full word (was a powm per prime) */
		{
			uint64_t w = 1;
			for (j = 1; j < F; j++) {
				uint32_t e = cnt[j] / 2, p = S->fb.prime[j];
				while (e--) {
					if ((uint64_t)(((siqs_u128)w * p) >> 64)) {
						mpz_mul_ui(Y, Y, w);
						if (mpz_size(Y) > 2 * mpz_size(S->fb.n))
							mpz_mod(Y, Y, S->fb.n);
						w = 1;
					}
					w *= p;
				}
			}
			mpz_mul_ui(Y, Y, w);
			mpz_mod(Y, Y, S->fb.n);
		}
		mpz_mod(X, X, S->fb.n);
		mpz_sub(X, X, Y);
		mpz_gcd(X, X, S->fb.n);
		if (mpz_cmp_ui(X, 1) > 0 && mpz_cmp(X, S->fb.n) < 0) {
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
