/*
 * test_range.c - the range engine (range.c) against the per-number engine
 * (engine_factor) and GNU factor.
 *
 * Oracles: every term's result from both paths is compared field by
 * field (same_result): status, factors, order, exponents and kinds must
 * all agree, and the range path's factors must be ascending; the
 * text (output_format) of whole progressions below 2^127 is compared
 * with GNU factor's output on the same terms.
 *
 * Edges, each a named vector: start 0 and 1, steps sharing factors with
 * start, steps divisible by small primes, prime powers, squares and
 * products of primes near the sieve bound (small max_bound), terms
 * crossing 2^32, 2^64 and 2^127, chunks of one term, huge steps, starts
 * far beyond 2^64, contiguous and non-contiguous chunks.  A seeded
 * property test draws random progressions and chunkings.  Planted faults
 * (RANGE_FAULT_SKIP_CLASS, RANGE_FAULT_SHORT_PRIME) must make the
 * comparison fail.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "cli.h"
#include "memcheck.h"
#include "engine.h"
#include "output.h"
#include "proto.h"
#include "range.h"
#include "status.h"

/*
 * 1 when a (the range path) and b (engine_factor) agree in status and in
 * every factor, exponent and kind, in order, and a's factors ascend.
 */
static int same_result(const struct engine_result *a,
		       const struct engine_result *b)
{
	if (a->status != b->status || a->count != b->count)
		return 0;
	for (size_t i = 0; i < a->count; i++) {
		if (mpz_cmp(a->f[i].p, b->f[i].p) != 0 ||
		    a->f[i].e != b->f[i].e || a->f[i].kind != b->f[i].kind ||
		    (i > 0 && mpz_cmp(a->f[i - 1].p, a->f[i].p) >= 0))
			return 0;
	}
	return 1;
}

/*
 * Factor the progression (start, step, count) in chunks of chunk terms
 * (the chunks contiguous, or each one begun fresh by a range that was
 * used on another progression first when scatter is set), compare every
 * term with engine_factor.  Returns the number of terms that differ.
 */
static unsigned long compare_run(const char *start_s, const char *step_s,
				 uint64_t count, uint64_t chunk,
				 const struct range_params *rp, int scatter)
{
	struct range *r;
	struct engine_result a, b;
	mpz_t start, step, n, cs, other;
	unsigned long bad = 0;

	assert_int_equal(range_new(&r, rp), STATUS_OK);
	engine_result_init(&a);
	engine_result_init(&b);
	mpz_init_set_str(start, start_s, 10);
	mpz_init_set_str(step, step_s, 10);
	mpz_inits(n, cs, other, NULL);
	mpz_set(n, start);
	for (uint64_t done = 0; done < count;) {
		uint64_t c = count - done < chunk ? count - done : chunk;
		if (scatter) { /* break contiguity: another progression first */
			mpz_add_ui(other, n, 7);
			assert_int_equal(range_begin(r, other, step, 1),
					 STATUS_OK);
			assert_true(range_next(r, &a, NULL) >= 0);
		}
		mpz_set(cs, n);
		assert_int_equal(range_begin(r, cs, step, c), STATUS_OK);
		for (uint64_t i = 0; i < c; i++) {
			int sa = range_next(r, &a, NULL);
			int sb = engine_factor(&b, n, NULL);
			if (sa != sb || !same_result(&a, &b)) {
				if (bad < 3)
					gmp_printf("  differs at %Zd (%s %s)\n",
						   n, start_s, step_s);
				bad++;
			}
			mpz_add(n, n, step);
		}
		assert_int_equal(range_next(r, &a, NULL), STATUS_ERR_INVAL);
		done += c;
	}
	mpz_clears(start, step, n, cs, other, NULL);
	engine_result_clear(&a);
	engine_result_clear(&b);
	range_free(r);
	return bad;
}

static void expect_same(const char *start, const char *step, uint64_t count,
			uint64_t chunk, uint64_t max_bound)
{
	struct range_params rp;
	range_params_init(&rp);
	rp.max_bound = max_bound;
	assert_int_equal(compare_run(start, step, count, chunk, &rp, 0), 0);
	assert_int_equal(compare_run(start, step, count, chunk, &rp, 1), 0);
}

static void small_starts(void **state)
{
	(void)state;
	expect_same("0", "1", 3000, 1024, 0); /* 0:, 1:, 2: ... */
	expect_same("0", "7", 500, 100, 0);   /* 0 then multiples of 7 */
	expect_same("1", "1", 3000, 3000, 0);
	expect_same("1", "2", 1000, 1, 0); /* chunks of one term */
	expect_same("0", "1", 1, 1, 0);
	expect_same("1", "1", 1, 1, 0);
}

