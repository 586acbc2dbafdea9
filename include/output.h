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
#include <stdint.h>
#include <gmp.h>

#include "engine.h"

struct output;

/*
 * A stream a person may watch (stdout, a device, a FIFO) is fully
 * buffered but flushed by output_tick once its oldest unflushed byte is
 * this old: short enough that lines seem to arrive as they are done,
 * long enough that a fast job makes a few writes per second, not one per
 * line (under mpirun every write is copied once more by mpirun).
 */
enum { OUTPUT_FLUSH_MS = 200 };

/* Per-number extras for --verbose JSON. */
struct output_meta {
	int rank;       /* rank that factored it; -1 unknown */
	double seconds; /* time taken; < 0 unknown */
};

/*
 * path NULL or "-" = stdout.  format is enum cli_format.  On error returns
 * STATUS_ERR_IO with errno kept and a message in err.
 */
int output_open(struct output **o, const char *path, int format, int exponents,
		int verbose, char *err, size_t err_size);

/*
 * --checkpoint: output_open, but a regular file's temporary name is fixed,
 * "<dir>/.<name>" OUTPUT_KEPT_SUFFIX, so that a resumed run finds it:
 * opened read-write without truncation (fresh 1: truncated, a job that
 * starts afresh), kept by output_close(o, 0), and at commit cut to its
 * length (output_set_length, else what this process wrote) and renamed.
 * Standard output, a device or a FIFO are opened as output_open does.
 * output_is_kept: o writes such a file.
 */
#define OUTPUT_KEPT_SUFFIX ".factorize-partial"
int output_open_kept(struct output **o, const char *path, int format,
		     int exponents, int verbose, int fresh, char *err,
		     size_t err_size);
int output_is_kept(const struct output *o);

/* The file's final length, when other processes wrote it (proto.h 3b). */
void output_set_length(struct output *o, uint64_t length);

/* Write the line(s) for n.  STATUS_OK or STATUS_ERR_IO. */
int output_write(struct output *o, const mpz_t n, const struct engine_result *r,
		 const struct output_meta *meta);

/*
 * Write len bytes of formatted lines as they are (a worker's block).
 * STATUS_OK or STATUS_ERR_IO.
 */
int output_write_block(struct output *o, const void *bytes, size_t len);

/*
 * Workers write the file (proto.h 3b).  output_shared_path: the temporary
 * name other processes may open and write, or NULL when the output is not
 * a file written under a temporary name (standard output, a device, a
 * FIFO).  output_hand_over: flush what this process wrote (the CSV
 * header) and give the offset where the blocks start; it writes nothing
 * more itself, and output_close renames the file as always.
 */
const char *output_shared_path(const struct output *o);
int output_hand_over(struct output *o, uint64_t *offset);
/* A block written at an offset of the shared file by this process (rank 0
   standing in for a worker that stopped answering). */
int output_write_at(struct output *o, uint64_t offset, const void *bytes,
		    size_t len);

/*
 * Seconds until the buffered bytes of a watched stream are due to be
 * flushed: 0 when due now, < 0 when nothing waits (or o is a file written
 * under a temporary name).  A caller about to wait for longer should wait
 * at most this long and then call output_tick.
 */
double output_flush_wait(const struct output *o);

/*
 * Flush a watched stream whose oldest unflushed byte is OUTPUT_FLUSH_MS
 * old (now = 1: whatever waits, at once); otherwise nothing.  Call after
 * each block written and after a wait of output_flush_wait seconds; a
 * caller that is about to compute for an unknown time (one process: the
 * next chunk) passes now = 1.  STATUS_OK or STATUS_ERR_IO.
 */
int output_tick(struct output *o, int now);

/*
 * Flush and close.  commit 1: a file is renamed into place; commit 0: the
 * temporary file is removed (interrupted run), or kept when it has the
 * fixed name of output_open_kept.  Frees o (NULL allowed).
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

/* output_format appending at offset at of *buf (the bytes before kept);
   returns the new total length or a negative status. */
long output_format_at(char **buf, size_t *cap, size_t at, int format,
		      int exponents, int verbose, const mpz_t n,
		      const struct engine_result *r,
		      const struct output_meta *meta);

/*
 * The decimal text of the terms of a progression below 2^64, kept by
 * adding the step's digits to the last term's (output_term_next) instead
 * of converting every term.  Valid while the terms fit 64 bits: the step
 * that would pass 2^64 - 1 clears valid.  A value type, no resources.
 */
enum { OUTPUT_TERM_END = 32 }; /* where the digits end in d */
struct output_term {
	uint64_t n, step; /* the term the text is of; the step */
	unsigned len;     /* digits of n, at d + OUTPUT_TERM_END - len */
	unsigned slen;    /* digits of the step */
	int valid;
	char d[OUTPUT_TERM_END + 24];     /* '0' before the digits, 0 after */
	unsigned char s[OUTPUT_TERM_END]; /* the step's digit values, ending
					     at s + OUTPUT_TERM_END */
};
void output_term_init(struct output_term *t, uint64_t n, uint64_t step);
void output_term_next(struct output_term *t);

/*
 * output_format_at for a factorization in machine words (engine.h): the
 * same bytes output_format_at writes for the engine_result of the same
 * factors (it formats such a result through this writer), without GMP.
 * term: NULL, or the text of w->n when term->n == w->n (a progression's
 * term kept by output_term: copied, not converted).  Returns the new
 * total length or a negative status.
 */
long output_format_words(char **buf, size_t *cap, size_t at, int format,
			 int exponents, int verbose,
			 const struct engine_words *w,
			 const struct output_term *term,
			 const struct output_meta *meta);

/*
 * Parse one line that output_format wrote (len bytes, ending in '\n')
 * back into n, r and meta (rank -1 / seconds -1 when absent), with the
 * same format options.  JSON and CSV keep only the product of the
 * composite parts: it comes back as one ENGINE_COMPOSITE factor, which
 * formats to the same bytes.  Lenient about nothing a reformat would not
 * reproduce: callers compare output_format's bytes with the line.
 * STATUS_OK, STATUS_ERR_SYNTAX, STATUS_ERR_INVAL.
 */
int output_parse(const char *line, size_t len, int format, int exponents,
		 int verbose, mpz_t n, struct engine_result *r,
		 struct output_meta *meta);

#endif
