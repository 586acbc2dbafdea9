/*
 * test_cli.c - unit tests of the option parser (src/core/cli.c).
 *
 * Each test is named for what it guards.  Accepted forms check every field
 * they set; rejected forms check the status and that the message names the
 * option and says why, since main prints it verbatim.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "cli.h"
#include "proto.h"
#include "status.h"

struct fx {
	struct options o;
	char err[256];
};

static int setup(void **state)
{
	static struct fx fx;

	memset(&fx, 0, sizeof fx);
	cli_options_init(&fx.o);
	*state = &fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;

	cli_options_clear(&fx->o);
	return 0;
}

/* Parse a NULL-terminated list of words (argv[0] is added). */
static int parse(struct fx *fx, ...)
{
	char *argv[64];
	int argc = 0;
	va_list ap;
	char *a;

	argv[argc++] = (char *)(uintptr_t) "factorize";
	va_start(ap, fx);
	while ((a = va_arg(ap, char *)) != NULL && argc < 63)
		argv[argc++] = a;
	va_end(ap);
	argv[argc] = NULL;
	fx->err[0] = '\0';
	cli_options_clear(&fx->o); /* each parse starts from the defaults */
	cli_options_init(&fx->o);
	return cli_parse(&fx->o, argc, argv, fx->err, sizeof fx->err);
}

#define W(s)           ((char *)(uintptr_t)(s))
#define PARSE(fx, ...) parse((fx), __VA_ARGS__, (char *)NULL)

/* The error message contains each of the given fragments. */
static void expect_err(struct fx *fx, int rc, const char *a, const char *b)
{
	assert_int_equal(rc, STATUS_ERR_INVAL);
	if (!strstr(fx->err, a) || (b && !strstr(fx->err, b)))
		fail_msg("message '%s' lacks '%s' / '%s'", fx->err, a,
			 b ? b : "");
}

static void defaults_without_arguments_read_stdin(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(parse(fx, (char *)NULL), STATUS_OK);
	assert_int_equal(fx->o.generated, 0);
	assert_string_equal(fx->o.input, "-");
	assert_int_equal(fx->o.n_numbers, 0);
	assert_int_equal(mpz_cmp_ui(fx->o.step, 2), 0);
	assert_int_equal(mpz_cmp_d(fx->o.start, 999999999999.0), 0);
	assert_int_equal(fx->o.chunk, 0);
	assert_int_equal(fx->o.prefetch, 1);
	assert_int_equal(fx->o.format, CLI_FORMAT_TEXT);
	assert_int_equal(fx->o.max_digits, 10000);
	assert_true(fx->o.time_limit == 3600.0); /* default per-number limit */
	assert_int_equal(fx->o.verify, CLI_VERIFY_SAMPLE);
	assert_int_equal(fx->o.seed, 1);
	assert_int_equal(fx->o.fault_rank, -1);
	assert_int_equal(fx->o.fault_flags, 0);
	assert_null(fx->o.output);
}

static void classic_job_count_and_chunk(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(
		PARSE(fx, W("--count"), W("999"), W("--chunk"), W("43")),
		STATUS_OK);
	assert_int_equal(fx->o.generated, 1);
	assert_int_equal(fx->o.count, 999);
	assert_int_equal(fx->o.chunk, 43);
	assert_null(fx->o.input);
}

static void equals_form_and_unique_prefix(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(
		PARSE(fx, W("--count=7"), W("--form=json"), W("--exp")),
		STATUS_OK);
	assert_int_equal(fx->o.count, 7);
	assert_int_equal(fx->o.format, CLI_FORMAT_JSON);
	assert_int_equal(fx->o.exponents, 1);
}

static void ambiguous_prefix_rejected(void **state)
{
	struct fx *fx = *state;

	/* --c: count, chunk, checkpoint */
	expect_err(fx, PARSE(fx, W("--c"), W("5")), "ambiguous", "--c");
}

static void hidden_option_needs_full_name(void **state)
{
	struct fx *fx = *state;

	expect_err(fx, PARSE(fx, W("--test-f=slow")), "unrecognized",
		   "--test-f");
}

