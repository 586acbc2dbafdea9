/*
 * engine_ecm_plan.c - the cached plans of micro-ECM (engine_ecm_tmpl.h):
 * for each (B1, B2) a number's curves use, the stage-1 multiplier and the
 * stage-2 bitmap, built once.
 *
 * Stage 1: lcm(1..B1) split as 2^pow2 times an odd multi-word number k
 * (the odd prime powers <= B1 packed into 64-bit chunks, then multiplied
 * into k, high word first).  Stage 2: for giant steps m = m0..m1
 * (m0 = B1/D, m1 = ceil(B2/D), D = ECM_D = 210), a 32-bit mask whose bit
 * i says m*D - j or m*D + j is a prime in (B1, B2], j = ecm_baby[i]
 * (the 24 residues below D/2 prime to D), so one product covers both
 * primes of a pair (the baby-step giant-step continuation with prime
 * pairing: Montgomery, "Speeding the Pollard and elliptic curve methods
 * of factorization", Math. Comp. 48, 1987).
 *
 * Primes come from a sieve of Eratosthenes to ECM_SIEVE, built at first
 * use; B2 above ECM_SIEVE is cut to it.  The cache holds ECM_MAX_PLANS
 * plans; a further (B1, B2) overwrites slot 0.
 *
 * Invariants: like the trial-division table, the sieve and the cache are
 * filled at first use without locks (each MPI rank is single-threaded);
 * a returned plan is never changed while the cache has room, and the
 * tiers use a plan only within the call that fetched it.
 */
#include "engine_ecm_plan.h"
#include "engine_word.h"

enum { ECM_MAX_PLANS = 16, ECM_SIEVE = 200000 };
static struct ecm_plan plans[ECM_MAX_PLANS];
static unsigned nplans;
static_assert(ECM_SIEVE / ECM_D + 2 <= ECM_MAX_GIANT, "mask array size");

static uint8_t ecm_sieve[ECM_SIEVE + 1]; /* 1: composite */
static int ecm_sieve_ready;

static int is_small_prime(unsigned q)
{
	if (!ecm_sieve_ready) {
		ecm_sieve[0] = ecm_sieve[1] = 1;
		for (unsigned i = 2; i * i <= ECM_SIEVE; i++) {
			if (ecm_sieve[i])
				continue;
			for (unsigned j = i * i; j <= ECM_SIEVE; j += i)
				ecm_sieve[j] = 1;
		}
		ecm_sieve_ready = 1;
	}
	return q <= ECM_SIEVE && !ecm_sieve[q];
}

static void ecm_plan_build(struct ecm_plan *pl, unsigned b1, unsigned b2)
{
	pl->b1 = b1;
	pl->b2 = b2;
	pl->pow2 = 0;
	for (unsigned q = 2; q <= b1; q *= 2)
		pl->pow2++;
	pl->nchunks = 0;
	uint64_t acc = 1;
	for (unsigned p = 3; p <= b1; p += 2) {
		if (!is_small_prime(p))
			continue;
		uint64_t pe = p;
		while (pe * p <= b1)
			pe *= p;
		if (acc > UINT64_MAX / pe) {
			if (pl->nchunks < ECM_MAX_CHUNKS)
				pl->chunk[pl->nchunks++] = acc;
			acc = 1;
		}
		acc *= pe;
	}
	if (acc > 1 && pl->nchunks < ECM_MAX_CHUNKS)
		pl->chunk[pl->nchunks++] = acc;
	/* multiply the chunks into one multi-word k, little-endian first */
	uint64_t w[ECM_MAX_CHUNKS + 1];
	unsigned nw = 1;
	w[0] = 1;
	for (unsigned i = 0; i < pl->nchunks; i++) {
		u128 carry = 0;
		for (unsigned j = 0; j < nw; j++) {
			u128 t = (u128)w[j] * pl->chunk[i] + carry;
			w[j] = (uint64_t)t;
			carry = t >> 64;
		}
		if (carry != 0 && nw < ECM_MAX_CHUNKS)
			w[nw++] = (uint64_t)carry;
	}
	pl->nk = nw;
	for (unsigned j = 0; j < nw; j++)
		pl->k[j] = w[nw - 1 - j];
	pl->ktop = 63 - __builtin_clzll(pl->k[0]);
	pl->m0 = b1 / ECM_D;
	if (pl->m0 < 1)
		pl->m0 = 1;
	pl->m1 = (b2 + ECM_D - 1) / ECM_D;
	if (pl->m1 - pl->m0 + 1 > ECM_MAX_GIANT)
		pl->m1 = pl->m0 + ECM_MAX_GIANT - 1;
	for (unsigned m = pl->m0; m <= pl->m1; m++) {
		uint32_t mask = 0;
		for (unsigned i = 0; i < ECM_NBABY; i++) {
			unsigned lo = m * ECM_D - ecm_baby[i];
			unsigned hi = m * ECM_D + ecm_baby[i];
			if ((lo > b1 && lo <= b2 && is_small_prime(lo)) ||
			    (hi > b1 && hi <= b2 && is_small_prime(hi)))
				mask |= (uint32_t)1 << i;
		}
		pl->mask[m - pl->m0] = mask;
	}
}

const struct ecm_plan *ecm_plan_get(unsigned b1, unsigned b2)
{
	if (b2 > ECM_SIEVE)
		b2 = ECM_SIEVE;
	for (unsigned i = 0; i < nplans; i++) {
		if (plans[i].b1 == b1 && plans[i].b2 == b2)
			return &plans[i];
	}
	struct ecm_plan *pl = &plans[nplans < ECM_MAX_PLANS ? nplans : 0];
	ecm_plan_build(pl, b1, b2);
	if (nplans < ECM_MAX_PLANS)
		nplans++;
	return pl;
}
