/*
 * test_proto.c - unit tests of the wire codec (proto.c).
 *
 * Round trips of every message; every truncation of a valid message
 * rejected; caps enforced on pack and unpack; corrupted fields rejected;
 * a seeded loop over random and mutated buffers that must never crash
 * (run it under ASan/valgrind to make that a real check).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cli.h"
#include "output.h"
#include "proto.h"
#include "status.h"

/* Decode a whole message of the given tag, items included. */
static int decode_full(int tag, const unsigned char *data, size_t len)
{
	struct proto_reader r;
	int st;

	switch (tag) {
	case PROTO_TAG_CONFIG: {
		struct proto_config c;
		return proto_read_config(data, len, &c);
	}
	case PROTO_TAG_REQUEST: {
		uint32_t credit;
		return proto_read_request(data, len, &credit);
	}
	case PROTO_TAG_WORK: {
		struct proto_work_header h;
		mpz_t a, b;
		st = proto_read_work(&r, data, len, &h);
		if (st != STATUS_OK)
			return st;
		mpz_inits(a, b, NULL);
		if (h.form == PROTO_FORM_RANGE) {
			st = proto_unpack_work_range(&r, a, b);
		} else if (h.form == PROTO_FORM_BYTES) {
			struct proto_bytes y;
			st = proto_unpack_work_bytes(&r, &y);
		} else {
			for (uint32_t i = 0; i < h.count && st == STATUS_OK;
			     i++)
				st = proto_unpack_work_number(&r, a);
			if (st == STATUS_OK)
				st = proto_reader_end(&r);
		}
		mpz_clears(a, b, NULL);
		return st;
	}
	case PROTO_TAG_RESULT: {
		struct proto_result_header h;
		const unsigned char *block;
		return proto_read_result(data, len, &h, &block);
	}
	case PROTO_TAG_STOP: {
		uint32_t reason;
		return proto_read_stop(data, len, &reason);
	}
	case PROTO_TAG_STATS: {
		struct proto_stats s;
		return proto_read_stats(data, len, &s);
	}
	case PROTO_TAG_ERROR: {
		int status;
		char text[64];
		return proto_read_error(data, len, &status, text, sizeof text);
	}
	case PROTO_TAG_GROUP_STATS: {
		struct proto_group_stats g;
		return proto_read_group_stats(data, len, &g);
	}
	case PROTO_TAG_HEARTBEAT: {
		uint64_t id, ns;
		return proto_read_heartbeat(data, len, &id, &ns);
	}
	case PROTO_TAG_INPUT: {
		uint64_t id, nl;
		uint32_t n = 0;
		struct proto_bad t;
		st = proto_read_input(&r, data, len, &id, &nl, &n);
		for (uint32_t i = 0; i < n && st == STATUS_OK; i++)
			st = proto_unpack_input_bad(&r, &t);
		return st == STATUS_OK ? proto_reader_end(&r) : st;
	}
	case PROTO_TAG_HELD: {
		struct proto_result_header h;
		const unsigned char *line;
		uint32_t n = 0, idx, ll;
		st = proto_read_held(&r, data, len, &h, &n);
		for (uint32_t i = 0; i < n && st == STATUS_OK; i++)
			st = proto_unpack_held_line(&r, &idx, &line, &ll);
		return st == STATUS_OK ? proto_reader_end(&r) : st;
	}
	case PROTO_TAG_FILE: {
		char path[PROTO_MAX_PATH + 1];
		return proto_read_file(data, len, path, sizeof path);
	}
	case PROTO_TAG_OFFSET:
	case PROTO_TAG_WRITTEN: {
		struct proto_place p;
		return proto_read_place(data, len, tag, &p);
	}
	case PROTO_TAG_SHARE:
	case PROTO_TAG_JOIN: {
		struct proto_share sh;
		mpz_t n;
		mpz_init(n);
		st = tag == PROTO_TAG_SHARE
			? proto_read_share(data, len, &sh, n)
			: proto_read_join(data, len, &sh, n);
		mpz_clear(n);
		return st;
	}
	case PROTO_TAG_RELS: {
		uint64_t id;
		uint32_t helper, bl;
		const unsigned char *batch;
		return proto_read_rels(data, len, &id, &helper, &batch, &bl);
	}
	case PROTO_TAG_LEAVE: {
		uint64_t id;
		return proto_read_leave(data, len, &id);
	}
	default: return STATUS_ERR_PROTO;
	}
}

/* The block of build_result: three lines, one of them partial. */
static const char result_block[] = "0:\n12: 2 2 3\n21: 3 [composite 7]\n";

/* One valid message of each kind, built in b. */
static void build_result(struct proto_buf *b)
{
	struct proto_result_header h = { .chunk_id = 77,
					 .count = 3,
					 .partial = 1,
					 .busy_ns = 123456789,
					 .bad_index = PROTO_NO_BAD_INDEX,
					 .block_len = sizeof result_block - 1 };

	assert_int_equal(proto_pack_result(b, &h, result_block), STATUS_OK);
}