static void count_bounds(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(PARSE(fx, W("--count"), W("1")), STATUS_OK);
	assert_int_equal(PARSE(fx, W("--count"), W("18446744073709551615")),
			 STATUS_OK);
	assert_true(fx->o.count == UINT64_MAX);
	expect_err(fx, PARSE(fx, W("--count"), W("18446744073709551616")),
		   "--count", "larger than 2^64-1");
	expect_err(fx, PARSE(fx, W("--count"), W("99999999999999999999999")),
		   "--count", "larger than");
	expect_err(fx, PARSE(fx, W("--count"), W("0")), "--count",
		   "at least 1");
	expect_err(fx, PARSE(fx, W("--count"), W("-5")), "--count", "negative");
	expect_err(fx, PARSE(fx, W("--count=")), "--count", "empty");
	expect_err(fx, PARSE(fx, W("--count"), W("12x")), "--count", "'12x'");
	/* one '+' as in the input; two are not a number */
	assert_int_equal(PARSE(fx, W("--count"), W("+5")), STATUS_OK);
	assert_true(fx->o.count == 5);
	expect_err(fx, PARSE(fx, W("--count"), W("++5")), "--count",
		   "not a valid");
	expect_err(fx, PARSE(fx, W("--count"), W("+")), "--count",
		   "not a valid");
	expect_err(fx, PARSE(fx, W("--count"), W(" 5")), "--count",
		   "not a valid");
	expect_err(fx, PARSE(fx, W("--count"), W("0x10")), "--count",
		   "not a valid");
	expect_err(fx, PARSE(fx, W("--count"), W("1e3")), "--count",
		   "not a valid");
}

/*
 * messages-match-ranges: every integer option's message states the
 * range the check enforces ("positive" only where 0 is refused, "node"
 * for --group-size); "-0" is not called negative.
 */
static void messages_state_the_enforced_range(void **state)
{
	struct fx *fx = *state;

	expect_err(fx, PARSE(fx, W("--count"), W("abc")), "'abc'",
		   "(allowed: 1 to 2^64-1)");
	assert_null(strstr(fx->err, "non-negative"));
	expect_err(fx, PARSE(fx, W("--seed"), W("-1"), W("4")), "negative",
		   "(allowed: 0 to 2^64-1)");
	assert_null(strstr(fx->err, "positive"));
	assert_int_equal(PARSE(fx, W("--seed"), W("0"), W("4")), STATUS_OK);
	expect_err(fx, PARSE(fx, W("--count"), W("-0")), "has a minus sign",
		   NULL);
	assert_null(strstr(fx->err, "negative"));
	expect_err(fx, PARSE(fx, W("--chunk"), W("-000"), W("4")),
		   "has a minus sign", "1 to 1048576");
	expect_err(fx, PARSE(fx, W("--group-size"), W("abc"), W("4")),
		   "--group-size", "or node");
	expect_err(fx, PARSE(fx, W("--group-size"), W("1"), W("4")),
		   "at least 2", "or node");
	expect_err(fx, PARSE(fx, W("--prefetch"), W("x"), W("4")), "0 to 63",
		   NULL);
	expect_err(fx, PARSE(fx, W("--max-digits"), W("0"), W("4")),
		   "at least 1", "1 to 2525222");
	expect_err(fx, PARSE(fx, W("--step"), W("x"), W("--count"), W("2")),
		   "--step", "1 or more");
	expect_err(fx,
		   PARSE(fx, W("--time-limit-per-number"), W("1000000000.5"),
			 W("4")),
		   "larger than 1000000000 seconds", "31 years");
	assert_int_equal(PARSE(fx, W("--time-limit-per-number"),
			       W("1000000000"), W("4")),
			 STATUS_OK);
	/* "-0" as a word: an option, but not "negative" */
	expect_err(fx, PARSE(fx, W("-0")), "invalid option -- '0'",
		   "write 0 for zero");
	assert_null(strstr(fx->err, "negative"));
	expect_err(fx, PARSE(fx, W("-7")), "invalid option -- '7'", "negative");
}

