/*
 * test_worker.c - the worker loop (worker.c) over a scripted transport
 * (-Wl,--wrap of transport_*, see the Makefile): the master's messages
 * are a script, the worker's replies are recorded and decoded.
 *
 * Scenarios: the normal conversation (CONFIG, REQUEST with 1 + prefetch,
 * RANGE and LIST chunks answered with verified RESULTs, STOP, STATS);
 * a malformed WORK answered with ERROR, after which only STOP matters;
 * a CONFIG of another protocol version; STOP before CONFIG; a planted
 * wrong result that engine_verify catches; with --group-size, a member
 * that talks to its group leader, never to rank 0 (regression: the stop
 * poll once hard-coded rank 0).  Workers writing the output (proto.h 3b,
 * fake_file.c): blocks held and written in the order of the OFFSETs (2,
 * 0, 1), byte-identical to the byte path's blocks; a dropped block never
 * written and not answered; OFFSETs for a chunk never issued, with a
 * length that disagrees with the block, or for a block already written:
 * ERROR naming the chunk, nothing written.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "cli.h"
#include "output.h"
#include "journal.h"
#include "proto.h"
#include "status.h"
#include "transport.h"
#include "worker.h"

enum { MAX_MSGS = 64 };

struct rec {
	int tag;
	struct proto_buf buf;
	/* an OFFSET built when delivered, from the HELDs sent by then:
	   chunk place_chunk at the sum of the lengths of the held chunks
	   with smaller ids, or PROTO_OFFSET_DROP (place_drop) */
	int place_auto, place_drop;
	uint64_t place_chunk;
};

static struct {
	struct rec in[MAX_MSGS]; /* script: master -> worker */
	int n_in, next_in;
	struct rec out[MAX_MSGS]; /* worker -> master */
	int n_out;
	int raises;     /* later REQUESTs (adaptive prefetch) */
	int rank, size; /* what transport_rank/size answer */
	int parent;     /* the only rank the worker may talk to */
	int probes;     /* transport_probe calls */
} S;

static void copy_buf(struct proto_buf *dst, const struct proto_buf *src)
{
	proto_buf_init(dst);
	dst->data = malloc(src->len ? src->len : 1);
	assert_non_null(dst->data);
	if (src->len > 0) /* an OFFSET built later has no bytes yet */
		memcpy(dst->data, src->data, src->len);
	dst->len = dst->cap = src->len;
}

static void script(int tag, const struct proto_buf *b)
{
	assert_true(S.n_in < MAX_MSGS);
	S.in[S.n_in].tag = tag;
	copy_buf(&S.in[S.n_in].buf, b);
	S.n_in++;
}

static void reset(void)
{
	for (int i = 0; i < S.n_in; i++)
		proto_buf_clear(&S.in[i].buf);
	for (int i = 0; i < S.n_out; i++)
		proto_buf_clear(&S.out[i].buf);
	memset(&S, 0, sizeof S);
	S.rank = 1;
	S.size = 2;
	S.parent = 0;
}

int __wrap_transport_rank(void);
int __wrap_transport_rank(void)
{
	return S.rank;
}

int __wrap_transport_size(void);
int __wrap_transport_size(void)
{
	return S.size;
}

void transport_msg_init(struct transport_msg *m)
{
	proto_buf_init(&m->buf);
	m->source = m->tag = -1;
}

void transport_msg_clear(struct transport_msg *m)
{
	if (m != NULL)
		proto_buf_clear(&m->buf);
}

int __wrap_transport_send(int dest, int tag, struct proto_buf *b, char *err,
			  size_t err_size);
int __wrap_transport_send(int dest, int tag, struct proto_buf *b, char *err,
			  size_t err_size)
{
	(void)err;
	(void)err_size;
	assert_int_equal(dest, S.parent);
	if (tag == PROTO_TAG_REQUEST && S.n_out > 0) {
		/* adaptive prefetch may raise the credit at any time (timing
		   dependent): counted, not part of the scripted replies */
		S.raises++;
		proto_buf_reset(b);
		return STATUS_OK;
	}
	assert_true(S.n_out < MAX_MSGS);
	S.out[S.n_out].tag = tag;
	copy_buf(&S.out[S.n_out].buf, b);
	S.n_out++;
	proto_buf_reset(b);
	return STATUS_OK;
}

