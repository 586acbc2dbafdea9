/*
 * test_engine_small.c - unit tests for the native tiers of the engine:
 * trial division (engine_tdiv.c), the 64-bit tier (engine_u64.c) and the
 * 128-bit tier (engine_u128.c).
 *
 * Oracles: GMP's mpz_probab_prime_p with 30 rounds for every reported
 * prime, and the product of the factors against n.  Known-answer vectors
 * are named for what they guard; the checker itself is shown to reject
 * planted wrong answers.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <gmp.h>

#include "engine_int.h"
#include "status.h"

/* Largest sizes the random tests reach (bits of n). */
enum { RANDOM_MAX_BITS = 128, SEMIPRIME_MAX_BITS = 128 };

/* ---- helpers ---- */

static u128 u128_from_str(const char *s)
{
	u128 v = 0;
	for (; *s; s++)
		v = v * 10 + (unsigned)(*s - '0');
	return v;
}

/*
 * 1 when out is a correct complete factorization of n: strictly ascending
 * factors, product n, every factor not marked composite a probable prime
 * (30 Miller-Rabin rounds), every factor marked composite composite.
 */
static int factorization_ok(u128 n, const struct small_factors *out,
			    int allow_composite)
{
	mpz_t prod, p, want;
	int ok = 1;
	mpz_inits(prod, p, want, NULL);
	mpz_set_ui(prod, 1);
	mpz_set_u128(want, n);
	if (n <= 1 && out->n != 0)
		ok = 0;
	for (int i = 0; i < out->n && ok; i++) {
		if (i > 0 && out->p[i - 1] >= out->p[i])
			ok = 0;
		if (out->e[i] == 0 || out->p[i] < 2)
			ok = 0;
		mpz_set_u128(p, out->p[i]);
		int prime = mpz_probab_prime_p(p, 30) > 0;
		if (out->composite[i]) {
			if (!allow_composite || prime)
				ok = 0;
		} else if (!prime) {
			ok = 0;
		}
		mpz_pow_ui(p, p, out->e[i]);
		mpz_mul(prod, prod, p);
	}
	if (n > 1 && mpz_cmp(prod, want) != 0)
		ok = 0;
	mpz_clears(prod, p, want, NULL);
	return ok;
}

static void check_u128(u128 n)
{
	struct small_factors out;
	int st = factor_u128(n, &out, NULL);
	assert_int_equal(st, STATUS_OK);
	if (!factorization_ok(n, &out, 0)) {
		char buf[64];
		mpz_t z;
		mpz_init(z);
		mpz_set_u128(z, n);
		gmp_snprintf(buf, sizeof buf, "%Zd", z);
		mpz_clear(z);
		fail_msg("bad factorization of %s", buf);
	}
}

static void check_u64(uint64_t n)
{
	struct small_factors out;
	int st = factor_u64(n, &out, NULL);
	assert_int_equal(st, STATUS_OK);
	if (!factorization_ok(n, &out, 0))
		fail_msg("bad factorization of %llu", (unsigned long long)n);
}

/* Compare the factor list with a space-separated expected list. */
static void expect_factors(const char *n_str, const char *want)
{
	u128 n = u128_from_str(n_str);
	struct small_factors out;
	char got[512] = "";
	size_t len = 0;
	assert_int_equal(factor_u128(n, &out, NULL), STATUS_OK);
	for (int i = 0; i < out.n; i++) {
		mpz_t z;
		mpz_init(z);
		mpz_set_u128(z, out.p[i]);
		for (unsigned e = 0; e < out.e[i]; e++)
			len += (size_t)gmp_snprintf(got + len, sizeof got - len,
						    "%s%Zd", len ? " " : "", z);
		mpz_clear(z);
	}
	if (strcmp(got, want) != 0)
		fail_msg("%s: got '%s', want '%s'", n_str, got, want);
	if ((n >> 64) == 0) {
		assert_int_equal(factor_u64((uint64_t)n, &out, NULL),
				 STATUS_OK);
		assert_true(factorization_ok(n, &out, 0));
	}
}

/* ---- the checker can fail ---- */

static void checker_rejects_planted_faults(void **state)
{
	(void)state;
	struct small_factors out;
	assert_int_equal(factor_u64(1000000000001ull, &out, NULL), STATUS_OK);
	assert_true(factorization_ok(1000000000001ull, &out, 0));
	struct small_factors bad = out;
	bad.e[0]++; /* wrong product */
	assert_false(factorization_ok(1000000000001ull, &bad, 0));
	bad = out; /* composite reported as prime: 73*137 in place of 73, 137 */
	bad.n = 2;
	bad.p[0] = 73 * 137;
	bad.e[0] = 1;
	bad.p[1] = 99990001;
	bad.e[1] = 1;
	assert_false(factorization_ok(1000000000001ull, &bad, 0));
	bad = out; /* unsorted */
	u128 t = bad.p[0];
	bad.p[0] = bad.p[1];
	bad.p[1] = t;
	assert_false(factorization_ok(1000000000001ull, &bad, 0));
}

/*
 * The hot-path check (small_verify_u64, engine_verify.c) must catch a
 * wrong product, a repeated or unsorted entry, a zero exponent, a prime
 * marked composite and a value of 2^64 or more; it trusts claimed primes
 * (see engine_verify.c).
 */
