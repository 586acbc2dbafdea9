/*
 * test_group.c - the group leader's loop (group.c) over a scripted
 * transport (-Wl,--wrap of transport_*, see the Makefile).  The leader is
 * rank 1 of 4 with --group-size 3: its members are ranks 2 and 3.  A fake
 * rank 0 hands out RANGE chunks as the leader's credit allows, checks
 * every RESULT item with engine_verify and stops the leader; fake members
 * answer with the real chunk processor (worker_process).  Messages are
 * delivered in order; one member's first REQUEST can be held back until
 * the leader has received rank 0's DONE.
 *
 * Scenarios: the normal conversation (every upstream chunk answered once
 * and correctly, GROUP_STATS for both members before the leader's STATS,
 * one STOP per member); a member's REQUEST arriving after DONE
 * (regression: the leader ignored it and waited for ever); a member
 * returning wrong factorizations (caught, recomputed, counted); a member's
 * ERROR passed up naming it, then ABORT passed down; ABORT in mid-run.
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
#include "engine.h"
#include "group.h"
#include "output.h"
#include "proto.h"
#include "status.h"
#include "transport.h"
#include "worker.h"

enum { MAX_MSGS = 4096, SIZE = 4, LEADER = 1, N_CHUNKS = 6, CHUNK = 60 };

enum scenario {
	S_NORMAL = 0,
	S_LATE_REQUEST, /* rank 3's REQUEST held until rank 0's DONE */
	S_WRONG_MEMBER, /* rank 2 plants wrong factorizations */
	S_MEMBER_ERROR, /* rank 2 answers its first WORK with ERROR */
	S_ABORT         /* rank 0 aborts after the first RESULT */
};

struct msg {
	int source, dest, tag;
	struct proto_buf buf;
};

static struct {
	int scenario;
	struct msg q[MAX_MSGS]; /* to the leader, in order */
	int n_q;
	/* rank 0 */
	uint32_t credit;
	int next_chunk, outstanding, results, bad_items;
	int done[N_CHUNKS];
	int stop_sent, stats_got, group_stats[SIZE], group_wrong[SIZE];
	int errors_up, group_stats_after_stats;
	int stop_delivered, results_after_stop;
	char error_text[PROTO_MAX_TEXT + 1];
	/* members */
	struct worker_ctx ctx[SIZE];
	int have_ctx[SIZE], stops[SIZE];
	uint32_t stop_reason[SIZE];
	double now;
} S;

static void queue(int source, int tag, const struct proto_buf *b)
{
	struct msg *m;

	assert_true(S.n_q < MAX_MSGS);
	m = &S.q[S.n_q++];
	m->source = source;
	m->dest = LEADER;
	m->tag = tag;
	proto_buf_init(&m->buf);
	m->buf.data = malloc(b->len ? b->len : 1);
	assert_non_null(m->buf.data);
	memcpy(m->buf.data, b->data, b->len);
	m->buf.len = m->buf.cap = b->len;
}

/* Chunk k: the numbers 999999999999 + 2 (k CHUNK + i). */
static void chunk_start(int k, mpz_t n)
{
	mpz_set_str(n, "999999999999", 10);
	mpz_add_ui(n, n, 2ul * (unsigned long)(k * CHUNK));
}

static void rank0_send_work(void)
{
	struct proto_buf b;
	struct proto_work_header h;
	mpz_t n, step;

	proto_buf_init(&b);
	mpz_inits(n, step, NULL);
	mpz_set_ui(step, 2);
	while (!S.stop_sent && S.next_chunk < N_CHUNKS &&
	       (uint32_t)S.outstanding < S.credit) {
		h.chunk_id = (uint64_t)S.next_chunk;
		h.first_index = (uint64_t)(S.next_chunk * CHUNK);
		h.count = CHUNK;
		h.form = PROTO_FORM_RANGE;
		chunk_start(S.next_chunk, n);
		assert_int_equal(proto_pack_work_begin(&b, &h), STATUS_OK);
		assert_int_equal(proto_pack_work_range(&b, n, step), STATUS_OK);
		queue(0, PROTO_TAG_WORK, &b);
		S.next_chunk++;
		S.outstanding++;
	}
	mpz_clears(n, step, NULL);
	proto_buf_clear(&b);
}

