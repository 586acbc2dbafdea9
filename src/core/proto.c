/*
 * proto.c - the pure codec of the wire protocol described in proto.h.
 *
 * Purpose: turn the messages of the master/worker conversation into byte
 * buffers and back, without MPI, so that every byte a rank receives is
 * checked by code that unit tests (and fuzzers) can feed garbage.
 *
 * Invariants:
 *   - Writers append little-endian integers byte by byte; readers never
 *     read past r->len: every length is checked against what remains
 *     before it is used, every count against its cap in proto.h.
 *   - A packed message never exceeds PROTO_MAX_MSG; a pack that would
 *     exceed it fails with STATUS_ERR_PROTO and leaves b->len unchanged.
 *   - Numbers are canonical: byte count 0 for zero, otherwise no leading
 *     zero byte; anything else is rejected (one value, one encoding).
 *   - A RESULT's block is opaque bytes here: the codec checks its length
 *     against the header and the message, never its lines (block.c and
 *     the master do, against the chunk they belong to).
 *
 * Steps of every unpack: header (magic, version, tag == expected, length
 * within PROTO_MAX_MSG), then the fixed body fields, then the variable
 * part, then proto_reader_end checks that nothing trails.
 */
#include "proto.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "status.h"

void proto_buf_init(struct proto_buf *b)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

void proto_buf_clear(struct proto_buf *b)
{
	if (b == NULL)
		return;
	free(b->data);
	proto_buf_init(b);
}

void proto_buf_reset(struct proto_buf *b)
{
	b->len = 0;
}

/* Make room for n more bytes, refusing to grow past PROTO_MAX_MSG. */
static int buf_reserve(struct proto_buf *b, size_t n)
{
	size_t need, cap;
	unsigned char *p;

	if (n > (size_t)PROTO_MAX_MSG - b->len)
		return STATUS_ERR_PROTO;
	need = b->len + n;
	if (need <= b->cap)
		return STATUS_OK;
	cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap *= 2;
	if (cap > (size_t)PROTO_MAX_MSG)
		cap = (size_t)PROTO_MAX_MSG;
	p = realloc(b->data, cap);
	if (p == NULL)
		return STATUS_ERR_NOMEM;
	b->data = p;
	b->cap = cap;
	return STATUS_OK;
}

int proto_buf_append(struct proto_buf *b, const void *data, size_t len)
{
	int st = buf_reserve(b, len);

	if (st != STATUS_OK)
		return st;
	if (len > 0)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	return STATUS_OK;
}

/* The put_* helpers assume buf_reserve succeeded. */
static void put_u8(struct proto_buf *b, uint8_t v)
{
	b->data[b->len++] = v;
}

static void put_u16(struct proto_buf *b, uint16_t v)
{
	put_u8(b, (uint8_t)(v & 0xffu));
	put_u8(b, (uint8_t)(v >> 8));
}

static void put_u32(struct proto_buf *b, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		put_u8(b, (uint8_t)((v >> (8 * i)) & 0xffu));
}

static void put_u64(struct proto_buf *b, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		put_u8(b, (uint8_t)((v >> (8 * i)) & 0xffu));
}

static int put_header(struct proto_buf *b, int tag, size_t body_hint)
{
	int st;

	proto_buf_reset(b);
	st = buf_reserve(b, PROTO_HEADER_BYTES + body_hint);
	if (st != STATUS_OK)
		return st;
	put_u32(b, PROTO_MAGIC);
	put_u16(b, PROTO_VERSION);
	put_u16(b, (uint16_t)tag);
	return STATUS_OK;
}

/* RESULT's fixed part, which HELD carries too (proto.h). */
static void put_result_fixed(struct proto_buf *b,
			     const struct proto_result_header *h)
{
	put_u64(b, h->chunk_id);
	put_u32(b, h->count);
	put_u32(b, h->partial);
	put_u64(b, h->busy_ns);
	put_u32(b, h->bad_index);
	put_u32(b, h->block_len);
}

/* A non-negative number: u32 byte count + magnitude big-endian. */
static int put_number(struct proto_buf *b, const mpz_t n)
{
	size_t bytes, written = 0;
	int st;

	if (mpz_sgn(n) < 0)
		return STATUS_ERR_PROTO;
	bytes = mpz_sgn(n) == 0 ? 0 : (mpz_sizeinbase(n, 2) + 7) / 8;
	if (bytes > PROTO_MAX_NUMBER_BYTES)
		return STATUS_ERR_PROTO;
	st = buf_reserve(b, 4 + bytes);
	if (st != STATUS_OK)
		return st;
	put_u32(b, (uint32_t)bytes);
	if (bytes > 0) {
		mpz_export(b->data + b->len, &written, 1, 1, 1, 0, n);
		b->len += written;
	}
	return STATUS_OK;
}

