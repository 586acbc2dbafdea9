/*
 * range.c - factor an arithmetic progression by a segmented sieve
 * (include/range.h).
 *
 * Purpose: a --count job's chunk is the terms t_k = start + k*step,
 * k < count.  Factoring them one by one (engine_factor) trial-divides
 * every term by every small prime.  A sieve does the same work the other
 * way round: a prime p divides t_k exactly when k = k0 (mod p), where
 * k0 = -start / step (mod p) is solved once per prime, so striding by p
 * over k visits exactly the terms p divides and nothing else (Oliveira e
 * Silva's segmented sieve; PARI/GP's forfactored factors a range so).
 *
 * Algorithm, per block of at most RANGE_BLOCK consecutive terms:
 *   1. Mode.  NATIVE when every term of the block is below 2^64 (a block
 *      that would cross 2^64 is cut at the crossing), BIG otherwise, ZERO
 *      for the term 0 alone (every prime divides 0; the per-number path
 *      prints "0:", an empty list).
 *   2. Bound B: the sieve uses every prime p < B, with
 *      B = min(isqrt(last term) + 1, cap).  cap is max_bound
 *      (RANGE_MAX_BOUND) for NATIVE blocks and RANGE_BIG_BOUND for BIG
 *      ones; a chunk that does not continue the previous one (a "fresh"
 *      chunk) also caps B at RANGE_FRESH_PER_TERM * block terms, so the
 *      cost of solving the primes, four multiplications and the loads
 *      per prime, stays bounded per term however short the chunk.  The table holds every
 *      prime below table_bound and grows (at least doubling) when B
 *      passes it; if it cannot grow, B is table_bound: any B is exact, a
 *      smaller one only leaves more to engine_factor.
 *   3. Solve.  For each prime not yet solved at this block:
 *      r = t_0 mod p, s = step mod p.  s != 0: k0 = -r * s^-1 mod p,
 *      stride p, computed without a division by Montgomery's reduction
 *      (range_solve: a per-step constant -s^-1 * 2^128 mod p is cached
 *      per prime).  s = 0, i.e. p | step: p divides every term (r = 0:
 *      stride 1) or none (r != 0: never).  A continuing chunk keeps every offset: after a
 *      block of L terms each offset is reduced by L, nothing is solved
 *      again but the primes a larger B adds.
 *   4. Sieve (NATIVE): cofactor c_k = t_k in a u64 array; for each prime
 *      in ascending order and each k it hits, divide c_k by p while
 *      divisible (exact division: c * p^-1 mod 2^64, and p | x iff
 *      x * p^-1 mod 2^64 <= (2^64 - 1) / p; 2 by its trailing zeros) and
 *      append (p, e) to the term's list, which is therefore ascending.
 *      BIG: only the list of primes that divide t_k (exponents found
 *      when the term is taken, with GMP).
 *   5. Each term, when range_next_words takes it: the listed p^e, then
 *      the cofactor c.  c = 1: done.  1 < c < B^2: c is prime, because
 *      every prime below B was divided out completely, so a composite c
 *      would be a product of two primes >= B, i.e. c >= B^2.  c >= B^2:
 *      NATIVE, the engine's 64-bit tier without its trial division
 *      (factor_u64_rough: the sieve did it; its factors are all >= B, so
 *      appending them keeps the list ascending); BIG, engine_factor.  A term with more
 *      than RANGE_SLOTS sieve primes goes to the 64-bit tier (BIG:
 *      engine_factor) whole.
 *   6. Check: the product of the p^e equals t_k (in 64-bit words, every
 *      product checked for wrapping, below 2^64; engine_product_check
 *      above).  Primality needs no test: a listed p is a prime of the
 *      table, a cofactor below B^2 is prime by step 5 (this is why no
 *      BPSW runs on it: the sieve proved it), and the 64-bit tier proved
 *      its primes with its deterministic test (as engine_factor's own
 *      check, small_verify_u64, relies on).  The worker counts this
 *      check as the producer's, as it does engine_factor's (worker.c);
 *      rank 0 parses back and fully checks its --verify sample of the
 *      lines (block.h).
 *
 * A NATIVE term's answer stays in machine words (struct engine_words:
 * the term, its primes and exponents) from the sieve to the line, which
 * output_format_words writes without GMP; range_next copies the words
 * into an engine_result for callers that want one.  A NATIVE term the
 * time limit or the stop hook leaves partial, and every BIG term, come
 * back in an engine_result.
 *
 * Results equal engine_factor's (the per-number path): factors ascending,
 * exact exponents, kinds by the engine's rule (ENGINE_PRIME below 2^64,
 * the engine's own kinds for what engine_factor returns), so the lines
 * are the same bytes.
 *
 * Cost model, per term: the hits, sum over p < B of 1/p ~ ln ln B + 0.26
 * (3.0 at B = 2^20, 3.2 at 2^24), each one multiplication and a compare
 * per power;
 * every prime once per block (offset compare and subtract): pi(B) / L
 * (78498 / 16384 = 5 at 10^12, 1077871 / 16384 = 66 at the cap, where a
 * prime without a hit in the block costs one compare and subtraction); the solve, once per prime per fresh
 * chunk (at most RANGE_FRESH_PER_TERM per term) plus the primes a growing
 * B adds; the cofactors >= B^2 cost what the 64-bit tier costs on them
 * (none at 10^12, where B = 10^6 + 1 covers sqrt).  Formatting the words
 * is the caller's.
 *
 * Memory, bounded whatever the chunk size: the prime table, grown on
 * demand (RANGE_TABLE_FIRST, then at least doubling) to the largest B a
 * block needed, at most RANGE_MAX_BOUND (1077871 primes: p, offset and
 * stride, p^-1 and its limit, the step inverse: 32 bytes each, 33 MiB;
 * 2.4 MiB at 10^12, where B = 10^6 + 1; while it grows, a byte per odd
 * number below the new bound, 8 MiB at most) and one block of RANGE_BLOCK
 * terms (cofactor, count and RANGE_SLOTS packed entries: 41 bytes each,
 * 656 KiB): at most about 34 MiB per worker (terms near 2^48 and up),
 * 3 MiB at 10^12.
 *
 * Invariants: off[i] is the index, relative to the current block's end
 * after a sieve (its start before one), of the next term prime i divides,
 * for i < nsolved; every term handed out was covered by a block sieved
 * with every prime below that block's B (but for RANGE_FAULT_*, test
 * only).
 */
