/*
 * test_stats.c - unit tests of the --stats report (src/core/stats.c).
 *
 * Every test writes the JSON to a memory stream and reads it back with a
 * small strict JSON parser of its own (jp_*, below): objects, arrays,
 * strings with escapes, numbers, true/false/null; anything else, or
 * trailing bytes, fails the test.  The parser flattens the document into
 * path = value pairs ("ranks[1].host" = the decoded string, numbers as
 * written), which the tests look up.  Each test is named for what it
 * guards.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cli.h"
#include "stats.h"
#include "status.h"

/* ---- a strict JSON reader, flattening into path = value ---- */

enum { JP_MAX_KV = 256, JP_PATH = 96, JP_VALUE = 96 };

struct jp {
	const char *s;
	size_t i;
	int n;
	struct {
		char path[JP_PATH], value[JP_VALUE];
		int is_string;
	} kv[JP_MAX_KV];
	int n_top; /* top-level keys, in order */
	char top[JP_MAX_KV][JP_PATH];
};

static int jp_value(struct jp *p, const char *path, int depth);

static void jp_ws(struct jp *p)
{
	while (strchr(" \t\r\n", p->s[p->i]) && p->s[p->i] != '\0')
		p->i++;
}

/* A string at p->i into out (decoded; \uXXXX below 0x80 only). */
static int jp_string(struct jp *p, char *out, size_t cap)
{
	size_t n = 0;

	if (p->s[p->i++] != '"')
		return -1;
	for (;;) {
		unsigned char c = (unsigned char)p->s[p->i++];
		unsigned int u;

		if (c == '"')
			break;
		if (c < 0x20)
			return -1; /* raw control byte: not JSON */
		if (c == '\\') {
			c = (unsigned char)p->s[p->i++];
			if (c == 'u') {
				if (sscanf(p->s + p->i, "%4x", &u) != 1 ||
				    u >= 0x80)
					return -1;
				p->i += 4;
				c = (unsigned char)u;
			} else if (c == 'n') {
				c = '\n';
			} else if (c != '"' && c != '\\' && c != '/') {
				return -1;
			}
		}
		if (n + 1 >= cap)
			return -1;
		out[n++] = (char)c;
	}
	out[n] = '\0';
	return 0;
}

static int jp_put(struct jp *p, const char *path, const char *v, size_t len,
		  int is_string)
{
	if (p->n >= JP_MAX_KV || len >= JP_VALUE)
		return -1;
	snprintf(p->kv[p->n].path, JP_PATH, "%s", path);
	memcpy(p->kv[p->n].value, v, len);
	p->kv[p->n].value[len] = '\0';
	p->kv[p->n].is_string = is_string;
	p->n++;
	return 0;
}

static int jp_object(struct jp *p, const char *path, int depth)
{
	char key[JP_PATH], sub[2 * JP_PATH];

	p->i++; /* { */
	jp_ws(p);
	if (p->s[p->i] == '}')
		return (void)p->i++, 0;
	for (;;) {
		jp_ws(p);
		if (jp_string(p, key, sizeof key) != 0)
			return -1;
		if (depth == 0 && p->n_top < JP_MAX_KV)
			snprintf(p->top[p->n_top++], JP_PATH, "%s", key);
		snprintf(sub, sizeof sub, "%s%s%s", path, *path ? "." : "",
			 key);
		jp_ws(p);
		if (p->s[p->i++] != ':' || jp_value(p, sub, depth + 1) != 0)
			return -1;
		jp_ws(p);
		if (p->s[p->i] == ',') {
			p->i++;
			continue;
		}
		return p->s[p->i++] == '}' ? 0 : -1;
	}
}

static int jp_array(struct jp *p, const char *path, int depth)
{
	char sub[2 * JP_PATH];
	int k = 0;

	p->i++; /* [ */
	jp_ws(p);
	if (p->s[p->i] == ']')
		return (void)p->i++, 0;
	for (;; k++) {
		snprintf(sub, sizeof sub, "%s[%d]", path, k);
		if (jp_value(p, sub, depth + 1) != 0)
			return -1;
		jp_ws(p);
		if (p->s[p->i] == ',') {
			p->i++;
			continue;
		}
		return p->s[p->i++] == ']' ? 0 : -1;
	}
}