/* The HELD of chunk id sent so far into *h; 0 when there is none. */
static int held_header(uint64_t id, struct proto_result_header *h)
{
	struct proto_reader r;
	uint32_t n;

	for (int k = 0; k < S.n_out; k++) {
		if (S.out[k].tag != PROTO_TAG_HELD)
			continue;
		assert_int_equal(proto_read_held(&r, S.out[k].buf.data,
						 S.out[k].buf.len, h, &n),
				 STATUS_OK);
		if (h->chunk_id == id)
			return 1;
	}
	return 0;
}

/* The block length of the HELD chunk id sent so far, or -1. */
static long held_len(uint64_t id)
{
	struct proto_result_header h;

	return held_header(id, &h) ? (long)h.block_len : -1;
}

static void pack_auto_place(struct rec *q)
{
	struct proto_place pl = { q->place_chunk, 0, 0 };
	long len = held_len(q->place_chunk);

	assert_true(len >= 0); /* the script places only held chunks */
	for (uint64_t id = 0; id < q->place_chunk; id++)
		if (held_len(id) >= 0)
			pl.offset += (uint64_t)held_len(id);
	pl.length = (uint64_t)len;
	if (q->place_drop)
		pl.offset = PROTO_OFFSET_DROP;
	proto_buf_clear(&q->buf);
	proto_buf_init(&q->buf);
	assert_int_equal(proto_pack_place(&q->buf, PROTO_TAG_OFFSET, &pl),
			 STATUS_OK);
	q->place_auto = 0;
}

int __wrap_transport_wait(struct transport_msg *m, int source, int tag,
			  double timeout_s, char *err, size_t err_size);
int __wrap_transport_wait(struct transport_msg *m, int source, int tag,
			  double timeout_s, char *err, size_t err_size)
{
	(void)tag;
	(void)timeout_s;
	assert_int_equal(source, S.parent);
	if (S.next_in >= S.n_in) {
		/* the worker waits for more than the script holds: a hang */
		snprintf(err, err_size, "script exhausted");
		fail_msg("worker waits after the end of the script");
	}
	proto_buf_clear(&m->buf);
	if (S.in[S.next_in].place_auto)
		pack_auto_place(&S.in[S.next_in]);
	copy_buf(&m->buf, &S.in[S.next_in].buf);
	m->tag = S.in[S.next_in].tag;
	m->source = S.parent;
	S.next_in++;
	return STATUS_OK;
}

/* coop.c's RELS poll (shares are off at the sizes scripted here) */
int __wrap_transport_poll(struct transport_msg *m, int source, int tag,
			  int *got, char *err, size_t err_size);
int __wrap_transport_poll(struct transport_msg *m, int source, int tag,
			  int *got, char *err, size_t err_size)
{
	(void)m;
	(void)source;
	(void)tag;
	(void)err;
	(void)err_size;
	*got = 0;
	return STATUS_OK;
}

int __wrap_transport_probe(int source, int tag);
int __wrap_transport_probe(int source, int tag)
{
	(void)tag;
	assert_int_equal(source, S.parent);
	S.probes++;
	return 0;
}

void __wrap_transport_counters(struct transport_counters *c);
void __wrap_transport_counters(struct transport_counters *c)
{
	memset(c, 0, sizeof *c);
	c->msgs_recv = (uint64_t)S.next_in;
}

/* ---- script builders ---- */

static void add_config(uint32_t prefetch, uint32_t faults, int version)
{
	struct proto_buf b;
	struct proto_config c = { 1, 0, prefetch, faults, 1 << 12 };

	proto_buf_init(&b);
	assert_int_equal(proto_pack_config(&b, &c), STATUS_OK);
	b.data[4] = (unsigned char)version;
	script(PROTO_TAG_CONFIG, &b);
	proto_buf_clear(&b);
}