static void small_verify_rejects_planted_faults(void **state)
{
	(void)state;
	const uint64_t n = 1000000000001ull; /* 73 137 99990001 */
	struct small_factors out, bad;
	assert_int_equal(factor_u64(n, &out, NULL), STATUS_OK);
	assert_int_equal(out.n, 3);
	assert_int_equal(small_verify_u64(&out, n), STATUS_OK);
	assert_int_equal(small_verify_u64(&out, n + 2), STATUS_ERR_VERIFY);
	bad = out;
	bad.e[2] = 2; /* product overflows past n */
	assert_int_equal(small_verify_u64(&bad, n), STATUS_ERR_VERIFY);
	bad = out;
	bad.e[0] = 0;
	assert_int_equal(small_verify_u64(&bad, n), STATUS_ERR_VERIFY);
	bad = out; /* unsorted */
	bad.p[0] = out.p[1];
	bad.p[1] = out.p[0];
	assert_int_equal(small_verify_u64(&bad, n), STATUS_ERR_VERIFY);
	bad = out; /* a prime marked as a composite leftover */
	bad.composite[2] = 1;
	assert_int_equal(small_verify_u64(&bad, n), STATUS_ERR_VERIFY);
	bad = out; /* 73 and 137 merged: a real composite mark passes */
	bad.n = 2;
	bad.p[0] = 73 * 137;
	bad.composite[0] = 1;
	bad.p[1] = 99990001;
	bad.composite[1] = 0;
	assert_int_equal(small_verify_u64(&bad, n), STATUS_OK);
	bad.p[1] = (u128)99990001 << 64; /* above the tier */
	assert_int_equal(small_verify_u64(&bad, n), STATUS_ERR_VERIFY);
	bad.n = -1;
	assert_int_equal(small_verify_u64(&bad, n), STATUS_ERR_VERIFY);
}

/*
 * prime_p_u64 below 4759123141 runs bases 7 and 61 as one interleaved
 * pair after base 2: each chain must still be able to reject alone.
 * Strong pseudoprimes to 2 and 61 but not 7 (found by a Python scan,
 * checked with gp), and to 2 and 7 but not 61.
 */
static void kat_sprp_pair_each_base_rejects(void **state)
{
	(void)state;
	static const uint64_t spsp_2_61[] = { 916327, 2205967, 2387797 };
	static const uint64_t spsp_2_7[] = { 3215031751ull };
	for (size_t i = 0; i < 3; i++)
		assert_false(prime_p_u64(spsp_2_61[i]));
	assert_false(prime_p_u64(spsp_2_7[0]));
	/* and the primes next to them pass */
	assert_true(prime_p_u64(916337));
	assert_true(prime_p_u64(4294967291u));
}

/* ---- known answers ---- */

static void kat_trivial_inputs(void **state)
{
	(void)state;
	struct small_factors out;
	out.n = 7;
	assert_int_equal(factor_u64(0, &out, NULL), STATUS_OK);
	assert_int_equal(out.n, 0);
	assert_int_equal(factor_u64(1, &out, NULL), STATUS_OK);
	assert_int_equal(out.n, 0);
	assert_int_equal(factor_u128(0, &out, NULL), STATUS_OK);
	assert_int_equal(out.n, 0);
	assert_int_equal(factor_u128(1, &out, NULL), STATUS_OK);
	assert_int_equal(out.n, 0);
	expect_factors("2", "2");
	expect_factors("3", "3");
	expect_factors("4", "2 2");
}

static void kat_word_boundaries(void **state)
{
	(void)state;
	expect_factors("4294967291", "4294967291");       /* prime < 2^32 */
	expect_factors("4294967311", "4294967311");       /* prime > 2^32 */
	expect_factors("4294967295", "3 5 17 257 65537"); /* 2^32-1 */
	expect_factors("4294967296",
		       "2 2 2 2 2 2 2 2 2 2 2 2 2 2 2 2 2 2 2 2 2 2 2 2 2 2 2 "
		       "2 2 2 2 2");
	expect_factors("18446744073709551557", "18446744073709551557");
	expect_factors("18446744073709551615", /* 2^64-1 */
		       "3 5 17 257 641 65537 6700417");
	expect_factors("18446744073709551629", "18446744073709551629");
	expect_factors("18446744073709551616", /* 2^64 */
		       "2 2 2 2 2 2 2 2 2 2 2 2 2 2 2 2 2 2 2 2 2 2 2 2 2 2 2 "
		       "2 2 2 2 2 2 2 2 2 2 2 2 2 2 2 2 2 2 2 2 2 2 2 2 2 2 2 "
		       "2 2 2 2 2 2 2 2 2 2");
	/* 2^128-159, the largest prime below 2^128 */
	expect_factors("340282366920938463463374607431768211297",
		       "340282366920938463463374607431768211297");
	/* 2^128-1 = F0 F1 F2 F3 F4 F5 F6 */
	expect_factors("340282366920938463463374607431768211455",
		       "3 5 17 257 641 65537 274177 6700417 67280421310721");
}

static void kat_prime_powers(void **state)
{
	(void)state;
	/* 4294967291^2, 4294967291^3 */
	expect_factors("18446744030759878681", "4294967291 4294967291");
	expect_factors("79228162237563176810023223171",
		       "4294967291 4294967291 4294967291");
	/* 2642239^3 < 2^64, 2642239 prime */
	expect_factors("18446598518342697919", "2642239 2642239 2642239");
	/* (2^64-59)^2 */
	expect_factors("340282366920938461286658806734041124249",
		       "18446744073709551557 18446744073709551557");
	/* 1093^2 and 3511^2: Wieferich squares, base-2 pseudoprimes */
	expect_factors("1194649", "1093 1093");
	expect_factors("12327121", "3511 3511");
	/* odd perfect powers above 2^64 (SIQS must never see them): 1000003^5,
	 * 10007^7, 1009^11, 65537^7, 4294967291^3 * 3 */
	expect_factors("1000015000090000270000405000243",
		       "1000003 1000003 1000003 1000003 1000003");
	expect_factors("10049103020134070302936253543",
		       "10007 10007 10007 10007 10007 10007 10007");
	expect_factors(
		"1103577477657749245825477904470609",
		"1009 1009 1009 1009 1009 1009 1009 1009 1009 1009 1009");
	expect_factors("5192851481060515336695158019653633",
		       "65537 65537 65537 65537 65537 65537 65537");
	expect_factors("237684486712689530430069669513",
		       "3 4294967291 4294967291 4294967291");
	/* 65521^4 */
	expect_factors("18429861372428076481", "65521 65521 65521 65521");
}

