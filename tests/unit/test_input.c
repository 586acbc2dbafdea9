/*
 * test_input.c - unit tests of the number sources (src/core/input.c).
 *
 * One table of tokens, each named for the rule it guards, is run through
 * both paths (input_parse_token and a text file read by input_next) so the
 * two cannot drift apart; then whole files (comments, CRLF, NUL bytes,
 * garbage, a 10 MB line, no final newline, empty), command-line
 * arguments, and generated progressions.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "input.h"
#include "status.h"

#define W(s) ((char *)(uintptr_t)(s))

struct tok_case {
	const char *name; /* what the case guards */
	const char *tok;
	size_t len; /* 0: strlen(tok) */
	unsigned long max;
	int rc;
	const char *value; /* expected value when rc == STATUS_OK */
};

#define OK(name, t, v)                          \
	{                                       \
		name, t, 0, 10000, STATUS_OK, v \
	}
#define BAD(name, t)                                       \
	{                                                  \
		name, t, 0, 10000, STATUS_ERR_SYNTAX, NULL \
	}

static const struct tok_case tok_cases[] = {
	OK("zero", "0", "0"),
	OK("one", "1", "1"),
	OK("plain", "12", "12"),
	OK("one_leading_plus", "+7", "7"),
	OK("leading_zeros_dropped", "007", "7"),
	OK("plus_and_zeros", "+0012", "12"),
	OK("all_zeros", "0000", "0"),
	OK("plus_zero", "+0", "0"),
	OK("above_2_64", "18446744073709551616", "18446744073709551616"),
	OK("above_2_128", "340282366920938463463374607431768211457",
	   "340282366920938463463374607431768211457"),
	BAD("empty", ""),
	BAD("plus_alone", "+"),
	BAD("double_plus", "++7"),
	BAD("minus", "-1"),
	BAD("minus_zero", "-0"),
	BAD("plus_minus", "+-1"),
	BAD("trailing_minus", "1-"),
	BAD("plus_inside", "1+2"),
	BAD("letters", "abc"),
	BAD("trailing_letter", "12a"),
	BAD("leading_letter", "a12"),
	BAD("hex", "0x10"),
	BAD("hex_upper", "0X1F"),
	BAD("exponent", "1e5"),
	BAD("decimal_point", "1.0"),
	BAD("comma_group", "1,000"),
	BAD("underscore_group", "1_000"),
	BAD("vertical_tab_inside", "1\v2"),
	BAD("form_feed_inside", "1\f2"),
	BAD("hash_inside", "3#x"),
	BAD("utf8_arabic_digits", "\xd9\xa1\xd9\xa2"),
	BAD("fullwidth_digit", "\xef\xbc\x91"),
	BAD("high_byte", "\xff"),
	BAD("nul_inside",
	    "5\0"
	    "6"),
};

static size_t tok_len(const struct tok_case *c)
{
	if (c->len)
		return c->len;
	if (strcmp(c->name, "nul_inside") == 0)
		return 3;
	return strlen(c->tok);
}

static void tokens_parse_as_named(void **state)
{
	size_t i;
	mpz_t n;

	(void)state;
	mpz_init(n);
	for (i = 0; i < sizeof tok_cases / sizeof tok_cases[0]; i++) {
		const struct tok_case *c = &tok_cases[i];
		const char *reason = NULL;
		int rc = input_parse_token(c->tok, tok_len(c), c->max, n,
					   &reason);
		if (rc != c->rc)
			fail_msg("%s: rc %d, expected %d", c->name, rc, c->rc);
		if (rc == STATUS_OK) {
			char *s = mpz_get_str(NULL, 10, n);
			if (strcmp(s, c->value) != 0)
				fail_msg("%s: value %s", c->name, s);
			free(s);
		} else {
			assert_non_null(reason);
			assert_string_equal(reason,
					    "is not a valid positive integer");
		}
	}
	mpz_clear(n);
}