int proto_pack_config(struct proto_buf *b, const struct proto_config *c)
{
	int st;

	if (c->prefetch >= PROTO_MAX_CREDIT ||
	    c->max_number_bytes > PROTO_MAX_NUMBER_BYTES)
		return STATUS_ERR_PROTO;
	st = put_header(b, PROTO_TAG_CONFIG, 28);
	if (st != STATUS_OK)
		return st;
	put_u64(b, c->seed);
	put_u64(b, c->time_limit_us);
	put_u32(b, c->prefetch);
	put_u32(b, c->fault_flags);
	put_u32(b, c->max_number_bytes);
	return STATUS_OK;
}

int proto_pack_request(struct proto_buf *b, uint32_t credit)
{
	int st;

	if (credit < 1 || credit > PROTO_MAX_CREDIT)
		return STATUS_ERR_PROTO;
	st = put_header(b, PROTO_TAG_REQUEST, 4);
	if (st != STATUS_OK)
		return st;
	put_u32(b, credit);
	return STATUS_OK;
}

int proto_pack_work_begin(struct proto_buf *b,
			  const struct proto_work_header *h)
{
	int st;

	if (h->count < 1 || h->count > PROTO_MAX_CHUNK ||
	    (h->form != PROTO_FORM_LIST && h->form != PROTO_FORM_RANGE &&
	     h->form != PROTO_FORM_BYTES) ||
	    (h->form == PROTO_FORM_BYTES && h->count != 1))
		return STATUS_ERR_PROTO;
	st = put_header(b, PROTO_TAG_WORK, 24 + 32);
	if (st != STATUS_OK)
		return st;
	put_u64(b, h->chunk_id);
	put_u64(b, h->first_index);
	put_u32(b, h->count);
	put_u8(b, h->form);
	put_u8(b, 0);
	put_u8(b, 0);
	put_u8(b, 0);
	return STATUS_OK;
}

int proto_pack_work_number(struct proto_buf *b, const mpz_t n)
{
	return put_number(b, n);
}

int proto_pack_work_range(struct proto_buf *b, const mpz_t start,
			  const mpz_t step)
{
	size_t len = b->len;
	int st = put_number(b, start);

	if (st == STATUS_OK)
		st = put_number(b, step);
	if (st != STATUS_OK)
		b->len = len;
	return st;
}

int proto_pack_work_bytes(struct proto_buf *b, const struct proto_bytes *y)
{
	int st;

	if (y->offset > y->size || y->length > y->size - y->offset ||
	    y->length == 0 || b->len != PROTO_HEADER_BYTES + 24)
		return STATUS_ERR_PROTO;
	st = buf_reserve(b, 24);
	if (st != STATUS_OK)
		return st;
	put_u64(b, y->offset);
	put_u64(b, y->length);
	put_u64(b, y->size);
	return STATUS_OK;
}

int proto_pack_result(struct proto_buf *b, const struct proto_result_header *h,
		      const void *block)
{
	int st;

	if (h->count > PROTO_MAX_CHUNK || h->partial > h->count ||
	    (h->bad_index != PROTO_NO_BAD_INDEX &&
	     (h->bad_index >= h->count || h->block_len != 0)) ||
	    h->block_len > (uint32_t)PROTO_MAX_MSG)
		return STATUS_ERR_PROTO;
	st = put_header(b, PROTO_TAG_RESULT,
			PROTO_RESULT_FIXED + (size_t)h->block_len);
	if (st != STATUS_OK)
		return st;
	put_result_fixed(b, h);
	if (h->block_len > 0)
		memcpy(b->data + b->len, block, h->block_len);
	b->len += h->block_len;
	return STATUS_OK;
}

size_t proto_item_bound(size_t bits)
{
	size_t f = bits < PROTO_MAX_FACTORS ? bits : PROTO_MAX_FACTORS;
	size_t digits = bits * 78 / 256 + 1;
	size_t line = 2 * digits + 2 * bits + PROTO_LINE_PER_FACTOR * f +
		PROTO_LINE_FIXED;
	size_t work = 4 + bits / 8 + 1;

	return line > work ? line : work;
}

int proto_pack_stop(struct proto_buf *b, uint32_t reason)
{
	int st;

	if (reason != PROTO_STOP_DONE && reason != PROTO_STOP_ABORT)
		return STATUS_ERR_PROTO;
	st = put_header(b, PROTO_TAG_STOP, 4);
	if (st != STATUS_OK)
		return st;
	put_u32(b, reason);
	return STATUS_OK;
}

int proto_pack_heartbeat(struct proto_buf *b, uint64_t chunk_id,
			 uint64_t elapsed_ns)
{
	int st = put_header(b, PROTO_TAG_HEARTBEAT, 16);

	if (st != STATUS_OK)
		return st;
	put_u64(b, chunk_id);
	put_u64(b, elapsed_ns);
	return STATUS_OK;
}

void proto_stats_host(struct proto_stats *s)
{
	memset(s->host, 0, sizeof s->host);
	if (gethostname(s->host, sizeof s->host - 1) != 0)
		s->host[0] = '\0';
	s->host[PROTO_MAX_HOST] = '\0';
}

