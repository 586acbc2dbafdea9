/*
 * test_coord.c - unit tests of the coordinator's shared books
 * (src/mpi/coord.c), the part rank 0 and group leaders both keep.
 *
 * The clock is scripted: transport_wtime is wrapped by the linker
 * (-Wl,--wrap=transport_wtime) and returns fake_now.  The scheduler is
 * the real one (sched.c), over a --count range.  The ops record what the
 * shared code reported.  Each test is named for what it guards.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "coord.h"
#include "proto.h"
#include "sched.h"
#include "status.h"

double __wrap_transport_wtime(void);

static double fake_now;

double __wrap_transport_wtime(void)
{
	return fake_now;
}

struct rec {
	int late[8], back[8], has[8];
	uint32_t late_n[8];
	double idle_s[8];
};

static void rec_late(void *owner, int w, double idle_s, uint32_t n)
{
	struct rec *r = owner;

	r->late[w]++;
	r->late_n[w] = n;
	r->idle_s[w] = idle_s;
}

static void rec_back(void *owner, int w)
{
	((struct rec *)owner)->back[w]++;
}

static int rec_has(const void *owner, int w)
{
	return ((const struct rec *)owner)->has[w];
}

static const struct coord_ops rec_ops = { rec_late, rec_back, rec_has };

/* A coord over workers sched workers, each (but self) asking for 1. */
static void coord_up(struct coord *c, struct rec *r, int workers, int self,
		     int watch)
{
	struct sched_params p;

	memset(r, 0, sizeof *r);
	fake_now = 100.0;
	coord_init(c, &rec_ops, r, self, watch);
	memset(&p, 0, sizeof p);
	p.n_workers = workers;
	p.chunk = 10;
	p.range = 1;
	p.total = 1000;
	assert_int_equal(sched_init(&c->s, &p), STATUS_OK);
	c->sched_ready = 1;
	for (int w = 0; w < workers; w++) /* each worker's one REQUEST */
		if (w != self)
			assert_int_equal(sched_request(&c->s, w, 1), STATUS_OK);
}

/* The next chunk worker w gets (chunks the sched hands to other
   workers with credit left stay with them; a STOP for an excluded worker
   is passed over). */
static struct sched_chunk *chunk_for(struct coord *c, int w)
{
	struct sched_chunk *ch = NULL;
	int got = -1;

	for (int k = 0; k < 8; k++) {
		int a = sched_next(&c->s, &got, &ch);

		assert_int_not_equal(a, SCHED_IDLE);
		if (a == SCHED_ASSIGN && got == w)
			return ch;
	}
	fail_msg("no chunk for worker %d", w);
	return NULL;
}

/* Worker w's RESULT for ch arrives and fails its check (as both loops
   do: coord_complete, then coord_wrong). */
static struct coord_wrong wrong_from(struct coord *c, int w,
				     struct sched_chunk *ch, uint32_t *wrong,
				     int failed)
{
	struct sched_chunk *got;

	assert_int_equal(coord_complete(c, w, ch->id, ch->count, 1000, &got),
			 STATUS_OK);
	assert_ptr_equal(got, ch);
	return coord_wrong(c, w, got, wrong, failed);
}

/* Worker w's next chunk comes back right and is accepted. */
static void right_from(struct coord *c, int w)
{
	struct sched_chunk *ch = chunk_for(c, w);

	assert_int_equal(sched_complete(&c->s, w, ch->id, ch->count, &ch),
			 STATUS_OK);
	sched_accept(&c->s, ch, w, NULL);
}

static void clock_is_ns_since_start_never_zero(void **state)
{
	struct coord c;
	struct rec r;

	(void)state;
	coord_up(&c, &r, 2, -1, 1);
	assert_int_equal(coord_now_ns(&c), 1);
	fake_now = 99.0; /* a clock that went back still reads 1 */
	assert_int_equal(coord_now_ns(&c), 1);
	fake_now = 102.5;
	assert_int_equal(coord_now_ns(&c), 2500000001ull);
	coord_clear(&c);
	assert_int_equal(c.sched_ready, 0);
	coord_clear(&c); /* twice, and NULL: nothing */
	coord_clear(NULL);
}

