/*
 * test_engine.c - unit tests of the engine's dispatcher, result list,
 * checker and GMP tier (include/engine.h, src/engine/engine.c,
 * src/engine/engine_result.c, src/engine/engine_verify.c, src/engine/engine_mpz.c).
 *
 * Known-answer vectors are named for what they guard; the GNU coreutils
 * vectors are read at run time from tests/data/coreutils-factor.txt (the tests run
 * from the repository root).  The checker is shown to fail on planted wrong
 * factorizations.  A small differential run against PARI/GP (`gp`) covers
 * numbers above 2^128; it is skipped when gp is missing.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "engine.h"
#include "engine_int.h"
#include "siqs.h"
#include "status.h"

struct fixture {
	struct engine_result res;
	struct engine_params params;
	mpz_t n;
};

static int setup(void **state)
{
	struct fixture *fx = malloc(sizeof *fx);
	if (fx == NULL)
		return -1;
	engine_result_init(&fx->res);
	engine_params_init(&fx->params);
	mpz_init(fx->n);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	engine_result_clear(&fx->res);
	mpz_clear(fx->n);
	free(fx);
	return 0;
}

/* "p p q^3" -> appends the factorization of res as GNU factor would print. */
static void format_result(const struct engine_result *res, char *buf,
			  size_t size)
{
	size_t len = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < res->count; i++) {
		for (unsigned long k = 0; k < res->f[i].e; k++) {
			int w = gmp_snprintf(buf + len, size - len, " %Zd",
					     res->f[i].p);
			assert_true(w > 0 && (size_t)w < size - len);
			len += (size_t)w;
		}
	}
}

/* Factor n and compare with expect (GNU factor's list, leading space). */
static void expect_factors(struct fixture *fx, const char *n,
			   const char *expect)
{
	static char buf[65536];
	assert_int_equal(mpz_set_str(fx->n, n, 10), 0);
	int r = engine_factor(&fx->res, fx->n, &fx->params);
	assert_int_equal(r, STATUS_OK);
	format_result(&fx->res, buf, sizeof buf);
	if (strcmp(buf, expect) != 0)
		print_error("n = %s\n got      '%s'\n expected '%s'\n", n, buf,
			    expect);
	assert_string_equal(buf, expect);
	for (size_t i = 0; i < fx->res.count; i++)
		assert_int_not_equal(fx->res.f[i].kind, ENGINE_COMPOSITE);
	assert_int_equal(engine_verify(&fx->res, fx->n), STATUS_OK);
}

/* ---- GNU coreutils vectors ---- */

static void coreutils_vectors(void **state)
{
	struct fixture *fx = *state;
	FILE *fp = fopen("tests/data/coreutils-factor.txt", "r");
	assert_non_null(fp);
	char line[4096];
	int cases = 0;
	while (fgets(line, sizeof line, fp) != NULL) {
		if (line[0] == '#' || line[0] == '\n')
			continue;
		char *tab = strchr(line, '\t');
		assert_non_null(tab);
		*tab = '\0';
		char *in = line;
		while (*in == ' ' || *in == '+')
			in++;
		char *colon = strchr(tab + 1, ':');
		assert_non_null(colon);
		char *nl = strchr(colon, '\n');
		if (nl != NULL)
			*nl = '\0';
		expect_factors(fx, in, colon + 1);
		cases++;
	}
	fclose(fp);
	assert_true(cases >= 40);
}

/* ---- named known answers ---- */

static void zero_and_one_are_empty(void **state)
{
	struct fixture *fx = *state;
	expect_factors(fx, "0", "");
	expect_factors(fx, "1", "");
	assert_int_equal(fx->res.count, 0);
}

static void negative_is_invalid(void **state)
{
	struct fixture *fx = *state;
	mpz_set_si(fx->n, -6);
	assert_int_equal(engine_factor(&fx->res, fx->n, NULL),
			 STATUS_ERR_INVAL);
}

static void primes_below_powers_of_two(void **state)
{
	struct fixture *fx = *state;
	expect_factors(fx, "4294967291", " 4294967291");
	expect_factors(fx, "18446744073709551557", " 18446744073709551557");
	expect_factors(fx, "340282366920938463463374607431768211297",
		       " 340282366920938463463374607431768211297");
	expect_factors(
		fx,
		"6277101735386680763835789423207666416102355444464034512659",
		" 6277101735386680763835789423207666416102355444464034512659");
	/* above 2^64 the verdict is BPSW plus MR: probable, not proven */
	assert_int_equal(fx->res.f[0].kind, ENGINE_PROBABLE_PRIME);
	expect_factors(fx, "18446744073709551557", " 18446744073709551557");
	assert_int_equal(fx->res.f[0].kind, ENGINE_PRIME);
}

