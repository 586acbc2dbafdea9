/*
 * sched.h - the master's bookkeeping: chunks, workers, the reorder window.
 *
 * Pure module (no MPI, no I/O): the master feeds it requests, input
 * numbers and results, and asks it what to send to whom.  Workers are
 * numbered 0 .. n_workers-1 (the master maps them to ranks).
 *
 * Chunks get ids 0, 1, 2, ... in input order; chunk id k covers input
 * indices [first_index, first_index + count).  A chunk lives in a ring
 * slot from its creation until it is released in order, so at most
 * window_chunks chunks (and about window_numbers numbers) exist between
 * the oldest unreleased one and the newest: when the window is full,
 * hungry workers are held back instead of memory growing.
 *
 * Conversation with the master:
 *   sched_request      a worker's REQUEST: its credit (chunks in hand)
 *   sched_input_*      LIST form: numbers read from a text source
 *   sched_next         what to send now: a chunk to a worker, a STOP, or
 *                      nothing (SCHED_IDLE); call until SCHED_IDLE
 *   sched_complete     a RESULT arrived: validates that the worker holds
 *                      the chunk and the count matches; says whether it
 *                      is the first result (verify it, then sched_accept
 *                      or sched_reject) or a duplicate (drop it)
 *   sched_peek_release / sched_release
 *                      the next chunk in input order once it is done
 *   sched_clock, sched_heard, sched_sample, sched_expire
 *                      liveness: the time now, a message from a worker,
 *                      a chunk's measured time, and the workers whose
 *                      deadline passed (their chunks go to others)
 *
 * Ownership: the sched owns its chunks, their numbers and stored results;
 * pointers it returns stay valid until the chunk is released.
 */
#ifndef FACTORIZE_SCHED_H
#define FACTORIZE_SCHED_H

#include <stddef.h>
#include <stdint.h>
#include <gmp.h>

#include "proto.h"

enum {
	SCHED_MAX_OWNERS = 2,           /* original + one speculative copy */
	SCHED_DEFAULT_MAX_CHUNK = 1024, /* guided: largest chunk */
	/* timed sizing (target_ns): the largest chunk it may choose.  At
	   0.5 us a number (odd numbers near 10^12) the time target asks for
	   about 100,000; the cap bounds what one worker's chunk costs in the reorder window
	   (its block: about 32 bytes a number, 2 MB) and when its worker is
	   lost (65,536 numbers recomputed) whatever the measured rate says */
	SCHED_TIMED_MAX_CHUNK = 1 << 16,
	SCHED_DEFAULT_WINDOW_NUMBERS = 1 << 18,
	SCHED_DEFAULT_LOOKAHEAD = 1 << 16, /* LIST numbers read ahead */
	SCHED_GUIDED_K = 2, /* chunk = ceil(remaining / (K*slots)) */
	/* liveness (sched_expire): the per-number times of a worker's last
	   SCHED_LIVE_SAMPLES results; their maximum is the high quantile
	   (with 16 samples, above the 94th percentile of recent chunks) */
	SCHED_LIVE_SAMPLES = 16,
	/* budget = SAFETY x that maximum x the chunk's numbers: a chunk may
	   take 8 times the slowest recent one (harder numbers, a busy
	   node) before the worker is late */
	SCHED_LIVE_SAFETY = 8
};

/*
 * Timed sizing: with target_ns set (the master sets SCHED_TARGET_CHUNK_NS
 * for ranges without --chunk), the guided maximum is the number of numbers
 * a worker factors in target_ns at the median of the recent per-number
 * times of all workers (the pooled liveness samples; the median, so that
 * one chunk slowed by a busy node does not shrink the next ones), clamped
 * to [max_chunk, SCHED_TIMED_MAX_CHUNK].  50 ms: rank 0 handles a chunk in tens of
 * microseconds, so even one master with hundreds of workers stays far
 * from busy, and the last chunks of a job (the guided shares shrink
 * toward min_chunk) end within about that time of each other.
 */
#define SCHED_TARGET_CHUNK_NS 50000000ull

/*
 * Liveness floors.  SCHED_LIVE_FLOOR_NS: no learned budget is shorter
 * than 5 s, i.e. five heartbeat intervals (PROTO_HEARTBEAT_NS): a live
 * worker that computes sends a heartbeat every second, and a process
 * descheduled on a shared node for a few seconds must not pass for a hang.
 * SCHED_LIVE_FIRST_NS: the budget while no worker has returned a result
 * yet (nothing to learn from): 30 s, so that a first chunk of hard numbers
 * on a slow node with no heartbeat (an engine step that does not poll)
 * is not re-issued needlessly.
 */
#define SCHED_LIVE_FLOOR_NS 5000000000ull
#define SCHED_LIVE_FIRST_NS 30000000000ull

enum sched_state {
	SCHED_FREE = 0,     /* slot unused */
	SCHED_ASSIGNED = 1, /* handed out, no verified result yet */
	SCHED_RETRY = 2,    /* a result failed verification: hand out again */
	SCHED_DONE = 3      /* verified result stored; waits for release */
};