static void add_range(uint64_t id, const char *start, unsigned long step,
		      uint32_t count)
{
	struct proto_buf b;
	struct proto_work_header h = { id, id * 100, count, PROTO_FORM_RANGE };
	mpz_t s, k;

	proto_buf_init(&b);
	mpz_init_set_str(s, start, 10);
	mpz_init_set_ui(k, step);
	assert_int_equal(proto_pack_work_begin(&b, &h), STATUS_OK);
	assert_int_equal(proto_pack_work_range(&b, s, k), STATUS_OK);
	script(PROTO_TAG_WORK, &b);
	mpz_clears(s, k, NULL);
	proto_buf_clear(&b);
}

static void add_list(uint64_t id, const char *const *nums, uint32_t count,
		     size_t cut)
{
	struct proto_buf b;
	struct proto_work_header h = { id, 0, count, PROTO_FORM_LIST };
	mpz_t n;

	proto_buf_init(&b);
	mpz_init(n);
	assert_int_equal(proto_pack_work_begin(&b, &h), STATUS_OK);
	for (uint32_t i = 0; i < count; i++) {
		mpz_set_str(n, nums[i], 10);
		assert_int_equal(proto_pack_work_number(&b, n), STATUS_OK);
	}
	b.len -= cut; /* cut > 0 plants a truncated message */
	script(PROTO_TAG_WORK, &b);
	mpz_clear(n);
	proto_buf_clear(&b);
}

static void add_file(const char *path)
{
	struct proto_buf b;

	proto_buf_init(&b);
	assert_int_equal(proto_pack_file(&b, path), STATUS_OK);
	script(PROTO_TAG_FILE, &b);
	proto_buf_clear(&b);
}

/* OFFSET for chunk id, built when delivered (struct rec); drop: DROP. */
static void add_place_auto(uint64_t id, int drop)
{
	struct proto_buf b;

	proto_buf_init(&b);
	script(PROTO_TAG_OFFSET, &b);
	S.in[S.n_in - 1].place_auto = 1;
	S.in[S.n_in - 1].place_drop = drop;
	S.in[S.n_in - 1].place_chunk = id;
}

/* OFFSET as given, whatever the worker holds. */
static void add_place(uint64_t id, uint64_t offset, uint64_t length)
{
	struct proto_buf b;
	struct proto_place pl = { id, offset, length };

	proto_buf_init(&b);
	assert_int_equal(proto_pack_place(&b, PROTO_TAG_OFFSET, &pl),
			 STATUS_OK);
	script(PROTO_TAG_OFFSET, &b);
	proto_buf_clear(&b);
}

static void add_stop(uint32_t reason)
{
	struct proto_buf b;

	proto_buf_init(&b);
	assert_int_equal(proto_pack_stop(&b, reason), STATUS_OK);
	script(PROTO_TAG_STOP, &b);
	proto_buf_clear(&b);
}

/*
 * Decode RESULT out[k]: chunk id, exactly count text lines, each parsed
 * back and verified against its n; returns the number of wrong lines.
 */
static int check_result(int k, uint64_t id, const char *const *nums,
			uint32_t count, const char *start, unsigned long step)
{
	struct proto_result_header h;
	struct engine_result res;
	struct output_meta meta;
	const unsigned char *block, *p, *end, *nl;
	mpz_t n, got;
	int bad = 0;

	assert_int_equal(S.out[k].tag, PROTO_TAG_RESULT);
	assert_int_equal(proto_read_result(S.out[k].buf.data, S.out[k].buf.len,
					   &h, &block),
			 STATUS_OK);
	assert_true(h.chunk_id == id);
	assert_int_equal(h.count, count);
	assert_int_equal(h.bad_index, PROTO_NO_BAD_INDEX);
	engine_result_init(&res);
	mpz_inits(n, got, NULL);
	if (start != NULL)
		mpz_set_str(n, start, 10);
	p = block;
	end = block + h.block_len;
	for (uint32_t i = 0; i < count; i++) {
		if (start == NULL)
			mpz_set_str(n, nums[i], 10);
		else if (i > 0)
			mpz_add_ui(n, n, step);
		nl = memchr(p, '\n', (size_t)(end - p));
		assert_non_null(nl);
		if (output_parse((const char *)p, (size_t)(nl - p) + 1,
				 CLI_FORMAT_TEXT, 0, 0, got, &res,
				 &meta) != STATUS_OK ||
		    mpz_cmp(got, n) != 0 || engine_verify(&res, n) != STATUS_OK)
			bad++;
		p = nl + 1;
	}
	assert_true(p == end); /* no line more */
	mpz_clears(n, got, NULL);
	engine_result_clear(&res);
	return bad;
}

