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
	SCHED_MAX_OWNERS = 2,          /* original + one speculative copy */
	SCHED_DEFAULT_MAX_CHUNK = 1024,/* guided: largest chunk */
	SCHED_DEFAULT_WINDOW_NUMBERS = 1 << 18,
	SCHED_DEFAULT_LOOKAHEAD = 1 << 16, /* LIST numbers read ahead */
	SCHED_GUIDED_K = 2             /* chunk = ceil(remaining / (K*slots)) */
};

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
	int state;                      /* enum sched_state */
	int n_owners;                   /* workers holding it now */
	int owners[SCHED_MAX_OWNERS];
	int failed_by;                  /* worker whose result failed, or -1 */
	int failures;
	mpz_t *numbers;                 /* LIST form: count numbers; else NULL */
	uint32_t numbers_cap;           /* mpz_t entries initialised */
	struct proto_buf result;        /* the verified RESULT message */
	int result_worker;              /* who sent it */
};

struct sched_params {
	int n_workers;            /* >= 1 */
	uint32_t chunk;           /* fixed size; 0 = guided */
	uint32_t min_chunk;       /* guided bounds; 0 = 1 */
	uint32_t max_chunk;       /* 0 = SCHED_DEFAULT_MAX_CHUNK */
	uint32_t window_chunks;   /* 0 = max(1024, 8 * n_workers) */
	uint64_t window_numbers;  /* 0 = SCHED_DEFAULT_WINDOW_NUMBERS */
	uint32_t lookahead;       /* 0 = SCHED_DEFAULT_LOOKAHEAD */
	int range;                /* 1: numbers are indices 0..total-1 */
	uint64_t total;           /* range: how many */
	int speculate;            /* re-issue outstanding chunks to idle workers */
	uint64_t max_bytes;       /* 0, or a chunk's items must fit this many
				     bytes (PROTO_MAX_CHUNK_BYTES): a chunk
				     is cut short so that the sum of
				     proto_item_bound over its numbers fits */
	uint64_t range_bits;      /* range: bits of its largest number (the
				     last), which bounds every item */
};

struct sched_worker {
	uint32_t credit;          /* 0 until its REQUEST */
	uint32_t weight;          /* ranks behind it (a group leader: its
				     members); 1 for a plain worker */
	uint32_t held;            /* chunks it holds now */
	uint64_t *holding;        /* ids of those chunks (credit entries) */
	int queued;               /* in the hungry queue */
	int stopped;              /* STOP sent */
	int excluded;             /* no more work: its results were wrong */
};

struct sched {
	struct sched_params p;
	struct sched_chunk *ring; /* window_chunks slots */
	struct sched_worker *workers;
	int *queue;               /* hungry workers, FIFO ring of n_workers */
	int q_head, q_len;
	uint64_t slots;           /* sum of weight * max(credit, 1): the
				     chunks the workers can hold, in units
				     of one factoring rank (guided sizes) */
	uint64_t next_id;         /* id of the next chunk to create */
	uint64_t release_id;      /* id of the next chunk to release */
	uint64_t issued;          /* numbers put into chunks */
	uint64_t released;        /* numbers released */
	/* LIST input buffer: FIFO of numbers not yet in a chunk */
	mpz_t *in;
	uint32_t in_head, in_len, in_cap;
	int input_ended;
	/* chunks waiting to be handed out again (ids, FIFO; entries whose
	   chunk is no longer in SCHED_RETRY are stale and skipped) */
	uint64_t *retry;
	uint32_t retry_head, retry_len;
	uint64_t n_open;          /* chunks ASSIGNED or RETRY */
	uint64_t n_retry;         /* chunks RETRY */
	/* counters */
	uint64_t speculated, duplicates;
	int n_eligible;           /* workers not excluded */
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

#endif