int proto_pack_stats(struct proto_buf *b, const struct proto_stats *s)
{
	size_t hl = strnlen(s->host, sizeof s->host);
	int st;

	if (hl > PROTO_MAX_HOST)
		return STATUS_ERR_PROTO;
	st = put_header(b, PROTO_TAG_STATS, 64 + 4 + hl);
	if (st != STATUS_OK)
		return st;
	put_u64(b, s->numbers);
	put_u64(b, s->chunks);
	put_u64(b, s->busy_ns);
	put_u64(b, s->idle_ns);
	put_u64(b, s->msgs_sent);
	put_u64(b, s->msgs_recv);
	put_u64(b, s->bytes_sent);
	put_u64(b, s->bytes_recv);
	put_u32(b, (uint32_t)hl);
	memcpy(b->data + b->len, s->host, hl);
	b->len += hl;
	return STATUS_OK;
}

int proto_pack_error(struct proto_buf *b, int status, const char *text)
{
	size_t n = text ? strlen(text) : 0;
	int st;

	if (n > PROTO_MAX_TEXT)
		n = PROTO_MAX_TEXT; /* shortened, never rejected */
	st = put_header(b, PROTO_TAG_ERROR, 8 + n);
	if (st != STATUS_OK)
		return st;
	put_u32(b, (uint32_t)status);
	put_u32(b, (uint32_t)n);
	if (n > 0)
		memcpy(b->data + b->len, text, n);
	b->len += n;
	return STATUS_OK;
}

/* ---- reading ---- */

static size_t left(const struct proto_reader *r)
{
	return r->len - r->off;
}

static int get_u8(struct proto_reader *r, uint8_t *v)
{
	if (left(r) < 1)
		return STATUS_ERR_PROTO;
	*v = r->data[r->off++];
	return STATUS_OK;
}

static int get_u16(struct proto_reader *r, uint16_t *v)
{
	if (left(r) < 2)
		return STATUS_ERR_PROTO;
	*v = (uint16_t)(r->data[r->off] | (unsigned)r->data[r->off + 1] << 8);
	r->off += 2;
	return STATUS_OK;
}

static int get_u32(struct proto_reader *r, uint32_t *v)
{
	uint32_t x = 0;

	if (left(r) < 4)
		return STATUS_ERR_PROTO;
	for (int i = 3; i >= 0; i--)
		x = x << 8 | r->data[r->off + (size_t)i];
	r->off += 4;
	*v = x;
	return STATUS_OK;
}

static int get_u64(struct proto_reader *r, uint64_t *v)
{
	uint64_t x = 0;

	if (left(r) < 8)
		return STATUS_ERR_PROTO;
	for (int i = 7; i >= 0; i--)
		x = x << 8 | r->data[r->off + (size_t)i];
	r->off += 8;
	*v = x;
	return STATUS_OK;
}

static int get_number(struct proto_reader *r, mpz_t n)
{
	uint32_t bytes;

	if (get_u32(r, &bytes) != STATUS_OK || bytes > PROTO_MAX_NUMBER_BYTES ||
	    bytes > left(r))
		return STATUS_ERR_PROTO;
	if (bytes == 0) {
		mpz_set_ui(n, 0);
		return STATUS_OK;
	}
	if (r->data[r->off] == 0)
		return STATUS_ERR_PROTO; /* not canonical */
	if (bytes <= 8) {                /* one word: cheaper than mpz_import */
		uint64_t v = 0;
		for (uint32_t i = 0; i < bytes; i++)
			v = v << 8 | r->data[r->off + i];
		mpz_set_ui(n, (unsigned long)v);
		r->off += bytes;
		return STATUS_OK;
	}
	mpz_import(n, bytes, 1, 1, 1, 0, r->data + r->off);
	r->off += bytes;
	return STATUS_OK;
}

int proto_reader_init(struct proto_reader *r, const void *data, size_t len,
		      int expected_tag)
{
	uint32_t magic;
	uint16_t version, tag;

	r->data = data;
	r->len = len;
	r->off = 0;
	if (data == NULL || len > (size_t)PROTO_MAX_MSG ||
	    get_u32(r, &magic) != STATUS_OK ||
	    get_u16(r, &version) != STATUS_OK || get_u16(r, &tag) != STATUS_OK)
		return STATUS_ERR_PROTO;
	if (magic != PROTO_MAGIC || version != PROTO_VERSION ||
	    (int)tag != expected_tag)
		return STATUS_ERR_PROTO;
	return STATUS_OK;
}

int proto_reader_end(const struct proto_reader *r)
{
	return r->off == r->len ? STATUS_OK : STATUS_ERR_PROTO;
}

int proto_unpack_config(struct proto_reader *r, struct proto_config *c)
{
	if (get_u64(r, &c->seed) || get_u64(r, &c->time_limit_us) ||
	    get_u32(r, &c->prefetch) || get_u32(r, &c->fault_flags) ||
	    get_u32(r, &c->max_number_bytes))
		return STATUS_ERR_PROTO;
	if (c->prefetch >= PROTO_MAX_CREDIT ||
	    c->max_number_bytes > PROTO_MAX_NUMBER_BYTES)
		return STATUS_ERR_PROTO;
	return proto_reader_end(r);
}