#include "range.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "engine_int.h"
#include "status.h"

enum {
	/*
	 * Largest sieve bound, for 64-bit terms: 2^24 (1077871 primes, a
	 * 33 MiB table, built only when the terms need it: see
	 * RANGE_TABLE_FIRST).  Near 2^62 a cofactor left by the sieve is
	 * composite, and costs ECM, only when two of its primes are >= B:
	 * 2^24 instead of 2^20 takes the CPU of 10^5 terms from 2^62 from
	 * 0.37 s to 0.28 s (the per-number path: 0.75 s); at 10^12 the
	 * bound is sqrt(t) + 1 = 10^6 + 1 whatever the cap, so every
	 * cofactor there is prime.
	 */
	RANGE_MAX_BOUND = 1 << 24,
	/* The table at range_new: primes below 2^16 (6542, 200 KiB), which
	   covers RANGE_BIG_BOUND; it grows, at least doubling, when a
	   block's bound needs more. */
	RANGE_TABLE_FIRST = 1 << 16,
	/* Bound for terms >= 2^64 (GMP arithmetic per hit, small gain). */
	RANGE_BIG_BOUND = 1 << 16,
	/*
	 * A fresh chunk's bound is at most this many times its terms: the
	 * solve (about 60 primes per term at most) costs less than the
	 * 64-bit tier's primality tests a lower bound leaves (a cofactor
	 * >= B^2); at 10^12 a chunk of 7000 terms reaches sqrt = 10^6 and
	 * costs what a continuing one does.
	 */
	RANGE_FRESH_PER_TERM = 256,
	/* and at least this (the primes below 2^12 pay for themselves). */
	RANGE_MIN_BOUND = 1 << 12,
	/* Terms per block: cofactors + entries fit a 1 MiB L2 share. */
	RANGE_BLOCK = 1 << 14,
	/* Sieve primes kept per term; more: the term goes to the engine. */
	RANGE_SLOTS = 8,
	RANGE_OVERFLOW = 0xff, /* cnt[k]: more than RANGE_SLOTS */
	RANGE_EBITS = 6        /* exponent bits of a packed entry */
};

__extension__ typedef unsigned __int128 range_u128;

/* off of a prime that divides no term of the progression */
static const uint32_t RANGE_NEVER = UINT32_MAX;

/* A packed entry p << RANGE_EBITS | e holds p < 2^26 and e < 64. */
static_assert(RANGE_MAX_BOUND <= (1u << (32 - RANGE_EBITS)),
	      "packed sieve entries need p < 2^26");
static_assert((1u << RANGE_EBITS) >= 64, "exponents of 64-bit terms < 64");
/* A 64-bit number has at most 15 distinct primes; 8 is the common case
   covered inline, the rest go to the engine (step 5). */