static void rank0_stop(uint32_t reason)
{
	struct proto_buf b;

	if (S.stop_sent)
		return;
	S.stop_sent = 1;
	proto_buf_init(&b);
	assert_int_equal(proto_pack_stop(&b, reason), STATUS_OK);
	queue(0, PROTO_TAG_STOP, &b);
	proto_buf_clear(&b);
}

/* Rank 0 checks a RESULT: every line parsed back and verified. */
static void rank0_result(const struct proto_buf *b)
{
	struct proto_result_header h;
	struct engine_result res;
	struct output_meta meta;
	const unsigned char *block, *p, *end, *nl;
	mpz_t n, got;

	assert_int_equal(proto_read_result(b->data, b->len, &h, &block),
			 STATUS_OK);
	assert_true(h.chunk_id < (uint64_t)S.next_chunk);
	assert_int_equal(S.done[h.chunk_id], 0); /* answered once */
	assert_int_equal(h.count, CHUNK);
	assert_int_equal(h.bad_index, PROTO_NO_BAD_INDEX);
	S.done[h.chunk_id] = 1;
	engine_result_init(&res);
	mpz_inits(n, got, NULL);
	chunk_start((int)h.chunk_id, n);
	p = block;
	end = block + h.block_len;
	for (uint32_t i = 0; i < h.count; i++) {
		if (i > 0)
			mpz_add_ui(n, n, 2);
		nl = memchr(p, '\n', (size_t)(end - p));
		assert_non_null(nl);
		if (output_parse((const char *)p, (size_t)(nl - p) + 1,
				 CLI_FORMAT_TEXT, 0, 0, got, &res,
				 &meta) != STATUS_OK ||
		    mpz_cmp(got, n) != 0 || engine_verify(&res, n) != STATUS_OK)
			S.bad_items++;
		p = nl + 1;
	}
	assert_true(p == end);
	mpz_clears(n, got, NULL);
	engine_result_clear(&res);
	S.results++;
	S.results_after_stop += S.stop_delivered;
	S.outstanding--;
	if (S.scenario == S_ABORT) {
		rank0_stop(PROTO_STOP_ABORT);
		return;
	}
	rank0_send_work();
	if (S.next_chunk == N_CHUNKS && S.outstanding == 0)
		rank0_stop(PROTO_STOP_DONE);
}

static void to_rank0(int tag, const struct proto_buf *b)
{
	struct proto_group_stats g;
	int status;

	switch (tag) {
	case PROTO_TAG_REQUEST:
		assert_int_equal(proto_read_request(b->data, b->len, &S.credit),
				 STATUS_OK);
		rank0_send_work();
		break;
	case PROTO_TAG_RESULT: rank0_result(b); break;
	case PROTO_TAG_GROUP_STATS:
		assert_int_equal(proto_read_group_stats(b->data, b->len, &g),
				 STATUS_OK);
		assert_true(g.rank == 2 || g.rank == 3);
		S.group_stats[g.rank]++;
		S.group_wrong[g.rank] += (int)g.wrong;
		S.group_stats_after_stats += S.stats_got;
		break;
	case PROTO_TAG_STATS: S.stats_got++; break;
	case PROTO_TAG_HEARTBEAT: {
		/* the leader's own, while it holds chunks (proto.h 11): the
		   mocked clock runs 1 ms per look, so a long test sees some */
		uint64_t id, ns;
		assert_int_equal(
			proto_read_heartbeat(b->data, b->len, &id, &ns),
			STATUS_OK);
		assert_true(S.outstanding > 0);
		break;
	}
	case PROTO_TAG_ERROR:
		assert_int_equal(proto_read_error(b->data, b->len, &status,
						  S.error_text,
						  sizeof S.error_text),
				 STATUS_OK);
		S.errors_up++;
		rank0_stop(PROTO_STOP_ABORT);
		break;
	default: fail_msg("leader sent rank 0 tag %d", tag);
	}
}