static void kat_carmichael(void **state)
{
	(void)state;
	expect_factors("561", "3 11 17");
	expect_factors("41041", "7 11 13 41");
	expect_factors("3215031751", "151 751 28351");
	expect_factors("3825123056546413051", "149491 747451 34233211");
	assert_false(prime_p_u64(561));
	assert_false(prime_p_u64(3215031751ull));
	assert_false(prime_p_u64(3825123056546413051ull));
}

static void kat_base2_pseudoprimes_rejected(void **state)
{
	(void)state;
	static const uint64_t spsp2[] = {
		2047,
		3277,
		4033,
		4681,
		8321,
		15841,
		29341,
		42799,
		49141,
		52633,
		65281,
		74665,
		80581,
		85489,
		88357,
		90751,
		1194649,
		12327121,
		3825123056546413051ull,
		318665857834031151ull,
		/* large strong base-2 pseudoprimes */
		1122004669633ull,
		4611686014132420609ull /* (2^31-1)^2 */,
	};
	for (size_t i = 0; i < sizeof spsp2 / sizeof spsp2[0]; i++) {
		mpz_t z;
		mpz_init_set_ui(z, (unsigned long)spsp2[i]);
		int want = mpz_probab_prime_p(z, 30) > 0;
		mpz_clear(z);
		assert_int_equal(prime_p_u64(spsp2[i]), want);
		assert_int_equal(prime_p_u128(spsp2[i]), want);
	}
	/* strong Lucas pseudoprimes: caught by the base-2 test */
	static const uint64_t slpsp[] = { 5459, 5777, 10877, 16109, 18971 };
	for (size_t i = 0; i < sizeof slpsp / sizeof slpsp[0]; i++)
		assert_false(prime_p_u64(slpsp[i]));
	/* above 2^64: strong pseudoprimes to many bases */
	assert_false(prime_p_u128(u128_from_str("318665857834031151167461")));
	assert_false(prime_p_u128(u128_from_str("3317044064679887385961981")));
	expect_factors("318665857834031151167461", "399165290221 798330580441");
	expect_factors("3317044064679887385961981",
		       "1287836182261 2575672364521");
}

static void kat_primes_near_boundaries(void **state)
{
	(void)state;
	assert_true(prime_p_u64(4294967291u));
	assert_true(prime_p_u64(4294967311ull));
	assert_true(prime_p_u64(18446744073709551557ull));
	assert_false(prime_p_u64(18446744073709551615ull));
	assert_true(prime_p_u128(u128_from_str("18446744073709551629")));
	assert_true(prime_p_u128(
		u128_from_str("340282366920938463463374607431768211297")));
	assert_false(prime_p_u128(~(u128)0));
	for (uint64_t n = 0; n < 4; n++)
		assert_int_equal(prime_p_u64(n), n >= 2);
}

/* ---- exhaustive and differential ---- */

static void range_1_to_200000(void **state)
{
	(void)state;
	for (uint64_t n = 1; n <= 200000; n++)
		check_u64(n);
}

static void prime_p_matches_gmp_below_2e6(void **state)
{
	(void)state;
	mpz_t z;
	mpz_init(z);
	for (uint64_t n = 0; n < 2000000; n++) {
		mpz_set_ui(z, (unsigned long)n);
		int want = mpz_probab_prime_p(z, 30) > 0;
		if (prime_p_u64(n) != want)
			fail_msg("prime_p_u64(%llu)", (unsigned long long)n);
	}
	mpz_clear(z);
}

/* Both sides of the 2,7,61 / BPSW switch at 4759123141, and near 2^64. */
static void prime_p_matches_gmp_at_switch_and_top(void **state)
{
	(void)state;
	mpz_t z;
	mpz_init(z);
	static const uint64_t base[] = { 4759123141ull - 100001,
					 4294967296ull - 50001,
					 18446744073709551615ull - 100001 };
	for (size_t b = 0; b < sizeof base / sizeof base[0]; b++) {
		for (uint64_t n = base[b]; n < base[b] + 100000; n += 2) {
			mpz_set_ui(z, (unsigned long)n);
			int want = mpz_probab_prime_p(z, 30) > 0;
			if (prime_p_u64(n) != want)
				fail_msg("prime_p_u64(%llu)",
					 (unsigned long long)n);
		}
	}
	/* strong pseudoprimes to bases 2, 7 and 61 together: none below
	 * 4759123141, the first is that number itself (= 48781 * 97561) */
	assert_false(prime_p_u64(4759123141ull));
	mpz_clear(z);
}

static uint64_t rng_state = 12345;
static uint64_t test_rand(void)
{
	return engine_rand(&rng_state);
}

