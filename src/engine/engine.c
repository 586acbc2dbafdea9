/*
 * engine.c - the engine's dispatcher: the top of the engine's layers.
 *
 * Purpose: include/engine.h.  engine_factor picks a tier by size and runs a
 * pipeline, cheap steps first (msieve's driver, GMP-ECM's ecm_factor shape):
 *   1. n = 0, 1: empty list.  n < 2^64: factor_u64, checked natively by
 *      small_verify_u64 (product in 128 bits; claimed primes were proved by
 *      factor_u64's deterministic test and are not tested again), then
 *      written into the reused entries (factor_top_u64: the classic job's
 *      path);
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
 *          tried on c (struct mpz_progress), since their factors are c's,
 *          and marked as proper divisors of n (as is the cofactor of
 *          trial division when it removed a prime): the ECM depth of
 *          engine_mpz.c depends on it.
 *   3. When the time limit (params->time_limit seconds per number, on
 *      CLOCK_MONOTONIC; cofactors below 2^128 go to the native tiers with
 *      the number's deadline, not a fresh limit) or the stop hook fires,
 *      each unsplit cofactor goes into the result as ENGINE_COMPOSITE and
 *      the status is STATUS_PARTIAL.
 *   4. With params->verify, engine_verify checks the result against n
 *      (n >= 2^64; below, small_verify_u64 of step 1).
 *
 * The result list lives in engine_result.c, the checks in
 * engine_verify.c, the tiers below them (engine_int.h draws the layers);
 * this file only calls down.
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

enum {
	/* trial division of numbers >= 2^128: the rho steps that follow
	   find the factors between this and 2^16 at less cost (see
	   engine_NOTES.md) */
	TDIV_BOUND = 4000,
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
	   faulted in afresh by each call */
	(void)mallopt(M_TRIM_THRESHOLD, ENGINE_TRIM_THRESHOLD);
	(void)mallopt(M_MMAP_THRESHOLD, ENGINE_MMAP_THRESHOLD);
#endif
}

void engine_params_init(struct engine_params *params)
{
	params->seed = 1;         /* fixed seed: runs repeat */
	params->time_limit = 0.0; /* no limit */
	params->stop = NULL;      /* no stop hook */
	params->stop_arg = NULL;
	params->verify = 1;   /* check every answer before returning */
	params->stats = NULL; /* no counts */
	params->coop = NULL;  /* SIQS runs alone */
}

/* ---- native tiers ---- */

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
	return engine_result_add_small(res, &sf, e, tmp);
}

/*
 * n < 2^128 into the empty res: the small tiers' list is sorted, distinct
 * and (but for composites left by a time limit) prime, so it is copied
 * straight into the reused entries (engine_result_set_small); nothing is
 * allocated once res is warm.
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
	return engine_result_set_small(res, &sf);
}

/*
 * n < 2^64, the hot path (the classic job is all here): factor_u64, the
 * cheap native check (small_verify_u64), then the list written into res's
 * reused entries.  Returns STATUS_OK, STATUS_PARTIAL, or
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
	return engine_result_set_small(res, &sf);
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
	struct work_list w = { NULL, 0, 0 };
	struct mpz_progress prog0;
	mpz_t m, f, tmp;
	memset(&prog0, 0, sizeof prog0);
	mpz_inits(m, f, tmp, NULL);
	mpz_search_init(&s, params, deadline);

	mpz_set(m, n);
	int r = tdiv_big(res, m, tmp);
	prog0.divisor = mpz_cmp(m, n) != 0;
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
		int fr = mpz_search_stop_p(&s)
			? STATUS_ERR_STOPPED
			: find_factor_mpz(f, m, &prog, &s);
		if (fr == STATUS_FOUND) {
			mpz_divexact(tmp, m, f);
			prog.divisor = 1;
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
		r = factor_big(res, n, params, engine_deadline(params));
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
