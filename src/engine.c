/*
 * engine.c - the engine's dispatcher, its result list and its checker.
 *
 * Purpose: include/engine.h.  engine_factor picks a tier by size and runs a
 * pipeline, cheap steps first (msieve's driver, GMP-ECM's ecm_factor shape):
 *   1. n = 0, 1: empty list.  n < 2^64: factor_u64, checked natively by
 *      small_verify_u64 (product in 128 bits; claimed primes were proved by
 *      factor_u64's deterministic test and are not tested again), then
 *      written into the reused entries (factor_top_u64: the classic job's
 *      path, 254k -> 308k numbers/s CPU under load, best pass 2.5 us);
 *      n < 2^128: factor_u128 (engine_u128.c), copied into the result and
 *      checked by engine_verify (step 4).
 *   2. n >= 2^128: trial division to TDIV_BOUND, then a work list of
 *      cofactors, each taken in turn:
 *        - below 2^128: the native tiers;
 *        - a perfect power r^k (mpz_perfect_power_p, then mpz_root for
 *          k = 2, 3, ...): r goes back on the list with exponent e*k;
 *        - a (probable) prime (prime_p_mpz): into the result;
 *        - otherwise find_factor_mpz (engine_mpz.c: rho, P-1, ECM, SIQS)
 *          splits it into f and c/f, both back on the list with what was
 *          tried on c (struct mpz_progress), since their factors are c's.
 *   3. When the time limit (params->time_limit seconds per number, on
 *      CLOCK_MONOTONIC; cofactors below 2^128 go to the native tiers with
 *      the number's deadline, not a fresh limit) or the stop hook fires,
 *      each unsplit cofactor goes into the result as ENGINE_COMPOSITE and
 *      the status is STATUS_PARTIAL.
 *   4. With params->verify, engine_verify checks the result against n
 *      (n >= 2^64; below, small_verify_u64 of step 1).
 *
 * Invariants of struct engine_result: entries 0..count-1 sorted ascending,
 * pairwise coprime, each p > 1 and e >= 1; entries count..cap-1 are
 * mpz_init'ed and reused (engine_result_reset keeps the allocation, so the
 * small-number path allocates nothing once warm).
 *
 * engine_result_add merges on insert.  A claimed prime p only has to be
 * compared (binary search) and checked against composite entries (p | c);
 * anything else goes through coprime base refinement (Bach, Driscoll and
 * Shallit, "Factor refinement", J. Algorithms 1993): while two entries a, b
 * share g = gcd(a, b) > 1, replace a^x b^y by g^(x+y) (a/g)^x (b/g)^y; the
 * product of the distinct values drops by g each step, so it ends.  Pieces
 * of unknown status are tested with prime_p_mpz.
 */
#include <stdlib.h>
#include <string.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "engine.h"
#include "engine_int.h"
#include "status.h"

static_assert(sizeof(unsigned long) == 8, "mpz_get_ui must return 64 bits");
static_assert(GMP_NUMB_BITS == 64, "two limbs must hold 128 bits");

enum {
	/*
	 * Trial division of numbers >= 2^128: about 50 us on 200 bits here,
	 * against 0.7 ms for the whole 2^16 table; the 2048 rho steps that
	 * follow (2-3 ms) find factors below 2^16 anyway.
	 */
	TDIV_BOUND = 4000,
	RESULT_MIN_CAP = 16, /* first allocation of a result list */
	/* heap kept from the kernel (engine_process_init): 64 MiB, above
	   S230's SIQS peak, so a rank's memory stays its largest call's */
	ENGINE_TRIM_THRESHOLD = 64 << 20,
	/* blocks below this from the heap, not mmap: glibc's largest */
	ENGINE_MMAP_THRESHOLD = 32 << 20
};

void engine_process_init(void)
{
#if defined(__GLIBC__) && defined(M_TRIM_THRESHOLD) && defined(M_MMAP_THRESHOLD)
	/* both: setting either one stops glibc's sliding mmap threshold,
	   which would leave every block from 128 KiB up to mmap and munmap,
	   faulted in afresh by each call (S96 +24% CPU with the trim alone) */
	(void)mallopt(M_TRIM_THRESHOLD, ENGINE_TRIM_THRESHOLD);
	(void)mallopt(M_MMAP_THRESHOLD, ENGINE_MMAP_THRESHOLD);
#endif
}

