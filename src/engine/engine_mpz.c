/*
 * engine_mpz.c - the GMP tier of the engine: primality, Pollard-Brent rho,
 * P-1 and ECM (through GMP-ECM), and the call into SIQS.
 *
 * Purpose: given an odd composite n >= 2^128 that is not a perfect power and
 * has no factor below the trial-division bound, find one non-trivial factor
 * (find_factor_mpz).  engine.c splits recursively; this file never sees the
 * result list.
 *
 * Invariants:
 *   - every random choice comes from struct mpz_search's splitmix64 state,
 *     seeded from params->seed (GMP-ECM's own generator is reseeded from it),
 *     so runs repeat;
 *   - a "factor" is always 1 < f < n (GMP-ECM may return n itself: dropped);
 *   - GMP-ECM runs with verbose = 0, so this file never prints.
 *
 * Schedule (find_factor_mpz), cheap steps first:
 *   1. Pollard-Brent rho, RHO_ITERS iterations, gcds batched by RHO_BATCH
 *      (Brent, "An improved Monte Carlo factorization algorithm", BIT 1980).
 *   2. P-1 with GMP-ECM's default B2 (Montgomery 1987), B1 by size as a
 *      few ECM curves' worth: 1e4 below 60 digits, 3e4 below 80, 1e5 above.
 *   3. ECM (Lenstra 1987; GMP-ECM, Zimmermann-Dodson 2006) by levels, the
 *      B1/curve table of GMP-ECM's README for its default parametrization:
 *      15 digits B1=2e3 30 curves, 20: 11e3 90, 25: 5e4 240, 30: 25e4 500,
 *      35: 1e6 900, 40: 3e6 2400, 45: 11e6 5500, 50: 43e6 10000, ...
 *   4. For SIQS_MIN_DIGITS <= D <= SIQS_MAX_DIGITS (D = digits), once ECM
 *      has cleared the pretest depth below, SIQS (siqs.h; with
 *      params->coop a run may be shared: other ranks' relations come in
 *      through its import hook, engine.h struct engine_coop).  If SIQS declines
 *      (STATUS_ERR_INVAL) or fails twice (STATUS_NOT_FOUND: only trivial
 *      dependencies, retried once with another seed), ECM goes on.
 *   5. Above SIQS range, ECM climbs the levels until a factor, the deadline,
 *      or the stop hook.
 *
 * Pretest depth: ECM runs before SIQS while P(the next curve finds a
 * factor | every earlier curve failed) * SIQS's time exceeds the curve's
 * time (Silverman-Wagstaff, "A practical analysis of the elliptic curve
 * factoring algorithm", Math. Comp. 61 (1993)), with P from Buchstab's
 * density for the smallest prime factor of a random composite and the
 * table's expected curve counts (tests/data/gen/ecm_depth.py computes it).
 * The prior depends only on the cofactor's own history, never on other
 * numbers, so a number's work does not depend on the batch, its order
 * or the number of ranks:
 *   - the whole input (nothing removed yet): half random composites,
 *     half balanced semiprimes (RSA-style inputs, S160 to S230, reach
 *     the sieve with no factor found), 0.272 D - 4.6 digits;
 *   - a proper divisor of the input (prog->divisor: trial division or a
 *     method removed a factor): a random composite's cofactor, whose
 *     prior has no balanced semiprimes, 0.35 D - 4.5 digits (24 digits
 *     at 82, where the whole input gets 17.7).
 * Below t15 the table's first B1 = 2e3 stays best.  The costs, the
 * model's table and the trade-off: engine_NOTES.md.
 *
 * Interleaving: a proper divisor of INTERLEAVE_MIN_DIGITS or more keeps
 * its ECM going while SIQS runs, the schedule's next curves taking
 * INTERLEAVE_SHARE of the time from SIQS's stop hook (between
 * polynomials).  The pretest depth is where the next curve stops paying
 * on average; past it a factor of the next level is still likely enough
 * for a real input (its cofactor is what a random composite leaves,
 * often with a factor of 20 to 30 digits) that finding it before the
 * sieve ends saves most of the sieve: a 24-digit factor the pretest
 * missed costs ECM about 30 s at 84 digits, the sieve about 400 s.  The
 * whole input keeps the sieve alone (a balanced semiprime there has no
 * factor ECM can find, so every curve would be a loss).  What curves
 * ran depends on the CPU clock, so the time to a factor does; the
 * factorization does not.
 *
 * Primality (prime_p_mpz): GMP 6.2's mpz_probab_prime_p runs BPSW first and
 * answers 2 (proven) below 2^64; above, BPSW plus PRIME_MR_ROUNDS Miller-Rabin
 * rounds with bases from the seed gives 1 (probable prime).  A composite is
 * never reported prime: BPSW has no known pseudoprime and MR rounds only add.
 *
 * Not thread-safe: GMP-ECM's stop_asap hook takes no argument, so the search
 * being run is kept in a thread-local pointer while GMP-ECM runs.
 */
