/*
 * test_siqs.c - unit tests of the self-initialising quadratic sieve.
 *
 * Known-answer semiprimes from jobs/bench (29, 39, 48 and 60 digits) must
 * split into their recorded primes; a product of three primes splits into
 * a proper divisor; a prime factor inside the factor base is returned (or
 * STATUS_NOT_FOUND), never 1 or n; invalid inputs are refused; a past
 * deadline and a stop hook end the run; one seed repeats its answer; the
 * vector code paths find the same relations as the scalar ones.  The
 * GF(2) solver is checked on its own: every dependency it returns must
 * sum to zero (a planted non-dependency is shown to fail the same check),
 * and a matrix without dependencies is reported as such; on matrices of
 * known rank the count is min(64, rows - rank), the dependencies are
 * independent and the scalar kernels return the AVX2 kernels' words
 * (planted faults in the small path's head mask, back substitution, free
 * rows and scalar free-row pass all fail it).  The shared sieve: a
 * helper's exported batches fed to an owner give a proper factor with
 * fewer polynomials, repeated batches are dropped as duplicates, and a
 * planted wrong or malformed record is rejected and counted.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>
#include <gmp.h>

#include "memcheck.h"
#include "siqs.h"
#include "siqs_int.h"
#include "status.h"

struct known {
	const char *name, *n, *p, *q;
};

/* jobs/bench/S96, S128, S160, S200 and their .expect files */
static const struct known semiprimes[] = {
	{ "s96-29-digits", "30917774098999647002617939631", "152251468756867",
	  "203070448853093" },
	{ "s128-39-digits", "136847893693504283820937121818475893603",
	  "10929192187710487363", "12521318258762544481" },
	{ "s160-48-digits", "594455793458486396136289371462654079823549012129",
	  "653113077197649675939901", "910188165285485472255029" },
	/* 64 bits, unbalanced: no A fitted a one-block interval (until the
	 * quarter-block row), STATUS_NOT_FOUND with zero polynomials */
	{ "a-shape-64-bits", "10436452494839154313", "1249524127",
	  "8352341719" },
};
static const struct known s200 = {
	"s200-60-digits",
	"1197187002926762112878222340113072422779908173590443451848503",
	"1070981223637130680625677412489", "1117841262296856486156676321727"
};

/* 1 when f is a proper divisor of n. */
static int proper_divisor(const mpz_t f, const mpz_t n)
{
	return mpz_cmp_ui(f, 1) > 0 && mpz_cmp(f, n) < 0 &&
		mpz_divisible_p(n, f);
}

static void check_known(const struct known *k)
{
	mpz_t n, f, p, q;
	int st;

	mpz_inits(n, f, p, q, NULL);
	assert_int_equal(mpz_set_str(n, k->n, 10), 0);
	assert_int_equal(mpz_set_str(p, k->p, 10), 0);
	assert_int_equal(mpz_set_str(q, k->q, 10), 0);
	st = siqs_factor(f, n, NULL);
	if (st != STATUS_FOUND)
		fail_msg("%s: %s", k->name, status_str(st));
	if (mpz_cmp(f, p) != 0 && mpz_cmp(f, q) != 0)
		fail_msg("%s: factor is not one of the recorded primes",
			 k->name);
	mpz_clears(n, f, p, q, NULL);
}

static void test_known_semiprimes(void **state)
{
	size_t i;
	(void)state;
	for (i = 0; i < sizeof semiprimes / sizeof semiprimes[0]; i++)
		check_known(&semiprimes[i]);
}

static void test_known_60_digits(void **state)
{
	(void)state;
	if (test_memcheck()) { /* minutes under memcheck: the smaller
				  numbers of test_known_semiprimes reach
				  the same code */
		skip();
		return;
	}
	check_known(&s200);
}

/* The oracle used above rejects a wrong answer (planted fault). */
static void test_checker_rejects_wrong_factor(void **state)
{
	mpz_t n, f;
	(void)state;
	mpz_init_set_str(n, semiprimes[1].n, 10);
	mpz_init_set_str(f, semiprimes[1].p, 10);
	assert_true(proper_divisor(f, n));
	mpz_add_ui(f, f, 2);
	assert_false(proper_divisor(f, n));
	mpz_set(f, n);
	assert_false(proper_divisor(f, n));
	mpz_set_ui(f, 1);
	assert_false(proper_divisor(f, n));
	mpz_clears(n, f, NULL);
}

/* 100000000000031 * 300000000000089 * 700000000000051 (44 digits) */
static void test_three_primes(void **state)
{
	mpz_t n, f;
	(void)state;
	mpz_init_set_str(n, "21000000000014270000000002859500000000140709", 10);
	mpz_init(f);
	assert_int_equal(siqs_factor(f, n, NULL), STATUS_FOUND);
	assert_true(proper_divisor(f, n));
	mpz_clears(n, f, NULL);
}

/* 1009 * nextprime(10^40): 1009 lies inside the factor base. */
static void test_factor_in_factor_base(void **state)
{
	mpz_t n, f;
	int st;
	(void)state;
	mpz_init_set_str(n, "10090000000000000000000000000000000000122089", 10);
	mpz_init(f);
	st = siqs_factor(f, n, NULL);
	assert_true(st == STATUS_FOUND || st == STATUS_NOT_FOUND);
	if (st == STATUS_FOUND)
		assert_true(proper_divisor(f, n));
	mpz_clears(n, f, NULL);
}