int proto_unpack_request(struct proto_reader *r, uint32_t *credit)
{
	if (get_u32(r, credit) || *credit < 1 || *credit > PROTO_MAX_CREDIT)
		return STATUS_ERR_PROTO;
	return proto_reader_end(r);
}

int proto_unpack_work_header(struct proto_reader *r,
			     struct proto_work_header *h)
{
	uint8_t pad[3];

	if (get_u64(r, &h->chunk_id) || get_u64(r, &h->first_index) ||
	    get_u32(r, &h->count) || get_u8(r, &h->form) ||
	    get_u8(r, &pad[0]) || get_u8(r, &pad[1]) || get_u8(r, &pad[2]))
		return STATUS_ERR_PROTO;
	if (h->count < 1 || h->count > PROTO_MAX_CHUNK ||
	    (h->form != PROTO_FORM_LIST && h->form != PROTO_FORM_RANGE &&
	     h->form != PROTO_FORM_BYTES) ||
	    (h->form == PROTO_FORM_BYTES && h->count != 1) || pad[0] ||
	    pad[1] || pad[2])
		return STATUS_ERR_PROTO;
	/* the first index of the last number must not wrap */
	if (h->first_index > UINT64_MAX - h->count)
		return STATUS_ERR_PROTO;
	/* a LIST of count numbers needs at least 4 bytes per number */
	if (h->form == PROTO_FORM_LIST && left(r) / 4 < h->count)
		return STATUS_ERR_PROTO;
	return STATUS_OK;
}

int proto_unpack_work_number(struct proto_reader *r, mpz_t n)
{
	return get_number(r, n);
}

int proto_unpack_work_range(struct proto_reader *r, mpz_t start, mpz_t step)
{
	if (get_number(r, start) || get_number(r, step))
		return STATUS_ERR_PROTO;
	return proto_reader_end(r);
}

int proto_unpack_work_bytes(struct proto_reader *r, struct proto_bytes *y)
{
	if (get_u64(r, &y->offset) || get_u64(r, &y->length) ||
	    get_u64(r, &y->size))
		return STATUS_ERR_PROTO;
	if (y->offset > y->size || y->length > y->size - y->offset ||
	    y->length == 0)
		return STATUS_ERR_PROTO;
	return proto_reader_end(r);
}

/* RESULT's fixed part (and HELD's). */
static int get_result_fixed(struct proto_reader *r,
			    struct proto_result_header *h)
{
	if (get_u64(r, &h->chunk_id) || get_u32(r, &h->count) ||
	    get_u32(r, &h->partial) || get_u64(r, &h->busy_ns) ||
	    get_u32(r, &h->bad_index) || get_u32(r, &h->block_len))
		return STATUS_ERR_PROTO;
	return STATUS_OK;
}

int proto_unpack_result(struct proto_reader *r, struct proto_result_header *h,
			const unsigned char **block)
{
	if (get_result_fixed(r, h) != STATUS_OK)
		return STATUS_ERR_PROTO;
	h->block_crc = 0; /* a RESULT carries its bytes, not their CRC */
	if (h->count > PROTO_MAX_CHUNK || h->partial > h->count ||
	    h->block_len != left(r))
		return STATUS_ERR_PROTO;
	if (h->bad_index != PROTO_NO_BAD_INDEX &&
	    (h->bad_index >= h->count || h->block_len != 0))
		return STATUS_ERR_PROTO;
	/* every line holds at least "0:\n"-like 2 bytes; a good block at
	   least one byte per line (its newline) */
	if (h->bad_index == PROTO_NO_BAD_INDEX && h->block_len < h->count)
		return STATUS_ERR_PROTO;
	*block = r->data + r->off;
	r->off = r->len;
	return STATUS_OK;
}

int proto_unpack_stop(struct proto_reader *r, uint32_t *reason)
{
	if (get_u32(r, reason) ||
	    (*reason != PROTO_STOP_DONE && *reason != PROTO_STOP_ABORT))
		return STATUS_ERR_PROTO;
	return proto_reader_end(r);
}

int proto_unpack_heartbeat(struct proto_reader *r, uint64_t *chunk_id,
			   uint64_t *elapsed_ns)
{
	if (get_u64(r, chunk_id) || get_u64(r, elapsed_ns))
		return STATUS_ERR_PROTO;
	return proto_reader_end(r);
}

int proto_unpack_stats(struct proto_reader *r, struct proto_stats *s)
{
	uint32_t hl;

	if (get_u64(r, &s->numbers) || get_u64(r, &s->chunks) ||
	    get_u64(r, &s->busy_ns) || get_u64(r, &s->idle_ns) ||
	    get_u64(r, &s->msgs_sent) || get_u64(r, &s->msgs_recv) ||
	    get_u64(r, &s->bytes_sent) || get_u64(r, &s->bytes_recv) ||
	    get_u32(r, &hl) || hl > PROTO_MAX_HOST || hl > left(r) ||
	    memchr(r->data + r->off, '\0', hl) != NULL)
		return STATUS_ERR_PROTO;
	memset(s->host, 0, sizeof s->host);
	memcpy(s->host, r->data + r->off, hl);
	r->off += hl;
	return proto_reader_end(r);
}