/* --start and --step take a number as the input does: "+7" is 7. */
static void start_and_step_accept_plus(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(PARSE(fx, W("--count"), W("2"), W("--start"), W("+7"),
			       W("--step"), W("+0003")),
			 STATUS_OK);
	assert_int_equal(mpz_cmp_ui(fx->o.start, 7), 0);
	assert_int_equal(mpz_cmp_ui(fx->o.step, 3), 0);
	expect_err(fx, PARSE(fx, W("--count"), W("2"), W("--start"), W("+-7")),
		   "--start", "'+-7'");
	expect_err(fx, PARSE(fx, W("--count"), W("2"), W("--start"), W("-7")),
		   "--start", "negative");
}

/* ignored-options-warn: an option the format ignores is said once. */
static void ignored_options_warn(void **state)
{
	struct fx *fx = *state;
	char w[512];
	size_t len;

	assert_int_equal(PARSE(fx, W("--verbose"), W("4")), STATUS_OK);
	assert_true(cli_warnings(&fx->o, w, sizeof w) > 0);
	assert_non_null(strstr(w,
			       "factorize: warning: --verbose has no "
			       "effect with --format text"));
	assert_null(strstr(w, "exponents"));
	assert_int_equal(
		PARSE(fx, W("--verbose"), W("--format"), W("json"), W("4")),
		STATUS_OK);
	assert_int_equal(cli_warnings(&fx->o, w, sizeof w), 0);
	assert_string_equal(w, "");
	assert_int_equal(PARSE(fx, W("-h"), W("--format"), W("csv"), W("4")),
			 STATUS_OK);
	cli_warnings(&fx->o, w, sizeof w);
	assert_non_null(strstr(w,
			       "-h/--exponents has no effect with "
			       "--format csv"));
	assert_int_equal(PARSE(fx, W("-h"), W("4")), STATUS_OK);
	assert_int_equal(cli_warnings(&fx->o, w, sizeof w), 0);
	assert_int_equal(PARSE(fx, W("-h"), W("--verbose"), W("4")), STATUS_OK);
	len = cli_warnings(&fx->o, w, sizeof w);
	assert_int_equal(len, strlen(w));
	assert_null(strstr(w, "exponents"));
	assert_int_equal(PARSE(fx, W("-h"), W("--verbose"), W("--format"),
			       W("json"), W("4")),
			 STATUS_OK);
	cli_warnings(&fx->o, w, sizeof w);
	assert_non_null(strstr(w, "--format json"));
	assert_null(strstr(w, "--verbose"));
	/* cut to size, terminated */
	assert_int_equal(cli_warnings(&fx->o, w, 10), 9);
}

static void missing_value_at_end(void **state)
{
	struct fx *fx = *state;

	expect_err(fx, PARSE(fx, W("--count")), "--count",
		   "requires an argument");
	expect_err(fx, PARSE(fx, W("--output")), "--output",
		   "requires an argument");
}

static void start_and_step_arbitrary_size(void **state)
{
	struct fx *fx = *state;
	const char *big = "123456789012345678901234567890123456789012345678901";

	assert_int_equal(PARSE(fx, W("--count"), W("3"), W("--start"), W(big),
			       W("--step"), W(big)),
			 STATUS_OK);
	assert_int_equal(mpz_cmp(fx->o.start, fx->o.step), 0);
	assert_true(mpz_sizeinbase(fx->o.start, 10) == strlen(big));
	assert_int_equal(PARSE(fx, W("--count"), W("3"), W("--start"), W("0")),
			 STATUS_OK);
	expect_err(fx, PARSE(fx, W("--count"), W("3"), W("--step"), W("0")),
		   "--step", "at least 1");
	expect_err(fx, PARSE(fx, W("--count"), W("3"), W("--step"), W("-2")),
		   "--step", "negative");
	expect_err(fx, PARSE(fx, W("--count"), W("3"), W("--start"), W("1.5")),
		   "--start", "'1.5'");
}

/*
 * --max-digits bounds the --count terms (issue 14: they reached the
 * workers and failed as a protocol error): --start, --step and the last
 * term START + (COUNT-1) STEP, each exactly at the limit and one digit
 * above it; the limit itself up to CLI_MAX_DIGITS (2525222).
 */