static void build(int tag, struct proto_buf *b)
{
	mpz_t x, y;

	mpz_inits(x, y, NULL);
	switch (tag) {
	case PROTO_TAG_CONFIG: {
		struct proto_config c = { 42, 1500000, 1, 0, 1 << 16 };
		assert_int_equal(proto_pack_config(b, &c), STATUS_OK);
		break;
	}
	case PROTO_TAG_REQUEST:
		assert_int_equal(proto_pack_request(b, 2), STATUS_OK);
		break;
	case PROTO_TAG_WORK: {
		struct proto_work_header h = { 5, 1000, 3, PROTO_FORM_LIST };
		assert_int_equal(proto_pack_work_begin(b, &h), STATUS_OK);
		mpz_set_str(x, "999999999999", 10);
		assert_int_equal(proto_pack_work_number(b, x), STATUS_OK);
		mpz_set_ui(x, 0);
		assert_int_equal(proto_pack_work_number(b, x), STATUS_OK);
		mpz_set_str(x, "123456789012345678901234567890", 10);
		assert_int_equal(proto_pack_work_number(b, x), STATUS_OK);
		break;
	}
	case PROTO_TAG_RESULT: build_result(b); break;
	case PROTO_TAG_INPUT: {
		struct proto_bad t1 = { 1, PROTO_BAD_SYNTAX, "abc" };
		struct proto_bad t2 = { 9, PROTO_BAD_LONG, "" };
		assert_int_equal(proto_pack_input_begin(b, 4, 8, 2), STATUS_OK);
		assert_int_equal(proto_pack_input_bad(b, &t1), STATUS_OK);
		assert_int_equal(proto_pack_input_bad(b, &t2), STATUS_OK);
		break;
	}
	case PROTO_TAG_STOP:
		assert_int_equal(proto_pack_stop(b, PROTO_STOP_DONE),
				 STATUS_OK);
		break;
	case PROTO_TAG_HEARTBEAT:
		assert_int_equal(proto_pack_heartbeat(b, 9, UINT64_MAX),
				 STATUS_OK);
		break;
	case PROTO_TAG_SHARE:
	case PROTO_TAG_JOIN: {
		struct proto_share sh = { 7, 1, 3, 2 };
		mpz_set_str(x, "123456789012345678901234567890", 10);
		assert_int_equal(tag == PROTO_TAG_SHARE
					 ? proto_pack_share(b, &sh, x)
					 : proto_pack_join(b, &sh, x),
				 STATUS_OK);
		break;
	}
	case PROTO_TAG_RELS:
		assert_int_equal(proto_pack_rels(b, 7, 2, "abc", 3), STATUS_OK);
		break;
	case PROTO_TAG_LEAVE:
		assert_int_equal(proto_pack_leave(b, 7), STATUS_OK);
		break;
	case PROTO_TAG_STATS: {
		struct proto_stats s = { 1, 2, 3, 4, 5, 6, 7, UINT64_MAX, "n1" };
		assert_int_equal(proto_pack_stats(b, &s), STATUS_OK);
		break;
	}
	case PROTO_TAG_ERROR:
		assert_int_equal(proto_pack_error(b, STATUS_ERR_NOMEM, "oops"),
				 STATUS_OK);
		break;
	case PROTO_TAG_GROUP_STATS: {
		struct proto_group_stats g = {
			5, 3, { 1, 2, 3, 4, 5, 6, 7, UINT64_MAX, "n2" }
		};
		assert_int_equal(proto_pack_group_stats(b, &g), STATUS_OK);
		break;
	}
	default: fail();
	}
	mpz_clears(x, y, NULL);
}

static void test_round_trip_config(void **state)
{
	struct proto_buf b;
	struct proto_config in = { UINT64_MAX, 2500000, 3,
				   PROTO_FAULT_SLOW | PROTO_FAULT_WRONG_RESULT,
				   PROTO_MAX_NUMBER_BYTES },
			    out;

	(void)state;
	proto_buf_init(&b);
	assert_int_equal(proto_pack_config(&b, &in), STATUS_OK);
	assert_int_equal(b.len, PROTO_HEADER_BYTES + 28);
	assert_int_equal(proto_read_config(b.data, b.len, &out), STATUS_OK);
	assert_true(out.seed == in.seed);
	assert_true(out.time_limit_us == in.time_limit_us);
	assert_int_equal(out.prefetch, 3);
	assert_int_equal(out.fault_flags, in.fault_flags);
	assert_int_equal(out.max_number_bytes, in.max_number_bytes);
	/* header bytes exactly as the diagram: magic "FZP1", version, tag */
	assert_memory_equal(b.data, "FZP1", 4);
	assert_int_equal(b.data[4] | b.data[5] << 8, PROTO_VERSION);
	assert_int_equal(b.data[6] | b.data[7] << 8, PROTO_TAG_CONFIG);
	proto_buf_clear(&b);
	proto_buf_clear(NULL);
}

static void test_round_trip_small_messages(void **state)
{
	struct proto_buf b;
	uint32_t v;
	struct proto_stats s = { 10, 20, 30, 40, 50, 60, 70, 80, "n" }, t;
	int status;
	char text[8];

	(void)state;
	proto_buf_init(&b);
	assert_int_equal(proto_pack_request(&b, PROTO_MAX_CREDIT), STATUS_OK);
	assert_int_equal(proto_read_request(b.data, b.len, &v), STATUS_OK);
	assert_int_equal(v, PROTO_MAX_CREDIT);

	assert_int_equal(proto_pack_stop(&b, PROTO_STOP_ABORT), STATUS_OK);
	assert_int_equal(proto_read_stop(b.data, b.len, &v), STATUS_OK);
	assert_int_equal(v, PROTO_STOP_ABORT);

	{
		uint64_t id = 0, ns = 0;
		assert_int_equal(
			proto_pack_heartbeat(&b, UINT64_MAX - 1, 12345),
			STATUS_OK);
		assert_int_equal(b.len, PROTO_HEADER_BYTES + 16);
		assert_int_equal(proto_read_heartbeat(b.data, b.len, &id, &ns),
				 STATUS_OK);
		assert_true(id == UINT64_MAX - 1 && ns == 12345);
		/* one byte short, one byte long */
		assert_int_equal(
			proto_read_heartbeat(b.data, b.len - 1, &id, &ns),
			STATUS_ERR_PROTO);
		assert_int_equal(proto_buf_append(&b, "", 1), STATUS_OK);
		assert_int_equal(proto_read_heartbeat(b.data, b.len, &id, &ns),
				 STATUS_ERR_PROTO);
	}

	assert_int_equal(proto_pack_stats(&b, &s), STATUS_OK);
	assert_int_equal(proto_read_stats(b.data, b.len, &t), STATUS_OK);
	assert_memory_equal(&s, &t, sizeof s);

	/* ERROR text is truncated to the caller's buffer, NUL-terminated */
	assert_int_equal(proto_pack_error(&b, STATUS_ERR_PROTO,
					  "bad message from rank 3"),
			 STATUS_OK);
	assert_int_equal(
		proto_read_error(b.data, b.len, &status, text, sizeof text),
		STATUS_OK);
	assert_int_equal(status, STATUS_ERR_PROTO);
	assert_string_equal(text, "bad mes");
	proto_buf_clear(&b);
}

