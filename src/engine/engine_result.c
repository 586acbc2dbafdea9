/*
 * engine_result.c - the engine's result list (struct engine_result).
 *
 * Invariants: entries 0..count-1 sorted ascending, pairwise coprime, each
 * p > 1 and e >= 1; entries count..cap-1 are mpz_init'ed and reused
 * (engine_result_reset keeps the allocation, so the small-number path
 * allocates nothing once warm).
 *
 * engine_result_add merges on insert.  A claimed prime p only has to be
 * compared (binary search) and checked against composite entries (p | c);
 * anything else goes through coprime base refinement (Bach, Driscoll and
 * Shallit, "Factor refinement", J. Algorithms 1993): while two entries a, b
 * share g = gcd(a, b) > 1, replace a^x b^y by g^(x+y) (a/g)^x (b/g)^y; the
 * product of the distinct values drops by g each step, so it ends.  Pieces
 * of unknown status are tested with prime_p_mpz.
 *
 * The native tiers' lists (struct small_factors: sorted, distinct, below
 * 2^128) enter through engine_result_set_small, a straight copy into the
 * reused entries when the list is the whole answer, or
 * engine_result_add_small, entry by entry through engine_result_add, for
 * a cofactor of a larger number.  A factorization in machine words
 * (struct engine_words, the range engine's) enters and leaves by a
 * straight copy too (engine_result_set_words, engine_result_get_words).
 */
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "engine_int.h"
#include "status.h"

enum { RESULT_MIN_CAP = 16 }; /* first allocation of a result list */

void engine_result_init(struct engine_result *res)
{
	res->f = NULL;
	res->count = 0;
	res->cap = 0;
	res->status = STATUS_OK;
}

void engine_result_clear(struct engine_result *res)
{
	if (res == NULL)
		return;
	for (size_t i = 0; i < res->cap; i++)
		mpz_clear(res->f[i].p);
	free(res->f);
	engine_result_init(res);
}

void engine_result_reset(struct engine_result *res)
{
	res->count = 0;
	res->status = STATUS_OK;
}

/*
 * Grow res to at least need entries, each mpz_init'ed (kept across
 * engine_result_reset).  STATUS_OK or STATUS_ERR_NOMEM.
 */
static int result_reserve(struct engine_result *res, size_t need)
{
	if (need <= res->cap)
		return STATUS_OK;
	size_t cap = res->cap ? res->cap : RESULT_MIN_CAP;
	while (cap < need)
		cap *= 2;
	struct engine_factor *f = realloc(res->f, cap * sizeof *f);
	if (f == NULL)
		return STATUS_ERR_NOMEM;
	for (size_t i = res->cap; i < cap; i++) {
		mpz_init(f[i].p);
		f[i].e = 0;
		f[i].kind = ENGINE_COMPOSITE;
	}
	res->f = f;
	res->cap = cap;
	return STATUS_OK;
}

static int kind_of(const mpz_t v)
{
	switch (prime_p_mpz(v)) {
	case 2: return ENGINE_PRIME;
	case 1: return ENGINE_PROBABLE_PRIME;
	default: return ENGINE_COMPOSITE;
	}
}

/* Kind of one value reported twice with kinds a and b. */
static int kind_merge(int a, int b, const mpz_t v)
{
	if (a == b)
		return a;
	if (a != ENGINE_COMPOSITE && b != ENGINE_COMPOSITE)
		return ENGINE_PRIME; /* one of them proved it */
	return kind_of(v);
}

/* Insert p^e at position pos (0..count), shifting the tail up. */
static int result_insert(struct engine_result *res, size_t pos, const mpz_t p,
			 unsigned long e, int kind)
{
	int r = result_reserve(res, res->count + 1);
	if (r != STATUS_OK)
		return r;
	struct engine_factor t = res->f[res->count];
	mpz_set(t.p, p);
	t.e = e;
	t.kind = kind;
	memmove(&res->f[pos + 1], &res->f[pos],
		(res->count - pos) * sizeof res->f[0]);
	res->f[pos] = t;
	res->count++;
	return STATUS_OK;
}