static struct options opts;

static int setup(void **state)
{
	(void)state;
	cli_options_init(&opts);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	cli_options_clear(&opts);
	reset();
	return 0;
}

static const char *const list[] = {
	"0",
	"1",
	"12",
	"18446744073709551557",
	"18414358231717282323655036848563253347", /* 1000000007 * 998244353 * (2^64 - 59) */
	"1267650600228229401496703205653" /* 2^100 + 277 */
};

/*
 * The --verify rule shared by rank 0 and the leaders: 12 = 2^2 3 passes
 * every mode; 12 = 4 3 with 4 claimed prime passes only the product
 * check; 12 = 2 3 fails both real checks; none accepts anything.
 */
static void test_verify_modes(void **state)
{
	struct engine_result good, fake_prime, wrong;
	mpz_t n, p;

	(void)state;
	mpz_init_set_ui(n, 12);
	mpz_init(p);
	engine_result_init(&good);
	engine_result_init(&fake_prime);
	engine_result_init(&wrong);
	mpz_set_ui(p, 2);
	assert_int_equal(engine_result_add(&good, p, 2, ENGINE_PRIME),
			 STATUS_OK);
	assert_int_equal(engine_result_add(&wrong, p, 1, ENGINE_PRIME),
			 STATUS_OK);
	mpz_set_ui(p, 3);
	assert_int_equal(engine_result_add(&good, p, 1, ENGINE_PRIME),
			 STATUS_OK);
	assert_int_equal(engine_result_add(&wrong, p, 1, ENGINE_PRIME),
			 STATUS_OK);
	assert_int_equal(engine_result_add(&fake_prime, p, 1, ENGINE_PRIME),
			 STATUS_OK);
	mpz_set_ui(p, 4);
	assert_int_equal(engine_result_add(&fake_prime, p, 1, ENGINE_PRIME),
			 STATUS_OK);
	assert_int_equal(worker_verify(CLI_VERIFY_FULL, &good, n), STATUS_OK);
	assert_int_equal(worker_verify(CLI_VERIFY_PRODUCT, &good, n),
			 STATUS_OK);
	assert_int_equal(worker_verify(CLI_VERIFY_FULL, &fake_prime, n),
			 STATUS_ERR_VERIFY);
	assert_int_equal(worker_verify(CLI_VERIFY_PRODUCT, &fake_prime, n),
			 STATUS_OK);
	assert_int_equal(worker_verify(CLI_VERIFY_FULL, &wrong, n),
			 STATUS_ERR_VERIFY);
	assert_int_equal(worker_verify(CLI_VERIFY_PRODUCT, &wrong, n),
			 STATUS_ERR_VERIFY);
	assert_int_equal(worker_verify(CLI_VERIFY_NONE, &wrong, n), STATUS_OK);
	mpz_set_ui(n, 0);
	assert_int_equal(worker_verify(CLI_VERIFY_PRODUCT, &wrong, n),
			 STATUS_ERR_VERIFY);
	engine_result_reset(&wrong);
	assert_int_equal(worker_verify(CLI_VERIFY_PRODUCT, &wrong, n),
			 STATUS_OK);
	engine_result_clear(&good);
	engine_result_clear(&fake_prime);
	engine_result_clear(&wrong);
	mpz_clear(p);
	mpz_clear(n);
}

