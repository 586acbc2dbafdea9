/*
 * test_sched.c - unit tests of the master's bookkeeping (sched.c), no MPI.
 *
 * Scripted scenarios: in-order release after out-of-order completions,
 * guided chunk sizes counted in slots (credit, group weight), workers held back by a full window, speculative
 * end-game re-issue with the duplicate dropped, verification failures
 * handed to another worker, protocol violations refused, LIST input,
 * liveness (learned and fixed budgets at their floors, a late worker's
 * chunks re-issued at once, its late result first or second, heartbeats),
 * and a seeded random simulation checking every invariant at every step.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sched.h"
#include "status.h"

static void init_range(struct sched *s, int workers, uint32_t chunk,
		       uint64_t total)
{
	struct sched_params p;

	memset(&p, 0, sizeof p);
	p.n_workers = workers;
	p.chunk = chunk;
	p.range = 1;
	p.total = total;
	assert_int_equal(sched_init(s, &p), STATUS_OK);
}

#define expect_assign(s, w) expect_assign_at(s, w, __LINE__)
static struct sched_chunk *expect_assign_at(struct sched *s, int worker,
					    int line)
{
	int w = -1;
	struct sched_chunk *c = NULL;

	int a = sched_next(s, &w, &c);

	if (a != SCHED_ASSIGN || w != worker)
		fail_msg("line %d: action %d to worker %d, not ASSIGN to %d",
			 line, a, w, worker);
	assert_non_null(c);
	return c;
}

static void complete_ok(struct sched *s, int w, struct sched_chunk *c)
{
	struct sched_chunk *got;

	assert_int_equal(sched_complete(s, w, c->id, c->count, &got),
			 STATUS_OK);
	assert_ptr_equal(got, c);
	sched_accept(s, got, w, NULL);
}

/* Fixed --chunk: sizes 3,3,3,1 handed round-robin; release in id order. */
static void test_fixed_chunks_release_in_order(void **state)
{
	struct sched s;
	struct sched_chunk *c[4];
	int w;
	struct sched_chunk *x;

	(void)state;
	init_range(&s, 2, 3, 10);
	assert_int_equal(sched_next(&s, &w, &x), SCHED_IDLE); /* no REQUEST */
	assert_int_equal(sched_request(&s, 0, 2), STATUS_OK);
	assert_int_equal(sched_request(&s, 1, 2), STATUS_OK);
	c[0] = expect_assign(&s, 0);
	c[1] = expect_assign(&s, 1);
	c[2] = expect_assign(&s, 0);
	c[3] = expect_assign(&s, 1);
	assert_int_equal(sched_next(&s, &w, &x), SCHED_IDLE); /* credit used */
	for (int i = 0; i < 4; i++) {
		assert_true(c[i]->id == (uint64_t)i);
		assert_true(c[i]->first_index == (uint64_t)(3 * i));
	}
	assert_int_equal(c[3]->count, 1);
	/* chunk 2 and 1 finish before 0: nothing is released until 0 is */
	complete_ok(&s, 0, c[2]);
	complete_ok(&s, 1, c[1]);
	assert_null(sched_peek_release(&s));
	complete_ok(&s, 0, c[0]);
	for (uint64_t id = 0; id < 3; id++) {
		x = sched_peek_release(&s);
		assert_non_null(x);
		assert_true(x->id == id);
		sched_release(&s);
	}
	assert_null(sched_peek_release(&s));
	assert_false(sched_all_done(&s));
	/* worker 0 holds nothing but chunk 3 is still open: no STOP yet */
	assert_int_equal(sched_next(&s, &w, &x), SCHED_IDLE);
	complete_ok(&s, 1, c[3]);
	assert_int_equal(sched_next(&s, &w, &x), SCHED_STOP);
	assert_int_equal(sched_next(&s, &w, &x), SCHED_STOP);
	assert_int_equal(sched_next(&s, &w, &x), SCHED_IDLE);
	x = sched_peek_release(&s);
	assert_non_null(x);
	sched_release(&s);
	assert_true(sched_all_done(&s));
	sched_clear(&s);
	sched_clear(NULL);
}

/*
 * Guided: ceil(remaining / (2 * slots)), decreasing, summing to total;
 * two workers of credit 1 (one has not asked yet: it counts as 1) are
 * 2 slots.
 */
static void test_guided_sizes_decrease(void **state)
{
	struct sched s;
	struct sched_chunk *c;
	uint64_t sum = 0, rem = 1000;
	uint32_t prev = UINT32_MAX;
	int n = 0;

	(void)state;
	init_range(&s, 2, 0, 1000);
	assert_int_equal(sched_request(&s, 0, 1), STATUS_OK);
	while (rem > 0) {
		c = expect_assign(&s, 0);
		assert_int_equal(c->count, (rem + 3) / 4);
		assert_true(c->count <= prev);
		assert_true(c->first_index == sum);
		prev = c->count;
		sum += c->count;
		rem -= c->count;
		complete_ok(&s, 0, c);
		sched_release(&s);
		n++;
	}
	assert_int_equal(prev, 1); /* small chunks at the end */
	assert_true(sum == 1000);
	assert_true(n < 40);
	assert_true(sched_all_done(&s));
	sched_clear(&s);
}