static void test_round_trip_work_list_and_range(void **state)
{
	struct proto_buf b;
	struct proto_reader r;
	struct proto_work_header h;
	mpz_t x, y;

	(void)state;
	proto_buf_init(&b);
	mpz_inits(x, y, NULL);
	build(PROTO_TAG_WORK, &b);
	assert_int_equal(proto_read_work(&r, b.data, b.len, &h), STATUS_OK);
	assert_true(h.chunk_id == 5 && h.first_index == 1000);
	assert_int_equal(h.count, 3);
	assert_int_equal(h.form, PROTO_FORM_LIST);
	assert_int_equal(proto_unpack_work_number(&r, x), STATUS_OK);
	assert_int_equal(mpz_cmp_ui(x, 999999999999ul), 0);
	assert_int_equal(proto_unpack_work_number(&r, x), STATUS_OK);
	assert_int_equal(mpz_sgn(x), 0);
	assert_int_equal(proto_unpack_work_number(&r, x), STATUS_OK);
	mpz_set_str(y, "123456789012345678901234567890", 10);
	assert_int_equal(mpz_cmp(x, y), 0);
	assert_int_equal(proto_reader_end(&r), STATUS_OK);

	/* RANGE with a start far beyond 64 bits */
	h.chunk_id = 1;
	h.first_index = UINT64_MAX - 10;
	h.count = 10;
	h.form = PROTO_FORM_RANGE;
	assert_int_equal(proto_pack_work_begin(&b, &h), STATUS_OK);
	mpz_ui_pow_ui(x, 10, 60);
	mpz_set_ui(y, 2);
	assert_int_equal(proto_pack_work_range(&b, x, y), STATUS_OK);
	assert_int_equal(proto_read_work(&r, b.data, b.len, &h), STATUS_OK);
	assert_int_equal(h.form, PROTO_FORM_RANGE);
	assert_int_equal(proto_unpack_work_range(&r, y, x), STATUS_OK);
	assert_int_equal(mpz_cmp_ui(x, 2), 0);
	mpz_ui_pow_ui(x, 10, 60);
	assert_int_equal(mpz_cmp(x, y), 0);

	/* negative numbers cannot be packed */
	mpz_set_si(x, -5);
	assert_int_equal(proto_pack_work_number(&b, x), STATUS_ERR_PROTO);
	mpz_clears(x, y, NULL);
	proto_buf_clear(&b);
}

static void test_round_trip_result(void **state)
{
	struct proto_buf b;
	struct proto_result_header h;
	const unsigned char *block;

	(void)state;
	proto_buf_init(&b);
	build(PROTO_TAG_RESULT, &b);
	assert_int_equal(b.len,
			 PROTO_HEADER_BYTES + PROTO_RESULT_FIXED +
				 sizeof result_block - 1);
	assert_int_equal(proto_read_result(b.data, b.len, &h, &block),
			 STATUS_OK);
	assert_true(h.chunk_id == 77 && h.busy_ns == 123456789);
	assert_int_equal(h.count, 3);
	assert_int_equal(h.partial, 1);
	assert_int_equal(h.bad_index, PROTO_NO_BAD_INDEX);
	assert_int_equal(h.block_len, sizeof result_block - 1);
	assert_memory_equal(block, result_block, h.block_len);
	/* busy_ns where a leader or worker may read it without decoding */
	assert_int_equal(b.data[PROTO_RESULT_BUSY_OFFSET], 123456789 & 0xff);
	proto_buf_clear(&b);
}

static void put32(unsigned char *p, uint32_t v);

/* A worker whose own check failed: bad_index set, no block. */
static void test_round_trip_result_bad_index(void **state)
{
	struct proto_buf b;
	struct proto_result_header h = { .chunk_id = 5,
					 .count = 10,
					 .bad_index = 9 },
				   out;
	const unsigned char *block;

	(void)state;
	proto_buf_init(&b);
	assert_int_equal(proto_pack_result(&b, &h, NULL), STATUS_OK);
	assert_int_equal(proto_read_result(b.data, b.len, &out, &block),
			 STATUS_OK);
	assert_int_equal(out.bad_index, 9);
	assert_int_equal(out.block_len, 0);
	/* bad_index past the chunk, or with a block: refused both ways */
	h.bad_index = 10;
	assert_int_equal(proto_pack_result(&b, &h, NULL), STATUS_ERR_PROTO);
	h.bad_index = 0;
	h.block_len = 3;
	assert_int_equal(proto_pack_result(&b, &h, "1:\n"), STATUS_ERR_PROTO);
	h.block_len = 0;
	assert_int_equal(proto_pack_result(&b, &h, NULL), STATUS_OK);
	put32(b.data + PROTO_HEADER_BYTES + 24, 10);
	assert_int_equal(decode_full(PROTO_TAG_RESULT, b.data, b.len),
			 STATUS_ERR_PROTO);
	proto_buf_clear(&b);
}

static const int all_tags[] = { PROTO_TAG_CONFIG,    PROTO_TAG_REQUEST,
				PROTO_TAG_WORK,      PROTO_TAG_RESULT,
				PROTO_TAG_STOP,      PROTO_TAG_STATS,
				PROTO_TAG_ERROR,     PROTO_TAG_GROUP_STATS,
				PROTO_TAG_HEARTBEAT, PROTO_TAG_INPUT,
				PROTO_TAG_SHARE,     PROTO_TAG_JOIN,
				PROTO_TAG_RELS,      PROTO_TAG_LEAVE };
enum { N_TAGS = sizeof all_tags / sizeof all_tags[0] };

/* Every proper prefix of every valid message is rejected; the whole is ok. */
static void test_every_truncation_rejected(void **state)
{
	struct proto_buf b;

	(void)state;
	proto_buf_init(&b);
	for (size_t t = 0; t < N_TAGS; t++) {
		build(all_tags[t], &b);
		assert_int_equal(decode_full(all_tags[t], b.data, b.len),
				 STATUS_OK);
		for (size_t len = 0; len < b.len; len++)
			assert_int_equal(decode_full(all_tags[t], b.data, len),
					 STATUS_ERR_PROTO);
	}
	proto_buf_clear(&b);
}

/* One extra byte after a valid message is rejected. */
static void test_trailing_bytes_rejected(void **state)
{
	struct proto_buf b;
	unsigned char *copy;

	(void)state;
	proto_buf_init(&b);
	for (size_t t = 0; t < N_TAGS; t++) {
		build(all_tags[t], &b);
		copy = malloc(b.len + 1);
		assert_non_null(copy);
		memcpy(copy, b.data, b.len);
		copy[b.len] = 0;
		assert_int_equal(decode_full(all_tags[t], copy, b.len + 1),
				 STATUS_ERR_PROTO);
		free(copy);
	}
	proto_buf_clear(&b);
}

