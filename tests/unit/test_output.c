/*
 * test_output.c - unit tests of the output writer (src/core/output.c).
 *
 * Text form: every known answer of tests/data/coreutils-factor.txt is rebuilt
 * as a result and must format to exactly GNU factor's line.  JSON and CSV:
 * exact expected strings, named for what they guard.  Files: the atomic
 * rename, removal on an interrupted run, /dev/full, a missing directory.
 * Results are built by hand (not by the engine) so this module is tested
 * alone.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "cli.h"
#include "output.h"
#include "status.h"

/* ---- building results by hand ---- */

static void res_init(struct engine_result *r)
{
	memset(r, 0, sizeof *r);
}

static void res_add(struct engine_result *r, const char *p, unsigned long e,
		    int kind)
{
	if (r->count == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 8, i;
		r->f = realloc(r->f, cap * sizeof *r->f);
		assert_non_null(r->f);
		for (i = r->cap; i < cap; i++)
			mpz_init(r->f[i].p);
		r->cap = cap;
	}
	assert_int_equal(mpz_set_str(r->f[r->count].p, p, 10), 0);
	r->f[r->count].e = e;
	r->f[r->count].kind = kind;
	r->count++;
	if (kind == ENGINE_COMPOSITE)
		r->status = STATUS_PARTIAL;
}

static void res_clear(struct engine_result *r)
{
	size_t i;

	for (i = 0; i < r->cap; i++)
		mpz_clear(r->f[i].p);
	free(r->f);
	res_init(r);
}

/* Format n with r and compare with want. */
static void expect_fmt(int format, int exponents, int verbose, const char *n,
		       const struct engine_result *r,
		       const struct output_meta *meta, const char *want)
{
	char *buf = NULL;
	size_t cap = 0;
	long len;
	mpz_t z;

	mpz_init_set_str(z, n, 10);
	len = output_format(&buf, &cap, format, exponents, verbose, z, r, meta);
	assert_true(len >= 0);
	assert_int_equal((size_t)len, strlen(buf));
	if (strcmp(buf, want) != 0)
		fail_msg("got  '%s'\nwant '%s'", buf, want);
	free(buf);
	mpz_clear(z);
}

/* ---- text ---- */

/* Parse "N: p p q" into a result (consecutive equal primes merged). */
static void res_from_factor_line(struct engine_result *r, const char *line)
{
	const char *c = strchr(line, ':');
	char prev[512] = "", tok[512];
	unsigned long e = 0;
	int n;

	assert_non_null(c);
	c++;
	while (sscanf(c, " %511s%n", tok, &n) == 1) {
		if (strcmp(tok, prev) == 0) {
			e++;
		} else {
			if (e)
				res_add(r, prev, e, ENGINE_PRIME);
			strcpy(prev, tok);
			e = 1;
		}
		c += n;
	}
	if (e)
		res_add(r, prev, e, ENGINE_PRIME);
}

static void text_matches_coreutils_vectors(void **state)
{
	FILE *f = fopen("tests/data/coreutils-factor.txt", "r");
	char *line = NULL;
	size_t lcap = 0;
	int cases = 0;

	(void)state;
	if (!f)
		f = fopen("../tests/data/coreutils-factor.txt", "r");
	assert_non_null(f);
	while (getline(&line, &lcap, f) > 0) {
		char *tab = strchr(line, '\t'), *nl;
		struct engine_result r;
		if (line[0] == '#' || !tab)
			continue;
		*tab = '\0';
		if ((nl = strchr(tab + 1, '\n')) != NULL)
			nl[1] = '\0';
		res_init(&r);
		res_from_factor_line(&r, tab + 1);
		expect_fmt(CLI_FORMAT_TEXT, 0, 0, line, &r, NULL, tab + 1);
		res_clear(&r);
		cases++;
	}
	free(line);
	fclose(f);
	assert_true(cases >= 40);
}

static void text_zero_and_one_have_no_factors(void **state)
{
	struct engine_result r;

	(void)state;
	res_init(&r);
	expect_fmt(CLI_FORMAT_TEXT, 0, 0, "0", &r, NULL, "0:\n");
	expect_fmt(CLI_FORMAT_TEXT, 1, 0, "1", &r, NULL, "1:\n");
}

static void text_exponents_as_factor_h(void **state)
{
	struct engine_result r;

	(void)state;
	res_init(&r);
	res_add(&r, "2", 3, ENGINE_PRIME);
	res_add(&r, "3", 1, ENGINE_PRIME);
	res_add(&r, "5", 3, ENGINE_PRIME);
	expect_fmt(CLI_FORMAT_TEXT, 1, 0, "3000", &r, NULL,
		   "3000: 2^3 3 5^3\n");
	expect_fmt(CLI_FORMAT_TEXT, 0, 0, "3000", &r, NULL,
		   "3000: 2 2 2 3 5 5 5\n");
	res_clear(&r);
}

static void text_probable_prime_printed_as_prime(void **state)
{
	struct engine_result r;

	(void)state;
	res_init(&r);
	res_add(&r, "170141183460469231731687303715884105727", 1,
		ENGINE_PROBABLE_PRIME);
	expect_fmt(CLI_FORMAT_TEXT, 0, 0,
		   "170141183460469231731687303715884105727", &r, NULL,
		   "170141183460469231731687303715884105727: "
		   "170141183460469231731687303715884105727\n");
	res_clear(&r);
}

static void text_partial_marks_composite_cofactor(void **state)
{
	struct engine_result r;

	(void)state;
	res_init(&r);
	res_add(&r, "2", 1, ENGINE_PRIME);
	res_add(&r, "1000000016000000063", 2, ENGINE_COMPOSITE);
	expect_fmt(CLI_FORMAT_TEXT, 0, 0,
		   "2000000064000000764000004032000007938", &r, NULL,
		   "2000000064000000764000004032000007938: 2 "
		   "[composite 1000000016000000063] "
		   "[composite 1000000016000000063]\n");
	expect_fmt(CLI_FORMAT_TEXT, 1, 0,
		   "2000000064000000764000004032000007938", &r, NULL,
		   "2000000064000000764000004032000007938: 2 "
		   "[composite 1000000016000000063]^2\n");
	res_clear(&r);
}