/* The guided maximum caps the first chunks of a huge range. */
static void test_guided_max_chunk(void **state)
{
	struct sched s;
	struct sched_chunk *c;

	(void)state;
	init_range(&s, 3, 0, 100000000);
	assert_int_equal(sched_request(&s, 0, 1), STATUS_OK);
	c = expect_assign(&s, 0);
	assert_int_equal(c->count, SCHED_DEFAULT_MAX_CHUNK);
	sched_clear(&s);
}

/*
 * Timed sizing: one chunk in hand per request, sized from the pooled
 * per-number time: max_chunk before any sample, target_ns / rate after
 * one, SCHED_TIMED_MAX_CHUNK at the limit of a very fast rate and
 * max_chunk again at a slow one (the median recent sample rules).
 */
static struct sched_chunk *timed_finish(struct sched *s, struct sched_chunk *c,
					uint32_t count, uint64_t busy)
{
	struct sched_chunk *d = NULL;

	if (count)
		sched_sample(s, 0, count, busy);
	assert_int_equal(sched_complete(s, 0, c->id, c->count, &d), STATUS_OK);
	sched_accept(s, d, 0, NULL);
	while (sched_peek_release(s) != NULL)
		sched_release(s);
	return expect_assign(s, 0); /* the credit came back with it */
}

static void test_timed_sizes(void **state)
{
	struct sched s;
	struct sched_params p;
	struct sched_chunk *c;

	(void)state;
	memset(&p, 0, sizeof p);
	p.n_workers = 1;
	p.range = 1;
	p.total = 100000000;
	p.target_ns = SCHED_TARGET_CHUNK_NS;
	p.window_numbers = 4u * SCHED_TIMED_MAX_CHUNK;
	assert_int_equal(sched_init(&s, &p), STATUS_OK);
	assert_int_equal(sched_request(&s, 0, 1), STATUS_OK);
	c = expect_assign(&s, 0);
	assert_int_equal(c->count, SCHED_DEFAULT_MAX_CHUNK); /* no sample */
	/* 999 ns busy per number: sched_sample's per is 1000 ns */
	c = timed_finish(&s, c, 1000, 999000);
	assert_int_equal(c->count, SCHED_TARGET_CHUNK_NS / 1000);
	sched_clear(&s);

	/* the limit: a rate of 1 ns a number asks for 5 * 10^7 */
	assert_int_equal(sched_init(&s, &p), STATUS_OK);
	assert_int_equal(sched_request(&s, 0, 1), STATUS_OK);
	c = timed_finish(&s, expect_assign(&s, 0), 1000, 0);
	assert_int_equal(c->count, SCHED_TIMED_MAX_CHUNK);
	c = timed_finish(&s, c, 1000, 0);
	assert_int_equal(c->count, SCHED_TIMED_MAX_CHUNK);
	/* slow samples (1 ms a number) join the pool: one of three
	   leaves the median at the fast rate, two of four move it (the
	   upper median), and max_chunk is
	   the floor */
	c = timed_finish(&s, c, 100, 100000000);
	assert_int_equal(c->count, SCHED_TIMED_MAX_CHUNK);
	c = timed_finish(&s, c, 100, 100000000);
	assert_int_equal(c->count, SCHED_DEFAULT_MAX_CHUNK);
	sched_clear(&s);
}

/*
 * Prefetch counts: three workers of credit 4 fill their credit in turn;
 * none may hold more than its share remaining / (K * workers) (the bug
 * this guards: sizes divided by workers alone let the first worker take
 * about credit times its share, and the job waited for it at the end).
 */
static void test_guided_sizes_count_credit(void **state)
{
	struct sched s;
	struct sched_chunk *c;
	uint64_t held[3] = { 0, 0, 0 }, rem = 2000;
	int w, st;

	(void)state;
	init_range(&s, 3, 0, 2000);
	for (w = 0; w < 3; w++)
		assert_int_equal(sched_request(&s, w, 4), STATUS_OK);
	while ((st = sched_next(&s, &w, &c)) == SCHED_ASSIGN) {
		assert_int_equal(c->count, (rem + 23) / 24); /* K=2, 12 slots */
		rem -= c->count;
		held[w] += c->count;
	}
	assert_int_equal(st, SCHED_IDLE);
	for (w = 0; w < 3; w++) {
		assert_true(held[w] > 0);
		assert_true(held[w] <= 2000 / (SCHED_GUIDED_K * 3) + 1);
	}
	sched_clear(&s);
}

/*
 * A worker of weight 4 (a group leader with 4 members) is 4 slots and
 * gets 4 times the guided share and 4 times a fixed --chunk; weight 0 and
 * a bad worker are refused; a text source caps a weighted chunk at the
 * look-ahead so it never waits for a buffer it cannot fill.
 */
