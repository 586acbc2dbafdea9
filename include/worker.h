/*
 * worker.h - the worker side of the conversation in proto.h, and the
 * chunk processor that rank 0 shares when it works alone.
 *
 * worker_run is the loop of every rank but 0: CONFIG, REQUEST, then WORK
 * -> RESULT until STOP, then STATS.  It prints nothing: a failure it can
 * describe is sent to the master as ERROR, and the status is returned to
 * main for the exit code.
 *
 * struct worker_ctx turns one WORK message into one RESULT message with
 * the engine; the master uses the same code when it is the only rank, so
 * ordering, verification and output take one path for any rank count.
 */
#ifndef FACTORIZE_WORKER_H
#define FACTORIZE_WORKER_H

#include <stddef.h>
#include <stdint.h>
#include <gmp.h>

#include "cli.h"
#include "engine.h"
#include "block.h"
#include "proto.h"
#include "range.h"

struct worker_ctx {
	struct engine_params params;
	struct engine_result res;
	mpz_t n, step;
	uint32_t fault_flags;      /* enum proto_fault, from CONFIG */
	unsigned fault_ms;         /* PROTO_FAULT_SLOW: sleep per chunk */
	uint32_t max_number_bytes; /* numbers longer are refused; 0 = cap */
	int stop_requested;        /* set by the engine's stop hook */
	int (*stop_poll)(void);    /* non-zero when the chunk must be abandoned;
				   polled at most every few milliseconds */
	uint64_t last_poll_ns;
	/* liveness (proto.h 6a): called by the stop hook at most every
	   PROTO_HEARTBEAT_NS while a chunk is factored; NULL = none (rank 0
	   alone) */
	void (*beat)(uint64_t chunk_id, uint64_t elapsed_ns);
	uint64_t last_beat_ns;
	uint64_t chunk_id, chunk_t0; /* the chunk being factored, its start */
	uint64_t numbers, chunks, busy_ns;
	/* output: every rank formats its own lines (worker_ctx_set_output;
	   after init: text, --verify full, rank 0) */
	int format, exponents, verbose, verify, rank;
	char *block; /* the chunk's lines being built */
	size_t block_cap, block_len;
	uint32_t partial;    /* lines of the chunk with a composite part */
	uint32_t bad_index;  /* PROTO_NO_BAD_INDEX or the failed number */
	struct range *range; /* RANGE chunks (range.h); NULL until the
				   first, kept between chunks */
	/* BYTES chunks (proto.h 3a): the --input path and --max-digits
	   from the options, the last chunk's INPUT message (len 0 after
	   any other chunk: nothing to send) and its bad-token entries */
	const char *input_path;
	unsigned long max_digits;
	struct proto_buf input_msg;
	struct proto_buf bad;
	uint32_t n_bad;
	/* workers write the output (proto.h 3b): hold is set once FILE
	   arrives (worker_run); each chunk's block is then kept here until
	   rank 0 places or drops it, and HELD carries the sample that
	   block_check_held expects (drawn with `sample`).  Rank 0 issues no
	   chunk beyond its reorder window, which bounds the list. */
	int hold, sample_ready;
	struct block_check sample;
	struct worker_block *held;
	uint32_t n_held, held_cap;
};

/* A block kept for proto.h 3b. */
struct worker_block {
	uint64_t chunk_id;
	char *data;
	size_t len;
};

/*
 * The held block of chunk_id taken out of w (the caller frees data);
 * STATUS_NOT_FOUND when w holds none.
 */
int worker_take_block(struct worker_ctx *w, uint64_t chunk_id,
		      struct worker_block *out);

/* params from a CONFIG; fault_ms from the options (test only). */
void worker_ctx_init(struct worker_ctx *w, const struct proto_config *c,
		     unsigned fault_ms);
void worker_ctx_clear(struct worker_ctx *w); /* NULL allowed */

/* Format, exponents, verbose and --verify from o; rank for --verbose. */
void worker_ctx_set_output(struct worker_ctx *w, const struct options *o,
			   int rank);

/*
 * Factor the chunk in work (a whole WORK message) into result (a whole
 * RESULT message: the chunk's checked and formatted lines); for a BYTES
 * chunk also w->input_msg (its INPUT message, to be sent first).  STATUS_OK; STATUS_ERR_PROTO for a malformed WORK (text
 * in err); STATUS_ERR_STOPPED when stop_poll asked to abandon the chunk;
 * STATUS_ERR_NOMEM.
 */
int worker_process(struct worker_ctx *w, const void *work, size_t len,
		   struct proto_buf *result, char *err, size_t err_size);

/*
 * The --verify rule a worker applies to each of its results before it
 * formats it: FULL and SAMPLE are engine_verify (product and primality),
 * PRODUCT only checks that the product of p^e is n, NONE accepts
 * anything.
 * STATUS_OK or STATUS_ERR_VERIFY.
 */
int worker_verify(int mode, const struct engine_result *r, const mpz_t n);

/* The loop of a worker rank.  Returns STATUS_OK or the failure. */
int worker_run(const struct options *o, char *err, size_t err_size);

#endif