/* What sched_next asks the master to do. */
enum sched_action { SCHED_IDLE = 0, SCHED_ASSIGN = 1, SCHED_STOP = 2 };

/* sched_complete's positive answer for a result already received. */
enum { SCHED_DUPLICATE = 1 };

struct sched_chunk {
	uint64_t id;
	uint64_t first_index;
	uint32_t count;
	int state;    /* enum sched_state */
	int n_owners; /* workers holding it now */
	int owners[SCHED_MAX_OWNERS];
	int failed_by; /* worker whose result failed, or -1 */
	int failures;
	mpz_t *numbers;          /* LIST form: count numbers; else NULL */
	uint32_t numbers_cap;    /* mpz_t entries initialised */
	struct proto_buf result; /* the verified RESULT message */
	int result_worker;       /* who sent it */
};

struct sched_params {
	int n_workers;           /* >= 1 */
	uint32_t chunk;          /* fixed size; 0 = guided */
	uint32_t min_chunk;      /* guided bounds; 0 = 1 */
	uint32_t max_chunk;      /* 0 = SCHED_DEFAULT_MAX_CHUNK */
	uint32_t window_chunks;  /* 0 = max(1024, 8 * n_workers) */
	uint64_t window_numbers; /* 0 = SCHED_DEFAULT_WINDOW_NUMBERS */
	uint32_t lookahead;      /* 0 = SCHED_DEFAULT_LOOKAHEAD */
	int range;               /* 1: numbers are indices 0..total-1 */
	uint64_t total;          /* range: how many */
	int speculate;       /* re-issue outstanding chunks to idle workers */
	uint64_t max_bytes;  /* 0, or a chunk's items must fit this many
				     bytes (PROTO_MAX_CHUNK_BYTES): a chunk
				     is cut short so that the sum of
				     proto_item_bound over its numbers fits */
	uint64_t range_bits; /* range: bits of its largest number (the
				     last), which bounds every item */
	uint64_t timeout_ns; /* liveness: a fixed budget per chunk
				     (--worker-timeout); 0 = learned */
	uint64_t target_ns;  /* guided: a chunk's time target (timed
				     sizing above); 0 = max_chunk alone */
};

struct sched_worker {
	uint32_t credit;   /* 0 until its REQUEST */
	uint32_t weight;   /* ranks behind it (a group leader: its
				     members); 1 for a plain worker */
	uint32_t held;     /* chunks it holds now */
	uint64_t *holding; /* ids of those chunks (credit entries) */
	int queued;        /* in the hungry queue */
	int stopped;       /* STOP sent */
	int excluded;      /* no more work: its results were wrong */
	/* liveness */
	int late;          /* its deadline passed: no more work until
				     it is heard from again */
	uint64_t since_ns; /* last heard from, or given work while
				     holding none: its deadline runs from here */
	uint64_t per_ns[SCHED_LIVE_SAMPLES]; /* recent ns per number */
	uint64_t n_per; /* samples ever added to per_ns (a ring) */
	int gone;       /* its last message is in (sched_gone) */
};

struct sched {
	struct sched_params p;
	struct sched_chunk *ring; /* window_chunks slots */
	struct sched_worker *workers;
	int *queue; /* hungry workers, FIFO ring of n_workers */
	int q_head, q_len;
	uint64_t slots;      /* sum of weight * max(credit, 1): the
				     chunks the workers can hold, in units
				     of one factoring rank (guided sizes) */
	uint64_t next_id;    /* id of the next chunk to create */
	uint64_t release_id; /* id of the next chunk to release */
	uint64_t issued;     /* numbers put into chunks */
	uint64_t released;   /* numbers released */
	/* LIST input buffer: FIFO of numbers not yet in a chunk */
	mpz_t *in;
	uint32_t in_head, in_len, in_cap;
	int input_ended;
	/* chunks waiting to be handed out again (ids, FIFO; entries whose
	   chunk is no longer in SCHED_RETRY are stale and skipped) */
	uint64_t *retry;
	uint32_t retry_head, retry_len;
	uint64_t n_open;  /* chunks ASSIGNED or RETRY */
	uint64_t n_retry; /* chunks RETRY */
	/* liveness: the time now (sched_clock) and every worker's recent
	   per-number times pooled, for a worker with no sample of its own */
	uint64_t now_ns;
	uint64_t pool_ns[SCHED_LIVE_SAMPLES];
	uint64_t n_pool;
	/* counters */
	uint64_t speculated, duplicates;
	uint64_t expired;  /* deadlines passed (sched_expire events) */
	uint64_t reissued; /* chunks re-issued because of them */
	int n_eligible;    /* workers not excluded */
};

/* STATUS_OK, STATUS_ERR_INVAL (bad params) or STATUS_ERR_NOMEM. */
int sched_init(struct sched *s, const struct sched_params *p);
void sched_clear(struct sched *s); /* NULL allowed */

/* LIST input: how many more numbers the sched wants buffered now. */
uint32_t sched_input_wanted(const struct sched *s);
int sched_input_add(struct sched *s, const mpz_t n);
void sched_input_end(struct sched *s);