static int jp_value(struct jp *p, const char *path, int depth)
{
	char str[JP_VALUE];
	size_t start;

	jp_ws(p);
	switch (p->s[p->i]) {
	case '{': return jp_object(p, path, depth);
	case '[': return jp_array(p, path, depth);
	case '"':
		if (jp_string(p, str, sizeof str) != 0)
			return -1;
		return jp_put(p, path, str, strlen(str), 1);
	default: break;
	}
	start = p->i;
	if (p->s[p->i] == '-')
		p->i++;
	while (strchr("0123456789.eE+-", p->s[p->i]) && p->s[p->i] != '\0')
		p->i++;
	if (p->i > start) {
		char *end;
		(void)strtod(p->s + start, &end);
		if (end != p->s + p->i)
			return -1;
		return jp_put(p, path, p->s + start, p->i - start, 0);
	}
	return -1; /* true/false/null are not written by stats.c */
}

/* Parse s whole into p; fails the test on bad JSON. */
static void jp_parse(struct jp *p, const char *s)
{
	memset(p, 0, sizeof *p);
	p->s = s;
	if (jp_value(p, "", 0) != 0)
		fail_msg("bad JSON at byte %zu of:\n%s", p->i, s);
	jp_ws(p);
	if (p->s[p->i] != '\0')
		fail_msg("trailing bytes at %zu of:\n%s", p->i, s);
}

static const char *jp_get(const struct jp *p, const char *path)
{
	for (int k = 0; k < p->n; k++)
		if (strcmp(p->kv[k].path, path) == 0)
			return p->kv[k].value;
	return NULL;
}

static int jp_has(const struct jp *p, const char *path)
{
	return jp_get(p, path) != NULL;
}

static double jp_num(const struct jp *p, const char *path)
{
	const char *v = jp_get(p, path);

	if (v == NULL)
		fail_msg("no %s", path);
	return strtod(v, NULL);
}

/* ---- a job to write ---- */

struct fixture {
	struct stats_rank r[4];
	struct stats_event ev[2];
	struct stats_job j;
	struct stats_totals t;
	char *text;
	size_t len;
	struct jp p;
};

/* Four ranks: rank 1 leads a group of {1, 2}, rank 3 a plain worker. */
static void fixture_job(struct fixture *f)
{
	memset(f, 0, sizeof *f);
	for (int i = 0; i < 4; i++) {
		f->r[i].parent = i == 0 ? -1 : i == 2 ? 1 : 0;
		f->r[i].child = i == 1 || i == 3;
		f->r[i].s.chunks = (uint64_t)i * 10;
		f->r[i].s.msgs_sent = 100 + (uint64_t)i;
		f->r[i].s.bytes_sent = 1000;
		f->r[i].s.numbers = (uint64_t)i * 7;
		snprintf(f->r[i].s.host, sizeof f->r[i].s.host, "node%d", i);
	}
	f->r[1].s.busy_ns = 1000000000; /* 1 s */
	f->r[2].s.busy_ns = 2000000000;
	f->r[3].s.busy_ns = 3000000000;
	f->r[1].last_result_s = 4.5;
	f->r[3].last_result_s = 5.25;
	f->r[2].last_result_s = 9.0; /* a member: not in the tail */
	f->r[3].hung = 1;
	f->ev[0] = (struct stats_event){ 3, 0, 2, 1.5 };
	f->ev[1] = (struct stats_event){ 3, 1, 0, 2.5 };
	f->j.size = 4;
	f->j.workers = 3;
	f->j.group_size = 2;
	f->j.groups = 1;
	f->j.wall_s = 2.0;
	f->j.numbers = 42;
	f->j.chunks_written = 6;
	f->j.rank0_cpu_s = 0.5;
	f->j.ranks = f->r;
	f->j.ev = f->ev;
	f->j.n_ev = 2;
}

/* Totals, JSON into memory, parsed back. */
static void fixture_write(struct fixture *f)
{
	FILE *m = open_memstream(&f->text, &f->len);

	assert_non_null(m);
	stats_totals(&f->j, &f->t);
	assert_int_equal(stats_write_json(m, &f->j, &f->t), STATUS_OK);
	assert_int_equal(fclose(m), 0);
	jp_parse(&f->p, f->text);
}

static void fixture_clear(struct fixture *f)
{
	free(f->text);
}

/* ---- tests ---- */

