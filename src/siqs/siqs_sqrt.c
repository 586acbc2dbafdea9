/*
 * siqs_sqrt.c - SIQS square root: dependencies to a factor of n.
 *
 * Purpose: step 7 of src/siqs/siqs.c's outline.  siqs_try_deps builds the
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

/*
 * The exponent matrix mod 2: a row per full relation and per pair of
 * partials sharing a large prime (row_a[r], and row_b[r] or UINT32_MAX),
 * in CSR form (row_start, cols) with the odd-exponent columns only.
 */
struct siqs_matrix {
	size_t nrows;
	uint32_t *row_a, *row_b, *row_start, *cols;
	uint32_t *cnt;  /* per column, zero between uses */
	uint32_t *lps;  /* one dependency's large primes */
	uint64_t *deps; /* bit d of deps[r]: row r is in dependency d */
};

/* The rows: each full relation, each partial with its large prime's first. */
static void siqs_matrix_rows(const struct siqs *S, struct siqs_matrix *m)
{
	size_t u;

	m->nrows = 0;
	for (u = 0; u < S->rels.nrel; u++) {
		if (S->rels.rel[u].lp == 1) {
			m->row_a[m->nrows] = (uint32_t)u;
			m->row_b[m->nrows++] = UINT32_MAX;
		} else {
			uint32_t first = siqs_lp_lookup(S, S->rels.rel[u].lp);
			if (first != u) {
				m->row_a[m->nrows] = first;
				m->row_b[m->nrows++] = (uint32_t)u;
			}
		}
	}
}

/*
 * The odd-exponent columns of every row: the factor-base indices of its
 * relations, parities toggled in cnt (all zero between rows), each odd
 * one kept at its first occurrence and cleared.
 */
static int siqs_matrix_cols(const struct siqs *S, struct siqs_matrix *m)
{
	size_t r, cap_cols = 0, ncols_used = 0;

	for (r = 0; r < m->nrows; r++) {
		cap_cols += S->rels.rel[m->row_a[r]].nfac;
		if (m->row_b[r] != UINT32_MAX)
			cap_cols += S->rels.rel[m->row_b[r]].nfac;
	}
	m->cols = malloc((cap_cols + 1) * sizeof *m->cols);
	m->deps = malloc((m->nrows + 1) * sizeof *m->deps);
	if (!m->cols || !m->deps)
		return STATUS_ERR_NOMEM;
	for (r = 0; r < m->nrows; r++) {
		const struct siqs_rel *ra = &S->rels.rel[m->row_a[r]];
		size_t start = ncols_used, a, k;
		m->row_start[r] = (uint32_t)start;
		for (a = 0; a < ra->nfac; a++)
			m->cols[ncols_used++] = S->rels.pool[ra->off + a];
		if (m->row_b[r] != UINT32_MAX) {
			const struct siqs_rel *rb = &S->rels.rel[m->row_b[r]];
			for (a = 0; a < rb->nfac; a++)
				m->cols[ncols_used++] = S->rels.pool[rb->off + a];
		}
		for (a = start; a < ncols_used; a++)
			m->cnt[m->cols[a]] ^= 1;
		k = start;
		for (a = start; a < ncols_used; a++)
			if (m->cnt[m->cols[a]]) {
				m->cnt[m->cols[a]] = 0;
				m->cols[k++] = m->cols[a];
			}
		ncols_used = k;
	}
	m->row_start[m->nrows] = (uint32_t)ncols_used;
	return STATUS_OK;
}

/*
 * X = prod (A x + B) over the relations of dependency d (reduced only
 * past twice n's limbs), their exponents summed into cnt and their large
 * primes listed in lps; returns the count of large primes.
 */