/* A message read under another tag than its own is rejected. */
static void test_wrong_tag_magic_version_rejected(void **state)
{
	struct proto_buf b;

	(void)state;
	proto_buf_init(&b);
	build(PROTO_TAG_STOP, &b);
	assert_int_equal(decode_full(PROTO_TAG_STATS, b.data, b.len),
			 STATUS_ERR_PROTO);
	b.data[0] ^= 1; /* magic */
	assert_int_equal(decode_full(PROTO_TAG_STOP, b.data, b.len),
			 STATUS_ERR_PROTO);
	b.data[0] ^= 1;
	b.data[4] = PROTO_VERSION -
		1; /* the previous version (items, not blocks) */
	assert_int_equal(decode_full(PROTO_TAG_STOP, b.data, b.len),
			 STATUS_ERR_PROTO);
	b.data[4] = PROTO_VERSION;
	assert_int_equal(decode_full(PROTO_TAG_STOP, b.data, b.len), STATUS_OK);
	assert_int_equal(decode_full(PROTO_TAG_STOP, NULL, 0),
			 STATUS_ERR_PROTO);
	proto_buf_clear(&b);
}

static void put32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

/* Counts above the caps in proto.h are refused on both sides. */
static void test_oversized_counts_rejected(void **state)
{
	struct proto_buf b;
	struct proto_work_header wh = { 1, 0, PROTO_MAX_CHUNK + 1u,
					PROTO_FORM_RANGE };
	struct proto_result_header rh = { 1, PROTO_MAX_CHUNK + 1u, 0,
					  0, PROTO_NO_BAD_INDEX,   0,
					  0 };
	struct proto_config c = { 1, 0, PROTO_MAX_CREDIT, 0, 0 };
	mpz_t big;

	(void)state;
	proto_buf_init(&b);
	assert_int_equal(proto_pack_work_begin(&b, &wh), STATUS_ERR_PROTO);
	wh.count = 0;
	assert_int_equal(proto_pack_work_begin(&b, &wh), STATUS_ERR_PROTO);
	assert_int_equal(proto_pack_result(&b, &rh, NULL), STATUS_ERR_PROTO);
	assert_int_equal(proto_pack_request(&b, 0), STATUS_ERR_PROTO);
	assert_int_equal(proto_pack_request(&b, PROTO_MAX_CREDIT + 1u),
			 STATUS_ERR_PROTO);
	assert_int_equal(proto_pack_config(&b, &c), STATUS_ERR_PROTO);
	assert_int_equal(proto_pack_stop(&b, 0), STATUS_ERR_PROTO);

	/* a number above PROTO_MAX_NUMBER_BYTES cannot be packed */
	mpz_init(big);
	mpz_setbit(big, 8u * PROTO_MAX_NUMBER_BYTES);
	wh.count = 1;
	wh.form = PROTO_FORM_LIST;
	assert_int_equal(proto_pack_work_begin(&b, &wh), STATUS_OK);
	assert_int_equal(proto_pack_work_number(&b, big), STATUS_ERR_PROTO);
	assert_int_equal(b.len, PROTO_HEADER_BYTES + 24);
	mpz_clear(big);

	/* unpack: WORK with count patched above the cap */
	build(PROTO_TAG_WORK, &b);
	put32(b.data + PROTO_HEADER_BYTES + 16, PROTO_MAX_CHUNK + 1u);
	assert_int_equal(decode_full(PROTO_TAG_WORK, b.data, b.len),
			 STATUS_ERR_PROTO);
	/* WORK with a count larger than the numbers present */
	build(PROTO_TAG_WORK, &b);
	put32(b.data + PROTO_HEADER_BYTES + 16, 4);
	assert_int_equal(decode_full(PROTO_TAG_WORK, b.data, b.len),
			 STATUS_ERR_PROTO);
	/* a number whose byte count claims more than the cap */
	build(PROTO_TAG_WORK, &b);
	put32(b.data + PROTO_HEADER_BYTES + 24, PROTO_MAX_NUMBER_BYTES + 1u);
	assert_int_equal(decode_full(PROTO_TAG_WORK, b.data, b.len),
			 STATUS_ERR_PROTO);
	/* RESULT whose count is above the cap, then above the block's bytes */
	build(PROTO_TAG_RESULT, &b);
	put32(b.data + PROTO_HEADER_BYTES + 8, PROTO_MAX_CHUNK + 1u);
	assert_int_equal(decode_full(PROTO_TAG_RESULT, b.data, b.len),
			 STATUS_ERR_PROTO);
	build(PROTO_TAG_RESULT, &b);
	put32(b.data + PROTO_HEADER_BYTES + 8, sizeof result_block);
	assert_int_equal(decode_full(PROTO_TAG_RESULT, b.data, b.len),
			 STATUS_ERR_PROTO);
	/* partial above count */
	build(PROTO_TAG_RESULT, &b);
	put32(b.data + PROTO_HEADER_BYTES + 12, 4);
	assert_int_equal(decode_full(PROTO_TAG_RESULT, b.data, b.len),
			 STATUS_ERR_PROTO);
	/* block_len one more, one less than the bytes present */
	build(PROTO_TAG_RESULT, &b);
	put32(b.data + PROTO_HEADER_BYTES + 28, sizeof result_block);
	assert_int_equal(decode_full(PROTO_TAG_RESULT, b.data, b.len),
			 STATUS_ERR_PROTO);
	build(PROTO_TAG_RESULT, &b);
	put32(b.data + PROTO_HEADER_BYTES + 28, sizeof result_block - 2);
	assert_int_equal(decode_full(PROTO_TAG_RESULT, b.data, b.len),
			 STATUS_ERR_PROTO);
	/* ERROR text length above the cap */
	build(PROTO_TAG_ERROR, &b);
	put32(b.data + PROTO_HEADER_BYTES + 4, PROTO_MAX_TEXT + 1u);
	assert_int_equal(decode_full(PROTO_TAG_ERROR, b.data, b.len),
			 STATUS_ERR_PROTO);
	/* CONFIG prefetch at the credit cap */
	build(PROTO_TAG_CONFIG, &b);
	put32(b.data + PROTO_HEADER_BYTES + 16, PROTO_MAX_CREDIT);
	assert_int_equal(decode_full(PROTO_TAG_CONFIG, b.data, b.len),
			 STATUS_ERR_PROTO);
	/* a message longer than PROTO_MAX_MSG is refused before parsing */
	build(PROTO_TAG_STOP, &b);
	{
		uint32_t reason;
		assert_int_equal(proto_read_stop(b.data,
						 (size_t)PROTO_MAX_MSG + 1,
						 &reason),
				 STATUS_ERR_PROTO);
	}
	proto_buf_clear(&b);
}