/* Random numbers of each bit length up to 128. */
static void random_each_size_to_128_bits(void **state)
{
	(void)state;
	rng_state = 12345;
	for (int bits = 2; bits <= RANDOM_MAX_BITS; bits++) {
		int count = bits <= 64 ? 60 : 12;
		for (int i = 0; i < count; i++) {
			u128 v = ((u128)test_rand() << 64) | test_rand();
			v >>= 128 - bits;
			v |= (u128)1 << (bits - 1);
			check_u128(v);
			if (bits <= 64)
				check_u64((uint64_t)v);
		}
	}
}

/* Random products of two primes of every size: the hard case. */
static void random_semiprimes_to_128_bits(void **state)
{
	(void)state;
	mpz_t p, q;
	mpz_inits(p, q, NULL);
	rng_state = 777;
	for (int bits = 4; bits <= SEMIPRIME_MAX_BITS; bits += 2) {
		int count = bits <= 48 ? 40
			: bits <= 80   ? 6
			: bits <= 110  ? 2
				       : 1;
		for (int i = 0; i < count; i++) {
			uint64_t a = test_rand() >> (64 - bits / 2);
			uint64_t b = test_rand() >> (64 - bits / 2);
			if (bits == 128) { /* keep both below 2^64 - 59 */
				a >>= 1;
				b >>= 1;
			}
			mpz_set_ui(p, (unsigned long)(a | 2));
			mpz_set_ui(q, (unsigned long)(b | 2));
			mpz_nextprime(p, p);
			mpz_nextprime(q, q);
			u128 n = (u128)mpz_get_ui(p) * mpz_get_ui(q);
			check_u128(n);
		}
	}
	mpz_clears(p, q, NULL);
}

/* ---- single methods ---- */

static void rho_u64_finds_factor(void **state)
{
	(void)state;
	static const uint64_t n[] = {
		1000000016000000063ull, /* 1000000007 * 1000000009 */
		4294967279ull * 4294967291ull, 10403, 999962000357ull
	};
	for (size_t i = 0; i < sizeof n / sizeof n[0]; i++) {
		uint64_t f = 0;
		for (uint64_t c = 1; f == 0 && c < 10; c++)
			f = rho_u64(n[i], c, 1u << 24);
		assert_true(f > 1 && f < n[i] && n[i] % f == 0);
	}
}

static void ecm_u64_finds_factor(void **state)
{
	(void)state;
	static const uint64_t n[] = {
		1000000016000000063ull, /* 1000000007 * 1000000009 */
		4294967279ull * 4294967291ull, 999962000357ull,
		281474976710597ull * 65521ull, 4611686014132420609ull + 2
	};
	for (size_t i = 0; i < sizeof n / sizeof n[0]; i++) {
		if (prime_p_u64(n[i]))
			continue;
		uint64_t f = 0;
		for (uint64_t seed = 1; f == 0 && seed < 20; seed++)
			f = ecm_u64(n[i], 16, seed);
		assert_true(f > 1 && f < n[i] && n[i] % f == 0);
	}
	/* determinism: the same seed gives the same factor */
	assert_int_equal(ecm_u64(1000000016000000063ull, 64, 5),
			 ecm_u64(1000000016000000063ull, 64, 5));
}

/*
 * Stage 2 known answers: for each seed, the first Suyama curve
 * (sigma = 6 + (splitmix64(seed) >> 33), the lone-curve path of
 * ecm_u64(n, 1, seed)) has a base point whose order mod p is
 * lcm(1..200)-smooth times one prime q in (200, 10000] (so only stage 2
 * finds p, through the baby step j = +-q mod 210), while mod r stage 1
 * and 2 both miss.  Orders from PARI/GP's ellorder on the Weierstrass
 * model of B y^2 = x^3 + A x^2 + x through (x0, 1).  The j cover both
 * baby-step chains (1 and 5 mod 6).  Tied to the 64-bit bounds B1 = 200,
 * B2 = 50 B1 (ecm64_bounds for n above 2^60): retuning them means
 * regenerating these.  Planted fault: the 5 mod 6 chain started with the
 * wrong difference point fails the first vector already (D*Q is built
 * from both chains' ends, so every giant step goes wrong).  Curves run
 * two at a time must find a factor too (the first curve is the same).
 */
static void ecm_u64_stage2_known_answers(void **state)
{
	(void)state;
	static const struct {
		uint64_t seed;
		uint32_t p, r, q;
	} v[] = {
		{ 1u, 3569686429u, 3393213497u, 937u },  /* j = 97 */
		{ 2u, 2409308203u, 3386467727u, 907u },  /* j = 67 */
		{ 3u, 2850616003u, 4259287609u, 3109u }, /* j = 41 */
		{ 4u, 2676663707u, 2711245237u, 811u },  /* j = 29 */
		{ 5u, 2560002371u, 4292632231u, 2411u }, /* j = 101 */
		{ 6u, 2360318087u, 2616864979u, 673u },  /* j = 43 */
		{ 7u, 3063943997u, 3163449011u, 3229u }, /* j = 79 */
		{ 8u, 3201819913u, 2395488167u, 4877u }, /* j = 47 */
		{ 9u, 2730886573u, 3457253543u, 2543u }, /* j = 23 */
		{ 10u, 2519809883u, 4284560831u, 229u }, /* j = 19 */
	};
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		uint64_t n = (uint64_t)v[i].p * v[i].r;
		assert_int_equal(ecm_u64(n, 1, v[i].seed), v[i].p);
		uint64_t f = ecm_u64(n, 2, v[i].seed);
		assert_true(f == v[i].p || f == v[i].r);
	}
}

/*
 * Each row's point is on the curve of the family, not its twist: with
 * A = 4 a24 - 2, B v^2 = w^3 + A w^2 + w has B = 4 / (1 - d) = A + 2 up
 * to squares, so w (w^2 + A w + 1) / (A + 2) must be the square of a
 * rational (exactly, with GMP).  The x-only arithmetic never sees B: a
 * wrong w would still run, on the twist half the time, where the torsion
 * is not there.  Planted fault: one digit of a w changed fails.
 */