static void max_digits_bounds_count_terms(void **state)
{
	struct fx *fx = *state;

	/* start 99999 (5 digits) at --max-digits 5; 100000 is 6 */
	assert_int_equal(PARSE(fx, W("--max-digits"), W("5"), W("--count"),
			       W("1"), W("--start"), W("99999")),
			 STATUS_OK);
	expect_err(fx,
		   PARSE(fx, W("--max-digits"), W("5"), W("--count"), W("1"),
			 W("--start"), W("100000")),
		   "--start has 6 digits", "--max-digits 5");
	/* the default start 999999999999 (12 digits) */
	assert_int_equal(
		PARSE(fx, W("--max-digits"), W("12"), W("--count"), W("1")),
		STATUS_OK);
	expect_err(fx,
		   PARSE(fx, W("--max-digits"), W("11"), W("--count"), W("1")),
		   "--start has 12 digits", NULL);
	expect_err(fx,
		   PARSE(fx, W("--max-digits"), W("5"), W("--count"), W("1"),
			 W("--start"), W("1"), W("--step"), W("100000")),
		   "--step has 6 digits", NULL);
	/* last term: 0 + 9 * 11111 = 99999 fits, 0 + 9 * 11112 does not */
	assert_int_equal(PARSE(fx, W("--max-digits"), W("5"), W("--count"),
			       W("10"), W("--start"), W("0"), W("--step"),
			       W("11111")),
			 STATUS_OK);
	expect_err(fx,
		   PARSE(fx, W("--max-digits"), W("5"), W("--count"), W("10"),
			 W("--start"), W("0"), W("--step"), W("11112")),
		   "last number of --count", "--max-digits 5");
	/* a count of 2^64-1: the last term is computed, not overflowed */
	expect_err(fx,
		   PARSE(fx, W("--max-digits"), W("19"), W("--count"),
			 W("18446744073709551615"), W("--start"), W("1"),
			 W("--step"), W("1")),
		   "last number", NULL);
	assert_int_equal(PARSE(fx, W("--max-digits"), W("20"), W("--count"),
			       W("18446744073709551615"), W("--start"), W("1"),
			       W("--step"), W("1")),
			 STATUS_OK);
	/* the default --max-digits (10000) with the 20001 digits */
	{
		static char big[20002];
		memset(big, '0', 20001);
		big[0] = '1';
		expect_err(fx,
			   PARSE(fx, W("--count"), W("2"), W("--start"), W("1"),
				 W("--step"), big),
			   "--step has 20001 digits", "--max-digits 10000");
		assert_int_equal(PARSE(fx, W("--max-digits"), W("20001"),
				       W("--count"), W("2"), W("--start"),
				       W("1"), W("--step"), big),
				 STATUS_OK);
	}
}

static void start_without_count_rejected(void **state)
{
	struct fx *fx = *state;

	expect_err(fx, PARSE(fx, W("--start"), W("5")), "--start",
		   "need --count");
	expect_err(fx, PARSE(fx, W("--step"), W("5"), W("12")), "--step",
		   "need --count");
}

static void conflicting_sources_rejected(void **state)
{
	struct fx *fx = *state;

	expect_err(fx, PARSE(fx, W("--count"), W("5"), W("--input"), W("f")),
		   "--count", "--input");
	expect_err(fx, PARSE(fx, W("--count"), W("5"), W("12")), "--count",
		   "command line");
	expect_err(fx, PARSE(fx, W("--input"), W("f"), W("12")), "--input",
		   "command line");
}

static void resume_needs_checkpoint(void **state)
{
	struct fx *fx = *state;

	expect_err(fx, PARSE(fx, W("--count"), W("5"), W("--resume")),
		   "--resume", "--checkpoint");
	assert_int_equal(PARSE(fx, W("--count"), W("5"), W("--resume"),
			       W("--checkpoint"), W("j")),
			 STATUS_OK);
	assert_int_equal(fx->o.resume, 1);
	assert_string_equal(fx->o.checkpoint, "j");
}

static void quiet_and_progress_conflict(void **state)
{
	struct fx *fx = *state;

	expect_err(fx, PARSE(fx, W("--quiet"), W("--progress"), W("5")),
		   "--quiet", "--progress");
}