/* One value of the refinement work array. */
struct ref_item {
	mpz_t v;
	unsigned long e;
	int kind;
};

static int ref_cmp(const void *a, const void *b)
{
	return mpz_cmp(((const struct ref_item *)a)->v,
		       ((const struct ref_item *)b)->v);
}

/* Coprime base refinement of res plus p^e; see the top of the file. */
static int result_refine(struct engine_result *res, const mpz_t p,
			 unsigned long e, int kind)
{
	size_t n = res->count + 1, cap = 2 * n + 4;
	struct ref_item *it = malloc(cap * sizeof *it);
	if (it == NULL)
		return STATUS_ERR_NOMEM;
	for (size_t i = 0; i < cap; i++)
		mpz_init(it[i].v);
	for (size_t i = 0; i < res->count; i++) {
		mpz_set(it[i].v, res->f[i].p);
		it[i].e = res->f[i].e;
		it[i].kind = res->f[i].kind;
	}
	mpz_set(it[n - 1].v, p);
	it[n - 1].e = e;
	it[n - 1].kind = kind;

	int r = STATUS_OK;
	mpz_t g;
	mpz_init(g);
	for (int changed = 1; changed && r == STATUS_OK;) {
		changed = 0;
		for (size_t i = 0; i < n && !changed; i++) {
			for (size_t j = i + 1; j < n && !changed; j++) {
				mpz_gcd(g, it[i].v, it[j].v);
				if (mpz_cmp_ui(g, 1) == 0)
					continue;
				changed = 1;
				if (mpz_cmp(it[i].v, it[j].v) == 0) {
					it[i].e += it[j].e;
					it[i].kind = kind_merge(it[i].kind,
								it[j].kind,
								it[i].v);
					mpz_swap(it[j].v, it[n - 1].v);
					it[j].e = it[n - 1].e;
					it[j].kind = it[n - 1].kind;
					n--;
					break;
				}
				if (n + 1 > cap) {
					r = STATUS_ERR_INVAL; /* cannot happen */
					break;
				}
				/* it[n] = (vj/g)^ej, it[j] = (vi/g)^ei, it[i] = g^(ei+ej) */
				mpz_divexact(it[n].v, it[j].v, g);
				it[n].e = it[j].e;
				mpz_divexact(it[j].v, it[i].v, g);
				it[j].e = it[i].e;
				int gk = mpz_cmp(g, it[i].v) == 0 ? it[i].kind
								  : kind_of(g);
				mpz_set(it[i].v, g);
				it[i].e = it[i].e + it[n].e;
				it[i].kind = gk;
				it[j].kind = kind_of(it[j].v);
				it[n].kind = kind_of(it[n].v);
				n++;
				/* drop the ones */
				for (size_t k = n; k-- > 0;) {
					if (mpz_cmp_ui(it[k].v, 1) != 0)
						continue;
					mpz_swap(it[k].v, it[n - 1].v);
					it[k].e = it[n - 1].e;
					it[k].kind = it[n - 1].kind;
					n--;
				}
			}
		}
		if (n + 2 > cap && changed) {
			/* room for the next split */
			size_t ncap = 2 * cap;
			struct ref_item *t = realloc(it, ncap * sizeof *t);
			if (t == NULL) {
				r = STATUS_ERR_NOMEM;
				break;
			}
			it = t;
			for (size_t i = cap; i < ncap; i++)
				mpz_init(it[i].v);
			cap = ncap;
		}
	}
	mpz_clear(g);
	if (r == STATUS_OK) {
		qsort(it, n, sizeof *it, ref_cmp);
		r = result_reserve(res, n);
	}
	if (r == STATUS_OK) {
		for (size_t i = 0; i < n; i++) {
			mpz_set(res->f[i].p, it[i].v);
			res->f[i].e = it[i].e;
			res->f[i].kind = it[i].kind;
		}
		res->count = n;
	}
	for (size_t i = 0; i < cap; i++)
		mpz_clear(it[i].v);
	free(it);
	return r;
}

