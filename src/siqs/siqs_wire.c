/*
 * siqs_wire.c - the shared sieve's relations: packed, checked, stored.
 *
 * Purpose: several processes sieve one n (include/siqs.h, export_rels
 * and import_rels).  A helper packs each relation it finds into a batch
 * (siqs_wire_pack) in the wire format of include/siqs.h and hands full
 * batches to its export hook; the owner unpacks each batch it is given
 * (siqs_wire_import), checks every relation and stores the good ones with
 * siqs_add_rel, as if its own sieve had found them.
 *
 * Relation collection is independent per A polynomial, so relations from
 * any A (the helper's stream of A's differs from the owner's) combine in
 * one matrix.  A helper builds the same factor base as the owner from n
 * (siqs_build_fb is deterministic given n and the table), so its indices
 * name the same primes; when they do not (another build or a faulty
 * rank), the check below refuses its relations and nothing else changes.
 *
 * The check, per relation: every field in range (indices below the
 * factor base's size, lp and lp2 at least 1, lp2 > 1 only with lp > 1),
 * then y^2 - kN equal to the product of its factor-base primes (index 0:
 * -1) and large primes, as exact integers: one square and about twenty
 * word products, well below the cost of finding the relation.  A
 * relation that passes is a true congruence whatever its origin, so the
 * square root step stays correct with any helper.  A malformed record
 * (lengths past the batch, a field past its limit) ends its batch: the
 * records after it cannot be found.
 *
 * Invariants: a batch handed to the hook is at most SIQS_WIRE_MAX_BATCH
 * bytes and holds whole records; an imported relation is stored only
 * after its check and only when its |y| is not held already; faults are
 * counted (rels.rejected), never returned.
 */
#include <string.h>

#include "siqs.h"
#include "siqs_int.h"
#include "status.h"

static_assert((int)SIQS_WIRE_MAX_FAC == (int)SIQS_MAX_FAC,
	      "a record holds every relation the sieve can find");
static_assert(SIQS_WIRE_BATCH + SIQS_WIRE_MAX_REC <= SIQS_WIRE_MAX_BATCH,
	      "a batch past the flush threshold still takes one more record");
static_assert(SIQS_WIRE_MAX_YBYTES % sizeof(mp_limb_t) == 0,
	      "y's bytes fill whole limbs");

enum { WIRE_MAX_YLIMBS = SIQS_WIRE_MAX_YBYTES / sizeof(mp_limb_t) };

static void put_u32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

static uint32_t get_u32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
		(uint32_t)p[3] << 24;
}

/* Relation u as one record at p; its length. */
static size_t pack_one(const struct siqs_rels *R, size_t u, unsigned char *p)
{
	const struct siqs_rel *r = &R->rel[u];
	size_t yn = (size_t)(r->ysize < 0 ? -r->ysize : r->ysize), i, b;
	size_t yb = 0, off = SIQS_WIRE_HEAD;
	const mp_limb_t *yl = R->ylimb + r->yoff;

	for (i = 0; i < yn; i++)
		for (b = 0; b < sizeof *yl; b++)
			p[off + yb++] = (unsigned char)(yl[i] >> (8 * b));
	while (yb > 0 && p[off + yb - 1] == 0)
		yb--;
	p[0] = (unsigned char)r->nfac;
	p[1] = (unsigned char)(r->nfac >> 8);
	p[2] = r->ysize < 0;
	p[3] = (unsigned char)yb;
	put_u32(p + 4, r->lp);
	put_u32(p + 8, r->lp2);
	off += yb;
	for (i = 0; i < r->nfac; i++, off += 4)
		put_u32(p + off, R->pool[r->off + i]);
	return off;
}

/* Hand the pending batch to the hook: STATUS_ERR_STOPPED when it says so. */
static int flush(struct siqs *S,
		 int (*export_rels)(void *, const unsigned char *, size_t),
		 void *arg)
{
	size_t len = S->out.len;
	S->out.len = 0;
	if (len && export_rels(arg, S->out.buf, len))
		return STATUS_ERR_STOPPED;
	return STATUS_OK;
}