static void test_weight_scales_chunks(void **state)
{
	struct sched s;
	struct sched_params p;
	struct sched_chunk *c;
	mpz_t z;

	(void)state;
	init_range(&s, 2, 0, 1000);
	assert_int_equal(sched_set_weight(&s, 1, 0), STATUS_ERR_INVAL);
	assert_int_equal(sched_set_weight(&s, 2, 4), STATUS_ERR_INVAL);
	assert_int_equal(sched_set_weight(&s, 1, 4), STATUS_OK);
	assert_int_equal(sched_request(&s, 0, 1), STATUS_OK);
	c = expect_assign(&s, 0);
	assert_int_equal(c->count, 100); /* ceil(1000 / (2 * 5)) */
	assert_int_equal(sched_request(&s, 1, 1), STATUS_OK);
	c = expect_assign(&s, 1);
	assert_int_equal(c->count, 4 * 90); /* 4 * ceil(900 / (2 * 5)) */
	sched_clear(&s);

	init_range(&s, 2, 10, 1000);
	assert_int_equal(sched_set_weight(&s, 1, 4), STATUS_OK);
	assert_int_equal(sched_request(&s, 1, 1), STATUS_OK);
	c = expect_assign(&s, 1);
	assert_int_equal(c->count, 40);
	sched_clear(&s);

	memset(&p, 0, sizeof p);
	p.n_workers = 1;
	p.chunk = 8;
	p.lookahead = 16;
	assert_int_equal(sched_init(&s, &p), STATUS_OK);
	assert_int_equal(sched_set_weight(&s, 0, 1000), STATUS_OK);
	assert_int_equal(sched_request(&s, 0, 1), STATUS_OK);
	mpz_init_set_ui(z, 7);
	while (sched_input_wanted(&s) > 0)
		assert_int_equal(sched_input_add(&s, z), STATUS_OK);
	c = expect_assign(&s, 0);
	assert_int_equal(c->count, 16);
	mpz_clear(z);
	sched_clear(&s);
}

/* A full window holds workers back until the oldest chunk completes. */
static void test_window_holds_workers_back(void **state)
{
	struct sched s;
	struct sched_params p;
	struct sched_chunk *c[4], *x;
	int w;

	(void)state;
	memset(&p, 0, sizeof p);
	p.n_workers = 2;
	p.chunk = 1;
	p.range = 1;
	p.total = 100;
	p.window_chunks = 4;
	assert_int_equal(sched_init(&s, &p), STATUS_OK);
	assert_int_equal(sched_request(&s, 0, 4), STATUS_OK);
	assert_int_equal(sched_request(&s, 1, 4), STATUS_OK);
	for (int i = 0; i < 4; i++)
		c[i] = expect_assign(&s, i % 2);
	assert_int_equal(sched_next(&s, &w, &x), SCHED_IDLE);
	complete_ok(&s, 1, c[1]);
	complete_ok(&s, 0, c[2]);
	complete_ok(&s, 1, c[3]);
	/* three done, but chunk 0 blocks the window */
	assert_int_equal(sched_next(&s, &w, &x), SCHED_IDLE);
	complete_ok(&s, 0, c[0]);
	assert_int_equal(sched_next(&s, &w, &x), SCHED_IDLE); /* not released */
	while (sched_peek_release(&s) != NULL)
		sched_release(&s);
	x = expect_assign(&s, 0);
	assert_true(x->id == 4);
	sched_clear(&s);
}

/* window_numbers bounds the numbers between release and the newest chunk. */
static void test_window_numbers_bound(void **state)
{
	struct sched s;
	struct sched_params p;
	struct sched_chunk *x;
	int w;

	(void)state;
	memset(&p, 0, sizeof p);
	p.n_workers = 1;
	p.chunk = 100;
	p.range = 1;
	p.total = 10000;
	p.window_numbers = 250;
	assert_int_equal(sched_init(&s, &p), STATUS_OK);
	assert_int_equal(sched_request(&s, 0, 8), STATUS_OK);
	expect_assign(&s, 0);
	expect_assign(&s, 0);
	assert_int_equal(sched_next(&s, &w, &x), SCHED_IDLE); /* 300 > 250 */
	sched_clear(&s);

	/* a chunk larger than the window is still allowed when nothing is live */
	p.chunk = 1000;
	assert_int_equal(sched_init(&s, &p), STATUS_OK);
	assert_int_equal(sched_request(&s, 0, 8), STATUS_OK);
	x = expect_assign(&s, 0);
	assert_int_equal(x->count, 1000);
	assert_int_equal(sched_next(&s, &w, &x), SCHED_IDLE);
	sched_clear(&s);
}

/* End game: an idle worker gets a copy; first result wins, other dropped. */
static void test_speculation_first_result_wins(void **state)
{
	struct sched s;
	struct sched_params p;
	struct sched_chunk *c0, *c1, *x, *got;
	int w;

	(void)state;
	memset(&p, 0, sizeof p);
	p.n_workers = 2;
	p.chunk = 1;
	p.range = 1;
	p.total = 2;
	p.speculate = 1;
	assert_int_equal(sched_init(&s, &p), STATUS_OK);
	assert_int_equal(sched_request(&s, 0, 1), STATUS_OK);
	assert_int_equal(sched_request(&s, 1, 1), STATUS_OK);
	c0 = expect_assign(&s, 0);
	c1 = expect_assign(&s, 1);
	complete_ok(&s, 1, c1);
	/* worker 1 is idle, chunk 0 outstanding at worker 0: re-issue it */
	x = expect_assign(&s, 1);
	assert_ptr_equal(x, c0);
	assert_true(s.speculated == 1);
	assert_int_equal(sched_next(&s, &w, &x), SCHED_IDLE);
	/* the copy finishes first */
	complete_ok(&s, 1, c0);
	assert_int_equal(sched_complete(&s, 0, 0, 1, &got), SCHED_DUPLICATE);
	assert_null(got);
	assert_true(s.duplicates == 1);
	assert_int_equal(sched_next(&s, &w, &x), SCHED_STOP);
	assert_int_equal(sched_next(&s, &w, &x), SCHED_STOP);
	while (sched_peek_release(&s) != NULL)
		sched_release(&s);
	assert_true(sched_all_done(&s));
	sched_clear(&s);
}

