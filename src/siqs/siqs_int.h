/*
 * siqs_int.h - declarations shared by the SIQS files (private).
 *
 * Files, in the order of the algorithm (src/siqs/siqs.c's top comment):
 *   siqs.c         driver: siqs_factor as a list of phase calls
 *   siqs_params.c  parameter table, Knuth-Schroeppel multiplier, factor base
 *   siqs_poly.c    A and B polynomials, Gray-code root updates
 *   siqs_sieve.c   the sieve core: one-block, block and bucket sieve
 *   siqs_tdiv.c    candidate scan, root checks, trial division
 *   siqs_rel.c     relation store, large-prime graph and its cycles
 *   siqs_sqrt.c    the exponent matrix and dependencies to factors
 *   siqs_linalg.c  filtering and Gaussian elimination over GF(2)
 *   siqs_arith.h   small modular arithmetic (static inline: hot callers)
 * Tuning history: siqs_NOTES.md.
 *
 * Invariant: every function declared here is used by more than one SIQS
 * file or by tests/unit/test_siqs.c; everything else stays static in its file.
 */
#ifndef FACTORIZE_SIQS_INT_H
#define FACTORIZE_SIQS_INT_H

#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <gmp.h>

/* AVX2 code paths are compiled per function and chosen at run time. */
#if defined(__x86_64__) && defined(__GNUC__)
#define SIQS_AVX2 1
#include <immintrin.h>
#else
#define SIQS_AVX2 0
#endif

enum {
	SIQS_BLOCK_BITS = 15,
	SIQS_BLOCK = 1 << SIQS_BLOCK_BITS, /* sieve block: the L1 data cache */
	SIQS_SMALL_PRIME = 30,            /* primes below this are not sieved */
	SIQS_BUCKET_MIN = SIQS_BLOCK / 2, /* primes bucket-sieved from here */
	SIQS_EXTRA = 4,        /* relations wanted beyond F (see step 7) */
	SIQS_MAX_S = 20,       /* most primes in A */
	SIQS_MIN_BITS = 64,    /* smallest n accepted */
	SIQS_MAX_BITS = 400,   /* largest n accepted (about 120 digits) */
	SIQS_MAX_FAC = 512,    /* factor-base entries in one relation */
	SIQS_A_TRIES = 2000,   /* attempts to find an unused A */
	SIQS_MAX_CAND = 16384, /* candidates kept per polynomial */
	SIQS_MAX_FB = 100000,  /* FB index << SIQS_BLOCK_BITS fits 32 bits */
	SIQS_MAX_BLOCKS = 16,  /* sieve positions stay below 2^20 (pinv) */
	SIQS_MAX_RETRIES = 8, /* linear algebra rounds with only trivial deps */
	SIQS_CLS_Q = 64,      /* one-block sieve: fixed-count runs below this */
	/*
	 * Pollard-Brent rho on a double large prime cofactor stops after
	 * about this many steps: the smaller prime is below the large prime
	 * bound (at most about 2^28 in the table), so about 2^14 steps find
	 * it with probability near 1/2 or better; a failed split loses one
	 * partial-partial, more steps cost more than it is worth.
	 */
	SIQS_RHO_STEPS = 1 << 16,
	/*
	 * Double large primes from here (about 65 digits): at 200 bits they
	 * were no faster than single large primes (siqs_NOTES.md), at 230
	 * bits faster.
	 */
	SIQS_DLP_MIN_BITS = 216
};
/*
 * The double large prime cutoff stays below 2^62: the cofactor's
 * Montgomery products (a b + m n < 2^128 for n < 2^63) and the rho's
 * differences fit, with a bit to spare.
 */
static const uint64_t SIQS_DLP_MAX = (uint64_t)1 << 62;
static_assert((uint64_t)SIQS_MAX_BLOCKS * SIQS_BLOCK <= (1u << 20),
	      "sieve positions must fit the 2^40 reciprocal trick");
static_assert((uint64_t)SIQS_MAX_FB << SIQS_BLOCK_BITS <= UINT32_MAX,
	      "bucket entries hold an FB index and a block offset");

__extension__ typedef unsigned __int128 siqs_u128;
__extension__ typedef __int128 siqs_i128;

