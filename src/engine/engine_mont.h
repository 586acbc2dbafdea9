/*
 * engine_mont.h - inline Montgomery arithmetic for the native tiers
 * (private to engine_u64.c and engine_u128.c and their templates).
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
 * into a jump taken half the time.
 */
#ifndef FACTORIZE_ENGINE_MONT_H
#define FACTORIZE_ENGINE_MONT_H

#include <stdint.h>

#include "engine_word.h"

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
 * gcc turns into sub / lea / cmov.
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

#endif