static void test_corrupted_work_rejected(void **state)
{
	struct proto_buf b;

	(void)state;
	proto_buf_init(&b);
	/* WORK padding not zero, form unknown */
	build(PROTO_TAG_WORK, &b);
	b.data[PROTO_HEADER_BYTES + 21] = 1;
	assert_int_equal(decode_full(PROTO_TAG_WORK, b.data, b.len),
			 STATUS_ERR_PROTO);
	build(PROTO_TAG_WORK, &b);
	b.data[PROTO_HEADER_BYTES + 20] = 3;
	assert_int_equal(decode_full(PROTO_TAG_WORK, b.data, b.len),
			 STATUS_ERR_PROTO);
	proto_buf_clear(&b);
}

/* Packing refuses a RESULT the codec could not read back. */
static void test_pack_refuses_bad_results(void **state)
{
	struct proto_buf b;
	struct proto_result_header h = { 1, 2, 3, 0, PROTO_NO_BAD_INDEX, 6, 0 };

	(void)state;
	proto_buf_init(&b);
	/* partial above count */
	assert_int_equal(proto_pack_result(&b, &h, "1:\n2:\n"),
			 STATUS_ERR_PROTO);
	h.partial = 0;
	assert_int_equal(proto_pack_result(&b, &h, "1:\n2:\n"), STATUS_OK);
	/* fewer block bytes than lines: not a block of count lines */
	h.block_len = 1;
	assert_int_equal(proto_pack_result(&b, &h, "\n"), STATUS_OK);
	assert_int_equal(decode_full(PROTO_TAG_RESULT, b.data, b.len),
			 STATUS_ERR_PROTO);
	proto_buf_clear(&b);
}

static uint64_t rng_state = 0x9e3779b97f4a7c15u;
static uint32_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 11);
}

/*
 * Garbage: random buffers (with a valid header half of the time) and valid
 * messages with random bytes flipped.  Must never crash; the decoder may
 * accept a mutation only when it is still a well-formed message.
 */
static void test_garbage_never_crashes(void **state)
{
	struct proto_buf b;
	unsigned char buf[512];
	size_t accepted = 0;

	(void)state;
	proto_buf_init(&b);
	for (int iter = 0; iter < 200000; iter++) {
		int tag = all_tags[rng() % N_TAGS];
		size_t len = rng() % sizeof buf;

		for (size_t i = 0; i < len; i++)
			buf[i] = (unsigned char)rng();
		if ((iter & 1) && len >= PROTO_HEADER_BYTES) {
			put32(buf, PROTO_MAGIC);
			buf[4] = PROTO_VERSION;
			buf[5] = 0;
			buf[6] = (unsigned char)(tag & 0xff);
			buf[7] = (unsigned char)(tag >> 8);
		}
		if (decode_full(tag, buf, len) == STATUS_OK)
			accepted++;

		build(tag, &b);
		for (int k = 1 + (int)(rng() % 3); k > 0; k--)
			b.data[rng() % b.len] ^=
				(unsigned char)(1u << (rng() % 8));
		(void)decode_full(tag, b.data, b.len);
	}
	/* random bytes are almost never a well-formed message */
	assert_true(accepted < 2000);
	proto_buf_clear(&b);
}

/* STATS host: PROTO_MAX_HOST bytes round-trip; a longer one or one with a
   NUL byte is rejected on the wire; proto_stats_host names this host. */
static void test_stats_host_limit(void **state)
{
	struct proto_buf b;
	struct proto_stats s, t;
	size_t at;

	(void)state;
	proto_buf_init(&b);
	memset(&s, 0, sizeof s);
	memset(s.host, 'h', PROTO_MAX_HOST);
	assert_int_equal(proto_pack_stats(&b, &s), STATUS_OK);
	assert_int_equal(b.len, PROTO_HEADER_BYTES + 64 + 4 + PROTO_MAX_HOST);
	assert_int_equal(proto_read_stats(b.data, b.len, &t), STATUS_OK);
	assert_memory_equal(&s, &t, sizeof s);
	/* the same message claiming one more byte, with one more byte */
	at = PROTO_HEADER_BYTES + 64;
	b.data[at] = (unsigned char)(PROTO_MAX_HOST + 1);
	b.data[at + 1] = (unsigned char)((PROTO_MAX_HOST + 1) >> 8);
	b.data[b.len] = 'h'; /* cap >= len + 1: 256-byte steps */
	assert_int_equal(proto_read_stats(b.data, b.len + 1, &t),
			 STATUS_ERR_PROTO);
	/* a NUL inside the host */
	assert_int_equal(proto_pack_stats(&b, &s), STATUS_OK);
	b.data[at + 4 + 7] = 0;
	assert_int_equal(proto_read_stats(b.data, b.len, &t), STATUS_ERR_PROTO);
	proto_stats_host(&s);
	assert_true(strlen(s.host) > 0 && strlen(s.host) <= PROTO_MAX_HOST);
	proto_buf_clear(&b);
}

/* GROUP_STATS: rank, wrong and the whole STATS body survive; the body is
   byte for byte a STATS body (the leader relays what its member sent). */
static void test_round_trip_group_stats(void **state)
{
	struct proto_buf b, st;
	struct proto_group_stats in = { 4097,
					6,
					{ 10, 20, 30, 40, 50, 60, 70,
					  UINT64_MAX - 1, "node3" } },
				 out;

	(void)state;
	proto_buf_init(&b);
	proto_buf_init(&st);
	assert_int_equal(proto_pack_group_stats(&b, &in), STATUS_OK);
	assert_int_equal(b.len, PROTO_HEADER_BYTES + 8 + 64 + 4 + 5);
	assert_int_equal(proto_pack_stats(&st, &in.s), STATUS_OK);
	assert_memory_equal(b.data + PROTO_HEADER_BYTES + 8,
			    st.data + PROTO_HEADER_BYTES, 64 + 4 + 5);
	/* not a STATS message: the tag says GROUP_STATS */
	assert_int_equal(proto_read_stats(b.data, b.len, &out.s),
			 STATUS_ERR_PROTO);
	memset(&out, 0, sizeof out);
	assert_int_equal(proto_read_group_stats(b.data, b.len, &out),
			 STATUS_OK);
	assert_int_equal(out.rank, 4097);
	assert_int_equal(out.wrong, 6);
	assert_memory_equal(&out.s, &in.s, sizeof in.s);
	proto_buf_clear(&b);
	proto_buf_clear(&st);
}

