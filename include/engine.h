/*
 * engine.h - factor one integer completely (knows nothing of MPI).
 *
 * Shape of GMP-ECM's ecm_factor(f, n, B1, params): a result, an input, and
 * params (NULL means defaults, see engine_params_init).  The engine picks a
 * tier by size (uint64_t, unsigned __int128, GMP) and runs a pipeline of
 * methods, cheap ones first: trial division, primality test, rho/SQUFOF/ECM
 * on native words, then P-1, ECM (GMP-ECM) and SIQS on big numbers.
 *
 * Ownership: a struct engine_result is initialised with engine_result_init,
 * reused across calls (engine_factor resets it), and released with
 * engine_result_clear.  The caller owns it; the engine never keeps pointers
 * into it.  Library code: never prints, never exits.
 */
#ifndef FACTORIZE_ENGINE_H
#define FACTORIZE_ENGINE_H

#include <stddef.h>
#include <stdint.h>
#include <gmp.h>

/* What the engine knows about one factor. */
enum engine_kind {
	ENGINE_PRIME = 0, /* proven prime (deterministic test) */
	ENGINE_PROBABLE_PRIME =
		1,           /* passed BPSW plus extra Miller-Rabin rounds */
	ENGINE_COMPOSITE = 2 /* composite cofactor left when time ran out */
};

struct engine_factor {
	mpz_t p;         /* the factor, > 1 */
	unsigned long e; /* its exponent, >= 1 */
	int kind;        /* enum engine_kind */
};

/*
 * The factorization of n: factors sorted ascending and pairwise coprime,
 * product of p^e equal to n.  status is STATUS_OK when every factor is
 * (probably) prime, STATUS_PARTIAL when at least one is ENGINE_COMPOSITE.
 * For n = 0 and n = 1 the list is empty (GNU factor prints "0:" and "1:").
 */
struct engine_result {
	struct engine_factor *f; /* count entries in use */
	size_t count;
	size_t cap; /* entries allocated, each mpz_init'ed */
	int status;
};

/*
 * A factorization in machine words (the range engine's answer for a term
 * below 2^64, formatted by output_format_words without GMP): n and its
 * count distinct primes p[i] ascending, each with exponent e[i] >= 1,
 * every p proven prime, the product of p^e equal to n (0 and 1: count 0).
 * A number below 2^64 has at most 15 distinct primes (the product of the
 * first 16 exceeds 2^64), so ENGINE_WORDS_MAX always has room.
 */
enum { ENGINE_WORDS_MAX = 16 };
struct engine_words {
	uint64_t n;
	uint32_t count;
	uint64_t p[ENGINE_WORDS_MAX];
	uint8_t e[ENGINE_WORDS_MAX]; /* < 64 for a 64-bit n */
};

/*
 * What the GMP tier did, added up over calls (the caller zeroes it): for
 * benchmarks, tuning and the tests of the schedule.
 */
struct engine_stats {
	unsigned long ecm_curves;  /* GMP-ECM curves, interleaved included */
	unsigned long interleaved; /* of which run beside SIQS */
	unsigned long siqs_runs;   /* siqs_factor calls */
	unsigned long siqs_cut;    /* SIQS runs ended by an interleaved
				      curve's factor */
};

/*
 * Many ranks on one number (the caller's side of siqs.h's import hook):
 * before each SIQS run on a cofactor n, begin(arg, n) is asked whether to
 * share it (non-zero: yes); a shared run polls import (siqs.h
 * import_rels) after every polynomial, and end(arg) follows the run
 * whatever its outcome.  The engine never sees where relations come from.
 */
struct engine_coop {
	int (*begin)(void *arg, const mpz_t n);
	int (*import)(void *arg, const unsigned char **batch, size_t *len);
	void (*end)(void *arg);
	void *arg;
};

struct engine_params {
	uint64_t seed;     /* seed for every random choice; default 1 */
	double time_limit; /* seconds per number, 0 = unlimited (default) */
	int (*stop)(void *arg); /* polled now and then; non-zero = give up */
	void *stop_arg;
	int verify;                 /* check product and primality; default 1 */
	struct engine_stats *stats; /* added to when non-NULL; default NULL */
	const struct engine_coop *coop; /* shared SIQS runs; default NULL */
};

/*
 * Process-wide settings the engine runs fastest with; call once, early,
 * from main().  With glibc: the heap is not trimmed back to the kernel
 * below 64 MiB and blocks below 32 MiB come from the heap, not mmap, so
 * the memory each SIQS call frees is not faulted in again by the next call.
 * Elsewhere a no-op.
 */
void engine_process_init(void);

/* Defaults: seed 1, no time limit, no stop hook, verify on, no stats,
   no coop. */
void engine_params_init(struct engine_params *params);

void engine_result_init(struct engine_result *res);
void engine_result_clear(struct engine_result *res); /* NULL allowed */
void engine_result_reset(struct engine_result *res);

/*
 * Multiply p^e into res, keeping it sorted and coprime (a factor sharing a
 * gcd with an entry is split by refinement).  Returns STATUS_OK or
 * STATUS_ERR_NOMEM / STATUS_ERR_INVAL (p < 2 or e == 0).
 */
int engine_result_add(struct engine_result *res, const mpz_t p, unsigned long e,
		      int kind);

/*
 * The words' factors into res (reset first), each ENGINE_PRIME as the
 * engine marks a prime below 2^64, status STATUS_OK: the entries
 * engine_factor gives for w->n.  STATUS_OK or STATUS_ERR_NOMEM.
 */
int engine_result_set_words(struct engine_result *res,
			    const struct engine_words *w);

/*
 * res for n as words, when n < 2^64 and every factor is below 2^64 and
 * not ENGINE_COMPOSITE (every complete answer for such an n): 1 and *w
 * filled, else 0.
 */
int engine_result_get_words(const struct engine_result *res, const mpz_t n,
			    struct engine_words *w);

/*
 * Factor n >= 0 completely into res.  Returns STATUS_OK (complete),
 * STATUS_PARTIAL (time limit or stop hook left a composite cofactor),
 * STATUS_ERR_INVAL (n < 0), STATUS_ERR_VERIFY (internal check failed; never
 * expected), STATUS_ERR_NOMEM.
 */
int engine_factor(struct engine_result *res, const mpz_t n,
		  const struct engine_params *params);

/*
 * Check res against n: product of p^e equals n, list sorted and coprime,
 * every factor not marked composite passes a strong probable-prime test
 * (BPSW), every factor marked composite really is composite.
 * Returns STATUS_OK or STATUS_ERR_VERIFY.
 */
int engine_verify(const struct engine_result *res, const mpz_t n);

/*
 * The product part of engine_verify alone (what --verify=product and the
 * benchmark check): the p^e multiply to n, an empty list for 0 and 1.
 * STATUS_OK or STATUS_ERR_VERIFY.
 */
int engine_product_check(const struct engine_result *res, const mpz_t n);

#endif
