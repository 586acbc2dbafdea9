/*
 * siqs_bench.c - time siqs_factor over a file of semiprimes (by hand).
 *
 *   make build/bench_siqs
 *   build/bench_siqs jobs/bench/S160.txt [max]
 *
 * SIQS_TUNE=fb,lp_mult,blocks,fudge,q_max,small_prime,dlp overrides the
 * table (0: the table's value; dlp -1: no double large primes).
 * Prints one line per number (CPU ms, status, the run's statistics from
 * struct siqs_stats, factor) and the median and mean.  CPU time, not wall
 * time: the machine is shared, and CPU time moves less with the load.
 * Exit status 1 if any factor is wrong.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <gmp.h>

#include "engine.h"
#include "siqs.h"
#include "status.h"

/* CPU time of this process: steadier than wall time on a shared machine. */
static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
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
	const char *tune = getenv("SIQS_TUNE");

	if (argc < 2 || !(fp = fopen(argv[1], "r")))
		return 2;
	engine_process_init();
	mpz_init(n);
	mpz_init(f);
	while (cnt < max && cnt < 4096 && fgets(line, sizeof line, fp)) {
		double t0;
		int st;
		struct siqs_params par;
		struct siqs_stats ss;
		if (mpz_set_str(n, line[0] ? line : "0", 10) != 0) {
			char *e = line;
			while (*e && *e != '\n')
				e++;
			*e = 0;
			if (mpz_set_str(n, line, 10) != 0)
				continue;
		}
		t0 = now();
		siqs_params_init(&par);
		memset(&ss, 0, sizeof ss); /* not filled on invalid input */
		par.stats = &ss;
		if (tune)
			sscanf(tune, "%u,%lf,%u,%lf,%lf,%u,%lf", &par.fb_size,
			       &par.lp_mult, &par.blocks, &par.fudge,
			       &par.q_max, &par.small_prime, &par.dlp);
		st = siqs_factor(f, n, &par);
		t[cnt] = 1e3 * (now() - t0);
		sum += t[cnt];
		if (st != STATUS_FOUND || mpz_cmp_ui(f, 1) <= 0 ||
		    mpz_cmp(f, n) >= 0 || !mpz_divisible_p(n, f))
			bad++;
		gmp_printf(
			"%8.1f ms %s k=%u F=%u s=%u len=%lu lp=%lu polys=%lu "
			"cand=%lu full=%lu part=%lu (dlp %lu) cyc=%lu la=%.3fs  %Zd\n",
			t[cnt], st == STATUS_FOUND ? "ok" : status_str(st),
			ss.multiplier, ss.fb_size, ss.s, ss.sieve_len,
			ss.lp_bound, ss.polys, ss.candidates, ss.fulls,
			ss.partials, ss.double_partials, ss.cycles, ss.t_linalg,
			f);
		cnt++;
	}
	fclose(fp);
	qsort(t, (size_t)cnt, sizeof t[0], cmpd);
	if (cnt)
		printf("%d numbers, median %.3f ms, mean %.3f ms, %d wrong\n",
		       cnt, t[cnt / 2], sum / cnt, bad);
	mpz_clear(n);
	mpz_clear(f);
	return bad != 0;
}
