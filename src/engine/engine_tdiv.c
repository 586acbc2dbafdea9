/*
 * engine_tdiv.c - the small-prime table and trial division for every tier.
 *
 * Purpose: remove small primes cheaply before the heavier methods run.
 *
 * Table: every prime below 2^16 (6542 of them), sieved once at first use
 * (a flag guards the sieve; the writes are idempotent, and each MPI rank is
 * single-threaded).  For each odd prime p we keep
 *   inv64  = p^-1 mod 2^64,  lim64  = floor((2^64-1)/p),
 *   inv128 = p^-1 mod 2^128, lim128 = floor((2^128-1)/p),
 * so that p | n  <=>  n*inv mod 2^w <= lim, and then n/p = n*inv mod 2^w
 * (exact division by multiplication: Granlund-Montgomery, "Division by
 * invariant integers using multiplication", PLDI 1994, section 9; GNU
 * coreutils factor.c uses the same test).  One multiply and one compare
 * per prime, no division.
 *
 * GMP numbers: primes are grouped into runs whose product fits in 64 bits;
 * one mpz_tdiv_ui per group gives r = n mod (product), and only primes
 * dividing r (tested with the same inverse trick on r) cost an mpz
 * division.
 *
 * small_factors_add keeps the native factor list sorted and merged.
 */
#include "engine_int.h"
#include "status.h"

#include <string.h>

enum { TDIV_LIMIT = 65536, TDIV_MAX_GROUPS = TDIV_NPRIMES, TDIV_BLOCK = 8 };
static_assert(TDIV_BLOCK == 8, "tdiv_u64 writes the block test out for 8");
static_assert(TDIV_LIMIT <= 65536, "primes must fit in 16 bits");
static_assert(SMALL_MAX_DISTINCT >= 26, "a 128-bit number has <= 25 primes");

struct tdiv_entry {
	uint64_t inv64, lim64;
	u128 inv128, lim128;
};
struct tdiv_entry64 { /* the hot 64-bit half, packed for the cache */
	uint64_t inv, lim;
};

static uint32_t primes[TDIV_NPRIMES];
static struct tdiv_entry entries[TDIV_NPRIMES];
static struct tdiv_entry64 entries64[TDIV_NPRIMES];
/* Groups for tdiv_mpz: primes [start[g], start[g+1]) with product prod[g]. */
static unsigned group_start[TDIV_MAX_GROUPS + 1];
static uint64_t group_prod[TDIV_MAX_GROUPS];
static unsigned ngroups;
static int table_ready;

static void tdiv_init(void)
{
	static uint8_t composite[TDIV_LIMIT];
	unsigned count = 0;

	memset(composite, 0, sizeof composite);
	for (unsigned i = 2; i < TDIV_LIMIT; i++) {
		if (composite[i])
			continue;
		primes[count] = i;
		uint64_t p = i;
		/* Newton: p^-1 mod 2^64, then one more step for 2^128. */
		uint64_t x = (3 * p) ^ 2;
		for (int k = 0; k < 4; k++)
			x *= 2 - p * x;
		u128 x2 = x;
		x2 *= 2 - (u128)p * x2;
		entries[count].inv64 = x;
		entries[count].lim64 = UINT64_MAX / p;
		entries[count].inv128 = x2;
		entries[count].lim128 = ~(u128)0 / p;
		entries64[count].inv = x;
		entries64[count].lim = UINT64_MAX / p;
		count++;
		for (unsigned j = i * i; j < TDIV_LIMIT; j += i)
			composite[j] = 1;
	}
	/* Group odd primes (index 1 on) into products below 2^64. */
	ngroups = 0;
	unsigned i = 1;
	while (i < TDIV_NPRIMES) {
		uint64_t prod = 1;
		group_start[ngroups] = i;
		while (i < TDIV_NPRIMES && prod <= UINT64_MAX / primes[i])
			prod *= primes[i++];
		group_prod[ngroups++] = prod;
	}
	group_start[ngroups] = TDIV_NPRIMES;
	table_ready = 1;
}

uint32_t tdiv_prime(unsigned i)
{
	if (!table_ready)
		tdiv_init();
	return i < TDIV_NPRIMES ? primes[i] : 0;
}

int small_factors_add(struct small_factors *out, u128 p, unsigned e,
		      int composite)
{
	int i = out->n;
	while (i > 0 && out->p[i - 1] > p)
		i--;
	if (i > 0 && out->p[i - 1] == p) {
		unsigned sum = out->e[i - 1] + e;
		out->e[i - 1] = (uint8_t)(sum > 255 ? 255 : sum);
		return STATUS_OK;
	}
	if (out->n >= SMALL_MAX_DISTINCT)
		return STATUS_ERR_RANGE;
	for (int j = out->n; j > i; j--) {
		out->p[j] = out->p[j - 1];
		out->e[j] = out->e[j - 1];
		out->composite[j] = out->composite[j - 1];
	}
	out->p[i] = p;
	out->e[i] = (uint8_t)e;
	out->composite[i] = (uint8_t)(composite != 0);
	out->n++;
	return STATUS_OK;
}

/* Divide every power of primes[i] out of m, recording it. */
static inline uint64_t tdiv_remove64(uint64_t m, unsigned i,
				     struct small_factors *out)
{
	const struct tdiv_entry64 *t = &entries64[i];
	uint64_t q = m * t->inv;
	if (q > t->lim)
		return m;
	unsigned e = 0;
	do {
		m = q;
		e++;
		q = m * t->inv;
	} while (q <= t->lim);
	small_factors_add(out, primes[i], e, 0);
	return m;
}

