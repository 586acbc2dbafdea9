/*
 * block.h - a chunk's output block: the formatted lines of its numbers,
 * in input order, as a worker sends them in a RESULT (proto.h) and rank 0
 * writes them.  This module checks a block against the chunk it belongs
 * to, so that rank 0 can keep the books per chunk and copy bytes.
 *
 * A good block for a chunk of count numbers holds exactly count lines,
 * each ending in '\n'.  block_check walks the lines (memchr per line) and
 * parses back the lines it chooses:
 *   --verify full      every line;
 *   --verify sample    the first line of every block and each other line
 *   --verify product   with probability 1 / BLOCK_SAMPLE_RATE: one line
 *                      drawn uniformly in each run of BLOCK_SAMPLE_RATE
 *                      lines (stratified), from a generator seeded by
 *                      the job's --seed and the chunk id (so a run
 *                      repeats exactly);
 *   --verify none      no line (only the count).
 * A chosen line must parse (output_parse), name the chunk's number at its
 * position, pass the check (engine_verify: product and primality; under
 * product only the product), and reformat to exactly its own bytes.
 *
 * Pure module: no MPI, no I/O; never prints.
 */
#ifndef FACTORIZE_BLOCK_H
#define FACTORIZE_BLOCK_H

#include <stddef.h>
#include <stdint.h>
#include <gmp.h>

#include "cli.h"
#include "engine.h"
#include "output.h"

/*
 * 1 line in BLOCK_SAMPLE_RATE is parsed back at random besides each
 * block's first: a check costs 1-4 us (parse, primality of the factors,
 * reformat), so 64 keeps rank 0 near 0.05 us per number; a rank wrong on
 * every line is caught on its first block (the first line), one wrong on
 * a fraction f of its lines escapes N of them with probability at most
 * about e^(-f N / 64): the draws are stratified (one line uniformly in
 * each run of 64), so the chance is the product over the runs of
 * (1 - the run's wrong lines / 64), which is at most (1 - f / 64)^N's
 * limit e^(-f N / 64).
 */
enum { BLOCK_SAMPLE_RATE = 64 };

/*
 * A chunk of more than BLOCK_SAMPLE_RATE x BLOCK_SAMPLE_LINES (4096)
 * numbers is sampled at 1 in count / BLOCK_SAMPLE_LINES instead: about 64
 * lines besides the first whatever its size, so rank 0's cost per chunk
 * stays flat (issue 17: the coordinator's work per chunk must not grow
 * with the chunk) and every line of the chunk is equally likely to be
 * drawn.  The chance of missing a sporadically wrong rank grows in the
 * same proportion for such chunks (README, --verify).
 */
enum { BLOCK_SAMPLE_LINES = 64 };

/* The input number of line i of the block being checked (i ascending);
   NULL when the checker does not know it (a byte range parsed by the
   worker): the line's own number is checked then. */
typedef mpz_srcptr (*block_number_fn)(void *arg, uint32_t i, mpz_t scratch);

struct block_check {
	int format, exponents, verbose, verify; /* from the options */
	uint64_t seed;
	mpz_t n, want;
	struct engine_result r;
	struct output_meta meta;
	char *line; /* reformat scratch */
	size_t line_cap;
	uint64_t lines_checked; /* lines parsed back so far */
};

/* Formats and --verify mode from o, the sample seed from o->seed. */
void block_check_init(struct block_check *k, const struct options *o);
void block_check_clear(struct block_check *k); /* NULL allowed */

/*
 * Check block b (len bytes) of chunk chunk_id, count numbers, number(arg,
 * i, scratch) giving line i's input number.  STATUS_OK; STATUS_ERR_PROTO
 * when the block does not hold exactly count lines ending in '\n';
 * STATUS_ERR_VERIFY when a chosen line is wrong (*bad_line = its index).
 * count 0 (a byte range without numbers) wants len 0.
 */
int block_check(struct block_check *k, uint64_t chunk_id,
		const unsigned char *b, size_t len, uint32_t count,
		block_number_fn number, void *arg, uint32_t *bad_line);

/*
 * The byte length of the first k lines of b (len bytes); len when b has
 * fewer.  Callers have checked the block with block_check or
 * block_count_lines first.
 */
/*
 * Workers that write their own blocks (proto.h 3b) send rank 0 the sample
 * instead of the block.  block_sample calls emit(arg, i, line, len) for
 * every line of b that block_check would parse back (the same draws: k's
 * --verify mode and seed, the chunk id), in order; STATUS_ERR_PROTO when b
 * does not hold exactly count lines.  block_sample_size: how many lines
 * that is.  block_check_held checks such a sample on rank 0: next(...)
 * yields the n_sample lines received, which must be exactly the lines
 * drawn, each one line ending in '\n' (else STATUS_ERR_PROTO), and each is
 * checked as block_check checks it (STATUS_ERR_VERIFY, *bad_line).  What
 * it cannot see: the lines not drawn, and the block's length; the stated
 * chance of catching a rank that is always wrong holds as for blocks.
 */
typedef int (*block_line_fn)(void *arg, uint32_t i, const unsigned char *line,
			     size_t len);
typedef int (*block_next_fn)(void *arg, uint32_t *i, const unsigned char **line,
			     uint32_t *len);
int block_sample(const struct block_check *k, uint64_t chunk_id,
		 const unsigned char *b, size_t len, uint32_t count,
		 block_line_fn emit, void *arg);
uint32_t block_sample_size(const struct block_check *k, uint64_t chunk_id,
			   uint32_t count);
int block_check_held(struct block_check *k, uint64_t chunk_id, uint32_t count,
		     uint32_t n_sample, block_next_fn next, void *next_arg,
		     block_number_fn number, void *arg, uint32_t *bad_line);

size_t block_prefix(const unsigned char *b, size_t len, uint32_t k);

/*
 * Lines of b (len bytes, k's format) whose result is partial, by the
 * marker only a partial line holds: text " [composite ", JSON
 * "status":"partial", CSV ",partial," after the quoted factors.
 */
uint32_t block_partial_lines(const struct block_check *k,
			     const unsigned char *b, size_t len);

/* Newlines in b (len bytes). */
uint32_t block_count_lines(const unsigned char *b, size_t len);

#endif