static void test_normal_conversation(void **state)
{
	char err[256];
	uint32_t credit;
	struct proto_stats st;

	(void)state;
	reset();
	add_config(3, 0, PROTO_VERSION);
	add_range(0, "999999999999", 2, 43);
	add_list(1, list, 6, 0);
	add_stop(PROTO_STOP_DONE);
	assert_int_equal(worker_run(&opts, err, sizeof err), STATUS_OK);
	assert_int_equal(S.n_out, 4);
	assert_int_equal(S.out[0].tag, PROTO_TAG_REQUEST);
	assert_int_equal(proto_read_request(S.out[0].buf.data, S.out[0].buf.len,
					    &credit),
			 STATUS_OK);
	assert_int_equal(credit, 4); /* 1 + prefetch */
	assert_int_equal(check_result(1, 0, NULL, 43, "999999999999", 2), 0);
	assert_int_equal(check_result(2, 1, list, 6, NULL, 0), 0);
	assert_int_equal(S.out[3].tag, PROTO_TAG_STATS);
	assert_int_equal(
		proto_read_stats(S.out[3].buf.data, S.out[3].buf.len, &st),
		STATUS_OK);
	assert_true(st.numbers == 49 && st.chunks == 2);
}

/* ---- workers write the output (proto.h 3b) ---- */

enum { W_CHUNKS = 3, W_COUNT = 43 };

/* Chunk k of the written-output tests: 43 odd terms after the classic
   job's start, chunk after chunk. */
static void add_wchunk(uint64_t k)
{
	char start[32];

	snprintf(start, sizeof start, "%llu",
		 999999999999ULL + 2ULL * W_COUNT * k);
	add_range(k, start, 2, W_COUNT);
}

/* The bytes W_CHUNKS chunks give by the byte path (RESULT blocks in
   order): what the file must hold.  *len set; caller frees. */
static unsigned char *byte_path_blocks(size_t *len)
{
	struct proto_result_header h;
	const unsigned char *block;
	unsigned char *all = NULL;
	char err[256];

	reset();
	add_config(3, 0, PROTO_VERSION);
	for (uint64_t k = 0; k < W_CHUNKS; k++)
		add_wchunk(k);
	add_stop(PROTO_STOP_DONE);
	assert_int_equal(worker_run(&opts, err, sizeof err), STATUS_OK);
	*len = 0;
	for (int k = 1; k <= W_CHUNKS; k++) {
		assert_int_equal(S.out[k].tag, PROTO_TAG_RESULT);
		assert_int_equal(proto_read_result(S.out[k].buf.data,
						   S.out[k].buf.len, &h,
						   &block),
				 STATUS_OK);
		all = realloc(all, *len + h.block_len + 1);
		assert_non_null(all);
		memcpy(all + *len, block, h.block_len);
		*len += h.block_len;
	}
	return all;
}

/* A temporary output file, empty; its path in path (64 bytes). */
static void temp_output(char *path)
{
	int fd;

	strcpy(path, "/tmp/test_worker.XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
}

static unsigned char *slurp_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *b = malloc(1 << 16);

	assert_non_null(f);
	assert_non_null(b);
	*len = fread(b, 1, 1 << 16, f);
	fclose(f);
	return b;
}

/* The WRITTEN out[k] echoes the place of chunk id. */
static void check_written(int k, uint64_t id)
{
	struct proto_place pl;

	assert_int_equal(S.out[k].tag, PROTO_TAG_WRITTEN);
	assert_int_equal(proto_read_place(S.out[k].buf.data, S.out[k].buf.len,
					  PROTO_TAG_WRITTEN, &pl),
			 STATUS_OK);
	assert_true(pl.chunk_id == id);
	assert_true((long)pl.length == held_len(id));
}

/*
 * FILE, three chunks held (HELD, no block sent), OFFSETs in the order 2,
 * 0, 1 (blocks finishing out of order): each block written where it was
 * told and answered by WRITTEN with the same place, and the file is the
 * byte path's blocks in order, byte for byte.
 */