uint64_t tdiv_u64(uint64_t *n, struct small_factors *out, unsigned bound_index)
{
	uint64_t m = *n;
	if (!table_ready)
		tdiv_init();
	if (bound_index > TDIV_NPRIMES)
		bound_index = TDIV_NPRIMES;
	if (m <= 1 || bound_index == 0)
		return 2;
	if ((m & 1) == 0) {
		int k = __builtin_ctzll(m);
		m >>= k;
		small_factors_add(out, 2, (unsigned)k, 0);
	}
	/*
	 * Blocks of TDIV_BLOCK primes: one early-stop test per block, and the
	 * block's divisibility tests or-ed together, so a block without a
	 * divisor costs a multiply and a compare per prime.
	 */
	unsigned i = 1;
	for (; i + TDIV_BLOCK <= bound_index; i += TDIV_BLOCK) {
		uint64_t p = primes[i];
		if (p * p > m) {
			if (m > 1)
				small_factors_add(out, m, 1, 0);
			*n = 1;
			return p;
		}
		const struct tdiv_entry64 *t = &entries64[i];
		/* written out: compilers at -O2 do not unroll the loop */
		int hit = (m * t[0].inv <= t[0].lim) |
			(m * t[1].inv <= t[1].lim) |
			(m * t[2].inv <= t[2].lim) |
			(m * t[3].inv <= t[3].lim) |
			(m * t[4].inv <= t[4].lim) |
			(m * t[5].inv <= t[5].lim) |
			(m * t[6].inv <= t[6].lim) | (m * t[7].inv <= t[7].lim);
		if (!hit)
			continue;
		for (unsigned j = 0; j < TDIV_BLOCK; j++)
			m = tdiv_remove64(m, i + j, out);
	}
	for (; i < bound_index; i++) {
		uint64_t p = primes[i];
		if (p * p > m) {
			if (m > 1)
				small_factors_add(out, m, 1, 0);
			*n = 1;
			return p;
		}
		m = tdiv_remove64(m, i, out);
	}
	*n = m;
	uint64_t next = bound_index < TDIV_NPRIMES ? primes[bound_index]
						   : TDIV_LIMIT;
	if (m > 1 && next * next > m) {
		small_factors_add(out, m, 1, 0);
		*n = 1;
	}
	return next;
}

uint64_t tdiv_u128(u128 *n, struct small_factors *out, unsigned bound_index)
{
	u128 m = *n;
	if ((m >> 64) == 0) {
		uint64_t m64 = (uint64_t)m;
		uint64_t r = tdiv_u64(&m64, out, bound_index);
		*n = m64;
		return r;
	}
	if (!table_ready)
		tdiv_init();
	if (bound_index > TDIV_NPRIMES)
		bound_index = TDIV_NPRIMES;
	if (bound_index == 0)
		return 2;
	if ((m & 1) == 0) {
		int k = ((uint64_t)m)
			? __builtin_ctzll((uint64_t)m)
			: 64 + __builtin_ctzll((uint64_t)(m >> 64));
		m >>= k;
		small_factors_add(out, 2, (unsigned)k, 0);
	}
	unsigned i = 1;
	for (; i < bound_index; i++) {
		if ((m >> 64) == 0) {
			uint64_t m64 = (uint64_t)m;
			uint64_t r = tdiv_u64(&m64, out, bound_index);
			/* tdiv_u64 re-tries primes below primes[i]: harmless. */
			*n = m64;
			return r;
		}
		const struct tdiv_entry *t = &entries[i];
		u128 q = m * t->inv128;
		if (q <= t->lim128) {
			unsigned e = 0;
			do {
				m = q;
				e++;
				q = m * t->inv128;
			} while (q <= t->lim128);
			small_factors_add(out, primes[i], e, 0);
		}
	}
	*n = m;
	return bound_index < TDIV_NPRIMES ? primes[bound_index] : TDIV_LIMIT;
}

/* Divide every power of p out of n; record it. */
static int tdiv_mpz_remove(mpz_t n, uint64_t p, struct small_factors *out)
{
	unsigned e = 0;
	while (mpz_divisible_ui_p(n, (unsigned long)p)) {
		mpz_divexact_ui(n, n, (unsigned long)p);
		e++;
	}
	return small_factors_add(out, p, e, 0);
}

int tdiv_mpz(mpz_t n, struct small_factors *out, unsigned long bound)
{
	if (!table_ready)
		tdiv_init();
	if (mpz_sgn(n) <= 0 || bound <= 2)
		return STATUS_OK;
	if (mpz_even_p(n)) {
		if (out->n >= SMALL_MAX_DISTINCT)
			return STATUS_PARTIAL;
		mp_bitcnt_t k = mpz_scan1(n, 0);
		mpz_tdiv_q_2exp(n, n, k);
		small_factors_add(out, 2, (unsigned)k, 0);
	}
	for (unsigned g = 0; g < ngroups; g++) {
		if (primes[group_start[g]] >= bound || mpz_cmp_ui(n, 1) == 0)
			break;
		uint64_t r =
			(uint64_t)mpz_tdiv_ui(n, (unsigned long)group_prod[g]);
		for (unsigned i = group_start[g]; i < group_start[g + 1]; i++) {
			if (primes[i] >= bound)
				break;
			const struct tdiv_entry *t = &entries[i];
			if (r * t->inv64 > t->lim64 && r != 0)
				continue;
			if (out->n >= SMALL_MAX_DISTINCT)
				return STATUS_PARTIAL;
			if (tdiv_mpz_remove(n, primes[i], out) != STATUS_OK)
				return STATUS_PARTIAL;
		}
	}
	return STATUS_OK;
}
