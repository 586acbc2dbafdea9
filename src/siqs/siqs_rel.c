/*
 * siqs_rel.c - SIQS relations: the store, the large-prime graph, cycles.
 *
 * Purpose: siqs_add_rel keeps each relation (factor-base indices with
 * repetition, up to two large primes, y = A x + B as limbs) in pooled
 * arrays and counts how many full relations the partials give;
 * siqs_build_cycles combines them into matrix rows.  Also the small
 * utilities the phases share (siqs_sort_u32).
 *
 * Algorithm (Lenstra and Manasse, "Factoring with two large primes",
 * Eurocrypt 1990 / Math. Comp. 63, 1994; Leyland, Lenstra, Dodson,
 * Muffett and Wagstaff, "MPQS with three large primes", ANTS 2002, for
 * the graph view; msieve's and yafu's relation filtering follow the same
 * design): the vertices are the large primes plus the vertex 0 for "1";
 * a partial with one large prime p is the edge (0, p), a partial-partial
 * with p, q the edge (p, q).  The large primes of a set of edges all
 * occur an even number of times exactly when every vertex has even
 * degree in it, so every cycle of the graph multiplies out to a full
 * relation.
 *   - Counting, as relations arrive: an open-addressing hash table maps
 *     each large prime to its vertex (multiplicative hash, linear
 *     probing, at most half full), and a union-find forest (union by
 *     size, path halving) over the vertices; an edge whose ends are
 *     already connected closes a cycle (ncycle++).  So ncycle = edges -
 *     vertices + components, the number of independent cycles.
 *   - Combining, at the end: a breadth-first spanning forest (vertex 0's
 *     component first, its edges in relation order, then every other
 *     component from its first vertex); each edge outside the forest
 *     gives the row "tree path between its ends, then the edge".  With
 *     single large primes only, the tree edge of p is its first partial
 *     and every later partial with p pairs with it, as in the single
 *     large prime variation.  A self-loop (cofactor p^2) is a row alone.
 *
 * Invariants: nfull + ncycle rows are available to the matrix and
 * siqs_build_cycles returns exactly that many; pool, ylimb and rel only
 * grow during a run; vertex v > 0 is the v-th distinct large prime seen.
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

/* The hash table doubled (at most half full after the insertion). */
static int lp_rehash(struct siqs_rels *R)
{
	size_t nc = R->lp_cap ? 2 * R->lp_cap : 1024, u, h;
	uint32_t *nk = calloc(nc, sizeof *nk), *nv = malloc(nc * sizeof *nv);
	if (!nk || !nv) {
		free(nk);
		free(nv);
		return STATUS_ERR_NOMEM;
	}
	for (u = 0; u < R->lp_cap; u++) {
		if (!R->lp_key[u])
			continue;
		h = (R->lp_key[u] * 2654435761u) & (nc - 1);
		while (nk[h])
			h = (h + 1) & (nc - 1);
		nk[h] = R->lp_key[u];
		nv[h] = R->lp_vert[u];
	}
	free(R->lp_key);
	free(R->lp_vert);
	R->lp_key = nk;
	R->lp_vert = nv;
	R->lp_cap = nc;
	return STATUS_OK;
}

/* The vertex of large prime lp (> 1), a new one when first seen. */
static int lp_vertex(struct siqs_rels *R, uint32_t lp, uint32_t *v)
{
	size_t h, mask;
	void *g;
	if (2 * (R->lp_used + 1) > R->lp_cap && lp_rehash(R) != STATUS_OK)
		return STATUS_ERR_NOMEM;
	mask = R->lp_cap - 1;
	h = (lp * 2654435761u) & mask;
	while (R->lp_key[h] && R->lp_key[h] != lp)
		h = (h + 1) & mask;
	if (R->lp_key[h] == lp) {
		*v = R->lp_vert[h];
		return STATUS_OK;
	}
	/* vertex 0 ("1") is created with the first one */
	if (R->nvert + 2 > R->cap_vert) {
		size_t cap = R->cap_vert;
		if (!(g = siqs_grow(R->uf_size, &cap, R->nvert + 2,
				    sizeof *R->uf_size, 1024)))
			return STATUS_ERR_NOMEM;
		R->uf_size = g;
		if (!(g = siqs_grow(R->uf_parent, &R->cap_vert, R->nvert + 2,
				    sizeof *R->uf_parent, 1024)))
			return STATUS_ERR_NOMEM;
		R->uf_parent = g;
	}
	if (R->nvert == 0) {
		R->uf_parent[0] = 0;
		R->uf_size[0] = 1;
		R->nvert = 1;
	}
	*v = (uint32_t)R->nvert++;
	R->uf_parent[*v] = *v;
	R->uf_size[*v] = 1;
	R->lp_key[h] = lp;
	R->lp_vert[h] = *v;
	R->lp_used++;
	return STATUS_OK;
}

