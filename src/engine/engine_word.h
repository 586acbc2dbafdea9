/*
 * engine_word.h - native-word helpers shared by every engine file
 * (private to the engine): the two-word type u128, trailing zeros and
 * top bit, binary gcd on one and two words, and the exchange of u128
 * values with GMP.
 *
 * Invariants: a GMP limb is 64 bits (GMP_NUMB_BITS == 64, asserted), so
 * a number below 2^128 is limbs 0 and 1 of an mpz_t; mpz_get_u128 reads
 * those two limbs and is only called on values below 2^128.
 *
 * gcd: Stein's binary algorithm (Knuth, TAOCP vol. 2, 4.5.2, algorithm
 * B) with count-trailing-zeros shifts; the two-word gcd drops to the
 * one-word one as soon as both operands fit in 64 bits.
 *
 * This is the lowest layer of the engine: it includes only GMP and the C
 * library, and every other engine file may include it.
 */
#ifndef FACTORIZE_ENGINE_WORD_H
#define FACTORIZE_ENGINE_WORD_H

#include <assert.h>
#include <stdint.h>
#include <gmp.h>

__extension__ typedef unsigned __int128 u128;

static_assert(GMP_NUMB_BITS == 64, "two limbs must hold 128 bits");
static_assert(sizeof(unsigned long) == 8, "mpz_set_ui takes 64 bits");

/* ---- trailing zeros, top bit and gcd ---- */

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

static inline int ctz_u64(uint64_t x) /* x != 0 */
{
	return __builtin_ctzll(x);
}

/* Index of the top set bit of x != 0. */
static inline int top_bit_u64(uint64_t x)
{
	return 63 - __builtin_clzll(x);
}

static inline int top_bit_u128(u128 x)
{
	uint64_t hi = (uint64_t)(x >> 64);
	return hi ? 127 - __builtin_clzll(hi)
		  : 63 - __builtin_clzll((uint64_t)x);
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

/* ---- u128 <-> GMP ---- */

static inline void mpz_set_u128(mpz_t z, u128 v)
{
	if ((v >> 64) == 0) {
		mpz_set_ui(z, (unsigned long)v);
		return;
	}
	mpz_set_ui(z, (unsigned long)(v >> 64));
	mpz_mul_2exp(z, z, 64);
	mpz_add_ui(z, z, (unsigned long)(uint64_t)v);
}

/* z must be below 2^128 (limbs beyond the size read as 0). */
static inline u128 mpz_get_u128(const mpz_t z)
{
	return ((u128)mpz_getlimbn(z, 1) << 64) | (u128)mpz_getlimbn(z, 0);
}

#endif
