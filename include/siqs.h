/*
 * siqs.h - self-initialising quadratic sieve (SIQS) for one composite.
 *
 * Finds a non-trivial factor of an odd composite n of roughly 40 to 110
 * digits that is not a perfect power and has no factor below the trial
 * division bound.  Pure module: no MPI, never prints.
 */
#ifndef FACTORIZE_SIQS_H
#define FACTORIZE_SIQS_H

#include <stdint.h>
#include <gmp.h>

struct siqs_params {
	uint64_t seed;          /* every random choice; default 1 */
	double deadline;        /* absolute CLOCK_MONOTONIC seconds; 0 = none */
	int (*stop)(void *arg); /* polled between polynomials; non-zero = stop */
	void *stop_arg;
};

void siqs_params_init(struct siqs_params *params);

/*
 * On success sets f to a factor 1 < f < n of n and returns STATUS_FOUND.
 * Returns STATUS_ERR_INVAL when n is outside the supported range (even,
 * too small, too large), STATUS_NOT_FOUND if every dependency was trivial,
 * STATUS_ERR_TIMEOUT / STATUS_ERR_STOPPED when the deadline or stop hook
 * ended the run, STATUS_ERR_NOMEM.  params may be NULL.
 */
int siqs_factor(mpz_t f, const mpz_t n, const struct siqs_params *params);

#endif