static_assert(RANGE_SLOTS <= RANGE_OVERFLOW, "count fits a byte");

enum range_mode { MODE_NATIVE = 0, MODE_BIG = 1, MODE_ZERO = 2 };

struct range_div {
	uint64_t pinv; /* p^-1 mod 2^64 (p odd; unused for 2) */
	uint64_t lim;  /* (2^64 - 1) / p */
};

struct range_off {
	uint32_t off;    /* next hit, relative to the block */
	uint32_t stride; /* p, or 1 when p divides every term */
};

struct range {
	struct range_params rp;
	/* the prime table: every prime below table_bound */
	uint32_t *p;
	struct range_div *div;
	struct range_off *off;
	uint32_t *sinv;       /* range_step_const; 0 when p | step */
	size_t np_table;      /* primes in the table */
	uint64_t table_bound; /* the table holds every prime below it */
	size_t nsinv;         /* sinv valid for primes 0 .. nsinv-1 */
	size_t nsolved;       /* off valid for primes 0 .. nsolved-1 */
	/* the progression */
	int have;        /* a chunk was begun */
	int contig;      /* the current chunk continues the previous one */
	mpz_t run_start; /* term of index 0 */
	mpz_t step;
	uint64_t base;      /* index of the block's first term */
	uint32_t len, pos;  /* block terms; next one to hand out */
	uint64_t remaining; /* terms of the chunk not handed out */
	/* the block */
	int mode;               /* enum range_mode */
	uint64_t bound;         /* B: every prime below it sieved */
	mpz_t t0;               /* the block's first term */
	uint64_t t0_64, step64; /* NATIVE: t0 and step as words */
	uint64_t *cof;          /* NATIVE cofactors */
	uint8_t *cnt;           /* entries per term, or RANGE_OVERFLOW */
	uint32_t *ent;          /* RANGE_SLOTS entries per term */
	/* scratch */
	mpz_t t, c;
	struct engine_result tmp;
};

void range_params_init(struct range_params *rp)
{
	rp->max_bound = 0; /* RANGE_MAX_BOUND */
	rp->fault = RANGE_FAULT_NONE;
}

/* The primes below bound into r->p, which has room for cap of them
   (Eratosthenes on odd numbers); returns how many. */
static size_t range_primes(struct range *r, uint64_t bound, size_t cap)
{
	size_t half = (size_t)(bound / 2) + 1, n = 0;
	uint8_t *comp = calloc(half, 1);

	if (comp == NULL)
		return 0;
	if (bound > 2)
		r->p[n++] = 2;
	for (uint64_t i = 1; 2 * i + 1 < bound; i++) {
		if (comp[i])
			continue;
		uint64_t q = 2 * i + 1;
		if (n < cap)
			r->p[n++] = (uint32_t)q;
		for (uint64_t j = q * q / 2; j < half; j += q)
			comp[j] = 1;
	}
	free(comp);
	return n;
}

/*
 * Grow the table to every prime below bound (> table_bound).  The
 * primes already there keep their index, so their offsets and step
 * inverses stay valid; only the new ones get p^-1.  On STATUS_ERR_NOMEM
 * the table is unchanged (the arrays may have grown).
 */
static int range_table(struct range *r, uint64_t bound)
{
	/* pi(x) < 1.26 x / ln x; x / 8 + 64 is a safe overestimate */
	size_t cap = (size_t)bound / 8 + 64, n, old = r->np_table;
	uint32_t *p = realloc(r->p, cap * sizeof *p);

	if (p == NULL)
		return STATUS_ERR_NOMEM;
	r->p = p;
	n = range_primes(r, bound, cap);
	if (n == 0)
		return STATUS_ERR_NOMEM;
	p = realloc(r->p, n * sizeof *p); /* the estimate's slack back */
	if (p != NULL)
		r->p = p;
	struct range_div *div = realloc(r->div, (n + 1) * sizeof *div);
	if (div != NULL)
		r->div = div;
	struct range_off *off = realloc(r->off, (n + 1) * sizeof *off);
	if (off != NULL)
		r->off = off;
	uint32_t *sinv = realloc(r->sinv, (n + 1) * sizeof *sinv);
	if (sinv != NULL)
		r->sinv = sinv;
	if (div == NULL || off == NULL || sinv == NULL)
		return STATUS_ERR_NOMEM;
	for (size_t i = old; i < n; i++) {
		uint64_t q = r->p[i], inv = q;
		for (int k = 0; k < 5; k++)
			inv *= 2 -
				q * inv; /* Newton: 3, 6, 12, 24, 48, 96 bits */
		r->div[i].pinv = inv;
		r->div[i].lim = UINT64_MAX / q;
	}
	r->np_table = n;
	r->table_bound = bound;
	return STATUS_OK;
}