void engine_params_init(struct engine_params *params)
{
	params->seed = 1;          /* fixed seed: runs repeat */
	params->time_limit = 0.0;  /* no limit */
	params->stop = NULL;       /* no stop hook */
	params->stop_arg = NULL;
	params->verify = 1;        /* check every answer before returning */
}

/* ---- the result list ---- */

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

int engine_result_add(struct engine_result *res, const mpz_t p,
		      unsigned long e, int kind)
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
			res->f[mid].kind = kind_merge(res->f[mid].kind, kind, p);
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

/* ---- native tiers ---- */

static void mpz_set_u128(mpz_t z, u128 v)
{
	mpz_set_ui(z, (unsigned long)(v >> 64));
	if (v >> 64) {
		mpz_mul_2exp(z, z, 64);
		mpz_add_ui(z, z, (unsigned long)(uint64_t)v);
	} else {
		mpz_set_ui(z, (unsigned long)v);
	}
}

static u128 mpz_get_u128(const mpz_t z)
{
	return ((u128)mpz_getlimbn(z, 1) << 64) | (u128)mpz_getlimbn(z, 0);
}

/* Multiply the factorization sf, each exponent times e, into res. */
static int add_small(struct engine_result *res, const struct small_factors *sf,
		     unsigned long e, mpz_t tmp)
{
	for (int i = 0; i < sf->n; i++) {
		int kind = sf->composite[i]  ? ENGINE_COMPOSITE
			   : sf->p[i] >> 64 ? ENGINE_PROBABLE_PRIME
					    : ENGINE_PRIME;
		mpz_set_u128(tmp, sf->p[i]);
		int r = engine_result_add(res, tmp, e * sf->e[i], kind);
		if (r != STATUS_OK)
			return r;
	}
	return STATUS_OK;
}

/*
 * factor_u64 or factor_u128 on v < 2^128 with the number's deadline
 * (engine_now() seconds, 0 for none: the time limit does not restart for
 * a cofactor), then into res.
 */
static int factor_native(struct engine_result *res, const mpz_t v,
			 unsigned long e, const struct engine_params *params,
			 double deadline, mpz_t tmp)
{
	struct small_factors sf;
	int r;
	if (mpz_sizeinbase(v, 2) <= 64)
		r = factor_u64_until(mpz_get_ui(v), &sf, params, deadline);
	else
		r = factor_u128_until(mpz_get_u128(v), &sf, params, deadline);
	if (r < 0)
		return r;
	return add_small(res, &sf, e, tmp);
}

/*
 * n < 2^128 into the empty res: the small tiers' list is sorted, distinct
 * and (but for composites left by a time limit) prime, so it is copied
 * straight into the reused entries; nothing is allocated once res is warm.
 */
static int factor_native_top(struct engine_result *res, const mpz_t n,
			     const struct engine_params *params)
{
	struct small_factors sf;
	int r;
	if (mpz_sizeinbase(n, 2) <= 64)
		r = factor_u64(mpz_get_ui(n), &sf, params);
	else
		r = factor_u128(mpz_get_u128(n), &sf, params);
	if (r < 0)
		return r;
	if (sf.n < 0 || sf.n > SMALL_MAX_DISTINCT)
		return STATUS_ERR_VERIFY;
	r = result_reserve(res, (size_t)sf.n);
	if (r != STATUS_OK)
		return r;
	for (int i = 0; i < sf.n; i++) {
		struct engine_factor *x = &res->f[i];
		mpz_set_u128(x->p, sf.p[i]);
		x->e = sf.e[i];
		x->kind = sf.composite[i]  ? ENGINE_COMPOSITE
			  : sf.p[i] >> 64 ? ENGINE_PROBABLE_PRIME
					  : ENGINE_PRIME;
	}
	res->count = (size_t)sf.n;
	return STATUS_OK;
}

/*
 * Check a 64-bit tier answer for v: entries ascending and distinct, each
 * p > 1 and e >= 1, a composite mark only on a composite, and the product
 * of p^e equal to v, computed in 128 bits with an overflow guard.  Entries
 * claimed prime are not tested again: factor_u64 proved each of them, by
 * the trial-division bound or by prime_p_u64, and prime_p_u64 is
 * deterministic, so a second run could only repeat its verdict (that test
 * is itself checked against GNU factor and PARI in test_engine_small and
 * it_engine_diff).  This costs a few multiplications; engine_verify's
 * full re-test doubled the primality work on the classic job.
 */