static void to_member(int rank, int tag, const struct proto_buf *b)
{
	struct proto_buf o;
	char err[256];

	proto_buf_init(&o);
	if (tag == PROTO_TAG_CONFIG) {
		struct proto_config c;
		assert_int_equal(proto_read_config(b->data, b->len, &c),
				 STATUS_OK);
		worker_ctx_init(&S.ctx[rank], &c, 0);
		S.have_ctx[rank] = 1;
		assert_int_equal(proto_pack_request(&o, 1 + c.prefetch),
				 STATUS_OK);
		queue(rank, PROTO_TAG_REQUEST, &o);
	} else if (tag == PROTO_TAG_WORK) {
		if (S.scenario == S_MEMBER_ERROR && rank == 2) {
			assert_int_equal(proto_pack_error(&o, STATUS_ERR_NOMEM,
							  "planted"),
					 STATUS_OK);
			queue(rank, PROTO_TAG_ERROR, &o);
		} else {
			assert_int_equal(worker_process(&S.ctx[rank], b->data,
							b->len, &o, err,
							sizeof err),
					 STATUS_OK);
			queue(rank, PROTO_TAG_RESULT, &o);
		}
	} else if (tag == PROTO_TAG_STOP) {
		struct proto_stats s;
		assert_int_equal(
			proto_read_stop(b->data, b->len, &S.stop_reason[rank]),
			STATUS_OK);
		S.stops[rank]++;
		memset(&s, 0, sizeof s);
		s.numbers = 500u + (uint64_t)rank;
		s.msgs_sent = 1;
		assert_int_equal(proto_pack_stats(&o, &s), STATUS_OK);
		queue(rank, PROTO_TAG_STATS, &o);
	} else {
		fail_msg("leader sent member %d tag %d", rank, tag);
	}
	proto_buf_clear(&o);
}

/* ---- the wrapped transport ---- */

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

int __wrap_transport_rank(void);
int __wrap_transport_rank(void)
{
	return LEADER;
}

int __wrap_transport_size(void);
int __wrap_transport_size(void)
{
	return SIZE;
}

double __wrap_transport_wtime(void);
double __wrap_transport_wtime(void)
{
	return S.now += 0.001;
}

int __wrap_transport_send(int dest, int tag, struct proto_buf *b, char *err,
			  size_t err_size);
int __wrap_transport_send(int dest, int tag, struct proto_buf *b, char *err,
			  size_t err_size)
{
	(void)err;
	(void)err_size;
	assert_true(dest == 0 || dest == 2 || dest == 3);
	if (dest == 0)
		to_rank0(tag, b);
	else
		to_member(dest, tag, b);
	proto_buf_reset(b);
	return STATUS_OK;
}

/* Held back: rank 3's first REQUEST until the leader has rank 0's DONE. */
static int held(const struct msg *m)
{
	return S.scenario == S_LATE_REQUEST && m->source == 3 &&
		m->tag == PROTO_TAG_REQUEST && !S.stop_delivered;
}

static int deliver(struct transport_msg *m, int source, int tag)
{
	for (int k = 0; k < S.n_q; k++) {
		struct msg *q = &S.q[k];

		if ((source != TRANSPORT_ANY && q->source != source) ||
		    (tag != TRANSPORT_ANY && q->tag != tag) || held(q))
			continue;
		if (q->source == 0 && q->tag == PROTO_TAG_STOP)
			S.stop_delivered = 1;
		proto_buf_clear(&m->buf);
		m->buf = q->buf;
		m->source = q->source;
		m->tag = q->tag;
		memmove(&S.q[k], &S.q[k + 1],
			(size_t)(S.n_q - k - 1) * sizeof S.q[0]);
		S.n_q--;
		return 1;
	}
	return 0;
}

int __wrap_transport_poll(struct transport_msg *m, int source, int tag,
			  int *got, char *err, size_t err_size);
int __wrap_transport_poll(struct transport_msg *m, int source, int tag,
			  int *got, char *err, size_t err_size)
{
	(void)err;
	(void)err_size;
	*got = deliver(m, source, tag);
	return STATUS_OK;
}

int __wrap_transport_wait(struct transport_msg *m, int source, int tag,
			  double timeout_s, char *err, size_t err_size);
int __wrap_transport_wait(struct transport_msg *m, int source, int tag,
			  double timeout_s, char *err, size_t err_size)
{
	if (deliver(m, source, tag))
		return STATUS_OK;
	/* nothing will ever come: in MPI the leader would hang here */
	if (timeout_s <= 0)
		fail_msg("the leader waits for ever (%d messages held)", S.n_q);
	snprintf(err, err_size, "timeout");
	return STATUS_ERR_TIMEOUT;
}

int __wrap_transport_probe(int source, int tag);
int __wrap_transport_probe(int source, int tag)
{
	(void)source;
	(void)tag;
	return 0;
}

void __wrap_transport_counters(struct transport_counters *c);
void __wrap_transport_counters(struct transport_counters *c)
{
	memset(c, 0, sizeof *c);
}