int range_new(struct range **out, const struct range_params *rp)
{
	struct range *r = calloc(1, sizeof *r);
	uint64_t bound;

	*out = NULL;
	if (r == NULL)
		return STATUS_ERR_NOMEM;
	if (rp != NULL)
		r->rp = *rp;
	else
		range_params_init(&r->rp);
	bound = r->rp.max_bound;
	if (bound == 0 || bound > RANGE_MAX_BOUND)
		bound = RANGE_MAX_BOUND;
	if (bound < 3)
		bound = 3;
	r->rp.max_bound = bound;
	mpz_inits(r->run_start, r->step, r->t0, r->t, r->c, NULL);
	engine_result_init(&r->tmp);
	r->cof = malloc(RANGE_BLOCK * sizeof *r->cof);
	r->cnt = malloc(RANGE_BLOCK * sizeof *r->cnt);
	r->ent = malloc((size_t)RANGE_BLOCK * RANGE_SLOTS * sizeof *r->ent);
	if (r->cof == NULL || r->cnt == NULL || r->ent == NULL ||
	    range_table(
		    r, bound < RANGE_TABLE_FIRST ? bound : RANGE_TABLE_FIRST) !=
		    STATUS_OK) {
		range_free(r);
		return STATUS_ERR_NOMEM;
	}
	*out = r;
	return STATUS_OK;
}

void range_free(struct range *r)
{
	if (r == NULL)
		return;
	free(r->p);
	free(r->div);
	free(r->off);
	free(r->sinv);
	free(r->cof);
	free(r->cnt);
	free(r->ent);
	mpz_clears(r->run_start, r->step, r->t0, r->t, r->c, NULL);
	engine_result_clear(&r->tmp);
	free(r);
}

/* The term of absolute index i into z. */
static void range_term(const struct range *r, mpz_t z, uint64_t i)
{
	mpz_set_ui(z, (unsigned long)i);
	mpz_mul(z, z, r->step);
	mpz_add(z, z, r->run_start);
}

void range_peek(const struct range *r, mpz_t n)
{
	range_term(r, n, r->base + r->pos);
}

int range_begin(struct range *r, const mpz_t start, const mpz_t step,
		uint64_t count)
{
	if (count == 0 || mpz_sgn(start) < 0 || mpz_sgn(step) <= 0)
		return STATUS_ERR_INVAL;
	if (r->have && mpz_cmp(step, r->step) == 0) {
		range_peek(r, r->t);
		if (mpz_cmp(r->t, start) == 0) {
			r->contig = 1;
			r->remaining = count;
			return STATUS_OK;
		}
	}
	if (!r->have || mpz_cmp(step, r->step) != 0) {
		mpz_set(r->step, step);
		r->nsinv = 0;
	}
	mpz_set(r->run_start, start);
	r->have = 1;
	r->contig = 0;
	r->base = 0;
	r->len = r->pos = 0;
	r->nsolved = 0;
	r->remaining = count;
	return STATUS_OK;
}

/* a^-1 mod p for 0 < a < p, p prime (extended Euclid). */
static uint32_t range_inverse(uint32_t a, uint32_t p)
{
	int64_t t0 = 0, t1 = 1, r0 = p, r1 = a;

	while (r1 != 0) {
		int64_t q = r0 / r1, x;
		x = r0 - q * r1;
		r0 = r1;
		r1 = x;
		x = t0 - q * t1;
		t0 = t1;
		t1 = x;
	}
	return (uint32_t)(t0 < 0 ? t0 + p : t0);
}

/*
 * (-x * 2^-64) mod p for an odd prime p (d: its p^-1 and limit), without
 * a division: q = x * p^-1 mod 2^64 gives q * p = x + k * 2^64 with k the
 * high word of q * p, and k < p, so k = -x * 2^-64 mod p (Montgomery's
 * reduction).
 */
static inline uint32_t range_redc(uint64_t x, const struct range_div *d,
				  uint32_t p)
{
	return (uint32_t)((range_u128)(x * d->pinv) * p >> 64);
}

/*
 * The per-step constant of an odd prime p: sinv = -step^-1 * 2^128 mod p
 * (never 0), or 0 when p | step; for 2, step^-1 mod 2 (1, or 0 when the
 * step is even).  Divisions here, once per prime per step.
 */