/*
 * A worker's REQUEST.  STATUS_ERR_PROTO for a bad worker, credit 0 or
 * above PROTO_MAX_CREDIT, or a later REQUEST that does not raise the
 * credit (adaptive prefetch only grows it).
 */
int sched_request(struct sched *s, int worker, uint32_t credit);

/*
 * worker stands for weight factoring ranks (a group leader and its
 * members): its guided chunks are weight times larger, its fixed chunks
 * weight * chunk (capped at PROTO_MAX_CHUNK).  Default 1.
 * STATUS_ERR_INVAL for a bad worker or weight 0.
 */
int sched_set_weight(struct sched *s, int worker, uint32_t weight);

/*
 * The next thing to send: SCHED_ASSIGN (*worker gets *chunk; the sched
 * counts it as held), SCHED_STOP (send *worker STOP; it gets nothing more)
 * or SCHED_IDLE (nothing to do until a result or more input arrives).
 * Workers are stopped only when every chunk is done, so a chunk whose
 * result fails verification can always be handed out again.
 */
int sched_next(struct sched *s, int *worker, struct sched_chunk **chunk);

/*
 * A RESULT for chunk_id with count items from worker.  Returns STATUS_OK
 * (first result: *chunk set; verify it, then sched_accept or
 * sched_reject), SCHED_DUPLICATE (already have one: drop it), or
 * STATUS_ERR_PROTO (the worker does not hold that chunk, or the count is
 * wrong).  Either way the worker's credit is returned.
 */
int sched_complete(struct sched *s, int worker, uint64_t chunk_id,
		   uint32_t count, struct sched_chunk **chunk);

/*
 * The result verified: the chunk is done.  msg (may be NULL: nothing kept,
 * e.g. --unordered already wrote it) is swapped into the chunk, msg gets
 * the chunk's previous buffer.
 */
void sched_accept(struct sched *s, struct sched_chunk *c, int worker,
		  struct proto_buf *msg);

/*
 * The result failed verification: hand the chunk to another worker.
 * Returns the number of failures of this chunk so far.
 */
int sched_reject(struct sched *s, struct sched_chunk *c, int worker);

/*
 * Give worker no more chunks (its results failed verification too often);
 * it is stopped once it holds nothing.  Returns how many workers are left
 * that are not excluded: 0 means nobody can finish the job.
 */
int sched_exclude(struct sched *s, int worker);

/* The next chunk in input order if it is done, else NULL. */
struct sched_chunk *sched_peek_release(struct sched *s);
/* Release that chunk (its slot is reused). */
void sched_release(struct sched *s);

/* 1 when the input has ended and every chunk has been released. */
int sched_all_done(const struct sched *s);
/* 1 when no new chunk can be made and none waits to be handed out again:
 * a worker without a chunk has nothing to wait for (coop.h's JOIN). */
int sched_exhausted(const struct sched *s);

/*
 * Liveness.  The caller's monotonic clock in ns, never 0 once running:
 *   sched_clock   the time now; a worker given work while holding none
 *                 has its deadline run from it
 *   sched_heard   any message from worker (RESULT, REQUEST, HEARTBEAT):
 *                 its deadline runs from now_ns.  A late worker is late
 *                 no more and gets work again: returns 1 then, else 0
 *   sched_sample  worker took busy_ns for a chunk of count numbers
 *                 (learned budgets)
 *   sched_budget  how long a chunk of count numbers may take on worker:
 *                 the fixed timeout_ns, else SCHED_LIVE_SAFETY x the
 *                 largest recent per-number time (the worker's own, else
 *                 every worker's) x count, at least SCHED_LIVE_FLOOR_NS;
 *                 SCHED_LIVE_FIRST_NS before any sample
 *   sched_deadline  since_ns + the budget of the largest chunk it holds;
 *                 0 when it holds nothing or is late already; a worker
 *                 that has sent no REQUEST yet is due at the budget of
 *                 an empty chunk after the start (time 0: since_ns), one
 *                 sent STOP the same after the STOP, until sched_gone
 *   sched_gone    worker's last message (STATS) is in: no deadline more
 *   sched_expire  the first worker whose deadline is before now_ns: it is
 *                 marked late, removed as owner of the chunks it holds
 *                 (they stay in its holding, so a late RESULT is accepted
 *                 if first, dropped if second), each chunk left without
 *                 an owner is handed out again at once; returns the
 *                 worker and *chunks the number re-issued, or -1 when no
 *                 deadline has passed
 *   sched_next_deadline  the earliest deadline, 0 when none
 */
void sched_clock(struct sched *s, uint64_t now_ns);
int sched_heard(struct sched *s, int worker, uint64_t now_ns);
void sched_sample(struct sched *s, int worker, uint32_t count,
		  uint64_t busy_ns);
uint64_t sched_budget(const struct sched *s, int worker, uint32_t count);
uint64_t sched_deadline(const struct sched *s, int worker);
int sched_expire(struct sched *s, uint64_t now_ns, uint32_t *chunks);
void sched_gone(struct sched *s, int worker);
uint64_t sched_next_deadline(const struct sched *s);

#endif