/* The bytes one packed item takes. */
/*
 * The most bytes r takes in a chunk: its output line in every format
 * (text, -h, JSON, CSV, --verbose with the widest rank and seconds) and
 * its n as a LIST number of a WORK.
 */
static size_t item_bytes(const struct engine_result *r)
{
	static const int formats[] = { CLI_FORMAT_TEXT, CLI_FORMAT_JSON,
				       CLI_FORMAT_CSV };
	struct output_meta meta = { .rank = INT32_MAX, .seconds = 1e9 };
	struct proto_buf b;
	char *line = NULL;
	size_t cap = 0, most;
	mpz_t n;

	mpz_init_set_ui(n, 1);
	for (size_t i = 0; i < r->count; i++) {
		for (unsigned long e = 0; e < r->f[i].e; e++)
			mpz_mul(n, n, r->f[i].p);
	}
	proto_buf_init(&b);
	assert_int_equal(proto_pack_work_number(&b, n), STATUS_OK);
	most = b.len;
	for (size_t k = 0; k < 3; k++) {
		for (int x = 0; x < 4; x++) {
			long len = output_format(&line, &cap, formats[k], x & 1,
						 x >> 1, n, r, &meta);
			assert_true(len > 0);
			if ((size_t)len > most)
				most = (size_t)len;
		}
	}
	free(line);
	proto_buf_clear(&b);
	mpz_clear(n);
	return most;
}

/*
 * proto_item_bound (the master cuts chunks of large numbers with it) is
 * an upper bound on every item shape: the most distinct factors a number
 * of its size can have (primorials up to PROTO_MAX_FACTORS primes), one
 * large prime, a prime power, a partial result with a large cofactor;
 * and a WORK number.  Any single item fits PROTO_MAX_CHUNK_BYTES.
 */
static void test_item_bound(void **state)
{
	struct engine_result r;
	mpz_t n, p;
	struct proto_buf b;
	size_t sizes[] = { 1, 2, 10, 100, 1000, PROTO_MAX_FACTORS };

	(void)state;
	engine_result_init(&r);
	mpz_inits(n, p, NULL);
	for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
		engine_result_reset(&r);
		mpz_set_ui(n, 1);
		mpz_set_ui(p, 1);
		for (size_t i = 0; i < sizes[k]; i++) {
			mpz_nextprime(p, p);
			mpz_mul(n, n, p);
			assert_int_equal(
				engine_result_add(&r, p, 1, ENGINE_PRIME),
				STATUS_OK);
		}
		assert_true(item_bytes(&r) <=
			    proto_item_bound(mpz_sizeinbase(n, 2)));
	}
	/* one prime of 2000 bits (a 20000-bit nextprime takes minutes); 2^100000;
	   3 * a composite of 50000 bits */
	engine_result_reset(&r);
	mpz_setbit(p, 2000);
	mpz_nextprime(p, p);
	assert_int_equal(engine_result_add(&r, p, 1, ENGINE_PRIME), STATUS_OK);
	assert_true(item_bytes(&r) <= proto_item_bound(mpz_sizeinbase(p, 2)));
	engine_result_reset(&r);
	mpz_set_ui(p, 2);
	assert_int_equal(engine_result_add(&r, p, 100000, ENGINE_PRIME),
			 STATUS_OK);
	assert_true(item_bytes(&r) <= proto_item_bound(100001));
	engine_result_reset(&r);
	mpz_set_ui(p, 3);
	assert_int_equal(engine_result_add(&r, p, 1, ENGINE_PRIME), STATUS_OK);
	mpz_set_ui(n, 0);
	mpz_setbit(n, 50000);
	mpz_add_ui(n, n, 1);
	assert_int_equal(engine_result_add(&r, n, 1, ENGINE_COMPOSITE),
			 STATUS_OK);
	r.status = STATUS_PARTIAL;
	mpz_mul_ui(n, n, 3);
	assert_true(item_bytes(&r) <= proto_item_bound(mpz_sizeinbase(n, 2)));
	/* a WORK number of the largest size, and one item of it, fit */
	proto_buf_init(&b);
	mpz_set_ui(n, 0);
	mpz_setbit(n, 8u * PROTO_MAX_NUMBER_BYTES - 1);
	assert_int_equal(proto_pack_work_number(&b, n), STATUS_OK);
	assert_true(b.len <= proto_item_bound(8u * PROTO_MAX_NUMBER_BYTES));
	assert_true(proto_item_bound(8u * PROTO_MAX_NUMBER_BYTES) <
		    PROTO_MAX_CHUNK_BYTES);
	proto_buf_clear(&b);
	mpz_clears(n, p, NULL);
	engine_result_clear(&r);
}

/*
 * WORK in BYTES form and INPUT round-trip; the limits: count must be 1,
 * the range non-empty and inside the size, PROTO_MAX_TOKEN bytes of token
 * and PROTO_MAX_BAD_TOKENS tokens (one more refused); a RESULT of count 0
 * (a range without numbers) has an empty block.
 */