/*
 * The one-word writer at its limits: 20-digit numbers and factors, 2^63
 * (63 repeats, the longest line below 2^64), with and without -h, and
 * a 2^64 line (two words) that takes the general path.
 */
/*
 * The 64-bit decimal writer at every digit-count boundary (10^k - 1,
 * 10^k, 10^k + 1), at 2^32 - 1 and 2^32 (where it changes from 64- to
 * 32-bit arithmetic) and at 2^64 - 1, against snprintf: the digit count
 * is computed before the digits, so a count one short or long shows here.
 */
/* Every digit-count boundary of a 64-bit value, 10^k - 1, 10^k and
   10^k + 1, then 2^32 - 1, 2^32 and 2^64 - 1, into xs (room for 64);
   returns how many. */
static size_t digit_boundaries(uint64_t *xs)
{
	size_t nx = 0;
	uint64_t t = 1;

	for (int k = 0; k < 20; k++) {
		if (t > 1)
			xs[nx++] = t - 1;
		xs[nx++] = t;
		xs[nx++] = t + 1;
		if (k < 19)
			t *= 10;
	}
	xs[nx++] = UINT32_MAX;
	xs[nx++] = (uint64_t)UINT32_MAX + 1;
	xs[nx++] = UINT64_MAX;
	return nx;
}

static void text_u64_digit_boundaries(void **state)
{
	uint64_t xs[64 + 4];
	size_t nx = 0;

	(void)state;
	nx += digit_boundaries(xs + nx);
	for (size_t i = 0; i < nx; i++) {
		struct engine_result r;
		char num[32], want[128];
		snprintf(num, sizeof num, "%llu", (unsigned long long)xs[i]);
		res_init(&r);
		if (xs[i] > 1) { /* a one-factor line "x: x" (or "x: x x") */
			res_add(&r, num, xs[i] < 4 ? 1 : 2, ENGINE_PRIME);
			if (xs[i] < 4)
				snprintf(want, sizeof want, "%s: %s\n", num,
					 num);
			else
				snprintf(want, sizeof want, "%s: %s %s\n", num,
					 num, num);
		} else {
			snprintf(want, sizeof want, "%s:\n", num);
		}
		expect_fmt(CLI_FORMAT_TEXT, 0, 0, num, &r, NULL, want);
		res_clear(&r);
	}
}

/*
 * The word writer (output_format_words) at its limits, in every format:
 * n and its factor at 0, 1, every digit-count boundary 10^k - 1 / 10^k /
 * 10^k + 1, 2^32 - 1, 2^32 and 2^64 - 1, the expected lines built by
 * snprintf; the line appended after bytes already in the buffer, which
 * it keeps; and the same bytes as output_format of the same factors.
 */
static void words_digit_boundaries_every_format(void **state)
{
	uint64_t xs[64 + 4];
	size_t nx = 0;

	(void)state;
	xs[nx++] = 0;
	nx += digit_boundaries(xs + nx);
	for (size_t i = 0; i < nx; i++) {
		struct engine_words w = { 0 };
		struct output_meta meta = { 7, 0.25 };
		char x[32], fs[160],
			want[6][320]; /* room for x and fs at most */
		snprintf(x, sizeof x, "%llu", (unsigned long long)xs[i]);
		w.n = xs[i];
		if (xs[i] > 1) { /* one factor x^2 (a line, not a check) */
			w.count = 1;
			w.p[0] = xs[i];
			w.e[0] = 2;
		}
		fs[0] = '\0';
		if (w.count)
			snprintf(fs, sizeof fs, "{\"p\":\"%s\",\"e\":2}", x);
		const char *st = xs[i] == 0 ? "zero" : "complete";
		snprintf(want[0], sizeof want[0], "%s:%s%s%s%s\n", x,
			 w.count ? " " : "", w.count ? x : "",
			 w.count ? " " : "", w.count ? x : "");
		snprintf(want[1], sizeof want[1], "%s:%s%s%s\n", x,
			 w.count ? " " : "", w.count ? x : "",
			 w.count ? "^2" : "");
		snprintf(want[2], sizeof want[2],
			 "{\"n\":\"%s\",\"factors\":[%s],\"status\":\"%s\"}\n",
			 x, fs, st);
		snprintf(want[3], sizeof want[3],
			 "{\"n\":\"%s\",\"factors\":[%s],\"status\":\"%s\","
			 "\"rank\":7,\"seconds\":0.250000}\n",
			 x, fs, st);
		snprintf(want[4], sizeof want[4], "%s,\"%s%s\",%s,\n", x,
			 w.count ? x : "", w.count ? "^2" : "", st);
		snprintf(want[5], sizeof want[5],
			 "%s,\"%s%s\",%s,,7,0.250000\n", x, w.count ? x : "",
			 w.count ? "^2" : "", st);
		static const int fmt[6][3] = {
			{ CLI_FORMAT_TEXT, 0, 0 }, { CLI_FORMAT_TEXT, 1, 0 },
			{ CLI_FORMAT_JSON, 0, 0 }, { CLI_FORMAT_JSON, 0, 1 },
			{ CLI_FORMAT_CSV, 0, 0 },  { CLI_FORMAT_CSV, 0, 1 },
		};
		for (int f = 0; f < 6; f++) {
			char *buf = malloc(4), *buf2 = NULL;
			size_t cap = 4, cap2 = 0;
			struct engine_result r;
			mpz_t z;
			assert_non_null(buf);
			memcpy(buf, "ab\n", 4);
			struct output_term t;
			output_term_init(&t, xs[i], 1); /* the text copied */
			for (int copy = 0; copy < 2; copy++) {
				long len = output_format_words(
					&buf, &cap, 3, fmt[f][0], fmt[f][1],
					fmt[f][2], &w, copy ? &t : NULL, &meta);
				assert_int_equal((size_t)len,
						 3 + strlen(want[f]));
				assert_memory_equal(buf, "ab\n", 3);
				if (strcmp(buf + 3, want[f]) != 0)
					fail_msg("got  '%s'\nwant '%s'",
						 buf + 3, want[f]);
			}
			res_init(&r);
			if (w.count)
				res_add(&r, x, 2, ENGINE_PRIME);
			mpz_init_set_str(z, x, 10);
			long len = output_format(&buf2, &cap2, fmt[f][0],
						 fmt[f][1], fmt[f][2], z, &r,
						 &meta);
			assert_true(len > 0);
			assert_string_equal(buf2, want[f]);
			mpz_clear(z);
			res_clear(&r);
			free(buf);
			free(buf2);
		}
	}
}

