/*
 * cli.c - the command line of factorize: argv -> struct options.
 *
 * Purpose: turn argv into a filled struct options or one clear message.
 * Pure: never prints, never exits (main prints err and picks the exit
 * code, CLI_EXIT_USAGE for any error returned here).
 *
 * Invariants:
 *   - Every option of struct options is parsed here and documented both in
 *     cli_usage() and in src/factorize.1 (tests/integration/it_cli.sh checks that the
 *     two lists agree).  The --test-fault*, --test-latency-us, --test-rank0-writes and --test-range-bytes options
 *     are hidden from both.
 *   - No global state: parsing the same argv twice gives the same result
 *     (no getopt, whose optind/opterr would leak between calls and print).
 *   - o->numbers points into argv; only the array itself is allocated.
 *
 * Algorithm:
 *   1. Walk argv once.  "--" ends the options; "--name=value" and
 *      "--name value" are both accepted; a long name may be abbreviated to
 *      any unambiguous prefix (as getopt_long); "-h" (also bundled as
 *      "-hh") is --exponents; any other word starting with '-' (including
 *      "-1": negative numbers are options, as in GNU factor) is an invalid
 *      option; every other word is a positional number.  Options and
 *      numbers may be interleaved (GNU argument permutation).
 *   2. Each value is checked as it is read: missing, empty, sign, trailing
 *      junk, zero where not allowed, overflow; the message names the option.
 *   3. --help and --version stop the checks that follow (step 4).
 *   4. Cross-option checks: a job comes from exactly one of --count,
 *      --input, positional numbers (none of them: standard input, as GNU
 *      factor); --start/--step need --count; --resume needs --checkpoint;
 *      --quiet and --progress exclude each other.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "proto.h"
#include "status.h"

/* Upper bounds that keep every value inside what the protocol carries. */
enum {
	CLI_MAX_PREFETCH = PROTO_MAX_CREDIT - 1,
	/* PROTO_MAX_NUMBER_BYTES bytes hold 2^(8 * 2^20) > 10^2525222. */
	CLI_MAX_DIGITS = 2525222,
	CLI_DEFAULT_MAX_DIGITS = 10000,
	CLI_MAX_GROUP_SIZE = 1 << 20
};
/*
 * --time-limit-per-number: at most 10^9 seconds (about 31.7 years), so
 * that no larger value is needed to mean "no limit" in practice, and the
 * limit in microseconds (10^15, the CONFIG message's u64) stays exact in
 * a double and far from overflow when a deadline is added to a clock.
 */
static const double cli_max_time_limit = 1e9;
static const char cli_time_limit_text[] =
	"a number of seconds > 0 and at most 1000000000, e.g. 2.5";

static const char cli_group_size_text[] =
	"0 (no groups), 2 to 1048576, or node";

enum cli_opt_id {
	OPT_COUNT,
	OPT_START,
	OPT_STEP,
	OPT_CHUNK,
	OPT_PREFETCH,
	OPT_INPUT,
	OPT_OUTPUT,
	OPT_FORMAT,
	OPT_EXPONENTS,
	OPT_UNORDERED,
	OPT_STATS,
	OPT_QUIET,
	OPT_PROGRESS,
	OPT_VERBOSE,
	OPT_CHECKPOINT,
	OPT_RESUME,
	OPT_TIME_LIMIT,
	OPT_MAX_DIGITS,
	OPT_VERIFY,
	OPT_SEED,
	OPT_HELP,
	OPT_VERSION,
	OPT_WORKER_TIMEOUT,
	OPT_GROUP_SIZE,
	OPT_TEST_FAULT,
	OPT_TEST_FAULT_RANK,
	OPT_TEST_FAULT_MS,
	OPT_TEST_LATENCY_US,
	OPT_TEST_RANK0_WRITES,
	OPT_TEST_RANGE_BYTES
};

struct cli_long {
	const char *name; /* without the leading "--" */
	int has_arg;      /* 1: requires a value */
	int id;           /* enum cli_opt_id */
};