static void test_written_out_of_order(void **state)
{
	char err[256], path[64];
	unsigned char *want, *got;
	size_t want_len, got_len;

	(void)state;
	want = byte_path_blocks(&want_len);
	reset();
	temp_output(path);
	add_config(3, 0, PROTO_VERSION);
	add_file(path);
	for (uint64_t k = 0; k < W_CHUNKS; k++)
		add_wchunk(k);
	add_place_auto(2, 0);
	add_place_auto(0, 0);
	add_place_auto(1, 0);
	add_stop(PROTO_STOP_DONE);
	assert_int_equal(worker_run(&opts, err, sizeof err), STATUS_OK);
	assert_int_equal(S.n_out, 1 + W_CHUNKS + 3 + 1);
	for (int k = 1; k <= W_CHUNKS; k++)
		assert_int_equal(S.out[k].tag, PROTO_TAG_HELD);
	check_written(4, 2);
	check_written(5, 0);
	check_written(6, 1);
	assert_int_equal(S.out[7].tag, PROTO_TAG_STATS);
	got = slurp_file(path, &got_len);
	assert_int_equal(got_len, want_len);
	assert_memory_equal(got, want, want_len);
	/* each HELD's CRC is that of the bytes written at its place */
	for (uint64_t id = 0, off = 0; id < W_CHUNKS; id++) {
		struct proto_result_header h;
		assert_true(held_header(id, &h));
		assert_true(h.block_crc ==
			    journal_crc32c(0, got + off, h.block_len));
		off += h.block_len;
	}
	free(got);
	free(want);
	unlink(path);
}

/*
 * OFFSET DROP (a speculative duplicate that lost, or a failed sample):
 * the block is freed unwritten and nothing is answered; the next block
 * still goes where it is told.
 */
static void test_dropped_block_never_written(void **state)
{
	char err[256], path[64];
	unsigned char *got;
	size_t got_len;

	(void)state;
	reset();
	temp_output(path);
	add_config(3, 0, PROTO_VERSION);
	add_file(path);
	add_wchunk(0);
	add_wchunk(1);
	add_place_auto(0, 1); /* dropped */
	add_place_auto(1, 0); /* at len(0): a hole before it */
	add_stop(PROTO_STOP_DONE);
	assert_int_equal(worker_run(&opts, err, sizeof err), STATUS_OK);
	assert_int_equal(S.n_out, 1 + 2 + 1 + 1);
	check_written(3, 1);
	assert_int_equal(S.out[4].tag, PROTO_TAG_STATS);
	got = slurp_file(path, &got_len);
	assert_int_equal(got_len, held_len(0) + held_len(1));
	for (long i = 0; i < held_len(0); i++)
		assert_int_equal(got[i], 0); /* never written */
	free(got);
	unlink(path);
}

/*
 * Bad OFFSETs, each answered by ERROR naming the chunk, nothing written,
 * and then only STOP matters: a chunk never issued to this rank, a
 * length that disagrees with the held block, and a block already
 * written (its second OFFSET).
 */
static void bad_place(int how)
{
	char err[256], path[64], text[256];
	unsigned char *got;
	size_t got_len;
	int status, k;

	reset();
	temp_output(path);
	add_config(3, 0, PROTO_VERSION);
	add_file(path);
	add_wchunk(0);
	if (how == 0)
		add_place(7, 0, 10); /* never issued */
	if (how == 1)
		add_place(0, 0, 1); /* wrong length: the block is longer */
	if (how == 2) {
		add_place_auto(0, 0);
		add_place_auto(0, 0); /* already written */
	}
	add_wchunk(1); /* ignored after the error */
	add_stop(PROTO_STOP_ABORT);
	assert_int_equal(worker_run(&opts, err, sizeof err), STATUS_ERR_PROTO);
	k = how == 2 ? 3 : 2;
	assert_int_equal(S.n_out, k + 2);
	assert_int_equal(S.out[k].tag, PROTO_TAG_ERROR);
	assert_int_equal(proto_read_error(S.out[k].buf.data, S.out[k].buf.len,
					  &status, text, sizeof text),
			 STATUS_OK);
	assert_int_equal(status, STATUS_ERR_PROTO);
	assert_non_null(strstr(text, how == 0 ? "chunk 7" : "chunk 0"));
	assert_non_null(strstr(text, "does not hold"));
	assert_int_equal(S.out[k + 1].tag, PROTO_TAG_STATS);
	got = slurp_file(path, &got_len);
	assert_int_equal(got_len, how == 2 ? (size_t)held_len(0) : 0);
	free(got);
	unlink(path);
}

static void test_bad_offsets_refused(void **state)
{
	(void)state;
	for (int how = 0; how < 3; how++)
		bad_place(how);
}