/*
 * output_term against snprintf, term by term: runs across every digit
 * count boundary with steps 1, 7, 999999 and 10^19, a term that only
 * carries (99...9 + 1), the last terms below 2^64 (valid up to
 * 2^64 - 1 itself, cleared by the step past it), and a copied term
 * that is not the words' n is not used.
 */
static void term_counts_in_decimal(void **state)
{
	static const uint64_t steps[] = { 1, 7, 999999, 10000000000000000000u };
	uint64_t xs[64];
	size_t nx = digit_boundaries(xs);
	struct output_term t;
	char want[32];

	(void)state;
	for (size_t k = 0; k < sizeof steps / sizeof steps[0]; k++) {
		for (size_t i = 0; i < nx; i++) {
			uint64_t n = xs[i] > 50 ? xs[i] - 50 : 0;
			output_term_init(&t, n, steps[k]);
			for (int j = 0; j < 100 && t.valid; j++) {
				snprintf(want, sizeof want, "%llu",
					 (unsigned long long)t.n);
				assert_int_equal(t.len, strlen(want));
				assert_memory_equal(t.d + OUTPUT_TERM_END -
							    t.len,
						    want, t.len);
				if (t.n > UINT64_MAX - steps[k])
					break;
				output_term_next(&t);
				assert_true(t.valid);
			}
		}
	}
	output_term_init(&t, UINT64_MAX - 3, 3); /* 2^64 - 1 is the last */
	output_term_next(&t);
	assert_true(t.valid && t.n == UINT64_MAX && t.len == 20);
	output_term_next(&t);
	assert_false(t.valid);
	/* a term whose n is not the words' is converted, not copied */
	struct engine_words w = { 0 };
	char *buf = NULL;
	size_t cap = 0;
	output_term_init(&t, 12, 1);
	w.n = 13;
	w.count = 1;
	w.p[0] = 13;
	w.e[0] = 1;
	assert_true(output_format_words(&buf, &cap, 0, CLI_FORMAT_TEXT, 0, 0,
					&w, &t, NULL) > 0);
	assert_string_equal(buf, "13: 13\n");
	free(buf);
}

/* output_format_words refuses what output_format refuses, and more
   entries than a 64-bit number can have. */
static void words_bad_arguments(void **state)
{
	struct engine_words w = { 0 };
	char *buf = NULL;
	size_t cap = 0;

	(void)state;
	w.n = 6;
	assert_int_equal(output_format_words(NULL, &cap, 0, CLI_FORMAT_TEXT, 0,
					     0, &w, NULL, NULL),
			 STATUS_ERR_INVAL);
	assert_int_equal(
		output_format_words(&buf, &cap, 0, 99, 0, 0, &w, NULL, NULL),
		STATUS_ERR_INVAL);
	w.count = ENGINE_WORDS_MAX + 1;
	assert_int_equal(output_format_words(&buf, &cap, 0, CLI_FORMAT_TEXT, 0,
					     0, &w, NULL, NULL),
			 STATUS_ERR_INVAL);
	w.count = ENGINE_WORDS_MAX; /* the limit itself formats */
	for (int i = 0; i < ENGINE_WORDS_MAX; i++) {
		w.p[i] = UINT64_MAX;
		w.e[i] = 1;
	}
	assert_true(output_format_words(&buf, &cap, 0, CLI_FORMAT_JSON, 0, 0,
					&w, NULL, NULL) > 16 * 20);
	free(buf);
}

static void text_word_limits(void **state)
{
	struct engine_result r;
	char want[256], *w = want;

	(void)state;
	res_init(&r);
	res_add(&r, "18446744073709551557", 1, ENGINE_PRIME);
	expect_fmt(CLI_FORMAT_TEXT, 0, 0, "18446744073709551557", &r, NULL,
		   "18446744073709551557: 18446744073709551557\n");
	expect_fmt(CLI_FORMAT_TEXT, 1, 0, "18446744073709551557", &r, NULL,
		   "18446744073709551557: 18446744073709551557\n");
	res_clear(&r);
	res_add(&r, "2", 63, ENGINE_PRIME);
	w += sprintf(w, "9223372036854775808:");
	for (int i = 0; i < 63; i++)
		w += sprintf(w, " 2");
	sprintf(w, "\n");
	expect_fmt(CLI_FORMAT_TEXT, 0, 0, "9223372036854775808", &r, NULL,
		   want);
	expect_fmt(CLI_FORMAT_TEXT, 1, 0, "9223372036854775808", &r, NULL,
		   "9223372036854775808: 2^63\n");
	res_clear(&r);
	res_add(&r, "2", 64, ENGINE_PRIME);
	expect_fmt(CLI_FORMAT_TEXT, 1, 0, "18446744073709551616", &r, NULL,
		   "18446744073709551616: 2^64\n");
	res_clear(&r);
	res_add(&r, "3", 1, ENGINE_PRIME);
	res_add(&r, "10", 1, ENGINE_COMPOSITE);
	expect_fmt(CLI_FORMAT_TEXT, 0, 0, "30", &r, NULL,
		   "30: 3 [composite 10]\n");
	res_clear(&r);
}

