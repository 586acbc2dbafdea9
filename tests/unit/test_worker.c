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
 * poll once hard-coded rank 0).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cli.h"
#include "output.h"
#include "proto.h"
#include "status.h"
#include "transport.h"
#include "worker.h"

enum { MAX_MSGS = 64 };

struct rec {
	int tag;
	struct proto_buf buf;
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
	copy_buf(&m->buf, &S.in[S.next_in].buf);
	m->tag = S.in[S.next_in].tag;
	m->source = S.parent;
	S.next_in++;
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
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