static void prime_powers(void **state)
{
	struct fixture *fx = *state;
	char expect[4096] = "";
	for (int i = 0; i < 100; i++)
		strcat(expect, " 3");
	mpz_ui_pow_ui(fx->n, 3, 100);
	char *s = mpz_get_str(NULL, 10, fx->n);
	expect_factors(fx, s, expect);
	free(s);
	assert_int_equal(fx->res.count, 1);
	assert_int_equal(fx->res.f[0].e, 100);
	/* (2^61-1)^3: a cube above 2^128 of a 61-bit prime */
	expect_factors(
		fx, "12259964326927110850916040267783483001021757281745764351",
		" 2305843009213693951 2305843009213693951"
		" 2305843009213693951");
	/* 2^300: exponent beyond a byte */
	mpz_ui_pow_ui(fx->n, 2, 300);
	assert_int_equal(engine_factor(&fx->res, fx->n, NULL), STATUS_OK);
	assert_int_equal(fx->res.count, 1);
	assert_int_equal(fx->res.f[0].e, 300);
	/* 7^60 * 11^2: power of a small prime, then more */
	mpz_ui_pow_ui(fx->n, 7, 60);
	mpz_mul_ui(fx->n, fx->n, 121);
	assert_int_equal(engine_factor(&fx->res, fx->n, NULL), STATUS_OK);
	assert_int_equal(fx->res.count, 2);
	assert_int_equal(fx->res.f[0].e, 60);
	assert_int_equal(fx->res.f[1].e, 2);
}

static void repeated_large_factors(void **state)
{
	struct fixture *fx = *state;
	/* p^2 q with p, q > 2^64: perfect-power test does not apply */
	expect_factors(
		fx,
		"401734511064748107460941402229326609297599820332767027646611",
		" 18446744073709563973 18446744073709563973"
		" 1180591620717411304459");
	/* (p q)^2 for a 60-bit and an 80-bit prime: a square of a semiprime */
	mpz_set_str(fx->n, "1152921504606847009", 10);
	mpz_t q;
	mpz_init_set_str(q, "1208925819614629174706189", 10);
	mpz_mul(fx->n, fx->n, q);
	mpz_mul(fx->n, fx->n, fx->n);
	mpz_clear(q);
	char *s = mpz_get_str(NULL, 10, fx->n);
	expect_factors(fx, s,
		       " 1152921504606847009 1152921504606847009"
		       " 1208925819614629174706189 1208925819614629174706189");
	free(s);
}

static void carmichael_numbers(void **state)
{
	struct fixture *fx = *state;
	expect_factors(fx, "561", " 3 11 17");
	expect_factors(fx, "41041", " 7 11 13 41");
	expect_factors(fx, "825265", " 5 7 17 19 73");
	expect_factors(fx, "321197185", " 5 19 23 29 37 137");
	expect_factors(fx, "5394826801", " 7 13 17 23 31 67 73");
	expect_factors(fx, "232250619601", " 7 11 13 17 31 37 73 163");
	expect_factors(fx, "9746347772161", " 7 11 13 17 19 31 37 41 641");
	/* (6k+1)(12k+1)(18k+1), k = 10000000002685: 140 bits */
	expect_factors(fx, "1296000001043967600280315933585089227735761",
		       " 60000000016111 120000000032221 180000000048331");
}

static void semiprime_of_two_100_bit_primes(void **state)
{
	struct fixture *fx = *state;
	expect_factors(
		fx,
		"602601766597121353328235784890022737543012551427990700957409",
		" 633825300114114700748351602943"
		" 950737950171172051122527404063");
}

static void fermat_and_mersenne_numbers(void **state)
{
	struct fixture *fx = *state;
	/* F7 = 2^128 + 1 (Morrison-Brillhart 1970) */
	expect_factors(fx, "340282366920938463463374607431768211457",
		       " 59649589127497217 5704689200685129054721");
	/* M67 = 2^67 - 1 (Cole 1903) */
	expect_factors(fx, "147573952589676412927", " 193707721 761838257287");
	/* 2^256 - 1 = F0 F1 ... F7 */
	mpz_ui_pow_ui(fx->n, 2, 256);
	mpz_sub_ui(fx->n, fx->n, 1);
	char *s = mpz_get_str(NULL, 10, fx->n);
	expect_factors(fx, s,
		       " 3 5 17 257 641 65537 274177 6700417 67280421310721"
		       " 59649589127497217 5704689200685129054721");
	free(s);
	/* F8 = 2^256 + 1 (Brent-Pollard 1981): a 16-digit factor by rho/ECM */
	mpz_add_ui(fx->n, fx->n, 2);
	s = mpz_get_str(NULL, 10, fx->n);
	expect_factors(fx, s,
		       " 1238926361552897"
		       " 93461639715357977769163558199606896584051237541638188"
		       "580280321");
	free(s);
}

static void deterministic_for_a_seed(void **state)
{
	struct fixture *fx = *state;
	struct engine_result other;
	engine_result_init(&other);
	/* three 18-digit primes: the ECM path and its curves */
	mpz_set_str(fx->n,
		    "21000000000000002390000000000000089100000000000001089",
		    10);
	for (uint64_t seed = 1; seed <= 2; seed++) {
		fx->params.seed = seed;
		assert_int_equal(engine_factor(&fx->res, fx->n, &fx->params),
				 STATUS_OK);
		assert_int_equal(engine_factor(&other, fx->n, &fx->params),
				 STATUS_OK);
		assert_int_equal(fx->res.count, other.count);
		for (size_t i = 0; i < other.count; i++)
			assert_int_equal(mpz_cmp(fx->res.f[i].p, other.f[i].p),
					 0);
	}
	engine_result_clear(&other);
	engine_result_clear(NULL);
}