int small_verify_u64(const struct small_factors *sf, uint64_t v)
{
	if (sf->n < 0 || sf->n > SMALL_MAX_DISTINCT)
		return STATUS_ERR_VERIFY;
	u128 prod = 1, prev = 1;
	for (int i = 0; i < sf->n; i++) {
		u128 p = sf->p[i];
		if (p <= prev || p >> 64 || sf->e[i] == 0)
			return STATUS_ERR_VERIFY;
		if (sf->composite[i] && prime_p_u64((uint64_t)p))
			return STATUS_ERR_VERIFY;
		for (unsigned k = 0; k < sf->e[i]; k++) {
			prod *= p; /* both factors < 2^64: no wrap */
			if (prod > v)
				return STATUS_ERR_VERIFY;
		}
		prev = p;
	}
	return prod == v ? STATUS_OK : STATUS_ERR_VERIFY;
}

/*
 * n < 2^64, the hot path (the classic job is all here): factor_u64, the
 * cheap native check above, then the list written into res's reused
 * entries with mpz_set_ui.  Returns STATUS_OK, STATUS_PARTIAL, or
 * STATUS_ERR_VERIFY / STATUS_ERR_NOMEM.
 */
static int factor_top_u64(struct engine_result *res, uint64_t v,
			  const struct engine_params *params)
{
	struct small_factors sf;
	int r = factor_u64(v, &sf, params);
	if (r < 0)
		return r;
	if (sf.n < 0 || sf.n > SMALL_MAX_DISTINCT)
		return STATUS_ERR_VERIFY;
	if (params->verify && small_verify_u64(&sf, v) != STATUS_OK)
		return STATUS_ERR_VERIFY;
	r = result_reserve(res, (size_t)sf.n);
	if (r != STATUS_OK)
		return r;
	int status = STATUS_OK;
	for (int i = 0; i < sf.n; i++) {
		struct engine_factor *x = &res->f[i];
		mpz_set_ui(x->p, (unsigned long)sf.p[i]);
		x->e = sf.e[i];
		x->kind = sf.composite[i] ? ENGINE_COMPOSITE : ENGINE_PRIME;
		if (sf.composite[i])
			status = STATUS_PARTIAL;
	}
	res->count = (size_t)sf.n;
	return status;
}

/* ---- numbers of 2^128 and up ---- */

struct work_item {
	mpz_t v;
	unsigned long e;
	struct mpz_progress prog;
};

struct work_list {
	struct work_item *it;
	size_t n, cap; /* cap entries mpz_init'ed */
};

static int work_push(struct work_list *w, const mpz_t v, unsigned long e,
		     const struct mpz_progress *prog)
{
	if (w->n == w->cap) {
		size_t cap = w->cap ? 2 * w->cap : 8;
		struct work_item *t = realloc(w->it, cap * sizeof *t);
		if (t == NULL)
			return STATUS_ERR_NOMEM;
		for (size_t i = w->cap; i < cap; i++)
			mpz_init(t[i].v);
		w->it = t;
		w->cap = cap;
	}
	mpz_set(w->it[w->n].v, v);
	w->it[w->n].e = e;
	w->it[w->n].prog = *prog;
	w->n++;
	return STATUS_OK;
}

/*
 * Trial division of m by the primes below TDIV_BOUND (the table of
 * engine_tdiv.c), into res with exact exponents of any size.  One mpz_tdiv_ui
 * by a product of primes below 2^64 serves the whole group.
 */
static int tdiv_big(struct engine_result *res, mpz_t m, mpz_t tmp)
{
	int r = STATUS_OK;
	unsigned i = 0;
	while (i < TDIV_NPRIMES && r == STATUS_OK) {
		uint64_t prod = 1;
		unsigned j = i;
		while (j < TDIV_NPRIMES && tdiv_prime(j) < TDIV_BOUND &&
		       prod <= UINT64_MAX / tdiv_prime(j))
			prod *= tdiv_prime(j++);
		if (j == i)
			break;
		uint64_t rem = (uint64_t)mpz_tdiv_ui(m, (unsigned long)prod);
		for (; i < j && r == STATUS_OK; i++) {
			unsigned long p = tdiv_prime(i);
			if (rem % p != 0)
				continue;
			unsigned long k = 0;
			while (mpz_divisible_ui_p(m, p)) {
				mpz_divexact_ui(m, m, p);
				k++;
			}
			mpz_set_ui(tmp, p);
			r = engine_result_add(res, tmp, k, ENGINE_PRIME);
		}
	}
	return r;
}