static void ecm_z28_points_on_the_curve(void **state)
{
	(void)state;
	mpq_t a24, w, r, t;
	mpq_inits(a24, w, r, t, NULL);
	for (unsigned i = 0; i < ECM_Z28_COUNT; i++) {
		const struct ecm_z28_curve *c = &ecm_z28_curves[i];
		mpz_set_ui(mpq_numref(a24), c->a24_num);
		mpz_set_ui(mpq_denref(a24), c->a24_den);
		mpq_canonicalize(a24);
		mpz_set_ui(mpq_numref(w), c->w_num);
		mpz_set_ui(mpq_denref(w), c->w_den);
		mpq_canonicalize(w);
		if (c->w_neg)
			mpq_neg(w, w);
		mpq_set_ui(t, 4, 1);
		mpq_mul(t, t, a24); /* A + 2 = 4 a24 */
		mpq_set_ui(r, 2, 1);
		mpq_sub(r, t, r); /* A */
		mpq_add(r, r, w); /* w + A */
		mpq_mul(r, r, w); /* w^2 + A w */
		mpq_set_ui(a24, 1, 1);
		mpq_add(r, r, a24); /* w^2 + A w + 1 */
		mpq_mul(r, r, w);
		mpq_div(r, r, t);
		assert_true(mpq_sgn(r) > 0);
		assert_true(mpz_perfect_square_p(mpq_numref(r)));
		assert_true(mpz_perfect_square_p(mpq_denref(r)));
	}
	mpq_clears(a24, w, r, t, NULL);
}

/*
 * The Z/2 x Z/8 table (engine_curves.c), row by row: n = p q with both
 * primes of 32 bits, where PARI/GP's ellorder says the row's point has
 * order dividing lcm(1..200) mod p (stage 1 finds p) and an order with a
 * prime factor above 10^5 mod q (no stage finds q); made by
 * tests/data/gen/ecm_z28_kat.gp.  Curve number i is row i: alone, paired with
 * row i + 1 (or Suyama's first curve after the table), and on the 128-bit
 * tier (B1 = 300 there) it must return p.  Planted fault: one digit of a
 * row's a24 changed fails that row (a w changed is caught by the test
 * below: mod these p the whole group order is often smooth, so any point
 * on the right twist would do).
 */
static void ecm_z28_curves_known_answers(void **state)
{
	(void)state;
	static const struct {
		uint64_t n, p;
	} v[ECM_Z28_COUNT] = {
		{ 8055734603373048841ull, 2204916533ull },  /* row 0 */
		{ 7719906482227569079ull, 2570110013ull },  /* row 1 */
		{ 7604795508705932287ull, 2338254829ull },  /* row 2 */
		{ 7096280082447621139ull, 2682335563ull },  /* row 3 */
		{ 10228761703309336963ull, 2779394747ull }, /* row 4 */
		{ 5255435167742471081ull, 2431898303ull },  /* row 5 */
		{ 8655610728271371251ull, 3095392607ull },  /* row 6 */
		{ 9427246212957528607ull, 4228440971ull },  /* row 7 */
		{ 9667096531709816137ull, 2314479521ull },  /* row 8 */
		{ 9272451715389922999ull, 3782724703ull },  /* row 9 */
		{ 8682701691715224053ull, 2348591467ull },  /* row 10 */
		{ 5338407113058607067ull, 2191424407ull },  /* row 11 */
		{ 11003718380257510069ull, 3704693183ull }, /* row 12 */
		{ 8378081450211041941ull, 3602176517ull },  /* row 13 */
		{ 7087192747472221591ull, 2486527051ull },  /* row 14 */
		{ 5007017080948327591ull, 2261133383ull },  /* row 15 */
		{ 12058444793893922693ull, 3442586501ull }, /* row 16 */
		{ 7144245001367988149ull, 3133493731ull },  /* row 17 */
		{ 14640252874258765867ull, 3815279851ull }, /* row 18 */
		{ 17432658047225167783ull, 4197914951ull }, /* row 19 */
		{ 14108457273008036017ull, 4110092089ull }, /* row 20 */
		{ 9467369360017844141ull, 3599127121ull },  /* row 21 */
		{ 14280020179503217837ull, 3749795099ull }, /* row 22 */
		{ 10585439705290292321ull, 3280347271ull }, /* row 23 */
		{ 5793994774400405711ull, 2200137787ull },  /* row 24 */
		{ 14228241086986470097ull, 4162747819ull }, /* row 25 */
		{ 9003059568161704561ull, 2433157957ull },  /* row 26 */
		{ 11212754315199741001ull, 3681334577ull }, /* row 27 */
		{ 6372759715066492381ull, 2240352739ull },  /* row 28 */
		{ 7749043956563532013ull, 3033485401ull },  /* row 29 */
		{ 10175212249139124907ull, 2930321063ull }, /* row 30 */
		{ 6501237481404951011ull, 2700519023ull },  /* row 31 */
		{ 5747304154037464597ull, 2487114857ull },  /* row 32 */
		{ 8493814975067248997ull, 2546182283ull },  /* row 33 */
		{ 9901022431397239049ull, 3365190617ull },  /* row 34 */
		{ 11204531324946802933ull, 2743221323ull }, /* row 35 */
		{ 11127281204114993213ull, 4033653419ull }, /* row 36 */
		{ 10878107867228236207ull, 3438541817ull }, /* row 37 */
		{ 11322088858705647371ull, 4007935193ull }, /* row 38 */
		{ 5895258912382613549ull, 2239530313ull },  /* row 39 */
		{ 7558688983381357343ull, 2524071421ull },  /* row 40 */
		{ 12231297892131660803ull, 2914663337ull }, /* row 41 */
		{ 11516844143427464033ull, 3113318357ull }, /* row 42 */
		{ 15501772372537748149ull, 4206359627ull }, /* row 43 */
		{ 5057252385041694337ull, 2245605613ull },  /* row 44 */
		{ 12853207110772619207ull, 3240573757ull }, /* row 45 */
		{ 10223446753136464699ull, 2389662827ull }, /* row 46 */
		{ 8932207362698033837ull, 2459433281ull },  /* row 47 */
		{ 9246845839965797773ull, 3338644037ull },  /* row 48 */
		{ 8480403879659078923ull, 3357183847ull },  /* row 49 */
		{ 8134028698215322361ull, 2582636473ull },  /* row 50 */
		{ 9973795464585605663ull, 3953674729ull },  /* row 51 */
		{ 12663491352315828677ull, 3269511277ull }, /* row 52 */
		{ 11197839066203455273ull, 4080717367ull }, /* row 53 */
		{ 9492903525107548831ull, 2972610989ull },  /* row 54 */
		{ 6852965890346256449ull, 2546587451ull },  /* row 55 */
	};
	for (unsigned i = 0; i < ECM_Z28_COUNT; i++) {
		const struct ecm_z28_curve *c = &ecm_z28_curves[i];
		assert_true(c->a24_num && c->a24_den && c->w_num && c->w_den);
		assert_int_equal(ecm_u64_from(v[i].n, i, 1, 1), v[i].p);
		assert_int_equal(ecm_u64_from(v[i].n, i, 2, 1), v[i].p);
		assert_true(ecm_u128_from(v[i].n, i, 1, 1) == v[i].p);
	}
}

