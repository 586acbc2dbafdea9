/*
 * siqs_sqrt.c - SIQS square root: dependencies to a factor of n.
 *
 * Purpose: step 7 of src/siqs/siqs.c's outline.  siqs_try_deps builds the
 * exponent matrix mod 2 (a row per full relation and per cycle of the
 * large-prime graph, siqs_build_cycles: the XOR of its relations'
 * exponent vectors), hands it to siqs_linalg, and tries each dependency:
 * X = prod (A x + B) over every relation of every row, Y = sqrt(prod A
 * Q(x)) from the summed exponents and the large primes, each of which
 * occurs an even number of times and is divided out squared (taken once
 * into Y), gcd(X - Y, n).
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
 * The exponent matrix mod 2: a row per full relation and per cycle of
 * the large-prime graph (rows.mem lists each row's relations, see
 * siqs_build_cycles), in CSR form (row_start, cols) with the
 * odd-exponent columns only.
 */
struct siqs_matrix {
	struct siqs_cycles rows;
	uint32_t *row_start, *cols;
	uint32_t *cnt;  /* per column, zero between uses */
	uint32_t *lps;  /* one dependency's large primes */
	uint64_t *deps; /* bit d of deps[r]: row r is in dependency d */
};

/*
 * The odd-exponent columns of every row: the factor-base indices of its
 * relations (the XOR of their exponent vectors), parities toggled in cnt
 * (all zero between rows), each odd one kept at its first occurrence
 * and cleared.
 */
static int siqs_matrix_cols(const struct siqs *S, struct siqs_matrix *m)
{
	size_t r, k, cap_cols = 0, ncols_used = 0, nrows = m->rows.nrows;

	for (k = 0; k < m->rows.nmem; k++)
		cap_cols += S->rels.rel[m->rows.mem[k]].nfac;
	m->cols = malloc((cap_cols + 1) * sizeof *m->cols);
	m->deps = malloc((nrows + 1) * sizeof *m->deps);
	m->row_start = malloc((nrows + 1) * sizeof *m->row_start);
	if (!m->cols || !m->deps || !m->row_start)
		return STATUS_ERR_NOMEM;
	for (r = 0; r < nrows; r++) {
		size_t start = ncols_used, a;
		m->row_start[r] = (uint32_t)start;
		for (k = m->rows.start[r]; k < m->rows.start[r + 1]; k++) {
			const struct siqs_rel *rr =
				&S->rels.rel[m->rows.mem[k]];
			for (a = 0; a < rr->nfac; a++)
				m->cols[ncols_used++] =
					S->rels.pool[rr->off + a];
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
	m->row_start[nrows] = (uint32_t)ncols_used;
	return STATUS_OK;
}

/*
 * X = prod (A x + B) over the relations of dependency d (reduced only
 * past twice n's limbs; a relation in several of its rows counts each
 * time), their exponents summed into cnt and their large primes listed
 * in lps; returns the count of large primes.
 */
static size_t siqs_dep_x(const struct siqs *S, struct siqs_matrix *m, int d,
			 mpz_t X)
{
	size_t r, nlp = 0, a, k;
	mpz_t yv;

	memset(m->cnt, 0, S->fb.fb_n * sizeof *m->cnt);
	mpz_set_ui(X, 1);
	for (r = 0; r < m->rows.nrows; r++) {
		if (!(m->deps[r] >> d & 1))
			continue;
		for (k = m->rows.start[r]; k < m->rows.start[r + 1]; k++) {
			const struct siqs_rel *rr =
				&S->rels.rel[m->rows.mem[k]];
			mpz_mul(X, X,
				mpz_roinit_n(yv, S->rels.ylimb + rr->yoff,
					     rr->ysize));
			if (mpz_size(X) > 2 * mpz_size(S->fb.n))
				mpz_mod(X, X, S->fb.n);
			for (a = 0; a < rr->nfac; a++)
				m->cnt[S->rels.pool[rr->off + a]]++;
			if (rr->lp > 1)
				m->lps[nlp++] = rr->lp;
			if (rr->lp2 > 1)
				m->lps[nlp++] = rr->lp2;
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
static int siqs_dep_y(const struct siqs *S, struct siqs_matrix *m, size_t nlp,
		      mpz_t Y)
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

/*
 * params->check_rels: 1 when relation u is right, (A x + B)^2 - kN = the
 * product of its factor-base primes (index 0: -1) and large primes.
 */
static int rel_ok(const struct siqs *S, size_t u, mpz_t a, mpz_t b)
{
	const struct siqs_rel *r = &S->rels.rel[u];
	uint32_t k;
	mpz_t yv;

	mpz_mul(a, mpz_roinit_n(yv, S->rels.ylimb + r->yoff, r->ysize),
		mpz_roinit_n(yv, S->rels.ylimb + r->yoff, r->ysize));
	mpz_sub(a, a, S->fb.kn);
	mpz_set_ui(b, r->lp);
	mpz_mul_ui(b, b, r->lp2);
	for (k = 0; k < r->nfac; k++) {
		uint32_t j = S->rels.pool[r->off + k];
		if (j == 0)
			mpz_neg(b, b);
		else
			mpz_mul_ui(b, b, S->fb.prime[j]);
	}
	return mpz_cmp(a, b) == 0;
}

/*
 * params->check_rels: the faults of the rows, counted in rels.bad: a row
 * whose large primes do not each occur an even number of times, and a
 * relation whose values do not match (rel_ok).
 */
static void siqs_check_rows(struct siqs *S, struct siqs_matrix *m)
{
	size_t r, k, u, nlp;
	mpz_t a, b;

	mpz_inits(a, b, NULL);
	for (u = 0; u < S->rels.nrel; u++)
		S->rels.bad += !rel_ok(S, u, a, b);
	for (r = 0; r < m->rows.nrows; r++) {
		nlp = 0;
		for (k = m->rows.start[r]; k < m->rows.start[r + 1]; k++) {
			const struct siqs_rel *rr =
				&S->rels.rel[m->rows.mem[k]];
			if (rr->lp > 1)
				m->lps[nlp++] = rr->lp;
			if (rr->lp2 > 1)
				m->lps[nlp++] = rr->lp2;
		}
		siqs_sort_u32(m->lps, nlp);
		for (k = 0; k < nlp; k += 2)
			if (k + 1 >= nlp || m->lps[k] != m->lps[k + 1]) {
				S->rels.bad++;
				break;
			}
	}
	mpz_clears(a, b, NULL);
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
	if (siqs_build_cycles(&S->rels, &m.rows) != STATUS_OK)
		goto cleanup;
	m.cnt = calloc(F, sizeof *m.cnt);
	m.lps = malloc((2 * m.rows.nmem + 1) * sizeof *m.lps);
	if (!m.cnt || !m.lps || siqs_matrix_cols(S, &m) != STATUS_OK)
		goto cleanup;
	if (S->rels.check)
		siqs_check_rows(S, &m);
	status = siqs_linalg((uint32_t)m.rows.nrows, F, m.row_start, m.cols,
			     m.deps, &ndeps);
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
	siqs_cycles_clear(&m.rows);
	free(m.row_start);
	free(m.cols);
	free(m.cnt);
	free(m.lps);
	free(m.deps);
	return status;
}