static void max_digits_counts_significant_digits(void **state)
{
	const char *reason = NULL;
	mpz_t n;

	(void)state;
	mpz_init(n);
	assert_int_equal(input_parse_token("12345", 5, 5, n, &reason),
			 STATUS_OK);
	assert_int_equal(input_parse_token("123456", 6, 5, n, &reason),
			 STATUS_ERR_RANGE);
	assert_non_null(strstr(reason, "more than"));
	/* leading zeros and '+' are not digits of the value */
	assert_int_equal(input_parse_token("+0000012345", 11, 5, n, &reason),
			 STATUS_OK);
	assert_int_equal(mpz_cmp_ui(n, 12345), 0);
	/* syntax wins over length: a long bad token is a syntax error */
	assert_int_equal(input_parse_token("1234567x", 8, 5, n, &reason),
			 STATUS_ERR_SYNTAX);
	mpz_clear(n);
}

/* ---- files ---- */

struct fx {
	char dir[64];
	char path[128];
	struct input_source *s;
	mpz_t n;
	struct input_error e;
};

static int setup(void **state)
{
	struct fx *fx = calloc(1, sizeof *fx);

	if (!fx)
		return -1;
	strcpy(fx->dir, "/tmp/test_input.XXXXXX");
	if (!mkdtemp(fx->dir))
		return -1;
	snprintf(fx->path, sizeof fx->path, "%s/in.txt", fx->dir);
	mpz_init(fx->n);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;

	input_close(fx->s);
	unlink(fx->path);
	rmdir(fx->dir);
	mpz_clear(fx->n);
	free(fx);
	return 0;
}