/* ---- no allocation per number on the hot path ---- */

static unsigned long gmp_allocs;
static void *(*real_alloc)(size_t);
static void *(*real_realloc)(void *, size_t, size_t);
static void (*real_free)(void *, size_t);

static void *count_alloc(size_t n)
{
	gmp_allocs++;
	return real_alloc(n);
}

static void *count_realloc(void *p, size_t old, size_t n)
{
	gmp_allocs++;
	return real_realloc(p, old, n);
}

static void small_numbers_reuse_the_result(void **state)
{
	struct fixture *fx = *state;
	mp_get_memory_functions(&real_alloc, &real_realloc, &real_free);
	/* warm up: the result grows to its working size */
	mpz_set_str(fx->n, "340282366920938463463374607431768211455", 10);
	assert_int_equal(engine_factor(&fx->res, fx->n, &fx->params),
			 STATUS_OK);
	mp_set_memory_functions(count_alloc, count_realloc, real_free);
	gmp_allocs = 0;
	/* the classic job's numbers, and 2^64 + 1 .. 2^64 + 200 */
	for (unsigned long k = 0; k < 999; k++) {
		mpz_set_ui(fx->n, 999999999999ul + 2 * k);
		assert_int_equal(engine_factor(&fx->res, fx->n, &fx->params),
				 STATUS_OK);
	}
	for (unsigned long k = 1; k <= 200; k++) {
		mpz_set_ui(fx->n, 1);
		mpz_mul_2exp(fx->n, fx->n, 64);
		mpz_add_ui(fx->n, fx->n, k);
		assert_int_equal(engine_factor(&fx->res, fx->n, &fx->params),
				 STATUS_OK);
	}
	mp_set_memory_functions(real_alloc, real_realloc, real_free);
	/* only the loop's own mpz_mul_2exp on n may grow n, once */
	assert_true(gmp_allocs <= 1);
}

/* ---- the result list ---- */

static void add_keeps_sorted_and_merges(void **state)
{
	struct fixture *fx = *state;
	mpz_t p;
	mpz_init(p);
	const unsigned long in[] = { 13, 5, 11, 5, 2, 13, 13 };
	for (size_t i = 0; i < sizeof in / sizeof in[0]; i++) {
		mpz_set_ui(p, in[i]);
		assert_int_equal(
			engine_result_add(&fx->res, p, 1, ENGINE_PRIME),
			STATUS_OK);
	}
	assert_int_equal(fx->res.count, 4);
	const unsigned long want_p[] = { 2, 5, 11, 13 },
			    want_e[] = { 1, 2, 1, 3 };
	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(mpz_get_ui(fx->res.f[i].p), want_p[i]);
		assert_int_equal(fx->res.f[i].e, want_e[i]);
	}
	mpz_set_ui(p, 1);
	assert_int_equal(engine_result_add(&fx->res, p, 1, ENGINE_PRIME),
			 STATUS_ERR_INVAL);
	mpz_set_ui(p, 7);
	assert_int_equal(engine_result_add(&fx->res, p, 0, ENGINE_PRIME),
			 STATUS_ERR_INVAL);
	assert_int_equal(engine_result_add(&fx->res, p, 1, 42),
			 STATUS_ERR_INVAL);
	mpz_clear(p);
}