/* second failure of one chunk: give up, nobody excluded */
static void wrong_twice_on_a_chunk_gives_up(void **state)
{
	struct coord c;
	struct rec r;
	uint32_t wrong[3] = { 0, 0, 0 };
	struct coord_wrong v;
	struct sched_chunk *ch;

	(void)state;
	coord_up(&c, &r, 3, -1, 1);
	ch = chunk_for(&c, 0);
	v = wrong_from(&c, 0, ch, &wrong[0], 0);
	assert_true(v.say && !v.give_up && !v.excluded && !v.none_left);
	ch = chunk_for(&c, 1); /* the same chunk, handed out again */
	v = wrong_from(&c, 1, ch, &wrong[1], 0);

	assert_true(v.give_up && !v.say && !v.excluded);
	assert_int_equal(COORD_MAX_FAILURES, 2);
	assert_int_equal(wrong[0], 1);
	assert_int_equal(wrong[1], 1);
	coord_clear(&c);
}

/* COORD_MAX_WRONG_PER_RANK wrong chunks: excluded at the limit, said up
   to it; then the last worker at the limit: nobody left */
static void wrong_per_rank_excludes_at_the_limit(void **state)
{
	struct coord c;
	struct rec r;
	uint32_t wrong[2] = { 0, 0 };
	struct coord_wrong v;

	(void)state;
	coord_up(&c, &r, 2, -1, 1);
	for (int k = 1; k <= COORD_MAX_WRONG_PER_RANK; k++) {
		struct sched_chunk *ch = chunk_for(&c, 0);
		v = wrong_from(&c, 0, ch, &wrong[0], 0);
		assert_true(v.say && !v.give_up);
		assert_int_equal(v.excluded, k == COORD_MAX_WRONG_PER_RANK);
		assert_false(v.none_left);
		right_from(&c, 1); /* worker 1 computes it right */
	}
	for (int k = 1; k <= COORD_MAX_WRONG_PER_RANK; k++) {
		struct sched_chunk *ch = chunk_for(&c, 1);
		v = wrong_from(&c, 1, ch, &wrong[1], 0);
		if (k < COORD_MAX_WRONG_PER_RANK) {
			assert_false(v.excluded);
			/* worker 0 is excluded: worker 1 gets it back */
			right_from(&c, 1);
		}
	}
	assert_true(v.excluded && v.none_left);
	coord_clear(&c);
}

/* past the limit nothing more is said; failed or alone: no exclusion */
static void wrong_quiet_past_the_limit_and_never_alone(void **state)
{
	struct coord c;
	struct rec r;
	uint32_t wrong = COORD_MAX_WRONG_PER_RANK;
	struct coord_wrong v;

	(void)state;
	coord_up(&c, &r, 2, -1, 1);
	v = wrong_from(&c, 0, chunk_for(&c, 0), &wrong, 0);
	assert_true(!v.say && !v.give_up && !v.excluded);
	coord_clear(&c);
	wrong = COORD_MAX_WRONG_PER_RANK - 1;
	coord_up(&c, &r, 2, -1, 1);
	v = wrong_from(&c, 0, chunk_for(&c, 0), &wrong, 1);
	assert_true(v.say && !v.excluded); /* failed already */
	coord_clear(&c);
	wrong = COORD_MAX_WRONG_PER_RANK - 1;
	coord_up(&c, &r, 1, -1, 1);
	v = wrong_from(&c, 0, chunk_for(&c, 0), &wrong, 0);
	assert_true(v.say && !v.excluded); /* the only worker */
	coord_clear(&c);
}

/* a worker past its deadline is reported once with its chunks; the
   coordinator's own worker never is; heard again: back */
