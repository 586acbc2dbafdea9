/*
 * bench_small.c - timing harness for the native tiers of the engine
 * (engine_u64.c, engine_u128.c), not a test: `make build/bench_small`.
 *
 *   bench_small FILE [REPEAT] [METHOD]
 *
 * Reads one number per line (below 2^128; others are skipped), then times
 * METHOD over the whole file REPEAT times (default 5) and prints the median
 * and minimum CPU time per number (CLOCK_PROCESS_CPUTIME_ID: the machine
 * is shared, so wall time overstates).  METHOD:
 *   factor  factor_u64 below 2^64, factor_u128 above (default);
 *   ecm     ecm_u64 / ecm_u128 with successive seeds until a factor, one
 *           curve per call: the lone-curve path (factor runs curves in
 *           pairs), and the mean curves per number;
 *   rho     rho_u64 / rho_u128 with successive constants until a factor;
 *   squfof  squfof_u64 (numbers below 2^50; failures counted).
 * The single methods expect odd composites without small factors (the
 * jobs/bench/S* semiprime sets); they also report the mean number of
 * curves or constants used.  Exit status 1 when a result is wrong.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine_int.h"
#include "status.h"

enum { MAX_NUMBERS = 100000, MAX_REPEAT = 101 };

static double cpu_now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static int parse_u128(const char *s, u128 *out)
{
	u128 v = 0;
	int digits = 0;
	while (*s == ' ' || *s == '\t')
		s++;
	for (; *s >= '0' && *s <= '9'; s++, digits++) {
		unsigned d = (unsigned)(*s - '0');
		if (v > (~(u128)0 - d) / 10)
			return 0;
		v = v * 10 + d;
	}
	*out = v;
	return digits > 0;
}

/* One pass of method over v[0..count-1]; returns wrong answers. */
static unsigned run(const char *method, const u128 *v, size_t count,
		    unsigned long *tries, unsigned *fails)
{
	unsigned wrong = 0;
	struct small_factors out;
	for (size_t i = 0; i < count; i++) {
		u128 n = v[i], f = 0;
		if (strcmp(method, "factor") == 0) {
			int st = (n >> 64) == 0
				? factor_u64((uint64_t)n, &out, NULL)
				: factor_u128(n, &out, NULL);
			if (st != STATUS_OK || (n > 1 && out.n == 0))
				wrong++;
			continue;
		}
		if (strcmp(method, "squfof") == 0) {
			f = squfof_u64((uint64_t)n);
			if (f == 0) {
				(*fails)++;
				continue;
			}
		} else {
			int ecm = strcmp(method, "ecm") == 0;
			for (uint64_t s = 1; f == 0 && s < 100000; s++) {
				(*tries)++;
				if ((n >> 64) == 0)
					f = ecm ? ecm_u64((uint64_t)n, 1, s)
						: rho_u64((uint64_t)n, s,
							  1u << 26);
				else
					f = ecm ? ecm_u128(n, 1, s)
						: rho_u128(n, s, 1u << 26);
			}
		}
		if (f <= 1 || f >= n || n % f != 0)
			wrong++;
	}
	return wrong;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr,
			"usage: %s FILE [REPEAT] [factor|ecm|rho|squfof]\n",
			argv[0]);
		return 2;
	}
	int repeat = argc > 2 ? atoi(argv[2]) : 5;
	const char *method = argc > 3 ? argv[3] : "factor";
	if (repeat < 1 || repeat > MAX_REPEAT) {
		fprintf(stderr, "REPEAT must be 1..%d\n", MAX_REPEAT);
		return 2;
	}
	FILE *in = fopen(argv[1], "r");
	if (in == NULL) {
		perror(argv[1]);
		return 2;
	}
	static u128 v[MAX_NUMBERS];
	size_t count = 0;
	char line[512];
	while (count < MAX_NUMBERS && fgets(line, sizeof line, in) != NULL) {
		if (parse_u128(line, &v[count]))
			count++;
	}
	fclose(in);
	if (count == 0) {
		fprintf(stderr, "%s: no numbers below 2^128\n", argv[1]);
		return 2;
	}
	double t[MAX_REPEAT];
	unsigned wrong = 0, fails = 0;
	unsigned long tries = 0;
	for (int r = 0; r < repeat; r++) {
		double t0 = cpu_now();
		wrong += run(method, v, count, &tries, &fails);
		t[r] = cpu_now() - t0;
	}
	qsort(t, (size_t)repeat, sizeof t[0], cmp_double);
	printf("%s %s: %zu numbers, median %.3f us/number (%.0f/s), min %.3f us",
	       argv[1], method, count, 1e6 * t[repeat / 2] / (double)count,
	       (double)count / t[repeat / 2], 1e6 * t[0] / (double)count);
	if (tries != 0)
		printf(", %.2f tries/number",
		       (double)tries / ((double)count * repeat));
	if (fails != 0)
		printf(", %u failures", fails);
	printf("%s\n", wrong ? ", WRONG ANSWERS" : "");
	return wrong != 0;
}
