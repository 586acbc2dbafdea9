/*
 * fuzz_proto.c - libFuzzer target for the wire codec (src/core/proto.c).
 *
 * Purpose: every byte a rank receives goes through the proto_read_*
 * call of its message (and, for WORK, INPUT and HELD, the item readers);
 * here they get arbitrary bytes, for every tag, so that a crash, a leak,
 * an out-of-bounds read, undefined behaviour or a wrongly accepted
 * message is found.
 *
 * Steps per input:
 *   1. For every tag CONFIG..LEAVE: the proto_read_* of that message;
 *      when it accepts, read the items as master.c / group.c / worker.c
 *      do (WORK: count numbers, a range or a byte range; INPUT: n_bad bad
 *      tokens; HELD: n_sample lines).
 *   2. Oracle: the codec promises one value, one encoding (proto.c's
 *      invariants).  So a message that unpacks completely must pack back
 *      to exactly the same bytes; a difference aborts (libFuzzer reports
 *      it as a crash).  ERROR texts with a NUL byte are exempt (the pack
 *      side takes a C string).
 *   3. The same bytes as a bare body with no header (a reader built by
 *      hand, as journal_load's caller does for a record's payload): every
 *      unpack function once; then the bytes as a journal payload (a
 *      block of lines): cut by block_prefix, each line through
 *      output_parse in every format.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "block.h"
#include "cli.h"
#include "output.h"
#include "proto.h"
#include "status.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_check(int ok)
{
	if (!ok)
		abort();
}

struct fuzz_state {
	struct proto_buf out;
	struct engine_result res;
	mpz_t a, b;
	char text[PROTO_MAX_TEXT + 1];
};

/* The repacked message must equal the input byte for byte. */
static void fuzz_same(const struct proto_buf *b, const uint8_t *data,
		      size_t size)
{
	fuzz_check(b->len == size && memcmp(b->data, data, size) == 0);
}

static void fuzz_work(struct fuzz_state *s, const uint8_t *data, size_t size)
{
	struct proto_reader rd, *r = &rd;
	struct proto_work_header h;
	uint32_t i;

	if (proto_read_work(r, data, size, &h) != STATUS_OK)
		return;
	fuzz_check(h.count >= 1 && h.count <= PROTO_MAX_CHUNK);
	fuzz_check(proto_pack_work_begin(&s->out, &h) == STATUS_OK);
	if (h.form == PROTO_FORM_RANGE) {
		if (proto_unpack_work_range(r, s->a, s->b) != STATUS_OK)
			return;
		fuzz_check(proto_pack_work_range(&s->out, s->a, s->b) ==
			   STATUS_OK);
	} else if (h.form == PROTO_FORM_BYTES) {
		struct proto_bytes y;
		if (proto_unpack_work_bytes(r, &y) != STATUS_OK)
			return;
		fuzz_check(h.count == 1 && y.length >= 1 &&
			   y.offset + y.length <= y.size &&
			   y.offset + y.length >= y.offset);
		fuzz_check(proto_pack_work_bytes(&s->out, &y) == STATUS_OK);
	} else {
		for (i = 0; i < h.count; i++) {
			if (proto_unpack_work_number(r, s->a) != STATUS_OK)
				return;
			fuzz_check(proto_pack_work_number(&s->out, s->a) ==
				   STATUS_OK);
		}
		if (proto_reader_end(r) != STATUS_OK)
			return;
	}
	fuzz_same(&s->out, data, size);
}

static void fuzz_result(struct fuzz_state *s, const uint8_t *data, size_t size)
{
	struct proto_result_header h;
	const unsigned char *block;

	if (proto_read_result(data, size, &h, &block) != STATUS_OK)
		return;
	fuzz_check(h.count <= PROTO_MAX_CHUNK);
	fuzz_check(h.partial <= h.count);
	fuzz_check(h.bad_index == PROTO_NO_BAD_INDEX || h.block_len == 0);
	fuzz_check(block + h.block_len == data + size);
	fuzz_check(proto_pack_result(&s->out, &h, block) == STATUS_OK);
	fuzz_same(&s->out, data, size);
}

static void fuzz_input(struct fuzz_state *s, const uint8_t *data, size_t size)
{
	struct proto_reader rd, *r = &rd;
	struct proto_bad t;
	uint64_t id, newlines;
	uint32_t n_bad;

	if (proto_read_input(r, data, size, &id, &newlines, &n_bad) !=
	    STATUS_OK)
		return;
	fuzz_check(n_bad <= PROTO_MAX_BAD_TOKENS);
	fuzz_check(proto_pack_input_begin(&s->out, id, newlines, n_bad) ==
		   STATUS_OK);
	for (uint32_t i = 0; i < n_bad; i++) {
		if (proto_unpack_input_bad(r, &t) != STATUS_OK)
			return;
		fuzz_check(t.line >= 1 && strlen(t.token) <= PROTO_MAX_TOKEN);
		fuzz_check(proto_pack_input_bad(&s->out, &t) == STATUS_OK);
	}
	if (proto_reader_end(r) != STATUS_OK)
		return;
	fuzz_same(&s->out, data, size);
}

