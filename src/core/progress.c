/*
 * progress.c - text of the progress line of rank 0 (include/progress.h).
 *
 * Purpose: turn (numbers done, total, workers, clock) into one line,
 * either a bar redrawn in place on a terminal or a plain line for logs.
 *
 * Invariants: pure (no clock, no I/O, no allocation); the output always
 * fits the caller's buffer and is NUL-terminated; every line counts
 * numbers, not chunks; a tty line never ends in "\n" except the final one.
 *
 * Algorithm:
 *   1. Rate: an exponentially weighted moving average of the instantaneous
 *      rate between two samples, weight 1 - exp(-dt / PROGRESS_TAU) (a
 *      time constant of 10 s: steady enough for an ETA, quick to follow a
 *      change of speed).  The first sample is the plain average since
 *      progress_init; the final line uses the plain average too.
 *   2. ETA = (total - done) / rate, unknown when total or rate is 0.
 *   3. Layout:
 *        log: "progress: 1234/10000 numbers (12.3%), 456.7/s, elapsed 2s,
 *              ETA 19s, 3 workers\n"
 *        tty: "\r[#####.....] 12.3% 1234/10000 456.7/s 2s ETA 19s
 *              3 workers\033[K", the bar taking what is left of the
 *              terminal width (at most PROGRESS_BAR_MAX cells, none when
 *              fewer than PROGRESS_BAR_MIN are left).
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "progress.h"

enum { PROGRESS_BAR_MAX = 30, PROGRESS_BAR_MIN = 5, PROGRESS_WIDTH = 80 };
static const double progress_tau = 10.0; /* seconds, rate smoothing */

void progress_init(struct progress *p, uint64_t total, int style, double now)
{
	memset(p, 0, sizeof *p);
	p->total = total;
	p->style = style == PROGRESS_TTY ? PROGRESS_TTY : PROGRESS_LOG;
	p->start = now;
	p->last_draw = -1.0;
	p->last_t = now;
	p->last_done = 0;
	p->rate = -1.0;
}

int progress_due(const struct progress *p, double now)
{
	double gap = (p->style == PROGRESS_TTY ? PROGRESS_TTY_INTERVAL_MS
					       : PROGRESS_LOG_INTERVAL_MS) /
		1000.0;

	if (p->last_draw < 0)
		return now - p->start >= gap;
	return now - p->last_draw >= gap;
}

double progress_eta(uint64_t done, uint64_t total, double rate)
{
	if (total == 0 || !(rate > 0))
		return -1.0;
	if (done >= total)
		return 0.0;
	return (double)(total - done) / rate;
}

size_t progress_duration(char *buf, size_t size, double s)
{
	unsigned long t;
	int n;

	if (size == 0)
		return 0;
	if (!(s >= 0) || s > 1e12) {
		n = snprintf(buf, size, "?");
	} else {
		t = (unsigned long)(s + 0.5);
		if (t < 60)
			n = snprintf(buf, size, "%lus", t);
		else if (t < 3600)
			n = snprintf(buf, size, "%lum%02lus", t / 60, t % 60);
		else if (t < 86400)
			n = snprintf(buf, size, "%luh%02lum", t / 3600,
				     t / 60 % 60);
		else
			n = snprintf(buf, size, "%lud%02luh", t / 86400,
				     t / 3600 % 24);
	}
	if (n < 0)
		return 0;
	return (size_t)n < size ? (size_t)n : size - 1;
}

/* Step 1. */
static void progress_sample(struct progress *p, uint64_t done, double now)
{
	double dt = now - p->last_t, inst, w;

	if (done < p->last_done) /* the caller's count went back: restart */
		p->last_done = 0;
	if (p->rate < 0) {
		double el = now - p->start;
		if (el > 0 && done > 0) {
			p->rate = (double)done / el;
			p->last_t = now;
			p->last_done = done;
		}
		return;
	}
	if (dt < 0.05)
		return;
	inst = (double)(done - p->last_done) / dt;
	w = 1.0 - exp(-dt / progress_tau);
	p->rate += w * (inst - p->rate);
	p->last_t = now;
	p->last_done = done;
}

static void progress_rate_text(char *buf, size_t size, double rate)
{
	if (!(rate >= 0))
		snprintf(buf, size, "?/s");
	else if (rate < 10)
		snprintf(buf, size, "%.2f/s", rate);
	else if (rate < 1000)
		snprintf(buf, size, "%.1f/s", rate);
	else
		snprintf(buf, size, "%.0f/s", rate);
}

/* Append to buf at *len, never past size - 1. */
static void progress_add(char *buf, size_t size, size_t *len, const char *fmt,
			 ...) __attribute__((format(printf, 4, 5)));

static void progress_add(char *buf, size_t size, size_t *len, const char *fmt,
			 ...)
{
	va_list ap;
	int n;

	if (*len + 1 >= size)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *len, size - *len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	*len += (size_t)n;
	if (*len >= size)
		*len = size - 1;
}