static void write_file(struct fx *fx, const char *data, size_t len)
{
	FILE *f = fopen(fx->path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void open_text(struct fx *fx, const char *data, size_t len,
		      unsigned long max_digits)
{
	write_file(fx, data, len);
	input_close(fx->s);
	fx->s = NULL;
	assert_int_equal(input_open_file(&fx->s, fx->path, max_digits),
			 STATUS_OK);
}

/* Next must be the number v on line `line` (line checked only for errors). */
static void expect_num(struct fx *fx, const char *v)
{
	int rc = input_next(fx->s, fx->n, &fx->e);
	char *s;

	if (rc != STATUS_OK)
		fail_msg("expected %s, got rc %d (token '%s')", v, rc,
			 fx->e.token);
	s = mpz_get_str(NULL, 10, fx->n);
	assert_string_equal(s, v);
	free(s);
}

static void expect_bad(struct fx *fx, int rc_want, unsigned long line,
		       const char *shown)
{
	int rc;

	memset(&fx->e, 0, sizeof fx->e);
	rc = input_next(fx->s, fx->n, &fx->e);
	if (rc != rc_want)
		fail_msg("expected bad token '%s' (rc %d), got rc %d", shown,
			 rc_want, rc);
	assert_int_equal(fx->e.line, line);
	assert_string_equal(fx->e.token, shown);
	assert_non_null(fx->e.reason);
}

static void expect_end(struct fx *fx)
{
	assert_int_equal(input_next(fx->s, fx->n, &fx->e), STATUS_NOT_FOUND);
	/* and it stays at the end */
	assert_int_equal(input_next(fx->s, fx->n, &fx->e), STATUS_NOT_FOUND);
}

static void tokens_read_from_text_agree_with_parser(void **state)
{
	struct fx *fx = *state;
	size_t i;

	for (i = 0; i < sizeof tok_cases / sizeof tok_cases[0]; i++) {
		const struct tok_case *c = &tok_cases[i];
		char buf[128];
		size_t len = tok_len(c);
		int rc;

		if (len == 0)
			continue; /* an empty token does not exist in text */
		memcpy(buf, c->tok, len);
		buf[len] = '\n';
		open_text(fx, buf, len + 1, c->max);
		rc = input_next(fx->s, fx->n, &fx->e);
		if (rc != c->rc)
			fail_msg("%s in a file: rc %d, expected %d", c->name,
				 rc, c->rc);
		if (rc == STATUS_OK) {
			char *s = mpz_get_str(NULL, 10, fx->n);
			if (strcmp(s, c->value) != 0)
				fail_msg("%s in a file: value %s", c->name, s);
			free(s);
		} else {
			assert_int_equal(fx->e.line, 1);
		}
		expect_end(fx);
	}
}

static void mixed_file_reports_and_continues(void **state)
{
	struct fx *fx = *state;
	static const char data[] = "12 abc 7\n"
				   "# a comment 99\n"
				   "\n"
				   "  +5\r\n"
				   "3#x 0x10 4";

	open_text(fx, data, sizeof data - 1, 10000);
	expect_num(fx, "12");
	expect_bad(fx, STATUS_ERR_SYNTAX, 1, "abc");
	assert_string_equal(fx->e.reason, "is not a valid positive integer");
	expect_num(fx, "7");
	expect_num(fx, "5");
	expect_bad(fx, STATUS_ERR_SYNTAX, 5, "3#x");
	expect_bad(fx, STATUS_ERR_SYNTAX, 5, "0x10");
	expect_num(fx, "4"); /* no final newline */
	expect_end(fx);
}

static void comment_after_number_ends_line(void **state)
{
	struct fx *fx = *state;
	static const char data[] = "12 # 99 is ignored\n#\n##x\n13#\n";

	open_text(fx, data, sizeof data - 1, 10000);
	expect_num(fx, "12");
	expect_bad(fx, STATUS_ERR_SYNTAX, 4, "13#");
	expect_end(fx);
}

static void crlf_lines_counted_once(void **state)
{
	struct fx *fx = *state;
	static const char data[] = "1\r\n2\r\nx\r\n";

	open_text(fx, data, sizeof data - 1, 10000);
	expect_num(fx, "1");
	expect_num(fx, "2");
	expect_bad(fx, STATUS_ERR_SYNTAX, 3, "x");
	expect_end(fx);
}

static void empty_and_blank_files_give_nothing(void **state)
{
	struct fx *fx = *state;

	open_text(fx, "", 0, 10000);
	expect_end(fx);
	open_text(fx, " \n\t\r\n\n", 6, 10000);
	expect_end(fx);
	open_text(fx, "# only a comment", 16, 10000);
	expect_end(fx);
}

static void nul_bytes_are_bad_tokens(void **state)
{
	struct fx *fx = *state;
	static const char data[] = "5\0 6\n\0\n7";

	open_text(fx, data, sizeof data - 1, 10000);
	expect_bad(fx, STATUS_ERR_SYNTAX, 1, "5\\x00");
	expect_num(fx, "6");
	expect_bad(fx, STATUS_ERR_SYNTAX, 2, "\\x00");
	expect_num(fx, "7");
	expect_end(fx);
}

static void control_bytes_shown_escaped(void **state)
{
	struct fx *fx = *state;
	static const char data[] = "1\v2 \xff\xfe 1\x1b[0m\n";

	open_text(fx, data, sizeof data - 1, 10000);
	expect_bad(fx, STATUS_ERR_SYNTAX, 1, "1\\v2");
	expect_bad(fx, STATUS_ERR_SYNTAX, 1, "\\xff\\xfe");
	expect_bad(fx, STATUS_ERR_SYNTAX, 1, "1\\x1b[0m");
	expect_end(fx);
}

static void binary_garbage_never_crashes(void **state)
{
	struct fx *fx = *state;
	enum { LEN = 1 << 17 };
	char *data = malloc(LEN);
	uint32_t x = 12345;
	size_t i;
	int rc, steps = 0;

	assert_non_null(data);
	for (i = 0; i < LEN; i++) { /* xorshift: repeatable garbage */
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		data[i] = (char)(x & 0xff);
	}
	open_text(fx, data, LEN, 20);
	do {
		rc = input_next(fx->s, fx->n, &fx->e);
		assert_true(rc == STATUS_OK || rc == STATUS_NOT_FOUND ||
			    rc == STATUS_ERR_SYNTAX || rc == STATUS_ERR_RANGE);
		if (rc != STATUS_OK && rc != STATUS_NOT_FOUND)
			assert_true(strlen(fx->e.token) < sizeof fx->e.token);
		steps++;
	} while (rc != STATUS_NOT_FOUND && steps < LEN);
	assert_int_equal(rc, STATUS_NOT_FOUND);
	free(data);
}

static void ten_megabyte_line_rejected_in_bounded_memory(void **state)
{
	struct fx *fx = *state;
	enum { LEN = 10 * 1000 * 1000 };
	char *data = malloc(LEN + 8);

	assert_non_null(data);
	memset(data, '7', LEN);
	memcpy(data + LEN, "\n12\n", 4);
	open_text(fx, data, LEN + 4, 10000);
	free(data);
	memset(&fx->e, 0, sizeof fx->e);
	assert_int_equal(input_next(fx->s, fx->n, &fx->e), STATUS_ERR_RANGE);
	assert_int_equal(fx->e.line, 1);
	assert_non_null(strstr(fx->e.token, "777..."));
	assert_true(strlen(fx->e.token) < sizeof fx->e.token);
	assert_string_equal(fx->e.reason,
			    "has more than 10000 digits (--max-digits)");
	expect_num(fx, "12");
	expect_end(fx);
}

static void ten_megabyte_bad_line_is_a_syntax_error(void **state)
{
	struct fx *fx = *state;
	enum { LEN = 10 * 1000 * 1000 };
	char *data = malloc(LEN + 8);

	assert_non_null(data);
	memset(data, '7', LEN);
	data[LEN - 1] = 'z'; /* the junk is at the very end */
	memcpy(data + LEN, "\n12", 3);
	open_text(fx, data, LEN + 3, 10000);
	free(data);
	/* 60 digits shown, then "..." (token[64] with its NUL) */
	expect_bad(fx, STATUS_ERR_SYNTAX, 1,
		   "777777777777777777777777777777"
		   "777777777777777777777777777777...");
	expect_num(fx, "12");
	expect_end(fx);
}

static void big_number_within_max_digits_parsed(void **state)
{
	struct fx *fx = *state;
	enum { LEN = 100000 };
	char *data = malloc(LEN + 2);

	assert_non_null(data);
	memset(data, '9', LEN);
	data[0] = '1';
	data[LEN] = '\n';
	open_text(fx, data, LEN + 1, LEN);
	free(data);
	assert_int_equal(input_next(fx->s, fx->n, &fx->e), STATUS_OK);
	assert_int_equal(mpz_sizeinbase(fx->n, 10), LEN);
	assert_int_equal(mpz_fdiv_ui(fx->n, 1000), 999);
	expect_end(fx);
}

static void many_tokens_on_one_line(void **state)
{
	struct fx *fx = *state;
	enum { N = 200000 };
	char *data = malloc(2 * N + 1);
	int i;

	assert_non_null(data);
	for (i = 0; i < N; i++) {
		data[2 * i] = (char)('0' + i % 10);
		data[2 * i + 1] = ' ';
	}
	open_text(fx, data, 2 * N, 10000);
	free(data);
	for (i = 0; i < N; i++) {
		assert_int_equal(input_next(fx->s, fx->n, &fx->e), STATUS_OK);
		assert_int_equal(mpz_get_ui(fx->n), (unsigned long)(i % 10));
	}
	expect_end(fx);
}

static void long_token_shown_shortened(void **state)
{
	struct fx *fx = *state;
	char data[200];

	memset(data, 'q', sizeof data - 1);
	data[sizeof data - 1] = '\n';
	open_text(fx, data, sizeof data, 10000);
	memset(&fx->e, 0, sizeof fx->e);
	assert_int_equal(input_next(fx->s, fx->n, &fx->e), STATUS_ERR_SYNTAX);
	assert_true(strlen(fx->e.token) <= 63);
	assert_non_null(strstr(fx->e.token, "qqq..."));
}

static void missing_file_and_directory_are_io_errors(void **state)
{
	struct fx *fx = *state;
	struct input_source *s = NULL;
	char p[160];

	snprintf(p, sizeof p, "%s/does-not-exist", fx->dir);
	assert_int_equal(input_open_file(&s, p, 10000), STATUS_ERR_IO);
	assert_int_equal(errno, ENOENT);
	assert_null(s);
	assert_int_equal(input_open_file(&s, fx->dir, 10000), STATUS_ERR_IO);
	assert_int_equal(errno, EISDIR);
	assert_null(s);
	assert_int_equal(input_open_file(&s, fx->path, 0), STATUS_ERR_INVAL);
}

/* ---- command-line arguments ---- */

static void args_follow_gnu_factor(void **state)
{
	struct fx *fx = *state;
	char *args[] = { W("  +7"), W("7  "),  W("3 4"),   W(""),
			 W("-1"),   W("0012"), W("123456") };

	assert_int_equal(input_open_args(&fx->s, args, 7, 5), STATUS_OK);
	expect_num(fx, "7");
	expect_bad(fx, STATUS_ERR_SYNTAX, 0, "7  ");
	expect_bad(fx, STATUS_ERR_SYNTAX, 0, "3 4");
	expect_bad(fx, STATUS_ERR_SYNTAX, 0, "");
	expect_bad(fx, STATUS_ERR_SYNTAX, 0, "-1");
	expect_num(fx, "12");
	expect_bad(fx, STATUS_ERR_RANGE, 0, "123456");
	assert_string_equal(fx->e.reason,
			    "has more than 5 digits (--max-digits)");
	expect_end(fx);
}

/* max-digits-1-singular: "more than 1 digit", not "1 digits" */
static void max_digits_one_is_singular(void **state)
{
	struct fx *fx = *state;
	char *args[] = { W("7"), W("12") };

	assert_int_equal(input_open_args(&fx->s, args, 2, 1), STATUS_OK);
	expect_num(fx, "7");
	expect_bad(fx, STATUS_ERR_RANGE, 0, "12");
	assert_string_equal(fx->e.reason,
			    "has more than 1 digit (--max-digits)");
	expect_end(fx);
}

static void no_args_gives_nothing(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(input_open_args(&fx->s, NULL, 0, 10), STATUS_OK);
	expect_end(fx);
	assert_int_equal(input_range(fx->s, fx->n, fx->n, NULL), 0);
}

/* ---- progressions ---- */

static void range_yields_start_plus_i_step(void **state)
{
	struct fx *fx = *state;
	mpz_t a, b, st, sp;
	uint64_t count = 0;

	mpz_inits(a, b, st, sp, NULL);
	mpz_set_ui(a, 10);
	mpz_set_ui(b, 3);
	assert_int_equal(input_open_range(&fx->s, a, b, 4), STATUS_OK);
	expect_num(fx, "10");
	expect_num(fx, "13");
	expect_num(fx, "16");
	expect_num(fx, "19");
	expect_end(fx);
	assert_int_equal(input_range(fx->s, st, sp, &count), 1);
	assert_int_equal(mpz_cmp_ui(st, 10), 0);
	assert_int_equal(mpz_cmp_ui(sp, 3), 0);
	assert_int_equal(count, 4);
	mpz_clears(a, b, st, sp, NULL);
}

static void classic_range_and_big_step(void **state)
{
	struct fx *fx = *state;
	mpz_t a, b;

	mpz_init_set_str(a, "999999999999", 10);
	mpz_init_set_str(b, "100000000000000000000000000000", 10);
	assert_int_equal(input_open_range(&fx->s, a, b, 2), STATUS_OK);
	expect_num(fx, "999999999999");
	expect_num(fx,
		   "100000000000000000999999999999"); /* 10^29 + 999999999999 */
	mpz_clears(a, b, NULL);
}

static void range_skip_is_exact(void **state)
{
	struct fx *fx = *state;
	mpz_t a, b, want;

	mpz_init_set_ui(a, 5);
	mpz_init_set_str(b, "1000000000000000000000", 10);
	mpz_init(want);
	assert_int_equal(input_open_range(&fx->s, a, b, UINT64_MAX), STATUS_OK);
	assert_int_equal(input_skip(fx->s, UINT64_C(0x123456789)), STATUS_OK);
	mpz_set_ui(want, 0x12345678u);
	mpz_mul_ui(want, want, 16);
	mpz_add_ui(want, want, 9);
	mpz_mul(want, want, b);
	mpz_add(want, want, a);
	assert_int_equal(input_next(fx->s, fx->n, &fx->e), STATUS_OK);
	assert_int_equal(mpz_cmp(fx->n, want), 0);
	input_close(fx->s);
	fx->s = NULL;
	assert_int_equal(input_open_range(&fx->s, a, b, 3), STATUS_OK);
	assert_int_equal(input_skip(fx->s, 5), STATUS_NOT_FOUND);
	expect_end(fx);
	mpz_clears(a, b, want, NULL);
}

static void range_rejects_bad_parameters(void **state)
{
	struct input_source *s = NULL;
	mpz_t a, b;

	(void)state;
	mpz_init_set_si(a, -1);
	mpz_init_set_ui(b, 1);
	assert_int_equal(input_open_range(&s, a, b, 3), STATUS_ERR_INVAL);
	mpz_set_ui(a, 1);
	mpz_set_ui(b, 0);
	assert_int_equal(input_open_range(&s, a, b, 3), STATUS_ERR_INVAL);
	assert_null(s);
	input_close(NULL);
	mpz_clears(a, b, NULL);
}

static void text_skip_counts_valid_numbers(void **state)
{
	struct fx *fx = *state;
	static const char data[] = "1 x 2 3 y 4\n";

	open_text(fx, data, sizeof data - 1, 10000);
	assert_int_equal(input_skip(fx->s, 3), STATUS_OK);
	expect_bad(fx, STATUS_ERR_SYNTAX, 1, "y");
	expect_num(fx, "4");
	assert_int_equal(input_skip(fx->s, 1), STATUS_NOT_FOUND);
}

static void error_messages_name_file_line_and_token(void **state)
{
	struct input_error e = { 3, "abc", "is not a valid positive integer" };
	char b[128];

	(void)state;
	input_error_message(b, sizeof b, "jobs.txt", &e);
	assert_string_equal(b,
			    "jobs.txt:3: 'abc' is not a valid positive "
			    "integer");
	input_error_message(b, sizeof b, "-", &e);
	assert_string_equal(b,
			    "standard input:3: 'abc' is not a valid "
			    "positive integer");
	e.line = 0; /* an argument: exactly GNU factor's text */
	input_error_message(b, sizeof b, NULL, &e);
	assert_string_equal(b, "'abc' is not a valid positive integer");
	assert_int_equal(input_error_message(b, 5, NULL, &e), 37);
	assert_string_equal(b, "'abc");
}

/*
 * Reference reader for the differential test: the rules of the header
 * comment of src/core/input.c written the plain way (whole text in memory).
 * Calls back for each token with its line.
 */
static void ref_tokens(const char *d, size_t len,
		       void (*each)(const char *tok, size_t n,
				    unsigned long line, void *arg),
		       void *arg)
{
	unsigned long line = 1;
	size_t i = 0, j;

	while (i < len) {
		char c = d[i];
		if (c == '\n') {
			line++;
			i++;
		} else if (c == ' ' || c == '\t' || c == '\r') {
			i++;
		} else if (c == '#') {
			while (i < len && d[i] != '\n')
				i++;
		} else {
			for (j = i; j < len && d[j] != ' ' && d[j] != '\t' &&
			     d[j] != '\r' && d[j] != '\n';
			     j++)
				;
			each(d + i, j - i, line, arg);
			i = j;
		}
	}
}

struct diff_arg {
	struct fx *fx;
	unsigned long max;
	int tokens;
};

static void diff_one(const char *tok, size_t n, unsigned long line, void *argp)
{
	struct diff_arg *a = argp;
	const char *reason = NULL;
	mpz_t want;
	int rc_want, rc;

	mpz_init(want);
	rc_want = input_parse_token(tok, n, a->max, want, &reason);
	memset(&a->fx->e, 0, sizeof a->fx->e);
	rc = input_next(a->fx->s, a->fx->n, &a->fx->e);
	if (rc != rc_want)
		fail_msg("token %d (line %lu, %zu bytes): rc %d, reference %d",
			 a->tokens, line, n, rc, rc_want);
	if (rc == STATUS_OK && mpz_cmp(want, a->fx->n) != 0)
		fail_msg("token %d (line %lu): value differs", a->tokens, line);
	if (rc != STATUS_OK && a->fx->e.line != line)
		fail_msg("token %d: line %lu, reference %lu", a->tokens,
			 a->fx->e.line, line);
	a->tokens++;
	mpz_clear(want);
}

static void random_text_matches_reference_reader(void **state)
{
	struct fx *fx = *state;
	/* weighted toward digits so long valid numbers occur */
	static const char alphabet[] = "0123456789012345678901234567890123"
				       "  \n\n\t\r+-#ax";
	enum { LEN = 3 * (1 << 16) + 123 }; /* spans several read blocks */
	char *data = malloc(LEN);
	struct diff_arg a = { fx, 12, 0 };
	uint32_t x = 2463534242u;
	size_t i;
	int round;

	assert_non_null(data);
	for (round = 0; round < 4; round++) {
		for (i = 0; i < LEN; i++) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			data[i] = alphabet[x % (sizeof alphabet - 1)];
		}
		if (round == 3) /* a NUL now and then */
			for (i = 0; i < LEN; i += 997)
				data[i] = '\0';
		a.max = round == 0 ? 12 : round == 1 ? 3 : 10000;
		a.tokens = 0;
		open_text(fx, data, LEN, a.max);
		ref_tokens(data, LEN, diff_one, &a);
		expect_end(fx);
		assert_true(a.tokens > 1000);
	}
	free(data);
}

/* ---- byte ranges (input_cut, input_open_bytes) ---- */

/*
 * Every number and bad token of fx->path, in order, as one text: "n\n"
 * for a number, "line:'token'\n" for a bad token.  whole: one input_next
 * pass over the file; else cut into ranges of target bytes, each read by
 * input_open_bytes with its lines offset by the newlines before it.
 */
static char *read_all(struct fx *fx, int whole, uint64_t target)
{
	uint64_t *ends = NULL, n = 0, size = 0, base = 1;
	size_t cap = 1 << 16, len = 0;
	char *out = malloc(cap);
	int rc;

	assert_non_null(out);
	out[0] = '\0';
	if (!whole)
		assert_int_equal(input_cut(fx->path, target, &ends, &n, &size),
				 STATUS_OK);
	for (uint64_t k = 0; k < (whole ? 1 : n); k++) {
		struct input_source *src = NULL;
		uint64_t off = k == 0 ? 0 : ends[k - 1];

		if (whole)
			assert_int_equal(input_open_file(&src, fx->path, 20),
					 STATUS_OK);
		else
			assert_int_equal(input_open_bytes(&src, fx->path, off,
							  ends[k] - off, size,
							  20),
					 STATUS_OK);
		for (;;) {
			char *v = NULL;
			memset(&fx->e, 0, sizeof fx->e);
			rc = input_next(src, fx->n, &fx->e);
			if (rc == STATUS_NOT_FOUND)
				break;
			if (len + 200 > cap) {
				cap *= 2;
				out = realloc(out, cap);
				assert_non_null(out);
			}
			if (rc == STATUS_OK) {
				v = mpz_get_str(NULL, 10, fx->n);
				len += (size_t)sprintf(out + len, "%s\n", v);
				free(v);
			} else {
				assert_true(rc == STATUS_ERR_SYNTAX ||
					    rc == STATUS_ERR_RANGE);
				len += (size_t)sprintf(
					out + len, "%llu:'%s' %s\n",
					(unsigned long long)(base + fx->e.line -
							     1),
					fx->e.token, fx->e.reason);
			}
		}
		base += input_line(src) - 1;
		input_close(src);
	}
	free(ends);
	return out;
}

/* The ranges of every target size give what one pass gives. */
static void ranges_agree_with_one_pass(struct fx *fx, const char *data,
				       size_t len)
{
	char *ref, *got;

	write_file(fx, data, len);
	ref = read_all(fx, 1, 0);
	for (uint64_t t = 1; t <= len + 1; t++) {
		got = read_all(fx, 0, t);
		if (strcmp(ref, got) != 0)
			fail_msg("range size %llu:\n%s\nwant:\n%s",
				 (unsigned long long)t, got, ref);
		free(got);
	}
	free(ref);
}

static void byte_ranges_read_like_the_whole_file(void **state)
{
	struct fx *fx = *state;
	static const char *const files[] = {
		"1\n22\n333\n4444", /* no final newline */
		"12 # comment 13\n\n  abc 15\n#x\n0x10 7\n", /* comments,
								  blanks */
		"4\r\n5 6\r\n\r\nz\r\n7",                    /* CRLF */
		"a\nb\nc\n1\nd\n",                           /* bad tokens on
							every boundary */
		"123456789012345678901234 5\n6\n", /* --max-digits 20 */
		"\n\n\n",                          /* blank lines only */
		"# only a comment",                /* no number */
		"99999999999999999999 1 2 3 4 5 6 7 8 9 10\n11\n", /* a
							     line longer
							     than a range */
	};

	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
		ranges_agree_with_one_pass(fx, files[i], strlen(files[i]));
}

/* Cuts fall just after a newline, at or after target bytes; a line longer
   than a range (past one read block, too) extends the range to its end. */
static void cut_extends_to_line_end(void **state)
{
	struct fx *fx = *state;
	uint64_t *ends, n, size;
	size_t big = 3 * 65536 + 5;
	char *data = malloc(big + 4);

	write_file(fx, "ab\ncd\n", 6);
	assert_int_equal(input_cut(fx->path, 3, &ends, &n, &size), STATUS_OK);
	assert_int_equal(n, 2); /* a range ending at a line end stays put */
	assert_int_equal(ends[0], 3);
	assert_int_equal(ends[1], 6);
	free(ends);

	assert_non_null(data);
	memset(data, '7', big);
	memcpy(data + big, "\n8\n", 3);
	write_file(fx, data, big + 3);
	assert_int_equal(input_cut(fx->path, 1, &ends, &n, &size), STATUS_OK);
	assert_int_equal(size, big + 3);
	assert_int_equal(n, 2);
	assert_int_equal(ends[0], big + 1);
	assert_int_equal(ends[1], big + 3);
	free(ends);
	free(data);

	write_file(fx, "", 0); /* an empty file has no range */
	assert_int_equal(input_cut(fx->path, 1, &ends, &n, &size), STATUS_OK);
	assert_int_equal(n, 0);
	assert_int_equal(size, 0);
	free(ends);
}

/* Not a regular file: STATUS_NOT_FOUND (read it as a stream); missing:
   an I/O error; "-" and target 0 are refused. */
static void cut_refuses_what_it_cannot_cut(void **state)
{
	struct fx *fx = *state;
	uint64_t *ends, n, size;

	/* a directory stands for every file that is not regular (opening
	   a FIFO here would wait for a writer; it_signal.sh reads one) */
	assert_int_equal(input_cut(fx->dir, 1, &ends, &n, &size),
			 STATUS_NOT_FOUND);
	assert_int_equal(input_cut("/nonexistent/x", 1, &ends, &n, &size),
			 STATUS_ERR_IO);
	assert_int_equal(input_cut("-", 1, &ends, &n, &size), STATUS_ERR_INVAL);
	write_file(fx, "1\n", 2);
	assert_int_equal(input_cut(fx->path, 0, &ends, &n, &size),
			 STATUS_ERR_INVAL);
}

/* A file that changes size is an error: at open (another size) and while a
   range is read (it shrank under the reader). */
static void changed_file_is_an_error(void **state)
{
	struct fx *fx = *state;
	size_t big = 200000;
	char *data = malloc(big);

	write_file(fx, "1\n2\n", 4);
	assert_int_equal(input_open_bytes(&fx->s, fx->path, 0, 4, 5, 20),
			 STATUS_ERR_CORRUPT);
	assert_null(fx->s);
	assert_int_equal(input_open_bytes(&fx->s, fx->path, 2, 3, 4, 20),
			 STATUS_ERR_INVAL); /* past the end */
	assert_non_null(data);
	for (size_t i = 0; i < big; i += 2)
		memcpy(data + i, "3\n", 2);
	write_file(fx, data, big);
	assert_int_equal(input_open_bytes(&fx->s, fx->path, 0, big, big, 20),
			 STATUS_OK);
	expect_num(fx, "3");
	assert_int_equal(truncate(fx->path, 4), 0);
	for (int rc = STATUS_OK; rc != STATUS_ERR_CORRUPT;) {
		rc = input_next(fx->s, fx->n, &fx->e);
		assert_true(rc == STATUS_OK || rc == STATUS_ERR_CORRUPT);
	}
	free(data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		cmocka_unit_test(tokens_parse_as_named),
		cmocka_unit_test(max_digits_counts_significant_digits),
		T(tokens_read_from_text_agree_with_parser),
		T(mixed_file_reports_and_continues),
		T(comment_after_number_ends_line),
		T(crlf_lines_counted_once),
		T(empty_and_blank_files_give_nothing),
		T(nul_bytes_are_bad_tokens),
		T(control_bytes_shown_escaped),
		T(binary_garbage_never_crashes),
		T(random_text_matches_reference_reader),
		T(ten_megabyte_line_rejected_in_bounded_memory),
		T(ten_megabyte_bad_line_is_a_syntax_error),
		T(big_number_within_max_digits_parsed),
		T(many_tokens_on_one_line),
		T(long_token_shown_shortened),
		T(missing_file_and_directory_are_io_errors),
		T(args_follow_gnu_factor),

		T(max_digits_one_is_singular),
		T(no_args_gives_nothing),
		T(range_yields_start_plus_i_step),
		T(classic_range_and_big_step),
		T(range_skip_is_exact),
		cmocka_unit_test(range_rejects_bad_parameters),
		T(text_skip_counts_valid_numbers),
		cmocka_unit_test(error_messages_name_file_line_and_token),
		T(byte_ranges_read_like_the_whole_file),
		T(cut_extends_to_line_end),
		T(cut_refuses_what_it_cannot_cut),
		T(changed_file_is_an_error),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