/* The root of v's tree, halving the path on the way. */
static uint32_t uf_find(uint32_t *parent, uint32_t v)
{
	while (parent[v] != v) {
		parent[v] = parent[parent[v]];
		v = parent[v];
	}
	return v;
}

/* Join the trees of a and b; 1 when they were one already (a cycle). */
static int uf_union(struct siqs_rels *R, uint32_t a, uint32_t b)
{
	a = uf_find(R->uf_parent, a);
	b = uf_find(R->uf_parent, b);
	if (a == b)
		return 1;
	if (R->uf_size[a] < R->uf_size[b]) {
		uint32_t t = a;
		a = b;
		b = t;
	}
	R->uf_parent[b] = a;
	R->uf_size[a] += R->uf_size[b];
	return 0;
}

/* A 64-bit hash of |y|'s yn limbs, never 0 (the table's empty mark). */
static uint64_t y_hash(const mp_limb_t *yl, size_t yn)
{
	uint64_t h = 0x9e3779b97f4a7c15u ^ yn;
	size_t i;
	for (i = 0; i < yn; i++) {
		h ^= (uint64_t)yl[i];
		h *= 0xff51afd7ed558ccdu;
		h ^= h >> 32;
	}
	return h ? h : 1;
}

/*
 * 1 when |y| was stored already (a 64-bit hash match: a false match
 * drops one relation, never a wrong one kept), else 0 with its hash
 * recorded; STATUS_ERR_NOMEM.
 */
static int y_seen(struct siqs_rels *R, const mp_limb_t *yl, size_t yn)
{
	uint64_t h = y_hash(yl, yn);
	size_t i, mask;
	if (2 * (R->seen_used + 1) > R->seen_cap) {
		size_t nc = R->seen_cap ? 2 * R->seen_cap : 4096, u;
		uint64_t *nt = calloc(nc, sizeof *nt);
		if (!nt)
			return STATUS_ERR_NOMEM;
		for (u = 0; u < R->seen_cap; u++) {
			if (!R->seen_y[u])
				continue;
			i = (size_t)(R->seen_y[u] >> 7) & (nc - 1);
			while (nt[i])
				i = (i + 1) & (nc - 1);
			nt[i] = R->seen_y[u];
		}
		free(R->seen_y);
		R->seen_y = nt;
		R->seen_cap = nc;
	}
	mask = R->seen_cap - 1;
	i = (size_t)(h >> 7) & mask;
	while (R->seen_y[i] && R->seen_y[i] != h)
		i = (i + 1) & mask;
	if (R->seen_y[i] == h)
		return 1;
	R->seen_y[i] = h;
	R->seen_used++;
	return 0;
}

/*
 * Store a relation: its factor-base indices, large primes (1: none) and
 * y = A x + B as ysize limbs (GMP's signed size) at yl.  The limbs go to
 * one pool: no allocation per relation.  With dedup, a relation whose
 * |y| is held already is counted in dups and not stored.
 */