#include <stdlib.h>
#include <time.h>

#include <ecm.h>

#include "engine_int.h"
#include "siqs.h"
#include "status.h"

enum {
	RHO_ITERS = 2048,      /* rho: finds factors to ~2^22 with high odds */
	RHO_BATCH = 64,        /* products of |x - y| between gcds */
	PRIME_MR_ROUNDS = 4,   /* Miller-Rabin rounds after BPSW, n >= 2^64 */
	SIQS_MIN_DIGITS = 39,  /* below: 2^128, handled by the u128 tier */
	SIQS_MAX_DIGITS = 110, /* above: ECM only */
	SIQS_TRIES = 2,        /* SIQS runs (seeds) before ECM takes over */
	/* interleaving ECM with SIQS from here: a sieve of about a second
	   (engine_NOTES.md), below which a curve rarely ends it early */
	INTERLEAVE_MIN_DIGITS = 60
};
/* ECM's share of the time while SIQS runs on a proper divisor: the
   sieve takes 1 / (1 - share) longer when no factor is there to find
   (engine_NOTES.md, "Interleaving ECM with the sieve", for the figures) */
static const double INTERLEAVE_SHARE = 0.25;
/* P-1 bound B1 for a D-digit cofactor (see step 2 above). */
static double pm1_b1(size_t digits)
{
	return digits < 60 ? 1e4 : digits < 80 ? 3e4 : 1e5;
}
/*
 * ECM pretest depth before SIQS, in digits: PRETEST_SLOPE * D - PRETEST_BASE
 * for a D-digit whole input, DIVISOR_SLOPE * D - DIVISOR_BASE for a proper
 * divisor of the input (see "Pretest depth" above): the lines through
 * tests/data/gen/ecm_depth.py's depths for its prior (0.5 random: earlier
 * costs; 1.0 random: 9.2, 15.2, 24.6, 30.3 digits at 39, 60, 81, 99).
 */
static const double PRETEST_SLOPE = 0.272;
static const double PRETEST_BASE = 4.6;
static const double DIVISOR_SLOPE = 0.35;
static const double DIVISOR_BASE = 4.5;
/* Digits a fresh cofactor is assumed clear to (trial division and rho). */
static const double BASE_DIGITS = 8.0;

struct ecm_level {
	double digits;
	double b1;
	unsigned long curves;
};
static const struct ecm_level ecm_table[] = {
	{ 15, 2e3, 30 },     { 20, 11e3, 90 },    { 25, 5e4, 240 },
	{ 30, 25e4, 500 },   { 35, 1e6, 900 },    { 40, 3e6, 2400 },
	{ 45, 11e6, 5500 },  { 50, 43e6, 10000 }, { 55, 11e7, 20000 },
	{ 60, 26e7, 42000 }, { 65, 85e7, 69000 }, { 70, 29e8, 112000 },
};
enum { ECM_LEVELS = sizeof ecm_table / sizeof ecm_table[0] };

/* ---- primality ---- */

/* One strong-probable-prime round to base a (2 <= a < n - 1), n odd > 3. */
static int sprp(const mpz_t n, const mpz_t nm1, const mpz_t d, mp_bitcnt_t s,
		mpz_t a, mpz_t y)
{
	mpz_powm(y, a, d, n);
	if (mpz_cmp_ui(y, 1) == 0 || mpz_cmp(y, nm1) == 0)
		return 1;
	for (mp_bitcnt_t i = 1; i < s; i++) {
		mpz_mul(y, y, y);
		mpz_mod(y, y, n);
		if (mpz_cmp(y, nm1) == 0)
			return 1;
		if (mpz_cmp_ui(y, 1) == 0)
			return 0;
	}
	return 0;
}