static void steps_sharing_factors(void **state)
{
	(void)state;
	expect_same("6", "4", 2000, 333, 0);       /* gcd 2 */
	expect_same("30030", "30030", 500, 77, 0); /* start | step */
	expect_same("15", "30030", 1500, 1024, 0); /* 3, 5 | all */
	expect_same("1", "510510", 1500, 600, 0);  /* 2..17 divide none */
	expect_same("4096", "8192", 300, 50, 0);   /* 2^12 (2k + 1) */
	expect_same("1000000000000", "4", 2000, 700, 0);
}

static void prime_powers(void **state)
{
	(void)state;
	/* 2^k - 1 .. and powers of 3 with step 3^10: exponents up to 63 */
	expect_same("9223372036854775808", "1", 50, 50, 0); /* 2^63 */
	expect_same("59049", "59049", 300, 300, 0);         /* 3^10 k */
	expect_same("1", "1024", 2000, 999, 0);
	expect_same("3486784401", "3486784401", 5, 5, 0); /* 3^20 k */
}

static void near_the_bound(void **state)
{
	(void)state;
	/* max_bound 1000: the last primes below it are 983, 991, 997;
	   997^2 = 994009, 991 * 997 = 988027, 1009^2 = 1018081 */
	expect_same("985000", "1", 40000, 4096, 1000);
	expect_same("994009", "1", 1, 1, 1000);
	expect_same("1018081", "1", 3, 3, 1000);
	expect_same("988027", "997", 100, 7, 1000);
	/* sqrt bound exact: squares of primes as the last term */
	expect_same("1", "1", 961, 961, 0); /* 31^2 last */
	expect_same("1", "1", 1369, 1369, 0);
}

static void crossing_words(void **state)
{
	(void)state;
	expect_same("4294960000", "1", 20000, 5000, 0);          /* 2^32 */
	expect_same("18446744073709550000", "1", 3000, 1000, 0); /* 2^64 */
	expect_same("18446744073709551557", "2", 100, 1024, 0);
	expect_same("170141183460469231731687303715884105700", "1", 30, 16,
		    0); /* 2^127 */
}

static void huge_steps_and_starts(void **state)
{
	(void)state;
	expect_same("1", "1267650600228229401496703205653", 200, 64, 0);
	expect_same("1000000000000000000000000000000", "1", 40, 20, 0);
	expect_same("1000000000000000000000000000000", "2", 10, 1, 0);
	expect_same("12345678901234567890123456789012345678901234567890", "30",
		    6, 6, 0);
	expect_same("18446744073709551615", "18446744073709551615", 40, 9, 0);
}

/*
 * The prime table grows with the terms: from 2^47 (sqrt 2^23.5) the
 * continuing chunks need primes to 11.9 million, far past the first
 * table (2^16); from 2^62 the bound stops at RANGE_MAX_BOUND (2^24) and
 * the cofactors >= 2^48 go to engine_factor.  Fresh chunks (scatter)
 * and short ones keep smaller bounds on the same grown table.
 */
static void table_grows_to_the_limit(void **state)
{
	(void)state;
	expect_same("140737488355328", "1", 40000, 16384, 0); /* 2^47 */
	expect_same("140737488355328", "3", 3000, 1000, 0);
	expect_same("4611686018427387904", "1", 3000, 1024, 0); /* 2^62 */
	expect_same("18446744073709551000", "1", 1000, 400, 0); /* 2^64 */
}

/* splitmix64, for the property test's reproducible draws */
static uint64_t next_rand(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15u);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

/* A random value below 2^bits (bits <= 128) into a. */
static void random_below(mpz_t a, unsigned bits, uint64_t *s)
{
	mpz_set_ui(a, (unsigned long)next_rand(s));
	mpz_mul_2exp(a, a, 64);
	mpz_add_ui(a, a, (unsigned long)next_rand(s));
	mpz_tdiv_r_2exp(a, a, bits);
}

/* The property tests' seed: RANGE_TEST_SEED, or a fixed default. */
static uint64_t test_seed(void)
{
	const char *env = getenv("RANGE_TEST_SEED");
	return env != NULL ? strtoull(env, NULL, 10) : 20261207;
}

/*
 * A random progression: start below 2^(1..amax bits), step below
 * 2^(1..dmax bits) and at least 1, in decimal into as and ds (80 bytes
 * each); returns the start's bit bound.
 */