/* A duplicate arriving after its chunk was released is still dropped. */
static void test_duplicate_after_release(void **state)
{
	struct sched s;
	struct sched_params p;
	struct sched_chunk *c0, *x, *got;
	int w;

	(void)state;
	memset(&p, 0, sizeof p);
	p.n_workers = 2;
	p.chunk = 1;
	p.range = 1;
	p.total = 1;
	p.speculate = 1;
	assert_int_equal(sched_init(&s, &p), STATUS_OK);
	assert_int_equal(sched_request(&s, 0, 1), STATUS_OK);
	assert_int_equal(sched_request(&s, 1, 1), STATUS_OK);
	c0 = expect_assign(&s, 0);
	x = expect_assign(&s, 1); /* worker 1 idle at once: speculation */
	assert_ptr_equal(x, c0);
	complete_ok(&s, 0, c0);
	sched_release(&s);
	assert_int_equal(sched_complete(&s, 1, 0, 1, &got), SCHED_DUPLICATE);
	assert_int_equal(sched_next(&s, &w, &x), SCHED_STOP);
	assert_int_equal(sched_next(&s, &w, &x), SCHED_STOP);
	sched_clear(&s);
}

/* Results for chunks a worker does not hold, or with a wrong count. */
static void test_protocol_violations_refused(void **state)
{
	struct sched s;
	struct sched_chunk *c, *got;

	(void)state;
	init_range(&s, 2, 5, 100);
	assert_int_equal(sched_request(&s, 0, 0), STATUS_ERR_PROTO);
	assert_int_equal(sched_request(&s, 0, PROTO_MAX_CREDIT + 1u),
			 STATUS_ERR_PROTO);
	assert_int_equal(sched_request(&s, 2, 1), STATUS_ERR_PROTO);
	assert_int_equal(sched_request(&s, -1, 1), STATUS_ERR_PROTO);
	assert_int_equal(sched_request(&s, 0, 1), STATUS_OK);
	assert_int_equal(sched_request(&s, 0, 1), STATUS_ERR_PROTO); /* twice */
	/* a later REQUEST may only raise the credit (adaptive prefetch) */
	assert_int_equal(sched_request(&s, 0, 3), STATUS_OK);
	assert_int_equal(sched_request(&s, 0, 2), STATUS_ERR_PROTO);
	assert_int_equal(s.workers[0].credit, 3);
	c = expect_assign(&s, 0);
	/* worker 1 never got chunk 0; chunk 7 does not exist */
	assert_int_equal(sched_complete(&s, 1, c->id, 5, &got),
			 STATUS_ERR_PROTO);
	assert_int_equal(sched_complete(&s, 0, 7, 5, &got), STATUS_ERR_PROTO);
	assert_int_equal(sched_complete(&s, 9, 0, 5, &got), STATUS_ERR_PROTO);
	/* wrong count */
	assert_int_equal(sched_complete(&s, 0, c->id, 4, &got),
			 STATUS_ERR_PROTO);
	/* the chunk is no longer held: a second answer is refused too */
	assert_int_equal(sched_complete(&s, 0, c->id, 5, &got),
			 STATUS_ERR_PROTO);
	sched_clear(&s);

	struct sched_params p;
	memset(&p, 0, sizeof p);
	assert_int_equal(sched_init(&s, &p), STATUS_ERR_INVAL); /* 0 workers */
	p.n_workers = 1;
	p.chunk = PROTO_MAX_CHUNK + 1u;
	assert_int_equal(sched_init(&s, &p), STATUS_ERR_INVAL);
}