static uint32_t range_step_const(uint64_t s, uint32_t q)
{
	if (s == 0)
		return 0;
	uint64_t inv = range_inverse((uint32_t)s, q);
	if (q == 2)
		return (uint32_t)inv;
	uint64_t r64 = (UINT64_MAX % q + 1) % q; /* 2^64 mod q */
	uint64_t r128 = r64 * r64 % q;
	return (uint32_t)(q - inv * r128 % q);
}

/*
 * Offsets of primes from .. to-1 at the current block (step 3).  For an
 * odd prime, k = range_redc(t0) = -t0 * 2^-64 and then
 * range_redc(k * sinv) = -(-t0 * 2^-64) * (-step^-1 * 2^128) * 2^-64 =
 * -t0 * step^-1 mod p, the first index it divides: four multiplications
 * per prime, which is what a chunk that does not continue the last one
 * (every chunk of a worker among several) pays for every prime.
 */
static void range_solve(struct range *r, size_t from, size_t to)
{
	int small = mpz_sizeinbase(r->t0, 2) <= 64;
	int step_small = mpz_sizeinbase(r->step, 2) <= 64;
	uint64_t t0 = small ? mpz_get_ui(r->t0) : 0;
	uint64_t st = step_small ? mpz_get_ui(r->step) : 0;

	for (size_t i = r->nsinv; i < to; i++) {
		uint32_t q = r->p[i];
		r->sinv[i] = range_step_const(
			step_small ? st % q : mpz_fdiv_ui(r->step, q), q);
	}
	if (to > r->nsinv)
		r->nsinv = to;
	for (size_t i = from; i < to; i++) {
		uint32_t q = r->p[i], c = r->sinv[i], k;
		struct range_off *o = &r->off[i];
		if (q == 2) {
			uint32_t rem = small ? (uint32_t)(t0 & 1)
					     : (uint32_t)mpz_odd_p(r->t0);
			k = rem; /* 0 iff 2 | t0 */
			o->off = c == 0 ? 0 : rem;
		} else {
			uint64_t x = small ? t0 : mpz_fdiv_ui(r->t0, q);
			k = range_redc(x, &r->div[i], q); /* 0 iff q | t0 */
			o->off = c == 0
				? 0
				: range_redc((uint64_t)k * c, &r->div[i], q);
		}
		if (c == 0) { /* q | step: every term or none */
			o->off = k == 0 ? 0 : RANGE_NEVER;
			o->stride = k == 0 ? 1 : q;
		} else {
			o->stride = q;
		}
		if ((r->rp.fault & RANGE_FAULT_SKIP_CLASS) && q == 7)
			o->off = RANGE_NEVER;
	}
}

/* Step 4, NATIVE, for 2: shift its power out of the cofactors it hits. */
static void range_sieve_two(struct range *r)
{
	struct range_off *o = &r->off[0];
	uint32_t j = o->off, len = r->len;
	uint64_t *cof = r->cof;
	uint8_t *cnt = r->cnt;

	if (j == RANGE_NEVER)
		return;
	for (; j < len; j += o->stride) {
		uint64_t c = cof[j];
		unsigned e = (unsigned)__builtin_ctzll(c);
		cof[j] = c >> e;
		r->ent[j * RANGE_SLOTS] = 2u << RANGE_EBITS | e; /* first */
		cnt[j] = 1;
	}
	o->off = j - len;
}

/*
 * Step 4, NATIVE: divide every hit out of the cofactors.  Most primes of
 * the table exceed the block and hit it at most once: their offset is
 * tested (and moved on by the block) before anything else of theirs is
 * loaded, which is the cost per prime per block.
 */
static void range_sieve_native(struct range *r, size_t np)
{
	uint32_t len = r->len;
	uint64_t *cof = r->cof;
	uint8_t *cnt = r->cnt;
	uint32_t *ent = r->ent;
	struct range_off *off = r->off;

	cof[0] = r->t0_64;
	for (uint32_t k = 1; k < len; k++)
		cof[k] = cof[k - 1] + r->step64;
	memset(cnt, 0, len);
	if (np == 0)
		return;
	range_sieve_two(r); /* the table starts 2, 3, 5, ... */
	for (size_t i = 1; i < np; i++) {
		uint32_t j = off[i].off;
		if (j >= len) { /* no hit in this block (or RANGE_NEVER) */
			if (j != RANGE_NEVER)
				off[i].off = j - len;
			continue;
		}
		uint32_t stride = off[i].stride;
		uint64_t pinv = r->div[i].pinv, lim = r->div[i].lim;
		uint32_t pk = r->p[i] << RANGE_EBITS;
		for (; j < len; j += stride) {
			uint64_t c = cof[j] * pinv;
			uint32_t e = 1;
			while (c * pinv <= lim) {
				c *= pinv;
				e++;
			}
			cof[j] = c;
			if (cnt[j] < RANGE_SLOTS)
				ent[j * RANGE_SLOTS + cnt[j]++] = pk | e;
			else
				cnt[j] = RANGE_OVERFLOW;
		}
		off[i].off = j - len;
	}
}