/*
 * The curve loop runs curves two at a time (shared stage-1 ladder, stage 2
 * and inversions) and a last odd curve alone.  Guard both: every answer
 * is a proper factor, and two curves per call succeed clearly more often
 * than one (about 1.8 times at a per-curve rate near 0.2; a pair whose
 * second curve were broken would give 1.0).  Deterministic seeds.
 */
static void ecm_u64_pair_and_lone_curves(void **state)
{
	(void)state;
	static const uint64_t n[] = { 12995730475580963531ull,
				      15122296465579271819ull,
				      14265879161874419347ull,
				      1000000016000000063ull };
	unsigned win1 = 0, win2 = 0, win3 = 0;
	for (size_t i = 0; i < sizeof n / sizeof n[0]; i++) {
		for (uint64_t seed = 1; seed <= 100; seed++) {
			uint64_t f1 = ecm_u64(n[i], 1, seed);
			uint64_t f2 = ecm_u64(n[i], 2, seed);
			uint64_t f3 = ecm_u64(n[i], 3, seed);
			if (f1 != 0)
				assert_true(f1 > 1 && f1 < n[i] &&
					    n[i] % f1 == 0);
			if (f2 != 0)
				assert_true(f2 > 1 && f2 < n[i] &&
					    n[i] % f2 == 0);
			if (f3 != 0)
				assert_true(f3 > 1 && f3 < n[i] &&
					    n[i] % f3 == 0);
			win1 += f1 != 0;
			win2 += f2 != 0;
			win3 += f3 != 0;
		}
	}
	assert_true(win1 > 20);
	assert_true(win2 * 10 > win1 * 14);
	assert_true(win3 > win2);
}

static void ecm_u128_finds_factor(void **state)
{
	(void)state;
	/* 48-bit times 48-bit, 40-bit times 70-bit, 32-bit times 64-bit */
	u128 n[] = { (u128)281474976710597ull * 281474976710677ull,
		     (u128)1099511627689ull *
			     u128_from_str("1180591620717411303449"),
		     (u128)4294967291ull * 18446744073709551557ull };
	for (size_t i = 0; i < sizeof n / sizeof n[0]; i++) {
		u128 f = 0;
		for (uint64_t seed = 1; f == 0 && seed < 50; seed++)
			f = ecm_u128(n[i], 8, seed);
		assert_true(f > 1 && f < n[i] && n[i] % f == 0);
	}
}

static void rho_u128_finds_factor(void **state)
{
	(void)state;
	/* 2^64+13 times 10007 and times 1000000007 */
	u128 big = u128_from_str("18446744073709551629");
	u128 n[] = { big * 10007, big * 1000000007,
		     u128_from_str("318665857834031151167461") };
	for (size_t i = 0; i < sizeof n / sizeof n[0]; i++) {
		u128 f = 0;
		for (uint64_t c = 1; f == 0 && c < 10; c++)
			f = rho_u128(n[i], c, 1u << 24);
		assert_true(f > 1 && f < n[i] && n[i] % f == 0);
	}
}

static void squfof_u64_finds_factor(void **state)
{
	(void)state;
	static const uint64_t n[] = { 10403, 999962000357ull, 4295098369ull,
				      1000000016000000063ull >> 20 | 1,
				      (uint64_t)1048573 * 1048583 };
	for (size_t i = 0; i < sizeof n / sizeof n[0]; i++) {
		if (prime_p_u64(n[i]))
			continue;
		uint64_t f = squfof_u64(n[i]);
		assert_true(f > 1 && f < n[i] && n[i] % f == 0);
	}
	assert_int_equal(squfof_u64((uint64_t)65537 * 65537), 65537);
	/* every odd composite in a range below 2^20 without small factors */
	for (uint64_t m = 100001; m < 120001; m += 2) {
		if (prime_p_u64(m) || m % 3 == 0 || m % 5 == 0 || m % 7 == 0)
			continue;
		uint64_t f = squfof_u64(m);
		if (f == 0)
			f = rho_u64(m, 1, 1u << 20);
		assert_true(f > 1 && f < m && m % f == 0);
	}
}

