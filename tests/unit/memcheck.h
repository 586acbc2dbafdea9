/*
 * memcheck.h - the unit tests' one knob for `make valgrind`.
 *
 * Memcheck runs a test 20 to 50 times slower than the bare binary.  The
 * tests whose cost is repetition (random rounds, whole factorizations of
 * 60-digit numbers) do fewer rounds under it: memcheck looks for bad
 * reads and leaks, which the first rounds reach as well as the last; the
 * full counts run in `make test` and under `make asan`.  The Makefile's
 * valgrind target sets FACTORIZE_MEMCHECK=1.
 */
#ifndef FACTORIZE_TEST_MEMCHECK_H
#define FACTORIZE_TEST_MEMCHECK_H

#include <stdlib.h>

/* 1 under `make valgrind`, else 0. */
static inline int test_memcheck(void)
{
	return getenv("FACTORIZE_MEMCHECK") != NULL;
}

/* rounds, or a quarter of them (at least 1) under memcheck. */
static inline int test_rounds(int rounds)
{
	return test_memcheck() ? (rounds + 3) / 4 : rounds;
}

#endif