/*
 * One relation: Q(x) = (product of its factor-base primes) lp lp2.  A
 * full relation has lp = lp2 = 1, a partial lp > 1 and lp2 = 1, a
 * partial-partial (double large prime) lp <= lp2, both > 1.  In the
 * large-prime graph it is the edge (v1, v2) between the vertices of lp
 * and lp2 (vertex 0 stands for 1).
 */
struct siqs_rel {
	size_t yoff;     /* A x + B: its limbs in the limb pool, from here */
	int ysize;       /* and its GMP size (negative: A x + B < 0) */
	size_t off;      /* first factor-base index in the pool */
	uint32_t nfac;   /* factor-base indices, with repetition */
	uint32_t lp;     /* large prime, 1 for a full relation */
	uint32_t lp2;    /* second large prime, 1 unless a partial-partial */
	uint32_t v1, v2; /* graph vertices of lp and lp2 (partials only) */
};

/*
 * The state of one siqs_factor run, by lifetime.  Functions take the
 * whole struct siqs; which part they read or write shows in every access
 * (S->fb.prime, S->poly.root1, S->sv.cand, S->rels.nfull).
 */

/*
 * Per number, set once by siqs_build_fb and the driver's set-up, then
 * read only: the multiplier, the factor base and its derived constants,
 * the sieve geometry, the thresholds and the CPU's vector paths.
 */
struct siqs_fb {
	mpz_t n, kn;
	uint32_t k;
	/* factor base: index 0 is -1, index 1 is 2 */
	uint32_t fb_n;
	uint32_t *prime, *sqrtkn;
	uint8_t *logp; /* scaled log2 p, the sieve's addend */
	/*
	 * floor(2^40 / p) + 1: i mod p by multiplication.  Exact for i below
	 * 2^20 and p below 2^20 (error i / 2^40 < 1 / p); i * pinv < 2^59.
	 */
	uint64_t *pinv;
	/* floor((2^64 - 1) / p): Barrett reduction of any product below 2^64 */
	uint64_t *bred;
	siqs_u128 *inv128; /* p^-1 mod 2^128 (odd p): exact division */
	float *pf, *pinvf; /* p and fl(1/p): the vector root check */
	/*
	 * The 16-bit root check (r16 != 0: AVX2 and every sieve position
	 * below 2^15): p, p^-1 mod 2^16, floor((2^16 - 1) / p) as 16-bit
	 * words; one allocation that also holds poly.ra16 and poly.rb16.
	 */
	uint16_t *p16, *inv16, *lim16;
	int r16;
	int sse2; /* SSE2 paths allowed (when compiled in) */
	/* cppcheck-suppress unusedStructMember ; read under SIQS_AVX2 only */
	int avx2; /* the CPU runs AVX2: eight primes per step */
	int fma;  /* and FMA: the vector per-A set-up */
	/* cppcheck-suppress unusedStructMember ; read under SIQS_AVX2 only */
	int avx512; /* AVX-512 BW/VL/VBMI2: the 32-lane root check */
	uint8_t hitlut[256][8];        /* the set bits of a byte, listed */
	uint8_t hitcnt[256];           /* and their count */
	uint32_t sieve_start, med_end; /* first sieved, first bucket-sieved */
	uint32_t lp_bound;
	/*
	 * Double large prime variation: a cofactor c with lp_bound <= c <
	 * dlp_max (0: off) that is composite is split into two primes below
	 * lp_bound; pmax2 = (largest FB prime)^2, below which a cofactor
	 * has no factor that is not in the factor base, i.e. is prime.
	 */
	uint64_t dlp_max, pmax2;
	/*
	 * One-block sieve: the primes from cls_first on (below med_end) in
	 * runs of equal len / p (cls_q[c], run c ends before cls_end[c]).
	 */
	uint32_t cls_first, ncls;
	uint32_t cls_end[SIQS_CLS_Q + 1], cls_q[SIQS_CLS_Q + 1];
	uint32_t M, len; /* the interval [-M, M): len bytes */
	uint32_t nblocks;
	size_t bucket_cap; /* entries one block's bucket can take */
	size_t hit_stride; /* sv.hitsb: entries per candidate's list */
	uint8_t init_byte; /* 128 - threshold */
	uint8_t two_lg;    /* log of 2's share of Q(x) where A x + B is odd */
	/* the shape of A: s primes from FB indices [qlo, qhi) */
	unsigned s;
	uint32_t qlo, qhi;
	double log_a_target;
	double fudge, q_max;
	uint32_t small_prime;
};