int proto_unpack_error(struct proto_reader *r, int *status, char *text,
		       size_t text_size)
{
	uint32_t st, n;
	size_t copy;

	if (get_u32(r, &st) || get_u32(r, &n) || n > PROTO_MAX_TEXT ||
	    n > left(r))
		return STATUS_ERR_PROTO;
	*status = (int)st;
	if (text != NULL && text_size > 0) {
		copy = n < text_size - 1 ? n : text_size - 1;
		memcpy(text, r->data + r->off, copy);
		text[copy] = '\0';
	}
	r->off += n;
	return proto_reader_end(r);
}

int proto_pack_group_stats(struct proto_buf *b,
			   const struct proto_group_stats *g)
{
	int st = proto_pack_stats(b, &g->s);
	size_t body = b->len - PROTO_HEADER_BYTES;

	if (st != STATUS_OK)
		return st;
	st = buf_reserve(b, 8);
	if (st != STATUS_OK)
		return st;
	/* the STATS body moves 8 bytes along, the header changes tag */
	memmove(b->data + PROTO_HEADER_BYTES + 8, b->data + PROTO_HEADER_BYTES,
		body);
	b->len = 0;
	put_u32(b, PROTO_MAGIC);
	put_u16(b, PROTO_VERSION);
	put_u16(b, (uint16_t)PROTO_TAG_GROUP_STATS);
	put_u32(b, g->rank);
	put_u32(b, g->wrong);
	b->len = PROTO_HEADER_BYTES + 8 + body;
	return STATUS_OK;
}

int proto_unpack_group_stats(struct proto_reader *r,
			     struct proto_group_stats *g)
{
	if (get_u32(r, &g->rank) || get_u32(r, &g->wrong))
		return STATUS_ERR_PROTO;
	return proto_unpack_stats(r, &g->s);
}

int proto_pack_input_begin(struct proto_buf *b, uint64_t chunk_id,
			   uint64_t newlines, uint32_t n_bad)
{
	int st;

	if (n_bad > PROTO_MAX_BAD_TOKENS)
		return STATUS_ERR_PROTO;
	st = put_header(b, PROTO_TAG_INPUT, 20);
	if (st != STATUS_OK)
		return st;
	put_u64(b, chunk_id);
	put_u64(b, newlines);
	put_u32(b, n_bad);
	return STATUS_OK;
}

int proto_pack_input_bad(struct proto_buf *b, const struct proto_bad *t)
{
	size_t len = strlen(t->token);
	int st;

	if (len > PROTO_MAX_TOKEN ||
	    (t->reason != PROTO_BAD_SYNTAX && t->reason != PROTO_BAD_LONG))
		return STATUS_ERR_PROTO;
	st = buf_reserve(b, 10 + len);
	if (st != STATUS_OK)
		return st;
	put_u64(b, t->line);
	put_u8(b, t->reason);
	put_u8(b, (uint8_t)len);
	memcpy(b->data + b->len, t->token, len);
	b->len += len;
	return STATUS_OK;
}

int proto_unpack_input_begin(struct proto_reader *r, uint64_t *chunk_id,
			     uint64_t *newlines, uint32_t *n_bad)
{
	if (get_u64(r, chunk_id) || get_u64(r, newlines) || get_u32(r, n_bad))
		return STATUS_ERR_PROTO;
	/* each bad token takes at least 10 bytes */
	if (*n_bad > PROTO_MAX_BAD_TOKENS || left(r) / 10 < *n_bad)
		return STATUS_ERR_PROTO;
	return STATUS_OK;
}

int proto_unpack_input_bad(struct proto_reader *r, struct proto_bad *t)
{
	uint8_t len;

	if (get_u64(r, &t->line) || get_u8(r, &t->reason) || get_u8(r, &len))
		return STATUS_ERR_PROTO;
	if (t->line < 1 || len > PROTO_MAX_TOKEN || left(r) < len ||
	    (t->reason != PROTO_BAD_SYNTAX && t->reason != PROTO_BAD_LONG))
		return STATUS_ERR_PROTO;
	memcpy(t->token, r->data + r->off, len);
	t->token[len] = '\0';
	if (memchr(t->token, '\0', len) != NULL)
		return STATUS_ERR_PROTO;
	r->off += len;
	return STATUS_OK;
}

/* ---- workers write the output (proto.h 3b) ---- */

int proto_pack_file(struct proto_buf *b, const char *path)
{
	size_t len = strlen(path);
	int st;

	if (len < 1 || len > PROTO_MAX_PATH)
		return STATUS_ERR_PROTO;
	st = put_header(b, PROTO_TAG_FILE, 4 + len);
	if (st != STATUS_OK)
		return st;
	put_u32(b, (uint32_t)len);
	memcpy(b->data + b->len, path, len);
	b->len += len;
	return STATUS_OK;
}

