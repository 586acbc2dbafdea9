/*
 * coord.c - the coordinator's shared books: rank 0 and group leaders
 * (coord.h says what they share and where they differ).
 *
 * Purpose: keep one copy of what master.c and group.c both do with their
 * scheduler: the liveness clock, the expiry of late workers and their
 * return, the count of late workers the end of the job does not wait
 * for, the WORK message of a chunk, the bookkeeping of an arriving
 * RESULT (completion and the budget sample), and the rule for wrong
 * results.
 *
 * Invariants: see coord.h.  The shared code decides and counts; each side
 * prints its own words (ops->late, and the coord_wrong verdict), so rank
 * 0's and a leader's messages stay theirs.
 *
 * Liveness, in order (coord_check_liveness): sched_clock(now); then, when
 * watched, sched_heard(self) for a coordinator that factors too, then
 * sched_expire until no deadline has passed, each late worker reported.
 */
#include "coord.h"

#include <string.h>

#include "status.h"
#include "transport.h"

void coord_init(struct coord *c, const struct coord_ops *ops, void *owner,
		int self, int watch)
{
	memset(c, 0, sizeof *c);
	c->ops = ops;
	c->owner = owner;
	c->self = self;
	c->watch = watch;
	c->t0 = transport_wtime();
}

void coord_clear(struct coord *c)
{
	if (c == NULL || !c->sched_ready)
		return;
	sched_clear(&c->s);
	c->sched_ready = 0;
}

uint64_t coord_now_ns(const struct coord *c)
{
	double t = transport_wtime() - c->t0;

	return t > 0 ? (uint64_t)(t * 1e9) + 1 : 1;
}

void coord_check_liveness(struct coord *c)
{
	uint64_t now = coord_now_ns(c);
	uint32_t n;
	int w;

	sched_clock(&c->s, now);
	if (!c->watch)
		return;
	if (c->self >= 0)
		(void)sched_heard(&c->s, c->self, now);
	while ((w = sched_expire(&c->s, now, &n)) >= 0)
		c->ops->late(c->owner, w,
			     (double)(now - c->s.workers[w].since_ns) * 1e-9,
			     n);
}

void coord_heard(struct coord *c, int w)
{
	if (c->sched_ready && sched_heard(&c->s, w, coord_now_ns(c)))
		c->ops->back(c->owner, w);
}

int coord_complete(struct coord *c, int w, uint64_t id, uint32_t count,
		   uint64_t busy_ns, struct sched_chunk **ch)
{
	int st = sched_complete(&c->s, w, id, count, ch);

	if (st == STATUS_OK || st == SCHED_DUPLICATE)
		sched_sample(&c->s, w, count, busy_ns);
	return st;
}

int coord_pack_work(struct proto_buf *b, const struct sched_chunk *ch,
		    uint8_t form)
{
	struct proto_work_header h;
	int st;

	h.chunk_id = ch->id;
	h.first_index = ch->first_index;
	h.count = ch->count;
	h.form = form;
	st = proto_pack_work_begin(b, &h);
	for (uint32_t i = 0;
	     form == PROTO_FORM_LIST && i < ch->count && st == STATUS_OK; i++)
		st = proto_pack_work_number(b, ch->numbers[i]);
	return st;
}

int coord_late_pending(const struct coord *c)
{
	int n = 0;

	for (int w = 0; c->watch && c->sched_ready && w < c->s.p.n_workers; w++)
		if (w != c->self)
			n += c->s.workers[w].late &&
				!c->ops->has_stats(c->owner, w);
	return n;
}

struct coord_wrong coord_wrong(struct coord *c, int w, struct sched_chunk *ch,
			       uint32_t *wrong, int failed)
{
	struct coord_wrong v = { 0, 0, 0, 0 };
	uint32_t k = ++*wrong;

	if (sched_reject(&c->s, ch, w) >= COORD_MAX_FAILURES)
		v.give_up = 1;
	else if (k <= COORD_MAX_WRONG_PER_RANK)
		v.say = 1;
	if (!failed && !v.give_up && k == COORD_MAX_WRONG_PER_RANK &&
	    c->s.p.n_workers > 1) {
		v.excluded = 1;
		v.none_left = sched_exclude(&c->s, w) == 0;
	}
	return v;
}