static void add_refines_shared_factors(void **state)
{
	struct fixture *fx = *state;
	mpz_t p;
	mpz_init(p);
	/* 6 (composite) then 2 (prime): 2^2 3 */
	mpz_set_ui(p, 6);
	assert_int_equal(engine_result_add(&fx->res, p, 1, ENGINE_COMPOSITE),
			 STATUS_OK);
	mpz_set_ui(p, 2);
	assert_int_equal(engine_result_add(&fx->res, p, 1, ENGINE_PRIME),
			 STATUS_OK);
	assert_int_equal(fx->res.count, 2);
	assert_int_equal(mpz_get_ui(fx->res.f[0].p), 2);
	assert_int_equal(fx->res.f[0].e, 2);
	assert_int_equal(mpz_get_ui(fx->res.f[1].p), 3);
	assert_int_equal(fx->res.f[1].kind, ENGINE_PRIME);
	/* then 10 and 15 (composites): 2^3 3^2 5^2 */
	mpz_set_ui(p, 10);
	assert_int_equal(engine_result_add(&fx->res, p, 1, ENGINE_COMPOSITE),
			 STATUS_OK);
	mpz_set_ui(p, 15);
	assert_int_equal(engine_result_add(&fx->res, p, 1, ENGINE_COMPOSITE),
			 STATUS_OK);
	assert_int_equal(fx->res.count, 3);
	const unsigned long want_p[] = { 2, 3, 5 }, want_e[] = { 3, 2, 2 };
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(mpz_get_ui(fx->res.f[i].p), want_p[i]);
		assert_int_equal(fx->res.f[i].e, want_e[i]);
		assert_int_equal(fx->res.f[i].kind, ENGINE_PRIME);
	}
	/* two composites sharing an unknown factor: 35 * 77 -> 5 7^2 11 */
	engine_result_reset(&fx->res);
	mpz_set_ui(p, 35);
	engine_result_add(&fx->res, p, 1, ENGINE_COMPOSITE);
	mpz_set_ui(p, 77);
	engine_result_add(&fx->res, p, 1, ENGINE_COMPOSITE);
	assert_int_equal(fx->res.count, 3);
	assert_int_equal(mpz_get_ui(fx->res.f[1].p), 7);
	assert_int_equal(fx->res.f[1].e, 2);
	/* a composite that stays composite: 2^64+1 = 274177 * 67280421310721 */
	engine_result_reset(&fx->res);
	mpz_set_str(p, "18446744073709551617", 10);
	engine_result_add(&fx->res, p, 2, ENGINE_COMPOSITE);
	assert_int_equal(fx->res.count, 1);
	assert_int_equal(fx->res.f[0].kind, ENGINE_COMPOSITE);
	mpz_set_ui(p, 274177);
	engine_result_add(&fx->res, p, 1, ENGINE_PRIME);
	assert_int_equal(fx->res.count, 2);
	assert_int_equal(mpz_get_ui(fx->res.f[0].p), 274177);
	assert_int_equal(fx->res.f[0].e, 3);
	assert_int_equal(fx->res.f[1].e, 2);
	assert_int_equal(fx->res.f[1].kind, ENGINE_PRIME);
	mpz_clear(p);
}

/* ---- time limit and stop hook ---- */

static int stop_now(void *arg)
{
	(void)arg;
	return 1;
}

static void check_partial(struct fixture *fx)
{
	assert_int_equal(fx->res.status, STATUS_PARTIAL);
	int composites = 0;
	for (size_t i = 0; i < fx->res.count; i++)
		composites += fx->res.f[i].kind == ENGINE_COMPOSITE;
	assert_true(composites >= 1);
	assert_int_equal(engine_verify(&fx->res, fx->n), STATUS_OK);
}

static void time_limit_gives_partial(void **state)
{
	struct fixture *fx = *state;
	/* 7 * a 200-bit semiprime of two 100-bit primes */
	mpz_set_str(
		fx->n,
		"602601766597121353328235784890022737543012551427990700957409",
		10);
	mpz_mul_ui(fx->n, fx->n, 7);
	fx->params.time_limit = 1e-6;
	assert_int_equal(engine_factor(&fx->res, fx->n, &fx->params),
			 STATUS_PARTIAL);
	check_partial(fx);
	assert_int_equal(mpz_get_ui(fx->res.f[0].p), 7);
	fx->params.time_limit = 0.0;
	fx->params.stop = stop_now;
	assert_int_equal(engine_factor(&fx->res, fx->n, &fx->params),
			 STATUS_PARTIAL);
	check_partial(fx);
}

/*
 * Below 2^128 the native tiers' list is copied into the result
 * (engine_result_set_small): a cofactor the stop hook left unsplit must
 * come back marked composite with STATUS_PARTIAL, and a complete answer
 * with STATUS_OK.  Below 2^64 the first ECM round runs before the hook is
 * polled and splits many balanced semiprimes, so twenty are tried and at
 * least one must stop (each round fails with odds of about 1/3); from
 * 2^64 the tier polls after one curve at B1 = 150, which does not find
 * a 50-bit factor.
 */
static void stop_hook_partial_below_2_128(void **state)
{
	struct fixture *fx = *state;
	mpz_t p, q;
	mpz_inits(p, q, NULL);
	fx->params.stop = stop_now;
	int partial = 0;
	for (unsigned long i = 0; i < 20; i++) {
		mpz_set_ui(p, 4000000000ul + 7919ul * i);
		mpz_nextprime(p, p);
		mpz_set_ui(q, 4100000000ul + 104729ul * i);
		mpz_nextprime(q, q);
		mpz_mul(fx->n, p, q);
		int r = engine_factor(&fx->res, fx->n, &fx->params);
		if (r == STATUS_PARTIAL) {
			check_partial(fx);
			partial++;
		} else {
			assert_int_equal(r, STATUS_OK);
			assert_int_equal(fx->res.count, 2);
			assert_int_equal(engine_verify(&fx->res, fx->n),
					 STATUS_OK);
		}
	}
	assert_true(partial >= 1);
	mpz_ui_pow_ui(p, 2, 50);
	mpz_nextprime(p, p);
	mpz_ui_pow_ui(q, 2, 51);
	mpz_nextprime(q, q);
	mpz_mul(fx->n, p, q);
	assert_int_equal(engine_factor(&fx->res, fx->n, &fx->params),
			 STATUS_PARTIAL);
	check_partial(fx);
	assert_int_equal(fx->res.count, 1);
	mpz_clears(p, q, NULL);
}