static void formats_and_verify_words(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(PARSE(fx, W("--format"), W("csv"), W("--verify"),
			       W("product"), W("4")),
			 STATUS_OK);
	assert_int_equal(fx->o.format, CLI_FORMAT_CSV);
	assert_int_equal(fx->o.verify, CLI_VERIFY_PRODUCT);
	assert_int_equal(
		PARSE(fx, W("--format=text"), W("--verify=none"), W("4")),
		STATUS_OK);
	assert_int_equal(fx->o.format, CLI_FORMAT_TEXT);
	assert_int_equal(fx->o.verify, CLI_VERIFY_NONE);
	assert_int_equal(PARSE(fx, W("--verify=sample"), W("4")), STATUS_OK);
	assert_int_equal(fx->o.verify, CLI_VERIFY_SAMPLE);
	assert_int_equal(PARSE(fx, W("--verify=full"), W("4")), STATUS_OK);
	assert_int_equal(fx->o.verify, CLI_VERIFY_FULL);
	expect_err(fx, PARSE(fx, W("--format"), W("xml")), "--format",
		   "text, json, csv");
	expect_err(fx, PARSE(fx, W("--format"), W("JSON")), "--format",
		   "'JSON'");
	expect_err(fx, PARSE(fx, W("--verify"), W("")), "--verify", "empty");
}

static void short_h_is_exponents_and_bundles(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(PARSE(fx, W("-h"), W("3000")), STATUS_OK);
	assert_int_equal(fx->o.exponents, 1);
	assert_int_equal(fx->o.help, 0);
	assert_int_equal(PARSE(fx, W("-hh"), W("3000")), STATUS_OK);
	expect_err(fx, PARSE(fx, W("-x")), "invalid option", "'x'");
	expect_err(fx, PARSE(fx, W("-hx")), "invalid option", "'x'");
}

static void negative_number_is_an_option(void **state)
{
	struct fx *fx = *state;

	/* as GNU factor: "-1" is an invalid option, a usage error */
	expect_err(fx, PARSE(fx, W("-1")), "invalid option -- '1'", NULL);
	assert_non_null(strstr(fx->err, "negative"));
	/* a digit after -h is not a negative number: no such hint */
	expect_err(fx, PARSE(fx, W("-h12")), "invalid option -- '1'", NULL);
	assert_null(strstr(fx->err, "negative"));
}

static void double_dash_ends_options(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(PARSE(fx, W("12"), W("--"), W("-1"), W("--count")),
			 STATUS_OK);
	assert_int_equal(fx->o.n_numbers, 3);
	assert_string_equal(fx->o.numbers[0], "12");
	assert_string_equal(fx->o.numbers[1], "-1");
	assert_string_equal(fx->o.numbers[2], "--count");
	assert_int_equal(fx->o.generated, 0);
	assert_null(fx->o.input);
}

static void numbers_and_options_interleave(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(PARSE(fx, W("12"), W("-h"), W("18"), W("-"),
			       W("--format"), W("json"), W("abc")),
			 STATUS_OK);
	assert_int_equal(fx->o.n_numbers, 4);
	assert_string_equal(fx->o.numbers[2], "-"); /* a bad number later */
	assert_string_equal(fx->o.numbers[3], "abc");
	assert_int_equal(fx->o.exponents, 1);
}

static void unknown_long_option(void **state)
{
	struct fx *fx = *state;

	expect_err(fx, PARSE(fx, W("--bogus")), "unrecognized option",
		   "'--bogus'");
	expect_err(fx, PARSE(fx, W("--quiet=yes")), "--quiet",
		   "doesn't allow an argument");
}

static void help_and_version_skip_conflict_checks(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(PARSE(fx, W("--count"), W("5"), W("--input"), W("f"),
			       W("--help")),
			 STATUS_OK);
	assert_int_equal(fx->o.help, 1);
	assert_int_equal(PARSE(fx, W("--version")), STATUS_OK);
	assert_int_equal(fx->o.version, 1);
	/* an error before --help is still an error */
	expect_err(fx, PARSE(fx, W("--bogus"), W("--help")), "--bogus", NULL);
}