/*
 * Per A (set by siqs_pick_a / siqs_init_a) and per B (siqs_next_b): the
 * polynomial, the roots of Q(x) mod every prime, the used A's.
 */
struct siqs_poly {
	mpz_t A, B, C, t;
	/* A, B, C as words when every Q(x) fits 126 bits (native != 0) */
	siqs_i128 A128, B128, C128;
	siqs_i128 bl128[SIQS_MAX_S]; /* the B_l as words, when native at init_a */
	int native;
	unsigned abits; /* bits of A, at init_a */
	mpz_t bl[SIQS_MAX_S];
	int sgn[SIQS_MAX_S];
	uint32_t qidx[SIQS_MAX_S];
	uint32_t gamma[SIQS_MAX_S]; /* B_l = (A/q_l) gamma_l */
	uint32_t *ainv, *root1, *root2;
	uint32_t *bainv;       /* 2 B_l A^-1 mod p: s rows of fb_n */
	uint8_t *in_a;         /* 1 at the FB indices of A's primes */
	uint16_t *ra16, *rb16; /* root1, root2 as 16-bit words (r16) */
	uint8_t init_pat[64]; /* sieve start: init_byte, + two_lg at odd A x + B */
	uint64_t *seen_a;     /* hashes of the A's used */
	size_t n_seen, cap_seen;
	uint64_t rng;
};

/* Per polynomial: the sieve, its buckets, the candidates and their hits. */
struct siqs_sieve_buf {
	mpz_t q, y; /* Q(x) and A x + B of the mpz trial division */
	uint8_t *sieve;
	uint8_t *ref;            /* params->check_sieve: the reference sieve */
	unsigned long sieve_bad; /* bytes where the two differed */
	uint32_t *next1,
		*next2;    /* block sieve: next hits of the small primes */
	uint32_t **bucket; /* per block: large-prime hits, index << 15 | offset */
	uint32_t *bucket_n;
	uint32_t *lhit_pos, *lhit_idx; /* bucket hits on candidates */
	size_t nlhit;
	uint32_t *cand; /* sieve positions reported this polynomial */
	uint32_t ncand;
	uint32_t *hits; /* trial division: FB indices whose root matches */
	/*
	 * With r16, the root checks of eight candidates at once (each step's
	 * primes and roots loaded once): list k at hitsb + k fb.hit_stride,
	 * nhb[k] entries; bhits, bnh: the current candidate's (NULL: none).
	 */
	uint32_t *hitsb, *bhits;
	uint32_t nhb[8], bnh;
};

/* The whole run: relations and counts, grown as the sieve finds them. */
struct siqs_rels {
	struct siqs_rel *rel;
	size_t nrel, cap_rel;
	uint32_t *pool;
	size_t npool, cap_pool;
	mp_limb_t *ylimb; /* the A x + B of every relation, limbs end to end */
	size_t nylimb, cap_ylimb;
	/*
	 * The large-prime graph: lp_key -> lp_vert (vertex of the large
	 * prime, from 1; vertex 0 stands for 1), and a union-find forest
	 * over the vertices (uf_parent, uf_size); ncycle counts the edges
	 * that closed a cycle, i.e. edges - vertices + components.
	 */
	uint32_t *lp_key, *lp_vert;
	size_t lp_cap, lp_used;
	uint32_t *uf_parent, *uf_size;
	size_t nvert, cap_vert;
	size_t nfull, ncycle, ndouble;
	/*
	 * With an import hook: the hashes of every stored |A x + B| (open
	 * addressing, at most half full, 0 for empty), so a relation held
	 * already is dropped (dups) instead of stored twice.
	 */
	int dedup;
	uint64_t *seen_y;
	size_t seen_cap, seen_used;
	unsigned long dups, imported, rejected, exported;
	int check; /* params->check_rels: siqs_try_deps checks the rows */
	unsigned long bad; /* and counts the faults found */
	unsigned long polys, candidates;
};

/* A helper's batch of packed relations not yet exported. */
struct siqs_wire_out {
	unsigned char *buf; /* SIQS_WIRE_MAX_BATCH bytes */
	size_t len;
};

struct siqs {
	struct siqs_fb fb;
	struct siqs_poly poly;
	struct siqs_sieve_buf sv;
	struct siqs_rels rels;
	struct siqs_wire_out out;
};

