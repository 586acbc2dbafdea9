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

#include <stddef.h>
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
	/* shared sieve (siqs_wire.c): relations handed to export_rels; taken
	 * from import_rels and stored, refused by the check (wrong product,
	 * bad field, malformed record) and dropped as already held */
	unsigned long exported, imported, import_rejected, import_dups;
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
	/*
	 * Shared sieve, helper side: a non-NULL export_rels makes the run a
	 * helper.  It builds the factor base and parameters from n as the
	 * owner does (deterministic given n and the overrides above), draws
	 * its A's from the stream (seed, helper), hands every batch of
	 * packed relations (siqs_wire_* below) to export_rels, never does
	 * linear algebra, and ends with STATUS_ERR_STOPPED when the stop
	 * hook or export_rels (non-zero return) says so, STATUS_ERR_TIMEOUT
	 * at the deadline.  The batch is the callee's to copy, not to keep.
	 */
	int (*export_rels)(void *arg, const unsigned char *batch, size_t len);
	void *export_arg;
	uint32_t helper; /* A stream: 0 the owner's (default), else a helper's */
	/*
	 * Shared sieve, owner side: polled after every polynomial until it
	 * returns 0; 1 with *batch, *len a batch of packed relations, valid
	 * until the next call.  Each relation is checked ((A x + B)^2 - kN
	 * equals the product it claims: a helper is not trusted), dropped
	 * when its |A x + B| is held already, else stored as the run's own.
	 * NULL (default): no import, no duplicate check.
	 */
	int (*import_rels)(void *arg, const unsigned char **batch, size_t *len);
	void *import_arg;
};

/*
 * The relation wire format, owned by this module.  A batch is records end
 * to end, each little-endian:
 *
 *   0        2     3       4          8          12           12+yb
 *   +--------+-----+-------+----------+----------+------------+----------+
 *   | nfac   |sign | yb    | lp       | lp2      | |y|, yb B  | nfac x   |
 *   | u16    | u8  | u8    | u32      | u32      | LE bytes   | u32 FB   |
 *   +--------+-----+-------+----------+----------+------------+ index    |
 *
 * y = A x + B (sign 1: negative), (A x + B)^2 - kN = product of the
 * factor-base primes at the indices (index 0: -1) times lp times lp2
 * (1: none; lp2 > 1 needs lp > 1).
 */
enum {
	SIQS_WIRE_HEAD = 12, /* fixed part of a record */
	SIQS_WIRE_MAX_FAC =
		512, /* indices per record: siqs_int.h's SIQS_MAX_FAC */
	SIQS_WIRE_MAX_YBYTES = 64, /* |y| < 2^512: n below 400 bits, M 2^19 */
	SIQS_WIRE_MAX_REC = SIQS_WIRE_HEAD + SIQS_WIRE_MAX_YBYTES +
		4 * SIQS_WIRE_MAX_FAC,
	/* a helper sends its batch once past this many bytes (about 150
	 * relations of 69 digits) or at the end of each A */
	SIQS_WIRE_BATCH = 16384,
	/* no batch is longer: the flush threshold plus one largest record */
	SIQS_WIRE_MAX_BATCH = 65536
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