int siqs_add_rel(struct siqs_rels *R, const uint32_t *fac, uint32_t nfac,
		 uint32_t lp, uint32_t lp2, const mp_limb_t *yl, int ysize)
{
	struct siqs_rel *r;
	uint32_t v1 = 0, v2 = 0;
	size_t yn = (size_t)(ysize < 0 ? -ysize : ysize);
	void *g;
	if (R->dedup) {
		int seen = y_seen(R, yl, yn);
		if (seen < 0)
			return seen;
		if (seen) {
			R->dups++;
			return STATUS_OK;
		}
	}
	if (!(g = siqs_grow(R->rel, &R->cap_rel, R->nrel + 1, sizeof *R->rel,
			    1024)))
		return STATUS_ERR_NOMEM;
	R->rel = g;
	if (!(g = siqs_grow(R->pool, &R->cap_pool, R->npool + nfac,
			    sizeof *R->pool, 65536)))
		return STATUS_ERR_NOMEM;
	R->pool = g;
	if (!(g = siqs_grow(R->ylimb, &R->cap_ylimb, R->nylimb + yn,
			    sizeof *R->ylimb, 4096)))
		return STATUS_ERR_NOMEM;
	R->ylimb = g;
	if (lp > 1) {
		if (lp_vertex(R, lp, &v1) != STATUS_OK ||
		    (lp2 > 1 && lp_vertex(R, lp2, &v2) != STATUS_OK))
			return STATUS_ERR_NOMEM;
		R->ncycle += (size_t)uf_union(R, v1, v2);
		R->ndouble += lp2 > 1;
	} else {
		R->nfull++;
	}
	r = &R->rel[R->nrel++];
	r->yoff = R->nylimb;
	r->ysize = ysize;
	if (yn)
		memcpy(R->ylimb + R->nylimb, yl, yn * sizeof *yl);
	R->nylimb += yn;
	r->off = R->npool;
	r->nfac = nfac;
	r->lp = lp;
	r->lp2 = lp2;
	r->v1 = v1;
	r->v2 = v2;
	memcpy(R->pool + R->npool, fac, nfac * sizeof *fac);
	R->npool += nfac;
	return STATUS_OK;
}

void siqs_rels_clear(struct siqs_rels *R)
{
	free(R->rel);
	free(R->ylimb);
	free(R->pool);
	free(R->lp_key);
	free(R->lp_vert);
	free(R->uf_parent);
	free(R->uf_size);
	free(R->seen_y);
	memset(R, 0, sizeof *R);
}

void siqs_rels_reset(struct siqs_rels *R)
{
	R->nrel = R->npool = R->nylimb = 0;
	R->nfull = R->ncycle = R->ndouble = 0;
	if (R->lp_key)
		memset(R->lp_key, 0, R->lp_cap * sizeof *R->lp_key);
	R->lp_used = 0;
	R->nvert = 0;
	if (R->seen_y)
		memset(R->seen_y, 0, R->seen_cap * sizeof *R->seen_y);
	R->seen_used = 0;
}

void siqs_cycles_clear(struct siqs_cycles *c)
{
	if (!c)
		return;
	free(c->start);
	free(c->mem);
	memset(c, 0, sizeof *c);
}

/* The spanning forest: per vertex its tree edge (UINT32_MAX at a root),
 * the vertex above it and its depth. */
struct siqs_forest {
	uint32_t *adj_start, *adj; /* per vertex, its edges in relation order */
	uint32_t *pedge, *up, *depth, *queue;
};

static uint32_t other_end(const struct siqs_rel *r, uint32_t v)
{
	return r->v1 == v ? r->v2 : r->v1;
}