/* If v = r^k with k >= 2 (k smallest), set root = r and return k; else 0. */
static unsigned long perfect_power(mpz_t root, const mpz_t v)
{
	if (!mpz_perfect_power_p(v))
		return 0;
	size_t bits = mpz_sizeinbase(v, 2);
	for (unsigned long k = 2; k <= bits; k++)
		if (mpz_root(root, v, k))
			return k;
	return 0;
}

static int factor_big(struct engine_result *res, const mpz_t n,
		      const struct engine_params *params, double deadline)
{
	struct mpz_search s;
	struct work_list w = {NULL, 0, 0};
	struct mpz_progress prog0;
	mpz_t m, f, tmp;
	memset(&prog0, 0, sizeof prog0);
	mpz_inits(m, f, tmp, NULL);
	mpz_search_init(&s, params, deadline);

	mpz_set(m, n);
	int r = tdiv_big(res, m, tmp);
	if (r == STATUS_OK)
		r = work_push(&w, m, 1, &prog0);
	while (r == STATUS_OK && w.n > 0) {
		struct work_item *it = &w.it[--w.n];
		mpz_swap(m, it->v);
		unsigned long e = it->e;
		struct mpz_progress prog = it->prog;
		if (mpz_cmp_ui(m, 1) == 0)
			continue;
		if (mpz_sizeinbase(m, 2) <= 128) {
			r = factor_native(res, m, e, params, deadline, tmp);
			continue;
		}
		unsigned long k = perfect_power(f, m);
		if (k > 0) {
			r = work_push(&w, f, e * k, &prog);
			continue;
		}
		int pk = prime_p_mpz_seed(m, params->seed);
		if (pk > 0) {
			r = engine_result_add(res, m, e,
					      pk == 2 ? ENGINE_PRIME
						      : ENGINE_PROBABLE_PRIME);
			continue;
		}
		int fr = mpz_search_stop_p(&s) ? STATUS_ERR_STOPPED
					       : find_factor_mpz(f, m, &prog, &s);
		if (fr == STATUS_FOUND) {
			mpz_divexact(tmp, m, f);
			r = work_push(&w, f, e, &prog);
			if (r == STATUS_OK)
				r = work_push(&w, tmp, e, &prog);
		} else if (fr >= 0 || fr == STATUS_ERR_STOPPED) {
			r = engine_result_add(res, m, e, ENGINE_COMPOSITE);
		} else {
			r = fr;
		}
	}
	for (size_t i = 0; i < w.cap; i++)
		mpz_clear(w.it[i].v);
	free(w.it);
	mpz_search_clear(&s);
	mpz_clears(m, f, tmp, NULL);
	return r;
}

int engine_factor(struct engine_result *res, const mpz_t n,
		  const struct engine_params *params)
{
	struct engine_params defaults;
	if (params == NULL) {
		engine_params_init(&defaults);
		params = &defaults;
	}
	engine_result_reset(res);
	if (mpz_sgn(n) < 0) {
		res->status = STATUS_ERR_INVAL;
		return STATUS_ERR_INVAL;
	}
	if (mpz_cmp_ui(n, 1) <= 0)
		return STATUS_OK;

	int r;
	if (mpz_size(n) == 1) {
		r = factor_top_u64(res, (uint64_t)mpz_getlimbn(n, 0), params);
		res->status = r;
		return r;
	}
	if (mpz_sizeinbase(n, 2) <= 128) {
		r = factor_native_top(res, n, params);
	} else {
		double deadline = params->time_limit > 0.0
					  ? engine_now() + params->time_limit
					  : 0.0;
		r = factor_big(res, n, params, deadline);
	}
	if (r < 0) {
		res->status = r;
		return r;
	}
	res->status = STATUS_OK;
	for (size_t i = 0; i < res->count; i++)
		if (res->f[i].kind == ENGINE_COMPOSITE)
			res->status = STATUS_PARTIAL;
	if (params->verify && engine_verify(res, n) != STATUS_OK)
		res->status = STATUS_ERR_VERIFY;
	return res->status;
}

/* ---- the checker ---- */