/* A wrong result: the chunk goes to another worker, not the one that failed. */
static void test_rejected_result_goes_elsewhere(void **state)
{
	struct sched s;
	struct sched_chunk *c0, *c1, *x, *got;
	int w;

	(void)state;
	init_range(&s, 2, 1, 2);
	assert_int_equal(sched_request(&s, 0, 1), STATUS_OK);
	assert_int_equal(sched_request(&s, 1, 1), STATUS_OK);
	c0 = expect_assign(&s, 0);
	c1 = expect_assign(&s, 1);
	assert_int_equal(sched_complete(&s, 1, c1->id, 1, &got), STATUS_OK);
	assert_int_equal(sched_reject(&s, got, 1), 1);
	/* worker 1 is hungry but must not get its own failure back */
	assert_int_equal(sched_next(&s, &w, &x), SCHED_IDLE);
	complete_ok(&s, 0, c0);
	x = expect_assign(&s, 0);
	assert_ptr_equal(x, c1);
	complete_ok(&s, 0, c1);
	assert_int_equal(sched_next(&s, &w, &x), SCHED_STOP);
	assert_int_equal(sched_next(&s, &w, &x), SCHED_STOP);
	sched_clear(&s);

	/* with one worker it gets the chunk back (and a second failure is
	   counted, so the master can give up) */
	init_range(&s, 1, 1, 1);
	assert_int_equal(sched_request(&s, 0, 1), STATUS_OK);
	c0 = expect_assign(&s, 0);
	assert_int_equal(sched_complete(&s, 0, c0->id, 1, &got), STATUS_OK);
	assert_int_equal(sched_reject(&s, got, 0), 1);
	x = expect_assign(&s, 0);
	assert_ptr_equal(x, c0);
	assert_int_equal(sched_complete(&s, 0, c0->id, 1, &got), STATUS_OK);
	assert_int_equal(sched_reject(&s, got, 0), 2);
	sched_clear(&s);
}

/* An excluded worker gets nothing more and is stopped once it holds nothing. */
static void test_excluded_worker_stopped_early(void **state)
{
	struct sched s;
	struct sched_chunk *c0, *c1, *x;
	int w;

	(void)state;
	init_range(&s, 2, 1, 10);
	assert_int_equal(sched_request(&s, 0, 1), STATUS_OK);
	assert_int_equal(sched_request(&s, 1, 1), STATUS_OK);
	c0 = expect_assign(&s, 0);
	c1 = expect_assign(&s, 1);
	assert_int_equal(sched_exclude(&s, 1), 1);
	assert_int_equal(sched_exclude(&s, 1), 1); /* idempotent */
	/* it still holds chunk 1: no STOP yet, and no new chunk */
	assert_int_equal(sched_next(&s, &w, &x), SCHED_IDLE);
	complete_ok(&s, 1, c1);
	assert_int_equal(sched_next(&s, &w, &x), SCHED_STOP);
	assert_int_equal(w, 1);
	/* worker 0 carries on with the rest */
	complete_ok(&s, 0, c0);
	x = expect_assign(&s, 0);
	assert_true(x->id == 2);
	assert_int_equal(sched_exclude(&s, 0), 0); /* nobody left */
	sched_clear(&s);
}

/* LIST form: numbers travel with their chunk, in input order. */
static void test_list_input(void **state)
{
	struct sched s;
	struct sched_params p;
	struct sched_chunk *c, *x;
	mpz_t n;
	int w;

	(void)state;
	memset(&p, 0, sizeof p);
	p.n_workers = 1;
	p.chunk = 4;
	p.lookahead = 8;
	assert_int_equal(sched_init(&s, &p), STATUS_OK);
	assert_int_equal(sched_request(&s, 0, 4), STATUS_OK);
	mpz_init(n);
	assert_int_equal(sched_input_wanted(&s), 8);
	for (unsigned long i = 0; i < 6; i++) {
		mpz_set_ui(n, 100 + i);
		assert_int_equal(sched_input_add(&s, n), STATUS_OK);
	}
	assert_int_equal(sched_input_wanted(&s), 2);
	c = expect_assign(&s, 0);
	assert_int_equal(c->count, 4);
	for (uint32_t i = 0; i < 4; i++)
		assert_int_equal(mpz_cmp_ui(c->numbers[i], 100 + i), 0);
	/* 2 buffered, input not ended: wait for a full chunk */
	assert_int_equal(sched_next(&s, &w, &x), SCHED_IDLE);
	sched_input_end(&s);
	assert_int_equal(sched_input_wanted(&s), 0);
	assert_int_equal(sched_input_add(&s, n), STATUS_ERR_INVAL);
	x = expect_assign(&s, 0);
	assert_int_equal(x->count, 2);
	assert_true(x->first_index == 4);
	assert_int_equal(mpz_cmp_ui(x->numbers[1], 105), 0);
	mpz_clear(n);
	sched_clear(&s);

	/* an empty input: the worker is stopped at once */
	p.chunk = 0;
	assert_int_equal(sched_init(&s, &p), STATUS_OK);
	assert_int_equal(sched_request(&s, 0, 2), STATUS_OK);
	assert_int_equal(sched_next(&s, &w, &x), SCHED_IDLE);
	sched_input_end(&s);
	assert_int_equal(sched_next(&s, &w, &x), SCHED_STOP);
	assert_true(sched_all_done(&s));
	sched_clear(&s);
}

/*
 * max_bytes (PROTO_MAX_CHUNK_BYTES in the master): a chunk is cut short
 * so the proto_item_bound of its numbers add up to at most max_bytes:
 * LIST by each buffered number's own size (exactly at the budget, one
 * byte below it, and a number larger than the whole budget still goes
 * alone), RANGE by the largest number's (range_bits); 0 = no cap.
 */
