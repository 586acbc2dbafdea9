/*
 * engine_util.h - the seeded random stream, the monotonic clock and the
 * deadline of one engine call (private to the engine; every tier, the
 * dispatcher and SIQS include it).
 *
 * Random choices: every one (rho constants, ECM curve seeds, Miller-Rabin
 * bases, SIQS seeds) is drawn from a splitmix64 stream (Steele, Lea and
 * Flood, "Fast splittable pseudorandom number generators", OOPSLA 2014)
 * seeded from engine_params.seed, so a run repeats exactly for one seed.
 *
 * Deadline: an engine call's time limit is an absolute time on
 * CLOCK_MONOTONIC (engine_now() seconds; 0 = none) fixed when the call
 * starts; cofactors handed from the GMP tier to the native tiers keep it
 * (the limit does not restart).  struct small_deadline also carries the
 * stop hook; small_deadline_expired polls both and latches once fired.
 */
#ifndef FACTORIZE_ENGINE_UTIL_H
#define FACTORIZE_ENGINE_UTIL_H

#include <stdint.h>
#include <time.h>

#include "engine.h"

/* ---- random stream ---- */

/* splitmix64 step: every random choice of the engine comes from here. */
static inline uint64_t engine_rand(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15u);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

/* ---- clock ---- */

/* Seconds on CLOCK_MONOTONIC. */
static inline double engine_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* CPU seconds of the calling thread (CLOCK_THREAD_CPUTIME_ID): shares of
   work between two methods on one thread, whatever else the core runs. */
static inline double engine_cpu_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- deadline: time limit and stop hook ---- */

/*
 * The end of a call's time limit, params->time_limit seconds from now, as
 * engine_now() seconds; 0 when there is none.
 */
static inline double engine_deadline(const struct engine_params *params)
{
	if (params != NULL && params->time_limit > 0)
		return engine_now() + params->time_limit;
	return 0.0;
}

struct small_deadline {
	const struct engine_params *params; /* NULL: never expires */
	double end;                         /* engine_now() seconds; 0 = none */
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
	dl->end = params != NULL && deadline > 0 ? deadline : 0.0;
	dl->fired = 0;
}

/* params->time_limit seconds from now (none when 0). */
static inline void small_deadline_init(struct small_deadline *dl,
				       const struct engine_params *params)
{
	small_deadline_init_at(dl, params, engine_deadline(params));
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
	if (!dl->fired && dl->end > 0 && engine_now() >= dl->end)
		dl->fired = 1;
	return dl->fired;
}

#endif