static unsigned random_progression(uint64_t *s, unsigned amax, unsigned dmax,
				   char *as, char *ds)
{
	mpz_t a, d;
	unsigned abits = 1 + (unsigned)(next_rand(s) % amax);
	unsigned dbits = 1 + (unsigned)(next_rand(s) % dmax);

	mpz_inits(a, d, NULL);
	random_below(a, abits, s);
	random_below(d, dbits, s);
	if (mpz_sgn(d) == 0)
		mpz_set_ui(d, 1);
	gmp_snprintf(as, 80, "%Zd", a);
	gmp_snprintf(ds, 80, "%Zd", d);
	mpz_clears(a, d, NULL);
	return abits;
}

static void random_progressions(void **state)
{
	uint64_t seed = test_seed();
	(void)state;
	uint64_t s = seed;
	for (int round = 0; round < test_rounds(40); round++) {
		char as[80], ds[80];
		unsigned abits = random_progression(&s, 90, 70, as, ds);
		uint64_t count = 1 + next_rand(&s) % (abits > 64 ? 20 : 3000);
		uint64_t chunk = 1 + next_rand(&s) % count;
		uint64_t mb =
			next_rand(&s) % 3 == 0 ? 100 + next_rand(&s) % 5000 : 0;
		struct range_params rp;
		range_params_init(&rp);
		rp.max_bound = mb;
		unsigned long bad = compare_run(as, ds, count, chunk, &rp,
						(int)(next_rand(&s) & 1));
		if (bad != 0)
			print_message("seed %llu round %d: %s + k*%s, %llu "
				      "terms, chunk %llu, bound %llu\n",
				      (unsigned long long)seed, round, as, ds,
				      (unsigned long long)count,
				      (unsigned long long)chunk,
				      (unsigned long long)mb);
		assert_int_equal(bad, 0);
	}
}

/* The formats a line can take: format, -h, --verbose. */
static const int range_formats[6][3] = {
	{ CLI_FORMAT_TEXT, 0, 0 }, { CLI_FORMAT_TEXT, 1, 0 },
	{ CLI_FORMAT_JSON, 0, 0 }, { CLI_FORMAT_JSON, 0, 1 },
	{ CLI_FORMAT_CSV, 0, 0 },  { CLI_FORMAT_CSV, 0, 1 },
};

/*
 * The word path against the mpz path, term by term: range_next_words,
 * its line from the words (output_format_words, or output_format of res
 * for a term not in words), against engine_factor's result formatted by
 * output_format, in format f of range_formats; the word line must also
 * parse back (output_parse) to the term and engine_factor's factors.
 * plant_at >= 0: that term's words are corrupted first (its last prime
 * moved by 2, or a factor 2 added to a term without one), which must be
 * caught.  Returns the number of terms that differ.
 */
static unsigned long compare_words_run(const char *start_s, const char *step_s,
				       uint64_t count, uint64_t chunk,
				       const struct range_params *rp, int f,
				       long plant_at)
{
	const int fm = range_formats[f][0], ex = range_formats[f][1],
		  vb = range_formats[f][2];
	struct output_meta meta = { 3, 0.5 }, back;
	struct range *r;
	struct engine_result a, b, c;
	struct engine_words w;
	struct output_term term; /* the terms' text, as the worker keeps it */
	mpz_t n, step, m;
	char *la = NULL, *lb = NULL;
	size_t ca = 0, cb = 0;
	unsigned long bad = 0;
	uint64_t k = 0;

	assert_int_equal(range_new(&r, rp), STATUS_OK);
	engine_result_init(&a);
	engine_result_init(&b);
	engine_result_init(&c);
	mpz_init_set_str(n, start_s, 10);
	mpz_init_set_str(step, step_s, 10);
	mpz_init(m);
	for (uint64_t done = 0; done < count;) {
		uint64_t cn = count - done < chunk ? count - done : chunk;
		assert_int_equal(range_begin(r, n, step, cn), STATUS_OK);
		if (mpz_sizeinbase(n, 2) <= 64 && mpz_sizeinbase(step, 2) <= 64)
			output_term_init(&term, mpz_get_ui(n),
					 mpz_get_ui(step));
		else
			term.valid = 0;
		for (uint64_t i = 0; i < cn; i++, k++) {
			int in_words, ok;
			int sa = range_next_words(r, &w, &a, NULL, &in_words);
			int sb = engine_factor(&b, n, NULL);
			long len;
			if (in_words && (long)k == plant_at) {
				if (w.count > 0)
					w.p[w.count - 1] += 2;
				else
					w.p[w.count++] = 2, w.e[0] = 1;
			}
			len = in_words
				? output_format_words(&la, &ca, 0, fm, ex, vb,
						      &w, &term, &meta)
				: output_format(&la, &ca, fm, ex, vb, n, &a,
						&meta);
			ok = sa == sb && len > 0 &&
				output_format(&lb, &cb, fm, ex, vb, n, &b,
					      &meta) == len &&
				memcmp(la, lb, (size_t)len) == 0;
			if (ok && in_words) {
				ok = output_parse(la, (size_t)len, fm, ex, vb,
						  m, &c, &back) == STATUS_OK &&
					mpz_cmp(m, n) == 0 &&
					same_result(&c, &b);
			}
			if (!ok) {
				if (bad < 3 && plant_at < 0)
					gmp_printf("  words differ at %Zd (%s "
						   "%s, format %d)\n",
						   n, start_s, step_s, f);
				bad++;
			}
			mpz_add(n, n, step);
			output_term_next(&term);
		}
		done += cn;
	}
	free(la);
	free(lb);
	mpz_clears(n, step, m, NULL);
	engine_result_clear(&a);
	engine_result_clear(&b);
	engine_result_clear(&c);
	range_free(r);
	return bad;
}

