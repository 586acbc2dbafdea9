/*
 * engine_int.h - declarations shared by the engine's files (private).
 *
 * Tier twins share a name and differ by suffix: prime_p_u64 / prime_p_u128 /
 * prime_p_mpz, rho_u64 / rho_u128 / rho_mpz, ecm_u64 / ecm_u128 / ecm_mpz.
 * engine.c is the dispatcher: it picks a tier by the size of each cofactor.
 *
 * Files:
 *   engine.c       dispatcher, result list, verification
 *   engine_tdiv.c  prime table and trial division (shared by all tiers)
 *   engine_u64.c   64-bit Montgomery arithmetic: BPSW, rho, SQUFOF, ECM
 *   engine_u128.c  128-bit Montgomery arithmetic: BPSW, rho, ECM
 *   engine_mpz.c   GMP tier: BPSW+MR, rho, P-1 and ECM (GMP-ECM), SIQS call
 */
#ifndef FACTORIZE_ENGINE_INT_H
#define FACTORIZE_ENGINE_INT_H

#include <assert.h>
#include <stdint.h>
#include <gmp.h>

#include "engine.h"

typedef unsigned __int128 u128;

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

/* ---- 128-bit tier (engine_u128.c) ---- */

/* 1 if n passes BPSW (proven prime when n < 2^64), 0 if composite. */
int prime_p_u128(u128 n);

/* As factor_u64 for any n < 2^128. */
int factor_u128(u128 n, struct small_factors *out,
		const struct engine_params *params);

/* ---- GMP tier (engine_mpz.c) ---- */

/*
 * 2 proven prime, 1 probable prime (BPSW plus Miller-Rabin rounds with
 * seeded random bases), 0 composite.
 */
int prime_p_mpz(const mpz_t n);

#endif