void __wrap_transport_abort(int code);
void __wrap_transport_abort(int code)
{
	fail_msg("transport_abort(%d) called", code);
}

/* ---- scenarios ---- */

static int run(int scenario, uint32_t chunk)
{
	struct options o;
	struct proto_buf b;
	struct proto_config c = { 1, 0, 1, 0, 1 << 12 };
	char err[256];
	int st;

	for (int k = 0; k < S.n_q; k++)
		proto_buf_clear(&S.q[k].buf);
	memset(&S, 0, sizeof S);
	S.scenario = scenario;
	cli_options_init(&o);
	o.group_size = 3;
	o.chunk = chunk;
	if (scenario == S_WRONG_MEMBER) {
		o.fault_flags = PROTO_FAULT_WRONG_RESULT;
		o.fault_rank = 2;
	}
	proto_buf_init(&b);
	assert_int_equal(proto_pack_config(&b, &c), STATUS_OK);
	queue(0, PROTO_TAG_CONFIG, &b);
	proto_buf_clear(&b);
	st = group_run(&o, err, sizeof err);
	cli_options_clear(&o);
	for (int r = 2; r < SIZE; r++) {
		assert_int_equal(S.stops[r], 1); /* one STOP per member */
		if (S.have_ctx[r])
			worker_ctx_clear(&S.ctx[r]);
	}
	/* the members' STATS relayed, then the leader's, the last word */
	assert_int_equal(S.stats_got, 1);
	assert_int_equal(S.group_stats[2], 1);
	assert_int_equal(S.group_stats[3], 1);
	assert_int_equal(S.group_stats_after_stats, 0);
	return st;
}

static void check_all_answered(void)
{
	assert_int_equal(S.results, N_CHUNKS);
	assert_int_equal(S.bad_items, 0);
	assert_int_equal(S.errors_up, 0);
	for (int r = 2; r < SIZE; r++)
		assert_int_equal(S.stop_reason[r], PROTO_STOP_DONE);
}

static void test_normal_conversation(void **state)
{
	(void)state;
	assert_int_equal(run(S_NORMAL, 0), STATUS_OK);
	check_all_answered();
	assert_int_equal(run(S_NORMAL, 7), STATUS_OK); /* straddling cuts */
	check_all_answered();
	assert_int_equal(run(S_NORMAL, 1), STATUS_OK);
	check_all_answered();
}

static void test_late_request_still_stopped(void **state)
{
	(void)state;
	assert_int_equal(run(S_LATE_REQUEST, 5), STATUS_OK);
	check_all_answered();
}

static void test_wrong_member_caught(void **state)
{
	(void)state;
	assert_int_equal(run(S_WRONG_MEMBER, 4), STATUS_OK);
	check_all_answered(); /* rank 0 saw no wrong item */
	assert_true(S.group_wrong[2] >= 1);
	assert_int_equal(S.group_wrong[3], 0);
}

static void test_member_error_passed_up(void **state)
{
	(void)state;
	assert_int_not_equal(run(S_MEMBER_ERROR, 5), STATUS_OK);
	assert_int_equal(S.errors_up, 1);
	assert_non_null(strstr(S.error_text, "rank 2: planted"));
	for (int r = 2; r < SIZE; r++)
		assert_int_equal(S.stop_reason[r], PROTO_STOP_ABORT);
}

static void test_abort_passed_down(void **state)
{
	(void)state;
	assert_int_equal(run(S_ABORT, 5), STATUS_OK);
	assert_true(S.results >= 1 && S.results < N_CHUNKS);
	/* once the leader has the ABORT it sends no more RESULT */
	assert_int_equal(S.results_after_stop, 0);
	for (int r = 2; r < SIZE; r++)
		assert_int_equal(S.stop_reason[r], PROTO_STOP_ABORT);
}

static int teardown(void **state)
{
	(void)state;
	for (int k = 0; k < S.n_q; k++)
		proto_buf_clear(&S.q[k].buf);
	S.n_q = 0;
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_normal_conversation, teardown),
		cmocka_unit_test_teardown(test_late_request_still_stopped,
					  teardown),
		cmocka_unit_test_teardown(test_wrong_member_caught, teardown),
		cmocka_unit_test_teardown(test_member_error_passed_up,
					  teardown),
		cmocka_unit_test_teardown(test_abort_passed_down, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