/*
 * The property test of the word path: random progressions (seed
 * RANGE_TEST_SEED as random_progressions), starts up to 2^70 (so some
 * cross 2^64 and leave words), in every format.
 */
static void words_match_mpz_path(void **state)
{
	uint64_t seed = test_seed();
	(void)state;
	uint64_t s = seed ^ 0x5757;
	for (int round = 0; round < test_rounds(36); round++) {
		char as[80], ds[80];
		(void)random_progression(&s, 70, 40, as, ds);
		uint64_t count = 1 + next_rand(&s) % 1500;
		uint64_t chunk = 1 + next_rand(&s) % count;
		struct range_params rp;
		range_params_init(&rp);
		rp.max_bound =
			next_rand(&s) % 3 == 0 ? 100 + next_rand(&s) % 5000 : 0;
		int f = round % 6;
		unsigned long bad =
			compare_words_run(as, ds, count, chunk, &rp, f, -1);
		if (bad != 0)
			print_message("seed %llu round %d: %s + k*%s, %llu "
				      "terms, chunk %llu, bound %llu, "
				      "format %d\n",
				      (unsigned long long)seed, round, as, ds,
				      (unsigned long long)count,
				      (unsigned long long)chunk,
				      (unsigned long long)rp.max_bound, f);
		assert_int_equal(bad, 0);
	}
}

/* The word comparison fails on a planted fault: a corrupted line in any
   format, a sieve that skips a class or stops a prime short. */
static void words_planted_faults_fail(void **state)
{
	struct range_params rp;
	(void)state;
	range_params_init(&rp);
	for (int f = 0; f < 6; f++) {
		assert_int_equal(compare_words_run("1000000000000", "1", 300,
						   100, &rp, f, 17),
				 1);
		assert_int_equal(compare_words_run("0", "1", 10, 10, &rp, f, 0),
				 1);
		assert_int_equal(compare_words_run("1", "1", 10, 10, &rp, f, 0),
				 1);
	}
	rp.fault = RANGE_FAULT_SKIP_CLASS;
	assert_true(compare_words_run("1000000000000", "1", 2000, 500, &rp, 3,
				      -1) > 0);
	rp.fault = RANGE_FAULT_SHORT_PRIME;
	rp.max_bound = 1000;
	assert_true(compare_words_run("985000", "1", 20000, 4096, &rp, 4, -1) >
		    0);
}

/* A planted fault must make the comparison fail. */
static void planted_faults_fail(void **state)
{
	struct range_params rp;
	(void)state;
	range_params_init(&rp);
	rp.fault = RANGE_FAULT_SKIP_CLASS;
	assert_true(compare_run("1", "1", 1000, 1000, &rp, 0) > 0);
	assert_true(compare_run("1000000000000", "1", 2000, 500, &rp, 0) > 0);
	rp.fault = RANGE_FAULT_SHORT_PRIME;
	assert_true(compare_run("1", "1", 1000, 1000, &rp, 0) > 0);
	rp.max_bound = 1000;
	assert_true(compare_run("985000", "1", 20000, 4096, &rp, 0) > 0);
}

