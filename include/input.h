/*
 * input.h - where the numbers come from: a generated progression
 * (start + i*step), text from a file or stdin, or command-line arguments.
 *
 * Text syntax (as GNU factor): numbers separated by blanks or newlines,
 * '#' starts a comment to the end of the line, blank lines allowed, CRLF
 * accepted, leading blanks and one leading '+' accepted, leading zeros
 * accepted (the number's value is printed, as factor does).  Anything else
 * is a bad token: input_next reports it (line, token, reason) and the
 * caller goes on to the next one.
 *
 * Ownership: input_open_* allocate a source that input_close frees
 * (NULL allowed).  Pure module: never prints, never exits.
 */
#ifndef FACTORIZE_INPUT_H
#define FACTORIZE_INPUT_H

#include <stddef.h>
#include <stdint.h>
#include <signal.h>
#include <gmp.h>

struct input_source;

/* A bad token: where it was and why, for a message like GNU factor's. */
struct input_error {
	unsigned long line; /* 1-based line; 0 for command-line arguments */
	char token[64];     /* the token, shortened with "..." if longer */
	const char *reason; /* e.g. "is not a valid positive integer",
				 "has more than 10000 digits (--max-digits)";
				 static or owned by the source: valid until
				 input_close */
};

/* start + i*step for i in [0, count). */
int input_open_range(struct input_source **s, const mpz_t start,
		     const mpz_t step, uint64_t count);
/* path "-" is stdin.  STATUS_ERR_IO (errno kept) when it cannot be opened. */
int input_open_file(struct input_source **s, const char *path,
		    unsigned long max_digits);
/* args[0..n-1] each one number (argv strings, not copied: keep argv). */
/*
 * Byte ranges of a regular file (--input FILE under the byte-range path):
 * rank 0 cuts the file, a worker reads one range.
 *
 * input_cut: the file's size and the ends of its ranges, each about
 * target bytes and cut just after a newline (a line longer than target
 * makes its range end at that line's end; the last range ends at the end
 * of the file, newline or not).  Range k is [ends[k-1], ends[k]), range 0
 * starts at 0; an empty file has none.  *ends is malloc'ed (free it).
 * STATUS_OK; STATUS_NOT_FOUND when path is no regular file (a FIFO: read
 * it as a stream); STATUS_ERR_IO (errno kept); STATUS_ERR_CORRUPT when
 * the file ended before its size; STATUS_ERR_INVAL for "-" or target 0.
 *
 * input_open_bytes: a text source over [offset, offset + length) of path,
 * whose lines are counted from 1 at offset (input_error.line is local to
 * the range).  STATUS_ERR_CORRUPT when the file is not size bytes long
 * now, and from input_next when it ends inside the range: a file that
 * changes size during the job is an error.
 */
int input_cut(const char *path, uint64_t target, uint64_t **ends, uint64_t *n,
	      uint64_t *size);
int input_open_bytes(struct input_source **s, const char *path, uint64_t offset,
		     uint64_t length, uint64_t size, unsigned long max_digits);
/* The current line of a text source (1-based): after input_next said
   STATUS_NOT_FOUND, 1 + the newlines read.  0 for other sources. */
unsigned long input_line(const struct input_source *s);

int input_open_args(struct input_source **s, char **args, int n,
		    unsigned long max_digits);
void input_close(struct input_source *s);

/*
 * A read of a file source cut by a caught signal (EINTR) is retried,
 * unless *flag is non-zero then: input_next returns STATUS_ERR_IO with
 * errno EINTR, so a job reading a pipe that stalls still stops at once.
 * flag may be NULL (always retry); it must outlive the source.
 */
void input_set_interrupt(struct input_source *s,
			 const volatile sig_atomic_t *flag);

/*
 * Next number into n.  Returns STATUS_OK, STATUS_NOT_FOUND at the end,
 * STATUS_ERR_SYNTAX or STATUS_ERR_RANGE for a bad token (err filled; call
 * again for the next one), STATUS_ERR_IO on a read error (final).
 */
int input_next(struct input_source *s, mpz_t n, struct input_error *err);

/*
 * For a progression: 1 and the range's start, step and count, so chunks can
 * travel in RANGE form and the master can skip ahead (input_skip);
 * 0 for text sources.
 */
int input_range(const struct input_source *s, mpz_t start, mpz_t step,
		uint64_t *count);

/*
 * Skip the next k numbers (a resumed job's done prefix).  O(1) for a
 * progression; text sources read and drop k valid numbers (bad tokens are
 * not numbers and are not counted).  STATUS_OK, STATUS_NOT_FOUND when the
 * source ended first, STATUS_ERR_IO.
 */
int input_skip(struct input_source *s, uint64_t k);

/*
 * The reason text input_next gives a bad token: too_long 0 for a
 * malformed one, 1 for one over --max-digits (s's limit).  Valid until
 * input_close.
 */
const char *input_reason(const struct input_source *s, int too_long);

/*
 * The message for a bad token, without the program name:
 *   "jobs.txt:3: 'abc' is not a valid positive integer"   (a file)
 *   "standard input:3: '0x10' is not a valid positive integer"  (path "-")
 *   "'abc' is not a valid positive integer"   (an argument: line 0, as GNU
 *                                              factor prints it)
 * path is the --input name or NULL for arguments.  Always NUL-terminated;
 * returns the length snprintf would have written.
 */
size_t input_error_message(char *buf, size_t size, const char *path,
			   const struct input_error *err);

/*
 * Parse one token (len bytes, no terminator needed) as a number.  The
 * building block of input_next, exposed for tests and fuzzing.  Returns
 * STATUS_OK, STATUS_ERR_SYNTAX or STATUS_ERR_RANGE (reason set).
 */
int input_parse_token(const char *tok, size_t len, unsigned long max_digits,
		      mpz_t n, const char **reason);

#endif