static void totals_sum_every_rank(void **state)
{
	struct fixture f;

	(void)state;
	fixture_job(&f);
	fixture_write(&f);
	assert_int_equal(f.t.chunks, 0 + 10 + 20 + 30);
	assert_int_equal(f.t.messages, 100 + 101 + 102 + 103);
	assert_int_equal(f.t.bytes, 4000);
	assert_true(jp_num(&f.p, "chunks") == 60);
	assert_true(jp_num(&f.p, "messages") == 406);
	assert_true(jp_num(&f.p, "bytes") == 4000);
	fixture_clear(&f);
}

/* busiest 3 s over a mean of 2 s, rank 0 left out with workers */
static void imbalance_is_busiest_over_mean(void **state)
{
	struct fixture f;

	(void)state;
	fixture_job(&f);
	f.r[0].s.busy_ns = 9000000000; /* rank 0 does not factor here */
	fixture_write(&f);
	assert_true(f.t.imbalance == 1.5);
	assert_string_equal(jp_get(&f.p, "load_imbalance"), "1.5000");
	fixture_clear(&f);
}

/* one rank: rank 0 is the worker; nobody busy: 1, never NaN */
static void imbalance_local_and_idle(void **state)
{
	struct fixture f;

	(void)state;
	fixture_job(&f);
	f.j.size = 1;
	f.j.local = 1;
	f.j.wall_s = 0;
	f.j.numbers = 0;
	f.j.chunks_written = 0;
	f.r[0].s.busy_ns = 5;
	fixture_write(&f);
	assert_true(f.t.imbalance == 1.0);
	assert_true(f.t.tail_s == 0.0); /* no children */
	assert_string_equal(jp_get(&f.p, "numbers_per_second"), "0.0");
	assert_string_equal(jp_get(&f.p, "rank0_cpu_us_per_number"), "0.0000");
	assert_string_equal(jp_get(&f.p, "rank0_cpu_us_per_chunk"), "0.000");
	assert_true(jp_has(&f.p, "ranks[0].rank"));
	assert_false(jp_has(&f.p, "ranks[1].rank"));
	fixture_clear(&f);
	fixture_job(&f);
	f.r[1].s.busy_ns = f.r[2].s.busy_ns = f.r[3].s.busy_ns = 0;
	stats_totals(&f.j, &f.t);
	assert_true(f.t.imbalance == 1.0);
}

/* children's last results 4.5 and 5.25: a member's 9.0 does not count */
static void tail_spans_the_children(void **state)
{
	struct fixture f;

	(void)state;
	fixture_job(&f);
	fixture_write(&f);
	assert_true(f.t.tail_s == 0.75);
	assert_string_equal(jp_get(&f.p, "tail_seconds"), "0.750000");
	fixture_clear(&f);
}

static void every_key_in_order(void **state)
{
	static const char *const keys[] = { "size",
					    "workers",
					    "group_size",
					    "groups",
					    "rank0_cpu_seconds",
					    "rank0_wait_cpu_seconds",
					    "wall_seconds",
					    "numbers",
					    "numbers_per_second",
					    "chunks",
					    "messages",
					    "bytes",
					    "load_imbalance",
					    "tail_seconds",
					    "speculated",
					    "duplicates",
					    "late_events",
					    "reissued",
					    "rewritten",
					    "joins",
					    "wrong_results",
					    "rank0_cpu_us_per_number",
					    "rank0_cpu_us_per_chunk",
					    "bytes_written",
					    "partial",
					    "lines_checked",
					    "ranks",
					    "liveness_events",
					    "hung_ranks" };
	static const char *const rank_keys[] = { "rank",
						 "numbers",
						 "accepted",
						 "chunks",
						 "busy_seconds",
						 "idle_seconds",
						 "last_result_seconds",
						 "msgs_sent",
						 "msgs_recv",
						 "bytes_sent",
						 "bytes_recv",
						 "bytes_written",
						 "parent",
						 "host" };
	size_t n = sizeof keys / sizeof keys[0];
	struct fixture f;
	char path[64];

	(void)state;
	fixture_job(&f);
	fixture_write(&f);
	assert_int_equal(f.p.n_top, (int)n);
	for (size_t k = 0; k < n; k++)
		assert_string_equal(f.p.top[k], keys[k]);
	for (int r = 0; r < 4; r++)
		for (size_t k = 0; k < sizeof rank_keys / sizeof *rank_keys;
		     k++) {
			snprintf(path, sizeof path, "ranks[%d].%s", r,
				 rank_keys[k]);
			if (!jp_has(&f.p, path))
				fail_msg("no %s", path);
		}
	assert_true(jp_num(&f.p, "ranks[2].parent") == 1);
	assert_true(jp_num(&f.p, "ranks[0].parent") == -1);
	assert_true(jp_num(&f.p, "numbers_per_second") == 21.0);
	assert_string_equal(jp_get(&f.p, "rank0_cpu_us_per_chunk"),
			    "83333.333");
	fixture_clear(&f);
}