int prime_p_mpz_seed(const mpz_t n, uint64_t seed)
{
	/* reps 24: GMP 6.2 runs trial division and BPSW only. */
	int r = mpz_probab_prime_p(n, 24);
	if (r != 1)
		return r;
	mpz_t nm1, d, a, y;
	mpz_inits(nm1, d, a, y, NULL);
	mpz_sub_ui(nm1, n, 1);
	mp_bitcnt_t s = mpz_scan1(nm1, 0);
	mpz_tdiv_q_2exp(d, nm1, s);
	uint64_t st = seed ^ 0x6a09e667f3bcc908u;
	for (int i = 0; i < PRIME_MR_ROUNDS && r; i++) {
		/* base in [2, 2^64): n > 2^64 here, so a < n - 1 */
		uint64_t b = engine_rand(&st) | 2u;
		mpz_set_ui(a, (unsigned long)b);
		if (!sprp(n, nm1, d, s, a, y))
			r = 0;
	}
	mpz_clears(nm1, d, a, y, NULL);
	return r;
}

int prime_p_mpz(const mpz_t n)
{
	return prime_p_mpz_seed(n, 1);
}

/* ---- search state and stop hook ---- */

static _Thread_local struct mpz_search *ecm_current;

static int ecm_stop_hook(void)
{
	return ecm_current != NULL && mpz_search_stop_p(ecm_current);
}

void mpz_search_init(struct mpz_search *s, const struct engine_params *p,
		     double deadline)
{
	s->params = p;
	s->deadline = deadline;
	s->rng = p->seed;
	s->ecm = NULL;
	mpz_inits(s->t1, s->t2, s->t3, NULL);
}

void mpz_search_clear(struct mpz_search *s)
{
	if (s == NULL)
		return;
	if (s->ecm != NULL) {
		ecm_clear((ecm_params_ptr)s->ecm);
		free(s->ecm);
		s->ecm = NULL;
	}
	mpz_clears(s->t1, s->t2, s->t3, NULL);
}

int mpz_search_stop_p(struct mpz_search *s)
{
	const struct engine_params *p = s->params;
	if (p->stop != NULL && p->stop(p->stop_arg))
		return 1;
	return s->deadline > 0.0 && engine_now() >= s->deadline;
}

/* ---- Pollard-Brent rho ---- */

int rho_mpz(mpz_t f, const mpz_t n, unsigned long iters, struct mpz_search *s)
{
	mpz_t x, y, ys, q;
	mpz_inits(x, y, ys, q, NULL);
	unsigned long c = 1 + engine_rand(&s->rng) % 1000u;
	mpz_set_ui(y, 2 + engine_rand(&s->rng) % 1000u);
	mpz_set_ui(q, 1);
	mpz_set_ui(f, 1);
	unsigned long r = 1, done = 0;
	int st = STATUS_NOT_FOUND;
	while (mpz_cmp_ui(f, 1) == 0 && done < iters) {
		mpz_set(x, y);
		for (unsigned long i = 0; i < r; i++) {
			mpz_mul(y, y, y);
			mpz_add_ui(y, y, c);
			mpz_mod(y, y, n);
		}
		for (unsigned long k = 0; k < r && mpz_cmp_ui(f, 1) == 0;
		     k += RHO_BATCH) {
			mpz_set(ys, y);
			unsigned long m = r - k < RHO_BATCH ? r - k : RHO_BATCH;
			for (unsigned long i = 0; i < m; i++) {
				mpz_mul(y, y, y);
				mpz_add_ui(y, y, c);
				mpz_mod(y, y, n);
				mpz_sub(s->t1, x, y);
				mpz_mul(q, q, s->t1);
				mpz_mod(q, q, n);
			}
			done += m;
			mpz_gcd(f, q, n);
		}
		r *= 2;
	}
	if (mpz_cmp(f, n) == 0) {
		/* the batch overshot: redo its steps one gcd at a time */
		do {
			mpz_mul(ys, ys, ys);
			mpz_add_ui(ys, ys, c);
			mpz_mod(ys, ys, n);
			mpz_sub(s->t1, x, ys);
			mpz_gcd(f, s->t1, n);
		} while (mpz_cmp_ui(f, 1) == 0);
	}
	if (mpz_cmp_ui(f, 1) > 0 && mpz_cmp(f, n) < 0)
		st = STATUS_FOUND;
	mpz_clears(x, y, ys, q, NULL);
	return st;
}

/* ---- GMP-ECM: P-1 and ECM ---- */

static ecm_params_ptr ecm_get(struct mpz_search *s)
{
	if (s->ecm == NULL) {
		ecm_params_ptr p = malloc(sizeof *p);
		if (p == NULL)
			return NULL;
		ecm_init(p);
		p->verbose = 0;
		p->stop_asap = ecm_stop_hook;
		gmp_randseed_ui(p->rng, (unsigned long)engine_rand(&s->rng));
		s->ecm = p;
	}
	return (ecm_params_ptr)s->ecm;
}