static const struct cli_long cli_longs[] = {
	{ "count", 1, OPT_COUNT },
	{ "start", 1, OPT_START },
	{ "step", 1, OPT_STEP },
	{ "chunk", 1, OPT_CHUNK },
	{ "prefetch", 1, OPT_PREFETCH },
	{ "group-size", 1, OPT_GROUP_SIZE },
	{ "input", 1, OPT_INPUT },
	{ "output", 1, OPT_OUTPUT },
	{ "format", 1, OPT_FORMAT },
	{ "exponents", 0, OPT_EXPONENTS },
	{ "unordered", 0, OPT_UNORDERED },
	{ "stats", 1, OPT_STATS },
	{ "quiet", 0, OPT_QUIET },
	{ "progress", 0, OPT_PROGRESS },
	{ "verbose", 0, OPT_VERBOSE },
	{ "checkpoint", 1, OPT_CHECKPOINT },
	{ "resume", 0, OPT_RESUME },
	{ "time-limit-per-number", 1, OPT_TIME_LIMIT },
	{ "worker-timeout", 1, OPT_WORKER_TIMEOUT },
	{ "max-digits", 1, OPT_MAX_DIGITS },
	{ "verify", 1, OPT_VERIFY },
	{ "seed", 1, OPT_SEED },
	{ "help", 0, OPT_HELP },
	{ "version", 0, OPT_VERSION },
	{ "test-fault", 1, OPT_TEST_FAULT },
	{ "test-fault-rank", 1, OPT_TEST_FAULT_RANK },
	{ "test-fault-ms", 1, OPT_TEST_FAULT_MS },
	{ "test-latency-us", 1, OPT_TEST_LATENCY_US },
	{ "test-rank0-writes", 0, OPT_TEST_RANK0_WRITES },
	{ "test-range-bytes", 1, OPT_TEST_RANGE_BYTES },
};
enum { CLI_N_LONGS = sizeof cli_longs / sizeof cli_longs[0] };

static const char cli_usage_text[] =
	"Usage: factorize [OPTION]... [NUMBER]...\n"
	"  or:  mpirun -np N factorize [OPTION]... [NUMBER]...\n"
	"Print the prime factors of each NUMBER, of the numbers read from a file,\n"
	"or of a generated progression, on one machine or an MPI cluster.\n"
	"With no NUMBER, no --input and no --count, read standard input.\n"
	"\n"
	"Job:\n"
	"      --count N        factor N numbers START, START+STEP, ... (N >= 1)\n"
	"      --start S        first number of --count (default 999999999999)\n"
	"      --step K         difference of --count (>= 1, default 2)\n"
	"      --input FILE     read numbers from FILE ('-' = standard input)\n"
	"      --max-digits D   reject numbers longer than D digits (default 10000)\n"
	"\n"
	"Scheduling:\n"
	"      --chunk C        numbers per chunk (>= 1; default adaptive)\n"
	"      --prefetch K     chunks a worker holds beyond the current one\n"
	"                       (0..63, default 1)\n"
	"      --group-size G   two-level scheduling: ranks 1.. in groups of G\n"
	"                       (>= 2), each led by a sub-master (default 0:\n"
	"                       every rank a worker of rank 0); 'node': one\n"
	"                       group per node\n"
	"      --unordered      write results as they arrive, not in input order\n"
	"\n"
	"Output:\n"
	"      --output FILE    write to FILE (atomically, on success) not stdout\n"
	"      --format F       text (as GNU factor, default), json or csv\n"
	"  -h, --exponents      print repeated factors as p^e (2^3 3 5^3)\n"
	"      --verbose        JSON/CSV gain the rank and seconds of each number\n"
	"      --stats FILE     write run statistics as JSON to FILE\n"
	"      --progress       print a plain progress line every few seconds\n"
	"      --quiet          no progress and no summary on standard error\n"
	"\n"
	"Robustness:\n"
	"      --checkpoint FILE  journal finished chunks to FILE\n"
	"      --resume         continue the job journaled in --checkpoint FILE\n"
	"      --time-limit-per-number SECONDS\n"
	"                       give up on a number after SECONDS (> 0, at\n"
	"                       most 1000000000) and print it as partial with\n"
	"                       its composite cofactor (default 3600)\n"
	"      --worker-timeout SECONDS\n"
	"                       hand a rank's chunks to others when it sent\n"
	"                       nothing for SECONDS (> 0, at most 1000000000;\n"
	"                       default: learned from its chunk times)\n"
	"      --verify V       check results: sample (default: every rank\n"
	"                       checks its own, rank 0 parses back a sample),\n"
	"                       full (rank 0 parses back and checks every\n"
	"                       line), product, or none\n"
	"      --seed S         seed of every random choice (default 1)\n"
	"\n"
	"      --help           display this help and exit\n"
	"      --version        output version information and exit\n"
	"\n"
	"Exit status: 0 all numbers factored, 1 some input was invalid,\n"
	"2 usage error, 3 I/O, MPI or verification failure,\n"
	"4 output complete but some rank stopped answering,\n"
	"75 interrupted by a signal (the checkpoint is valid).\n"
	"Full documentation: man factorize\n";

