/*
 * test_block.c - unit tests of the block checker (block.c) and of
 * output_parse, the inverse of output_format it relies on.  No MPI.
 *
 * Named cases: every format and option combination parses back and
 * reformats to the same bytes (round-trip-*); a block with a line
 * missing, one line more, or no final newline is refused; the first
 * line is always checked under sample (a wrong first line is caught, a
 * wrong line elsewhere only at the sample rate, deterministically for a
 * seed); full catches every wrong line, wrong number or stray byte;
 * none checks only the count; block_prefix and block_partial_lines cut
 * and count lines as a group leader does.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "block.h"
#include "proto.h"
#include "cli.h"
#include "engine.h"
#include "output.h"
#include "status.h"

/* Numbers start + i (the callback block_check asks). */
struct range_arg {
	unsigned long start;
};

static mpz_srcptr range_number(void *arg, uint32_t i, mpz_t scratch)
{
	const struct range_arg *a = arg;

	mpz_set_ui(scratch, a->start + i);
	return scratch;
}

/* The block of numbers start .. start + count - 1 as a worker writes it
   (factored by the engine, formatted with o's options). */
static size_t make_block(const struct options *o, unsigned long start,
			 uint32_t count, char **buf, size_t *cap)
{
	struct engine_params p;
	struct engine_result r;
	struct output_meta meta = { 3, 0.25 };
	mpz_t n;
	long len = 0;

	engine_params_init(&p);
	engine_result_init(&r);
	mpz_init(n);
	for (uint32_t i = 0; i < count; i++) {
		mpz_set_ui(n, start + i);
		assert_true(engine_factor(&r, n, &p) == STATUS_OK);
		len = output_format_at(buf, cap, (size_t)len, o->format,
				       o->exponents, o->verbose, n, &r, &meta);
		assert_true(len > 0);
	}
	mpz_clear(n);
	engine_result_clear(&r);
	return (size_t)len;
}

static int check(const struct options *o, const char *b, size_t len,
		 uint32_t count, unsigned long start, uint32_t *bad)
{
	struct block_check k;
	struct range_arg a = { start };
	int st;

	block_check_init(&k, o);
	st = block_check(&k, 7, (const unsigned char *)b, len, count,
			 range_number, &a, bad);
	block_check_clear(&k);
	return st;
}

/* round-trip-*: every format x -h x --verbose, 0 .. 299 and a partial. */
static void round_trip_every_format(void **state)
{
	struct options o;
	char *buf = NULL;
	size_t cap = 0, len;
	uint32_t bad = 99;

	(void)state;
	cli_options_init(&o);
	o.verify = CLI_VERIFY_FULL;
	for (int f = CLI_FORMAT_TEXT; f <= CLI_FORMAT_CSV; f++)
		for (int x = 0; x < 4; x++) {
			o.format = f;
			o.exponents = x & 1;
			o.verbose = (x >> 1) & 1;
			len = make_block(&o, 0, 300, &buf, &cap);
			assert_int_equal(check(&o, buf, len, 300, 0, &bad),
					 STATUS_OK);
		}
	free(buf);
	cli_options_clear(&o);
}

