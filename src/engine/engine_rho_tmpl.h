/*
 * engine_rho_tmpl.h - Pollard-Brent rho over one-residue Montgomery
 * arithmetic, written once for both native tiers (private to
 * engine_u64.c and engine_u128.c; not a header to include anywhere else).
 *
 * Instantiation: the tier file defines
 *   RHO_WORD  the residue type (uint64_t or u128),
 *   RHO_BITS  its width as a bare number (64 or 128),
 * and the enum constant RHO_BATCH, then includes this file once, after
 * engine_mont.h.  It defines rho_u<BITS> (declared in engine_int.h),
 * built on mont_mul_u<BITS>, mont_add_u<BITS>, mont_sub_u<BITS>,
 * mont_to_u<BITS> and gcd_u<BITS>, and undefines its own macros and
 * RHO_WORD / RHO_BITS at the end.
 *
 * Algorithm (Brent, "An improved Monte Carlo factorization algorithm",
 * BIT 20, 1980): the walk y <- y^2 + c from y = 2, compared with the
 * saved x at powers of two; the differences x - y are multiplied
 * RHO_BATCH at a time and one gcd taken per batch.  A batch whose gcd is
 * n itself is walked again step by step from its saved start ys.
 * Returns a factor 1 < g < n, 0 when max_iter steps (rounded up to the
 * batch) found none or the walk closed on n; 2 for even n >= 4.
 */
#ifndef RHO_WORD
#error "define RHO_WORD and RHO_BITS before including engine_rho_tmpl.h"
#endif

#define RHO_PASTE_(a, b) a##b
#define RHO_PASTE(a, b)  RHO_PASTE_(a, b)
/* RHO_FN(rho_u) is rho_u64 or rho_u128 */
#define RHO_FN(pre) RHO_PASTE(pre, RHO_BITS)
#define RHO_MUL     RHO_FN(mont_mul_u)
#define RHO_ADD     RHO_FN(mont_add_u)
#define RHO_SUB     RHO_FN(mont_sub_u)
#define RHO_GCD     RHO_FN(gcd_u)

RHO_WORD RHO_FN(rho_u)(RHO_WORD n, uint64_t c, uint64_t max_iter)
{
	if (n < 4 || (n & 1) == 0)
		return (n >= 4) ? 2 : 0;
	RHO_WORD ninv = RHO_FN(mont_inv_u)(n);
	RHO_WORD one = RHO_FN(mont_one_u)(n);
	RHO_WORD cm = RHO_FN(mont_to_u)((RHO_WORD)c % (n - 1) + 1, n);
	RHO_WORD y = RHO_ADD(one, one, n), x = y, ys = y;
	RHO_WORD q = one, g = 1;
	uint64_t done = 0;
	for (uint64_t r = 1; g == 1; r <<= 1) {
		x = y;
		for (uint64_t i = 0; i < r; i++)
			y = RHO_ADD(RHO_MUL(y, y, n, ninv), cm, n);
		for (uint64_t k = 0; k < r && g == 1; k += RHO_BATCH) {
			ys = y;
			uint64_t lim = r - k < RHO_BATCH ? r - k : RHO_BATCH;
			for (uint64_t i = 0; i < lim; i++) {
				y = RHO_ADD(RHO_MUL(y, y, n, ninv), cm, n);
				q = RHO_MUL(q, RHO_SUB(x, y, n), n, ninv);
			}
			g = RHO_GCD(q, n);
			done += lim;
		}
		if (done > max_iter && g == 1)
			return 0;
	}
	if (g == n) {
		do {
			ys = RHO_ADD(RHO_MUL(ys, ys, n, ninv), cm, n);
			g = RHO_GCD(RHO_SUB(x, ys, n), n);
		} while (g == 1);
	}
	return g == n ? 0 : g;
}

#undef RHO_GCD
#undef RHO_SUB
#undef RHO_ADD
#undef RHO_MUL
#undef RHO_FN
#undef RHO_PASTE
#undef RHO_PASTE_
#undef RHO_WORD
#undef RHO_BITS