/* ---- the checker fails on planted faults ---- */

static void plant(struct engine_result *res, const unsigned long *p,
		  const unsigned long *e, const int *kind, size_t count)
{
	engine_result_reset(res);
	/* grow through the API, then overwrite in place */
	mpz_t t;
	mpz_init(t);
	for (size_t i = 0; i < count; i++) {
		mpz_set_ui(t, 1000003 + 2 * i);
		engine_result_add(res, t, 1, ENGINE_COMPOSITE);
	}
	mpz_clear(t);
	assert_int_equal(res->count, count);
	for (size_t i = 0; i < count; i++) {
		mpz_set_ui(res->f[i].p, p[i]);
		res->f[i].e = e[i];
		res->f[i].kind = kind[i];
	}
}

static void verify_fails_on_planted_faults(void **state)
{
	struct fixture *fx = *state;
	struct engine_result *r = &fx->res;
	const int P = ENGINE_PRIME, C = ENGINE_COMPOSITE;
	mpz_set_ui(fx->n, 60);
	/* the right answer passes: 2^2 3 5 */
	plant(r, (const unsigned long[]){ 2, 3, 5 },
	      (const unsigned long[]){ 2, 1, 1 }, (const int[]){ P, P, P }, 3);
	assert_int_equal(engine_verify(r, fx->n), STATUS_OK);
	/* wrong product: 2 3 5 */
	plant(r, (const unsigned long[]){ 2, 3, 5 },
	      (const unsigned long[]){ 1, 1, 1 }, (const int[]){ P, P, P }, 3);
	assert_int_equal(engine_verify(r, fx->n), STATUS_ERR_VERIFY);
	/* a composite marked prime: 4 15 */
	plant(r, (const unsigned long[]){ 4, 15 },
	      (const unsigned long[]){ 1, 1 }, (const int[]){ P, P }, 2);
	assert_int_equal(engine_verify(r, fx->n), STATUS_ERR_VERIFY);
	/* a prime marked composite: 4 3 5 with 3 "composite" */
	plant(r, (const unsigned long[]){ 2, 3, 5 },
	      (const unsigned long[]){ 2, 1, 1 }, (const int[]){ P, C, P }, 3);
	assert_int_equal(engine_verify(r, fx->n), STATUS_ERR_VERIFY);
	/* unsorted: 3 2^2 5 */
	plant(r, (const unsigned long[]){ 3, 2, 5 },
	      (const unsigned long[]){ 1, 2, 1 }, (const int[]){ P, P, P }, 3);
	assert_int_equal(engine_verify(r, fx->n), STATUS_ERR_VERIFY);
	/* repeated entry: 2 2 15 */
	plant(r, (const unsigned long[]){ 2, 2, 15 },
	      (const unsigned long[]){ 1, 1, 1 }, (const int[]){ P, P, C }, 3);
	assert_int_equal(engine_verify(r, fx->n), STATUS_ERR_VERIFY);
	/* not coprime: 2 30 (composite) */
	plant(r, (const unsigned long[]){ 2, 30 },
	      (const unsigned long[]){ 1, 1 }, (const int[]){ P, C }, 2);
	assert_int_equal(engine_verify(r, fx->n), STATUS_ERR_VERIFY);
	/* not coprime, both composite: 6 10 with n = 60 */
	plant(r, (const unsigned long[]){ 6, 10 },
	      (const unsigned long[]){ 1, 1 }, (const int[]){ C, C }, 2);
	assert_int_equal(engine_verify(r, fx->n), STATUS_ERR_VERIFY);
	/* a zero exponent and a factor 1 */
	plant(r, (const unsigned long[]){ 2, 3, 5, 7 },
	      (const unsigned long[]){ 2, 1, 1, 0 },
	      (const int[]){ P, P, P, P }, 4);
	assert_int_equal(engine_verify(r, fx->n), STATUS_ERR_VERIFY);
	plant(r, (const unsigned long[]){ 1, 2, 3, 5 },
	      (const unsigned long[]){ 1, 2, 1, 1 },
	      (const int[]){ P, P, P, P }, 4);
	assert_int_equal(engine_verify(r, fx->n), STATUS_ERR_VERIFY);
	/* n = 1 must have an empty list */
	mpz_set_ui(fx->n, 1);
	plant(r, (const unsigned long[]){ 2 }, (const unsigned long[]){ 1 },
	      (const int[]){ P }, 1);
	assert_int_equal(engine_verify(r, fx->n), STATUS_ERR_VERIFY);
	/* above 2^128: a wrong product through the GMP path */
	mpz_set_str(fx->n, "1296000001043967600280315933585089227735761", 10);
	assert_int_equal(engine_factor(r, fx->n, NULL), STATUS_OK);
	mpz_add_ui(r->f[1].p, r->f[1].p, 2);
	assert_int_equal(engine_verify(r, fx->n), STATUS_ERR_VERIFY);
	/* and a probable prime replaced by a composite */
	assert_int_equal(engine_factor(r, fx->n, NULL), STATUS_OK);
	mpz_mul_ui(fx->n, fx->n, 3);
	mpz_mul_ui(r->f[1].p, r->f[1].p, 3);
	assert_int_equal(engine_verify(r, fx->n), STATUS_ERR_VERIFY);
}