static void text_huge_exponent_grows_buffer(void **state)
{
	struct engine_result r;
	char *buf = NULL, *want, *w;
	size_t cap = 0, i;
	long len;
	mpz_t n;

	(void)state;
	res_init(&r);
	res_add(&r, "2", 5000, ENGINE_PRIME);
	mpz_init(n);
	mpz_ui_pow_ui(n, 2, 5000);
	len = output_format(&buf, &cap, CLI_FORMAT_TEXT, 0, 0, n, &r, NULL);
	want = malloc(mpz_sizeinbase(n, 10) + 2 + 2 * 5000 + 2);
	assert_non_null(want);
	mpz_get_str(want, 10, n);
	w = want + strlen(want);
	*w++ = ':';
	for (i = 0; i < 5000; i++) {
		*w++ = ' ';
		*w++ = '2';
	}
	*w++ = '\n';
	*w = '\0';
	assert_int_equal((size_t)len, strlen(want));
	assert_string_equal(buf, want);
	free(want);
	free(buf);
	mpz_clear(n);
	res_clear(&r);
}

/* ---- JSON ---- */

static void json_numbers_are_strings(void **state)
{
	struct engine_result r;

	(void)state;
	res_init(&r);
	res_add(&r, "2", 2, ENGINE_PRIME);
	res_add(&r, "3", 1, ENGINE_PRIME);
	expect_fmt(CLI_FORMAT_JSON, 0, 0, "12", &r, NULL,
		   "{\"n\":\"12\",\"factors\":[{\"p\":\"2\",\"e\":2},"
		   "{\"p\":\"3\",\"e\":1}],\"status\":\"complete\"}\n");
	/* -h changes nothing in JSON */
	expect_fmt(CLI_FORMAT_JSON, 1, 0, "12", &r, NULL,
		   "{\"n\":\"12\",\"factors\":[{\"p\":\"2\",\"e\":2},"
		   "{\"p\":\"3\",\"e\":1}],\"status\":\"complete\"}\n");
	res_clear(&r);
}

static void json_one_has_empty_factor_list(void **state)
{
	struct engine_result r;

	(void)state;
	res_init(&r);
	expect_fmt(CLI_FORMAT_JSON, 0, 0, "1", &r, NULL,
		   "{\"n\":\"1\",\"factors\":[],\"status\":\"complete\"}\n");
}

/*
 * zero-keeps-product-check: "complete" promises that the factors
 * multiply to n; 0 has no factorization, so it is written with no
 * factors (as GNU factor's "0:") and status "zero" in every format.
 */
static void zero_is_not_complete_in_any_format(void **state)
{
	struct engine_result r;
	struct output_meta m = { 3, 0.5 };

	(void)state;
	res_init(&r);
	expect_fmt(CLI_FORMAT_TEXT, 0, 0, "0", &r, NULL, "0:\n");
	expect_fmt(CLI_FORMAT_TEXT, 1, 0, "0", &r, NULL, "0:\n");
	expect_fmt(CLI_FORMAT_JSON, 0, 0, "0", &r, NULL,
		   "{\"n\":\"0\",\"factors\":[],\"status\":\"zero\"}\n");
	expect_fmt(CLI_FORMAT_JSON, 0, 1, "0", &r, &m,
		   "{\"n\":\"0\",\"factors\":[],\"status\":\"zero\","
		   "\"rank\":3,\"seconds\":0.500000}\n");
	expect_fmt(CLI_FORMAT_CSV, 0, 0, "0", &r, NULL, "0,\"\",zero,\n");
	expect_fmt(CLI_FORMAT_CSV, 0, 0, "1", &r, NULL, "1,\"\",complete,\n");
}

static void json_partial_has_cofactor(void **state)
{
	struct engine_result r;

	(void)state;
	res_init(&r);
	res_add(&r, "3", 1, ENGINE_PRIME);
	res_add(&r, "1000000016000000063", 1, ENGINE_COMPOSITE);
	expect_fmt(CLI_FORMAT_JSON, 0, 0, "3000000048000000189", &r, NULL,
		   "{\"n\":\"3000000048000000189\",\"factors\":[{\"p\":\"3\","
		   "\"e\":1}],\"status\":\"partial\",\"cofactor\":"
		   "\"1000000016000000063\"}\n");
	res_clear(&r);
}

static void json_partial_cofactor_multiplies_powers(void **state)
{
	struct engine_result r;

	(void)state;
	res_init(&r);
	res_add(&r, "91", 2, ENGINE_COMPOSITE);
	res_add(&r, "143", 1, ENGINE_COMPOSITE);
	/* 91^2 * 143 = 1184183 */
	expect_fmt(CLI_FORMAT_JSON, 0, 0, "1184183", &r, NULL,
		   "{\"n\":\"1184183\",\"factors\":[],\"status\":\"partial\","
		   "\"cofactor\":\"1184183\"}\n");
	res_clear(&r);
}