/* A partial result (composite part, exponent 2) in every format. */
static void round_trip_partial(void **state)
{
	struct options o;
	struct engine_result r, back;
	struct output_meta meta = { -1, -1 }, mb;
	mpz_t n, p, got;
	char *buf = NULL;
	size_t cap = 0;
	long len;

	(void)state;
	cli_options_init(&o);
	engine_result_init(&r);
	engine_result_init(&back);
	mpz_inits(n, p, got, NULL);
	/* n = 2 * 1000000016000000063^2, the composite left unsplit */
	mpz_set_ui(p, 2);
	assert_int_equal(engine_result_add(&r, p, 1, ENGINE_PRIME), STATUS_OK);
	mpz_set_str(p, "1000000016000000063", 10);
	assert_int_equal(engine_result_add(&r, p, 2, ENGINE_COMPOSITE),
			 STATUS_OK);
	r.status = STATUS_PARTIAL;
	mpz_mul(n, p, p);
	mpz_mul_ui(n, n, 2);
	for (int f = CLI_FORMAT_TEXT; f <= CLI_FORMAT_CSV; f++)
		for (int x = 0; x < 4; x++) {
			char *again = NULL;
			size_t acap = 0;
			len = output_format(&buf, &cap, f, x & 1, x >> 1, n, &r,
					    &meta);
			assert_true(len > 0);
			assert_int_equal(output_parse(buf, (size_t)len, f,
						      x & 1, x >> 1, got, &back,
						      &mb),
					 STATUS_OK);
			assert_int_equal(mpz_cmp(got, n), 0);
			assert_int_equal(back.status, STATUS_PARTIAL);
			assert_int_equal(engine_verify(&back, n), STATUS_OK);
			assert_int_equal(output_format(&again, &acap, f, x & 1,
						       x >> 1, n, &back, &mb),
					 len);
			assert_memory_equal(again, buf, (size_t)len);
			free(again);
		}
	mpz_clears(n, p, got, NULL);
	engine_result_clear(&r);
	engine_result_clear(&back);
	free(buf);
	cli_options_clear(&o);
}

/* Numbers at the parser's word limit (19 digits read as a word, 20 and
   more by GMP) come back exact in every format. */
static void parse_numbers_at_the_word_limit(void **state)
{
	static const char *const v[] = { "9999999999999999999",
					 "10000000000000000000",
					 "18446744073709551615",
					 "18446744073709551616",
					 "1000000000000000000000000000000" };
	struct engine_result r, back;
	struct output_meta mb;
	mpz_t n, got;
	char *buf = NULL;
	size_t cap = 0;

	(void)state;
	engine_result_init(&r);
	engine_result_init(&back);
	mpz_inits(n, got, NULL);
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
		for (int f = CLI_FORMAT_TEXT; f <= CLI_FORMAT_CSV; f++) {
			assert_int_equal(mpz_set_str(n, v[i], 10), 0);
			engine_result_reset(&r);
			assert_int_equal(
				engine_result_add(&r, n, 1, ENGINE_PRIME),
				STATUS_OK);
			long len =
				output_format(&buf, &cap, f, 0, 0, n, &r, NULL);
			assert_true(len > 0);
			assert_int_equal(output_parse(buf, (size_t)len, f, 0, 0,
						      got, &back, &mb),
					 STATUS_OK);
			assert_int_equal(mpz_cmp(got, n), 0);
			assert_int_equal(back.count, 1);
			assert_int_equal(mpz_cmp(back.f[0].p, n), 0);
		}
	mpz_clears(n, got, NULL);
	engine_result_clear(&r);
	engine_result_clear(&back);
	free(buf);
}

/* Lines that must not parse: each is refused, none crashes. */
static void parse_refuses_garbage(void **state)
{
	static const char *const text[] = { "\n",
					    "12\n",
					    "12:2 2 3\n",
					    "12: 2  3\n",
					    "12: [composite 4\n",
					    "12: x\n",
					    ":\n",
					    "12: 2 2 3",
					    "-12: 2\n",
					    "12: 1\n",
					    "12: 2^0 3\n" };
	struct engine_result r;
	struct output_meta meta;
	mpz_t n;

	(void)state;
	engine_result_init(&r);
	mpz_init(n);
	for (size_t i = 0; i < sizeof text / sizeof text[0]; i++)
		assert_int_not_equal(output_parse(text[i], strlen(text[i]),
						  CLI_FORMAT_TEXT, i == 10, 0,
						  n, &r, &meta),
				     STATUS_OK);
	assert_int_not_equal(output_parse("{\"n\":\"12\"}\n", 11,
					  CLI_FORMAT_JSON, 0, 0, n, &r, &meta),
			     STATUS_OK);
	assert_int_not_equal(output_parse("12,\"2^2 3\",done,\n", 18,
					  CLI_FORMAT_CSV, 0, 0, n, &r, &meta),
			     STATUS_OK);
	mpz_clear(n);
	engine_result_clear(&r);
}