/* Adjacency lists (CSR, self-loops left out), then breadth-first search. */
static int forest_build(const struct siqs_rels *R, struct siqs_forest *t)
{
	size_t nv = R->nvert ? R->nvert : 1, u;
	uint32_t v, qh, qt;

	t->adj_start = calloc(nv + 1, sizeof *t->adj_start);
	t->adj = calloc(2 * R->nrel + 1, sizeof *t->adj);
	t->pedge = malloc(nv * sizeof *t->pedge);
	t->up = malloc(nv * sizeof *t->up);
	t->depth = malloc(nv * sizeof *t->depth);
	t->queue = malloc(nv * sizeof *t->queue);
	if (!t->adj_start || !t->adj || !t->pedge || !t->up || !t->depth ||
	    !t->queue)
		return STATUS_ERR_NOMEM;
	for (u = 0; u < R->nrel; u++) {
		const struct siqs_rel *r = &R->rel[u];
		if (r->lp > 1 && r->v1 != r->v2) {
			t->adj_start[r->v1 + 1]++;
			t->adj_start[r->v2 + 1]++;
		}
	}
	for (v = 0; v < nv; v++)
		t->adj_start[v + 1] += t->adj_start[v];
	for (u = 0; u < R->nrel; u++) {
		const struct siqs_rel *r = &R->rel[u];
		if (r->lp > 1 && r->v1 != r->v2) {
			t->adj[t->adj_start[r->v1]++] = (uint32_t)u;
			t->adj[t->adj_start[r->v2]++] = (uint32_t)u;
		}
	}
	for (v = (uint32_t)nv; v > 0; v--) /* back to the starts */
		t->adj_start[v] = t->adj_start[v - 1];
	t->adj_start[0] = 0;
	for (v = 0; v < nv; v++)
		t->depth[v] = UINT32_MAX;
	for (v = 0; v < nv; v++) {
		if (t->depth[v] != UINT32_MAX)
			continue;
		t->depth[v] = 0;
		t->pedge[v] = UINT32_MAX;
		t->up[v] = v;
		qh = qt = 0;
		t->queue[qt++] = v;
		while (qh < qt) {
			uint32_t a = t->queue[qh++], k;
			for (k = t->adj_start[a]; k < t->adj_start[a + 1];
			     k++) {
				uint32_t e = t->adj[k],
					 b = other_end(&R->rel[e], a);
				if (t->depth[b] != UINT32_MAX)
					continue;
				t->depth[b] = t->depth[a] + 1;
				t->pedge[b] = e;
				t->up[b] = a;
				t->queue[qt++] = b;
			}
		}
	}
	return STATUS_OK;
}

static void forest_clear(struct siqs_forest *t)
{
	free(t->adj_start);
	free(t->adj);
	free(t->pedge);
	free(t->up);
	free(t->depth);
	free(t->queue);
}

/* Append the cycle of non-tree edge e: the tree path between its ends, then e. */
static int cycle_append(const struct siqs_rels *R, const struct siqs_forest *t,
			uint32_t e, struct siqs_cycles *c, size_t *cap)
{
	uint32_t a = R->rel[e].v1, b = R->rel[e].v2;
	size_t need = c->nmem + 1 + (size_t)t->depth[a] + t->depth[b];
	void *g;
	if (!(g = siqs_grow(c->mem, cap, need, sizeof *c->mem, 1024)))
		return STATUS_ERR_NOMEM;
	c->mem = g;
	while (t->depth[a] > t->depth[b]) {
		c->mem[c->nmem++] = t->pedge[a];
		a = t->up[a];
	}
	while (t->depth[b] > t->depth[a]) {
		c->mem[c->nmem++] = t->pedge[b];
		b = t->up[b];
	}
	while (a != b) {
		c->mem[c->nmem++] = t->pedge[a];
		c->mem[c->nmem++] = t->pedge[b];
		a = t->up[a];
		b = t->up[b];
	}
	c->mem[c->nmem++] = e;
	return STATUS_OK;
}

int siqs_build_cycles(const struct siqs_rels *R, struct siqs_cycles *c)
{
	struct siqs_forest t;
	size_t u, cap = 0;
	int status = STATUS_ERR_NOMEM;

	memset(c, 0, sizeof *c);
	memset(&t, 0, sizeof t);
	c->start = malloc((R->nfull + R->ncycle + 2) * sizeof *c->start);
	if (!c->start || forest_build(R, &t) != STATUS_OK)
		goto cleanup;
	for (u = 0; u < R->nrel; u++) {
		const struct siqs_rel *r = &R->rel[u];
		if (r->lp > 1 && (t.pedge[r->v1] == u || t.pedge[r->v2] == u))
			continue; /* a tree edge */
		if (c->nrows >= R->nfull + R->ncycle)
			break; /* not reached: the count is exact */
		c->start[c->nrows++] = (uint32_t)c->nmem;
		if (r->lp == 1) {
			void *g = siqs_grow(c->mem, &cap, c->nmem + 1,
					    sizeof *c->mem, 1024);
			if (!g)
				goto cleanup;
			c->mem = g;
			c->mem[c->nmem++] = (uint32_t)u;
		} else if (cycle_append(R, &t, (uint32_t)u, c, &cap) !=
			   STATUS_OK) {
			goto cleanup;
		}
	}
	c->start[c->nrows] = (uint32_t)c->nmem;
	status = STATUS_OK;
cleanup:
	forest_clear(&t);
	if (status != STATUS_OK)
		siqs_cycles_clear(c);
	return status;
}