/* A perfect square has no square-free multiplier to sieve. */
static void test_perfect_square(void **state)
{
	mpz_t n, f;
	(void)state;
	mpz_init_set_str(n, "10000000000000000000000000000000000000121", 10);
	mpz_init(f);
	mpz_mul(n, n, n);
	assert_int_equal(siqs_factor(f, n, NULL), STATUS_FOUND);
	assert_true(proper_divisor(f, n));
	mpz_clears(n, f, NULL);
}

/* p^3 and p^5: all square roots of 1 are trivial; the root comes back. */
static void test_perfect_powers(void **state)
{
	mpz_t n, f, p;
	unsigned long k;
	(void)state;
	mpz_inits(n, f, p, NULL);
	mpz_set_str(p, "4294967311", 10); /* nextprime(2^32) */
	for (k = 3; k <= 5; k += 2) {
		mpz_pow_ui(n, p, k);
		assert_int_equal(siqs_factor(f, n, NULL), STATUS_FOUND);
		assert_true(proper_divisor(f, n));
	}
	mpz_clears(n, f, p, NULL);
}

static void test_invalid_inputs(void **state)
{
	mpz_t n, f;
	(void)state;
	mpz_inits(n, f, NULL);
	mpz_set_str(
		n,
		"1197187002926762112878222340113072422779908173590443451848504",
		10);
	assert_int_equal(siqs_factor(f, n, NULL), STATUS_ERR_INVAL); /* even */
	mpz_set_ui(n, 1000003ul * 999983ul);
	assert_int_equal(siqs_factor(f, n, NULL), STATUS_ERR_INVAL); /* tiny */
	mpz_set_ui(n, 0);
	assert_int_equal(siqs_factor(f, n, NULL), STATUS_ERR_INVAL);
	mpz_set_si(n, -999999999999999999);
	assert_int_equal(siqs_factor(f, n, NULL), STATUS_ERR_INVAL);
	mpz_ui_pow_ui(n, 10, 150);
	mpz_add_ui(n, n, 1);
	assert_int_equal(siqs_factor(f, n, NULL), STATUS_ERR_INVAL); /* huge */
	mpz_clears(n, f, NULL);
}

