/*
 * siqs_bench.c - time siqs_factor over a file of semiprimes (by hand).
 *
 *   make build/libcore.a && cc -O2 -Iinclude -Isrc tests/siqs_bench.c \
 *       build/libcore.a -lecm -lgmp -lm -o build/siqs_bench
 *   build/siqs_bench jobs/bench/S160.txt [max]
 *
 * Prints one line per number (ms, factor) and the median and mean.
 * Exit status 1 if any factor is wrong.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <gmp.h>

#include "siqs.h"
#include "status.h"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmpd(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	FILE *fp;
	char line[1024];
	double t[4096], sum = 0;
	int cnt = 0, bad = 0, max = argc > 2 ? atoi(argv[2]) : 4096;
	mpz_t n, f;

	if (argc < 2 || !(fp = fopen(argv[1], "r")))
		return 2;
	mpz_init(n);
	mpz_init(f);
	while (cnt < max && cnt < 4096 && fgets(line, sizeof line, fp)) {
		double t0;
		int st;
		if (mpz_set_str(n, line[0] ? line : "0", 10) != 0) {
			char *e = line;
			while (*e && *e != '\n')
				e++;
			*e = 0;
			if (mpz_set_str(n, line, 10) != 0)
				continue;
		}
		t0 = now();
		st = siqs_factor(f, n, NULL);
		t[cnt] = 1e3 * (now() - t0);
		sum += t[cnt];
		if (st != STATUS_FOUND || mpz_cmp_ui(f, 1) <= 0 ||
		    mpz_cmp(f, n) >= 0 || !mpz_divisible_p(n, f))
			bad++;
		gmp_printf("%8.1f ms  %s  %Zd\n", t[cnt], status_str(st), f);
		cnt++;
	}
	fclose(fp);
	qsort(t, (size_t)cnt, sizeof t[0], cmpd);
	if (cnt)
		printf("%d numbers, median %.1f ms, mean %.1f ms, %d wrong\n",
		       cnt, t[cnt / 2], sum / cnt, bad);
	mpz_clear(n);
	mpz_clear(f);
	return bad != 0;
}