static void test_chunk_bytes_cap(void **state)
{
	struct sched s;
	struct sched_params p;
	struct sched_chunk *c;
	mpz_t small, big;
	uint64_t bs, bb;

	(void)state;
	mpz_init_set_ui(small, 1000);
	mpz_init(big);
	mpz_setbit(big, 4000);
	bs = proto_item_bound(mpz_sizeinbase(small, 2));
	bb = proto_item_bound(mpz_sizeinbase(big, 2));
	for (int below = 0; below <= 1; below++) {
		memset(&p, 0, sizeof p);
		p.n_workers = 1;
		p.chunk = 10;
		p.lookahead = 16;
		/* 3 small and 2 big numbers fit exactly (or miss by a byte) */
		p.max_bytes = 3 * bs + 2 * bb - (uint64_t)below;
		assert_int_equal(sched_init(&s, &p), STATUS_OK);
		assert_int_equal(sched_request(&s, 0, 4), STATUS_OK);
		for (int i = 0; i < 3; i++)
			assert_int_equal(sched_input_add(&s, small), STATUS_OK);
		for (int i = 0; i < 7; i++)
			assert_int_equal(sched_input_add(&s, big), STATUS_OK);
		c = expect_assign(&s, 0);
		assert_int_equal(c->count, below ? 4 : 5);
		assert_true(c->first_index == 0);
		/* then only big numbers: two fit either way */
		sched_input_end(&s);
		c = expect_assign(&s, 0);
		assert_int_equal(c->count, 2);
		sched_clear(&s);
	}
	/* one number above the whole budget still makes a chunk of one */
	memset(&p, 0, sizeof p);
	p.n_workers = 1;
	p.max_bytes = bb - 1;
	assert_int_equal(sched_init(&s, &p), STATUS_OK);
	assert_int_equal(sched_request(&s, 0, 1), STATUS_OK);
	assert_int_equal(sched_input_add(&s, big), STATUS_OK);
	assert_int_equal(sched_input_add(&s, big), STATUS_OK);
	sched_input_end(&s);
	c = expect_assign(&s, 0);
	assert_int_equal(c->count, 1);
	sched_clear(&s);
	/* RANGE: every number counted as the largest */
	memset(&p, 0, sizeof p);
	p.n_workers = 1;
	p.range = 1;
	p.total = 1000;
	p.chunk = 100;
	p.range_bits = 4001;
	p.max_bytes = 7 * bb;
	assert_int_equal(sched_init(&s, &p), STATUS_OK);
	assert_int_equal(sched_request(&s, 0, 1), STATUS_OK);
	c = expect_assign(&s, 0);
	assert_int_equal(c->count, 7);
	sched_clear(&s);
	p.max_bytes = 0; /* no cap */
	assert_int_equal(sched_init(&s, &p), STATUS_OK);
	assert_int_equal(sched_request(&s, 0, 1), STATUS_OK);
	c = expect_assign(&s, 0);
	assert_int_equal(c->count, 100);
	sched_clear(&s);
	mpz_clears(small, big, NULL);
}

/* The stored RESULT buffer is swapped in, not copied. */
static void test_accept_swaps_buffer(void **state)
{
	struct sched s;
	struct sched_chunk *c, *got;
	struct proto_buf b;

	(void)state;
	init_range(&s, 1, 1, 1);
	assert_int_equal(sched_request(&s, 0, 1), STATUS_OK);
	c = expect_assign(&s, 0);
	proto_buf_init(&b);
	assert_int_equal(proto_pack_stop(&b, PROTO_STOP_DONE), STATUS_OK);
	unsigned char *data = b.data;
	assert_int_equal(sched_complete(&s, 0, c->id, 1, &got), STATUS_OK);
	sched_accept(&s, got, 0, &b);
	assert_ptr_equal(c->result.data, data);
	assert_int_equal(c->result.len, 12);
	assert_int_equal(b.len, 0);
	assert_int_equal(c->result_worker, 0);
	proto_buf_clear(&b);
	sched_clear(&s);
}

static uint64_t rng_state = 88172645463325252u;
static uint32_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 16);
}

static uint32_t slot_count(const struct sched *s, uint64_t id)
{
	return s->ring[id % s->p.window_chunks].count;
}

/*
 * Random simulation: workers with random credits answer random held chunks
 * (some results rejected once), with speculation; every index is released
 * exactly once and in order, the window is never exceeded, every worker
 * ends stopped and nothing is left held.
 */

/* ---- liveness ---- */

#define S_NS 1000000000ull

