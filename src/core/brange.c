/*
 * brange.c - rank 0's books for byte-range chunks (see brange.h).
 *
 * Purpose: let rank 0 hand out an --input file by byte ranges and still
 * print every bad token with its file line, without reading the numbers.
 *
 * Invariants:
 *   - b->line is 1 + the newlines of every released range: the first line
 *     of the next range in input order.  A token on local line L of range
 *     k is on file line b->line + L - 1 when k is released.
 *   - A slot holds the INPUT of an accepted chunk until its release;
 *     pending[r] holds rank r's INPUT until its RESULT is handled.  An
 *     INPUT is validated whole when it arrives (proto_unpack_input_*), so
 *     release only walks checked bytes.
 *
 * Steps: brange_init cuts the file (input_cut); brange_input checks and
 * keeps an INPUT per rank; brange_take moves it to the chunk's slot when
 * its RESULT is accepted; brange_release reports the tokens and advances
 * the line counter.
 */
#include "brange.h"

#include <stdlib.h>
#include <string.h>

#include "input.h"
#include "status.h"

int brange_init(struct brange *b, const char *path, uint64_t target,
		int n_ranks, uint32_t n_slots)
{
	int st;

	memset(b, 0, sizeof *b);
	if (n_ranks < 1 || n_slots < 1)
		return STATUS_ERR_INVAL;
	st = input_cut(path, target, &b->ends, &b->n, &b->size);
	if (st != STATUS_OK)
		return st;
	b->line = 1;
	b->n_ranks = n_ranks;
	b->n_slots = n_slots;
	b->pending = calloc((size_t)n_ranks, sizeof *b->pending);
	b->pending_id = malloc((size_t)n_ranks * sizeof *b->pending_id);
	b->slot = calloc(n_slots, sizeof *b->slot);
	if (!b->pending || !b->pending_id || !b->slot) {
		brange_clear(b);
		return STATUS_ERR_NOMEM;
	}
	for (int r = 0; r < n_ranks; r++)
		b->pending_id[r] = UINT64_MAX;
	return STATUS_OK;
}

void brange_clear(struct brange *b)
{
	if (b == NULL)
		return;
	for (int r = 0; b->pending != NULL && r < b->n_ranks; r++)
		proto_buf_clear(&b->pending[r]);
	for (uint32_t i = 0; b->slot != NULL && i < b->n_slots; i++)
		proto_buf_clear(&b->slot[i]);
	free(b->pending);
	free(b->pending_id);
	free(b->slot);
	free(b->ends);
	memset(b, 0, sizeof *b);
}

void brange_get(const struct brange *b, uint64_t k, struct proto_bytes *y)
{
	y->offset = k == 0 ? 0 : b->ends[k - 1];
	y->length = b->ends[k] - y->offset;
	y->size = b->size;
}

/* Walk a whole INPUT message: its header, then every bad token through fn
   (NULL: check only). */
static int brange_walk(const struct proto_buf *msg, uint64_t *chunk_id,
		       uint64_t *newlines, uint64_t line, brange_bad_fn fn,
		       void *arg)
{
	struct proto_reader r;
	struct proto_bad t;
	uint32_t n_bad;
	int st = proto_read_input(&r, msg->data, msg->len, chunk_id, newlines,
				  &n_bad);

	for (uint32_t i = 0; st == STATUS_OK && i < n_bad; i++) {
		st = proto_unpack_input_bad(&r, &t);
		/* a token on a line past the range's newlines is a lie */
		if (st == STATUS_OK && t.line > *newlines + 1)
			st = STATUS_ERR_PROTO;
		if (st == STATUS_OK && fn != NULL)
			fn(arg, line + t.line - 1, &t);
	}
	if (st == STATUS_OK)
		st = proto_reader_end(&r);
	return st == STATUS_OK ? STATUS_OK : STATUS_ERR_PROTO;
}

int brange_input(struct brange *b, int rank, struct proto_buf *msg)
{
	struct proto_buf tmp;
	uint64_t id, newlines;

	if (rank < 0 || rank >= b->n_ranks ||
	    b->pending_id[rank] != UINT64_MAX ||
	    brange_walk(msg, &id, &newlines, 1, NULL, NULL) != STATUS_OK ||
	    id == UINT64_MAX)
		return STATUS_ERR_PROTO;
	tmp = b->pending[rank];
	b->pending[rank] = *msg;
	*msg = tmp;
	proto_buf_reset(msg);
	b->pending_id[rank] = id;
	return STATUS_OK;
}

int brange_take(struct brange *b, int rank, uint64_t chunk_id)
{
	struct proto_buf tmp, *s;

	if (rank < 0 || rank >= b->n_ranks || b->pending_id[rank] != chunk_id)
		return STATUS_ERR_PROTO;
	s = &b->slot[chunk_id % b->n_slots];
	tmp = *s;
	*s = b->pending[rank];
	b->pending[rank] = tmp;
	proto_buf_reset(&b->pending[rank]);
	b->pending_id[rank] = UINT64_MAX;
	return STATUS_OK;
}

void brange_drop(struct brange *b, int rank)
{
	if (rank < 0 || rank >= b->n_ranks)
		return;
	proto_buf_reset(&b->pending[rank]);
	b->pending_id[rank] = UINT64_MAX;
}

int brange_release(struct brange *b, uint64_t chunk_id, brange_bad_fn fn,
		   void *arg)
{
	struct proto_buf *s = &b->slot[chunk_id % b->n_slots];
	uint64_t id, newlines;
	int st = brange_walk(s, &id, &newlines, b->line, fn, arg);

	if (st == STATUS_OK && id != chunk_id)
		st = STATUS_ERR_PROTO;
	if (st == STATUS_OK)
		b->line += newlines;
	/* a slot keeps a small buffer only, as the scheduler's do */
	if (s->cap > 4096)
		proto_buf_clear(s);
	else
		proto_buf_reset(s);
	return st;
}
