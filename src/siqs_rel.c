/*
 * siqs_rel.c - SIQS relations: the store and the large-prime pairing.
 *
 * Purpose: siqs_add_rel keeps each relation (factor-base indices with
 * repetition, large prime, y = A x + B as limbs) in pooled arrays, and
 * counts the full relations and the partials that pair with an earlier
 * one (single large prime variation); siqs_lp_lookup finds a large
 * prime's first partial.  Also the small utilities the phases share
 * (siqs_grow, siqs_sort_u32).
 *
 * Algorithm: an open-addressing hash table keyed by the large prime
 * (multiplicative hash, linear probing, at most half full); each later
 * partial with the same large prime pairs with the first one.
 *
 * Invariants: nfull + ncycle relations (fulls and pairs) are usable as
 * matrix rows; pool, ylimb and rel only grow during a run.
 */
#include <stdlib.h>
#include <string.h>

#include "siqs.h"
#include "siqs_int.h"
#include "status.h"

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

/*
 * Ascending sort: insertion sort for the short lists of one relation (a
 * few dozen entries; qsort's merge sort and callback were a tenth of the
 * 96-bit time), qsort above.
 */
void siqs_sort_u32(uint32_t *a, size_t n)
{
	size_t i, j;
	if (n > 64) {
		qsort(a, n, sizeof *a, cmp_u32);
		return;
	}
	for (i = 1; i < n; i++) {
		uint32_t v = a[i];
		for (j = i; j > 0 && a[j - 1] > v; j--)
			a[j] = a[j - 1];
		a[j] = v;
	}
}

static int lp_insert(struct siqs *S, uint32_t lp, uint32_t idx, int *found)
{
	size_t h, mask;
	if (2 * (S->lp_used + 1) > S->lp_cap) {
		size_t nc = S->lp_cap ? 2 * S->lp_cap : 1024, u;
		uint32_t *nk = calloc(nc, sizeof *nk), *nf = malloc(nc * sizeof *nf);
		if (!nk || !nf) {
			free(nk);
			free(nf);
			return STATUS_ERR_NOMEM;
		}
		for (u = 0; u < S->lp_cap; u++) {
			if (!S->lp_key[u])
				continue;
			h = (S->lp_key[u] * 2654435761u) & (nc - 1);
			while (nk[h])
				h = (h + 1) & (nc - 1);
			nk[h] = S->lp_key[u];
			nf[h] = S->lp_first[u];
		}
		free(S->lp_key);
		free(S->lp_first);
		S->lp_key = nk;
		S->lp_first = nf;
		S->lp_cap = nc;
	}
	mask = S->lp_cap - 1;
	h = (lp * 2654435761u) & mask;
	while (S->lp_key[h] && S->lp_key[h] != lp)
		h = (h + 1) & mask;
	if (S->lp_key[h] == lp) {
		*found = 1;
		return STATUS_OK;
	}
	*found = 0;
	S->lp_key[h] = lp;
	S->lp_first[h] = idx;
	S->lp_used++;
	return STATUS_OK;
}

uint32_t siqs_lp_lookup(const struct siqs *S, uint32_t lp)
{
	size_t mask = S->lp_cap - 1, h = (lp * 2654435761u) & mask;
	while (S->lp_key[h] != lp)
		h = (h + 1) & mask;
	return S->lp_first[h];
}

/*
 * Store a relation: its factor-base indices, large prime (1: full) and
 * y = A x + B as ysize limbs (GMP's signed size) at yl.  The limbs go to
 * one pool (was one mpz_init_set per relation: a malloc and a free each).
 */
int siqs_add_rel(struct siqs *S, const uint32_t *fac, uint32_t nfac,
		   uint32_t lp, const mp_limb_t *yl, int ysize)
{
	struct siqs_rel *r;
	int found = 0, st;
	size_t yn = (size_t)(ysize < 0 ? -ysize : ysize);
	void *g;
	if (!(g = siqs_grow(S->rel, &S->cap_rel, S->nrel + 1, sizeof *S->rel, 1024)))
		return STATUS_ERR_NOMEM;
	S->rel = g;
	if (!(g = siqs_grow(S->pool, &S->cap_pool, S->npool + nfac, sizeof *S->pool,
		       65536)))
		return STATUS_ERR_NOMEM;
	S->pool = g;
	if (!(g = siqs_grow(S->ylimb, &S->cap_ylimb, S->nylimb + yn,
		       sizeof *S->ylimb, 4096)))
		return STATUS_ERR_NOMEM;
	S->ylimb = g;
	if (lp > 1) {
		st = lp_insert(S, lp, (uint32_t)S->nrel, &found);
		if (st != STATUS_OK)
			return st;
		if (found)
			S->ncycle++;
	} else {
		S->nfull++;
	}
	r = &S->rel[S->nrel++];
	r->yoff = S->nylimb;
	r->ysize = ysize;
	if (yn)
		memcpy(S->ylimb + S->nylimb, yl, yn * sizeof *yl);
	S->nylimb += yn;
	r->off = S->npool;
	r->nfac = nfac;
	r->lp = lp;
	memcpy(S->pool + S->npool, fac, nfac * sizeof *fac);
	S->npool += nfac;
	return STATUS_OK;
}
