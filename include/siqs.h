/*
 * siqs.h - self-initialising quadratic sieve (SIQS) for one composite.
 *
 * Finds a non-trivial factor of an odd composite n of 64 to 400 bits
 * (about 20 to 120 digits; a perfect power gives its root).  The engine
 * calls it from 68 bits to 110 digits, once trial division, rho and ECM
 * have not split n (src/siqs/siqs.c's top comment).  Pure module: no MPI,
 * never prints.
 */
#ifndef FACTORIZE_SIQS_H
#define FACTORIZE_SIQS_H

#include <stdint.h>
#include <gmp.h>

/* What one run did, for benchmarks and tuning. */
struct siqs_stats {
	unsigned multiplier;      /* k: kn was sieved */
	unsigned fb_size;         /* factor-base entries, -1 and 2 included */
	unsigned s;               /* primes in each A */
	unsigned long sieve_len;  /* bytes in [-M, M) */
	unsigned long lp_bound;   /* large prime bound */
	unsigned long polys;      /* polynomials sieved */
	unsigned long candidates; /* sieve reports trial-divided */
	unsigned long fulls;      /* full relations */
	unsigned long partials; /* partial relations (one or two large primes) */
	unsigned long double_partials; /* of which two large primes */
	unsigned long cycles; /* full relations from cycles of partials */
	unsigned long sieve_mismatches; /* check_sieve: bytes that differed */
	/* check_rels: matrix rows whose large primes do not pair, plus
	 * relations whose (A x + B)^2 - kN is not their recorded product */
	unsigned long rel_mismatches;
	double t_sieve, t_linalg; /* seconds: collecting relations, the rest */
};

struct siqs_params {
	uint64_t seed;          /* every random choice; default 1 */
	double deadline;        /* absolute CLOCK_MONOTONIC seconds; 0 = none */
	int (*stop)(void *arg); /* polled between polynomials; non-zero = stop */
	void *stop_arg;
	struct siqs_stats *stats; /* filled in when non-NULL; default NULL */
	/* Overrides of the parameter table, for tuning; 0 = from the table. */
	unsigned fb_size;     /* factor-base entries */
	double lp_mult;       /* large prime bound / largest FB prime */
	unsigned blocks;      /* 32 KiB sieve blocks in [-M, M) */
	double fudge;         /* threshold slack in bits */
	double q_max;         /* upper bound on the primes of A */
	unsigned small_prime; /* smallest prime sieved */
	/* double large prime cutoff as an exponent e of the large prime
	 * bound L (cofactors below L^e, 1 < e < 2, are split in two);
	 * 0: the table's choice (on from SIQS_DLP_MIN_BITS); negative: off */
	double dlp;
	/* 1: the portable scalar code only, no SSE2/AVX2/FMA/AVX-512 paths;
	 * 2: no AVX-512 paths (tests check all give the same relations);
	 * default 0 (fastest found) */
	int scalar;
	/* non-zero: after every polynomial's sieve, recompute it one prime
	 * and one root at a time over the whole interval and count the bytes
	 * that differ (stats->sieve_mismatches); tests only, slow */
	int check_sieve;
	/* non-zero: before the linear algebra, check every row's relations
	 * (stats->rel_mismatches); tests only, slow */
	int check_rels;
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