/* ---- trial division ---- */

static void tdiv_prime_table(void **state)
{
	(void)state;
	assert_int_equal(tdiv_prime(0), 2);
	assert_int_equal(tdiv_prime(1), 3);
	assert_int_equal(tdiv_prime(TDIV_NPRIMES - 1), 65521);
	for (unsigned i = 1; i < TDIV_NPRIMES; i++)
		assert_true(tdiv_prime(i) > tdiv_prime(i - 1));
}

/*
 * factor_u64_rough (no trial division) gives factor_u64's list for
 * numbers without a prime below its bound: at the bound's limits (2 and
 * 3672, which are factor_u64 itself, 3673, 2^24 as the range engine's
 * sieve, 2^32), primes, products of two
 * primes just above the bound, a prime square, 2^64 - 59 (prime) and a
 * cofactor below bound^2 (prime by the bound); 0 and 1 give nothing.
 */
static void rough_cofactors_as_factor_u64(void **state)
{
	static const struct {
		uint64_t n, bound;
	} v[] = {
		{ 1000000000039ull, 2 },
		{ 4294967291ull * 4294967279ull, 1u << 24 }, /* below 2^64 */
		{ 16777259ull * 16777289ull, 1u << 24 }, /* just above 2^24 */
		{ 16777259ull * 16777259ull, 1u << 24 }, /* a square */
		{ 18446744073709551557ull, 1u << 24 },   /* 2^64 - 59 */
		{ 4294967291ull * 4294967291ull, 1ull << 32 },
		{ 16777259ull, 1u << 24 },         /* < bound^2: prime */
		{ 1000000000000ull, 2 },           /* bound 2: anything */
		{ 1000000000000ull, 3672 },        /* still factor_u64 */
		{ 3673ull * 1000000007ull, 3673 }, /* the first rough bound */
	};
	struct small_factors a, b;

	(void)state;
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		assert_int_equal(factor_u64_rough(v[i].n, v[i].bound, &a, NULL),
				 STATUS_OK);
		assert_int_equal(factor_u64(v[i].n, &b, NULL), STATUS_OK);
		assert_true(factorization_ok(v[i].n, &a, 0));
		assert_int_equal(a.n, b.n);
		for (int j = 0; j < a.n; j++)
			assert_true(a.p[j] == b.p[j] && a.e[j] == b.e[j]);
	}
	assert_int_equal(factor_u64_rough(0, 1u << 24, &a, NULL), STATUS_OK);
	assert_int_equal(a.n, 0);
	assert_int_equal(factor_u64_rough(1, 1u << 24, &a, NULL), STATUS_OK);
	assert_int_equal(a.n, 0);
}

static void tdiv_u64_removes_small_primes(void **state)
{
	(void)state;
	struct small_factors out;
	/* 2^3 * 3 * 1619 * 1621 * 1627: index 256 stops after 1619 */
	uint64_t n = 8ull * 3 * 1619 * 1621 * 1627;
	uint64_t m = n;
	out.n = 0;
	uint64_t b = tdiv_u64(&m, &out, 256);
	assert_int_equal(b, 1621);
	assert_int_equal(m, 1621 * 1627);
	assert_int_equal(out.n, 3);
	assert_true(out.p[2] == 1619 && out.e[0] == 3);
	/* the early stop: the cofactor below the next prime squared is prime */
	m = 2ull * 1000003;
	out.n = 0;
	tdiv_u64(&m, &out, TDIV_NPRIMES);
	assert_int_equal(m, 1);
	assert_int_equal(out.n, 2);
	assert_true(out.p[1] == 1000003);
	/* the 128-bit variant on a number above 2^64 */
	u128 big = (u128)18446744073709551557ull * 9 * 7 * 65521;
	out.n = 0;
	tdiv_u128(&big, &out, TDIV_NPRIMES);
	assert_true(big == 18446744073709551557ull);
	assert_int_equal(out.n, 3);
	assert_true(out.p[0] == 3 && out.e[0] == 2 && out.p[2] == 65521);
}

static void tdiv_mpz_removes_small_primes(void **state)
{
	(void)state;
	struct small_factors out;
	mpz_t n, want;
	mpz_inits(n, want, NULL);
	/* 2^5 * 3^2 * 65521 * (2^89-1), a Mersenne prime cofactor */
	mpz_set_ui(want, 1);
	mpz_mul_2exp(want, want, 89);
	mpz_sub_ui(want, want, 1);
	mpz_mul_ui(n, want, 32 * 9 * 65521ul);
	out.n = 0;
	assert_int_equal(tdiv_mpz(n, &out, 65536), STATUS_OK);
	assert_int_equal(mpz_cmp(n, want), 0);
	assert_int_equal(out.n, 3);
	assert_true(out.p[0] == 2 && out.e[0] == 5 && out.p[1] == 3 &&
		    out.e[1] == 2 && out.p[2] == 65521 && out.e[2] == 1);
	/* the bound is respected: 65521 stays when bound is 65521 */
	mpz_mul_ui(n, want, 65521ul * 5);
	out.n = 0;
	assert_int_equal(tdiv_mpz(n, &out, 65521), STATUS_OK);
	assert_int_equal(out.n, 1);
	assert_true(mpz_divisible_ui_p(n, 65521));
	/* more distinct primes than out holds: PARTIAL, then resume */
	mpz_primorial_ui(n, 1000); /* 168 distinct primes */
	unsigned total = 0;
	int st;
	do {
		out.n = 0;
		st = tdiv_mpz(n, &out, 1001);
		total += (unsigned)out.n;
	} while (st == STATUS_PARTIAL);
	assert_int_equal(st, STATUS_OK);
	assert_int_equal(total, 168);
	assert_int_equal(mpz_cmp_ui(n, 1), 0);
	mpz_clears(n, want, NULL);
}