int proto_unpack_file(struct proto_reader *r, char *path, size_t path_size)
{
	uint32_t len;

	if (get_u32(r, &len) || len < 1 || len > PROTO_MAX_PATH ||
	    len != left(r) || len >= path_size)
		return STATUS_ERR_PROTO;
	memcpy(path, r->data + r->off, len);
	path[len] = '\0';
	if (memchr(path, '\0', len) != NULL)
		return STATUS_ERR_PROTO;
	r->off += len;
	return STATUS_OK;
}

/* RESULT's fixed part as HELD carries it (block_len: the kept block). */
static int held_header_ok(const struct proto_result_header *h,
			  uint32_t n_sample)
{
	if (h->count > PROTO_MAX_CHUNK || h->partial > h->count ||
	    n_sample > h->count || h->block_len > (uint32_t)PROTO_MAX_MSG)
		return 0;
	if (h->bad_index != PROTO_NO_BAD_INDEX)
		return h->bad_index < h->count && h->block_len == 0 &&
			n_sample == 0;
	return h->block_len >= h->count; /* a newline per line at least */
}

/* HELD's block_crc: none for a chunk that failed (nothing is kept). */
static int held_crc_ok(const struct proto_result_header *h)
{
	return h->bad_index == PROTO_NO_BAD_INDEX || h->block_crc == 0;
}

int proto_pack_held_begin(struct proto_buf *b,
			  const struct proto_result_header *h,
			  uint32_t n_sample)
{
	int st;

	if (!held_header_ok(h, n_sample) || !held_crc_ok(h))
		return STATUS_ERR_PROTO;
	st = put_header(b, PROTO_TAG_HELD, PROTO_RESULT_FIXED + 8);
	if (st != STATUS_OK)
		return st;
	put_result_fixed(b, h);
	put_u32(b, h->block_crc);
	put_u32(b, n_sample);
	return STATUS_OK;
}

int proto_pack_held_line(struct proto_buf *b, uint32_t index, const void *line,
			 uint32_t len)
{
	int st;

	if (len < 1 || index >= PROTO_MAX_CHUNK)
		return STATUS_ERR_PROTO;
	st = buf_reserve(b, 8 + (size_t)len);
	if (st != STATUS_OK)
		return st;
	put_u32(b, index);
	put_u32(b, len);
	memcpy(b->data + b->len, line, len);
	b->len += len;
	return STATUS_OK;
}

int proto_unpack_held_begin(struct proto_reader *r,
			    struct proto_result_header *h, uint32_t *n_sample)
{
	if (get_result_fixed(r, h) != STATUS_OK || get_u32(r, &h->block_crc) ||
	    get_u32(r, n_sample))
		return STATUS_ERR_PROTO;
	/* each sampled line takes at least 9 bytes */
	if (!held_header_ok(h, *n_sample) || !held_crc_ok(h) ||
	    left(r) / 9 < *n_sample)
		return STATUS_ERR_PROTO;
	return STATUS_OK;
}

int proto_unpack_held_line(struct proto_reader *r, uint32_t *index,
			   const unsigned char **line, uint32_t *len)
{
	if (get_u32(r, index) || get_u32(r, len) || *len < 1 ||
	    *index >= PROTO_MAX_CHUNK || left(r) < *len)
		return STATUS_ERR_PROTO;
	*line = r->data + r->off;
	r->off += *len;
	return STATUS_OK;
}

int proto_pack_place(struct proto_buf *b, int tag, const struct proto_place *p)
{
	int st;

	if (tag != PROTO_TAG_OFFSET && tag != PROTO_TAG_WRITTEN)
		return STATUS_ERR_PROTO;
	st = put_header(b, tag, 24);
	if (st != STATUS_OK)
		return st;
	put_u64(b, p->chunk_id);
	put_u64(b, p->offset);
	put_u64(b, p->length);
	return STATUS_OK;
}

int proto_unpack_place(struct proto_reader *r, struct proto_place *p)
{
	if (get_u64(r, &p->chunk_id) || get_u64(r, &p->offset) ||
	    get_u64(r, &p->length))
		return STATUS_ERR_PROTO;
	/* a placed block ends inside what a u64 addresses */
	if (p->offset != PROTO_OFFSET_DROP &&
	    p->length > UINT64_MAX - p->offset)
		return STATUS_ERR_PROTO;
	return proto_reader_end(r);
}

/*
 * Reading a received message: one call each (proto.h, "Reading").  The
 * header is checked against the message's tag, then the body is decoded
 * by the proto_unpack_* of that message; multi-part messages leave the
 * reader at their items.
 */
int proto_read_config(const void *msg, size_t len, struct proto_config *c)
{
	struct proto_reader r;

	if (proto_reader_init(&r, msg, len, PROTO_TAG_CONFIG) != STATUS_OK)
		return STATUS_ERR_PROTO;
	return proto_unpack_config(&r, c);
}

