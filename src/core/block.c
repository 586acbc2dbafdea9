/*
 * block.c - checking a chunk's output block (see block.h).
 *
 * Purpose: rank 0 (and a group leader) receive a worker's chunk as bytes
 * of formatted lines and must not spend per-number work on them beyond a
 * memchr: this module counts the lines and parses back the few it
 * samples, so trust in a worker's bytes is earned at a stated rate.
 *
 * Invariants:
 *   - A block passes only with exactly count newlines, the last byte one
 *     of them (so no line is cut and none is missing or extra).
 *   - The sample depends on (seed, chunk id, line index) only: the same
 *     job checks the same lines on every run and at every rank count.
 *   - A checked line must reproduce itself byte for byte through
 *     output_parse + output_format: a wrong digit, a reordered factor, a
 *     stray space are all caught, not just wrong arithmetic.
 *
 * Steps of block_check: seed the generator (splitmix64 of seed and chunk
 * id); walk the lines with memchr; for line 0 and the lines the
 * stratified draw names (one line in each run of `rate` lines, rate =
 * BLOCK_SAMPLE_RATE, or count / BLOCK_SAMPLE_LINES for a chunk of more
 * than 4096 numbers; every line under --verify full, none under none),
 * parse it, compare its number with number(i) (when number(i) is NULL, a
 * byte range rank 0 never parsed, the line's own number stands), verify,
 * reformat and compare; at the end check the line count.  A chunk of
 * count 0 must have an empty block.  block_check_held and
 * block_sample_size walk the draws only, so a held block costs rank 0 the
 * same whatever its count.
 *
 * Reference: splitmix64 (Steele, Lea, Flood, "Fast splittable
 * pseudorandom number generators", OOPSLA 2014).
 */
#include "block.h"

#include <stdlib.h>
#include <string.h>

#include "status.h"

static uint64_t block_mix(uint64_t *s)
{
	uint64_t z = (*s += 0x9E3779B97F4A7C15u);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
	return z ^ (z >> 31);
}

void block_check_init(struct block_check *k, const struct options *o)
{
	memset(k, 0, sizeof *k);
	k->format = o->format;
	k->exponents = o->exponents;
	k->verbose = o->verbose;
	k->verify = o->verify;
	k->seed = o->seed;
	mpz_init(k->n);
	mpz_init(k->want);
	engine_result_init(&k->r);
}

void block_check_clear(struct block_check *k)
{
	if (k == NULL)
		return;
	mpz_clear(k->n);
	mpz_clear(k->want);
	engine_result_clear(&k->r);
	free(k->line);
	k->line = NULL;
}

/* Parse line i back and check it; STATUS_OK or STATUS_ERR_VERIFY. */
static int check_line(struct block_check *k, const unsigned char *p, size_t n,
		      uint32_t i, block_number_fn number, void *arg)
{
	mpz_srcptr want;
	long len;
	int st;

	k->lines_checked++;
	if (output_parse((const char *)p, n, k->format, k->exponents,
			 k->verbose, k->n, &k->r, &k->meta) != STATUS_OK)
		return STATUS_ERR_VERIFY;
	want = number(arg, i, k->want);
	if (want == NULL)
		want = k->n; /* a byte range's numbers: rank 0 never saw them */
	else if (mpz_cmp(k->n, want) != 0)
		return STATUS_ERR_VERIFY;
	st = k->verify == CLI_VERIFY_PRODUCT ? engine_product_check(&k->r, want)
					     : engine_verify(&k->r, want);
	if (st != STATUS_OK)
		return STATUS_ERR_VERIFY;
	len = output_format(&k->line, &k->line_cap, k->format, k->exponents,
			    k->verbose, want, &k->r, &k->meta);
	if (len < 0)
		return len == STATUS_ERR_NOMEM ? STATUS_ERR_NOMEM
					       : STATUS_ERR_VERIFY;
	if ((size_t)len != n || memcmp(k->line, p, n) != 0)
		return STATUS_ERR_VERIFY;
	return STATUS_OK;
}

/*
 * The sample's draws for one chunk, stratified: lines 1 .. count-1 fall
 * into strata of `rate` consecutive lines, and each stratum names one of
 * its lines uniformly at random (a stratum cut short by the block's end
 * names a line past it, i.e. none, with the probability of the missing
 * part).  So every line past the first is drawn with probability exactly
 * 1 / rate, as with one coin per line, but the draws cost one per stratum
 * (count / rate, at most about BLOCK_SAMPLE_LINES) instead of one per
 * line: the checker of a held block walks the sample, not the chunk.
 * Line 0 is always drawn.  d->next is the next drawn line (UINT32_MAX
 * when none is left); lines are visited in ascending order.
 */
struct block_draw {
	uint64_t s;
	uint32_t rate, count, stratum, next;
	int all, none;
};

static void draw_advance(struct block_draw *d)
{
	uint64_t first, line;

	if (d->all) {
		d->next = d->next + 1 < d->count ? d->next + 1 : UINT32_MAX;
		return;
	}
	do {
		first = 1 + (uint64_t)d->stratum * d->rate;
		if (first >= d->count) {
			d->next = UINT32_MAX;
			return;
		}
		d->stratum++;
		/* Lemire's multiply-shift: uniform in [0, rate) up to 2^-32 */
		line = first + (((block_mix(&d->s) >> 32) * d->rate) >> 32);
	} while (line >= d->count);
	d->next = (uint32_t)line;
}

