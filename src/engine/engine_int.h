/*
 * engine_int.h - declarations shared by the engine's files (private).
 *
 * Tier twins share a name and differ by suffix: prime_p_u64 / prime_p_u128 /
 * prime_p_mpz, rho_u64 / rho_u128 / rho_mpz, ecm_u64 / ecm_u128 / ecm_mpz.
 * engine.c is the dispatcher: it picks a tier by the size of each cofactor.
 *
 * Layers, top to bottom; a file calls only into the layers below it:
 *   engine.c           dispatcher: picks a tier by size, runs the pipeline
 *   engine_verify.c    the checks of an answer (product, order, BPSW)
 *   engine_result.c    the result list: sorted, coprime, merged on insert
 *   engine_mpz.c       GMP tier: BPSW+MR, rho, P-1 and ECM (GMP-ECM), SIQS
 *   engine_u128.c      128-bit tier: BPSW, rho, ECM-128, SIQS call
 *   engine_u64.c       64-bit tier: BPSW, rho, SQUFOF, ECM
 *   engine_tdiv.c      prime table and trial division (all tiers)
 *   engine_ecm_plan.c  micro-ECM's cached bounds; engine_curves.c its curves
 *   engine_mont.h      Montgomery arithmetic (the native tiers), and the
 *                      templates both tiers instantiate on it:
 *                      engine_bpsw_tmpl.h, engine_rho_tmpl.h,
 *                      engine_ecm_tmpl.h
 *   engine_util.h      random stream, clock, deadline
 *   engine_word.h      u128, gcd, u128 <-> mpz
 */
#ifndef FACTORIZE_ENGINE_INT_H
#define FACTORIZE_ENGINE_INT_H

#include <assert.h>
#include <stdint.h>
#include <gmp.h>

#include "engine.h"
#include "engine_util.h"
#include "engine_word.h"

/*
 * Factorization of a number below 2^128 in native words: distinct primes
 * ascending with exponents.  A 128-bit number has at most 25 distinct prime
 * factors (the primorial of 101 exceeds 2^128).
 */
enum { SMALL_MAX_DISTINCT = 32 };
struct small_factors {
	u128 p[SMALL_MAX_DISTINCT];
	uint8_t e[SMALL_MAX_DISTINCT];
	uint8_t composite[SMALL_MAX_DISTINCT]; /* 1: cofactor left unsplit */
	int n;
};

/* ---- 64-bit tier (engine_u64.c) ---- */

/* 1 if n is prime, 0 if not; deterministic (BPSW has no pseudoprime < 2^64). */
int prime_p_u64(uint64_t n);

/*
 * Factor n completely into out (out->n reset first).  n = 0 or 1 gives an
 * empty list.  Returns STATUS_OK, or STATUS_PARTIAL if params' stop hook or
 * time limit fired (the unsplit cofactor is marked composite).
 */
int factor_u64(uint64_t n, struct small_factors *out,
	       const struct engine_params *params);

/*
 * As factor_u64 with the time limit's end given as engine_now() seconds
 * (0: none) instead of params->time_limit from now: the GMP tier hands
 * its cofactors below 2^128 down with the number's own deadline.
 */
int factor_u64_until(uint64_t n, struct small_factors *out,
		     const struct engine_params *params, double deadline);

/*
 * As factor_u64 for an n with no prime factor below bound (bound <=
 * 2^32; a sieve's cofactor): no trial division, a cofactor below bound^2
 * is prime.  A bound below factor_u64's trial division bound (3673) is
 * factor_u64 itself (its splitters expect the small primes gone).  The
 * same list factor_u64 gives for n.
 */
int factor_u64_rough(uint64_t n, uint64_t bound, struct small_factors *out,
		     const struct engine_params *params);

/*
 * Factor n >= 1 into out without resetting it; used by factor_u128 once a
 * cofactor fits in 64 bits.  Returns STATUS_OK or STATUS_PARTIAL (dl
 * expired; the unsplit cofactor is marked composite).
 */
int factor_u64_append(uint64_t n, struct small_factors *out,
		      struct small_deadline *dl);

/* ---- 128-bit tier (engine_u128.c) ---- */

/* 1 if n passes BPSW (proven prime when n < 2^64), 0 if composite. */
int prime_p_u128(u128 n);

/* As factor_u64 for any n < 2^128. */
int factor_u128(u128 n, struct small_factors *out,
		const struct engine_params *params);
int factor_u128_until(u128 n, struct small_factors *out,
		      const struct engine_params *params, double deadline);

/* ---- native tiers: trial division and methods (engine_tdiv.c,
 *      engine_u64.c, engine_u128.c) ---- */

/* The prime table: every prime below 2^16, ascending, 2 first. */
enum { TDIV_NPRIMES = 6542 };
uint32_t tdiv_prime(unsigned i); /* i < TDIV_NPRIMES */

/*
 * Insert p^e into out, keeping it sorted ascending and merging an equal
 * entry.  Returns STATUS_OK, or STATUS_ERR_RANGE when out is full.
 */
int small_factors_add(struct small_factors *out, u128 p, unsigned e,
		      int composite);

/*
 * Remove the primes tdiv_prime(0 .. bound_index-1) from *n (n > 0),
 * appending them to out (not reset).  Stops early when the next prime
 * squared exceeds *n: then a prime *n > 1 is appended and *n set to 1.
 * Returns B such that every prime factor left in *n is >= B.
 */
uint64_t tdiv_u64(uint64_t *n, struct small_factors *out, unsigned bound_index);
uint64_t tdiv_u128(u128 *n, struct small_factors *out, unsigned bound_index);