/* A truncated WORK: ERROR, later WORK ignored, STOP, STATS; no crash. */
static void test_malformed_work_reported(void **state)
{
	char err[256];
	int status;
	char text[128];

	(void)state;
	reset();
	add_config(1, 0, PROTO_VERSION);
	add_list(0, list, 6, 5);
	add_range(1, "5", 1, 3);
	add_stop(PROTO_STOP_ABORT);
	assert_int_equal(worker_run(&opts, err, sizeof err), STATUS_ERR_PROTO);
	assert_int_equal(S.n_out, 3);
	assert_int_equal(S.out[1].tag, PROTO_TAG_ERROR);
	assert_int_equal(proto_read_error(S.out[1].buf.data, S.out[1].buf.len,
					  &status, text, sizeof text),
			 STATUS_OK);
	assert_int_equal(status, STATUS_ERR_PROTO);
	assert_non_null(strstr(text, "WORK"));
	assert_int_equal(S.out[2].tag, PROTO_TAG_STATS);
}

/* CONFIG of another protocol version: ERROR, then STATS at STOP. */
static void test_version_mismatch(void **state)
{
	char err[256];

	(void)state;
	reset();
	add_config(1, 0, PROTO_VERSION + 1);
	add_stop(PROTO_STOP_ABORT);
	assert_int_equal(worker_run(&opts, err, sizeof err), STATUS_ERR_PROTO);
	assert_int_equal(S.n_out, 2);
	assert_int_equal(S.out[0].tag, PROTO_TAG_ERROR);
	assert_int_equal(S.out[1].tag, PROTO_TAG_STATS);
}

/* The master failed before CONFIG: STOP first, STATS, clean exit. */
static void test_stop_before_config(void **state)
{
	char err[256];

	(void)state;
	reset();
	add_stop(PROTO_STOP_ABORT);
	assert_int_equal(worker_run(&opts, err, sizeof err), STATUS_OK);
	assert_int_equal(S.n_out, 1);
	assert_int_equal(S.out[0].tag, PROTO_TAG_STATS);
}

/* The planted fault really produces a wrong result (one per chunk). */
static void test_planted_wrong_result_is_wrong(void **state)
{
	char err[256];

	(void)state;
	reset();
	add_config(0, PROTO_FAULT_WRONG_RESULT, PROTO_VERSION);
	add_range(0, "999999999999", 2, 10);
	add_stop(PROTO_STOP_DONE);
	assert_int_equal(worker_run(&opts, err, sizeof err), STATUS_OK);
	assert_int_equal(check_result(1, 0, NULL, 10, "999999999999", 2), 1);
}

/*
 * --group-size 3 on 8 ranks: groups {1,2,3} {4,5,6} {7}.  Rank 3 is a
 * member of rank 1's group: CONFIG, WORK and STOP come from rank 1 and
 * every reply goes to rank 1 (the wrappers assert the peer).  A slow
 * chunk makes the stop hook poll, which must also look at rank 1.
 */
static void test_member_talks_to_its_leader(void **state)
{
	char err[256];
	static const char *const slow[] = {
		/* two 64-bit primes (S128.txt): ECM work, long enough for the
		   stop hook to poll */
		"136847893693504283820937121818475893603",
		"618970019642690137449562111",
		"170141183460469231731687303715884105727"
	};

	(void)state;
	reset();
	S.rank = 3;
	S.size = 8;
	S.parent = 1;
	opts.group_size = 3;
	add_config(1, 0, PROTO_VERSION);
	add_range(0, "999999999999", 2, 43);
	add_list(1, slow, 3, 0);
	add_stop(PROTO_STOP_DONE);
	assert_int_equal(worker_run(&opts, err, sizeof err), STATUS_OK);
	opts.group_size = 0;
	assert_int_equal(S.n_out, 4);
	assert_int_equal(S.out[0].tag, PROTO_TAG_REQUEST);
	assert_int_equal(check_result(1, 0, NULL, 43, "999999999999", 2), 0);
	assert_int_equal(check_result(2, 1, slow, 3, NULL, 0), 0);
	assert_int_equal(S.out[3].tag, PROTO_TAG_STATS);
	assert_true(S.probes > 0); /* each asserted to go to rank 1 */
}

