/*
 * siqs_arith.h - small modular arithmetic for the SIQS files (private).
 *
 * Purpose: products, powers and inverses mod a factor-base prime p < 2^32,
 * scalar (Barrett products: no division instruction) and, under
 * SIQS_AVX2, in doubles four primes per vector.  static inline: the
 * callers are the per-A set-up (siqs_poly.c) and the factor base
 * (siqs_params.c), whose loops need them inlined.
 *
 * Invariants: scalar results are canonical residues in [0, p); the lazy
 * vector products are in (-p, p) and canon() makes them canonical.
 * Operands of the vector code are below 2^26, so every product is exact
 * in a double.
 */
#ifndef FACTORIZE_SIQS_ARITH_H
#define FACTORIZE_SIQS_ARITH_H

#include "siqs_int.h"

/*
 * a b mod p for any a, b below 2^32 (unreduced operands allowed), m =
 * floor((2^64 - 1) / p): the quotient estimate is at most 2 short, so two
 * conditional subtractions finish (no division instruction).
 */
static inline uint32_t mulmod_b(uint32_t a, uint32_t b, uint32_t p, uint64_t m)
{
	uint64_t x = (uint64_t)a * b;
	uint64_t q = (uint64_t)(((siqs_u128)x * m) >> 64);
	uint64_t r = x - q * p;
	if (r >= p)
		r -= p;
	if (r >= p)
		r -= p;
	return (uint32_t)r;
}

static inline uint32_t mulmod(uint32_t a, uint32_t b, uint32_t p)
{
	return (uint32_t)((uint64_t)a * b % p);
}

/* b^e mod p, m = floor((2^64 - 1) / p): Barrett products, no division. */
static inline uint32_t powmod(uint32_t b, uint32_t e, uint32_t p, uint64_t m)
{
	uint32_t r = 1 % p;
	b %= p;
	while (e) {
		if (e & 1)
			r = mulmod_b(r, b, p, m);
		b = mulmod_b(b, b, p, m);
		e >>= 1;
	}
	return r;
}

/*
 * a^-1 mod p for gcd(a, p) = 1, p > 1: extended Euclid on 32-bit words
 * (no 64-bit division).  The Bezout coefficients of a alternate in sign,
 * so only their magnitudes are kept (each at most p) and the sign comes
 * from the parity of the step count: positive after an odd number.
 */
static inline uint32_t invmod(uint32_t a, uint32_t p)
{
	uint32_t r0 = p, r1 = a % p, t0 = 0, t1 = 1;
	unsigned odd = 0;
	while (r1) {
		uint32_t qq = r0 / r1, tmp;
		tmp = r0 - qq * r1;
		r0 = r1;
		r1 = tmp;
		tmp = t0 + qq * t1;
		t0 = t1;
		t1 = tmp;
		odd ^= 1;
	}
	return odd || t0 == 0 ? t0 : p - t0;
}

#if SIQS_AVX2
__attribute__((target("avx2,fma"))) static inline __m256d
vaddmod(__m256d a, __m256d b, __m256d p)
{
	__m256d r = _mm256_add_pd(a, b);
	return _mm256_sub_pd(r,
			     _mm256_and_pd(p, _mm256_cmp_pd(r, p, _CMP_GE_OQ)));
}

__attribute__((target("avx2,fma"))) static inline void
store_u32x4(uint32_t *dst, __m256d v)
{
	_mm_storeu_si128((__m128i *)(void *)dst, _mm256_cvttpd_epi32(v));
}

/*
 * a b mod p up to sign: in (-p, p) for |a| p, |b| p < 2^52 (the nearest
 * quotient, no correction), so chains of products need no compare; canon
 * maps (-p, p) to [0, p).  The chains of init_a_avx2 are latency-bound.
 */
__attribute__((target("avx2,fma"))) static inline __m256d
vmulmod_lazy(__m256d a, __m256d b, __m256d p, __m256d pinv)
{
	__m256d h = _mm256_mul_pd(a, b);
	__m256d q =
		_mm256_round_pd(_mm256_mul_pd(h, pinv),
				_MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
	return _mm256_fnmadd_pd(q, p, h);
}

__attribute__((target("avx2,fma"))) static inline __m256d canon(__m256d r,
								__m256d p)
{
	return _mm256_add_pd(
		r,
		_mm256_and_pd(
			p, _mm256_cmp_pd(r, _mm256_setzero_pd(), _CMP_LT_OQ)));
}

/*
 * Four groups of four primes per step (H = 4), interleaved: independent
 * chains, as the powers are latency-bound.  A last partial step is done as a
 * whole one ending at the last prime: the primes it shares with the step
 * before get the same values again, none goes to the scalar code.
 */
enum { SIQS_VH = 4 };

/*
 * r[h] = b[h]^e[h] mod p[h] for the SIQS_VH groups of four lanes, e below
 * 2^bit: left to right two bits at a time (three products per two bits:
 * init_a's chains are latency-bound) with lazy products
 * (results in (-p, p)), the groups interleaved so their chains run side
 * by side.
 */
__attribute__((target("avx2,fma"), always_inline)) static inline void
vpowmods(__m256d *r, const __m256d *b, const __m128i *e, int bit,
	 const __m256d *p, const __m256d *pinv)
{
	const __m256d one = _mm256_set1_pd(1.0);
	const __m128i one_i = _mm_set1_epi32(1), two_i = _mm_set1_epi32(2);
	__m256d b2[SIQS_VH], b3[SIQS_VH];
	unsigned h;

	for (h = 0; h < SIQS_VH; h++) {
		r[h] = one;
		b2[h] = vmulmod_lazy(b[h], b[h], p[h], pinv[h]);
		b3[h] = vmulmod_lazy(b2[h], b[h], p[h], pinv[h]);
	}
	if (bit & 1) { /* an odd count: the top bit alone */
		const __m128i cnt = _mm_cvtsi32_si128(--bit);
		for (h = 0; h < SIQS_VH; h++) {
			__m128i b32 = _mm_cmpeq_epi32(
				_mm_and_si128(_mm_srl_epi32(e[h], cnt), one_i),
				one_i);
			r[h] = _mm256_blendv_pd(
				one, b[h],
				_mm256_castsi256_pd(
					_mm256_cvtepi32_epi64(b32)));
		}
	}
	/* two bits per step: r^4 times b^d, b^d picked from 1, b, b^2, b^3 */
	while (bit > 0) {
		const __m128i cnt = _mm_cvtsi32_si128(bit -= 2);
		for (h = 0; h < SIQS_VH; h++) {
			__m128i d = _mm_srl_epi32(e[h], cnt);
			__m256d m0 = _mm256_castsi256_pd(
				_mm256_cvtepi32_epi64(_mm_cmpeq_epi32(
					_mm_and_si128(d, one_i), one_i)));
			__m256d m1 = _mm256_castsi256_pd(
				_mm256_cvtepi32_epi64(_mm_cmpeq_epi32(
					_mm_and_si128(d, two_i), two_i)));
			__m256d t = _mm256_blendv_pd(
				_mm256_blendv_pd(one, b[h], m0),
				_mm256_blendv_pd(b2[h], b3[h], m0), m1);
			r[h] = vmulmod_lazy(r[h], r[h], p[h], pinv[h]);
			r[h] = vmulmod_lazy(r[h], r[h], p[h], pinv[h]);
			r[h] = vmulmod_lazy(r[h], t, p[h], pinv[h]);
		}
	}
}
#endif

#endif