/* ---- deadline ---- */

static int stop_now(void *arg)
{
	(void)arg;
	return 1;
}

static void stop_hook_gives_partial(void **state)
{
	(void)state;
	struct engine_params params;
	memset(&params, 0, sizeof params);
	params.seed = 1;
	params.stop = stop_now;
	struct small_factors out;
	/* 2 * (two ~63-bit primes): too big to split before the first poll */
	u128 p = u128_from_str("9223372036854775837");
	u128 q = u128_from_str("9223372036854775907");
	u128 n = 2 * p * q;
	int st = factor_u128(n, &out, &params);
	assert_int_equal(st, STATUS_PARTIAL);
	assert_true(factorization_ok(n, &out, 1));
	assert_int_equal(out.n, 2);
	assert_true(out.composite[1]);
}

static void time_limit_gives_partial(void **state)
{
	(void)state;
	struct engine_params params;
	memset(&params, 0, sizeof params);
	params.seed = 1;
	params.time_limit = 1e-6; /* expires at the first poll */
	struct small_factors out;
	u128 p = u128_from_str("9223372036854775837");
	u128 q = u128_from_str("9223372036854775907");
	int st = factor_u128(p * q, &out, &params);
	assert_int_equal(st, STATUS_PARTIAL);
	assert_true(factorization_ok(p * q, &out, 1));
	/* a 64-bit semiprime under the stop hook still factors or is partial,
	 * never wrong */
	params.time_limit = 0;
	params.stop = stop_now;
	st = factor_u64(4294967279ull * 4294967291ull, &out, &params);
	assert_true(st == STATUS_OK || st == STATUS_PARTIAL);
	assert_true(factorization_ok(4294967279ull * 4294967291ull, &out, 1));
}

/*
 * A cofactor handed down by the GMP tier keeps its number's deadline:
 * with the deadline already past (and no time limit in params), both
 * native tiers must stop at their first poll instead of starting the
 * limit afresh; with none (0) they factor.  Planted fault: factor_u128
 * _until ignoring its deadline fails the first assertion.
 */
static void deadline_is_kept_for_cofactors(void **state)
{
	(void)state;
	struct engine_params params;
	memset(&params, 0, sizeof params);
	params.seed = 1;
	struct small_factors out;
	u128 p = u128_from_str("9223372036854775837");
	u128 q = u128_from_str("9223372036854775907");
	double past = engine_now() - 1.0;
	assert_int_equal(factor_u128_until(p * q, &out, &params, past),
			 STATUS_PARTIAL);
	assert_true(factorization_ok(p * q, &out, 1));
	uint64_t n64 = 4294967279ull * 4294967291ull;
	assert_int_equal(factor_u64_until(n64, &out, &params, past),
			 STATUS_PARTIAL);
	assert_true(factorization_ok(n64, &out, 1));
	assert_int_equal(factor_u128_until(p * q, &out, &params, 0.0),
			 STATUS_OK);
	assert_true(factorization_ok(p * q, &out, 0));
	assert_int_equal(factor_u64_until(n64, &out, &params, 0.0), STATUS_OK);
	assert_true(factorization_ok(n64, &out, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(checker_rejects_planted_faults),
		cmocka_unit_test(small_verify_rejects_planted_faults),
		cmocka_unit_test(kat_sprp_pair_each_base_rejects),
		cmocka_unit_test(kat_trivial_inputs),
		cmocka_unit_test(kat_word_boundaries),
		cmocka_unit_test(kat_prime_powers),
		cmocka_unit_test(kat_carmichael),
		cmocka_unit_test(kat_base2_pseudoprimes_rejected),
		cmocka_unit_test(kat_primes_near_boundaries),
		cmocka_unit_test(range_1_to_200000),
		cmocka_unit_test(prime_p_matches_gmp_below_2e6),
		cmocka_unit_test(prime_p_matches_gmp_at_switch_and_top),
		cmocka_unit_test(random_each_size_to_128_bits),
		cmocka_unit_test(random_semiprimes_to_128_bits),
		cmocka_unit_test(rho_u64_finds_factor),
		cmocka_unit_test(ecm_u64_finds_factor),
		cmocka_unit_test(ecm_u64_pair_and_lone_curves),
		cmocka_unit_test(ecm_u64_stage2_known_answers),
		cmocka_unit_test(ecm_z28_curves_known_answers),
		cmocka_unit_test(ecm_z28_points_on_the_curve),
		cmocka_unit_test(ecm_u128_finds_factor),
		cmocka_unit_test(rho_u128_finds_factor),
		cmocka_unit_test(squfof_u64_finds_factor),
		cmocka_unit_test(tdiv_prime_table),
		cmocka_unit_test(tdiv_u64_removes_small_primes),
		cmocka_unit_test(rough_cofactors_as_factor_u64),
		cmocka_unit_test(tdiv_mpz_removes_small_primes),
		cmocka_unit_test(stop_hook_gives_partial),
		cmocka_unit_test(time_limit_gives_partial),
		cmocka_unit_test(deadline_is_kept_for_cofactors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