int siqs_wire_pack(struct siqs *S, size_t from, int force,
		   int (*export_rels)(void *, const unsigned char *, size_t),
		   void *arg)
{
	size_t u;
	int status;

	if (!S->out.buf && !(S->out.buf = malloc(SIQS_WIRE_MAX_BATCH)))
		return STATUS_ERR_NOMEM;
	for (u = from; u < S->rels.nrel; u++) {
		if (S->out.len + SIQS_WIRE_MAX_REC > SIQS_WIRE_MAX_BATCH &&
		    (status = flush(S, export_rels, arg)) != STATUS_OK)
			return status;
		S->out.len += pack_one(&S->rels, u, S->out.buf + S->out.len);
		S->rels.exported++;
	}
	if (force || S->out.len >= SIQS_WIRE_BATCH)
		return flush(S, export_rels, arg);
	return STATUS_OK;
}

/* The parsed fixed part of one record. */
struct wire_rec {
	uint32_t nfac, lp, lp2;
	int neg;
	size_t yb, len;
	const unsigned char *y, *fac;
};

/* 1 with *w the record at p (avail bytes left); 0 when malformed. */
static int parse_one(const unsigned char *p, size_t avail, struct wire_rec *w)
{
	if (avail < SIQS_WIRE_HEAD)
		return 0;
	w->nfac = (uint32_t)p[0] | (uint32_t)p[1] << 8;
	w->neg = p[2];
	w->yb = p[3];
	w->lp = get_u32(p + 4);
	w->lp2 = get_u32(p + 8);
	if (w->nfac > SIQS_WIRE_MAX_FAC || w->neg > 1 ||
	    w->yb > SIQS_WIRE_MAX_YBYTES)
		return 0;
	w->len = SIQS_WIRE_HEAD + w->yb + 4 * (size_t)w->nfac;
	if (w->len > avail)
		return 0;
	w->y = p + SIQS_WIRE_HEAD;
	w->fac = w->y + w->yb;
	return 1;
}

/*
 * 1 when record w is a true relation for S's kN and factor base, with
 * its indices in fac and y as limbs in yl (*ysize GMP's signed size).
 */
static int check_one(const struct siqs *S, const struct wire_rec *w,
		     uint32_t *fac, mp_limb_t *yl, int *ysize, mpz_t a, mpz_t b)
{
	size_t i, yn = 0;
	mpz_t yv;

	if (w->lp == 0 || w->lp2 == 0 || (w->lp == 1 && w->lp2 > 1))
		return 0;
	for (i = 0; i < w->nfac; i++) {
		fac[i] = get_u32(w->fac + 4 * i);
		if (fac[i] >= S->fb.fb_n)
			return 0;
	}
	memset(yl, 0, WIRE_MAX_YLIMBS * sizeof *yl);
	for (i = 0; i < w->yb; i++)
		yl[i / sizeof *yl] |= (mp_limb_t)w->y[i]
			<< (8 * (i % sizeof *yl));
	for (i = 0; i < WIRE_MAX_YLIMBS; i++)
		if (yl[i])
			yn = i + 1;
	*ysize = w->neg ? -(int)yn : (int)yn;
	mpz_roinit_n(yv, yl, *ysize);
	mpz_mul(a, yv, yv);
	mpz_sub(a, a, S->fb.kn);
	mpz_set_ui(b, w->lp);
	mpz_mul_ui(b, b, w->lp2);
	for (i = 0; i < w->nfac; i++) {
		if (fac[i] == 0)
			mpz_neg(b, b);
		else
			mpz_mul_ui(b, b, S->fb.prime[fac[i]]);
	}
	return mpz_cmp(a, b) == 0;
}

int siqs_wire_import(struct siqs *S, const unsigned char *buf, size_t len)
{
	uint32_t fac[SIQS_WIRE_MAX_FAC];
	mp_limb_t yl[WIRE_MAX_YLIMBS];
	struct wire_rec w;
	size_t off = 0;
	int status = STATUS_OK, ysize;
	mpz_t a, b;

	mpz_inits(a, b, NULL);
	while (off < len && status == STATUS_OK) {
		if (!parse_one(buf + off, len - off, &w)) {
			S->rels.rejected++;
			break;
		}
		off += w.len;
		if (!check_one(S, &w, fac, yl, &ysize, a, b)) {
			S->rels.rejected++;
			continue;
		}
		if (w.lp2 > 1 && w.lp > w.lp2) {
			uint32_t t = w.lp;
			w.lp = w.lp2;
			w.lp2 = t;
		}
		size_t before = S->rels.nrel;
		status = siqs_add_rel(&S->rels, fac, w.nfac, w.lp, w.lp2, yl,
				      ysize);
		S->rels.imported += S->rels.nrel > before;
	}
	mpz_clears(a, b, NULL);
	return status;
}
