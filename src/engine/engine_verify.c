/*
 * engine_verify.c - the checks of an engine answer against its input.
 *
 * engine_verify (every answer from 2^64 up, with params->verify): entries
 * ascending and distinct, each p > 1 and e >= 1, every entry claimed
 * prime passes BPSW and every entry marked composite fails it, composite
 * entries coprime to the rest, and the product of p^e equal to n
 * (engine_product_check: in native words below 2^128, with an overflow
 * guard; with GMP above, stopping once the product passes n).
 *
 * small_verify_u64 (answers below 2^64, the hot path): the same checks
 * on the native list but for the primality of claimed primes, which the
 * 64-bit tier proved with a deterministic test (see the function).
 *
 * BPSW: the native tiers' Montgomery BPSW below 2^128 (prime_p_u64 is
 * proven there, prime_p_u128 has no known pseudoprime), GMP's
 * mpz_probab_prime_p with reps 24 (BPSW only, GMP 6.2) above.
 */
#include "engine.h"
#include "engine_int.h"
#include "status.h"

/*
 * Check a 64-bit tier answer for v: entries ascending and distinct, each
 * p > 1 and e >= 1, a composite mark only on a composite, and the product
 * of p^e equal to v, computed in 128 bits with an overflow guard.  Entries
 * claimed prime are not tested again: factor_u64 proved each of them, by
 * the trial-division bound or by prime_p_u64, and prime_p_u64 is
 * deterministic, so a second run could only repeat its verdict (that test
 * is itself checked against GNU factor and PARI in test_engine_small and
 * it_engine_diff).  This costs a few multiplications; engine_verify's
 * full re-test doubled the primality work on the classic job.
 */
int small_verify_u64(const struct small_factors *sf, uint64_t v)
{
	if (sf->n < 0 || sf->n > SMALL_MAX_DISTINCT)
		return STATUS_ERR_VERIFY;
	u128 prod = 1, prev = 1;
	for (int i = 0; i < sf->n; i++) {
		u128 p = sf->p[i];
		if (p <= prev || p >> 64 || sf->e[i] == 0)
			return STATUS_ERR_VERIFY;
		if (sf->composite[i] && prime_p_u64((uint64_t)p))
			return STATUS_ERR_VERIFY;
		for (unsigned k = 0; k < sf->e[i]; k++) {
			prod *= p; /* both factors < 2^64: no wrap */
			if (prod > v)
				return STATUS_ERR_VERIFY;
		}
		prev = p;
	}
	return prod == v ? STATUS_OK : STATUS_ERR_VERIFY;
}

/* Product of p^e over res, in native words when n < 2^128. */
static int product_ok_native(const struct engine_result *res, u128 n)
{
	u128 prod = 1;
	for (size_t i = 0; i < res->count; i++) {
		mpz_srcptr p = res->f[i].p;
		if (mpz_sizeinbase(p, 2) > 128)
			return 0;
		u128 q = mpz_get_u128(p);
		if (q < 2)
			return 0; /* and a huge e on p = 1 cannot spin */
		for (unsigned long k = 0; k < res->f[i].e; k++)
			if (__builtin_mul_overflow(prod, q, &prod) || prod > n)
				return 0;
	}
	return prod == n;
}

static int product_ok_mpz(const struct engine_result *res, const mpz_t n)
{
	size_t bits = mpz_sizeinbase(n, 2);
	mpz_t prod, t;
	mpz_init_set_ui(prod, 1);
	mpz_init(t);
	int ok = 1;
	for (size_t i = 0; i < res->count && ok; i++) {
		if (res->f[i].e > bits) {
			ok = 0;
			break;
		}
		mpz_pow_ui(t, res->f[i].p, res->f[i].e);
		mpz_mul(prod, prod, t);
		if (mpz_cmp(prod, n) > 0)
			ok = 0;
	}
	ok = ok && mpz_cmp(prod, n) == 0;
	mpz_clears(prod, t, NULL);
	return ok;
}

/*
 * BPSW on any size: the native tiers' Montgomery BPSW below 2^128 (the
 * hot path: a GMP call costs more than the factoring of a 40-bit number),
 * GMP 6.2's mpz_probab_prime_p with reps 24 (BPSW only) above.
 */
static int bpsw(const mpz_t p)
{
	size_t bits = mpz_sizeinbase(p, 2);
	if (bits <= 64)
		return prime_p_u64(mpz_get_ui(p));
	if (bits <= 128)
		return prime_p_u128(mpz_get_u128(p));
	return mpz_probab_prime_p(p, 24) != 0;
}

int engine_verify(const struct engine_result *res, const mpz_t n)
{
	if (res == NULL || mpz_sgn(n) < 0)
		return STATUS_ERR_VERIFY;
	if (mpz_cmp_ui(n, 1) <= 0)
		return res->count == 0 ? STATUS_OK : STATUS_ERR_VERIFY;
	int have_composite = 0;
	for (size_t i = 0; i < res->count; i++) {
		const struct engine_factor *x = &res->f[i];
		if (mpz_cmp_ui(x->p, 2) < 0 || x->e == 0)
			return STATUS_ERR_VERIFY;
		if (i > 0 && mpz_cmp(res->f[i - 1].p, x->p) >= 0)
			return STATUS_ERR_VERIFY; /* unsorted or repeated */
		int pr = bpsw(x->p);
		if (x->kind == ENGINE_COMPOSITE) {
			if (pr != 0)
				return STATUS_ERR_VERIFY;
			have_composite = 1;
		} else if (x->kind == ENGINE_PRIME ||
			   x->kind == ENGINE_PROBABLE_PRIME) {
			if (pr == 0)
				return STATUS_ERR_VERIFY;
		} else {
			return STATUS_ERR_VERIFY;
		}
	}
	/* distinct primes are coprime; composites need their gcds checked */
	if (have_composite) {
		mpz_t g;
		mpz_init(g);
		int ok = 1;
		for (size_t i = 0; i < res->count && ok; i++) {
			if (res->f[i].kind != ENGINE_COMPOSITE)
				continue;
			for (size_t j = 0; j < res->count && ok; j++) {
				if (j == i)
					continue;
				mpz_gcd(g, res->f[i].p, res->f[j].p);
				ok = mpz_cmp_ui(g, 1) == 0;
			}
		}
		mpz_clear(g);
		if (!ok)
			return STATUS_ERR_VERIFY;
	}
	return engine_product_check(res, n);
}

int engine_product_check(const struct engine_result *res, const mpz_t n)
{
	if (res == NULL || mpz_sgn(n) < 0)
		return STATUS_ERR_VERIFY;
	if (mpz_cmp_ui(n, 1) <= 0)
		return res->count == 0 ? STATUS_OK : STATUS_ERR_VERIFY;
	int ok = mpz_sizeinbase(n, 2) <= 128
		? product_ok_native(res, mpz_get_u128(n))
		: product_ok_mpz(res, n);
	return ok ? STATUS_OK : STATUS_ERR_VERIFY;
}