static void json_verbose_adds_rank_and_seconds(void **state)
{
	struct engine_result r;
	struct output_meta m = { 3, 0.25 }, unknown = { -1, -1.0 };

	(void)state;
	res_init(&r);
	res_add(&r, "7", 1, ENGINE_PRIME);
	expect_fmt(
		CLI_FORMAT_JSON, 0, 1, "7", &r, &m,
		"{\"n\":\"7\",\"factors\":[{\"p\":\"7\",\"e\":1}],"
		"\"status\":\"complete\",\"rank\":3,\"seconds\":0.250000}\n");
	expect_fmt(CLI_FORMAT_JSON, 0, 1, "7", &r, &unknown,
		   "{\"n\":\"7\",\"factors\":[{\"p\":\"7\",\"e\":1}],"
		   "\"status\":\"complete\"}\n");
	expect_fmt(CLI_FORMAT_JSON, 0, 1, "7", &r, NULL,
		   "{\"n\":\"7\",\"factors\":[{\"p\":\"7\",\"e\":1}],"
		   "\"status\":\"complete\"}\n");
	/* without --verbose the meta is ignored */
	expect_fmt(CLI_FORMAT_JSON, 0, 0, "7", &r, &m,
		   "{\"n\":\"7\",\"factors\":[{\"p\":\"7\",\"e\":1}],"
		   "\"status\":\"complete\"}\n");
	res_clear(&r);
}

/* ---- CSV ---- */

static void csv_row_quotes_factor_list(void **state)
{
	struct engine_result r;
	struct output_meta m = { 1, 1.5 };

	(void)state;
	res_init(&r);
	res_add(&r, "2", 2, ENGINE_PRIME);
	res_add(&r, "3", 1, ENGINE_PRIME);
	expect_fmt(CLI_FORMAT_CSV, 0, 0, "12", &r, NULL,
		   "12,\"2^2 3\",complete,\n");
	expect_fmt(CLI_FORMAT_CSV, 0, 1, "12", &r, &m,
		   "12,\"2^2 3\",complete,,1,1.500000\n");
	res_clear(&r);
	expect_fmt(CLI_FORMAT_CSV, 0, 0, "1", &r, NULL, "1,\"\",complete,\n");
}

static void csv_partial_fills_cofactor_column(void **state)
{
	struct engine_result r;

	(void)state;
	res_init(&r);
	res_add(&r, "3", 1, ENGINE_PRIME);
	res_add(&r, "1000000016000000063", 1, ENGINE_COMPOSITE);
	expect_fmt(CLI_FORMAT_CSV, 0, 0, "3000000048000000189", &r, NULL,
		   "3000000048000000189,\"3\",partial,1000000016000000063\n");
	res_clear(&r);
}

static void format_rejects_bad_arguments(void **state)
{
	struct engine_result r;
	char *buf = NULL;
	size_t cap = 0;
	mpz_t n;

	(void)state;
	res_init(&r);
	mpz_init_set_si(n, -4);
	assert_int_equal(
		output_format(&buf, &cap, CLI_FORMAT_TEXT, 0, 0, n, &r, NULL),
		STATUS_ERR_INVAL);
	mpz_set_ui(n, 4);
	assert_int_equal(output_format(&buf, &cap, 7, 0, 0, n, &r, NULL),
			 STATUS_ERR_INVAL);
	assert_int_equal(
		output_format(&buf, &cap, CLI_FORMAT_TEXT, 0, 0, n, NULL, NULL),
		STATUS_ERR_INVAL);
	free(buf);
	mpz_clear(n);
}

/* ---- files ---- */

struct fx {
	char dir[64];
	char path[128];
	char err[256];
	struct engine_result r;
	mpz_t n;
};

static int setup(void **state)
{
	struct fx *fx = calloc(1, sizeof *fx);

	if (!fx)
		return -1;
	strcpy(fx->dir, "/tmp/test_output.XXXXXX");
	if (!mkdtemp(fx->dir))
		return -1;
	snprintf(fx->path, sizeof fx->path, "%s/out.txt", fx->dir);
	res_init(&fx->r);
	res_add(&fx->r, "2", 2, ENGINE_PRIME);
	res_add(&fx->r, "3", 1, ENGINE_PRIME);
	mpz_init_set_ui(fx->n, 12);
	*state = fx;
	return 0;
}