/* ---- primality of the GMP tier ---- */

static void prime_p_mpz_verdicts(void **state)
{
	struct fixture *fx = *state;
	mpz_set_ui(fx->n, 4294967291u);
	assert_int_equal(prime_p_mpz(fx->n), 2);
	mpz_set_str(fx->n, "340282366920938463463374607431768211297", 10);
	assert_int_equal(prime_p_mpz(fx->n), 1);
	mpz_set_str(fx->n, "1296000001043967600280315933585089227735761", 10);
	assert_int_equal(prime_p_mpz(fx->n), 0); /* Carmichael */
	mpz_set_ui(fx->n, 3215031751u);          /* spsp(2,3,5,7) */
	assert_int_equal(prime_p_mpz(fx->n), 0);
	/* 2^2^7+1 composite, 2^127-1 prime */
	mpz_ui_pow_ui(fx->n, 2, 128);
	mpz_add_ui(fx->n, fx->n, 1);
	assert_int_equal(prime_p_mpz(fx->n), 0);
	mpz_ui_pow_ui(fx->n, 2, 127);
	mpz_sub_ui(fx->n, fx->n, 1);
	assert_int_equal(prime_p_mpz(fx->n), 1);
}

/* ---- the SIQS seam (linked with -Wl,--wrap=siqs_factor) ---- */

enum siqs_plant {
	SIQS_REAL,
	SIQS_REFUSES,
	SIQS_TRIVIAL,
	SIQS_BAD_FACTOR,
	SIQS_ORACLE, /* gcd(n, siqs_oracle): a sieve that takes no time */
	SIQS_SLOW    /* finds nothing: SLOW_POLLS slices of SLOW_SLICE_S CPU
			seconds, the stop hook polled before each */
};
/* The slow sieve: 40 slices of 5 ms, 0.2 s of CPU per call, long enough
   for the first interleaved curve (run at the first poll), short enough
   that the runs the whole input makes to the end cost little. */
enum { SLOW_POLLS = 40 };
static const double SLOW_SLICE_S = 0.005;
static enum siqs_plant siqs_plant = SIQS_REAL;
static int siqs_calls;
static const char *siqs_oracle;

/* The slow plant: CPU burnt in slices, the stop hook between them. */
static int slow_sieve(const struct siqs_params *p)
{
	for (int i = 0; i < SLOW_POLLS; i++) {
		if (p->stop != NULL && p->stop(p->stop_arg))
			return STATUS_ERR_STOPPED;
		double end = engine_cpu_now() + SLOW_SLICE_S;
		while (engine_cpu_now() < end)
			;
	}
	return STATUS_NOT_FOUND;
}

int __real_siqs_factor(mpz_t f, const mpz_t n, const struct siqs_params *p);
int __wrap_siqs_factor(mpz_t f, const mpz_t n, const struct siqs_params *p);
int __wrap_siqs_factor(mpz_t f, const mpz_t n, const struct siqs_params *p)
{
	siqs_calls++;
	switch (siqs_plant) {
	case SIQS_REFUSES: return STATUS_ERR_INVAL;
	case SIQS_TRIVIAL: mpz_set_ui(f, 1); return STATUS_NOT_FOUND;
	case SIQS_BAD_FACTOR: mpz_set_ui(f, 2); return STATUS_FOUND;
	case SIQS_ORACLE:
		mpz_set_str(f, siqs_oracle, 10);
		mpz_gcd(f, f, n);
		return mpz_cmp_ui(f, 1) > 0 && mpz_cmp(f, n) < 0
			? STATUS_FOUND
			: STATUS_NOT_FOUND;
	case SIQS_SLOW: return slow_sieve(p);
	default: return __real_siqs_factor(f, n, p);
	}
}

static void siqs_failures_fall_back_to_ecm(void **state)
{
	struct fixture *fx = *state;
	/* 45 digits, an 18-digit factor: the short pretest (0.272 D - 4.6 =
	 * 7.6 digits: no curve) misses it, SIQS is called, then ECM must
	 * find it */
	const char *n = "210000000000000011900000011700000000000000663";
	const char *want = " 300000000000000017 700000000000000000000000039";
	siqs_plant = SIQS_REFUSES;
	siqs_calls = 0;
	expect_factors(fx, n, want);
	assert_int_equal(siqs_calls, 1); /* a refusal is final */
	siqs_plant = SIQS_TRIVIAL;
	siqs_calls = 0;
	expect_factors(fx, n, want);
	assert_int_equal(siqs_calls, 2); /* retried once, other seed */
	siqs_plant = SIQS_BAD_FACTOR;
	siqs_calls = 0;
	expect_factors(fx, n, want);
	assert_int_equal(siqs_calls, 2); /* a non-divisor is no factor */
	siqs_plant = SIQS_REAL;
}