/*
 * The array p of *cap elements of size elem, grown (realloc) to hold
 * need of them, the capacity doubling from first; NULL when out of
 * memory (p is left as it was).  static inline: siqs_add_rel calls it
 * three times per relation.
 */
static inline void *siqs_grow(void *p, size_t *cap, size_t need, size_t elem,
			      size_t first)
{
	size_t nc = *cap ? *cap : first;
	void *np;
	if (need <= *cap)
		return p;
	while (nc < need)
		nc *= 2;
	np = realloc(p, nc * elem);
	if (np)
		*cap = nc;
	return np;
}

/* ---- siqs_params.c: steps 1-3 ---- */

/*
 * Parameters by bit size of n (interpolated linearly between rows):
 * factor base size, large prime multiplier, sieve blocks in [-M, M)
 * (below 1: a fraction of a block, rounded to 4 KiB), threshold slack
 * in bits (for the unsieved small primes, log rounding and the large
 * primes of partial relations); with double large primes (from
 * SIQS_DLP_MIN_BITS, or params->dlp) the cutoff as an exponent of the
 * large prime bound and the slack used in place of fudge.
 */
struct siqs_row {
	double bits, fb, lp_mult, blocks, fudge, dlp, dlp_fudge;
};
/* The parameter table's row for bits, interpolated. */
void siqs_interp_params(size_t bits, struct siqs_row *row);
/*
 * The multiplier (fb.k, fb.kn) and a factor base of at most want entries
 * with its constants, and the arrays of that length (poly.root1, sv.hits,
 * ...).  STATUS_OK; STATUS_FOUND with f set to a prime of n met on the
 * way; STATUS_ERR_NOMEM.
 */
int siqs_build_fb(struct siqs *S, mpz_t f, uint32_t want);

/* ---- siqs_poly.c: step 4 ---- */

/* fb.s and the window [fb.qlo, fb.qhi) of A's primes; STATUS_ERR_INVAL
 * when the factor base is too small for any. */
int siqs_choose_a_shape(struct siqs *S);
/* poly.qidx: the primes of a new A; STATUS_NOT_FOUND when no unused A
 * was found in SIQS_A_TRIES draws, STATUS_ERR_NOMEM. */
int siqs_pick_a(struct siqs *S);
/* A, the B_l, the first B and C, every root and 2 B_l A^-1 table;
 * STATUS_NOT_FOUND when A does not divide B^2 - kN (draw another A). */
int siqs_init_a(struct siqs *S);
/* The Gray-code switch to polynomial i, 1 <= i < 2^(s-1). */
void siqs_next_b(struct siqs *S, uint32_t i);

/* ---- siqs_sieve.c: step 5 ---- */

/* fb.cls_*: the one-block sieve's runs of equal len / p. */
void siqs_set_sieve_classes(struct siqs *S);
/* Sieve the current polynomial; its candidates in sv.cand[0 .. ncand). */
void siqs_sieve_poly(struct siqs *S);

/* ---- siqs_tdiv.c: step 6 ---- */

/* Append the candidates of sieve positions [b, e) to sv.cand. */
void siqs_scan_block(struct siqs *S, uint32_t b, uint32_t e);
/* Keep block b's bucket entries that land on its candidates
 * sv.cand[c0 .. c1) in sv.lhit_pos / sv.lhit_idx. */
void siqs_keep_bucket_hits(struct siqs *S, uint32_t b, uint32_t c0,
			   uint32_t c1);
/* Trial-divide every candidate of the polynomial, storing its relations;
 * STATUS_OK or STATUS_ERR_NOMEM. */
int siqs_tdiv_poly(struct siqs *S);

/*
 * 1 with *p <= *q the two large primes of a cofactor c (lp_bound <= c <
 * SIQS_DLP_MAX, odd), both below lp_bound; 0 when c is prime (below
 * pmax2, the square of the largest FB prime, it has no smaller factor,
 * so it is; else the base-2 Fermat test), when rho does not split it in
 * about SIQS_RHO_STEPS steps, or when a factor is at or above lp_bound
 * (Lenstra and Manasse 1994).
 */
int siqs_split_cofactor(uint64_t c, uint32_t lp_bound, uint64_t pmax2,
			uint32_t *p, uint32_t *q);

