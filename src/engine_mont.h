/*
 * engine_mont.h - inline Montgomery arithmetic for the native tiers
 * (private to engine_u64.c and engine_u128.c).
 *
 * Residues are kept in Montgomery form x*R mod n with R = 2^64 (u64) or
 * R = 2^128 (u128); n must be odd.  REDC uses the positive inverse
 * ninv = n^-1 mod R: for T = hi*R + lo < n*R, m = lo*ninv mod R makes
 * m*n agree with T in the low word, so (T - m*n)/R = hi - high(m*n),
 * which lies in (-n, n) and needs one conditional add (the "REDC with
 * positive inverse" of Moller-Granlund and coreutils factor.c).
 * ninv comes from Newton's iteration x <- x*(2 - n*x), each step doubling
 * the correct low bits from the 5-bit seed (3n) xor 2 (Montgomery 1985,
 * "Modular multiplication without trial division").
 *
 * Every conditional correction is branch-free: 64-bit selects become
 * cmov, and the 128-bit ones take the borrow from the subtraction
 * (mont_fix_u128), because gcc compiles a 128-bit comparison's result
 * into a jump taken half the time (lone-curve ECM-128 on S96 1.22x, MIX
 * 1.1x faster without them).
 *
 * Also shared by both tiers: the deadline helper (params' time limit and
 * stop hook, polled with clock_gettime(CLOCK_MONOTONIC)), the ECM plans
 * built by engine_tdiv.c, and factor_u64_append, through which the
 * 128-bit tier hands 64-bit cofactors to the 64-bit tier.
 */
#ifndef FACTORIZE_ENGINE_MONT_H
#define FACTORIZE_ENGINE_MONT_H

#include <stdint.h>
#include <time.h>

#include "engine_int.h"

/* ---- 64-bit ---- */

static inline uint64_t mont_inv_u64(uint64_t n)
{
	uint64_t x = (3 * n) ^ 2; /* 5 bits */
	x *= 2 - n * x;           /* 10 */
	x *= 2 - n * x;           /* 20 */
	x *= 2 - n * x;           /* 40 */
	x *= 2 - n * x;           /* 80 */
	return x;
}

static inline uint64_t mont_redc_u64(u128 t, uint64_t n, uint64_t ninv)
{
	uint64_t lo = (uint64_t)t, hi = (uint64_t)(t >> 64);
	uint64_t m = lo * ninv;
	uint64_t mh = (uint64_t)(((u128)m * n) >> 64);
	uint64_t r = hi - mh;
	return hi < mh ? r + n : r;
}

static inline uint64_t mont_mul_u64(uint64_t a, uint64_t b, uint64_t n,
				    uint64_t ninv)
{
	return mont_redc_u64((u128)a * b, n, ninv);
}

/*
 * a - b, plus n when it borrowed (a, b < n).  Written as a select, which
 * gcc turns into sub / lea / cmov (3 instructions; the and-mask form took
 * 5 and was a sixth of stage 1's instructions).
 */
static inline uint64_t mont_sub_u64(uint64_t a, uint64_t b, uint64_t n)
{
	uint64_t r = a - b;
	return a < b ? r + n : r;
}

/* a + b = a - (n - b), so one compare decides (a, b < n). */
static inline uint64_t mont_add_u64(uint64_t a, uint64_t b, uint64_t n)
{
	uint64_t nb = n - b;
	return a >= nb ? a - nb : a + b;
}

/* x/2 mod n for odd n and x < n. */
static inline uint64_t mont_half_u64(uint64_t x, uint64_t n)
{
	return (x & 1) ? (x >> 1) + (n >> 1) + 1 : x >> 1;
}

/* R mod n and x*R mod n. */
static inline uint64_t mont_one_u64(uint64_t n)
{
	return (0 - n) % n;
}

static inline uint64_t mont_to_u64(uint64_t x, uint64_t n)
{
	return (uint64_t)(((u128)(x % n) << 64) % n);
}

/*
 * x*R mod n from one = R mod n by doubling and adding, left to right:
 * for the small constants of the prime tests, where mont_to_u64's
 * 128-bit division (a libgcc call) cost more than the additions.
 */
static inline uint64_t mont_small_u64(uint64_t x, uint64_t one, uint64_t n)
{
	uint64_t r = 0;
	for (int i = x ? 63 - __builtin_clzll(x) : -1; i >= 0; i--) {
		r = mont_add_u64(r, r, n);
		if ((x >> i) & 1)
			r = mont_add_u64(r, one, n);
	}
	return r;
}