/* Missing line, extra line, no final newline: refused as malformed. */
static void block_line_count_enforced(void **state)
{
	struct options o;
	uint32_t bad;

	(void)state;
	cli_options_init(&o);
	assert_int_equal(check(&o, "10: 2 5\n11: 11\n", 15, 2, 10, &bad),
			 STATUS_OK);
	assert_int_equal(check(&o, "10: 2 5\n11: 11\n", 15, 3, 10, &bad),
			 STATUS_ERR_PROTO);
	assert_int_equal(check(&o, "10: 2 5\n11: 11\n", 15, 1, 10, &bad),
			 STATUS_ERR_PROTO);
	assert_int_equal(check(&o, "10: 2 5\n11: 11", 14, 2, 10, &bad),
			 STATUS_ERR_PROTO);
	assert_int_equal(check(&o, "", 0, 1, 10, &bad), STATUS_ERR_PROTO);
	o.verify = CLI_VERIFY_NONE; /* none still counts */
	assert_int_equal(check(&o, "10: 2 5\n", 8, 2, 10, &bad),
			 STATUS_ERR_PROTO);
	cli_options_clear(&o);
}

/*
 * A block of 2000 lines with line `wrong` spoiled (a wrong exponent):
 * what each mode says.
 */
static int spoiled(int verify, uint32_t wrong, uint32_t *bad)
{
	struct options o;
	char *buf = NULL, *p;
	size_t cap = 0, len;
	int st;

	cli_options_init(&o);
	len = make_block(&o, 1000, 2000, &buf, &cap);
	p = buf;
	for (uint32_t i = 0; i < wrong; i++)
		p = strchr(p, '\n') + 1;
	/* "N: 2 ..." -> "N: 3 ..." or the first factor's digit + 1 */
	p = strchr(p, ' ') + 1;
	*p = *p == '9' ? '7' : (char)(*p + 1);
	o.verify = verify;
	st = check(&o, buf, len, 2000, 1000, bad);
	free(buf);
	cli_options_clear(&o);
	return st;
}

static void first_line_always_checked(void **state)
{
	uint32_t bad = 99;

	(void)state;
	assert_int_equal(spoiled(CLI_VERIFY_SAMPLE, 0, &bad),
			 STATUS_ERR_VERIFY);
	assert_int_equal(bad, 0);
	assert_int_equal(spoiled(CLI_VERIFY_PRODUCT, 0, &bad),
			 STATUS_ERR_VERIFY);
	assert_int_equal(spoiled(CLI_VERIFY_NONE, 0, &bad), STATUS_OK);
}

/* full: every line; sample: about 1 in BLOCK_SAMPLE_RATE, repeatably. */
static void full_checks_every_line_sample_some(void **state)
{
	uint32_t bad, caught = 0;
	int st;

	(void)state;
	for (uint32_t w = 1; w < 2000; w += 13) {
		assert_int_equal(spoiled(CLI_VERIFY_FULL, w, &bad),
				 STATUS_ERR_VERIFY);
		assert_int_equal(bad, w);
		st = spoiled(CLI_VERIFY_SAMPLE, w, &bad);
		assert_int_equal(spoiled(CLI_VERIFY_SAMPLE, w, &bad), st);
		caught += st == STATUS_ERR_VERIFY;
	}
	/* 154 spoiled lines at 1/64: expect 2.4; 0..12 covers any seed
	   but a broken sampler (every line, or the first only) */
	assert_true(caught <= 12);
	{
		struct block_check k;
		struct options o;
		struct range_arg a = { 1000 };
		char *buf = NULL;
		size_t cap = 0, len;

		cli_options_init(&o);
		len = make_block(&o, 1000, 2000, &buf, &cap);
		block_check_init(&k, &o);
		for (uint64_t id = 0; id < 50; id++)
			assert_int_equal(
				block_check(&k, id, (unsigned char *)buf, len,
					    2000, range_number, &a, &bad),
				STATUS_OK);
		/* 50 first lines + 50 * 1999 / 64 = 1612 expected */
		assert_true(k.lines_checked > 50 + 1200 &&
			    k.lines_checked < 50 + 2000);
		block_check_clear(&k);
		free(buf);
		cli_options_clear(&o);
	}
}