static void chunk_and_prefetch_bounds(void **state)
{
	struct fx *fx = *state;

	expect_err(fx, PARSE(fx, W("--chunk"), W("0"), W("4")), "--chunk",
		   "at least 1");
	expect_err(fx, PARSE(fx, W("--chunk"), W("-3"), W("4")), "--chunk",
		   "negative");
	expect_err(fx, PARSE(fx, W("--chunk"), W("1048577"), W("4")), "--chunk",
		   "larger than");
	assert_int_equal(PARSE(fx, W("--chunk"), W("1048576"), W("4")),
			 STATUS_OK);
	assert_int_equal(fx->o.chunk, PROTO_MAX_CHUNK);
	assert_int_equal(PARSE(fx, W("--prefetch"), W("0"), W("4")), STATUS_OK);
	assert_int_equal(fx->o.prefetch, 0);
	assert_int_equal(PARSE(fx, W("--prefetch"), W("63"), W("4")),
			 STATUS_OK);
	expect_err(fx, PARSE(fx, W("--prefetch"), W("64"), W("4")),
		   "--prefetch", "larger than 63");
}

/* --group-size: 0 (flat, the default), >= 2 or node; 1, other words and
   signs are usage errors naming the option. */
static void group_size_values(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(PARSE(fx, W("4")), STATUS_OK);
	assert_int_equal(fx->o.group_size, 0);
	assert_int_equal(PARSE(fx, W("--group-size"), W("2"), W("4")),
			 STATUS_OK);
	assert_int_equal(fx->o.group_size, 2);
	assert_int_equal(PARSE(fx, W("--group-size=64"), W("4")), STATUS_OK);
	assert_int_equal(fx->o.group_size, 64);
	assert_int_equal(PARSE(fx, W("--group"), W("3"), W("4")), STATUS_OK);
	assert_int_equal(fx->o.group_size, 3);
	assert_int_equal(PARSE(fx, W("--group-size"), W("0"), W("4")),
			 STATUS_OK);
	assert_int_equal(fx->o.group_size, 0);
	expect_err(fx, PARSE(fx, W("--group-size"), W("1"), W("4")),
		   "--group-size", "at least 2");
	assert_int_equal(PARSE(fx, W("--group-size"), W("node"), W("4")),
			 STATUS_OK);
	assert_int_equal(fx->o.group_size, CLI_GROUP_NODE);
	assert_null(fx->o.group_nodes);
	expect_err(fx, PARSE(fx, W("--group-size"), W("nodes"), W("4")),
		   "--group-size", "not a valid");
	expect_err(fx, PARSE(fx, W("--group-size"), W("Node"), W("4")),
		   "--group-size", "not a valid");
	expect_err(fx, PARSE(fx, W("--group-size"), W("-2"), W("4")),
		   "--group-size", NULL);
	expect_err(fx, PARSE(fx, W("--group-size"), W("1048577"), W("4")),
		   "--group-size", "larger than");
	expect_err(fx, PARSE(fx, W("--group-size")), "--group-size", NULL);
}

/* --worker-timeout: seconds as --time-limit-per-number, default 0
   (learned), at the limit 10^9 and just above it. */
static void worker_timeout_seconds(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(PARSE(fx, W("4")), STATUS_OK);
	assert_true(fx->o.worker_timeout == 0.0);
	assert_int_equal(PARSE(fx, W("--worker-timeout"), W("2.5"), W("4")),
			 STATUS_OK);
	assert_true(fx->o.worker_timeout == 2.5);
	assert_int_equal(PARSE(fx, W("--worker-timeout=1000000000"), W("4")),
			 STATUS_OK);
	assert_true(fx->o.worker_timeout == 1e9);
	expect_err(fx, PARSE(fx, W("--worker-timeout"), W("1000000000.5")),
		   "--worker-timeout", NULL);
	expect_err(fx, PARSE(fx, W("--worker-timeout"), W("0")),
		   "--worker-timeout", "greater than 0");
	expect_err(fx, PARSE(fx, W("--worker-timeout"), W("-1")),
		   "--worker-timeout", "negative");
}

