/*
 * siqs.c - self-initialising quadratic sieve (placeholder).
 *
 * Purpose: siqs_factor() of include/siqs.h.  This first version only
 * validates its input and reports STATUS_NOT_FOUND so the program links;
 * the sieve itself follows.
 */
#include <stddef.h>

#include "siqs.h"
#include "status.h"

void siqs_params_init(struct siqs_params *params)
{
	params->seed = 1;          /* fixed seed: runs repeat */
	params->deadline = 0.0;    /* no time limit */
	params->stop = NULL;       /* no stop hook */
	params->stop_arg = NULL;
}

int siqs_factor(mpz_t f, const mpz_t n, const struct siqs_params *params)
{
	(void)params;
	if (mpz_even_p(n) || mpz_sizeinbase(n, 10) < 20 ||
	    mpz_sizeinbase(n, 10) > 120)
		return STATUS_ERR_INVAL;
	mpz_set_ui(f, 1);
	return STATUS_NOT_FOUND;
}