/*
 * Remove every prime below bound (at most 2^16) from the GMP number n > 0,
 * appending them to out (not reset).  Returns STATUS_OK, or STATUS_PARTIAL
 * when out filled up first: n still holds the rest; empty out
 * (out->n = 0) and call again.
 */
int tdiv_mpz(mpz_t n, struct small_factors *out, unsigned long bound);

/*
 * Single methods, exposed for tests and the dispatcher: each returns a
 * non-trivial factor of the odd composite n, or 0 when it gave up.
 * c / seed pick the polynomial or the curves deterministically.
 */
uint64_t rho_u64(uint64_t n, uint64_t c, uint64_t max_iter);
uint64_t squfof_u64(uint64_t n);
u128 rho_u128(u128 n, uint64_t c, uint64_t max_iter);

/*
 * Micro-ECM: curves numbered first, first + 1, ...: those below
 * ECM_Z28_COUNT are rows of ecm_z28_curves, the rest Suyama's curves with
 * sigma from the splitmix64 stream of seed (drawn for every curve, so a
 * curve's sigma does not depend on the table).  ecm_u64 / ecm_u128 run
 * Suyama's curves only (first = ECM_Z28_COUNT), as the known-answer tests
 * expect; the dispatcher numbers a cofactor's curves across its calls.
 */
uint64_t ecm_u64(uint64_t n, unsigned curves, uint64_t seed);
uint64_t ecm_u64_from(uint64_t n, unsigned first, unsigned curves,
		      uint64_t seed);
u128 ecm_u128(u128 n, unsigned curves, uint64_t seed);
u128 ecm_u128_from(u128 n, unsigned first, unsigned curves, uint64_t seed);

/*
 * The Z/2 x Z/8 curves (engine_curves.c): a24 = a24_num / a24_den and the
 * point's w = (w_neg ? -1 : 1) w_num / w_den on B v^2 = w^3 + A w^2 + w.
 */
enum { ECM_Z28_COUNT = 56 };
struct ecm_z28_curve {
	uint64_t a24_num, a24_den, w_num, w_den;
	int w_neg;
};
extern const struct ecm_z28_curve ecm_z28_curves[ECM_Z28_COUNT];

/* ---- GMP tier (engine_mpz.c) ---- */

/*
 * 2 proven prime, 1 probable prime (BPSW plus Miller-Rabin rounds with
 * seeded random bases), 0 composite.
 */
int prime_p_mpz(const mpz_t n);

/* As prime_p_mpz, the Miller-Rabin bases drawn from seed. */
int prime_p_mpz_seed(const mpz_t n, uint64_t seed);

/* State shared by the methods of one engine_factor call on a big number. */
struct mpz_search {
	const struct engine_params *params; /* never NULL */
	double deadline;  /* absolute CLOCK_MONOTONIC seconds, 0 = none */
	uint64_t rng;     /* splitmix64 state, from params->seed */
	void *ecm;        /* GMP-ECM ecm_params, allocated on first use */
	mpz_t t1, t2, t3; /* scratch */
};

/* What has been tried on one cofactor; inherited by its divisors. */
struct mpz_progress {
	unsigned char rho_done, pm1_done;
	unsigned char siqs_failed; /* SIQS runs that gave no factor */
	unsigned char divisor;     /* 1: a proper divisor of the input (a factor
				   was removed): the ECM depth of a random
				   composite applies (engine_mpz.c) */
	unsigned level;            /* index into the ECM schedule */
	unsigned long curves;      /* curves done at that level */
};

void mpz_search_init(struct mpz_search *s, const struct engine_params *p,
		     double deadline);
void mpz_search_clear(struct mpz_search *s);

/* 1 when the deadline has passed or the stop hook asks to stop. */
int mpz_search_stop_p(struct mpz_search *s);

/*
 * Methods on an odd composite n that is not a perfect power: on success f is
 * a factor 1 < f < n and the return is STATUS_FOUND; STATUS_NOT_FOUND,
 * STATUS_ERR_STOPPED (deadline or stop hook), negative on error.
 */
int rho_mpz(mpz_t f, const mpz_t n, unsigned long iters, struct mpz_search *s);
int pm1_mpz(mpz_t f, const mpz_t n, double b1, struct mpz_search *s);
int ecm_mpz(mpz_t f, const mpz_t n, double b1, struct mpz_search *s);

/* The schedule: rho, P-1, ECM by level, SIQS; ECM again until stopped. */
int find_factor_mpz(mpz_t f, const mpz_t n, struct mpz_progress *prog,
		    struct mpz_search *s);

/* ---- result list and checks (engine_result.c, engine_verify.c) ---- */

/*
 * Replace res's entries (res reset, count 0) by the native list sf, which
 * is sorted and distinct: a straight copy into the reused entries.
 * Returns STATUS_OK, STATUS_PARTIAL (an entry is marked composite),
 * STATUS_ERR_VERIFY (sf->n out of range) or STATUS_ERR_NOMEM.
 */
int engine_result_set_small(struct engine_result *res,
			    const struct small_factors *sf);

/*
 * Multiply sf, each exponent times e, into res (engine_result_add per
 * entry; tmp is scratch).  STATUS_OK or engine_result_add's error.
 */
int engine_result_add_small(struct engine_result *res,
			    const struct small_factors *sf, unsigned long e,
			    mpz_t tmp);

/*
 * The check of a 64-bit tier answer for v (product in 128-bit arithmetic,
 * order, composite marks; claimed primes not re-tested, see
 * engine_verify.c).  STATUS_OK or STATUS_ERR_VERIFY.
 */
int small_verify_u64(const struct small_factors *sf, uint64_t v);

#endif
