/*
 * coord.h - what rank 0 and a group leader share as coordinators.
 *
 * Rank 0 (master.c) and every group leader (group.c) run the same kind of
 * loop over the same books: a scheduler (sched.h) whose workers are the
 * ranks below them, a liveness clock, and one rule for wrong results.
 * That part lives here, once, in a struct coord each of them embeds; the
 * rest of each loop is its own side.
 *
 * THE DIFFERENCE BETWEEN RANK 0 AND A LEADER (the one place it is said)
 *
 *                   rank 0 (master.c)           a leader (group.c)
 *   workers         its children: leaders and   its members, and itself
 *                   ungrouped ranks (or itself  (sched worker `self`,
 *                   alone with one rank)        factoring when idle)
 *   work from       the input: text, --count    rank 0's WORK messages,
 *                   ranges, --input byte        numbers fed to the sched
 *                   ranges; the journal on      in arrival order
 *                   --resume (replay.h)
 *   done blocks to  the output in input order   one RESULT per upstream
 *                   (or the workers write it),  chunk to rank 0 (send_up)
 *                   and the journal
 *   a late worker   named; its chunks to the    named as a member of the
 *                   others; its placed blocks   group; its sub-chunks to
 *                   written by rank 0; a        the others
 *                   --stats event
 *   who has sent    per rank (a leader's        per member
 *   its STATS       members by GROUP_STATS)
 *   a failure       said on stderr, the job     an ERROR to rank 0, which
 *                   ends                        ends the job
 *   stop            STOP DONE to each worker    rank 0's STOP passed on
 *                   when the input is done      to every member
 * The ops table below carries the rows the shared code needs (a late
 * worker and its return, who has sent its STATS); the others are each
 * side's own loop.  Both hand out chunks the same way: sched_next, then
 * coord_pack_work (LIST at a leader; rank 0 adds RANGE and BYTES).
 *
 * Invariants:
 *   - The liveness clock is ns since t0 on transport_wtime, never 0.
 *   - A coordinator that is a worker of its own sched (self >= 0) is
 *     heard at every liveness check: it is never late in its own books.
 *   - A wrong result (coord_wrong): the chunk goes to another worker; a
 *     chunk that failed COORD_MAX_FAILURES times ends the job; a worker
 *     with COORD_MAX_WRONG_PER_RANK wrong results gets no more work
 *     (when another worker is left: with none, the job ends).
 *
 * Ownership: coord_init borrows ops and owner; coord_clear frees the
 * sched when it was set up (NULL allowed).
 */
#ifndef FACTORIZE_COORD_H
#define FACTORIZE_COORD_H

#include <stdint.h>

#include "proto.h"
#include "sched.h"

enum {
	COORD_MAX_FAILURES = 2,      /* wrong results for one chunk: give up */
	COORD_MAX_WRONG_PER_RANK = 3 /* wrong results from one worker:
					exclude it */
};

/* Each side's answers to the shared code (owner: the master or group). */
struct coord_ops {
	/* sched worker w passed its deadline, idle_s seconds since it was
	   last heard; n of its chunks were handed out again */
	void (*late)(void *owner, int w, double idle_s, uint32_t n);
	/* sched worker w, late, was heard again: it gets work again */
	void (*back)(void *owner, int w);
	/* 1 when sched worker w has sent its STATS */
	int (*has_stats)(const void *owner, int w);
};

struct coord {
	struct sched s;
	int sched_ready; /* s set up (sched_init done) */
	int watch;       /* liveness kept (not with one rank alone) */
	int self;        /* the coordinator's own sched worker, or -1 */
	double t0;       /* transport_wtime at the start */
	const struct coord_ops *ops;
	void *owner;
};

void coord_init(struct coord *c, const struct coord_ops *ops, void *owner,
		int self, int watch);
void coord_clear(struct coord *c);

/* The liveness clock: ns since t0, never 0. */
uint64_t coord_now_ns(const struct coord *c);

/*
 * The clock moves on (sched_clock); when liveness is kept, the
 * coordinator itself is heard and every worker past its deadline is
 * expired and reported through ops->late.
 */
void coord_check_liveness(struct coord *c);

/*
 * A message from sched worker w: its deadline runs from now; a late
 * worker is late no more (reported through ops->back).
 */
void coord_heard(struct coord *c, int w);

/* Late workers that have not sent STATS: the job does not wait for them. */
int coord_late_pending(const struct coord *c);

/*
 * A RESULT (or HELD) from sched worker w for chunk id, count items, which
 * took it busy_ns: sched_complete into *ch, and when the chunk was that
 * worker's (STATUS_OK, or SCHED_DUPLICATE: another worker's copy came
 * first) the time is a sample of its budget (sched_sample).  Returns
 * sched_complete's answer.
 */
int coord_complete(struct coord *c, int w, uint64_t id, uint32_t count,
		   uint64_t busy_ns, struct sched_chunk **ch);

/*
 * The WORK message of chunk ch into b, in form (enum proto_form): the
 * header, and for PROTO_FORM_LIST the chunk's numbers.  A RANGE or BYTES
 * body (rank 0 only) is the caller's to append.  The codec's status.
 */
int coord_pack_work(struct proto_buf *b, const struct sched_chunk *ch,
		    uint8_t form);

/* What coord_wrong decided; each side says it in its own words. */
struct coord_wrong {
	int give_up;   /* the chunk failed COORD_MAX_FAILURES times */
	int say;       /* recomputing it: say so (the first few) */
	int excluded;  /* the worker gets no more work */
	int none_left; /* ... and nobody is left to finish the job */
};

/*
 * Chunk ch of sched worker w failed its check; *wrong counts that
 * worker's wrong results (incremented here).  failed: the coordinator
 * has failed already (nothing is excluded then, nor after give_up).
 * Hands the chunk out again (sched_reject) and excludes the worker at
 * the limit when the sched has another worker.
 */
struct coord_wrong coord_wrong(struct coord *c, int w, struct sched_chunk *ch,
			       uint32_t *wrong, int failed);

#endif