/*
 * The ECM depth before SIQS (engine_mpz.c, pretest_digits), issue 20's
 * 82-digit cofactor c = 1970719660202909647082357 (25 digits) x a
 * 57-digit prime.  As a proper divisor of the input (6 c: trial division
 * removed 2 and 3) it is a random composite's cofactor: ECM runs to
 * 0.35 D - 4.5 = 24.2 digits (30 curves at B1 = 2e3, 90 at 11e3, 202 at
 * 5e4) and, with the default seed, finds the 25-digit factor there, so
 * SIQS is never called.  The whole input c (no factor removed: maybe an
 * RSA-style semiprime) keeps the short depth 0.272 D - 4.6 = 17.7 digits
 * and reaches the sieve (a planted one that answers at once).  Counts of
 * SIQS calls, no timing.
 */
static void ecm_depth_follows_the_cofactors_history(void **state)
{
	struct fixture *fx = *state;
	const char *p25 = "1970719660202909647082357";
	const char *want = " 1970719660202909647082357"
			   " 657695716672544618670637783685641283009746"
			   "991455090679687";
	siqs_oracle = p25;
	siqs_plant = SIQS_ORACLE;
	siqs_calls = 0;
	expect_factors(fx,
		       "7776803275666957607994197006113980091483835492049"
		       "194569693390473381276861575893554",
		       " 2 3 1970719660202909647082357"
		       " 657695716672544618670637783685641283009746"
		       "991455090679687");
	assert_int_equal(siqs_calls, 0);
	siqs_calls = 0;
	expect_factors(fx,
		       "1296133879277826267999032834352330015247305915341"
		       "532428282231745563546143595982259",
		       want);
	assert_int_equal(siqs_calls, 1);
	siqs_plant = SIQS_REAL;
	siqs_oracle = NULL;
}

/*
 * ECM beside the sieve (engine_mpz.c, "Interleaving"): a 64-digit proper
 * divisor p19 q44 of 1009 p19 q44 gets 0.35 D - 4.5 = 17.2 digits of
 * pretest, which with the default seed misses p19; the schedule's next
 * curve, run by SIQS's stop hook at the sieve's first poll, finds it, so
 * the sieve (a planted one that never succeeds) is cut after one call.
 * Without interleaving the sieve would run to its end twice and ECM
 * would find p19 after it.  The whole input p19 q44 (nothing removed: it
 * may be a balanced semiprime) runs the sieve alone: no curve beside it,
 * two full sieve runs, then ECM.  Counts, no timing.
 */
static void ecm_interleaves_with_the_sieve_of_a_divisor(void **state)
{
	struct fixture *fx = *state;
	struct engine_stats st;
	const char *pq = " 1432725911443175087"
			 " 10769191174602363971121363652318289059412261";

	memset(&st, 0, sizeof st);
	fx->params.stats = &st;
	siqs_plant = SIQS_SLOW;
	siqs_calls = 0;
	expect_factors(fx,
		       "1556816293430821094197349048810012023279160331383"
		       "3466468979582363",
		       " 1009 1432725911443175087"
		       " 10769191174602363971121363652318289059412261");
	assert_int_equal(siqs_calls, 1);
	assert_int_equal(st.siqs_runs, 1);
	assert_int_equal(st.siqs_cut, 1);
	assert_true(st.interleaved >= 1);

	memset(&st, 0, sizeof st);
	siqs_calls = 0;
	expect_factors(fx,
		       "1542929924113796921900246827363738377878256027139"
		       "0947937541707",
		       pq);
	assert_int_equal(siqs_calls, 2);
	assert_int_equal(st.siqs_cut, 0);
	assert_int_equal(st.interleaved, 0);
	assert_true(st.ecm_curves > 0);
	fx->params.stats = NULL;
	siqs_plant = SIQS_REAL;
}

/*
 * The 128-bit tier's split (engine_u128.c, split_u128): which cofactors
 * reach SIQS.  Balanced 72- and 82-bit semiprimes go to SIQS after the
 * two B1 = 150 curves (SIQS_MIN_BITS128 = 68: the old 86 bits kept both
 * with ECM-128, 74 the first); a balanced 66-bit one stays with ECM-128;
 * a 20-bit factor of a 128-bit number is found by the curves (no rho runs
 * any more), so SIQS never sees it.  A SIQS that refuses leaves the
 * cofactor to ECM-128, which must still split it.
 */
static void u128_split_sends_balanced_cofactors_to_siqs(void **state)
{
	struct fixture *fx = *state;
	static const char *const balanced[][2] = {
		{ "2805982412605043296411", " 43948242077 63847432343" },
		{ "2446038367659661494517279", " 1152542860531 2122297097509" },
	};
	siqs_plant = SIQS_REAL;
	for (unsigned i = 0; i < 2; i++) {
		siqs_calls = 0;
		expect_factors(fx, balanced[i][0], balanced[i][1]);
		assert_int_equal(siqs_calls, 1);
	}
	siqs_calls = 0;
	expect_factors(fx, "54644836603017943811", " 6835534733 7994229967");
	assert_int_equal(siqs_calls, 0);
	expect_factors(fx, "174147365005382509673825364790456621001",
		       " 536633 324518553658426726783156020577297");
	assert_int_equal(siqs_calls, 0);
	siqs_plant = SIQS_REFUSES;
	for (unsigned i = 0; i < 2; i++) {
		siqs_calls = 0;
		expect_factors(fx, balanced[i][0], balanced[i][1]);
		assert_int_equal(siqs_calls, 1);
	}
	siqs_plant = SIQS_REAL;
}