/* ---- 128-bit ---- */

static inline u128 mont_inv_u128(u128 n)
{
	u128 x = mont_inv_u64((uint64_t)n); /* 64 bits */
	x *= 2 - n * x;                     /* 128 */
	return x;
}

/* Full product a*b = hi*2^128 + lo. */
static inline void mont_mul_full_u128(u128 a, u128 b, u128 *hi, u128 *lo)
{
	uint64_t a0 = (uint64_t)a, a1 = (uint64_t)(a >> 64);
	uint64_t b0 = (uint64_t)b, b1 = (uint64_t)(b >> 64);
	u128 p00 = (u128)a0 * b0, p01 = (u128)a0 * b1;
	u128 p10 = (u128)a1 * b0, p11 = (u128)a1 * b1;
	u128 mid = (p00 >> 64) + (uint64_t)p01 + (uint64_t)p10;
	*lo = (mid << 64) | (uint64_t)p00;
	*hi = p11 + (p01 >> 64) + (p10 >> 64) + (mid >> 64);
}

/*
 * a - b, plus n when it borrowed (a, b < n), without a branch: gcc turns
 * a 128-bit comparison's result into a short jump over "set 1", taken half
 * the time on these operands (72 such jumps per pair step of
 * ladder128_plan2), so the borrow comes from the subtraction itself
 * (sub/sbb/setc) and the mask is built in 64-bit halves.
 */
static inline u128 mont_fix_u128(u128 a, u128 b, u128 n)
{
	u128 r;
	uint64_t m = 0 - (uint64_t)__builtin_sub_overflow(a, b, &r);
	uint64_t lo = (uint64_t)n & m, hi = (uint64_t)(n >> 64) & m;
	/* NOLINTNEXTLINE(clang-analyzer-core.UndefinedBinaryOperatorResult): r is set by the builtin, which the analyzer does not model */
	return r + (((u128)hi << 64) | lo);
}

static inline u128 mont_mul_u128(u128 a, u128 b, u128 n, u128 ninv)
{
	u128 hi, lo, mh, ml;
	mont_mul_full_u128(a, b, &hi, &lo);
	mont_mul_full_u128(lo * ninv, n, &mh, &ml);
	(void)ml;
	return mont_fix_u128(hi, mh, n);
}

static inline u128 mont_sub_u128(u128 a, u128 b, u128 n)
{
	return mont_fix_u128(a, b, n);
}

static inline u128 mont_add_u128(u128 a, u128 b, u128 n)
{
	return mont_sub_u128(a, n - b, n);
}

static inline u128 mont_half_u128(u128 x, u128 n)
{
	return (x & 1) ? (x >> 1) + (n >> 1) + 1 : x >> 1;
}

static inline u128 mont_one_u128(u128 n)
{
	return (0 - n) % n;
}

/* x*R mod n by 128 doublings; used once per modulus. */
static inline u128 mont_to_u128(u128 x, u128 n)
{
	u128 r = x % n;
	for (int i = 0; i < 128; i++)
		r = mont_add_u128(r, r, n);
	return r;
}