static void test_deadline_in_past(void **state)
{
	struct siqs_params par;
	struct timespec ts;
	mpz_t n, f;
	(void)state;
	mpz_init_set_str(n, s200.n, 10);
	mpz_init(f);
	siqs_params_init(&par);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	par.deadline = (double)ts.tv_sec - 1.0;
	assert_int_equal(siqs_factor(f, n, &par), STATUS_ERR_TIMEOUT);
	/* a deadline that expires during the sieve */
	par.deadline = (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec + 0.05;
	assert_int_equal(siqs_factor(f, n, &par), STATUS_ERR_TIMEOUT);
	mpz_clears(n, f, NULL);
}

static int stop_after(void *arg)
{
	int *left = arg;
	return --*left <= 0;
}

static void test_stop_hook(void **state)
{
	struct siqs_params par;
	int left = 5;
	mpz_t n, f;
	(void)state;
	mpz_init_set_str(n, s200.n, 10);
	mpz_init(f);
	siqs_params_init(&par);
	par.stop = stop_after;
	par.stop_arg = &left;
	assert_int_equal(siqs_factor(f, n, &par), STATUS_ERR_STOPPED);
	assert_int_equal(left, 0);
	mpz_clears(n, f, NULL);
}

static void test_same_seed_same_factor(void **state)
{
	struct siqs_params par;
	struct siqs_stats s1, s2;
	mpz_t n, f1, f2;
	(void)state;
	mpz_init_set_str(n, semiprimes[2].n, 10);
	mpz_inits(f1, f2, NULL);
	siqs_params_init(&par);
	par.seed = 12345;
	par.stats = &s1;
	assert_int_equal(siqs_factor(f1, n, &par), STATUS_FOUND);
	par.stats = &s2;
	assert_int_equal(siqs_factor(f2, n, &par), STATUS_FOUND);
	assert_int_equal(mpz_cmp(f1, f2), 0);
	assert_int_equal(s1.polys, s2.polys);
	assert_int_equal(s1.fulls, s2.fulls);
	assert_int_equal(s1.partials, s2.partials);
	/* another seed takes another path but still finds a factor */
	par.seed = 777;
	assert_int_equal(siqs_factor(f2, n, &par), STATUS_FOUND);
	assert_true(proper_divisor(f2, n));
	mpz_clears(n, f1, f2, NULL);
}

/*
 * vector-paths-equal-scalar: the SSE2/AVX2/FMA/AVX-512 paths (root check,
 * scan, Gray-code step, per-A set-up, bucket hits) must find exactly the
 * relations of the portable scalar code: same factor and same counts;
 * and so must the paths without AVX-512 (scalar = 2), which a machine
 * with AVX-512 would otherwise never run.
 */
static void test_vector_paths_match_scalar(void **state)
{
	size_t k;
	int mode;
	(void)state;
	for (k = 0; k < 3; k++)
		for (mode = 1; mode <= 2; mode++) {
			struct siqs_params par;
			struct siqs_stats sv, ss;
			mpz_t n, fv, fs;
			mpz_init_set_str(n, semiprimes[k].n, 10);
			mpz_inits(fv, fs, NULL);
			siqs_params_init(&par);
			par.stats = &sv;
			assert_int_equal(siqs_factor(fv, n, &par),
					 STATUS_FOUND);
			par.scalar = mode;
			par.stats = &ss;
			assert_int_equal(siqs_factor(fs, n, &par),
					 STATUS_FOUND);
			if (mpz_cmp(fv, fs) != 0 || sv.polys != ss.polys ||
			    sv.candidates != ss.candidates ||
			    sv.fulls != ss.fulls ||
			    sv.partials != ss.partials ||
			    sv.cycles != ss.cycles)
				fail_msg(
					"%s: vector and scalar=%d runs differ (polys "
					"%lu/%lu, candidates %lu/%lu, fulls %lu/%lu)",
					semiprimes[k].name, mode, sv.polys,
					ss.polys, sv.candidates, ss.candidates,
					sv.fulls, ss.fulls);
			mpz_clears(n, fv, fs, NULL);
		}
}

/*
 * sieve-matches-reference: every polynomial's sieve (one block at 96 and
 * 128 bits, blocks and buckets at 160; runs of equal len / p, selects into
 * the spare byte, two primes at a time, vector and scalar paths) equals
 * the plain one-prime-one-root sieve, byte for byte.
 */
static void test_sieve_matches_reference(void **state)
{
	size_t k;
	int mode;
	(void)state;
	for (k = 0; k < 3; k++)
		for (mode = 0; mode <= 1; mode++) {
			struct siqs_params par;
			struct siqs_stats st;
			mpz_t n, f;
			mpz_init_set_str(n, semiprimes[k].n, 10);
			mpz_init(f);
			siqs_params_init(&par);
			par.stats = &st;
			par.check_sieve = 1;
			par.scalar = mode;
			assert_int_equal(siqs_factor(f, n, &par), STATUS_FOUND);
			assert_true(st.polys > 0);
			if (st.sieve_mismatches != 0)
				fail_msg(
					"%s (scalar %d): %lu sieve bytes differ from the "
					"reference over %lu polynomials",
					semiprimes[k].name, mode,
					st.sieve_mismatches, st.polys);
			mpz_clears(n, f, NULL);
		}
}

/* ---- double large primes: the large-prime graph and its cycles ---- */

/* The first number of jobs/bench/S230 and its factors (S230.expect). */
#define S230_N \
	"733538429905896271636161360812659123532089935099033949165103277374051"
#define S230_P "25506619039151069136339691065099793"
#define S230_Q "28758748024579837078809372666803507"

/* Add a relation with no factor-base primes and large primes lp, lp2. */
static void add_edge(struct siqs_rels *R, uint32_t lp, uint32_t lp2)
{
	uint32_t fac[1] = { 1 };
	mp_limb_t y[1] = { 1 };
	assert_int_equal(siqs_add_rel(R, fac, 1, lp, lp2, y, 1), STATUS_OK);
}

/*
 * The rows of c: each has distinct members whose large primes all occur
 * an even number of times; returns the number of rows that fail.
 */
static size_t odd_rows(const struct siqs_rels *R, const struct siqs_cycles *c)
{
	size_t r, k, l, bad = 0;
	for (r = 0; r < c->nrows; r++) {
		mpz_t prod;
		mpz_init_set_ui(prod, 1);
		for (k = c->start[r]; k < c->start[r + 1]; k++) {
			const struct siqs_rel *e = &R->rel[c->mem[k]];
			for (l = c->start[r]; l < k; l++)
				if (c->mem[l] == c->mem[k])
					bad++; /* a member twice */
			mpz_mul_ui(prod, prod, e->lp);
			mpz_mul_ui(prod, prod, e->lp2);
		}
		/* distinct primes: even exponents exactly when a square */
		if (!mpz_perfect_square_p(prod))
			bad++;
		mpz_clear(prod);
	}
	return bad;
}

/*
 * cycle-count-hand-graph: vertices 1 (full relations' "1"), 11, 13, 17,
 * 19, 23, 29, 31, 37; edges (1,11) (1,13) (11,13) (1,11) | (17,19)
 * (19,23) (17,23) (17,23) | (29,29) | (31,37), and three full relations.
 * Components {1,11,13}: 4 edges, 3 vertices -> 2 cycles; {17,19,23}: 4
 * edges, 3 vertices -> 2; {29}: a self-loop, 1; {31,37}: a tree, 0.  So
 * 5 cycles and 3 + 5 rows, each with even large primes.
 */
static void test_cycle_count_hand_graph(void **state)
{
	struct siqs_rels R;
	struct siqs_cycles c;
	uint32_t fac[1] = { 1 };
	mp_limb_t y[1] = { 1 };
	int i;
	(void)state;
	memset(&R, 0, sizeof R);
	for (i = 0; i < 3; i++)
		assert_int_equal(siqs_add_rel(&R, fac, 1, 1, 1, y, 1),
				 STATUS_OK);
	add_edge(&R, 11, 1);
	add_edge(&R, 13, 1);
	add_edge(&R, 11, 13);
	add_edge(&R, 11, 1);
	add_edge(&R, 17, 19);
	add_edge(&R, 19, 23);
	add_edge(&R, 17, 23);
	add_edge(&R, 17, 23);
	add_edge(&R, 29, 29);
	add_edge(&R, 31, 37);
	assert_int_equal(R.nfull, 3);
	assert_int_equal(R.ncycle, 5);
	assert_int_equal(R.ndouble, 7);
	assert_int_equal(R.nvert, 9); /* the "1" vertex and 8 primes */
	assert_int_equal(siqs_build_cycles(&R, &c), STATUS_OK);
	assert_int_equal(c.nrows, 8);
	assert_int_equal(odd_rows(&R, &c), 0);
	siqs_cycles_clear(&c);
	siqs_rels_clear(&R);
}

/*
 * cycle-combination-planted: a cycle 1 - 101 - 103 - 107 - 1 planted
 * among tree edges and unrelated partials (a path 1 - 109 - 113 - 127, a
 * lone partial-partial 131 - 137): the one row with a large prime is
 * exactly the four relations of the cycle, and the product of their
 * large primes is (101 103 107)^2.  The single large prime pairs, as
 * before the graph: the second partial with 109 pairs with the first.
 */
static void test_cycle_combination_planted(void **state)
{
	struct siqs_rels R;
	struct siqs_cycles c;
	size_t r, k, rows_lp = 0;
	mpz_t prod, want;
	(void)state;
	memset(&R, 0, sizeof R);
	mpz_inits(prod, want, NULL);
	add_edge(&R, 109, 1);   /* 0 */
	add_edge(&R, 101, 1);   /* 1: cycle */
	add_edge(&R, 109, 113); /* 2 */
	add_edge(&R, 101, 103); /* 3: cycle */
	add_edge(&R, 131, 137); /* 4 */
	add_edge(&R, 113, 127); /* 5 */
	add_edge(&R, 103, 107); /* 6: cycle */
	add_edge(&R, 107, 1);   /* 7: cycle, closes it */
	add_edge(&R, 109, 1);   /* 8: pairs with 0 */
	assert_int_equal(R.ncycle, 2);
	assert_int_equal(siqs_build_cycles(&R, &c), STATUS_OK);
	assert_int_equal(c.nrows, 2);
	assert_int_equal(odd_rows(&R, &c), 0);
	/* rows in relation order: the cycle closed by 7, then the pair */
	assert_int_equal(c.start[1] - c.start[0], 4);
	for (r = 0; r < c.nrows; r++) {
		mpz_set_ui(prod, 1);
		for (k = c.start[r]; k < c.start[r + 1]; k++) {
			mpz_mul_ui(prod, prod, R.rel[c.mem[k]].lp);
			mpz_mul_ui(prod, prod, R.rel[c.mem[k]].lp2);
		}
		rows_lp++;
		if (r == 0) {
			mpz_set_ui(want, 101 * 103 * 107);
			mpz_mul(want, want, want);
		} else {
			mpz_set_ui(want, 109 * 109);
			assert_int_equal(c.mem[c.start[1]], 0);
			assert_int_equal(c.mem[c.start[1] + 1], 8);
		}
		assert_int_equal(mpz_cmp(prod, want), 0);
	}
	assert_int_equal(rows_lp, 2);
	/* the cycle's members are relations 1, 3, 6, 7 in some order */
	mpz_set_ui(prod, 1);
	for (k = c.start[0]; k < c.start[1]; k++)
		mpz_mul_ui(prod, prod, c.mem[k] + 2u);
	assert_int_equal(mpz_get_ui(prod), 3 * 5 * 8 * 9);
	mpz_clears(prod, want, NULL);
	siqs_cycles_clear(&c);
	siqs_rels_clear(&R);
}

/*
 * split-cofactor: two primes below the bound split (also p^2, and at the
 * limit just below SIQS_DLP_MAX = 2^62, where the Montgomery products are
 * tightest: the largest prime there is kept whole); a prime, a factor at
 * or above the bound, a cofactor below pmax^2, an even or too large one
 * are refused.
 */
static void test_split_cofactor(void **state)
{
	uint32_t p = 0, q = 0;
	(void)state;
	/* 1000003 * 268435459 */
	assert_int_equal(
		siqs_split_cofactor(268436264306377ULL, 300000000u, 0, &p, &q),
		1);
	assert_int_equal(p, 1000003u);
	assert_int_equal(q, 268435459u);
	/* the larger prime at the bound: refused */
	assert_int_equal(
		siqs_split_cofactor(268436264306377ULL, 268435459u, 0, &p, &q),
		0);
	/* below pmax^2: prime by the factor base, no test */
	assert_int_equal(siqs_split_cofactor(268436264306377ULL, 300000000u,
					     268436264306378ULL, &p, &q),
			 0);
	/* 268435459^2: a square, the self-loop of the graph */
	assert_int_equal(siqs_split_cofactor(72057595648540681ULL, 300000000u,
					     0, &p, &q),
			 1);
	assert_int_equal(p, 268435459u);
	assert_int_equal(q, 268435459u);
	/* precprime(2^62): prime, refused by the Fermat test */
	assert_int_equal(siqs_split_cofactor(4611686018427387847ULL, UINT32_MAX,
					     0, &p, &q),
			 0);
	/* 2147483647 * 2147483587 < 2^62: at the limit; rho may give up
	 * (about 2^15.5 steps expected), but never splits it wrongly */
	p = q = 0;
	if (siqs_split_cofactor(4611685885283401789ULL, UINT32_MAX, 0, &p,
				&q)) {
		assert_int_equal(p, 2147483587u);
		assert_int_equal(q, 2147483647u);
	}
	/* even, and 2^62 + 1 (= 5 * 5581 * ...): outside the contract, refused */
	assert_int_equal(
		siqs_split_cofactor(268436264306378ULL, 300000000u, 0, &p, &q),
		0);
	assert_int_equal(siqs_split_cofactor(((uint64_t)1 << 62) + 1,
					     UINT32_MAX, 0, &p, &q),
			 0);
}

/*
 * A semiprime factored with double large primes on, every relation and
 * row checked (check_rels): partial-partials were found and used, no
 * relation's product or row's large primes are wrong, and the factor is
 * one of the recorded primes.
 */
static void check_dlp(const struct known *k, double dlp)
{
	struct siqs_params par;
	struct siqs_stats st;
	mpz_t n, f, p, q;
	int status;

	mpz_inits(n, f, p, q, NULL);
	assert_int_equal(mpz_set_str(n, k->n, 10), 0);
	assert_int_equal(mpz_set_str(p, k->p, 10), 0);
	assert_int_equal(mpz_set_str(q, k->q, 10), 0);
	siqs_params_init(&par);
	memset(&st, 0, sizeof st);
	par.stats = &st;
	par.check_rels = 1;
	par.dlp = dlp;
	status = siqs_factor(f, n, &par);
	if (status != STATUS_FOUND)
		fail_msg("%s: %s", k->name, status_str(status));
	if (mpz_cmp(f, p) != 0 && mpz_cmp(f, q) != 0)
		fail_msg("%s: factor is not one of the recorded primes",
			 k->name);
	if (st.double_partials == 0 || st.rel_mismatches != 0)
		fail_msg(
			"%s: %lu partial-partials, %lu faulty relations or rows",
			k->name, st.double_partials, st.rel_mismatches);
	/* more cycles than partials with one large prime could give alone */
	assert_true(st.cycles > 0);
	mpz_clears(n, f, p, q, NULL);
}

/* dlp-200-bits: the 60-digit number with double large primes (cutoff
 * L^1.75), and as the table runs it (below SIQS_DLP_MIN_BITS: off). */
static void test_dlp_200_bits(void **state)
{
	struct siqs_params par;
	struct siqs_stats st;
	mpz_t n, f;
	(void)state;
	if (test_memcheck()) {
		/* the same paths on the 48-digit semiprime: the 60-digit
		   runs take minutes under memcheck */
		for (size_t i = 0; i < sizeof semiprimes / sizeof *semiprimes;
		     i++)
			if (strcmp(semiprimes[i].name, "s160-48-digits") == 0)
				check_dlp(&semiprimes[i], 1.75);
		return;
	}
	check_dlp(&s200, 1.75);
	mpz_init_set_str(n, s200.n, 10);
	mpz_init(f);
	siqs_params_init(&par);
	par.stats = &st;
	par.check_rels = 1;
	assert_int_equal(siqs_factor(f, n, &par), STATUS_FOUND);
	assert_true(proper_divisor(f, n));
	assert_int_equal(st.double_partials, 0);
	assert_int_equal(st.rel_mismatches, 0);
	mpz_clears(n, f, NULL);
}

/*
 * dlp-230-bits (SIQS_LONG_TESTS=1 only: about 10 s): a 69-digit balanced
 * semiprime, the first of jobs/bench/S230, with double large primes as
 * the table has them.
 */
static void test_dlp_230_bits(void **state)
{
	static const struct known s230 = { "s230-69-digits", S230_N, S230_P,
					   S230_Q };
	(void)state;
	if (!getenv("SIQS_LONG_TESTS")) {
		skip();
		return;
	}
	check_dlp(&s230, 0);
}

/* ---- siqs_linalg ---- */

/* 1 when the rows of dependency d cancel in every column. */
static int dep_sums_to_zero(uint32_t nrows, uint32_t ncols, const uint32_t *rs,
			    const uint32_t *cols, const uint64_t *deps, int d)
{
	uint8_t *par = calloc(ncols, 1);
	uint32_t r, k, c;
	int ok = 1;
	assert_non_null(par);
	for (r = 0; r < nrows; r++)
		if (deps[r] >> d & 1)
			for (k = rs[r]; k < rs[r + 1]; k++)
				par[cols[k]] ^= 1;
	for (c = 0; c < ncols; c++)
		if (par[c])
			ok = 0;
	free(par);
	return ok;
}

/* A seeded sparse NR x NC matrix: every dependency found must cancel. */
static void check_random_matrix(uint32_t NR, uint32_t NC)
{
	enum { PER = 12 };
	uint32_t *rs = malloc((NR + 1) * sizeof *rs);
	uint32_t *cols = malloc(NR * PER * sizeof *cols);
	uint64_t *deps = malloc(NR * sizeof *deps);
	uint64_t seed = 42;
	uint32_t r, nnz = 0;
	int nd = 0, d, nonempty;
	assert_non_null(rs);
	assert_non_null(cols);
	assert_non_null(deps);
	for (r = 0; r < NR; r++) {
		uint32_t k, m = 2 + (uint32_t)(seed % 8), start = nnz;
		rs[r] = nnz;
		for (k = 0; k < m; k++) {
			uint32_t c, u;
			seed = seed * 6364136223846793005ULL +
				1442695040888963407ULL;
			/* skewed: small columns dense, as for small primes */
			c = (uint32_t)((seed >> 33) % NC);
			if (k < 3)
				c %= 20;
			for (u = start; u < nnz && cols[u] != c; u++)
				;
			if (u == nnz)
				cols[nnz++] = c;
		}
	}
	rs[NR] = nnz;
	assert_int_equal(siqs_linalg(NR, NC, rs, cols, deps, &nd), STATUS_OK);
	assert_true(nd > 0);
	for (d = 0; d < nd; d++) {
		nonempty = 0;
		for (r = 0; r < NR; r++)
			nonempty |= (int)(deps[r] >> d & 1);
		assert_true(nonempty);
		assert_true(dep_sums_to_zero(NR, NC, rs, cols, deps, d));
	}
	/* planted fault: one row dropped from a dependency breaks it */
	for (r = 0; r < NR && !(deps[r] & 1); r++)
		;
	deps[r] ^= 1;
	assert_false(dep_sums_to_zero(NR, NC, rs, cols, deps, 0));
	free(rs);
	free(cols);
	free(deps);
}

/* 300 rows: the merge path (merges, then the dense core); 8300 rows: the
 * sparse path (filtering, ordered columns, logged steps) above 8192. */
static void test_linalg_random_matrix(void **state)
{
	(void)state;
	check_random_matrix(300, 250);
	check_random_matrix(8300, 8200);
}

/* linalg-small-dense: 200 rows, the plain dense elimination of 96 bits. */
static void test_linalg_small_dense(void **state)
{
	(void)state;
	check_random_matrix(200, 180);
}

/* Rank of the nd dependency vectors over the rows (0/1 bytes, destroyed). */
static int deps_rank(uint8_t *v, int nd, uint32_t nrows)
{
	int rank = 0, d, e;
	uint32_t r, c;
	for (c = 0; c < nrows && rank < nd; c++) {
		for (d = rank; d < nd && !v[(size_t)d * nrows + c]; d++)
			;
		if (d == nd)
			continue;
		for (r = 0; r < nrows; r++) {
			uint8_t t = v[(size_t)d * nrows + r];
			v[(size_t)d * nrows + r] = v[(size_t)rank * nrows + r];
			v[(size_t)rank * nrows + r] = t;
		}
		for (e = 0; e < nd; e++)
			if (e != rank && v[(size_t)e * nrows + c])
				for (r = 0; r < nrows; r++)
					v[(size_t)e * nrows + r] ^=
						v[(size_t)rank * nrows + r];
		rank++;
	}
	return rank;
}

/*
 * A seeded NR x NC matrix of rank exactly R: R basis rows, each with a
 * column of its own (column i of basis row i) and a few random columns
 * at or above R, then NR - R rows that are sums of 1-4 basis rows, all
 * in shuffled order.  The solver must return min(64, NR - R) independent
 * dependencies, each summing to zero, and the scalar kernels the same
 * words as the AVX2 ones.
 */
static void check_rank_deficit(uint32_t NR, uint32_t R, uint32_t NC)
{
	uint8_t *row = calloc((size_t)NR * NC, 1), *v;
	uint32_t *rs = malloc((NR + 1) * sizeof *rs),
		 *perm = malloc(NR * sizeof *perm);
	uint32_t *cols = malloc(((size_t)NR * NC + 1) * sizeof *cols);
	uint64_t *deps = malloc((NR + 1) * sizeof *deps);
	uint64_t *deps_scalar = malloc((NR + 1) * sizeof *deps_scalar);
	const struct siqs_linalg_opts scalar_opts = { .scalar = 1 };
	uint64_t seed = 0x5eed0000ULL + NR * 1000u + R;
	uint32_t r, c, k, nnz = 0;
	int nd = -1, nds = -1, d, want = (int)(NR - R < 64 ? NR - R : 64);
	assert_true(R <= NR && R <= NC);
	assert_non_null(row);
	assert_non_null(rs);
	assert_non_null(perm);
	assert_non_null(cols);
	assert_non_null(deps);
	assert_non_null(deps_scalar);
#define LCG()                                                           \
	(seed = seed * 6364136223846793005ULL + 1442695040888963407ULL, \
	 (uint32_t)(seed >> 33))
	for (r = 0; r < R; r++) {
		row[(size_t)r * NC + r] = 1;
		for (k = 0; k < 8 && NC > R; k++)
			row[(size_t)r * NC + R + LCG() % (NC - R)] = 1;
	}
	for (r = R; r < NR; r++)
		for (k = 0, c = 1 + LCG() % 4; R > 0 && k < c; k++) {
			uint32_t b = LCG() % R, j;
			for (j = 0; j < NC; j++)
				row[(size_t)r * NC + j] ^=
					row[(size_t)b * NC + j];
		}
	for (r = 0; r < NR; r++)
		perm[r] = r;
	for (r = NR; r > 1; r--) {
		uint32_t j = LCG() % r, t = perm[r - 1];
		perm[r - 1] = perm[j];
		perm[j] = t;
	}
#undef LCG
	for (r = 0; r < NR; r++) {
		rs[r] = nnz;
		for (c = 0; c < NC; c++)
			if (row[(size_t)perm[r] * NC + c])
				cols[nnz++] = c;
	}
	rs[NR] = nnz;
	assert_int_equal(siqs_linalg(NR, NC, rs, cols, deps, &nd),
			 want > 0 ? STATUS_OK : STATUS_NOT_FOUND);
	assert_int_equal(nd, want);
	assert_int_equal(siqs_linalg_solve_opts(NR, NC, rs, cols, deps_scalar,
						&nds, &scalar_opts),
			 want > 0 ? STATUS_OK : STATUS_NOT_FOUND);
	assert_int_equal(nds, nd);
	for (r = 0; r < NR; r++)
		assert_true(deps[r] == deps_scalar[r]);
	v = calloc((size_t)NR * (size_t)(nd + 1), 1);
	assert_non_null(v);
	for (d = 0; d < nd; d++) {
		assert_true(dep_sums_to_zero(NR, NC, rs, cols, deps, d));
		for (r = 0; r < NR; r++)
			v[(size_t)d * NR + r] = (uint8_t)(deps[r] >> d & 1);
	}
	assert_int_equal(deps_rank(v, nd, NR), nd);
	free(v);
	free(row);
	free(rs);
	free(perm);
	free(cols);
	free(deps);
	free(deps_scalar);
}

/*
 * linalg-rank-deficit: known rank deficits at the word and lane edges of
 * the small path (rows 63-65, 128, 256; columns not a multiple of four),
 * more than 64 free rows (capped), none, one column per row (each column
 * stays a pivot to the end), and the merge path above 256 rows.
 */
static void test_linalg_rank_deficit(void **state)
{
	static const uint32_t shape[][3] = {
		{ 5, 3, 7 },
		{ 1, 0, 1 },
		{ 40, 40, 45 },
		{ 63, 50, 70 },
		{ 64, 63, 64 },
		{ 65, 60, 61 },
		{ 128, 100, 131 },
		{ 167, 145, 150 },
		{ 200, 120, 203 },
		{ 256, 240, 250 },
		{ 256, 100, 300 },
		{ 300, 270, 290 },
		/* no random columns: the last column stays a pivot */
		{ 70, 60, 60 },
		{ 131, 127, 127 },
	};
	size_t i;
	(void)state;
	for (i = 0; i < sizeof shape / sizeof shape[0]; i++)
		check_rank_deficit(shape[i][0], shape[i][1], shape[i][2]);
}

/* Identity rows are independent: nothing to find. */
static void test_linalg_no_dependency(void **state)
{
	uint32_t rs[6] = { 0, 1, 2, 3, 4, 5 }, cols[5] = { 0, 1, 2, 3, 4 };
	uint64_t deps[5];
	int nd = -1;
	(void)state;
	assert_int_equal(siqs_linalg(5, 5, rs, cols, deps, &nd),
			 STATUS_NOT_FOUND);
	assert_int_equal(nd, 0);
}

/* Two equal rows and singletons around them: the pair is the answer. */
static void test_linalg_duplicate_rows(void **state)
{
	uint32_t rs[5] = { 0, 2, 4, 6, 8 };
	uint32_t cols[8] = { 0, 3, 1, 2, 0, 3, 4, 1 };
	uint64_t deps[4];
	int nd = 0;
	(void)state;
	assert_int_equal(siqs_linalg(4, 5, rs, cols, deps, &nd), STATUS_OK);
	assert_int_equal(nd, 1);
	assert_true(deps[0] & 1);
	assert_false(deps[1] & 1);
	assert_true(deps[2] & 1);
	assert_false(deps[3] & 1);
}

/* ---- shared sieve: a helper's batches fed to an owner in one process ---- */

enum { SHARE_MAX_BATCHES = 4096 };

/* The batches a helper exported, in order, and the owner's read position. */
struct share_log {
	unsigned char *batch[SHARE_MAX_BATCHES];
	size_t len[SHARE_MAX_BATCHES];
	size_t n, next, nrec, stop_at;
	int rounds; /* the owner is fed the whole log this many times */
};

/* Records in a batch, walking the wire format's lengths. */
static size_t count_records(const unsigned char *b, size_t len)
{
	size_t off = 0, k = 0;
	while (off + SIQS_WIRE_HEAD <= len) {
		size_t nfac = (size_t)b[off] | (size_t)b[off + 1] << 8;
		off += SIQS_WIRE_HEAD + b[off + 3] + 4 * nfac;
		k++;
	}
	assert_int_equal(off, len);
	return k;
}

static int share_export(void *arg, const unsigned char *batch, size_t len)
{
	struct share_log *L = arg;
	assert_true(len > 0 && len <= SIQS_WIRE_MAX_BATCH);
	assert_true(L->n < SHARE_MAX_BATCHES);
	L->batch[L->n] = malloc(len);
	assert_non_null(L->batch[L->n]);
	memcpy(L->batch[L->n], batch, len);
	L->len[L->n++] = len;
	L->nrec += count_records(batch, len);
	return L->nrec >= L->stop_at;
}

static int share_import(void *arg, const unsigned char **batch, size_t *len)
{
	struct share_log *L = arg;
	if (L->next >= L->n * (size_t)L->rounds)
		return 0;
	*batch = L->batch[L->next % L->n];
	*len = L->len[L->next % L->n];
	L->next++;
	return 1;
}

static void share_log_clear(struct share_log *L)
{
	size_t i;
	for (i = 0; i < L->n; i++)
		free(L->batch[i]);
}

/*
 * A record of nfac indices 0 and yb bytes of |y| (a well-formed record
 * whose product is wrong) at p; its length.
 */
static size_t craft_record(unsigned char *p, size_t nfac, size_t yb)
{
	memset(p, 0, SIQS_WIRE_HEAD + yb + 4 * nfac);
	p[0] = (unsigned char)nfac;
	p[1] = (unsigned char)(nfac >> 8);
	p[3] = (unsigned char)yb;
	p[4] = p[8] = 1; /* lp = lp2 = 1 */
	memset(p + SIQS_WIRE_HEAD, 0x5a, yb);
	return SIQS_WIRE_HEAD + yb + 4 * nfac;
}

static int owner_run(mpz_t f, const mpz_t n, struct share_log *L,
		     struct siqs_stats *st);

/*
 * The wire format's limits: a record of SIQS_WIRE_MAX_FAC indices or
 * SIQS_WIRE_MAX_YBYTES bytes of y is read (rejected by the product check
 * alone, the good record after it imported); one index or one byte more
 * is malformed and ends its batch (the good record after it is lost).
 */
static void check_wire_limits(const mpz_t n, const struct share_log *src)
{
	static struct share_log T;
	static const size_t shape[4][2] = { { SIQS_WIRE_MAX_FAC, 8 },
					    { SIQS_WIRE_MAX_FAC + 1, 8 },
					    { 4, SIQS_WIRE_MAX_YBYTES },
					    { 4, SIQS_WIRE_MAX_YBYTES + 1 } };
	const unsigned char *good = src->batch[0];
	size_t glen = SIQS_WIRE_HEAD + good[3] +
		4 * ((size_t)good[0] | (size_t)good[1] << 8);
	struct siqs_stats st;
	mpz_t g;

	mpz_init(g);
	for (int k = 0; k < 4; k++) {
		size_t len;
		memset(&T, 0, sizeof T);
		T.batch[0] =
			malloc(SIQS_WIRE_MAX_REC + SIQS_WIRE_HEAD + 4 + glen);
		assert_non_null(T.batch[0]);
		len = craft_record(T.batch[0], shape[k][0], shape[k][1]);
		memcpy(T.batch[0] + len, good, glen);
		T.len[0] = len + glen;
		T.n = 1;
		T.rounds = 1;
		assert_int_equal(owner_run(g, n, &T, &st), STATUS_FOUND);
		assert_int_equal(st.import_rejected, 1);
		assert_int_equal(st.imported, k % 2 == 0 ? 1 : 0);
		free(T.batch[0]);
	}
	mpz_clear(g);
}

/* The owner's run on n importing L (from its start); its status. */
static int owner_run(mpz_t f, const mpz_t n, struct share_log *L,
		     struct siqs_stats *st)
{
	struct siqs_params par;
	siqs_params_init(&par);
	par.stats = st;
	par.import_rels = share_import;
	par.import_arg = L;
	L->next = 0;
	return siqs_factor(f, n, &par);
}

/*
 * shared-sieve: a helper (its own A stream, export hook, stopped by the
 * hook's return) sends about half the relations a solo run needs; the
 * owner importing them finds the solo run's factor set with fewer
 * polynomials of its own, rejects nothing; fed the log twice it drops
 * every second copy as a duplicate; a record with a wrong large prime
 * is rejected and counted, and so is a malformed one.
 */
static void test_shared_sieve(void **state)
{
	static struct share_log L;
	struct siqs_params par;
	struct siqs_stats solo, hs, os;
	mpz_t n, f, g, p;
	(void)state;
	memset(&L, 0, sizeof L);
	mpz_init_set_str(n, semiprimes[2].n, 10);
	mpz_inits(f, g, p, NULL);
	mpz_set_str(p, semiprimes[2].p, 10);
	siqs_params_init(&par);
	par.stats = &solo;
	assert_int_equal(siqs_factor(f, n, &par), STATUS_FOUND);
	/* the helper: stopped by its export hook */
	par.stats = &hs;
	par.helper = 1;
	par.seed = 99;
	par.export_rels = share_export;
	par.export_arg = &L;
	L.stop_at = (solo.fulls + solo.partials) / 2;
	assert_int_equal(siqs_factor(g, n, &par), STATUS_ERR_STOPPED);
	assert_true(L.n > 0);
	assert_int_equal(hs.exported, L.nrec);
	/* the owner with the helper's relations */
	L.rounds = 1;
	assert_int_equal(owner_run(g, n, &L, &os), STATUS_FOUND);
	assert_true(proper_divisor(g, n));
	mpz_divexact(f, n, g);
	assert_true(mpz_cmp(g, p) == 0 || mpz_cmp(f, p) == 0);
	assert_int_equal(os.imported, L.nrec);
	assert_int_equal(os.import_rejected, 0);
	assert_true(os.polys < solo.polys);
	/* fed twice: the second copies are duplicates */
	L.rounds = 2;
	assert_int_equal(owner_run(g, n, &L, &os), STATUS_FOUND);
	assert_int_equal(os.imported, L.nrec);
	assert_true(os.import_dups >= L.nrec);
	assert_int_equal(os.import_rejected, 0);
	check_wire_limits(n, &L);
	/* planted: the first record's large prime changed, then a record
	 * whose length runs past its batch */
	L.rounds = 1;
	L.batch[0][4] ^= 2;
	L.len[L.n - 1] -= 1;
	assert_int_equal(owner_run(g, n, &L, &os), STATUS_FOUND);
	assert_int_equal(os.import_rejected, 2);
	assert_true(proper_divisor(g, n));
	share_log_clear(&L);
	mpz_clears(n, f, g, p, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_linalg_random_matrix),
		cmocka_unit_test(test_linalg_small_dense),
		cmocka_unit_test(test_linalg_rank_deficit),
		cmocka_unit_test(test_linalg_no_dependency),
		cmocka_unit_test(test_linalg_duplicate_rows),
		cmocka_unit_test(test_checker_rejects_wrong_factor),
		cmocka_unit_test(test_invalid_inputs),
		cmocka_unit_test(test_deadline_in_past),
		cmocka_unit_test(test_stop_hook),
		cmocka_unit_test(test_known_semiprimes),
		cmocka_unit_test(test_three_primes),
		cmocka_unit_test(test_factor_in_factor_base),
		cmocka_unit_test(test_perfect_square),
		cmocka_unit_test(test_perfect_powers),
		cmocka_unit_test(test_same_seed_same_factor),
		cmocka_unit_test(test_vector_paths_match_scalar),
		cmocka_unit_test(test_sieve_matches_reference),
		cmocka_unit_test(test_known_60_digits),
		cmocka_unit_test(test_split_cofactor),
		cmocka_unit_test(test_cycle_count_hand_graph),
		cmocka_unit_test(test_cycle_combination_planted),
		cmocka_unit_test(test_dlp_200_bits),
		cmocka_unit_test(test_dlp_230_bits),
		cmocka_unit_test(test_shared_sieve),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
