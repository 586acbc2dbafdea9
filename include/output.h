/*
 * output.h - writing factorizations: text exactly as GNU factor prints it
 * ("12: 2 2 3", with -h "3000: 2^3 3 5^3"), JSON lines, or CSV.
 *
 * An output writes to stdout or to a file; a file is written under a
 * temporary name in the same directory and renamed into place only by
 * output_close(o, 1) after every byte was written and flushed, so a reader
 * never sees a partial file as final.  Write errors (disk full, closed
 * stdout) are remembered and reported at the latest by output_close.
 * Pure module: never prints to stderr, never exits.
 */
#ifndef FACTORIZE_OUTPUT_H
#define FACTORIZE_OUTPUT_H

#include <stddef.h>
#include <gmp.h>

#include "engine.h"

struct output;

/* Per-number extras for --verbose JSON. */
struct output_meta {
	int rank;             /* rank that factored it; -1 unknown */
	double seconds;       /* time taken; < 0 unknown */
};

/*
 * path NULL or "-" = stdout.  format is enum cli_format.  On error returns
 * STATUS_ERR_IO with errno kept and a message in err.
 */
int output_open(struct output **o, const char *path, int format,
		int exponents, int verbose, char *err, size_t err_size);

/* Write the line(s) for n.  STATUS_OK or STATUS_ERR_IO. */
int output_write(struct output *o, const mpz_t n,
		 const struct engine_result *r, const struct output_meta *meta);

/*
 * Flush and close.  commit 1: a file is renamed into place; commit 0: the
 * temporary file is removed (interrupted run).  Frees o (NULL allowed).
 * STATUS_OK or STATUS_ERR_IO (message in err).
 */
int output_close(struct output *o, int commit, char *err, size_t err_size);

/*
 * Format one result into buf (growable: *buf may be realloc'ed, *cap
 * updated); returns the length written or a negative status.  The pure
 * core of output_write, exposed for tests.
 */
long output_format(char **buf, size_t *cap, int format, int exponents,
		   int verbose, const mpz_t n, const struct engine_result *r,
		   const struct output_meta *meta);

#endif