static void time_limit_decimal_seconds(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(
		PARSE(fx, W("--time-limit-per-number"), W("2.5"), W("4")),
		STATUS_OK);
	assert_true(fx->o.time_limit == 2.5);
	assert_int_equal(PARSE(fx, W("--time-limit-per-number=.5"), W("4")),
			 STATUS_OK);
	assert_true(fx->o.time_limit == 0.5);
	expect_err(fx, PARSE(fx, W("--time-limit-per-number"), W("0")),
		   "--time-limit-per-number", "greater than 0");
	expect_err(fx, PARSE(fx, W("--time-limit-per-number"), W("0.000")),
		   "--time-limit-per-number", "greater than 0");
	expect_err(fx, PARSE(fx, W("--time-limit-per-number"), W("-1")),
		   "--time-limit-per-number", "negative");
	expect_err(fx, PARSE(fx, W("--time-limit-per-number"), W("nan")),
		   "--time-limit-per-number", "'nan'");
	expect_err(fx, PARSE(fx, W("--time-limit-per-number"), W("inf")),
		   "--time-limit-per-number", "'inf'");
	expect_err(fx, PARSE(fx, W("--time-limit-per-number"), W("1e3")),
		   "--time-limit-per-number", "'1e3'");
	expect_err(fx, PARSE(fx, W("--time-limit-per-number"), W(".")),
		   "--time-limit-per-number", "'.'");
	expect_err(fx, PARSE(fx, W("--time-limit-per-number"), W("1.2.3")),
		   "--time-limit-per-number", "'1.2.3'");
	expect_err(fx,
		   PARSE(fx, W("--time-limit-per-number"), W("99999999999")),
		   "--time-limit-per-number", "larger than");
}

static void max_digits_and_seed(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(PARSE(fx, W("--max-digits"), W("50"), W("--seed"),
			       W("18446744073709551615"), W("4")),
			 STATUS_OK);
	assert_int_equal(fx->o.max_digits, 50);
	assert_true(fx->o.seed == UINT64_MAX);
	expect_err(fx, PARSE(fx, W("--max-digits"), W("0")), "--max-digits",
		   "at least 1");
	expect_err(fx, PARSE(fx, W("--max-digits"), W("2525223")),
		   "--max-digits", "larger than");
	expect_err(fx, PARSE(fx, W("--seed"), W("18446744073709551616")),
		   "--seed", "larger than");
	assert_int_equal(PARSE(fx, W("--seed"), W("0"), W("4")), STATUS_OK);
	assert_int_equal(fx->o.seed, 0);
}

static void file_options_reject_empty_names(void **state)
{
	struct fx *fx = *state;

	expect_err(fx, PARSE(fx, W("--output"), W("")), "--output", "empty");
	expect_err(fx, PARSE(fx, W("--input=")), "--input", "empty");
	expect_err(fx, PARSE(fx, W("--stats="), W("4")), "--stats", "empty");
	expect_err(fx, PARSE(fx, W("--checkpoint"), W("")), "--checkpoint",
		   "empty");
	assert_int_equal(PARSE(fx, W("--input"), W("-")), STATUS_OK);
	assert_string_equal(fx->o.input, "-");
}

static void flags_set_their_fields(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(PARSE(fx, W("--unordered"), W("--verbose"),
			       W("--quiet"), W("--stats"), W("s.json"),
			       W("--output"), W("o.txt"), W("4")),
			 STATUS_OK);
	assert_int_equal(fx->o.unordered, 1);
	assert_int_equal(fx->o.verbose, 1);
	assert_int_equal(fx->o.quiet, 1);
	assert_string_equal(fx->o.stats, "s.json");
	assert_string_equal(fx->o.output, "o.txt");
	assert_int_equal(PARSE(fx, W("--progress"), W("4")), STATUS_OK);
	assert_int_equal(fx->o.progress, 1);
}

static void test_fault_options(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(PARSE(fx, W("--test-fault=wrong-result"),
			       W("--test-fault=slow"), W("--test-fault-rank=2"),
			       W("--test-fault-ms=50"), W("4")),
			 STATUS_OK);
	assert_int_equal(fx->o.fault_flags,
			 PROTO_FAULT_WRONG_RESULT | PROTO_FAULT_SLOW);
	assert_int_equal(fx->o.fault_rank, 2);
	assert_int_equal(fx->o.fault_ms, 50);
	expect_err(fx, PARSE(fx, W("--test-fault=explode")), "--test-fault",
		   "wrong-result, slow");
	expect_err(fx, PARSE(fx, W("--test-fault-rank=-1")),
		   "--test-fault-rank", "negative");
	/* link-latency emulation: at the cap and one above */
	assert_int_equal(PARSE(fx, W("--test-latency-us=1000000"), W("4")),
			 STATUS_OK);
	assert_int_equal(fx->o.latency_us, CLI_MAX_LATENCY_US);
	expect_err(fx, PARSE(fx, W("--test-latency-us=1000001")),
		   "--test-latency-us", "1000000");
}