/* A line for the wrong number, or with a stray byte, is caught. */
static void wrong_number_or_bytes_caught(void **state)
{
	struct options o;
	uint32_t bad;

	(void)state;
	cli_options_init(&o);
	o.verify = CLI_VERIFY_FULL;
	/* 11 given for position 1 where 12 belongs */
	assert_int_equal(check(&o, "11: 11\n11: 11\n", 14, 2, 11, &bad),
			 STATUS_ERR_VERIFY);
	assert_int_equal(bad, 1);
	/* right arithmetic, wrong bytes: "12: 3 2 2" and "12: 2 2 3 " */
	assert_int_equal(check(&o, "12: 3 2 2\n", 10, 1, 12, &bad),
			 STATUS_ERR_VERIFY);
	assert_int_equal(check(&o, "12: 2 2 3 \n", 11, 1, 12, &bad),
			 STATUS_ERR_VERIFY);
	/* a composite claimed prime: 15 = 15 */
	assert_int_equal(check(&o, "15: 15\n", 7, 1, 15, &bad),
			 STATUS_ERR_VERIFY);
	o.verify = CLI_VERIFY_PRODUCT; /* product only: 15 = 15 passes */
	assert_int_equal(check(&o, "15: 15\n", 7, 1, 15, &bad), STATUS_OK);
	cli_options_clear(&o);
}

/* Cutting lines and counting partial ones, as a group leader does. */
static void prefix_and_partial_lines(void **state)
{
	static const unsigned char b[] = "4: 2 2\n6: [composite 6]\n8: 2 2 2\n";
	static const unsigned char j[] =
		"{\"n\":\"6\",\"factors\":[],\"status\":\"partial\","
		"\"cofactor\":\"6\"}\n{\"n\":\"4\",\"factors\":[{\"p\":\"2\","
		"\"e\":2}],\"status\":\"complete\"}\n";
	struct block_check k;
	struct options o;

	(void)state;
	cli_options_init(&o);
	block_check_init(&k, &o);
	assert_int_equal(block_prefix(b, sizeof b - 1, 0), 0);
	assert_int_equal(block_prefix(b, sizeof b - 1, 1), 7);
	assert_int_equal(block_prefix(b, sizeof b - 1, 3), sizeof b - 1);
	assert_int_equal(block_prefix(b, sizeof b - 1, 9), sizeof b - 1);
	assert_int_equal(block_count_lines(b, sizeof b - 1), 3);
	assert_int_equal(block_partial_lines(&k, b, sizeof b - 1), 1);
	assert_int_equal(block_partial_lines(&k, b, 7), 0);
	block_check_clear(&k);
	o.format = CLI_FORMAT_JSON;
	block_check_init(&k, &o);
	assert_int_equal(block_partial_lines(&k, j, sizeof j - 1), 1);
	block_check_clear(&k);
	cli_options_clear(&o);
}

/* proto.h 3b: a worker's sample (block_sample) is what block_check_held
   asks for, line for line; a missing, extra, wrong or cut line fails. */
struct sample_buf {
	uint32_t idx[4096], len[4096];
	const unsigned char *line[4096];
	uint32_t n, next;
};

static int keep_line(void *arg, uint32_t i, const unsigned char *line,
		     size_t len)
{
	struct sample_buf *s = arg;

	s->idx[s->n] = i;
	s->line[s->n] = line;
	s->len[s->n++] = (uint32_t)len;
	return STATUS_OK;
}