const char *cli_usage(void)
{
	return cli_usage_text;
}

void cli_options_init(struct options *o)
{
	memset(o, 0, sizeof *o);
	mpz_init_set_str(o->start, "999999999999", 10);
	mpz_init_set_ui(o->step, 2);
	o->chunk = 0;
	o->prefetch = 1;
	o->format = CLI_FORMAT_TEXT;
	o->max_digits = CLI_DEFAULT_MAX_DIGITS;
	o->time_limit = CLI_DEFAULT_TIME_LIMIT;
	o->verify = CLI_VERIFY_SAMPLE;
	o->seed = 1;
	o->fault_rank = -1;
}

void cli_options_clear(struct options *o)
{
	if (!o)
		return;
	mpz_clear(o->start);
	mpz_clear(o->step);
	free(o->numbers);
	o->numbers = NULL;
	o->n_numbers = 0;
}

/* printf-checked: the format is always a literal at the call sites */
static int cli_fail(char *err, size_t err_size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int cli_fail(char *err, size_t err_size, const char *fmt, ...)
{
	va_list ap;

	if (err && err_size > 0) {
		va_start(ap, fmt);
		vsnprintf(err, err_size, fmt, ap);
		va_end(ap);
	}
	return STATUS_ERR_INVAL;
}

/* A value quoted in a message, shortened so a 10 MB argument stays short. */
static const char *cli_quote(const char *v, char *buf, size_t size)
{
	size_t len = strlen(v);

	if (len < size) {
		memcpy(buf, v, len + 1);
	} else {
		memcpy(buf, v, size - 4);
		memcpy(buf + size - 4, "...", 4);
	}
	return buf;
}

/* 1 if v is one or more decimal digits and nothing else. */
static int cli_all_digits(const char *v)
{
	if (*v == '\0')
		return 0;
	for (; *v; v++)
		if (*v < '0' || *v > '9')
			return 0;
	return 1;
}

/*
 * One leading '+' is skipped, as in the numbers of the input (input.c):
 * "--start +7" means what "+7" means as input.
 */
static const char *cli_skip_plus(const char *v)
{
	return v[0] == '+' ? v + 1 : v;
}

/*
 * A non-negative decimal integer (one leading '+' allowed) into *out:
 * STATUS_OK, STATUS_ERR_SYNTAX (not digits) or STATUS_ERR_RANGE (above
 * max).
 */
static int cli_u64(const char *v, uint64_t max, uint64_t *out)
{
	uint64_t x = 0;

	v = cli_skip_plus(v);
	if (!cli_all_digits(v))
		return STATUS_ERR_SYNTAX;
	for (; *v; v++) {
		unsigned d = (unsigned)(*v - '0');
		if (x > (max - d) / 10)
			return STATUS_ERR_RANGE;
		x = x * 10 + d;
	}
	*out = x;
	return STATUS_OK;
}

/*
 * Message for a value that is not a decimal integer; allowed says what
 * the option takes ("1 to 2^64-1"), so the message and the check agree.
 * A minus sign before digits is named as such: "-5" is negative, "-0"
 * only has a sign.
 */
static int cli_bad_int(const char *opt, const char *v, const char *allowed,
		       char *err, size_t err_size)
{
	char q[48];

	if (*v == '\0')
		return cli_fail(err, err_size,
				"option '--%s' needs a value, "
				"got an empty string (allowed: %s)",
				opt, allowed);
	if (*v == '-' && cli_all_digits(v + 1))
		return cli_fail(err, err_size,
				"option '--%s': '%s' %s "
				"(allowed: %s)",
				opt, cli_quote(v, q, sizeof q),
				strspn(v + 1, "0") == strlen(v + 1)
					? "has a minus sign"
					: "is negative",
				allowed);
	return cli_fail(err, err_size,
			"option '--%s': '%s' is not a valid "
			"decimal integer (allowed: %s)",
			opt, cli_quote(v, q, sizeof q), allowed);
}

/*
 * An integer option in [min, max]; the message names the option.
 * max_text spells max; allowed the whole range, for the messages.
 */
static int cli_get_u64(const char *opt, const char *v, uint64_t min,
		       uint64_t max, const char *max_text, const char *allowed,
		       uint64_t *out, char *err, size_t err_size)
{
	char q[48];
	int rc = cli_u64(v, max, out);

	if (rc == STATUS_ERR_SYNTAX)
		return cli_bad_int(opt, v, allowed, err, err_size);
	if (rc == STATUS_ERR_RANGE)
		return cli_fail(err, err_size,
				"option '--%s': '%s' is larger "
				"than %s (allowed: %s)",
				opt, cli_quote(v, q, sizeof q), max_text,
				allowed);
	if (*out < min)
		return cli_fail(err, err_size,
				"option '--%s': %s is too small; "
				"it must be at least %llu (allowed: %s)",
				opt, cli_quote(v, q, sizeof q),
				(unsigned long long)min, allowed);
	return STATUS_OK;
}

/* An arbitrary-size integer >= min (one leading '+' allowed) into z. */
static int cli_get_mpz(const char *opt, const char *v, unsigned long min,
		       const char *allowed, mpz_t z, char *err, size_t err_size)
{
	char q[48];
	const char *d = cli_skip_plus(v);

	if (!cli_all_digits(d) || mpz_set_str(z, d, 10) != 0)
		return cli_bad_int(opt, v, allowed, err, err_size);
	if (mpz_cmp_ui(z, min) < 0)
		return cli_fail(err, err_size,
				"option '--%s': %s is too small; "
				"it must be at least %lu (allowed: %s)",
				opt, cli_quote(v, q, sizeof q), min, allowed);
	return STATUS_OK;
}

/* SECONDS: digits with at most one '.', > 0, at most cli_max_time_limit. */
static int cli_get_seconds(const char *opt, const char *v, double *out,
			   char *err, size_t err_size)
{
	char q[48];
	const char *p;
	int digits = 0, dots = 0;
	double x;

	if (*v == '\0')
		return cli_bad_int(opt, v, cli_time_limit_text, err, err_size);
	for (p = v; *p; p++) {
		if (*p >= '0' && *p <= '9')
			digits++;
		else if (*p == '.')
			dots++;
		else
			break;
	}
	if (*p != '\0' || digits == 0 || dots > 1) {
		if (*v == '-')
			return cli_fail(err, err_size,
					"option '--%s': '%s' is "
					"negative; a time in seconds > 0 is "
					"required",
					opt, cli_quote(v, q, sizeof q));
		return cli_fail(err, err_size,
				"option '--%s': '%s' is not a "
				"decimal number of seconds (e.g. 2.5)",
				opt, cli_quote(v, q, sizeof q));
	}
	errno = 0;
	x = strtod(v, NULL);
	if (!(x > 0.0))
		return cli_fail(err, err_size,
				"option '--%s': the time limit "
				"must be greater than 0",
				opt);
	if (errno == ERANGE || x > cli_max_time_limit)
		return cli_fail(err, err_size,
				"option '--%s': '%s' is larger "
				"than %.0f seconds, about 31 years (allowed: "
				"%s)",
				opt, cli_quote(v, q, sizeof q),
				cli_max_time_limit, cli_time_limit_text);
	*out = x;
	return STATUS_OK;
}

/* One word of a fixed set; returns its index or -1 (message in err). */
static int cli_get_word(const char *opt, const char *v,
			const char *const *words, int n, char *err,
			size_t err_size)
{
	char q[48];
	int i;

	for (i = 0; i < n; i++)
		if (strcmp(v, words[i]) == 0)
			return i;
	if (*v == '\0')
		cli_fail(err, err_size,
			 "option '--%s' needs a value, got an "
			 "empty string",
			 opt);
	else if (n == 3)
		cli_fail(err, err_size,
			 "option '--%s': invalid value '%s' "
			 "(valid: %s, %s, %s)",
			 opt, cli_quote(v, q, sizeof q), words[0], words[1],
			 words[2]);
	else
		cli_fail(err, err_size,
			 "option '--%s': invalid value '%s' "
			 "(valid: %s, %s)",
			 opt, cli_quote(v, q, sizeof q), words[0], words[1]);
	return -1;
}

static int cli_get_path(const char *opt, const char *v, const char **out,
			char *err, size_t err_size)
{
	if (*v == '\0')
		return cli_fail(err, err_size,
				"option '--%s' needs a file name, "
				"got an empty string",
				opt);
	*out = v;
	return STATUS_OK;
}

/*
 * Why "-N" is not a number: a word starting with '-' is an option, as in
 * GNU factor; "-0" is no negative number, so it is not called one.
 */
static const char *cli_minus_number(const char *digits)
{
	if (cli_all_digits(digits) && strspn(digits, "0") == strlen(digits))
		return "a word starting with '-' is an option; write 0 for "
		       "zero";
	return "negative numbers cannot be factored";
}

/*
 * Find the long option named by name[0..len): an exact match, else the
 * only option it is a prefix of.  Returns the index, -1 unknown, -2
 * ambiguous.  Hidden options match only when spelled in full.
 */
static int cli_find_long(const char *name, size_t len)
{
	int i, found = -1, n = 0;

	for (i = 0; i < CLI_N_LONGS; i++) {
		const char *cand = cli_longs[i].name;
		if (strlen(cand) == len && strncmp(cand, name, len) == 0)
			return i;
	}
	for (i = 0; i < CLI_N_LONGS; i++) {
		if (cli_longs[i].id >= OPT_TEST_FAULT)
			continue;
		if (strncmp(cli_longs[i].name, name, len) == 0) {
			found = i;
			n++;
		}
	}
	if (n > 1)
		return -2;
	return found;
}

/* "option '--c' is ambiguous; possibilities: '--count' '--chunk' ..." */
static int cli_ambiguous(const char *name, size_t len, char *err,
			 size_t err_size)
{
	size_t used;
	int i;

	cli_fail(err, err_size, "option '--%.*s' is ambiguous; possibilities:",
		 (int)(len < 40 ? len : 40), name);
	for (i = 0; err && i < CLI_N_LONGS; i++) {
		if (cli_longs[i].id >= OPT_TEST_FAULT ||
		    strncmp(cli_longs[i].name, name, len) != 0)
			continue;
		used = strlen(err);
		if (used + 1 < err_size)
			snprintf(err + used, err_size - used, " '--%s'",
				 cli_longs[i].name);
	}
	return STATUS_ERR_INVAL;
}

/* Apply one option with its value (NULL for flags). */
static int cli_apply(struct options *o, int id, const char *name, const char *v,
		     int *seen_start, char *err, size_t err_size)
{
	static const char *const formats[] = { "text", "json", "csv" };
	static const char *const verifies[] = { "full", "product", "none",
						"sample" };
	static const char *const faults[] = { "wrong-result", "slow" };
	uint64_t x = 0;
	int rc = STATUS_OK, w;

	if (v == NULL)
		v = ""; /* options without an argument never read v */
	switch (id) {
	case OPT_COUNT:
		rc = cli_get_u64(name, v, 1, UINT64_MAX,
				 "2^64-1 = 18446744073709551615", "1 to 2^64-1",
				 &x, err, err_size);
		if (rc == STATUS_OK) {
			o->count = x;
			o->generated = 1;
		}
		break;
	case OPT_START:
		rc = cli_get_mpz(name, v, 0, "0 or more, any size", o->start,
				 err, err_size);
		*seen_start = 1;
		break;
	case OPT_STEP:
		rc = cli_get_mpz(name, v, 1, "1 or more, any size", o->step,
				 err, err_size);
		*seen_start = 1;
		break;
	case OPT_CHUNK:
		rc = cli_get_u64(name, v, 1, PROTO_MAX_CHUNK, "1048576",
				 "1 to 1048576", &x, err, err_size);
		o->chunk = (uint32_t)x;
		break;
	case OPT_PREFETCH:
		rc = cli_get_u64(name, v, 0, CLI_MAX_PREFETCH, "63", "0 to 63",
				 &x, err, err_size);
		o->prefetch = (uint32_t)x;
		break;
	case OPT_GROUP_SIZE:
		if (strcmp(v, "node") == 0) {
			o->group_size = CLI_GROUP_NODE;
			break;
		}
		rc = cli_get_u64(name, v, 0, CLI_MAX_GROUP_SIZE, "1048576",
				 cli_group_size_text, &x, err, err_size);
		if (rc == STATUS_OK && x == 1)
			return cli_fail(err, err_size,
					"option '--%s': 1 is "
					"not a group size; a group needs at "
					"least 2 ranks (allowed: %s)",
					name, cli_group_size_text);
		o->group_size = (int)x;
		break;
	case OPT_INPUT:
		rc = cli_get_path(name, v, &o->input, err, err_size);
		break;
	case OPT_OUTPUT:
		rc = cli_get_path(name, v, &o->output, err, err_size);
		break;
	case OPT_STATS:
		rc = cli_get_path(name, v, &o->stats, err, err_size);
		break;
	case OPT_CHECKPOINT:
		rc = cli_get_path(name, v, &o->checkpoint, err, err_size);
		break;
	case OPT_FORMAT:
		w = cli_get_word(name, v, formats, 3, err, err_size);
		if (w < 0)
			return STATUS_ERR_INVAL;
		o->format = w; /* index order is enum cli_format */
		break;
	case OPT_VERIFY:
		w = cli_get_word(name, v, verifies, 4, err, err_size);
		if (w < 0)
			return STATUS_ERR_INVAL;
		o->verify = w; /* index order is enum cli_verify */
		break;
	case OPT_EXPONENTS: o->exponents = 1; break;
	case OPT_UNORDERED: o->unordered = 1; break;
	case OPT_TEST_RANK0_WRITES: o->rank0_writes = 1; break;
	case OPT_QUIET: o->quiet = 1; break;
	case OPT_PROGRESS: o->progress = 1; break;
	case OPT_VERBOSE: o->verbose = 1; break;
	case OPT_RESUME: o->resume = 1; break;
	case OPT_HELP: o->help = 1; break;
	case OPT_VERSION: o->version = 1; break;
	case OPT_TIME_LIMIT:
		rc = cli_get_seconds(name, v, &o->time_limit, err, err_size);
		break;
	case OPT_WORKER_TIMEOUT:
		rc = cli_get_seconds(name, v, &o->worker_timeout, err,
				     err_size);
		break;
	case OPT_MAX_DIGITS:
		rc = cli_get_u64(name, v, 1, CLI_MAX_DIGITS, "2525222",
				 "1 to 2525222", &x, err, err_size);
		o->max_digits = (unsigned long)x;
		break;
	case OPT_SEED:
		rc = cli_get_u64(name, v, 0, UINT64_MAX,
				 "2^64-1 = 18446744073709551615", "0 to 2^64-1",
				 &x, err, err_size);
		o->seed = x;
		break;
	case OPT_TEST_FAULT:
		w = cli_get_word(name, v, faults, 2, err, err_size);
		if (w < 0)
			return STATUS_ERR_INVAL;
		o->fault_flags |= w == 0 ? (uint32_t)PROTO_FAULT_WRONG_RESULT
					 : (uint32_t)PROTO_FAULT_SLOW;
		break;
	case OPT_TEST_FAULT_RANK:
		rc = cli_get_u64(name, v, 0, INT_MAX, "2147483647",
				 "0 to 2147483647", &x, err, err_size);
		o->fault_rank = (int)x;
		break;
	case OPT_TEST_FAULT_MS:
		rc = cli_get_u64(name, v, 0, 3600000, "3600000", "0 to 3600000",
				 &x, err, err_size);
		o->fault_ms = (unsigned)x;
		break;
	case OPT_TEST_LATENCY_US:
		rc = cli_get_u64(name, v, 0, CLI_MAX_LATENCY_US, "1000000",
				 "0 to 1000000", &x, err, err_size);
		o->latency_us = (unsigned)x;
		break;
	case OPT_TEST_RANGE_BYTES:
		rc = cli_get_u64(name, v, 1, CLI_MAX_RANGE_BYTES, "1048576",
				 "1 to 1048576", &x, err, err_size);
		o->range_bytes = (uint32_t)x;
		break;
	default:
		return cli_fail(err, err_size, "internal error: option %d", id);
	}
	return rc;
}

/* The decimal digits of z >= 0, exactly (0 has one digit). */
static size_t cli_digits(const mpz_t z)
{
	size_t n = mpz_sizeinbase(z, 10); /* exact or one too many */
	mpz_t t;

	if (n < 2)
		return n;
	mpz_init(t);
	mpz_ui_pow_ui(t, 10, (unsigned long)(n - 1));
	if (mpz_cmp(z, t) < 0)
		n--;
	mpz_clear(t);
	return n;
}

static int cli_longer_than(const mpz_t z, unsigned long d)
{
	return mpz_sizeinbase(z, 10) > d && cli_digits(z) > d;
}

/*
 * Step 4, --count: --max-digits bounds the generated numbers as it bounds
 * the numbers read from text, and the workers are told the matching byte
 * size (CONFIG max_number_bytes): --start, --step and the last term
 * START + (N-1) STEP, the largest, are checked here, on every rank, so a
 * job whose terms outgrow it is a usage error before any work starts.
 */
static int cli_check_terms(const struct options *o, char *err, size_t err_size)
{
	mpz_t last;
	int longer;

	if (cli_longer_than(o->start, o->max_digits))
		return cli_fail(err, err_size,
				"--start has %zu digits, more "
				"than --max-digits %lu (at most %d)",
				cli_digits(o->start), o->max_digits,
				CLI_MAX_DIGITS);
	if (cli_longer_than(o->step, o->max_digits))
		return cli_fail(err, err_size,
				"--step has %zu digits, more "
				"than --max-digits %lu (at most %d)",
				cli_digits(o->step), o->max_digits,
				CLI_MAX_DIGITS);
	mpz_init(last);
	mpz_import(last, 1, 1, sizeof o->count, 0, 0, &o->count);
	mpz_sub_ui(last, last, 1);
	mpz_mul(last, last, o->step);
	mpz_add(last, last, o->start);
	longer = cli_longer_than(last, o->max_digits);
	mpz_clear(last);
	if (longer)
		return cli_fail(err, err_size,
				"the last number of --count, "
				"START + (COUNT-1) * STEP, has more than "
				"--max-digits %lu digits (at most %d)",
				o->max_digits, CLI_MAX_DIGITS);
	return STATUS_OK;
}

/* Step 4: options that contradict each other or need another one. */
static int cli_check(struct options *o, int seen_start, char *err,
		     size_t err_size)
{
	if (o->generated && o->input)
		return cli_fail(err, err_size,
				"--count and --input cannot be "
				"used together: choose one source of numbers");
	if (o->generated && o->n_numbers > 0)
		return cli_fail(err, err_size,
				"--count cannot be combined with "
				"numbers on the command line");
	if (o->input && o->n_numbers > 0)
		return cli_fail(err, err_size,
				"--input cannot be combined with "
				"numbers on the command line");
	if (seen_start && !o->generated)
		return cli_fail(err, err_size,
				"--start and --step need --count "
				"(how many numbers to generate)");
	if (o->resume && !o->checkpoint)
		return cli_fail(err, err_size,
				"--resume needs --checkpoint FILE "
				"(the journal to resume from)");
	if (o->quiet && o->progress)
		return cli_fail(err, err_size,
				"--quiet and --progress cannot be "
				"used together");
	if (!o->generated && !o->input && o->n_numbers == 0)
		o->input = "-"; /* as GNU factor: read standard input */
	if (o->generated)
		return cli_check_terms(o, err, err_size);
	return STATUS_OK;
}

size_t cli_warnings(const struct options *o, char *buf, size_t size)
{
	size_t len = 0;
	int n;

	if (size == 0)
		return 0;
	buf[0] = '\0';
	if (o->verbose && o->format == CLI_FORMAT_TEXT) {
		n = snprintf(buf, size,
			     "factorize: warning: --verbose has no "
			     "effect with --format text (it adds the rank and "
			     "seconds of each number to JSON and CSV)\n");
		len = n < 0 ? 0 : (size_t)n < size ? (size_t)n : size - 1;
	}
	if (o->exponents && o->format != CLI_FORMAT_TEXT && len + 1 < size) {
		n = snprintf(buf + len, size - len,
			     "factorize: warning: "
			     "-h/--exponents has no effect with --format %s "
			     "(its factors always carry their exponents)\n",
			     o->format == CLI_FORMAT_JSON ? "json" : "csv");
		len += n < 0                     ? 0
			: (size_t)n < size - len ? (size_t)n
						 : size - len - 1;
	}
	return len;
}

int cli_parse(struct options *o, int argc, char **argv, char *err,
	      size_t err_size)
{
	int i, rc, seen_start = 0, only_numbers = 0;
	char q[48];

	if (err && err_size > 0)
		err[0] = '\0';
	free(o->numbers);
	o->n_numbers = 0;
	o->numbers = malloc(sizeof *o->numbers * (size_t)(argc > 0 ? argc : 1));
	if (!o->numbers)
		return cli_fail(err, err_size, "out of memory");

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *name, *eq, *v = NULL;
		size_t len;
		int k;

		if (only_numbers || a[0] != '-' || a[1] == '\0') {
			o->numbers[o->n_numbers++] = argv[i];
			continue;
		}
		if (strcmp(a, "--") == 0) {
			only_numbers = 1;
			continue;
		}
		if (a[1] !=
		    '-') { /* short options: only -h, bundling allowed */
			const char *c;
			for (c = a + 1; *c; c++) {
				if (*c != 'h') {
					if (c == a + 1 && *c >= '0' &&
					    *c <= '9')
						return cli_fail(
							err, err_size,
							"invalid option -- '%c' "
							"(%s)",
							*c,
							cli_minus_number(a +
									 1));
					if ((unsigned char)*c < 0x20 ||
					    (unsigned char)*c >= 0x7f)
						return cli_fail(
							err, err_size,
							"invalid option -- '\\x%02x'",
							(unsigned)(unsigned char)*c);
					return cli_fail(
						err, err_size,
						"invalid option -- '%c'", *c);
				}
				o->exponents = 1;
			}
			continue;
		}
		name = a + 2;
		eq = strchr(name, '=');
		len = eq ? (size_t)(eq - name) : strlen(name);
		k = cli_find_long(name, len);
		if (k == -2)
			return cli_ambiguous(name, len, err, err_size);
		if (k < 0)
			return cli_fail(err, err_size,
					"unrecognized option '%s'",
					cli_quote(a, q, sizeof q));
		if (cli_longs[k].has_arg) {
			if (eq) {
				v = eq + 1;
			} else if (i + 1 < argc) {
				v = argv[++i];
			} else {
				return cli_fail(err, err_size,
						"option '--%s' "
						"requires an argument",
						cli_longs[k].name);
			}
		} else if (eq) {
			return cli_fail(err, err_size,
					"option '--%s' doesn't "
					"allow an argument",
					cli_longs[k].name);
		}
		rc = cli_apply(o, cli_longs[k].id, cli_longs[k].name, v,
			       &seen_start, err, err_size);
		if (rc != STATUS_OK)
			return STATUS_ERR_INVAL;
	}
	if (o->help || o->version)
		return STATUS_OK;
	return cli_check(o, seen_start, err, err_size);
}