static void liveness_reports_late_and_back(void **state)
{
	struct coord c;
	struct rec r;

	(void)state;
	coord_up(&c, &r, 3, 2, 1);
	(void)chunk_for(&c, 0);
	(void)chunk_for(&c, 1);
	coord_check_liveness(&c);
	assert_int_equal(r.late[0] + r.late[1] + r.late[2], 0);
	fake_now = 100.0 + 1e6; /* far past every budget */
	coord_check_liveness(&c);
	assert_int_equal(r.late[0], 1);
	assert_int_equal(r.late[1], 1);
	assert_int_equal(r.late[2], 0); /* self: heard at every check */
	assert_int_equal(r.late_n[0], 1);
	assert_true(r.idle_s[0] > 999999.0);
	coord_check_liveness(&c); /* once only */
	assert_int_equal(r.late[0], 1);
	assert_int_equal(coord_late_pending(&c), 2);
	r.has[1] = 1;
	assert_int_equal(coord_late_pending(&c), 1);
	coord_heard(&c, 0);
	assert_int_equal(r.back[0], 1);
	assert_int_equal(coord_late_pending(&c), 0);
	coord_heard(&c, 0); /* not late: nothing to report */
	assert_int_equal(r.back[0], 1);
	coord_clear(&c);
}

/* one rank alone: the clock moves, nobody is watched */
static void unwatched_reports_nothing(void **state)
{
	struct coord c;
	struct rec r;

	(void)state;
	coord_up(&c, &r, 2, -1, 0);
	(void)chunk_for(&c, 0);
	fake_now = 100.0 + 1e6;
	coord_check_liveness(&c);
	assert_int_equal(r.late[0] + r.late[1], 0);
	assert_int_equal(coord_late_pending(&c), 0);
	coord_clear(&c);
}

/* a RESULT: completed and sampled when the chunk was the worker's */
static void complete_samples_own_chunks(void **state)
{
	struct coord c;
	struct rec r;
	struct sched_chunk *ch, *got;

	(void)state;
	coord_up(&c, &r, 2, -1, 1);
	ch = chunk_for(&c, 0);
	assert_int_equal(coord_complete(&c, 1, ch->id, ch->count, 5, &got),
			 STATUS_ERR_PROTO);
	assert_int_equal(c.s.workers[1].n_per, 0);
	assert_int_equal(coord_complete(&c, 0, ch->id, ch->count, 5, &got),
			 STATUS_OK);
	assert_ptr_equal(got, ch);
	assert_int_equal(c.s.workers[0].n_per, 1);
	coord_clear(&c);
}

/* WORK: LIST carries the numbers; RANGE and BYTES only the header */
static void work_message_by_form(void **state)
{
	struct sched_chunk ch;
	struct proto_buf b;
	struct proto_reader r;
	struct proto_work_header h;
	mpz_t n[2], x;

	(void)state;
	memset(&ch, 0, sizeof ch);
	mpz_init_set_ui(n[0], 91);
	mpz_init_set_ui(n[1], 1000003);
	mpz_init(x);
	ch.id = 7;
	ch.first_index = 40;
	ch.count = 2;
	ch.numbers = n;
	proto_buf_init(&b);
	assert_int_equal(coord_pack_work(&b, &ch, PROTO_FORM_LIST), STATUS_OK);
	assert_int_equal(proto_read_work(&r, b.data, b.len, &h), STATUS_OK);
	assert_true(h.chunk_id == 7 && h.first_index == 40 && h.count == 2 &&
		    h.form == PROTO_FORM_LIST);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(proto_unpack_work_number(&r, x), STATUS_OK);
		assert_int_equal(mpz_cmp(x, n[i]), 0);
	}
	assert_int_equal(proto_reader_end(&r), STATUS_OK);
	ch.numbers = NULL; /* a range's chunk has none */
	assert_int_equal(coord_pack_work(&b, &ch, PROTO_FORM_RANGE), STATUS_OK);
	assert_int_equal(proto_read_work(&r, b.data, b.len, &h), STATUS_OK);
	assert_int_equal(h.form, PROTO_FORM_RANGE);
	assert_int_equal(proto_reader_end(&r), STATUS_OK); /* body: caller's */
	proto_buf_clear(&b);
	mpz_clears(n[0], n[1], x, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(clock_is_ns_since_start_never_zero),
		cmocka_unit_test(wrong_twice_on_a_chunk_gives_up),
		cmocka_unit_test(wrong_per_rank_excludes_at_the_limit),
		cmocka_unit_test(wrong_quiet_past_the_limit_and_never_alone),
		cmocka_unit_test(liveness_reports_late_and_back),
		cmocka_unit_test(unwatched_reports_nothing),
		cmocka_unit_test(complete_samples_own_chunks),
		cmocka_unit_test(work_message_by_form),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
