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
	if (2 * (S->rels.lp_used + 1) > S->rels.lp_cap) {
		size_t nc = S->rels.lp_cap ? 2 * S->rels.lp_cap : 1024, u;
		uint32_t *nk = calloc(nc, sizeof *nk), *nf = malloc(nc * sizeof *nf);
		if (!nk || !nf) {
			free(nk);
			free(nf);
			return STATUS_ERR_NOMEM;
		}
		for (u = 0; u < S->rels.lp_cap; u++) {
			if (!S->rels.lp_key[u])
				continue;
			h = (S->rels.lp_key[u] * 2654435761u) & (nc - 1);
			while (nk[h])
				h = (h + 1) & (nc - 1);
			nk[h] = S->rels.lp_key[u];
			nf[h] = S->rels.lp_first[u];
		}
		free(S->rels.lp_key);
		free(S->rels.lp_first);
		S->rels.lp_key = nk;
		S->rels.lp_first = nf;
		S->rels.lp_cap = nc;
	}
	mask = S->rels.lp_cap - 1;
	h = (lp * 2654435761u) & mask;
	while (S->rels.lp_key[h] && S->rels.lp_key[h] != lp)
		h = (h + 1) & mask;
	if (S->rels.lp_key[h] == lp) {
		*found = 1;
		return STATUS_OK;
	}
	*found = 0;
	S->rels.lp_key[h] = lp;
	S->rels.lp_first[h] = idx;
	S->rels.lp_used++;
	return STATUS_OK;
}

uint32_t siqs_lp_lookup(const struct siqs *S, uint32_t lp)
{
	size_t mask = S->rels.lp_cap - 1, h = (lp * 2654435761u) & mask;
	while (S->rels.lp_key[h] != lp)
		h = (h + 1) & mask;
	return S->rels.lp_first[h];
}

/*
 * Store a relation: its factor-base indices, large prime (1: full) and
 * y = A x + B as ysize limbs (GMP's signed size) at yl.  The limbs go to
 * one pool: no allocation per relation.
 */
int siqs_add_rel(struct siqs *S, const uint32_t *fac, uint32_t nfac,
		   uint32_t lp, const mp_limb_t *yl, int ysize)
{
	struct siqs_rel *r;
	int found = 0, st;
	size_t yn = (size_t)(ysize < 0 ? -ysize : ysize);
	void *g;
	if (!(g = siqs_grow(S->rels.rel, &S->rels.cap_rel, S->rels.nrel + 1, sizeof *S->rels.rel, 1024)))
		return STATUS_ERR_NOMEM;
	S->rels.rel = g;
	if (!(g = siqs_grow(S->rels.pool, &S->rels.cap_pool, S->rels.npool + nfac, sizeof *S->rels.pool,
		       65536)))
		return STATUS_ERR_NOMEM;
	S->rels.pool = g;
	if (!(g = siqs_grow(S->rels.ylimb, &S->rels.cap_ylimb, S->rels.nylimb + yn,
		       sizeof *S->rels.ylimb, 4096)))
		return STATUS_ERR_NOMEM;
	S->rels.ylimb = g;
	if (lp > 1) {
		st = lp_insert(S, lp, (uint32_t)S->rels.nrel, &found);
		if (st != STATUS_OK)
			return st;
		if (found)
			S->rels.ncycle++;
	} else {
		S->rels.nfull++;
	}
	r = &S->rels.rel[S->rels.nrel++];
	r->yoff = S->rels.nylimb;
	r->ysize = ysize;
	if (yn)
		memcpy(S->rels.ylimb + S->rels.nylimb, yl, yn * sizeof *yl);
	S->rels.nylimb += yn;
	r->off = S->rels.npool;
	r->nfac = nfac;
	r->lp = lp;
	memcpy(S->rels.pool + S->rels.npool, fac, nfac * sizeof *fac);
	S->rels.npool += nfac;
	return STATUS_OK;
}