/* Budgets: first-chunk default, pooled, own, floor, fixed, saturation. */
static void test_live_budget(void **state)
{
	struct sched s;
	struct sched_params p;

	(void)state;
	init_range(&s, 2, 10, 100);
	assert_true(sched_budget(&s, 0, 10) == SCHED_LIVE_FIRST_NS);
	/* worker 1's sample serves worker 0 too (pooled) */
	sched_sample(&s, 1, 10, 10 * S_NS); /* 1 s per number */
	assert_true(sched_budget(&s, 0, 10) ==
		    (S_NS + 1) * SCHED_LIVE_SAFETY * 10);
	/* its own sample wins over the pool */
	sched_sample(&s, 0, 100, 100000); /* 1 us per number */
	assert_true(sched_budget(&s, 0, 10) == SCHED_LIVE_FLOOR_NS);
	/* just above the floor: floor / SAFETY per number, one number */
	sched_sample(&s, 0, 1, SCHED_LIVE_FLOOR_NS / SCHED_LIVE_SAFETY);
	assert_true(sched_budget(&s, 0, 1) ==
		    (SCHED_LIVE_FLOOR_NS / SCHED_LIVE_SAFETY + 1) *
			    SCHED_LIVE_SAFETY);
	/* the maximum of the last SCHED_LIVE_SAMPLES: the slow one ages out */
	for (int i = 0; i < SCHED_LIVE_SAMPLES; i++)
		sched_sample(&s, 0, 100, 100000);
	assert_true(sched_budget(&s, 0, 1) == SCHED_LIVE_FLOOR_NS);
	/* saturates instead of wrapping */
	sched_sample(&s, 0, 1, UINT64_MAX / 2);
	assert_true(sched_budget(&s, 0, 1000) == UINT64_MAX);
	sched_clear(&s);

	memset(&p, 0, sizeof p);
	p.n_workers = 1;
	p.range = 1;
	p.total = 10;
	p.timeout_ns = 7;
	assert_int_equal(sched_init(&s, &p), STATUS_OK);
	sched_sample(&s, 0, 1, 100 * S_NS);
	assert_true(sched_budget(&s, 0, 10) == 7); /* fixed: no floor */
	sched_clear(&s);
}

/* A late worker's chunks go to the other at once; it gets nothing more
   until heard from; its late result is a duplicate once the other's is in. */
static void test_live_expire_reissues(void **state)
{
	struct sched s;
	struct sched_chunk *a, *b, *x, *got;
	uint32_t n;
	int w;

	(void)state;
	init_range(&s, 2, 10, 40);
	sched_clock(&s, 1);
	/* no REQUEST yet: due one budget after time 0 */
	assert_true(sched_deadline(&s, 0) == SCHED_LIVE_FIRST_NS);
	assert_true(sched_next_deadline(&s) == SCHED_LIVE_FIRST_NS);
	assert_int_equal(sched_request(&s, 0, 2), STATUS_OK);
	assert_int_equal(sched_request(&s, 1, 1), STATUS_OK);
	a = expect_assign(&s, 0);
	x = expect_assign(&s, 1);
	b = expect_assign(&s, 0);
	assert_true(sched_deadline(&s, 0) == 1 + SCHED_LIVE_FIRST_NS);
	assert_int_equal(sched_expire(&s, 1 + SCHED_LIVE_FIRST_NS, &n), -1);
	/* worker 1 answers in time; worker 0 does not */
	sched_clock(&s, 2 * S_NS);
	assert_int_equal(sched_heard(&s, 1, 2 * S_NS), 0);
	sched_sample(&s, 1, 10, 10000);
	complete_ok(&s, 1, x);
	assert_int_equal(sched_expire(&s, 2 + SCHED_LIVE_FIRST_NS, &n), 0);
	assert_int_equal(n, 2);
	assert_true(s.expired == 1 && s.reissued == 2);
	assert_int_equal(sched_deadline(&s, 0), 0); /* late: none */
	assert_int_equal(sched_expire(&s, UINT64_MAX, &n), -1);
	/* the re-issued chunks come before any new one, to worker 1 */
	assert_ptr_equal(expect_assign(&s, 1), a);
	assert_int_equal(sched_next(&s, &w, &got), SCHED_IDLE);
	complete_ok(&s, 1, a);
	assert_ptr_equal(expect_assign(&s, 1), b);
	/* worker 0 comes back with a: a duplicate; it gets work again */
	assert_int_equal(sched_heard(&s, 0, 3 * S_NS), 1);
	assert_int_equal(sched_complete(&s, 0, a->id, a->count, &got),
			 SCHED_DUPLICATE);
	/* its b arrives before worker 1's: accepted, worker 1's dropped */
	assert_int_equal(sched_complete(&s, 0, b->id, b->count, &got),
			 STATUS_OK);
	assert_ptr_equal(got, b);
	sched_accept(&s, got, 0, NULL);
	assert_int_equal(sched_complete(&s, 1, b->id, b->count, &got),
			 SCHED_DUPLICATE);
	x = expect_assign(&s, 0); /* back in the queue, first */
	assert_true(x->id == 3);
	assert_int_equal(sched_next(&s, &w, &got), SCHED_IDLE); /* no more */
	sched_clear(&s);
}

/* A heartbeat (sched_heard) moves the deadline; a deadline exactly at now
   has not passed; a chunk with a live speculative owner is not re-issued. */