/* ---- differential: PARI/GP above 2^128 ---- */

static void gp_differential_above_2_128(void **state)
{
	struct fixture *fx = *state;
	if (system("command -v gp >/dev/null 2>&1") != 0) {
		skip();
		return;
	}
	/* 12 products of random primes, 130 to 230 bits, second-largest
	 * factor at most 64 bits so ECM's low levels finish quickly */
	char path[] = "/tmp/test_engine_gpXXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	FILE *in = fdopen(fd, "w");
	assert_non_null(in);
	uint64_t rng = 12345;
	gmp_randstate_t rs;
	gmp_randinit_default(rs);
	gmp_randseed_ui(rs, 777);
	mpz_t nums[12], p;
	mpz_init(p);
	for (int i = 0; i < 12; i++) {
		mpz_init_set_ui(nums[i], 1);
		while (mpz_sizeinbase(nums[i], 2) < 130) {
			unsigned bits = 2 + (unsigned)(engine_rand(&rng) % 62);
			mpz_urandomb(p, rs, bits);
			mpz_nextprime(p, p);
			mpz_mul(nums[i], nums[i], p);
		}
		/* a large prime on top, up to 230 bits in all */
		unsigned big = 20 + (unsigned)(engine_rand(&rng) % 80);
		mpz_urandomb(p, rs, big);
		mpz_nextprime(p, p);
		if (engine_rand(&rng) % 3 == 0)
			mpz_mul(nums[i], nums[i], p); /* repeated */
		mpz_mul(nums[i], nums[i], p);
		gmp_fprintf(in,
			    "v=factor(%Zd);s=\"\";for(i=1,#v~,"
			    "for(j=1,v[i,2],s=Str(s,\" \",v[i,1])));print(s)\n",
			    nums[i]);
	}
	fclose(in);
	char cmd[256];
	snprintf(cmd, sizeof cmd, "gp -q -f --default parisize=64000000 < %s",
		 path);
	FILE *out = popen(cmd, "r");
	assert_non_null(out);
	static char line[8192];
	for (int i = 0; i < 12; i++) {
		assert_non_null(fgets(line, sizeof line, out));
		line[strcspn(line, "\n")] = '\0';
		char *s = mpz_get_str(NULL, 10, nums[i]);
		expect_factors(fx, s, line);
		free(s);
		mpz_clear(nums[i]);
	}
	pclose(out);
	remove(path);
	mpz_clear(p);
	gmp_randclear(rs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(coreutils_vectors, setup,
						teardown),
		cmocka_unit_test_setup_teardown(zero_and_one_are_empty, setup,
						teardown),
		cmocka_unit_test_setup_teardown(negative_is_invalid, setup,
						teardown),
		cmocka_unit_test_setup_teardown(primes_below_powers_of_two,
						setup, teardown),
		cmocka_unit_test_setup_teardown(prime_powers, setup, teardown),
		cmocka_unit_test_setup_teardown(repeated_large_factors, setup,
						teardown),
		cmocka_unit_test_setup_teardown(carmichael_numbers, setup,
						teardown),
		cmocka_unit_test_setup_teardown(semiprime_of_two_100_bit_primes,
						setup, teardown),
		cmocka_unit_test_setup_teardown(fermat_and_mersenne_numbers,
						setup, teardown),
		cmocka_unit_test_setup_teardown(deterministic_for_a_seed, setup,
						teardown),
		cmocka_unit_test_setup_teardown(small_numbers_reuse_the_result,
						setup, teardown),
		cmocka_unit_test_setup_teardown(add_keeps_sorted_and_merges,
						setup, teardown),
		cmocka_unit_test_setup_teardown(add_refines_shared_factors,
						setup, teardown),
		cmocka_unit_test_setup_teardown(time_limit_gives_partial, setup,
						teardown),
		cmocka_unit_test_setup_teardown(stop_hook_partial_below_2_128,
						setup, teardown),
		cmocka_unit_test_setup_teardown(verify_fails_on_planted_faults,
						setup, teardown),
		cmocka_unit_test_setup_teardown(prime_p_mpz_verdicts, setup,
						teardown),
		cmocka_unit_test_setup_teardown(siqs_failures_fall_back_to_ecm,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			ecm_depth_follows_the_cofactors_history, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			ecm_interleaves_with_the_sieve_of_a_divisor, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			u128_split_sends_balanced_cofactors_to_siqs, setup,
			teardown),
		cmocka_unit_test_setup_teardown(gp_differential_above_2_128,
						setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