static int give_line(void *arg, uint32_t *i, const unsigned char **line,
		     uint32_t *len)
{
	struct sample_buf *s = arg;

	if (s->next == s->n)
		return STATUS_ERR_PROTO;
	*i = s->idx[s->next];
	*line = s->line[s->next];
	*len = s->len[s->next++];
	return STATUS_OK;
}

static int held(struct block_check *k, struct sample_buf *s, uint32_t n_sample,
		uint32_t *bad)
{
	struct range_arg a = { 1000 };

	s->next = 0;
	return block_check_held(k, 9, 2000, n_sample, give_line, s,
				range_number, &a, bad);
}

static void held_sample_matches_block_check(void **state)
{
	struct options o;
	struct block_check k;
	static struct sample_buf s;
	char *buf = NULL, copy[256];
	size_t cap = 0, len;
	uint32_t bad = 99;

	(void)state;
	cli_options_init(&o);
	len = make_block(&o, 1000, 2000, &buf, &cap);
	block_check_init(&k, &o);
	memset(&s, 0, sizeof s);
	assert_int_equal(block_sample(&k, 9, (unsigned char *)buf, len, 2000,
				      keep_line, &s),
			 STATUS_OK);
	assert_int_equal(s.n, block_sample_size(&k, 9, 2000));
	assert_true(s.n > 10 && s.n < 100 && s.idx[0] == 0);
	assert_int_equal(held(&k, &s, s.n, &bad), STATUS_OK);
	/* the same lines block_check parses back */
	{
		uint64_t before = k.lines_checked;
		struct range_arg a = { 1000 };
		assert_int_equal(block_check(&k, 9, (unsigned char *)buf, len,
					     2000, range_number, &a, &bad),
				 STATUS_OK);
		assert_int_equal(k.lines_checked - before, s.n);
	}
	/* one line too few, one skipped, a line cut short */
	assert_int_equal(held(&k, &s, s.n - 1, &bad), STATUS_ERR_PROTO);
	s.idx[1]++;
	assert_int_equal(held(&k, &s, s.n, &bad), STATUS_ERR_PROTO);
	s.idx[1]--;
	s.len[1]--;
	assert_int_equal(held(&k, &s, s.n, &bad), STATUS_ERR_PROTO);
	s.len[1]++;
	/* a wrong factor in a sampled line: ERR_VERIFY at its index */
	assert_true(s.len[2] < sizeof copy);
	memcpy(copy, s.line[2], s.len[2]);
	*(strchr(copy, ' ') + 1) ^= 1;
	s.line[2] = (const unsigned char *)copy;
	assert_int_equal(held(&k, &s, s.n, &bad), STATUS_ERR_VERIFY);
	assert_int_equal(bad, s.idx[2]);
	/* a block with a line missing is no sample at all */
	assert_int_equal(block_sample(&k, 9, (unsigned char *)buf, len, 2001,
				      keep_line, &s),
			 STATUS_ERR_PROTO);
	block_check_clear(&k);
	free(buf);
	cli_options_clear(&o);
}

/* BLOCK_SAMPLE_LINES: a chunk at PROTO_MAX_CHUNK-like sizes draws about 64
   lines besides the first, one of 4096 about 64 too, one of 2000 about 31. */
static void sample_flat_per_chunk(void **state)
{
	struct options o;
	struct block_check k;
	uint64_t big = 0, edge = 0, small = 0;

	(void)state;
	cli_options_init(&o);
	block_check_init(&k, &o);
	for (uint64_t id = 0; id < 40; id++) {
		big += block_sample_size(&k, id, 1u << 20);
		edge += block_sample_size(&k, id, 4096);
		small += block_sample_size(&k, id, 2000);
	}
	/* 40 x (1 + 64) = 2600 expected: a per-line rate would draw 660,000 */
	assert_true(big > 40 * 50 && big < 40 * 80);
	assert_true(edge > 40 * 50 && edge < 40 * 80);
	assert_true(small > 40 * 22 && small < 40 * 42);
	block_check_clear(&k);
	cli_options_clear(&o);
}