static void test_live_heartbeat_and_copies(void **state)
{
	struct sched s;
	struct sched_chunk *a, *got;
	uint32_t n;
	int w;

	(void)state;
	init_range(&s, 2, 10, 10);
	s.p.speculate = 1;
	sched_sample(&s, 0, 10, 10); /* learned: the floor */
	sched_clock(&s, 100);
	assert_int_equal(sched_request(&s, 0, 1), STATUS_OK);
	a = expect_assign(&s, 0);
	assert_int_equal(sched_request(&s, 1, 1), STATUS_OK);
	/* the input is exhausted: worker 1 gets a speculative copy */
	assert_ptr_equal(expect_assign(&s, 1), a);
	assert_true(sched_deadline(&s, 0) == 100 + SCHED_LIVE_FLOOR_NS);
	assert_int_equal(sched_heard(&s, 0, 200), 0);
	assert_int_equal(sched_heard(&s, 1, 200), 0);
	assert_int_equal(sched_expire(&s, 200 + SCHED_LIVE_FLOOR_NS, &n), -1);
	assert_int_equal(sched_expire(&s, 201 + SCHED_LIVE_FLOOR_NS, &n), 0);
	assert_int_equal(n, 0); /* worker 1 still owns a copy */
	assert_int_equal(sched_expire(&s, 201 + SCHED_LIVE_FLOOR_NS, &n), 1);
	assert_int_equal(n, 1); /* now nobody does: retry */
	assert_true(sched_next_deadline(&s) == 0);
	assert_int_equal(sched_next(&s, &w, &got), SCHED_IDLE);
	/* worker 1 answers late, before anyone took the retry: accepted */
	assert_int_equal(sched_heard(&s, 1, 300), 1);
	assert_int_equal(sched_next(&s, &w, &got), SCHED_IDLE); /* holds a */
	complete_ok(&s, 1, a);
	assert_int_equal(s.n_retry, 0);
	assert_non_null(sched_peek_release(&s));
	/* stopped, its STATS due one budget after the STOP, until gone */
	sched_clock(&s, 400);
	assert_int_equal(sched_next(&s, &w, &got), SCHED_STOP);
	assert_int_equal(w, 1);
	assert_true(sched_deadline(&s, 1) == 400 + SCHED_LIVE_FLOOR_NS);
	sched_gone(&s, 1);
	assert_int_equal(sched_deadline(&s, 1), 0);
	sched_clear(&s);
}

static void test_random_simulation(void **state)
{
	enum { W = 5, TOTAL = 20000 };
	for (int round = 0; round < 6; round++) {
		struct sched s;
		struct sched_params p;
		struct sched_chunk *c, *got;
		uint64_t next_index = 0;
		int w, stopped = 0, steps = 0;

		(void)state;
		memset(&p, 0, sizeof p);
		p.n_workers = W;
		p.chunk = round % 2 ? 0 : 1 + rng() % 50;
		p.range = 1;
		p.total = TOTAL;
		p.window_chunks = 16 + rng() % 64;
		p.speculate = round % 3 != 0;
		assert_int_equal(sched_init(&s, &p), STATUS_OK);
		for (int i = 0; i < W; i++)
			assert_int_equal(sched_request(&s, i, 1 + rng() % 3),
					 STATUS_OK);
		while (stopped < W) {
			int a;
			assert_true(++steps < 10000000);
			while ((a = sched_next(&s, &w, &c)) != SCHED_IDLE)
				if (a == SCHED_STOP) {
					assert_int_equal(s.workers[w].held, 0);
					stopped++;
				}
			assert_true(s.next_id - s.release_id <=
				    p.window_chunks);
			/* a random worker answers a random chunk it holds */
			int busy[W], nb = 0;
			for (int i = 0; i < W; i++)
				if (s.workers[i].held > 0)
					busy[nb++] = i;
			if (nb == 0) {
				assert_int_equal(stopped, W);
				break;
			}
			w = busy[rng() % (uint32_t)nb];
			struct sched_worker *sw = &s.workers[w];
			uint64_t id = sw->holding[rng() % sw->held];
			uint32_t count = slot_count(&s, id);
			int st = sched_complete(&s, w, id, count, &got);
			if (st == STATUS_OK) {
				if (rng() % 10 == 0 && got->failures == 0)
					sched_reject(&s, got, w);
				else
					sched_accept(&s, got, w, NULL);
			} else {
				assert_int_equal(st, SCHED_DUPLICATE);
			}
			while ((c = sched_peek_release(&s)) != NULL) {
				assert_true(c->first_index == next_index);
				next_index += c->count;
				sched_release(&s);
			}
		}
		assert_true(next_index == TOTAL);
		assert_true(sched_all_done(&s));
		sched_clear(&s);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixed_chunks_release_in_order),
		cmocka_unit_test(test_guided_sizes_decrease),
		cmocka_unit_test(test_guided_max_chunk),
		cmocka_unit_test(test_timed_sizes),
		cmocka_unit_test(test_guided_sizes_count_credit),
		cmocka_unit_test(test_weight_scales_chunks),
		cmocka_unit_test(test_window_holds_workers_back),
		cmocka_unit_test(test_window_numbers_bound),
		cmocka_unit_test(test_speculation_first_result_wins),
		cmocka_unit_test(test_duplicate_after_release),
		cmocka_unit_test(test_protocol_violations_refused),
		cmocka_unit_test(test_rejected_result_goes_elsewhere),
		cmocka_unit_test(test_excluded_worker_stopped_early),
		cmocka_unit_test(test_list_input),
		cmocka_unit_test(test_chunk_bytes_cap),
		cmocka_unit_test(test_accept_swaps_buffer),
		cmocka_unit_test(test_live_budget),
		cmocka_unit_test(test_live_expire_reissues),
		cmocka_unit_test(test_live_heartbeat_and_copies),
		cmocka_unit_test(test_random_simulation),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