int proto_read_request(const void *msg, size_t len, uint32_t *credit)
{
	struct proto_reader r;

	if (proto_reader_init(&r, msg, len, PROTO_TAG_REQUEST) != STATUS_OK)
		return STATUS_ERR_PROTO;
	return proto_unpack_request(&r, credit);
}

int proto_read_work(struct proto_reader *r, const void *msg, size_t len,
		    struct proto_work_header *h)
{
	if (proto_reader_init(r, msg, len, PROTO_TAG_WORK) != STATUS_OK)
		return STATUS_ERR_PROTO;
	return proto_unpack_work_header(r, h);
}

int proto_read_input(struct proto_reader *r, const void *msg, size_t len,
		     uint64_t *chunk_id, uint64_t *newlines, uint32_t *n_bad)
{
	if (proto_reader_init(r, msg, len, PROTO_TAG_INPUT) != STATUS_OK)
		return STATUS_ERR_PROTO;
	return proto_unpack_input_begin(r, chunk_id, newlines, n_bad);
}

int proto_read_result(const void *msg, size_t len,
		      struct proto_result_header *h,
		      const unsigned char **block)
{
	struct proto_reader r;

	if (proto_reader_init(&r, msg, len, PROTO_TAG_RESULT) != STATUS_OK)
		return STATUS_ERR_PROTO;
	return proto_unpack_result(&r, h, block);
}

int proto_read_held(struct proto_reader *r, const void *msg, size_t len,
		    struct proto_result_header *h, uint32_t *n_sample)
{
	if (proto_reader_init(r, msg, len, PROTO_TAG_HELD) != STATUS_OK)
		return STATUS_ERR_PROTO;
	return proto_unpack_held_begin(r, h, n_sample);
}

int proto_read_stop(const void *msg, size_t len, uint32_t *reason)
{
	struct proto_reader r;

	if (proto_reader_init(&r, msg, len, PROTO_TAG_STOP) != STATUS_OK)
		return STATUS_ERR_PROTO;
	return proto_unpack_stop(&r, reason);
}

int proto_read_stats(const void *msg, size_t len, struct proto_stats *s)
{
	struct proto_reader r;

	if (proto_reader_init(&r, msg, len, PROTO_TAG_STATS) != STATUS_OK)
		return STATUS_ERR_PROTO;
	return proto_unpack_stats(&r, s);
}

int proto_read_group_stats(const void *msg, size_t len,
			   struct proto_group_stats *g)
{
	struct proto_reader r;

	if (proto_reader_init(&r, msg, len, PROTO_TAG_GROUP_STATS) != STATUS_OK)
		return STATUS_ERR_PROTO;
	return proto_unpack_group_stats(&r, g);
}

int proto_read_heartbeat(const void *msg, size_t len, uint64_t *chunk_id,
			 uint64_t *elapsed_ns)
{
	struct proto_reader r;

	if (proto_reader_init(&r, msg, len, PROTO_TAG_HEARTBEAT) != STATUS_OK)
		return STATUS_ERR_PROTO;
	return proto_unpack_heartbeat(&r, chunk_id, elapsed_ns);
}

int proto_read_error(const void *msg, size_t len, int *status, char *text,
		     size_t text_size)
{
	struct proto_reader r;

	if (proto_reader_init(&r, msg, len, PROTO_TAG_ERROR) != STATUS_OK)
		return STATUS_ERR_PROTO;
	return proto_unpack_error(&r, status, text, text_size);
}

int proto_read_file(const void *msg, size_t len, char *path, size_t path_size)
{
	struct proto_reader r;

	if (proto_reader_init(&r, msg, len, PROTO_TAG_FILE) != STATUS_OK)
		return STATUS_ERR_PROTO;
	return proto_unpack_file(&r, path, path_size);
}

int proto_read_place(const void *msg, size_t len, int tag,
		     struct proto_place *p)
{
	struct proto_reader r;

	if ((tag != PROTO_TAG_OFFSET && tag != PROTO_TAG_WRITTEN) ||
	    proto_reader_init(&r, msg, len, tag) != STATUS_OK)
		return STATUS_ERR_PROTO;
	return proto_unpack_place(&r, p);
}

/* ---- shared numbers (proto.h 12-15) ---- */

/* An open share's number: 2 <= bytes <= PROTO_MAX_SHARE_BYTES. */
static int share_number_ok(const mpz_t n)
{
	return mpz_cmp_ui(n, 255) > 0 &&
		mpz_sizeinbase(n, 2) <= 8 * (size_t)PROTO_MAX_SHARE_BYTES;
}

int proto_pack_share(struct proto_buf *b, const struct proto_share *sh,
		     const mpz_t n)
{
	int st;

	if (sh->open > 1 || (sh->open ? !share_number_ok(n) : mpz_sgn(n) != 0))
		return STATUS_ERR_PROTO;
	st = put_header(b, PROTO_TAG_SHARE, 12 + 4 + PROTO_MAX_SHARE_BYTES);
	if (st != STATUS_OK)
		return st;
	put_u64(b, sh->share_id);
	put_u32(b, sh->open);
	return put_number(b, n);
}