/*
 * The draw is stratified: line 0, then exactly one line in each full run
 * of `rate` lines (1..rate, rate+1..2 rate, ...), at most one in the last
 * short run, and within a run every offset equally likely.  A sampler
 * that skips an offset, draws two in a run or drifts across runs fails.
 */
static void sample_stratified_uniform(void **state)
{
	static struct sample_buf s;
	struct options o;
	struct block_check k;
	char *buf = NULL;
	size_t cap = 0, len;
	uint32_t hits[BLOCK_SAMPLE_RATE] = { 0 };
	const uint32_t count = 4097; /* 64 full runs of 64 after line 0 */
	const uint32_t ids = 300;

	(void)state;
	cli_options_init(&o);
	len = make_block(&o, 1000, count, &buf, &cap);
	block_check_init(&k, &o);
	for (uint64_t id = 0; id < ids; id++) {
		s.n = 0;
		assert_int_equal(block_sample(&k, id, (unsigned char *)buf, len,
					      count, keep_line, &s),
				 STATUS_OK);
		assert_int_equal(s.n, 1 + (count - 1) / BLOCK_SAMPLE_RATE);
		assert_int_equal(s.idx[0], 0);
		for (uint32_t j = 1; j < s.n; j++) {
			uint32_t run = (s.idx[j] - 1) / BLOCK_SAMPLE_RATE;
			assert_int_equal(run, j - 1);
			hits[(s.idx[j] - 1) % BLOCK_SAMPLE_RATE]++;
		}
	}
	/* 300 x 64 runs: 300 per offset, sd about 17; 200..400 is over 5 sd
	   either way for any seed, and an offset never drawn (or drawn twice
	   as often) falls outside */
	for (uint32_t r = 0; r < BLOCK_SAMPLE_RATE; r++)
		assert_true(hits[r] > 200 && hits[r] < 400);
	/* the short last run: 2000 lines = line 0, 31 runs, 15 left over */
	for (uint64_t id = 0; id < 64; id++) {
		uint32_t n = block_sample_size(&k, id, 2000);
		assert_true(n == 32 || n == 33);
	}
	/* at the limits of BLOCK_SAMPLE_LINES: 4096 and 4160 numbers (rate
	   64 and 65: 63 full runs and a short one), PROTO_MAX_CHUNK (rate
	   16384, the same): line 0, 63 lines, and 0 or 1 */
	for (uint64_t id = 0; id < 64; id++) {
		uint32_t n = block_sample_size(&k, id, 4096);
		assert_true(n == 64 || n == 65);
		n = block_sample_size(&k, id, 4160);
		assert_true(n == 64 || n == 65);
		n = block_sample_size(&k, id, PROTO_MAX_CHUNK);
		assert_true(n == 64 || n == 65);
	}
	assert_int_equal(block_sample_size(&k, 1, 1), 1);
	assert_int_equal(block_sample_size(&k, 1, 0), 0);
	block_check_clear(&k);
	free(buf);
	cli_options_clear(&o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(round_trip_every_format),
		cmocka_unit_test(round_trip_partial),
		cmocka_unit_test(parse_numbers_at_the_word_limit),
		cmocka_unit_test(parse_refuses_garbage),
		cmocka_unit_test(block_line_count_enforced),
		cmocka_unit_test(first_line_always_checked),
		cmocka_unit_test(full_checks_every_line_sample_some),
		cmocka_unit_test(wrong_number_or_bytes_caught),
		cmocka_unit_test(prefix_and_partial_lines),
		cmocka_unit_test(held_sample_matches_block_check),
		cmocka_unit_test(sample_flat_per_chunk),
		cmocka_unit_test(sample_stratified_uniform),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