/* The fields after the bar: "12.3% 1234/10000 456.7/s 2s ETA 19s 3 workers" */
static size_t progress_fields(const struct progress *p, char *buf, size_t size,
			      uint64_t done, unsigned workers, double now,
			      double rate, int log_style, int final)
{
	char r[32], el[32], eta[32];
	size_t len = 0;
	double pct;

	buf[0] = '\0';
	progress_rate_text(r, sizeof r, rate);
	progress_duration(el, sizeof el, now - p->start);
	progress_duration(eta, sizeof eta, progress_eta(done, p->total, rate));
	pct = p->total ? 100.0 * (double)done / (double)p->total : 0;
	if (pct > 100)
		pct = 100;
	if (log_style) {
		if (p->total)
			progress_add(buf, size, &len,
				     "%llu/%llu numbers (%.1f%%), "
				     "%s, elapsed %s",
				     (unsigned long long)done,
				     (unsigned long long)p->total, pct, r, el);
		else
			progress_add(buf, size, &len,
				     "%llu numbers, %s, "
				     "elapsed %s",
				     (unsigned long long)done, r, el);
		if (p->total && !final)
			progress_add(buf, size, &len, ", ETA %s", eta);
		progress_add(buf, size, &len, ", %u worker%s", workers,
			     workers == 1 ? "" : "s");
	} else {
		if (p->total)
			progress_add(buf, size, &len, "%5.1f%% %llu/%llu %s %s",
				     pct, (unsigned long long)done,
				     (unsigned long long)p->total, r, el);
		else
			progress_add(buf, size, &len, "%llu %s %s",
				     (unsigned long long)done, r, el);
		if (p->total)
			progress_add(buf, size, &len, " ETA %s", eta);
		progress_add(buf, size, &len, " %u worker%s", workers,
			     workers == 1 ? "" : "s");
	}
	return len;
}

static size_t progress_bar_line(const struct progress *p, char *buf,
				size_t size, uint64_t done, unsigned workers,
				double now, double rate, int width)
{
	char fields[160];
	size_t flen, len = 0;
	int cells, fill, i;

	flen = progress_fields(p, fields, sizeof fields, done, workers, now,
			       rate, 0, 0);
	if (width <= 0)
		width = PROGRESS_WIDTH;
	/* "[" bar "] " fields, leaving the last column free */
	cells = width - 1 - (int)flen - 3;
	if (cells > PROGRESS_BAR_MAX)
		cells = PROGRESS_BAR_MAX;
	progress_add(buf, size, &len, "\r");
	if (p->total && cells >= PROGRESS_BAR_MIN) {
		double frac = (double)done / (double)p->total;
		if (frac > 1)
			frac = 1;
		fill = (int)(frac * cells);
		progress_add(buf, size, &len, "[");
		for (i = 0; i < cells; i++)
			progress_add(buf, size, &len, "%c",
				     i < fill ? '#' : '.');
		progress_add(buf, size, &len, "] ");
	}
	progress_add(buf, size, &len, "%s\033[K", fields);
	return len;
}

size_t progress_format(struct progress *p, char *buf, size_t size,
		       uint64_t done, unsigned workers, double now, int width)
{
	size_t len = 0;

	if (!buf || size == 0)
		return 0;
	buf[0] = '\0';
	progress_sample(p, done, now);
	p->last_draw = now;
	if (p->style == PROGRESS_TTY)
		return progress_bar_line(p, buf, size, done, workers, now,
					 p->rate, width);
	progress_add(buf, size, &len, "factorize: progress: ");
	len += progress_fields(p, buf + len, size - len, done, workers, now,
			       p->rate, 1, 0);
	progress_add(buf, size, &len, "\n");
	return len;
}

size_t progress_finish(struct progress *p, char *buf, size_t size,
		       uint64_t done, unsigned workers, double now, int width)
{
	double el = now - p->start, avg = el > 0 ? (double)done / el : -1.0;
	size_t len = 0;

	(void)width;
	if (!buf || size == 0)
		return 0;
	buf[0] = '\0';
	p->last_draw = now;
	if (p->style == PROGRESS_TTY)
		progress_add(buf, size, &len, "\r");
	progress_add(buf, size, &len, "factorize: done: ");
	len += progress_fields(p, buf + len, size - len, done, workers, now,
			       avg, 1, 1);
	if (p->style == PROGRESS_TTY)
		progress_add(buf, size, &len, "\033[K");
	progress_add(buf, size, &len, "\n");
	return len;
}

size_t progress_summary(char *buf, size_t size, uint64_t numbers, double wall,
			uint64_t chunks, int ranks, int workers,
			double imbalance)
{
	double rate = wall > 0 ? (double)numbers / wall : -1.0;
	size_t len = 0;

	if (!buf || size == 0)
		return 0;
	buf[0] = '\0';
	progress_add(buf, size, &len, "factorize: %llu number%s in %.3f s",
		     (unsigned long long)numbers, numbers == 1 ? "" : "s",
		     wall);
	if (numbers > 0 && rate >= 10)
		progress_add(buf, size, &len, " (%.0f/s)", rate);
	else if (numbers > 0 && rate >= 1)
		progress_add(buf, size, &len, " (%.1f/s)", rate);
	else if (numbers > 0 && rate > 0)
		progress_add(buf, size, &len, " (%.3g s per number)",
			     1.0 / rate);
	progress_add(buf, size, &len,
		     ", %llu chunk%s, %d rank%s (%d worker%s), "
		     "imbalance %.2f\n",
		     (unsigned long long)chunks, chunks == 1 ? "" : "s", ranks,
		     ranks == 1 ? "" : "s", workers, workers == 1 ? "" : "s",
		     imbalance);
	return len;
}

const char *progress_erase(const struct progress *p)
{
	return p && p->style == PROGRESS_TTY ? "\r\033[K" : "";
}