/* ---- siqs_rel.c: step 6's relations ---- */

/* Sort a ascending (insertion sort for short lists). */
void siqs_sort_u32(uint32_t *a, size_t n);
/*
 * Store a relation (lp = lp2 = 1: full; lp2 = 1: one large prime; else
 * lp <= lp2, two), its edge joined into the union-find forest (ncycle
 * grows when it closes a cycle); STATUS_OK or STATUS_ERR_NOMEM.
 */
int siqs_add_rel(struct siqs_rels *R, const uint32_t *fac, uint32_t nfac,
		 uint32_t lp, uint32_t lp2, const mp_limb_t *yl, int ysize);
/* Release the relation store (rels); the struct is left zeroed. */
void siqs_rels_clear(struct siqs_rels *R);
/* Empty the store, keeping its allocations (a helper after each export). */
void siqs_rels_reset(struct siqs_rels *R);

/* ---- siqs_wire.c: the shared sieve's relations ---- */

/*
 * Pack relations [from, nrel) into S->out, handing it to the export hook
 * whenever the next record might not fit, and after the last once it
 * holds SIQS_WIRE_BATCH bytes or force is set; STATUS_OK,
 * STATUS_ERR_STOPPED when the hook said stop, STATUS_ERR_NOMEM.
 */
int siqs_wire_pack(struct siqs *S, size_t from, int force,
		   int (*export_rels)(void *, const unsigned char *, size_t),
		   void *arg);
/* Check and store the relations of one batch (siqs.h's wire format):
 * STATUS_OK (faults are counted, not returned) or STATUS_ERR_NOMEM. */
int siqs_wire_import(struct siqs *S, const unsigned char *buf, size_t len);

/*
 * The matrix rows as sets of relations: row r is the product of the
 * relations mem[start[r] .. start[r + 1]), whose large primes each occur
 * an even number of times.  One row per full relation and one per cycle
 * of the large-prime graph (nfull + ncycle rows), in relation order.
 */
struct siqs_cycles {
	size_t nrows, nmem;
	uint32_t *start, *mem;
};
/*
 * Combine the relations into rows: a spanning forest of the large-prime
 * graph by breadth-first search (from vertex 0 first), and for each edge
 * not in it, the tree path between its ends plus the edge.  STATUS_OK or
 * STATUS_ERR_NOMEM; free with siqs_cycles_clear (NULL-safe).
 */
int siqs_build_cycles(const struct siqs_rels *R, struct siqs_cycles *c);
void siqs_cycles_clear(struct siqs_cycles *c);

/* ---- siqs_sqrt.c: step 7 ---- */

/* The matrix, its dependencies, their square roots: STATUS_FOUND with f
 * a factor of n, STATUS_NOT_FOUND when every dependency was trivial,
 * STATUS_ERR_NOMEM. */
int siqs_try_deps(struct siqs *S, mpz_t f);

/* ---- siqs_linalg.c ---- */

/* At most this many dependencies come back from siqs_linalg (one bit each). */
enum { SIQS_MAX_DEPS = 64 };

/*
 * Find dependencies among the rows of a sparse GF(2) matrix given in CSR
 * form: row r has the columns cols[row_start[r] .. row_start[r + 1] - 1],
 * each < ncols and distinct within the row.  On STATUS_OK, deps[r] (nrows
 * entries, caller-allocated) has bit k set when row r belongs to
 * dependency k, k < *ndeps; the rows of one dependency sum to zero.
 * Returns STATUS_NOT_FOUND when no dependency exists, STATUS_ERR_NOMEM.
 */
int siqs_linalg(uint32_t nrows, uint32_t ncols, const uint32_t *row_start,
		const uint32_t *cols, uint64_t *deps, int *ndeps);

/* Options of siqs_linalg_solve_opts; all zero: siqs_linalg's defaults. */
struct siqs_linalg_opts {
	/* non-zero: the portable kernels only, no AVX2 (the tests check both
	 * give the same dependencies); default 0 */
	int scalar;
};

/* siqs_linalg with options (NULL: the defaults). */
int siqs_linalg_solve_opts(uint32_t nrows, uint32_t ncols,
			   const uint32_t *row_start, const uint32_t *cols,
			   uint64_t *deps, int *ndeps,
			   const struct siqs_linalg_opts *opts);

#endif