/* One GMP-ECM run of the given method; f is set on STATUS_FOUND. */
static int ecm_run(mpz_t f, const mpz_t n, double b1, int method,
		   struct mpz_search *s)
{
	ecm_params_ptr p = ecm_get(s);
	if (p == NULL)
		return STATUS_ERR_NOMEM;
	if (mpz_search_stop_p(s))
		return STATUS_ERR_STOPPED;
	p->method = method;
	p->B1done = ECM_DEFAULT_B1_DONE;
	mpz_set_ui(p->x, 0);
	mpz_set_ui(p->y, 0);
	mpz_set_si(p->B2, ECM_DEFAULT_B2);
	mpz_set_si(p->B2min, -1);
	if (method == ECM_ECM) {
		p->param = ECM_PARAM_BATCH_SQUARE;
		/* param 1 takes sigma in [2, 2^32) */
		mpz_set_ui(p->sigma,
			   2 +
				   (unsigned long)(engine_rand(&s->rng) %
						   4294967000u));
	}
	mpz_set(s->t2, n);
	ecm_current = s;
	int r = ecm_factor(f, s->t2, b1, p);
	ecm_current = NULL;
	if (r < 0)
		return mpz_search_stop_p(s) ? STATUS_ERR_STOPPED
					    : STATUS_NOT_FOUND;
	if (r > 0 && mpz_cmp_ui(f, 1) > 0 && mpz_cmp(f, n) < 0)
		return STATUS_FOUND;
	return mpz_search_stop_p(s) ? STATUS_ERR_STOPPED : STATUS_NOT_FOUND;
}

int pm1_mpz(mpz_t f, const mpz_t n, double b1, struct mpz_search *s)
{
	return ecm_run(f, n, b1, ECM_PM1, s);
}

int ecm_mpz(mpz_t f, const mpz_t n, double b1, struct mpz_search *s)
{
	return ecm_run(f, n, b1, ECM_ECM, s);
}

/* ---- the schedule ---- */

/* Digits ECM has cleared, interpolated within the current level. */
static double ecm_done_digits(const struct mpz_progress *prog)
{
	if (prog->level >= ECM_LEVELS)
		return ecm_table[ECM_LEVELS - 1].digits;
	double lo = prog->level ? ecm_table[prog->level - 1].digits
				: BASE_DIGITS;
	const struct ecm_level *l = &ecm_table[prog->level];
	return lo + (l->digits - lo) * (double)prog->curves / (double)l->curves;
}

/* The ECM depth before SIQS for a D-digit cofactor with history prog. */
static double pretest_digits(size_t digits, const struct mpz_progress *prog)
{
	if (prog->divisor)
		return DIVISOR_SLOPE * (double)digits - DIVISOR_BASE;
	return PRETEST_SLOPE * (double)digits - PRETEST_BASE;
}

/* One ECM curve at the schedule's current level (past the table, B1
   grows with the curves run); the level advances when its curves are
   done.  f is set on STATUS_FOUND. */
static int ecm_next(mpz_t f, const mpz_t n, struct mpz_progress *prog,
		    struct mpz_search *s)
{
	double b1;
	if (prog->level < ECM_LEVELS)
		b1 = ecm_table[prog->level].b1;
	else
		b1 = ecm_table[ECM_LEVELS - 1].b1 *
			(1.0 + (double)(prog->curves / 1000u));
	int r = ecm_mpz(f, n, b1, s);
	prog->curves++;
	if (s->params->stats != NULL)
		s->params->stats->ecm_curves++;
	if (prog->level < ECM_LEVELS &&
	    prog->curves >= ecm_table[prog->level].curves) {
		prog->level++;
		prog->curves = 0;
	}
	return r;
}

/*
 * ECM beside the sieve (see "Interleaving" above): SIQS's stop hook,
 * polled between polynomials, runs the schedule's next curves whenever
 * ECM's time is below share * the time since SIQS started (the thread's
 * CPU time, so a loaded core does not move the share).  A factor (or
 * the outer stop hook, or an error) stops the sieve; siqs_call then
 * returns what the curve gave.
 */
struct interleave {
	struct mpz_search *s;
	struct mpz_progress *prog;
	const mpz_srcptr n;
	mpz_ptr f;
	double share, t0, t_ecm;
	int r; /* STATUS_NOT_FOUND until a curve ends the sieve */
};