/*
 * Text of the range path against GNU factor on the same terms (below
 * 2^127, where factor is exact and fast).
 */
static void against_gnu_factor_one(const char *start_s, const char *step_s,
				   unsigned count, unsigned chunk)
{
	char in[] = "/tmp/test_range_in.XXXXXX";
	char out[] = "/tmp/test_range_out.XXXXXX";
	int fi = mkstemp(in), fo = mkstemp(out);
	FILE *fin, *fours;
	struct range *r;
	struct engine_result res;
	mpz_t n, step;
	char *line = NULL, *buf = NULL;
	size_t cap = 0, lcap = 0;
	char cmd[256];

	assert_true(fi >= 0 && fo >= 0);
	fin = fdopen(fi, "w");
	assert_non_null(fin);
	assert_int_equal(range_new(&r, NULL), STATUS_OK);
	engine_result_init(&res);
	mpz_init_set_str(n, start_s, 10);
	mpz_init_set_str(step, step_s, 10);
	fours = fdopen(fo, "w");
	assert_non_null(fours);
	for (unsigned done = 0; done < count; done += chunk) {
		unsigned c = count - done < chunk ? count - done : chunk;
		assert_int_equal(range_begin(r, n, step, c), STATUS_OK);
		for (unsigned i = 0; i < c; i++) {
			assert_true(range_next(r, &res, NULL) >= 0);
			long len = output_format(&buf, &cap, CLI_FORMAT_TEXT, 0,
						 0, n, &res, NULL);
			assert_true(len > 0);
			fwrite(buf, 1, (size_t)len, fours);
			gmp_fprintf(fin, "%Zd\n", n);
			mpz_add(n, n, step);
		}
	}
	fclose(fin);
	fclose(fours);
	snprintf(cmd, sizeof cmd, "factor < %s | cmp -s - %s", in, out);
	int rc = system(cmd);
	if (rc != 0)
		print_message("GNU factor differs on %s + k*%s\n", start_s,
			      step_s);
	assert_int_equal(rc, 0);
	unlink(in);
	unlink(out);
	free(buf);
	free(line);
	(void)lcap;
	mpz_clears(n, step, NULL);
	engine_result_clear(&res);
	range_free(r);
}

static void against_gnu_factor(void **state)
{
	(void)state;
	if (system("factor 6 > /dev/null 2>&1") != 0)
		skip();
	against_gnu_factor_one("0", "1", 5000, 1024);
	against_gnu_factor_one("999999999999", "2", 999, 43);
	against_gnu_factor_one("1000000000000", "1", 20000, 4096);
	against_gnu_factor_one("4294967000", "3", 3000, 1000);
	against_gnu_factor_one("18446744073709551000", "1", 1200, 512);
	against_gnu_factor_one("30", "30030", 2000, 2000);
	against_gnu_factor_one("4611686018427387904", "1", 3000, 1024);
	against_gnu_factor_one("1000000000000000000000000", "7", 100, 64);
}

static void bad_arguments(void **state)
{
	struct range *r;
	struct engine_result res;
	mpz_t a, d;
	(void)state;
	assert_int_equal(range_new(&r, NULL), STATUS_OK);
	engine_result_init(&res);
	mpz_init_set_si(a, 5);
	mpz_init_set_si(d, 0);
	assert_int_equal(range_next(r, &res, NULL), STATUS_ERR_INVAL);
	assert_int_equal(range_begin(r, a, d, 3), STATUS_ERR_INVAL);
	mpz_set_si(d, 1);
	assert_int_equal(range_begin(r, a, d, 0), STATUS_ERR_INVAL);
	mpz_set_si(a, -1);
	assert_int_equal(range_begin(r, a, d, 3), STATUS_ERR_INVAL);
	mpz_clears(a, d, NULL);
	engine_result_clear(&res);
	range_free(r);
	range_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(small_starts),
		cmocka_unit_test(steps_sharing_factors),
		cmocka_unit_test(prime_powers),
		cmocka_unit_test(near_the_bound),
		cmocka_unit_test(crossing_words),
		cmocka_unit_test(huge_steps_and_starts),
		cmocka_unit_test(table_grows_to_the_limit),
		cmocka_unit_test(random_progressions),
		cmocka_unit_test(planted_faults_fail),
		cmocka_unit_test(words_match_mpz_path),
		cmocka_unit_test(words_planted_faults_fail),
		cmocka_unit_test(against_gnu_factor),
		cmocka_unit_test(bad_arguments),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