int engine_result_add(struct engine_result *res, const mpz_t p, unsigned long e,
		      int kind)
{
	if (mpz_cmp_ui(p, 2) < 0 || e == 0 ||
	    (kind != ENGINE_PRIME && kind != ENGINE_PROBABLE_PRIME &&
	     kind != ENGINE_COMPOSITE))
		return STATUS_ERR_INVAL;
	if (kind == ENGINE_COMPOSITE)
		return result_refine(res, p, e, kind);
	/* a claimed prime: find its place */
	size_t lo = 0, hi = res->count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = mpz_cmp(res->f[mid].p, p);
		if (c == 0) {
			res->f[mid].e += e;
			res->f[mid].kind =
				kind_merge(res->f[mid].kind, kind, p);
			return STATUS_OK;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = 0; i < res->count; i++)
		if (res->f[i].kind == ENGINE_COMPOSITE &&
		    mpz_divisible_p(res->f[i].p, p))
			return result_refine(res, p, e, kind);
	return result_insert(res, lo, p, e, kind);
}

/* ---- native factor lists (struct small_factors) ---- */

/*
 * An entry's kind: primes below 2^64 are proven by the native tiers,
 * those above are BPSW probable primes; an entry marked composite is a
 * cofactor a time limit left unsplit.
 */
static int small_kind(const struct small_factors *sf, int i)
{
	return sf->composite[i]  ? ENGINE_COMPOSITE
		: sf->p[i] >> 64 ? ENGINE_PROBABLE_PRIME
				 : ENGINE_PRIME;
}

int engine_result_set_small(struct engine_result *res,
			    const struct small_factors *sf)
{
	if (sf->n < 0 || sf->n > SMALL_MAX_DISTINCT)
		return STATUS_ERR_VERIFY;
	int r = result_reserve(res, (size_t)sf->n);
	if (r != STATUS_OK)
		return r;
	int status = STATUS_OK;
	for (int i = 0; i < sf->n; i++) {
		struct engine_factor *x = &res->f[i];
		mpz_set_u128(x->p, sf->p[i]);
		x->e = sf->e[i];
		x->kind = small_kind(sf, i);
		if (sf->composite[i])
			status = STATUS_PARTIAL;
	}
	res->count = (size_t)sf->n;
	return status;
}

int engine_result_add_small(struct engine_result *res,
			    const struct small_factors *sf, unsigned long e,
			    mpz_t tmp)
{
	for (int i = 0; i < sf->n; i++) {
		mpz_set_u128(tmp, sf->p[i]);
		int r = engine_result_add(res, tmp, e * sf->e[i],
					  small_kind(sf, i));
		if (r != STATUS_OK)
			return r;
	}
	return STATUS_OK;
}

int engine_result_set_words(struct engine_result *res,
			    const struct engine_words *w)
{
	int r = result_reserve(res, w->count);

	engine_result_reset(res);
	if (r != STATUS_OK)
		return r;
	for (uint32_t i = 0; i < w->count; i++) {
		struct engine_factor *x = &res->f[i];
		mpz_set_ui(x->p, (unsigned long)w->p[i]);
		x->e = w->e[i];
		x->kind = ENGINE_PRIME;
	}
	res->count = w->count;
	return STATUS_OK;
}

int engine_result_get_words(const struct engine_result *res, const mpz_t n,
			    struct engine_words *w)
{
	if (mpz_sgn(n) < 0 || mpz_size(n) > 1 || res->count > ENGINE_WORDS_MAX)
		return 0;
	for (size_t i = 0; i < res->count; i++) {
		const struct engine_factor *f = &res->f[i];
		if (f->kind == ENGINE_COMPOSITE || mpz_size(f->p) != 1 ||
		    f->e == 0 || f->e > UINT8_MAX)
			return 0;
		w->p[i] = mpz_getlimbn(f->p, 0);
		w->e[i] = (uint8_t)f->e;
	}
	w->n = mpz_getlimbn(n, 0); /* 0 for n = 0 (no limbs) */
	w->count = (uint32_t)res->count;
	return 1;
}
