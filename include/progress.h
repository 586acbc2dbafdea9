/*
 * progress.h - the progress line of rank 0: numbers done of total, rate,
 * elapsed time, ETA and active workers.
 *
 * Pure module: it formats text into the caller's buffer from the numbers
 * and the clock reading the caller passes in; it never reads a clock,
 * never prints.  The master decides when to call (progress_due) and writes
 * the text to stderr.  Two styles:
 *   PROGRESS_TTY  a bar redrawn in place ("\r...\033[K", no newline),
 *                 a few times per second (PROGRESS_TTY_INTERVAL_MS);
 *   PROGRESS_LOG  a plain line ending in "\n" every PROGRESS_LOG_INTERVAL_MS
 *                 milliseconds, for job logs (--progress, or stderr not a tty).
 * Every line that stays on the screen or in a log starts "factorize: ",
 * as every other message of the program.
 * Counts are per number, not per chunk.  total 0 means unknown (numbers
 * from a stream): no percentage and no ETA.
 *
 * Usage (master):
 *   struct progress pg;
 *   progress_init(&pg, total, PROGRESS_TTY, now());
 *   ... if (progress_due(&pg, now())) {
 *           progress_format(&pg, buf, sizeof buf, done, workers, now(), 80);
 *           fputs(buf, stderr); }
 *   progress_finish(&pg, buf, sizeof buf, done, workers, now(), 80);
 *   fputs(buf, stderr);   (final line, always ends with "\n")
 * No allocation: nothing to clear.
 */
#ifndef FACTORIZE_PROGRESS_H
#define FACTORIZE_PROGRESS_H

#include <stddef.h>
#include <stdint.h>

enum progress_style { PROGRESS_TTY = 0, PROGRESS_LOG = 1 };

/* Milliseconds between two redraws (tty) or two lines (log). */
enum { PROGRESS_TTY_INTERVAL_MS = 250, PROGRESS_LOG_INTERVAL_MS = 5000 };

struct progress {
	uint64_t total;   /* numbers in the job; 0 = unknown */
	int style;        /* enum progress_style */
	double start;     /* clock at progress_init, seconds */
	double last_draw; /* clock of the last progress_format; < 0 never */
	double last_t;    /* clock and count of the last rate sample */
	uint64_t last_done;
	double rate; /* smoothed numbers per second; < 0 none yet */
};

void progress_init(struct progress *p, uint64_t total, int style, double now);

/* 1 when the interval of p's style has passed since the last draw. */
int progress_due(const struct progress *p, double now);

/*
 * Format the line for done numbers and active workers at clock now into
 * buf (always NUL-terminated, cut to size), updating the smoothed rate.
 * width: terminal columns for the tty style (<= 0: 80).  Returns the
 * length written.
 */
size_t progress_format(struct progress *p, char *buf, size_t size,
		       uint64_t done, unsigned workers, double now, int width);

/*
 * The final line: as progress_format but always a full line ending in
 * "\n" (the tty style overwrites its bar with it).
 */
size_t progress_finish(struct progress *p, char *buf, size_t size,
		       uint64_t done, unsigned workers, double now, int width);

/*
 * The summary line of a finished run, ending in "\n":
 * "factorize: 1 number in 0.004 s (250/s), 1 chunk, 1 rank (1 worker),
 * imbalance 1.00".  Plurals follow the counts; the rate is numbers/s
 * with 0 decimals from 10/s, 1 below, and "N s per number" below 1/s
 * (never "0/s"); no rate for 0 numbers.  Returns the length.
 */
size_t progress_summary(char *buf, size_t size, uint64_t numbers, double wall,
			uint64_t chunks, int ranks, int workers,
			double imbalance);

/* "\r\033[K" for a tty (erase the bar before printing a message), "". */
const char *progress_erase(const struct progress *p);

/*
 * Seconds left at rate numbers/s with done of total finished; -1 when
 * unknown (total 0, rate <= 0).  Exposed for tests.
 */
double progress_eta(uint64_t done, uint64_t total, double rate);

/* Duration as "45s", "12m05s", "3h07m", "2d04h"; "?" for < 0. */
size_t progress_duration(char *buf, size_t size, double seconds);

#endif