static void parsing_twice_has_no_hidden_state(void **state)
{
	struct fx *fx = *state;

	expect_err(fx, PARSE(fx, W("--bogus")), "--bogus", NULL);
	assert_int_equal(PARSE(fx, W("-h"), W("12")), STATUS_OK);
	assert_int_equal(fx->o.n_numbers, 1);
	assert_int_equal(PARSE(fx, W("-h"), W("12")), STATUS_OK);
	assert_int_equal(fx->o.n_numbers, 1);
}

static void tiny_error_buffer_is_truncated_safely(void **state)
{
	struct fx *fx = *state;
	char *argv[] = { W("factorize"), W("--count"), W("0"), NULL };
	char small[8];

	cli_options_clear(&fx->o);
	cli_options_init(&fx->o);
	memset(small, 'x', sizeof small);
	assert_int_equal(cli_parse(&fx->o, 3, argv, small, sizeof small),
			 STATUS_ERR_INVAL);
	assert_int_equal(small[7], '\0');
	cli_options_clear(&fx->o);
	cli_options_init(&fx->o);
	assert_int_equal(cli_parse(&fx->o, 3, argv, NULL, 0), STATUS_ERR_INVAL);
}

static void long_bad_value_quoted_short(void **state)
{
	struct fx *fx = *state;
	static char big[5000];

	memset(big, '7', sizeof big - 2);
	big[sizeof big - 2] = 'x';
	assert_int_equal(PARSE(fx, W("--count"), big), STATUS_ERR_INVAL);
	assert_true(strlen(fx->err) < 160);
	assert_non_null(strstr(fx->err, "..."));
}

static void usage_lists_public_options_only(void **state)
{
	static const char *const names[] = { "--count",
					     "--start",
					     "--step",
					     "--chunk",
					     "--prefetch",
					     "--group-size",
					     "--input",
					     "--output",
					     "--format",
					     "--exponents",
					     "-h,",
					     "--unordered",
					     "--stats",
					     "--quiet",
					     "--progress",
					     "--verbose",
					     "--checkpoint",
					     "--resume",
					     "--time-limit-per-number",
					     "--max-digits",
					     "--verify",
					     "--seed",
					     "--help",
					     "--version" };
	const char *u = cli_usage();
	size_t i;

	(void)state;
	for (i = 0; i < sizeof names / sizeof names[0]; i++)
		if (!strstr(u, names[i]))
			fail_msg("usage lacks %s", names[i]);
	assert_null(strstr(u, "test-fault"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(defaults_without_arguments_read_stdin),
		T(classic_job_count_and_chunk),
		T(equals_form_and_unique_prefix),
		T(ambiguous_prefix_rejected),
		T(hidden_option_needs_full_name),
		T(count_bounds),
		T(missing_value_at_end),
		T(messages_state_the_enforced_range),
		T(start_and_step_accept_plus),
		T(ignored_options_warn),
		T(start_and_step_arbitrary_size),
		T(max_digits_bounds_count_terms),
		T(start_without_count_rejected),
		T(conflicting_sources_rejected),
		T(resume_needs_checkpoint),
		T(quiet_and_progress_conflict),
		T(formats_and_verify_words),
		T(short_h_is_exponents_and_bundles),
		T(negative_number_is_an_option),
		T(double_dash_ends_options),
		T(numbers_and_options_interleave),
		T(unknown_long_option),
		T(help_and_version_skip_conflict_checks),
		T(chunk_and_prefetch_bounds),
		T(group_size_values),
		T(time_limit_decimal_seconds),
		T(worker_timeout_seconds),
		T(max_digits_and_seed),
		T(file_options_reject_empty_names),
		T(flags_set_their_fields),
		T(test_fault_options),
		T(parsing_twice_has_no_hidden_state),
		T(tiny_error_buffer_is_truncated_safely),
		T(long_bad_value_quoted_short),
		T(usage_lists_public_options_only),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
