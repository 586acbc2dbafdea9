/*
 * range.h - factor the terms of an arithmetic progression by sieving
 * (the engine for --count/--start/--step jobs; see src/engine/range.c).
 *
 * A struct range factors the terms start, start + step, ... of one chunk,
 * one term per range_next (or range_next_words) call, with the same
 * result the per-number engine gives (engine_factor: same factors, order,
 * exponents and kinds), so a line formatted from it is byte for byte the
 * per-number one; a term below 2^64 can come back in machine words
 * (struct engine_words), formatted without GMP.  The
 * state persists between chunks: a chunk that continues the previous one
 * (same step, first term right after the last one returned) continues the
 * sieve where it stopped.
 *
 * Memory is bounded whatever the chunk size: the prime table, grown as
 * the terms need it up to RANGE_MAX_BOUND, and one block of RANGE_BLOCK
 * terms (at most about 34 MiB, 3 MiB for terms near 10^12; see range.c).
 *
 * Ownership: range_new allocates, range_free releases (NULL allowed).
 * Library code: never prints, never exits.
 */
#ifndef FACTORIZE_RANGE_H
#define FACTORIZE_RANGE_H

#include <stddef.h>
#include <stdint.h>
#include <gmp.h>

#include "engine.h"

/* Test-only planted faults (struct range_params.fault). */
enum range_fault {
	RANGE_FAULT_NONE = 0,
	RANGE_FAULT_SKIP_CLASS = 1u << 0, /* the prime 7 never hits its class */
	RANGE_FAULT_SHORT_PRIME = 1u << 1 /* the sieve stops one prime short */
};

struct range_params {
	uint64_t max_bound; /* sieve primes below at most this; 0 = default
			       (RANGE_MAX_BOUND; lower values for tests) */
	unsigned fault;     /* enum range_fault; 0 in production */
};

struct range;

/* Defaults: max_bound 0 (RANGE_MAX_BOUND), no fault. */
void range_params_init(struct range_params *rp);

/* STATUS_OK or STATUS_ERR_NOMEM. */
int range_new(struct range **out, const struct range_params *rp);
void range_free(struct range *r); /* NULL allowed */

/*
 * Start a chunk: the count terms start + i*step, i < count (start >= 0,
 * step >= 1, count >= 1).  STATUS_OK, STATUS_ERR_INVAL.
 */
int range_begin(struct range *r, const mpz_t start, const mpz_t step,
		uint64_t count);

/*
 * Factor the next term of the chunk into res (reset first; entries as
 * engine_factor leaves them).  params as for engine_factor (seed, time
 * limit and stop hook for the cofactors the sieve leaves composite).
 * Returns STATUS_OK, STATUS_PARTIAL (a cofactor left composite by the time
 * limit or the stop hook), STATUS_ERR_INVAL (no term left), STATUS_ERR_VERIFY
 * (the product check failed: never expected), STATUS_ERR_NOMEM.
 */
int range_next(struct range *r, struct engine_result *res,
	       const struct engine_params *params);

/*
 * range_next with the answer in machine words when it has one: a term
 * below 2^64 (NATIVE, or 0) comes back in *w with *in_words 1 and res
 * untouched, checked as range_next checks it (the product in words; the
 * primes proven by the sieve or by the engine's 64-bit tier); any other
 * term (at or above 2^64, or left partial) comes back in res as
 * range_next gives it, *in_words 0.  The same statuses as range_next.
 */
int range_next_words(struct range *r, struct engine_words *w,
		     struct engine_result *res,
		     const struct engine_params *params, int *in_words);

/* The term the last successful range_next or range_next_words took. */
void range_last(const struct range *r, mpz_t n);

/* The term range_next returns next (for tests and messages). */
void range_peek(const struct range *r, mpz_t n);

#endif