/* proto.h 3b: FILE, HELD, OFFSET and WRITTEN round trips and refusals. */
static void test_workers_write(void **state)
{
	struct proto_buf b;
	struct proto_reader r;
	struct proto_result_header
		h = { 5, 3, 0, 77, PROTO_NO_BAD_INDEX, 30, 0xdeadbeefu },
		hh;
	struct proto_place p = { 5, 1000, 30 }, pp;
	char path[PROTO_MAX_PATH + 2];
	const unsigned char *line;
	uint32_t n, idx, len;

	(void)state;
	proto_buf_init(&b);
	assert_int_equal(proto_pack_file(&b, "/tmp/out.x"), STATUS_OK);
	assert_int_equal(proto_read_file(b.data, b.len, path, sizeof path),
			 STATUS_OK);
	assert_string_equal(path, "/tmp/out.x");
	/* at the cap, past it, empty */
	memset(path, 'a', PROTO_MAX_PATH + 1);
	path[PROTO_MAX_PATH] = '\0';
	assert_int_equal(proto_pack_file(&b, path), STATUS_OK);
	path[PROTO_MAX_PATH + 1] = '\0';
	path[PROTO_MAX_PATH] = 'a';
	assert_int_equal(proto_pack_file(&b, path), STATUS_ERR_PROTO);
	assert_int_equal(proto_pack_file(&b, ""), STATUS_ERR_PROTO);

	assert_int_equal(proto_pack_held_begin(&b, &h, 2), STATUS_OK);
	assert_int_equal(proto_pack_held_line(&b, 0, "4: 2 2\n", 7), STATUS_OK);
	assert_int_equal(proto_pack_held_line(&b, 2, "6: 2 3\n", 7), STATUS_OK);
	assert_int_equal(proto_read_held(&r, b.data, b.len, &hh, &n),
			 STATUS_OK);
	assert_true(hh.chunk_id == 5 && hh.count == 3 && hh.block_len == 30 &&
		    hh.block_crc == 0xdeadbeefu && n == 2);
	assert_int_equal(proto_unpack_held_line(&r, &idx, &line, &len),
			 STATUS_OK);
	assert_true(idx == 0 && len == 7 && memcmp(line, "4: 2 2\n", 7) == 0);
	assert_int_equal(proto_unpack_held_line(&r, &idx, &line, &len),
			 STATUS_OK);
	assert_int_equal(idx, 2);
	assert_int_equal(proto_reader_end(&r), STATUS_OK);
	/* a cut line, more samples than numbers, a failed chunk that keeps
	   a block */
	b.len--;
	assert_int_equal(proto_read_held(&r, b.data, b.len, &hh, &n),
			 STATUS_OK);
	assert_int_equal(proto_unpack_held_line(&r, &idx, &line, &len),
			 STATUS_OK);
	assert_int_equal(proto_unpack_held_line(&r, &idx, &line, &len),
			 STATUS_ERR_PROTO);
	assert_int_equal(proto_pack_held_begin(&b, &h, 4), STATUS_ERR_PROTO);
	h.bad_index = 1;
	assert_int_equal(proto_pack_held_begin(&b, &h, 0), STATUS_ERR_PROTO);
	h.block_len = 0;
	/* a failed chunk keeps nothing, so it has no CRC either */
	assert_int_equal(proto_pack_held_begin(&b, &h, 0), STATUS_ERR_PROTO);
	h.block_crc = 0;
	assert_int_equal(proto_pack_held_begin(&b, &h, 0), STATUS_OK);
	b.data[PROTO_HEADER_BYTES + PROTO_RESULT_FIXED] = 1; /* its CRC */
	assert_int_equal(proto_read_held(&r, b.data, b.len, &hh, &n),
			 STATUS_ERR_PROTO);

	assert_int_equal(proto_pack_place(&b, PROTO_TAG_OFFSET, &p), STATUS_OK);
	assert_int_equal(proto_read_place(b.data, b.len, PROTO_TAG_OFFSET, &pp),
			 STATUS_OK);
	assert_true(pp.chunk_id == 5 && pp.offset == 1000 && pp.length == 30);
	assert_int_equal(proto_pack_place(&b, PROTO_TAG_RESULT, &p),
			 STATUS_ERR_PROTO);
	/* a block that would end past 2^64 */
	p.offset = UINT64_MAX - 10;
	assert_int_equal(proto_pack_place(&b, PROTO_TAG_WRITTEN, &p),
			 STATUS_OK);
	assert_int_equal(
		proto_read_place(b.data, b.len, PROTO_TAG_WRITTEN, &pp),
		STATUS_ERR_PROTO);
	proto_buf_clear(&b);
}

static void test_bytes_and_input(void **state)
{
	struct proto_buf b;
	struct proto_reader r;
	struct proto_work_header h = { 7, 3, 1, PROTO_FORM_BYTES }, hh;
	struct proto_bytes y = { 10, 5, 15 }, yy;
	struct proto_bad t, tt;
	struct proto_result_header rh = { .chunk_id = 7,
					  .bad_index = PROTO_NO_BAD_INDEX };
	const unsigned char *block;
	uint64_t id, nl;
	uint32_t n;

	(void)state;
	proto_buf_init(&b);
	assert_int_equal(proto_pack_work_begin(&b, &h), STATUS_OK);
	assert_int_equal(proto_pack_work_bytes(&b, &y), STATUS_OK);
	assert_int_equal(proto_read_work(&r, b.data, b.len, &hh), STATUS_OK);
	assert_int_equal(hh.form, PROTO_FORM_BYTES);
	assert_int_equal(proto_unpack_work_bytes(&r, &yy), STATUS_OK);
	assert_true(yy.offset == 10 && yy.length == 5 && yy.size == 15);
	/* past the size, empty, count 2 */
	y.length = 6;
	assert_int_equal(proto_pack_work_begin(&b, &h), STATUS_OK);
	assert_int_equal(proto_pack_work_bytes(&b, &y), STATUS_ERR_PROTO);
	y.length = 0;
	assert_int_equal(proto_pack_work_bytes(&b, &y), STATUS_ERR_PROTO);
	h.count = 2;
	assert_int_equal(proto_pack_work_begin(&b, &h), STATUS_ERR_PROTO);

	/* a token of PROTO_MAX_TOKEN bytes passes, the cap on tokens */
	memset(t.token, 'x', PROTO_MAX_TOKEN);
	t.token[PROTO_MAX_TOKEN] = '\0';
	t.line = 3;
	t.reason = PROTO_BAD_SYNTAX;
	assert_int_equal(proto_pack_input_begin(&b, 7, 2, 1), STATUS_OK);
	assert_int_equal(proto_pack_input_bad(&b, &t), STATUS_OK);
	assert_int_equal(proto_read_input(&r, b.data, b.len, &id, &nl, &n),
			 STATUS_OK);
	assert_true(id == 7 && nl == 2 && n == 1);
	assert_int_equal(proto_unpack_input_bad(&r, &tt), STATUS_OK);
	assert_string_equal(tt.token, t.token);
	assert_int_equal(tt.line, 3);
	assert_int_equal(proto_reader_end(&r), STATUS_OK);
	assert_int_equal(proto_pack_input_begin(&b, 7, 2, PROTO_MAX_BAD_TOKENS),
			 STATUS_OK);
	assert_int_equal(
		proto_pack_input_begin(&b, 7, 2, PROTO_MAX_BAD_TOKENS + 1),
		STATUS_ERR_PROTO);
	t.reason = 3;
	assert_int_equal(proto_pack_input_bad(&b, &t), STATUS_ERR_PROTO);
	/* line 0 is refused on the way in */
	t.reason = PROTO_BAD_LONG;
	t.line = 0;
	assert_int_equal(proto_pack_input_begin(&b, 7, 2, 1), STATUS_OK);
	assert_int_equal(proto_pack_input_bad(&b, &t), STATUS_OK);
	assert_int_equal(decode_full(PROTO_TAG_INPUT, b.data, b.len),
			 STATUS_ERR_PROTO);

	/* RESULT count 0: an empty block only */
	assert_int_equal(proto_pack_result(&b, &rh, NULL), STATUS_OK);
	assert_int_equal(proto_read_result(b.data, b.len, &rh, &block),
			 STATUS_OK);
	assert_int_equal(rh.count, 0);
	rh.bad_index = 0;
	assert_int_equal(proto_pack_result(&b, &rh, NULL), STATUS_ERR_PROTO);
	proto_buf_clear(&b);
}