/* Product of p^e over res, in native words when n < 2^128. */
static int product_ok_native(const struct engine_result *res, u128 n)
{
	u128 prod = 1;
	for (size_t i = 0; i < res->count; i++) {
		mpz_srcptr p = res->f[i].p;
		if (mpz_sizeinbase(p, 2) > 128)
			return 0;
		u128 q = mpz_get_u128(p);
		if (q < 2)
			return 0; /* and a huge e on p = 1 cannot spin */
		for (unsigned long k = 0; k < res->f[i].e; k++)
			if (__builtin_mul_overflow(prod, q, &prod) || prod > n)
				return 0;
	}
	return prod == n;
}

static int product_ok_mpz(const struct engine_result *res, const mpz_t n)
{
	size_t bits = mpz_sizeinbase(n, 2);
	mpz_t prod, t;
	mpz_init_set_ui(prod, 1);
	mpz_init(t);
	int ok = 1;
	for (size_t i = 0; i < res->count && ok; i++) {
		if (res->f[i].e > bits) {
			ok = 0;
			break;
		}
		mpz_pow_ui(t, res->f[i].p, res->f[i].e);
		mpz_mul(prod, prod, t);
		if (mpz_cmp(prod, n) > 0)
			ok = 0;
	}
	ok = ok && mpz_cmp(prod, n) == 0;
	mpz_clears(prod, t, NULL);
	return ok;
}

/*
 * BPSW on any size: the native tiers' Montgomery BPSW below 2^128 (the
 * hot path: a GMP call costs more than the factoring of a 40-bit number),
 * GMP 6.2's mpz_probab_prime_p with reps 24 (BPSW only) above.
 */
static int bpsw(const mpz_t p)
{
	size_t bits = mpz_sizeinbase(p, 2);
	if (bits <= 64)
		return prime_p_u64(mpz_get_ui(p));
	if (bits <= 128)
		return prime_p_u128(mpz_get_u128(p));
	return mpz_probab_prime_p(p, 24) != 0;
}

int engine_verify(const struct engine_result *res, const mpz_t n)
{
	if (res == NULL || mpz_sgn(n) < 0)
		return STATUS_ERR_VERIFY;
	if (mpz_cmp_ui(n, 1) <= 0)
		return res->count == 0 ? STATUS_OK : STATUS_ERR_VERIFY;
	int have_composite = 0;
	for (size_t i = 0; i < res->count; i++) {
		const struct engine_factor *x = &res->f[i];
		if (mpz_cmp_ui(x->p, 2) < 0 || x->e == 0)
			return STATUS_ERR_VERIFY;
		if (i > 0 && mpz_cmp(res->f[i - 1].p, x->p) >= 0)
			return STATUS_ERR_VERIFY; /* unsorted or repeated */
		int pr = bpsw(x->p);
		if (x->kind == ENGINE_COMPOSITE) {
			if (pr != 0)
				return STATUS_ERR_VERIFY;
			have_composite = 1;
		} else if (x->kind == ENGINE_PRIME ||
			   x->kind == ENGINE_PROBABLE_PRIME) {
			if (pr == 0)
				return STATUS_ERR_VERIFY;
		} else {
			return STATUS_ERR_VERIFY;
		}
	}
	/* distinct primes are coprime; composites need their gcds checked */
	if (have_composite) {
		mpz_t g;
		mpz_init(g);
		int ok = 1;
		for (size_t i = 0; i < res->count && ok; i++) {
			if (res->f[i].kind != ENGINE_COMPOSITE)
				continue;
			for (size_t j = 0; j < res->count && ok; j++) {
				if (j == i)
					continue;
				mpz_gcd(g, res->f[i].p, res->f[j].p);
				ok = mpz_cmp_ui(g, 1) == 0;
			}
		}
		mpz_clear(g);
		if (!ok)
			return STATUS_ERR_VERIFY;
	}
	return engine_product_check(res, n);
}

int engine_product_check(const struct engine_result *res, const mpz_t n)
{
	if (res == NULL || mpz_sgn(n) < 0)
		return STATUS_ERR_VERIFY;
	if (mpz_cmp_ui(n, 1) <= 0)
		return res->count == 0 ? STATUS_OK : STATUS_ERR_VERIFY;
	int ok = mpz_sizeinbase(n, 2) <= 128
			 ? product_ok_native(res, mpz_get_u128(n))
			 : product_ok_mpz(res, n);
	return ok ? STATUS_OK : STATUS_ERR_VERIFY;
}
