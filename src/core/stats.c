/*
 * stats.c - the --stats report: totals and JSON (include/stats.h).
 *
 * Purpose: turn the figures rank 0 gathered at the end of a job into the
 * one JSON object that --stats promises (README, the --stats option).
 *
 * Invariants: pure (no clock, no allocation; the caller owns the FILE);
 * every key is written on every run, in one fixed order; strings are
 * escaped (json_chars) so that a host name cannot break the document;
 * numbers are plain decimals (integers, or fixed-point with a fixed
 * count of decimals), never NaN or infinite: every ratio checks its
 * divisor.
 *
 * Algorithm (stats_totals):
 *   1. chunks, messages, bytes: the sums of every rank's STATS;
 *   2. imbalance: the largest busy time over the mean of the factoring
 *      ranks' (every rank but 0, or rank 0 alone with one rank);
 *   3. tail: max - min of the children's last RESULT times, the span in
 *      which rank 0's children went idle one by one.
 */
#include "stats.h"

#include "cli.h"
#include "status.h"

/* s inside a JSON string: quote, backslash and control bytes escaped. */
static void json_chars(FILE *f, const char *s)
{
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
}

void stats_totals(const struct stats_job *j, struct stats_totals *t)
{
	double busy_max = 0, busy_sum = 0, tail_first = -1, tail_last = 0;
	int nw = 0;

	t->chunks = t->messages = t->bytes = 0;
	for (int i = j->local ? 0 : 1; i < j->size; i++) {
		double b = (double)j->ranks[i].s.busy_ns * 1e-9;
		busy_sum += b;
		if (b > busy_max)
			busy_max = b;
		nw++;
	}
	t->imbalance = busy_sum > 0 ? busy_max / (busy_sum / nw) : 1;
	for (int i = 0; i < j->size; i++) {
		double r = j->ranks[i].last_result_s;

		t->chunks += j->ranks[i].s.chunks;
		t->messages += j->ranks[i].s.msgs_sent;
		t->bytes += j->ranks[i].s.bytes_sent;
		if (!j->ranks[i].child || r <= 0)
			continue;
		if (tail_first < 0 || r < tail_first)
			tail_first = r;
		if (r > tail_last)
			tail_last = r;
	}
	t->tail_s = tail_first < 0 ? 0.0 : tail_last - tail_first;
}

/* The job's own keys, up to and including "ranks": [. */
static void write_job(FILE *f, const struct stats_job *j,
		      const struct stats_totals *t)
{
	char gsize[16]; /* a number, or "node" (a JSON string) */

	if (j->group_size == CLI_GROUP_NODE)
		snprintf(gsize, sizeof gsize, "\"node\"");
	else
		snprintf(gsize, sizeof gsize, "%d", j->group_size);
	fprintf(f,
		"{\n  \"size\": %d,\n  \"workers\": %d,\n"
		"  \"group_size\": %s,\n  \"groups\": %d,\n"
		"  \"rank0_cpu_seconds\": %.6f,\n"
		"  \"rank0_wait_cpu_seconds\": %.6f,\n"
		"  \"wall_seconds\": %.6f,\n  \"numbers\": %llu,\n"
		"  \"numbers_per_second\": %.1f,\n"
		"  \"chunks\": %llu,\n  \"messages\": %llu,\n"
		"  \"bytes\": %llu,\n  \"load_imbalance\": %.4f,\n"
		"  \"tail_seconds\": %.6f,\n"
		"  \"speculated\": %llu,\n  \"duplicates\": %llu,\n"
		"  \"late_events\": %llu,\n  \"reissued\": %llu,\n"
		"  \"rewritten\": %llu,\n"
		"  \"joins\": %llu,\n"
		"  \"wrong_results\": %llu,\n"
		"  \"rank0_cpu_us_per_number\": %.4f,\n"
		"  \"rank0_cpu_us_per_chunk\": %.3f,\n"
		"  \"bytes_written\": %llu,\n"
		"  \"partial\": %llu,\n"
		"  \"lines_checked\": %llu,\n  \"ranks\": [\n",
		j->size, j->workers, gsize, j->groups, j->rank0_cpu_s,
		j->rank0_wait_cpu_s, j->wall_s, (unsigned long long)j->numbers,
		j->wall_s > 0 ? (double)j->numbers / j->wall_s : 0.0,
		(unsigned long long)t->chunks, (unsigned long long)t->messages,
		(unsigned long long)t->bytes, t->imbalance, t->tail_s,
		(unsigned long long)j->speculated,
		(unsigned long long)j->duplicates,
		(unsigned long long)j->late_events,
		(unsigned long long)j->reissued,
		(unsigned long long)j->rewritten, (unsigned long long)j->joins,
		(unsigned long long)j->wrong_results,
		j->numbers ? j->rank0_cpu_s * 1e6 / (double)j->numbers : 0.0,
		j->chunks_written
			? j->rank0_cpu_s * 1e6 / (double)j->chunks_written
			: 0.0,
		(unsigned long long)j->bytes_written,
		(unsigned long long)j->partial,
		(unsigned long long)j->lines_checked);
}

static void write_rank(FILE *f, int i, const struct stats_rank *r)
{
	const struct proto_stats *s = &r->s;

	fprintf(f,
		"    {\"rank\": %d, \"numbers\": %llu, "
		"\"accepted\": %llu, \"chunks\": %llu, "
		"\"busy_seconds\": %.6f, \"idle_seconds\": %.6f, "
		"\"last_result_seconds\": %.6f, "
		"\"msgs_sent\": %llu, \"msgs_recv\": %llu, "
		"\"bytes_sent\": %llu, \"bytes_recv\": %llu, "
		"\"bytes_written\": %llu, "
		"\"parent\": %d, \"host\": \"",
		i, (unsigned long long)s->numbers,
		(unsigned long long)r->accepted, (unsigned long long)s->chunks,
		(double)s->busy_ns * 1e-9, (double)s->idle_ns * 1e-9,
		r->last_result_s, (unsigned long long)s->msgs_sent,
		(unsigned long long)s->msgs_recv,
		(unsigned long long)s->bytes_sent,
		(unsigned long long)s->bytes_recv,
		(unsigned long long)r->bytes_written, r->parent);
	json_chars(f, s->host);
	fputs("\"}", f);
}

int stats_write_json(FILE *f, const struct stats_job *j,
		     const struct stats_totals *t)
{
	write_job(f, j, t);
	for (int i = 0; i < j->size; i++) {
		write_rank(f, i, &j->ranks[i]);
		fprintf(f, "%s\n", i + 1 < j->size ? "," : "");
	}
	fprintf(f, "  ],\n  \"liveness_events\": [");
	for (uint32_t i = 0; i < j->n_ev; i++)
		fprintf(f,
			"%s\n    {\"rank\": %d, \"event\": \"%s\", "
			"\"seconds\": %.6f, \"chunks\": %u}",
			i ? "," : "", j->ev[i].rank,
			j->ev[i].back ? "answered" : "late", j->ev[i].t,
			j->ev[i].chunks);
	fprintf(f, "%s],\n  \"hung_ranks\": [", j->n_ev ? "\n  " : "");
	for (int r = 1, k = 0; r < j->size; r++)
		if (j->ranks[r].hung)
			fprintf(f, "%s%d", k++ ? ", " : "", r);
	fprintf(f, "]\n}\n");
	return ferror(f) ? STATUS_ERR_IO : STATUS_OK;
}