static size_t siqs_dep_x(const struct siqs *S, struct siqs_matrix *m, int d,
			 mpz_t X)
{
	size_t r, nlp = 0, a;
	mpz_t yv;

	memset(m->cnt, 0, S->fb.fb_n * sizeof *m->cnt);
	mpz_set_ui(X, 1);
	for (r = 0; r < m->nrows; r++) {
		uint32_t pair[2];
		int h;
		if (!(m->deps[r] >> d & 1))
			continue;
		pair[0] = m->row_a[r];
		pair[1] = m->row_b[r];
		for (h = 0; h < 2; h++) {
			const struct siqs_rel *rr;
			if (pair[h] == UINT32_MAX)
				continue;
			rr = &S->rels.rel[pair[h]];
			mpz_mul(X, X, mpz_roinit_n(yv, S->rels.ylimb + rr->yoff,
						   rr->ysize));
			if (mpz_size(X) > 2 * mpz_size(S->fb.n))
				mpz_mod(X, X, S->fb.n);
			for (a = 0; a < rr->nfac; a++)
				m->cnt[S->rels.pool[rr->off + a]]++;
			if (rr->lp > 1)
				m->lps[nlp++] = rr->lp;
		}
	}
	return nlp;
}

/*
 * Y = sqrt(prod A Q(x)) mod n from the exponents in cnt and the nlp
 * large primes in lps; STATUS_NOT_FOUND when an exponent is odd or the
 * large primes do not pair (not a square).  Prime powers are gathered
 * in one 64-bit word, one multiply per full word.
 */
static int siqs_dep_y(const struct siqs *S, struct siqs_matrix *m,
		      size_t nlp, mpz_t Y)
{
	uint32_t j, F = S->fb.fb_n;
	uint64_t w = 1;
	size_t a;

	for (j = 0; j < F; j++)
		if (m->cnt[j] & 1)
			return STATUS_NOT_FOUND;
	mpz_set_ui(Y, 1);
	siqs_sort_u32(m->lps, nlp);
	for (a = 0; a + 1 < nlp; a += 2) {
		if (m->lps[a] != m->lps[a + 1])
			return STATUS_NOT_FOUND;
		mpz_mul_ui(Y, Y, m->lps[a]);
		if (mpz_size(Y) > 2 * mpz_size(S->fb.n))
			mpz_mod(Y, Y, S->fb.n);
	}
	if (nlp & 1)
		return STATUS_NOT_FOUND;
	for (j = 1; j < F; j++) {
		uint32_t e = m->cnt[j] / 2, p = S->fb.prime[j];
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
	return STATUS_OK;
}

int siqs_try_deps(struct siqs *S, mpz_t f)
{
	struct siqs_matrix m;
	int status = STATUS_ERR_NOMEM, ndeps = 0, d;
	uint32_t F = S->fb.fb_n;
	mpz_t X, Y;

	memset(&m, 0, sizeof m);
	mpz_init(X);
	mpz_init(Y);
	m.row_a = malloc((S->rels.nrel + 1) * sizeof *m.row_a);
	m.row_b = malloc((S->rels.nrel + 1) * sizeof *m.row_b);
	m.row_start = malloc((S->rels.nrel + 2) * sizeof *m.row_start);
	m.cnt = calloc(F, sizeof *m.cnt);
	m.lps = malloc((2 * S->rels.nrel + 1) * sizeof *m.lps);
	if (!m.row_a || !m.row_b || !m.row_start || !m.cnt || !m.lps)
		goto cleanup;
	siqs_matrix_rows(S, &m);
	if (siqs_matrix_cols(S, &m) != STATUS_OK)
		goto cleanup;
	status = siqs_linalg((uint32_t)m.nrows, F, m.row_start, m.cols, m.deps,
			     &ndeps);
	if (status != STATUS_OK)
		goto cleanup;
	status = STATUS_NOT_FOUND;
	for (d = 0; d < ndeps; d++) {
		size_t nlp = siqs_dep_x(S, &m, d, X);
		if (siqs_dep_y(S, &m, nlp, Y) != STATUS_OK)
			continue;
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
	mpz_clear(X);
	mpz_clear(Y);
	free(m.row_a);
	free(m.row_b);
	free(m.row_start);
	free(m.cols);
	free(m.cnt);
	free(m.lps);
	free(m.deps);
	return status;
}