/* splitmix64: the seeded generator for every random choice of the tiers. */
static inline uint64_t next_rand_u64(uint64_t *state)
{
	uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

/* ---- gcd ---- */

static inline uint64_t gcd_u64(uint64_t a, uint64_t b)
{
	if (a == 0)
		return b;
	if (b == 0)
		return a;
	int k = __builtin_ctzll(a | b);
	a >>= __builtin_ctzll(a);
	do {
		b >>= __builtin_ctzll(b);
		if (a > b) {
			uint64_t t = a;
			a = b;
			b = t;
		}
		b -= a;
	} while (b != 0);
	return a << k;
}

static inline int ctz_u128(u128 x)
{
	uint64_t lo = (uint64_t)x;
	return lo ? __builtin_ctzll(lo)
		  : 64 + __builtin_ctzll((uint64_t)(x >> 64));
}

static inline u128 gcd_u128(u128 a, u128 b)
{
	if (a == 0)
		return b;
	if (b == 0)
		return a;
	int k = ctz_u128(a | b);
	a >>= ctz_u128(a);
	do {
		if ((b >> 64) == 0 && (a >> 64) == 0)
			return (u128)gcd_u64((uint64_t)a, (uint64_t)b) << k;
		b >>= ctz_u128(b);
		if (a > b) {
			u128 t = a;
			a = b;
			b = t;
		}
		b -= a;
	} while (b != 0);
	return a << k;
}

/* ---- deadline: time limit and stop hook ---- */

struct small_deadline {
	const struct engine_params *params; /* NULL: never expires */
	struct timespec end;
	int has_end;
	int fired;
};

/*
 * The deadline at engine_now() seconds deadline (0: none): a cofactor
 * handed down from the GMP tier keeps its number's deadline.
 */
static inline void small_deadline_init_at(struct small_deadline *dl,
					  const struct engine_params *params,
					  double deadline)
{
	dl->params = params;
	dl->has_end = 0;
	dl->fired = 0;
	if (params != NULL && deadline > 0) {
		double whole = (double)(long)deadline;
		dl->end.tv_sec = (time_t)whole;
		dl->end.tv_nsec = (long)((deadline - whole) * 1e9);
		if (dl->end.tv_nsec >= 1000000000L) {
			dl->end.tv_sec++;
			dl->end.tv_nsec -= 1000000000L;
		}
		dl->has_end = 1;
	}
}

/* params->time_limit seconds from now (none when 0). */
static inline void small_deadline_init(struct small_deadline *dl,
				       const struct engine_params *params)
{
	double deadline = 0.0;
	if (params != NULL && params->time_limit > 0)
		deadline = engine_now() + params->time_limit;
	small_deadline_init_at(dl, params, deadline);
}

/* Non-zero once the time limit passed or the stop hook asked to stop. */
static inline int small_deadline_expired(struct small_deadline *dl)
{
	if (dl == NULL || dl->params == NULL)
		return 0;
	if (dl->fired)
		return 1;
	if (dl->params->stop != NULL && dl->params->stop(dl->params->stop_arg))
		dl->fired = 1;
	if (!dl->fired && dl->has_end) {
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec > dl->end.tv_sec ||
		    (now.tv_sec == dl->end.tv_sec &&
		     now.tv_nsec >= dl->end.tv_nsec))
			dl->fired = 1;
	}
	return dl->fired;
}

/*
 * ECM plans (engine_tdiv.c), shared by ecm_u64 and ecm_u128: stage 1
 * multiplies by every prime power <= b1 (2^pow2, then the odd ones packed
 * into 64-bit chunks); stage 2 uses baby steps j*Q for the j in
 * ecm_baby (coprime to ECM_D, below ECM_D/2) and giant steps m*ECM_D*Q for
 * m0 <= m <= m1; bit i of mask[m - m0] says m*ECM_D +- ecm_baby[i] is a
 * prime in (b1, b2], so one product covers a pair of primes.
 */
enum {
	ECM_D = 210,
	ECM_NBABY = 24,
	ECM_MAX_CHUNKS = 160,
	ECM_MAX_GIANT = 1700,
	ECM_GBLOCK = 128 /* giant steps normalized per inversion */
};
static const unsigned char ecm_baby[ECM_NBABY] = {
    1,  11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47,
    53, 59, 61, 67, 71, 73, 79, 83, 89, 97, 101, 103};
static_assert(ECM_NBABY <= 32, "stage-2 masks are 32 bits");
static_assert(ECM_D / 2 > 103, "baby steps lie below D/2");
struct ecm_plan {
	unsigned b1, b2;
	unsigned pow2;
	unsigned nchunks;
	uint64_t chunk[ECM_MAX_CHUNKS];
	/* the same odd product as one number: words k[0] (high) .. k[nk-1] */
	unsigned nk;
	int ktop; /* index of the top set bit in k[0] */
	uint64_t k[ECM_MAX_CHUNKS];
	unsigned m0, m1;
	uint32_t mask[ECM_MAX_GIANT];
};

/* The plan for (b1, b2), built at first use; b2 <= 200000, b1 <= 5000. */
const struct ecm_plan *ecm_plan_get(unsigned b1, unsigned b2);

/*
 * Factor n >= 1 into out without resetting it (engine_u64.c); used by
 * factor_u128 once a cofactor fits in 64 bits.  Returns STATUS_OK or
 * STATUS_PARTIAL (dl expired; the unsplit cofactor is marked composite).
 */
int factor_u64_append(uint64_t n, struct small_factors *out,
		      struct small_deadline *dl);

#endif