int proto_read_share(const void *msg, size_t len, struct proto_share *sh,
		     mpz_t n)
{
	struct proto_reader r;

	memset(sh, 0, sizeof *sh);
	if (proto_reader_init(&r, msg, len, PROTO_TAG_SHARE) != STATUS_OK ||
	    get_u64(&r, &sh->share_id) || get_u32(&r, &sh->open) ||
	    get_number(&r, n) || proto_reader_end(&r) != STATUS_OK ||
	    sh->open > 1 || (sh->open ? !share_number_ok(n) : mpz_sgn(n) != 0))
		return STATUS_ERR_PROTO;
	return STATUS_OK;
}

int proto_pack_join(struct proto_buf *b, const struct proto_share *sh,
		    const mpz_t n)
{
	int st;

	if (sh->owner < 1 || sh->helper < 1 || !share_number_ok(n))
		return STATUS_ERR_PROTO;
	st = put_header(b, PROTO_TAG_JOIN, 16 + 4 + PROTO_MAX_SHARE_BYTES);
	if (st != STATUS_OK)
		return st;
	put_u64(b, sh->share_id);
	put_u32(b, sh->owner);
	put_u32(b, sh->helper);
	return put_number(b, n);
}

int proto_read_join(const void *msg, size_t len, struct proto_share *sh,
		    mpz_t n)
{
	struct proto_reader r;

	memset(sh, 0, sizeof *sh);
	if (proto_reader_init(&r, msg, len, PROTO_TAG_JOIN) != STATUS_OK ||
	    get_u64(&r, &sh->share_id) || get_u32(&r, &sh->owner) ||
	    get_u32(&r, &sh->helper) || get_number(&r, n) ||
	    proto_reader_end(&r) != STATUS_OK || sh->owner < 1 ||
	    sh->helper < 1 || !share_number_ok(n))
		return STATUS_ERR_PROTO;
	sh->open = 1;
	return STATUS_OK;
}

int proto_pack_rels(struct proto_buf *b, uint64_t share_id, uint32_t helper,
		    const void *batch, uint32_t len)
{
	int st;

	if (len < 1 || len > PROTO_MAX_RELS_BYTES)
		return STATUS_ERR_PROTO;
	st = put_header(b, PROTO_TAG_RELS, 16 + (size_t)len);
	if (st != STATUS_OK)
		return st;
	put_u64(b, share_id);
	put_u32(b, helper);
	put_u32(b, len);
	return proto_buf_append(b, batch, len);
}

int proto_read_rels(const void *msg, size_t len, uint64_t *share_id,
		    uint32_t *helper, const unsigned char **batch,
		    uint32_t *batch_len)
{
	struct proto_reader r;

	if (proto_reader_init(&r, msg, len, PROTO_TAG_RELS) != STATUS_OK ||
	    get_u64(&r, share_id) || get_u32(&r, helper) ||
	    get_u32(&r, batch_len) || *batch_len < 1 ||
	    *batch_len > PROTO_MAX_RELS_BYTES || *batch_len != left(&r))
		return STATUS_ERR_PROTO;
	*batch = r.data + r.off;
	return STATUS_OK;
}

int proto_pack_leave(struct proto_buf *b, uint64_t share_id)
{
	int st = put_header(b, PROTO_TAG_LEAVE, 8);

	if (st != STATUS_OK)
		return st;
	put_u64(b, share_id);
	return STATUS_OK;
}

int proto_read_leave(const void *msg, size_t len, uint64_t *share_id)
{
	struct proto_reader r;

	if (proto_reader_init(&r, msg, len, PROTO_TAG_LEAVE) != STATUS_OK ||
	    get_u64(&r, share_id))
		return STATUS_ERR_PROTO;
	return proto_reader_end(&r);
}

const char *proto_tag_name(int tag)
{
	switch (tag) {
	case PROTO_TAG_CONFIG: return "CONFIG";
	case PROTO_TAG_REQUEST: return "REQUEST";
	case PROTO_TAG_WORK: return "WORK";
	case PROTO_TAG_RESULT: return "RESULT";
	case PROTO_TAG_STOP: return "STOP";
	case PROTO_TAG_STATS: return "STATS";
	case PROTO_TAG_ERROR: return "ERROR";
	case PROTO_TAG_GROUP_STATS: return "GROUP_STATS";
	case PROTO_TAG_HEARTBEAT: return "HEARTBEAT";
	case PROTO_TAG_INPUT: return "INPUT";
	case PROTO_TAG_FILE: return "FILE";
	case PROTO_TAG_HELD: return "HELD";
	case PROTO_TAG_OFFSET: return "OFFSET";
	case PROTO_TAG_WRITTEN: return "WRITTEN";
	case PROTO_TAG_SHARE: return "SHARE";
	case PROTO_TAG_JOIN: return "JOIN";
	case PROTO_TAG_RELS: return "RELS";
	case PROTO_TAG_LEAVE: return "LEAVE";
	default: return "unknown";
	}
}