/* HELD (proto.h 3b): the fixed part, then n_sample lines. */
static void fuzz_held(struct fuzz_state *s, const uint8_t *data, size_t size)
{
	struct proto_reader rd, *r = &rd;
	struct proto_result_header h;
	const unsigned char *line;
	uint32_t n, idx, len;

	if (proto_read_held(r, data, size, &h, &n) != STATUS_OK)
		return;
	fuzz_check(n <= h.count && h.partial <= h.count);
	fuzz_check(proto_pack_held_begin(&s->out, &h, n) == STATUS_OK);
	for (uint32_t i = 0; i < n; i++) {
		if (proto_unpack_held_line(r, &idx, &line, &len) != STATUS_OK)
			return;
		fuzz_check(len >= 1 && idx < PROTO_MAX_CHUNK);
		fuzz_check(proto_pack_held_line(&s->out, idx, line, len) ==
			   STATUS_OK);
	}
	if (proto_reader_end(r) != STATUS_OK)
		return;
	fuzz_same(&s->out, data, size);
}

/* FILE, OFFSET and WRITTEN (proto.h 3b). */
static void fuzz_place(struct fuzz_state *s, const uint8_t *data, size_t size,
		       int tag)
{
	static char path[PROTO_MAX_PATH + 1];
	struct proto_place p;

	if (tag == PROTO_TAG_FILE) {
		if (proto_read_file(data, size, path, sizeof path) != STATUS_OK)
			return;
		fuzz_check(strlen(path) >= 1);
		fuzz_check(proto_pack_file(&s->out, path) == STATUS_OK);
		fuzz_same(&s->out, data, size);
		return;
	}
	if (proto_read_place(data, size, tag, &p) != STATUS_OK)
		return;
	fuzz_check(p.offset == PROTO_OFFSET_DROP ||
		   p.length <= UINT64_MAX - p.offset);
	fuzz_check(proto_pack_place(&s->out, tag, &p) == STATUS_OK);
	fuzz_same(&s->out, data, size);
}

/* Step 1-2 for the shared-number messages (proto.h 12-15). */
static void fuzz_share(struct fuzz_state *s, const uint8_t *data, size_t size,
		       int tag)
{
	struct proto_share sh;
	const unsigned char *batch;
	uint64_t id;
	uint32_t helper, len;

	switch (tag) {
	case PROTO_TAG_SHARE:
		if (proto_read_share(data, size, &sh, s->a) == STATUS_OK) {
			fuzz_check(proto_pack_share(&s->out, &sh, s->a) ==
				   STATUS_OK);
			fuzz_same(&s->out, data, size);
		}
		break;
	case PROTO_TAG_JOIN:
		if (proto_read_join(data, size, &sh, s->a) == STATUS_OK) {
			fuzz_check(proto_pack_join(&s->out, &sh, s->a) ==
				   STATUS_OK);
			fuzz_same(&s->out, data, size);
		}
		break;
	case PROTO_TAG_RELS:
		if (proto_read_rels(data, size, &id, &helper, &batch, &len) ==
		    STATUS_OK) {
			fuzz_check(batch + len == data + size);
			fuzz_check(proto_pack_rels(&s->out, id, helper, batch,
						   len) == STATUS_OK);
			fuzz_same(&s->out, data, size);
		}
		break;
	default:
		if (proto_read_leave(data, size, &id) == STATUS_OK) {
			fuzz_check(proto_pack_leave(&s->out, id) == STATUS_OK);
			fuzz_same(&s->out, data, size);
		}
	}
}