/* Step 4, BIG: which primes divide each term. */
static void range_sieve_big(struct range *r, size_t np)
{
	uint32_t len = r->len;
	uint8_t *cnt = r->cnt;

	memset(cnt, 0, len);
	for (size_t i = 0; i < np; i++) {
		struct range_off *o = &r->off[i];
		uint32_t j = o->off, stride = o->stride;
		if (j == RANGE_NEVER)
			continue;
		for (; j < len; j += stride) {
			if (cnt[j] < RANGE_SLOTS)
				r->ent[j * RANGE_SLOTS + cnt[j]++] = r->p[i];
			else
				cnt[j] = RANGE_OVERFLOW;
		}
		o->off = j - len;
	}
}

/* Primes below b in the table. */
static size_t range_count_below(const struct range *r, uint64_t b)
{
	size_t lo = 0, hi = r->np_table;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (r->p[mid] < b)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Steps 1-4 for the next block of the chunk. */
static void range_block(struct range *r)
{
	uint64_t want, cap, bound;
	size_t np;

	r->base += r->len;
	r->pos = 0;
	range_term(r, r->t0, r->base);
	want = r->contig || r->remaining > RANGE_BLOCK ? RANGE_BLOCK
						       : r->remaining;
	if (mpz_sgn(r->t0) == 0) {
		r->mode = MODE_ZERO;
		r->len = 1;
		r->nsolved = 0; /* every offset would be 0: solve afresh */
		return;
	}
	/* the last term of the block, cut at 2^64 for a native block */
	mpz_set_ui(r->t, (unsigned long)(want - 1));
	mpz_mul(r->t, r->t, r->step);
	mpz_add(r->t, r->t, r->t0);
	if (mpz_sizeinbase(r->t0, 2) <= 64) {
		r->mode = MODE_NATIVE;
		if (mpz_sizeinbase(r->t, 2) > 64) {
			mpz_set_ui(r->t, UINT64_MAX);
			mpz_sub(r->t, r->t, r->t0);
			mpz_tdiv_q(r->t, r->t, r->step);
			want = mpz_get_ui(r->t) + 1; /* < want before */
			mpz_set_ui(r->t, (unsigned long)(want - 1));
			mpz_mul(r->t, r->t, r->step);
			mpz_add(r->t, r->t, r->t0);
		}
		r->t0_64 = mpz_get_ui(r->t0);
		r->step64 = want > 1 ? mpz_get_ui(r->step) : 0;
		cap = r->rp.max_bound;
	} else {
		r->mode = MODE_BIG;
		cap = r->rp.max_bound < RANGE_BIG_BOUND ? r->rp.max_bound
							: RANGE_BIG_BOUND;
	}
	if (!r->contig) { /* never above the table's bound */
		uint64_t fresh = RANGE_FRESH_PER_TERM * want;
		if (fresh < RANGE_MIN_BOUND)
			fresh = RANGE_MIN_BOUND;
		if (fresh < cap)
			cap = fresh;
	}
	if (mpz_sizeinbase(r->t, 2) <= 2 * 32) { /* isqrt(last) + 1 */
		mpz_sqrt(r->c, r->t);
		bound = mpz_get_ui(r->c) + 1;
		if (bound > cap)
			bound = cap;
	} else {
		bound = cap;
	}
	if (bound > r->table_bound) { /* grow, at least doubling */
		uint64_t grow = 2 * r->table_bound;
		if (grow < bound)
			grow = bound;
		if (grow > r->rp.max_bound)
			grow = r->rp.max_bound;
		if (range_table(r, grow) != STATUS_OK)
			bound = r->table_bound; /* a smaller B is as exact */
	}
	r->len = (uint32_t)want;
	r->bound = bound;
	np = range_count_below(r, bound);
	if ((r->rp.fault & RANGE_FAULT_SHORT_PRIME) && np > 0)
		np--;
	if (np > r->nsolved)
		range_solve(r, r->nsolved, np);
	r->nsolved = np;
	if (r->mode == MODE_NATIVE)
		range_sieve_native(r, np);
	else
		range_sieve_big(r, np);
}

/* Room for need entries in res, each mpz_init'ed (engine.h's rule). */
static int range_reserve(struct engine_result *res, size_t need)
{
	if (need <= res->cap)
		return STATUS_OK;
	size_t cap = res->cap ? 2 * res->cap : 16;
	while (cap < need)
		cap *= 2;
	struct engine_factor *f = realloc(res->f, cap * sizeof *f);
	if (f == NULL)
		return STATUS_ERR_NOMEM;
	for (size_t i = res->cap; i < cap; i++) {
		mpz_init(f[i].p);
		f[i].e = 0;
		f[i].kind = ENGINE_COMPOSITE;
	}
	res->f = f;
	res->cap = cap;
	return STATUS_OK;
}

/*
 * Step 5's cofactor c >= B^2 (all its primes >= B): engine_factor, its
 * entries appended after the sieve's.
 */
static int range_cofactor(struct range *r, struct engine_result *res,
			  const mpz_t c, const struct engine_params *params)
{
	int st = engine_factor(&r->tmp, c, params);
	if (st != STATUS_OK && st != STATUS_PARTIAL)
		return st;
	if (range_reserve(res, res->count + r->tmp.count) != STATUS_OK)
		return STATUS_ERR_NOMEM;
	for (size_t i = 0; i < r->tmp.count; i++) {
		struct engine_factor *x = &res->f[res->count++];
		mpz_set(x->p, r->tmp.f[i].p);
		x->e = r->tmp.f[i].e;
		x->kind = r->tmp.f[i].kind;
	}
	return st;
}

/*
 * Append c's factorization (c >= B^2, a 64-bit cofactor whose primes are
 * all >= bound = B, so the list stays ascending; or bound 0: a whole term)
 * to the words: the 64-bit tier (factor_u64_rough skips the trial
 * division the sieve did; factor_u64, the engine_factor path, for a whole
 * term), whose primes it proves with its deterministic test, into sf.
 * STATUS_OK, STATUS_PARTIAL (sf holds a composite: the caller leaves
 * words), or an error.
 */
static int range_cofactor_u64(uint64_t c, uint64_t bound,
			      struct engine_words *w, struct small_factors *sf,
			      const struct engine_params *params)
{
	int st = bound > 0 ? factor_u64_rough(c, bound, sf, params)
			   : factor_u64(c, sf, params);

	if (st < 0)
		return st;
	if (sf->n < 0 || (uint32_t)sf->n > ENGINE_WORDS_MAX - w->count)
		return STATUS_ERR_VERIFY;
	if (st != STATUS_OK)
		return STATUS_PARTIAL;
	for (int i = 0; i < sf->n; i++) {
		w->p[w->count] = (uint64_t)sf->p[i];
		w->e[w->count++] = sf->e[i];
	}
	return STATUS_OK;
}

/*
 * A NATIVE term left partial by the time limit or the stop hook: the
 * sieve's words and sf's list (its composite marked) into res, as
 * engine_factor leaves such a term.
 */
static int range_partial(struct engine_result *res,
			 const struct engine_words *w,
			 const struct small_factors *sf)
{
	int st = engine_result_set_words(res, w);

	if (st != STATUS_OK)
		return st;
	if (range_reserve(res, w->count + (size_t)sf->n) != STATUS_OK)
		return STATUS_ERR_NOMEM;
	for (int i = 0; i < sf->n; i++) {
		struct engine_factor *f = &res->f[res->count++];
		mpz_set_ui(f->p, (unsigned long)sf->p[i]);
		f->e = sf->e[i];
		f->kind = sf->composite[i] ? ENGINE_COMPOSITE : ENGINE_PRIME;
	}
	return STATUS_PARTIAL;
}

/*
 * Steps 5-6 for a NATIVE term, in words: the listed p^e, then the
 * cofactor (prime below B^2, else the 64-bit tier; a term with more than
 * RANGE_SLOTS sieve primes goes to the 64-bit tier whole), the product
 * checked in words with every multiplication checked for wrapping.
 * *in_words 0 only for a term left partial (then res holds it).
 */
static int range_take_native(struct range *r, struct engine_words *w,
			     struct engine_result *res,
			     const struct engine_params *params, int *in_words)
{
	uint32_t k = r->pos, n = r->cnt[k];
	uint64_t v = r->t0_64 + (uint64_t)k * r->step64, c = r->cof[k];
	uint64_t prod = 1;
	struct small_factors sf;
	int st, whole = n == RANGE_OVERFLOW;

	w->n = v;
	if (whole) { /* to the 64-bit tier */
		c = v;
		n = 0;
	}
	for (uint32_t i = 0; i < n; i++) {
		uint32_t x = r->ent[k * RANGE_SLOTS + i];
		w->p[i] = x >> RANGE_EBITS;
		w->e[i] = (uint8_t)(x & ((1u << RANGE_EBITS) - 1));
	}
	w->count = n;
	if (c > 1) {
		if (c < r->bound * r->bound && !whole) { /* prime: step 5 */
			w->p[w->count] = c;
			w->e[w->count++] = 1;
		} else {
			st = range_cofactor_u64(c, whole ? 0 : r->bound, w, &sf,
						params);
			if (st == STATUS_PARTIAL) {
				*in_words = 0;
				return range_partial(res, w, &sf);
			}
			if (st < 0)
				return st;
		}
	}
	for (uint32_t i = 0; i < w->count; i++) {
		uint64_t q = w->p[i];
		uint32_t e = w->e[i];
		if (e == 0)
			return STATUS_ERR_VERIFY;
		if (q == 2) { /* a shift, checked as the products are */
			if (e >= 64 || prod > UINT64_MAX >> e)
				return STATUS_ERR_VERIFY;
			prod <<= e;
			continue;
		}
		do {
			if (__builtin_mul_overflow(prod, q, &prod))
				return STATUS_ERR_VERIFY;
		} while (--e > 0);
	}
	return prod == v ? STATUS_OK : STATUS_ERR_VERIFY;
}

/* Steps 5-6 for a BIG term. */
static int range_take_big(struct range *r, struct engine_result *res,
			  const struct engine_params *params)
{
	uint32_t k = r->pos, n = r->cnt[k];
	int st = STATUS_OK;

	range_term(r, r->t, r->base + k);
	if (n == RANGE_OVERFLOW)
		return engine_factor(res, r->t, params);
	mpz_set(r->c, r->t);
	if (range_reserve(res, (size_t)n) != STATUS_OK)
		return STATUS_ERR_NOMEM;
	for (uint32_t i = 0; i < n; i++) {
		unsigned long q = r->ent[k * RANGE_SLOTS + i], e = 0;
		struct engine_factor *f = &res->f[i];
		while (mpz_divisible_ui_p(r->c, q)) {
			mpz_divexact_ui(r->c, r->c, q);
			e++;
		}
		if (e == 0)
			return STATUS_ERR_VERIFY; /* a hit that does not divide */
		mpz_set_ui(f->p, q);
		f->e = e;
		f->kind = ENGINE_PRIME;
	}
	res->count = n;
	if (mpz_cmp_ui(r->c, 1) > 0) {
		if (mpz_cmp_ui(r->c, (unsigned long)(r->bound * r->bound)) <
		    0) {
			if (range_reserve(res, n + 1) != STATUS_OK)
				return STATUS_ERR_NOMEM;
			struct engine_factor *f = &res->f[res->count++];
			mpz_set(f->p, r->c);
			f->e = 1;
			f->kind = ENGINE_PRIME;
		} else {
			st = range_cofactor(r, res, r->c, params);
			if (st < 0)
				return st;
		}
	}
	if (engine_product_check(res, r->t) != STATUS_OK)
		return STATUS_ERR_VERIFY;
	return st;
}

int range_next_words(struct range *r, struct engine_words *w,
		     struct engine_result *res,
		     const struct engine_params *params, int *in_words)
{
	int st;

	*in_words = 0;
	if (!r->have || r->remaining == 0)
		return STATUS_ERR_INVAL;
	if (r->pos == r->len)
		range_block(r);
	switch (r->mode) {
	case MODE_ZERO:
		w->n = 0;
		w->count = 0;
		*in_words = 1;
		st = STATUS_OK;
		break;
	case MODE_NATIVE:
		*in_words = 1;
		st = range_take_native(r, w, res, params, in_words);
		break;
	default:
		engine_result_reset(res);
		st = range_take_big(r, res, params);
		break;
	}
	if (!*in_words)
		res->status = st;
	if (st < 0)
		return st;
	r->pos++;
	r->remaining--;
	return st;
}

int range_next(struct range *r, struct engine_result *res,
	       const struct engine_params *params)
{
	struct engine_words w;
	int in_words;
	int st = range_next_words(r, &w, res, params, &in_words);

	if (in_words && st >= 0) {
		int s2 = engine_result_set_words(res, &w);
		if (s2 != STATUS_OK)
			return s2;
	}
	res->status = st;
	return st;
}

void range_last(const struct range *r, mpz_t n)
{
	range_term(r, n, r->base + r->pos - 1);
}
