/*
 * engine_ecm_plan.h - the precomputed bounds of micro-ECM (private to
 * engine_ecm_plan.c and the two native tiers that instantiate
 * engine_ecm_tmpl.h).
 */
#ifndef FACTORIZE_ENGINE_ECM_PLAN_H
#define FACTORIZE_ENGINE_ECM_PLAN_H

#include <assert.h>
#include <stdint.h>

/*
 * An ECM plan, shared by ecm_u64 and ecm_u128: stage 1
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
static const unsigned char ecm_baby[ECM_NBABY] = { 1,  11, 13, 17, 19,  23,
						   29, 31, 37, 41, 43,  47,
						   53, 59, 61, 67, 71,  73,
						   79, 83, 89, 97, 101, 103 };
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

#endif