static void events_and_hung_ranks_listed(void **state)
{
	struct fixture f;

	(void)state;
	fixture_job(&f);
	fixture_write(&f);
	assert_string_equal(jp_get(&f.p, "liveness_events[0].event"), "late");
	assert_true(jp_num(&f.p, "liveness_events[0].chunks") == 2);
	assert_string_equal(jp_get(&f.p, "liveness_events[1].event"),
			    "answered");
	assert_true(jp_num(&f.p, "liveness_events[1].seconds") == 2.5);
	assert_false(jp_has(&f.p, "liveness_events[2].rank"));
	assert_true(jp_num(&f.p, "hung_ranks[0]") == 3);
	assert_false(jp_has(&f.p, "hung_ranks[1]"));
	fixture_clear(&f);
	/* none of either: empty arrays, still valid */
	fixture_job(&f);
	f.j.n_ev = 0;
	f.r[3].hung = 0;
	fixture_write(&f);
	assert_non_null(strstr(f.text, "\"liveness_events\": [],"));
	assert_non_null(strstr(f.text, "\"hung_ranks\": []\n}\n"));
	fixture_clear(&f);
}

/* a host name with a quote, a backslash and control bytes stays a string */
static void host_is_escaped(void **state)
{
	struct fixture f;

	(void)state;
	fixture_job(&f);
	snprintf(f.r[1].s.host, sizeof f.r[1].s.host, "a\"b\\c\nd\x01");
	fixture_write(&f);
	assert_string_equal(jp_get(&f.p, "ranks[1].host"), "a\"b\\c\nd\x01");
	assert_string_equal(jp_get(&f.p, "ranks[0].host"), "node0");
	fixture_clear(&f);
}

static void group_size_node_is_a_string(void **state)
{
	struct fixture f;

	(void)state;
	fixture_job(&f);
	f.j.group_size = CLI_GROUP_NODE;
	fixture_write(&f);
	assert_string_equal(jp_get(&f.p, "group_size"), "node");
	assert_int_equal(f.p.kv[2].is_string, 1);
	fixture_clear(&f);
	fixture_job(&f);
	fixture_write(&f);
	assert_string_equal(jp_get(&f.p, "group_size"), "2");
	assert_int_equal(f.p.kv[2].is_string, 0);
	fixture_clear(&f);
}

/* counters at their largest print in full */
static void largest_counters(void **state)
{
	struct fixture f;

	(void)state;
	fixture_job(&f);
	f.j.speculated = UINT64_MAX;
	f.r[2].s.bytes_recv = UINT64_MAX;
	fixture_write(&f);
	assert_string_equal(jp_get(&f.p, "speculated"), "18446744073709551615");
	assert_string_equal(jp_get(&f.p, "ranks[2].bytes_recv"),
			    "18446744073709551615");
	fixture_clear(&f);
}

/* a stream that cannot be written: STATUS_ERR_IO, not silence */
static void write_error_is_reported(void **state)
{
	struct fixture f;
	FILE *r = fopen("/dev/null", "r");

	(void)state;
	assert_non_null(r);
	fixture_job(&f);
	stats_totals(&f.j, &f.t);
	assert_int_equal(stats_write_json(r, &f.j, &f.t), STATUS_ERR_IO);
	fclose(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(totals_sum_every_rank),
		cmocka_unit_test(imbalance_is_busiest_over_mean),
		cmocka_unit_test(imbalance_local_and_idle),
		cmocka_unit_test(tail_spans_the_children),
		cmocka_unit_test(every_key_in_order),
		cmocka_unit_test(events_and_hung_ranks_listed),
		cmocka_unit_test(host_is_escaped),
		cmocka_unit_test(group_size_node_is_a_string),
		cmocka_unit_test(largest_counters),
		cmocka_unit_test(write_error_is_reported),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