/* Step 1-2 for one expected tag. */
static void fuzz_message(struct fuzz_state *s, const uint8_t *data, size_t size,
			 int tag)
{
	struct proto_config c;
	struct proto_stats st;
	struct proto_group_stats g;
	uint32_t u;
	int status;

	switch (tag) {
	case PROTO_TAG_CONFIG:
		if (proto_read_config(data, size, &c) == STATUS_OK) {
			fuzz_check(proto_pack_config(&s->out, &c) == STATUS_OK);
			fuzz_same(&s->out, data, size);
		}
		break;
	case PROTO_TAG_REQUEST:
		if (proto_read_request(data, size, &u) == STATUS_OK) {
			fuzz_check(proto_pack_request(&s->out, u) == STATUS_OK);
			fuzz_same(&s->out, data, size);
		}
		break;
	case PROTO_TAG_WORK: fuzz_work(s, data, size); break;
	case PROTO_TAG_RESULT: fuzz_result(s, data, size); break;
	case PROTO_TAG_INPUT: fuzz_input(s, data, size); break;
	case PROTO_TAG_HELD: fuzz_held(s, data, size); break;
	case PROTO_TAG_SHARE:
	case PROTO_TAG_JOIN:
	case PROTO_TAG_RELS:
	case PROTO_TAG_LEAVE: fuzz_share(s, data, size, tag); break;
	case PROTO_TAG_FILE:
	case PROTO_TAG_OFFSET:
	case PROTO_TAG_WRITTEN: fuzz_place(s, data, size, tag); break;
	case PROTO_TAG_HEARTBEAT: {
		uint64_t id, ns;
		if (proto_read_heartbeat(data, size, &id, &ns) == STATUS_OK) {
			fuzz_check(proto_pack_heartbeat(&s->out, id, ns) ==
				   STATUS_OK);
			fuzz_same(&s->out, data, size);
		}
		break;
	}
	case PROTO_TAG_STOP:
		if (proto_read_stop(data, size, &u) == STATUS_OK) {
			fuzz_check(proto_pack_stop(&s->out, u) == STATUS_OK);
			fuzz_same(&s->out, data, size);
		}
		break;
	case PROTO_TAG_STATS:
		if (proto_read_stats(data, size, &st) == STATUS_OK) {
			fuzz_check(proto_pack_stats(&s->out, &st) == STATUS_OK);
			fuzz_same(&s->out, data, size);
		}
		break;
	case PROTO_TAG_GROUP_STATS:
		if (proto_read_group_stats(data, size, &g) == STATUS_OK) {
			fuzz_check(proto_pack_group_stats(&s->out, &g) ==
				   STATUS_OK);
			fuzz_same(&s->out, data, size);
		}
		break;
	case PROTO_TAG_ERROR:
		if (proto_read_error(data, size, &status, s->text,
				     sizeof s->text) == STATUS_OK) {
			size_t n = size - PROTO_HEADER_BYTES - 8;
			fuzz_check(strlen(s->text) <= n);
			if (strlen(s->text) == n) {
				fuzz_check(proto_pack_error(&s->out, status,
							    s->text) ==
					   STATUS_OK);
				fuzz_same(&s->out, data, size);
			}
		}
		break;
	default: break;
	}
}

/* Step 3: the bytes as a bare body. */
static void fuzz_body(struct fuzz_state *s, const uint8_t *data, size_t size)
{
	struct proto_reader r;
	struct proto_config c;
	struct proto_stats st;
	struct proto_group_stats g;
	struct proto_work_header wh;
	struct proto_result_header rh;
	struct proto_bytes y;
	struct proto_bad t;
	uint64_t id;
	const unsigned char *block;
	struct output_meta meta;
	uint32_t u, lines;
	size_t off, next;
	int status;

#define FUZZ_RAW(call)                      \
	do {                                \
		r.data = data;              \
		r.len = size;               \
		r.off = 0;                  \
		(void)(call);               \
		fuzz_check(r.off <= r.len); \
	} while (0)
	FUZZ_RAW(proto_unpack_config(&r, &c));
	FUZZ_RAW(proto_unpack_request(&r, &u));
	FUZZ_RAW(proto_unpack_work_header(&r, &wh));
	FUZZ_RAW(proto_unpack_work_number(&r, s->a));
	FUZZ_RAW(proto_unpack_work_range(&r, s->a, s->b));
	FUZZ_RAW(proto_unpack_work_bytes(&r, &y));
	FUZZ_RAW(proto_unpack_input_begin(&r, &id, &id, &u));
	FUZZ_RAW(proto_unpack_input_bad(&r, &t));
	FUZZ_RAW(proto_unpack_result(&r, &rh, &block));
	FUZZ_RAW(proto_unpack_stop(&r, &u));
	FUZZ_RAW(proto_unpack_stats(&r, &st));
	FUZZ_RAW(proto_unpack_group_stats(&r, &g));
	FUZZ_RAW(proto_unpack_error(&r, &status, s->text, sizeof s->text));
	FUZZ_RAW(proto_unpack_error(&r, &status, s->text, 1));
#undef FUZZ_RAW
	/* A journal payload: a block of lines, each parsed back in every
	   format as rank 0's sample would (must not crash; a line that
	   parses names a non-negative number) */
	lines = block_count_lines(data, size);
	for (off = 0, u = 0; u < lines; u++, off = next) {
		next = off + block_prefix(data + off, size - off, 1);
		fuzz_check(next > off && next <= size &&
			   data[next - 1] == '\n');
		for (int f = CLI_FORMAT_TEXT; f <= CLI_FORMAT_CSV; f++)
			if (output_parse((const char *)data + off, next - off,
					 f, u & 1, u & 2, s->a, &s->res,
					 &meta) == STATUS_OK)
				fuzz_check(mpz_sgn(s->a) >= 0);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_state s;
	int tag;

	proto_buf_init(&s.out);
	engine_result_init(&s.res);
	mpz_init(s.a);
	mpz_init(s.b);
	for (tag = PROTO_TAG_CONFIG; tag <= PROTO_TAG_LAST; tag++)
		fuzz_message(&s, data, size, tag);
	fuzz_body(&s, data, size);
	mpz_clear(s.a);
	mpz_clear(s.b);
	engine_result_clear(&s.res);
	proto_buf_clear(&s.out);
	return 0;
}