/* Names in fx->dir (not . and ..). */
static int dir_entries(const struct fx *fx)
{
	DIR *d = opendir(fx->dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static int teardown(void **state)
{
	struct fx *fx = *state;
	DIR *d = opendir(fx->dir);
	struct dirent *e;
	char p[400];

	while (d && (e = readdir(d)) != NULL) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(p, sizeof p, "%s/%s", fx->dir, e->d_name);
		unlink(p);
	}
	if (d)
		closedir(d);
	rmdir(fx->dir);
	res_clear(&fx->r);
	mpz_clear(fx->n);
	free(fx);
	return 0;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long len;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	buf = calloc(1, (size_t)len + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	return buf;
}

static void file_appears_only_on_commit(void **state)
{
	struct fx *fx = *state;
	struct output *o = NULL;
	struct stat st;
	char *got;
	mode_t mask = umask(022);

	assert_int_equal(output_open(&o, fx->path, CLI_FORMAT_TEXT, 0, 0,
				     fx->err, sizeof fx->err),
			 STATUS_OK);
	assert_int_equal(output_write(o, fx->n, &fx->r, NULL), STATUS_OK);
	assert_int_equal(output_write(o, fx->n, &fx->r, NULL), STATUS_OK);
	assert_int_equal(access(fx->path, F_OK), -1); /* not there yet */
	assert_int_equal(dir_entries(fx), 1);         /* only the temp */
	assert_int_equal(output_close(o, 1, fx->err, sizeof fx->err),
			 STATUS_OK);
	got = slurp(fx->path);
	assert_non_null(got);
	assert_string_equal(got, "12: 2 2 3\n12: 2 2 3\n");
	free(got);
	assert_int_equal(dir_entries(fx), 1);
	assert_int_equal(stat(fx->path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
	umask(mask);
}

static void interrupted_run_leaves_no_file(void **state)
{
	struct fx *fx = *state;
	struct output *o = NULL;

	assert_int_equal(output_open(&o, fx->path, CLI_FORMAT_TEXT, 0, 0,
				     fx->err, sizeof fx->err),
			 STATUS_OK);
	assert_int_equal(output_write(o, fx->n, &fx->r, NULL), STATUS_OK);
	assert_int_equal(output_close(o, 0, fx->err, sizeof fx->err),
			 STATUS_OK);
	assert_int_equal(dir_entries(fx), 0);
}

/*
 * --checkpoint (output_open_kept): an interrupted run keeps the fixed
 * temporary name with its bytes; the next open finds them (fresh 0) and
 * a commit cuts the file to what was written (here less than the old
 * bytes) and renames it; fresh 1 starts from an empty file; a length set
 * by output_set_length (workers wrote the file) is the one kept; a
 * symbolic link under the kept name is refused, not followed.
 */
static void kept_file_survives_interrupt(void **state)
{
	struct fx *fx = *state;
	struct output *o = NULL;
	char kept[200], *got;

	snprintf(kept, sizeof kept, "%s/.out.txt" OUTPUT_KEPT_SUFFIX, fx->dir);
	assert_int_equal(output_open_kept(&o, fx->path, CLI_FORMAT_TEXT, 0, 0,
					  1, fx->err, sizeof fx->err),
			 STATUS_OK);
	assert_true(output_is_kept(o));
	assert_string_equal(output_shared_path(o), kept);
	assert_int_equal(output_write(o, fx->n, &fx->r, NULL), STATUS_OK);
	assert_int_equal(output_write(o, fx->n, &fx->r, NULL), STATUS_OK);
	assert_int_equal(output_close(o, 0, fx->err, sizeof fx->err),
			 STATUS_OK);
	assert_int_equal(access(fx->path, F_OK), -1);
	got = slurp(kept);
	assert_string_equal(got, "12: 2 2 3\n12: 2 2 3\n");
	free(got);

	/* resumed: the bytes are there; one line written, cut to it */
	assert_int_equal(output_open_kept(&o, fx->path, CLI_FORMAT_TEXT, 0, 0,
					  0, fx->err, sizeof fx->err),
			 STATUS_OK);
	assert_int_equal(output_write(o, fx->n, &fx->r, NULL), STATUS_OK);
	assert_int_equal(output_close(o, 1, fx->err, sizeof fx->err),
			 STATUS_OK);
	got = slurp(fx->path);
	assert_string_equal(got, "12: 2 2 3\n");
	free(got);
	assert_int_equal(dir_entries(fx), 1); /* the kept name is gone */

	/* the length other processes wrote; fresh truncates */
	assert_int_equal(output_open_kept(&o, fx->path, CLI_FORMAT_TEXT, 0, 0,
					  0, fx->err, sizeof fx->err),
			 STATUS_OK);
	assert_int_equal(output_write_at(o, 0, "abcdef", 6), STATUS_OK);
	output_set_length(o, 4);
	assert_int_equal(output_close(o, 1, fx->err, sizeof fx->err),
			 STATUS_OK);
	got = slurp(fx->path);
	assert_string_equal(got, "abcd");
	free(got);
	assert_int_equal(output_open_kept(&o, fx->path, CLI_FORMAT_TEXT, 0, 0,
					  0, fx->err, sizeof fx->err),
			 STATUS_OK);
	assert_int_equal(output_write_at(o, 0, "xyz", 3), STATUS_OK);
	assert_int_equal(output_close(o, 0, fx->err, sizeof fx->err),
			 STATUS_OK);
	assert_int_equal(output_open_kept(&o, fx->path, CLI_FORMAT_TEXT, 0, 0,
					  1, fx->err, sizeof fx->err),
			 STATUS_OK);
	assert_int_equal(output_close(o, 1, fx->err, sizeof fx->err),
			 STATUS_OK);
	got = slurp(fx->path);
	assert_string_equal(got, "");
	free(got);

	/* a symbolic link under the kept name is not followed */
	assert_int_equal(symlink(fx->path, kept), 0);
	assert_int_equal(output_open_kept(&o, fx->path, CLI_FORMAT_TEXT, 0, 0,
					  1, fx->err, sizeof fx->err),
			 STATUS_ERR_IO);
	assert_null(o);
	assert_int_equal(unlink(kept), 0);
}

static void old_file_kept_until_commit(void **state)
{
	struct fx *fx = *state;
	struct output *o = NULL;
	FILE *f = fopen(fx->path, "w");
	char *got;

	assert_non_null(f);
	fputs("old\n", f);
	fclose(f);
	assert_int_equal(output_open(&o, fx->path, CLI_FORMAT_CSV, 0, 0,
				     fx->err, sizeof fx->err),
			 STATUS_OK);
	assert_int_equal(output_write(o, fx->n, &fx->r, NULL), STATUS_OK);
	assert_int_equal(output_close(o, 0, fx->err, sizeof fx->err),
			 STATUS_OK);
	got = slurp(fx->path);
	assert_string_equal(got, "old\n");
	free(got);
	assert_int_equal(output_open(&o, fx->path, CLI_FORMAT_CSV, 0, 0,
				     fx->err, sizeof fx->err),
			 STATUS_OK);
	assert_int_equal(output_write(o, fx->n, &fx->r, NULL), STATUS_OK);
	assert_int_equal(output_close(o, 1, fx->err, sizeof fx->err),
			 STATUS_OK);
	got = slurp(fx->path);
	assert_string_equal(got,
			    "n,factors,status,cofactor\n"
			    "12,\"2^2 3\",complete,\n");
	free(got);
}

/*
 * replace-keeps-mode: replacing an existing file keeps its permission
 * bits and, where the process may set them, its group (sed -i does the
 * same); through a symbolic link the target's; a new file gets
 * 0666 & ~umask.
 */
static void replace_keeps_mode_and_group(void **state)
{
	static const mode_t modes[] = { 0640, 0600, 0604, 0751 };
	struct fx *fx = *state;
	struct output *o = NULL;
	struct stat st;
	char link[300];
	gid_t gid = getegid() == 0 ? 1 : getegid(); /* root: "daemon" */
	mode_t mask = umask(022);

	for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
		FILE *f = fopen(fx->path, "w");
		assert_non_null(f);
		fclose(f);
		assert_int_equal(chmod(fx->path, modes[i]), 0);
		if (chown(fx->path, (uid_t)-1, gid) != 0)
			gid = getegid();
		assert_int_equal(output_open(&o, i == 2 ? link : fx->path,
					     CLI_FORMAT_TEXT, 0, 0, fx->err,
					     sizeof fx->err),
				 STATUS_OK);
		assert_int_equal(output_write(o, fx->n, &fx->r, NULL),
				 STATUS_OK);
		assert_int_equal(output_close(o, 1, fx->err, sizeof fx->err),
				 STATUS_OK);
		assert_int_equal(stat(fx->path, &st), 0);
		assert_int_equal(st.st_mode & 07777, modes[i]);
		assert_int_equal(st.st_gid, gid);
		if (i == 1) { /* the next round writes through a link */
			snprintf(link, sizeof link, "%s.link", fx->path);
			assert_int_equal(symlink(fx->path, link), 0);
		}
	}
	assert_int_equal(lstat(link, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	unlink(link);
	unlink(fx->path);
	assert_int_equal(output_open(&o, fx->path, CLI_FORMAT_TEXT, 0, 0,
				     fx->err, sizeof fx->err),
			 STATUS_OK);
	assert_int_equal(output_close(o, 1, fx->err, sizeof fx->err),
			 STATUS_OK);
	assert_int_equal(stat(fx->path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	umask(mask);
}

static void csv_verbose_header_has_rank_and_seconds(void **state)
{
	struct fx *fx = *state;
	struct output *o = NULL;
	char *got;

	assert_int_equal(output_open(&o, fx->path, CLI_FORMAT_CSV, 0, 1,
				     fx->err, sizeof fx->err),
			 STATUS_OK);
	assert_int_equal(output_close(o, 1, fx->err, sizeof fx->err),
			 STATUS_OK);
	got = slurp(fx->path);
	assert_string_equal(got, "n,factors,status,cofactor,rank,seconds\n");
	free(got);
}

static void dev_full_reports_write_error(void **state)
{
	struct fx *fx = *state;
	struct output *o = NULL;
	int i, rc = STATUS_OK;
	struct stat st;

	if (stat("/dev/full", &st) != 0)
		skip();
	assert_int_equal(output_open(&o, "/dev/full", CLI_FORMAT_TEXT, 0, 0,
				     fx->err, sizeof fx->err),
			 STATUS_OK);
	for (i = 0; i < 10 && rc == STATUS_OK; i++)
		rc = output_write(o, fx->n, &fx->r, NULL);
	assert_int_equal(output_close(o, 1, fx->err, sizeof fx->err),
			 STATUS_ERR_IO);
	assert_int_equal(errno, ENOSPC);
	assert_non_null(strstr(fx->err, "/dev/full"));
	assert_non_null(strstr(fx->err, "No space left"));
	/* the device node is still a device: never renamed over */
	assert_int_equal(stat("/dev/full", &st), 0);
	assert_true(S_ISCHR(st.st_mode));
}

static void dev_full_large_output_fails_during_writes(void **state)
{
	struct fx *fx = *state;
	struct output *o = NULL;
	int i, rc = STATUS_OK;

	assert_int_equal(output_open(&o, "/dev/full", CLI_FORMAT_TEXT, 0, 0,
				     fx->err, sizeof fx->err),
			 STATUS_OK);
	/* more than the 1 MiB buffer: a write fails before close */
	for (i = 0; i < 200000 && rc == STATUS_OK; i++)
		rc = output_write(o, fx->n, &fx->r, NULL);
	assert_int_equal(rc, STATUS_ERR_IO);
	/* poisoned: later writes fail too */
	assert_int_equal(output_write(o, fx->n, &fx->r, NULL), STATUS_ERR_IO);
	assert_int_equal(output_close(o, 1, fx->err, sizeof fx->err),
			 STATUS_ERR_IO);
}

static void missing_directory_fails_at_open(void **state)
{
	struct fx *fx = *state;
	struct output *o = NULL;
	char p[200];

	snprintf(p, sizeof p, "%s/no/such/dir/out.txt", fx->dir);
	assert_int_equal(output_open(&o, p, CLI_FORMAT_TEXT, 0, 0, fx->err,
				     sizeof fx->err),
			 STATUS_ERR_IO);
	assert_null(o);
	assert_int_equal(errno, ENOENT);
	assert_non_null(strstr(fx->err, p));
	assert_non_null(strstr(fx->err, "No such file or directory"));
}

static void directory_as_output_rejected(void **state)
{
	struct fx *fx = *state;
	struct output *o = NULL;

	assert_int_equal(output_open(&o, fx->dir, CLI_FORMAT_TEXT, 0, 0,
				     fx->err, sizeof fx->err),
			 STATUS_ERR_IO);
	assert_null(o);
	assert_non_null(strstr(fx->err, "Is a directory"));
}

static void relative_name_in_current_directory(void **state)
{
	struct fx *fx = *state;
	struct output *o = NULL;
	char cwd[512];

	assert_non_null(getcwd(cwd, sizeof cwd));
	assert_int_equal(chdir(fx->dir), 0);
	assert_int_equal(output_open(&o, "rel.txt", CLI_FORMAT_TEXT, 0, 0,
				     fx->err, sizeof fx->err),
			 STATUS_OK);
	assert_int_equal(output_write(o, fx->n, &fx->r, NULL), STATUS_OK);
	assert_int_equal(output_close(o, 1, fx->err, sizeof fx->err),
			 STATUS_OK);
	assert_int_equal(access("rel.txt", R_OK), 0);
	assert_int_equal(chdir(cwd), 0);
	assert_int_equal(dir_entries(fx), 1);
}

static void symlink_kept_and_target_replaced(void **state)
{
	struct fx *fx = *state;
	struct output *o = NULL;
	char target[200], link[200];
	struct stat st;
	char *got;
	FILE *f;

	snprintf(target, sizeof target, "%s/target.txt", fx->dir);
	snprintf(link, sizeof link, "%s/link.txt", fx->dir);
	f = fopen(target, "w");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(symlink("target.txt", link), 0);
	assert_int_equal(output_open(&o, link, CLI_FORMAT_TEXT, 0, 0, fx->err,
				     sizeof fx->err),
			 STATUS_OK);
	assert_int_equal(output_write(o, fx->n, &fx->r, NULL), STATUS_OK);
	assert_int_equal(output_close(o, 1, fx->err, sizeof fx->err),
			 STATUS_OK);
	assert_int_equal(lstat(link, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	got = slurp(target);
	assert_string_equal(got, "12: 2 2 3\n");
	free(got);
	assert_int_equal(dir_entries(fx), 2);
}

static void close_null_is_ok(void **state)
{
	(void)state;
	assert_int_equal(output_close(NULL, 1, NULL, 0), STATUS_OK);
}

/*
 * A FIFO (a stream someone watches) is fully buffered: a line waits in
 * the buffer until OUTPUT_FLUSH_MS have passed, then output_tick sends
 * it.  A regular file is never flushed by time (output_flush_wait < 0).
 */
static void fifo_flushed_by_tick_after_interval(void **state)
{
	struct fx *fx = *state;
	struct output *o;
	char got[64];
	struct timespec ts = { 0, (OUTPUT_FLUSH_MS + 20) * 1000000L };
	double w;
	ssize_t k;
	int rfd;

	assert_int_equal(mkfifo(fx->path, 0600), 0);
	rfd = open(fx->path, O_RDONLY | O_NONBLOCK);
	assert_true(rfd >= 0);
	assert_int_equal(output_open(&o, fx->path, CLI_FORMAT_TEXT, 0, 0,
				     fx->err, sizeof fx->err),
			 STATUS_OK);
	assert_true(output_flush_wait(o) < 0);
	assert_int_equal(output_write(o, fx->n, &fx->r, NULL), STATUS_OK);
	w = output_flush_wait(o);
	assert_true(w >= 0 && w <= OUTPUT_FLUSH_MS * 1e-3);
	assert_int_equal(output_tick(o, 0), STATUS_OK); /* not due yet */
	assert_true(read(rfd, got, sizeof got) < 0);    /* still buffered */
	nanosleep(&ts, NULL);
	assert_true(output_flush_wait(o) == 0);
	assert_int_equal(output_tick(o, 0), STATUS_OK);
	k = read(rfd, got, sizeof got);
	assert_int_equal(k, 10);
	assert_memory_equal(got, "12: 2 2 3\n", 10);
	assert_true(output_flush_wait(o) < 0);
	/* now = 1: flushed at once, however young */
	assert_int_equal(output_write(o, fx->n, &fx->r, NULL), STATUS_OK);
	assert_int_equal(output_tick(o, 1), STATUS_OK);
	assert_int_equal(read(rfd, got, sizeof got), 10);
	assert_int_equal(output_close(o, 1, fx->err, sizeof fx->err),
			 STATUS_OK);
	close(rfd);
}

static void file_not_flushed_by_time(void **state)
{
	struct fx *fx = *state;
	struct output *o;

	assert_int_equal(output_open(&o, fx->path, CLI_FORMAT_TEXT, 0, 0,
				     fx->err, sizeof fx->err),
			 STATUS_OK);
	assert_int_equal(output_write(o, fx->n, &fx->r, NULL), STATUS_OK);
	assert_true(output_flush_wait(o) < 0);
	assert_int_equal(output_tick(o, 1), STATUS_OK);
	assert_int_equal(output_close(o, 1, fx->err, sizeof fx->err),
			 STATUS_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		cmocka_unit_test(text_matches_coreutils_vectors),
		cmocka_unit_test(text_zero_and_one_have_no_factors),
		cmocka_unit_test(text_word_limits),
		cmocka_unit_test(words_digit_boundaries_every_format),
		cmocka_unit_test(words_bad_arguments),
		cmocka_unit_test(term_counts_in_decimal),
		cmocka_unit_test(text_u64_digit_boundaries),
		cmocka_unit_test(text_exponents_as_factor_h),
		cmocka_unit_test(text_probable_prime_printed_as_prime),
		cmocka_unit_test(text_partial_marks_composite_cofactor),
		cmocka_unit_test(text_huge_exponent_grows_buffer),
		cmocka_unit_test(json_numbers_are_strings),
		cmocka_unit_test(json_one_has_empty_factor_list),
		cmocka_unit_test(zero_is_not_complete_in_any_format),
		cmocka_unit_test(json_partial_has_cofactor),
		cmocka_unit_test(json_partial_cofactor_multiplies_powers),
		cmocka_unit_test(json_verbose_adds_rank_and_seconds),
		cmocka_unit_test(csv_row_quotes_factor_list),
		cmocka_unit_test(csv_partial_fills_cofactor_column),
		cmocka_unit_test(format_rejects_bad_arguments),
		T(file_appears_only_on_commit),
		T(interrupted_run_leaves_no_file),
		T(kept_file_survives_interrupt),
		T(old_file_kept_until_commit),
		T(replace_keeps_mode_and_group),
		T(csv_verbose_header_has_rank_and_seconds),
		T(dev_full_reports_write_error),
		T(dev_full_large_output_fails_during_writes),
		T(missing_directory_fails_at_open),
		T(directory_as_output_rejected),
		T(relative_name_in_current_directory),
		T(symlink_kept_and_target_replaced),
		T(fifo_flushed_by_tick_after_interval),
		T(file_not_flushed_by_time),
		cmocka_unit_test(close_null_is_ok),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