static int interleave_hook(void *arg)
{
	struct interleave *iv = arg;
	const struct engine_params *p = iv->s->params;

	if (p->stop != NULL && p->stop(p->stop_arg))
		return 1;
	double now = engine_cpu_now();
	while (iv->t_ecm < iv->share * (now - iv->t0)) {
		iv->r = ecm_next(iv->f, iv->n, iv->prog, iv->s);
		if (p->stats != NULL)
			p->stats->interleaved++;
		double then = engine_cpu_now();
		iv->t_ecm += then - now;
		now = then;
		if (iv->r != STATUS_NOT_FOUND)
			return 1;
	}
	return 0;
}

/* ECM's share of the time while SIQS runs on a D-digit cofactor. */
static double interleave_share(size_t digits, const struct mpz_progress *prog)
{
	return prog->divisor && digits >= INTERLEAVE_MIN_DIGITS
		? INTERLEAVE_SHARE
		: 0.0;
}

static int siqs_call(mpz_t f, const mpz_t n, struct mpz_progress *prog,
		     struct mpz_search *s)
{
	struct siqs_params sp;
	struct interleave iv = {
		s, prog, n, f, 0.0, 0.0, 0.0, STATUS_NOT_FOUND
	};
	siqs_params_init(&sp);
	sp.seed = engine_rand(&s->rng);
	sp.deadline = s->deadline;
	sp.stop = s->params->stop;
	sp.stop_arg = s->params->stop_arg;
	iv.share = interleave_share(mpz_sizeinbase(n, 10), prog);
	if (iv.share > 0.0) {
		iv.t0 = engine_cpu_now();
		sp.stop = interleave_hook;
		sp.stop_arg = &iv;
	}
	const struct engine_coop *co = s->params->coop;
	int shared = co && co->begin(co->arg, n);
	if (shared) {
		sp.import_rels = co->import;
		sp.import_arg = co->arg;
	}
	int r = siqs_factor(f, n, &sp);
	if (shared)
		co->end(co->arg);
	struct engine_stats *st = s->params->stats;
	if (st != NULL)
		st->siqs_runs++;
	if (iv.r != STATUS_NOT_FOUND) {
		r = iv.r; /* a curve's factor, error or stop ended the sieve */
		if (st != NULL && r == STATUS_FOUND)
			st->siqs_cut++;
	}
	if (r == STATUS_FOUND &&
	    !(mpz_cmp_ui(f, 1) > 0 && mpz_cmp(f, n) < 0 &&
	      mpz_divisible_p(n, f)))
		r = STATUS_NOT_FOUND; /* never trust a bad factor */
	if (r == STATUS_ERR_TIMEOUT)
		r = STATUS_ERR_STOPPED;
	return r;
}

int find_factor_mpz(mpz_t f, const mpz_t n, struct mpz_progress *prog,
		    struct mpz_search *s)
{
	int r;
	size_t digits = mpz_sizeinbase(n, 10);
	if (!prog->rho_done) {
		r = rho_mpz(f, n, RHO_ITERS, s);
		/* a rho factor is small: the cofactor may hold more, so the
		 * divisors of n (which inherit prog) run rho again */
		prog->rho_done = r != STATUS_FOUND;
		if (r != STATUS_NOT_FOUND)
			return r;
	}
	if (!prog->pm1_done) {
		prog->pm1_done = 1;
		r = pm1_mpz(f, n, pm1_b1(digits), s);
		if (r != STATUS_NOT_FOUND)
			return r;
	}
	int siqs_ok = digits >= SIQS_MIN_DIGITS && digits <= SIQS_MAX_DIGITS &&
		prog->siqs_failed < SIQS_TRIES;
	double target = pretest_digits(digits, prog);
	for (;;) {
		if (mpz_search_stop_p(s))
			return STATUS_ERR_STOPPED;
		if (siqs_ok && ecm_done_digits(prog) >= target) {
			r = siqs_call(f, n, prog, s);
			if (r == STATUS_FOUND || r == STATUS_ERR_STOPPED ||
			    r == STATUS_ERR_NOMEM)
				return r;
			/* a run whose dependencies were all trivial is
			 * retried with other polynomials; a refusal is not */
			prog->siqs_failed = r == STATUS_NOT_FOUND
				? (unsigned char)(prog->siqs_failed + 1)
				: SIQS_TRIES;
			siqs_ok = prog->siqs_failed < SIQS_TRIES;
			continue;
		}
		r = ecm_next(f, n, prog, s);
		if (r != STATUS_NOT_FOUND)
			return r;
	}
}