static void draw_init(struct block_draw *d, const struct block_check *k,
		      uint64_t chunk_id, uint32_t count)
{
	d->rate = count / BLOCK_SAMPLE_LINES > BLOCK_SAMPLE_RATE
		? count / BLOCK_SAMPLE_LINES
		: BLOCK_SAMPLE_RATE;
	d->s = k->seed ^ (chunk_id * 0xD1B54A32D192ED03u);
	d->count = count;
	d->stratum = 0;
	d->all = k->verify == CLI_VERIFY_FULL;
	d->none = k->verify == CLI_VERIFY_NONE;
	d->next = d->none || count == 0 ? UINT32_MAX : 0;
}

/* Called for i = 0, 1, 2, ... in order: is line i drawn? */
static int sampled(struct block_draw *d, uint32_t i)
{
	if (i != d->next)
		return 0;
	draw_advance(d);
	return 1;
}

int block_check(struct block_check *k, uint64_t chunk_id,
		const unsigned char *b, size_t len, uint32_t count,
		block_number_fn number, void *arg, uint32_t *bad_line)
{
	const unsigned char *p = b, *end = b + len, *nl;
	struct block_draw d;
	uint32_t i = 0;
	int st;

	draw_init(&d, k, chunk_id, count);

	if (count == 0) /* a byte range without numbers */
		return len == 0 ? STATUS_OK : STATUS_ERR_PROTO;
	if (len == 0 || b[len - 1] != '\n')
		return STATUS_ERR_PROTO;
	while (p < end) {
		if (i == count)
			return STATUS_ERR_PROTO; /* more lines than numbers */
		nl = memchr(p, '\n', (size_t)(end - p));
		/* nl != NULL: the block ends in '\n' */
		if (sampled(&d, i)) {
			st = check_line(k, p, (size_t)(nl - p) + 1, i, number,
					arg);
			if (st != STATUS_OK) {
				*bad_line = i;
				return st;
			}
		}
		p = nl + 1;
		i++;
	}
	return i == count ? STATUS_OK : STATUS_ERR_PROTO;
}

int block_sample(const struct block_check *k, uint64_t chunk_id,
		 const unsigned char *b, size_t len, uint32_t count,
		 block_line_fn emit, void *arg)
{
	const unsigned char *p = b, *end = b + len, *nl;
	struct block_draw d;
	uint32_t i = 0;
	int st;

	draw_init(&d, k, chunk_id, count);
	for (; i < count && p < end; i++, p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			return STATUS_ERR_PROTO;
		if (sampled(&d, i)) {
			st = emit(arg, i, p, (size_t)(nl - p) + 1);
			if (st != STATUS_OK)
				return st;
		}
	}
	return i == count && p == end ? STATUS_OK : STATUS_ERR_PROTO;
}

uint32_t block_sample_size(const struct block_check *k, uint64_t chunk_id,
			   uint32_t count)
{
	struct block_draw d;
	uint32_t n = 0;

	draw_init(&d, k, chunk_id, count);
	for (; d.next != UINT32_MAX; draw_advance(&d))
		n++;
	return n;
}

int block_check_held(struct block_check *k, uint64_t chunk_id, uint32_t count,
		     uint32_t n_sample, block_next_fn next, void *next_arg,
		     block_number_fn number, void *arg, uint32_t *bad_line)
{
	struct block_draw d;
	const unsigned char *line;
	uint32_t idx, len, taken = 0;
	int st;

	draw_init(&d, k, chunk_id, count);
	for (; d.next != UINT32_MAX; draw_advance(&d)) {
		if (taken == n_sample ||
		    next(next_arg, &idx, &line, &len) != STATUS_OK ||
		    idx != d.next)
			return STATUS_ERR_PROTO; /* not the sample asked for */
		taken++;
		if (memchr(line, '\n', len) != line + len - 1)
			return STATUS_ERR_PROTO; /* not exactly one line */
		st = check_line(k, line, len, idx, number, arg);
		if (st != STATUS_OK) {
			*bad_line = idx;
			return st;
		}
	}
	return taken == n_sample ? STATUS_OK : STATUS_ERR_PROTO;
}

size_t block_prefix(const unsigned char *b, size_t len, uint32_t k)
{
	const unsigned char *p = b, *end = b + len, *nl;

	while (k > 0 && p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			return len;
		p = nl + 1;
		k--;
	}
	return (size_t)(p - b);
}

uint32_t block_count_lines(const unsigned char *b, size_t len)
{
	const unsigned char *p = b, *end = b + len, *nl;
	uint32_t n = 0;

	while (p < end && (nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		n++;
		p = nl + 1;
	}
	return n;
}

/* Does line [p, end) hold lit? */
static int block_has(const unsigned char *p, const unsigned char *end,
		     const char *lit)
{
	size_t n = strlen(lit);

	for (; (size_t)(end - p) >= n; p++)
		if (*p == (unsigned char)lit[0] && memcmp(p, lit, n) == 0)
			return 1;
	return 0;
}

uint32_t block_partial_lines(const struct block_check *k,
			     const unsigned char *b, size_t len)
{
	const char *mark = k->format == CLI_FORMAT_JSON
		? "\"status\":\"partial\""
		: k->format == CLI_FORMAT_CSV ? "\",partial,"
					      : " [composite ";
	const unsigned char *p = b, *end = b + len, *nl;
	uint32_t n = 0;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		n += (uint32_t)block_has(p, nl, mark);
		p = nl + 1;
	}
	return n;
}