/*
 * Shared numbers (proto.h 12-15): round trips, and the limits: a number
 * of PROTO_MAX_SHARE_BYTES passes and one byte more does not, a RELS of
 * PROTO_MAX_RELS_BYTES passes and one more or none does not; JOIN needs
 * an owner and a helper; a closed SHARE carries no number.
 */
static void test_shared_numbers(void **state)
{
	struct proto_buf b;
	struct proto_share sh = { 5, 1, 0, 0 }, got;
	static unsigned char big[PROTO_MAX_RELS_BYTES + 1];
	const unsigned char *batch;
	uint64_t id;
	uint32_t helper, bl;
	mpz_t n, m;

	(void)state;
	proto_buf_init(&b);
	mpz_inits(n, m, NULL);
	mpz_ui_pow_ui(n, 2, 8 * PROTO_MAX_SHARE_BYTES);
	mpz_sub_ui(n, n, 1);
	assert_int_equal(proto_pack_share(&b, &sh, n), STATUS_OK);
	assert_int_equal(proto_read_share(b.data, b.len, &got, m), STATUS_OK);
	assert_true(got.share_id == 5 && got.open == 1 && mpz_cmp(n, m) == 0);
	mpz_add_ui(n, n, 1);
	assert_int_equal(proto_pack_share(&b, &sh, n), STATUS_ERR_PROTO);
	sh.open = 0;
	assert_int_equal(proto_pack_share(&b, &sh, n), STATUS_ERR_PROTO);
	mpz_set_ui(n, 0);
	assert_int_equal(proto_pack_share(&b, &sh, n), STATUS_OK);
	assert_int_equal(proto_read_share(b.data, b.len, &got, m), STATUS_OK);
	assert_true(got.open == 0 && mpz_sgn(m) == 0);
	/* JOIN */
	mpz_set_str(n, "1000000000000000000000000000057", 10);
	sh.open = 1;
	sh.owner = 2;
	sh.helper = 0;
	assert_int_equal(proto_pack_join(&b, &sh, n), STATUS_ERR_PROTO);
	sh.helper = 3;
	assert_int_equal(proto_pack_join(&b, &sh, n), STATUS_OK);
	assert_int_equal(proto_read_join(b.data, b.len, &got, m), STATUS_OK);
	assert_true(got.owner == 2 && got.helper == 3 && mpz_cmp(n, m) == 0);
	sh.owner = 0;
	assert_int_equal(proto_pack_join(&b, &sh, n), STATUS_ERR_PROTO);
	/* RELS */
	big[0] = 42;
	assert_int_equal(proto_pack_rels(&b, 9, 1, big, PROTO_MAX_RELS_BYTES),
			 STATUS_OK);
	assert_int_equal(
		proto_read_rels(b.data, b.len, &id, &helper, &batch, &bl),
		STATUS_OK);
	assert_true(id == 9 && helper == 1 && bl == PROTO_MAX_RELS_BYTES &&
		    batch[0] == 42);
	assert_int_equal(
		proto_pack_rels(&b, 9, 1, big, PROTO_MAX_RELS_BYTES + 1),
		STATUS_ERR_PROTO);
	assert_int_equal(proto_pack_rels(&b, 9, 1, big, 0), STATUS_ERR_PROTO);
	/* LEAVE */
	assert_int_equal(proto_pack_leave(&b, UINT64_MAX), STATUS_OK);
	assert_int_equal(proto_read_leave(b.data, b.len, &id), STATUS_OK);
	assert_true(id == UINT64_MAX);
	assert_int_equal(proto_read_leave(b.data, b.len, &id), STATUS_OK);
	assert_string_equal(proto_tag_name(PROTO_TAG_RELS), "RELS");
	mpz_clears(n, m, NULL);
	proto_buf_clear(&b);
}

static void test_tag_names(void **state)
{
	(void)state;
	assert_string_equal(proto_tag_name(PROTO_TAG_INPUT), "INPUT");
	assert_string_equal(proto_tag_name(PROTO_TAG_GROUP_STATS),
			    "GROUP_STATS");
	assert_string_equal(proto_tag_name(PROTO_TAG_WORK), "WORK");
	assert_string_equal(proto_tag_name(PROTO_TAG_HEARTBEAT), "HEARTBEAT");
	assert_string_equal(proto_tag_name(PROTO_TAG_ERROR), "ERROR");
	assert_string_equal(proto_tag_name(PROTO_TAG_BASE), "unknown");
	assert_string_equal(proto_tag_name(-1), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_config),
		cmocka_unit_test(test_round_trip_small_messages),
		cmocka_unit_test(test_round_trip_work_list_and_range),
		cmocka_unit_test(test_round_trip_result),
		cmocka_unit_test(test_round_trip_result_bad_index),
		cmocka_unit_test(test_every_truncation_rejected),
		cmocka_unit_test(test_trailing_bytes_rejected),
		cmocka_unit_test(test_wrong_tag_magic_version_rejected),
		cmocka_unit_test(test_oversized_counts_rejected),
		cmocka_unit_test(test_corrupted_work_rejected),
		cmocka_unit_test(test_pack_refuses_bad_results),
		cmocka_unit_test(test_garbage_never_crashes),
		cmocka_unit_test(test_round_trip_group_stats),
		cmocka_unit_test(test_stats_host_limit),
		cmocka_unit_test(test_item_bound),
		cmocka_unit_test(test_bytes_and_input),
		cmocka_unit_test(test_tag_names),
		cmocka_unit_test(test_workers_write),
		cmocka_unit_test(test_shared_numbers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