/* Rank 7 is a group of one: a plain worker of rank 0. */
static void test_group_of_one_talks_to_rank0(void **state)
{
	char err[256];

	(void)state;
	reset();
	S.rank = 7;
	S.size = 8;
	S.parent = 0;
	opts.group_size = 3;
	add_config(1, 0, PROTO_VERSION);
	add_range(0, "5", 1, 4);
	add_stop(PROTO_STOP_DONE);
	assert_int_equal(worker_run(&opts, err, sizeof err), STATUS_OK);
	opts.group_size = 0;
	assert_int_equal(S.n_out, 3);
	assert_int_equal(check_result(1, 0, NULL, 4, "5", 1), 0);
}

/* worker_verify's claim check for one list of (p, e) against n. */
static int verify_list(const char *n_s, const unsigned long *pe, size_t k)
{
	struct engine_result r;
	mpz_t n, p;
	int st = STATUS_OK;

	engine_result_init(&r);
	mpz_init_set_str(n, n_s, 10);
	mpz_init(p);
	for (size_t i = 0; i < k && st == STATUS_OK; i++) {
		mpz_set_ui(p, pe[2 * i]);
		st = engine_result_add(&r, p, pe[2 * i + 1], ENGINE_PRIME);
	}
	if (st == STATUS_OK)
		st = worker_verify(CLI_VERIFY_FULL, &r, n);
	mpz_clears(n, p, NULL);
	engine_result_clear(&r);
	return st;
}

/*
 * --verify full below 2^64 proves factors below 2^20 by a bitmap and
 * tests the others: primes and composites on both sides of the limit.
 */
static void test_verify_small_prime_bound(void **state)
{
	static const unsigned long below[] = { 1048573, 1 }; /* 2^20 - 3 */
	static const unsigned long above[] = { 1048583, 1 }; /* 2^20 + 7 */
	static const unsigned long sq[] = { 1042441, 1 };    /* 1021^2 */
	static const unsigned long pq[] = { 1065023, 1 };    /* 1031 * 1033 */
	static const unsigned long ok[] = { 3, 1, 5, 2, 11, 1, 31, 1, 41, 1 };
	static const unsigned long four[] = { 4, 1 };
	static const unsigned long two2[] = { 2, 2 };
	static const unsigned long big[] = { 1021, 2, 1048573, 1, 1048583, 1 };
	(void)state;
	assert_int_equal(verify_list("1048573", below, 1), STATUS_OK);
	assert_int_equal(verify_list("1048583", above, 1), STATUS_OK);
	assert_int_equal(verify_list("1042441", sq, 1), STATUS_ERR_VERIFY);
	assert_int_equal(verify_list("1065023", pq, 1), STATUS_ERR_VERIFY);
	assert_int_equal(verify_list("1048575", ok, 5), STATUS_OK);
	assert_int_equal(verify_list("1048574", ok, 5), STATUS_ERR_VERIFY);
	assert_int_equal(verify_list("4", four, 1), STATUS_ERR_VERIFY);
	assert_int_equal(verify_list("4", two2, 1), STATUS_OK);
	assert_int_equal(verify_list("1146180373063006019", big, 3), STATUS_OK);
	assert_int_equal(verify_list("1", big, 0), STATUS_OK);
	assert_int_equal(verify_list("2", big, 0), STATUS_ERR_VERIFY);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verify_modes),
		cmocka_unit_test(test_normal_conversation),
		cmocka_unit_test(test_malformed_work_reported),
		cmocka_unit_test(test_version_mismatch),
		cmocka_unit_test(test_stop_before_config),
		cmocka_unit_test(test_planted_wrong_result_is_wrong),
		cmocka_unit_test(test_member_talks_to_its_leader),
		cmocka_unit_test(test_group_of_one_talks_to_rank0),
		cmocka_unit_test(test_verify_small_prime_bound),
		cmocka_unit_test(test_written_out_of_order),
		cmocka_unit_test(test_dropped_block_never_written),
		cmocka_unit_test(test_bad_offsets_refused),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
