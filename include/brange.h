/*
 * brange.h - rank 0's books for byte-range chunks (proto.h 3a): an --input
 * file cut at line ends, each range one chunk that a worker reads and
 * parses itself.
 *
 * Rank 0 keeps per range only its two offsets; per chunk in flight the
 * INPUT message of the worker that computed it (newline count and bad
 * tokens with range-local lines); and one line counter: the line the next
 * range to be released starts at.  Releasing a chunk in input order turns
 * its local lines into file lines, so messages about bad tokens are
 * byte-identical to those of the text path (input.h), whatever the rank
 * count.
 *
 * Slots: chunk ids alive at once lie within n_slots of each other (the
 * scheduler's window_chunks), so a chunk's INPUT lives in slot
 * id % n_slots from its accepted RESULT to its release.  Pending: the
 * INPUT a rank sent last, waiting for the RESULT that follows it (MPI
 * keeps one sender's messages in order).
 *
 * Ownership: brange_init allocates, brange_clear frees (NULL allowed).
 * Pure module: no MPI, never prints.
 */
#ifndef FACTORIZE_BRANGE_H
#define FACTORIZE_BRANGE_H

#include <stddef.h>
#include <stdint.h>

#include "proto.h"

struct brange {
	uint64_t *ends; /* range k is [ends[k-1], ends[k]) (input_cut) */
	uint64_t n;     /* ranges */
	uint64_t size;  /* the file's size when cut */
	uint64_t line;  /* first line of the next range to release */
	int n_ranks;
	uint32_t n_slots;
	struct proto_buf *pending; /* per rank: its last INPUT */
	uint64_t *pending_id;      /* its chunk id; UINT64_MAX = none */
	struct proto_buf *slot;    /* per slot: an accepted chunk's INPUT */
};

/*
 * Cut path into ranges of about target bytes (input_cut's statuses:
 * STATUS_NOT_FOUND for a file that is not regular, STATUS_ERR_IO with
 * errno...) and make room for n_ranks ranks and n_slots slots.
 */
int brange_init(struct brange *b, const char *path, uint64_t target,
		int n_ranks, uint32_t n_slots);
void brange_clear(struct brange *b);

/* Range k (k < b->n) as a WORK BYTES body. */
void brange_get(const struct brange *b, uint64_t k, struct proto_bytes *y);

/*
 * An INPUT message from rank (msg: a whole message; swapped into the
 * books, msg gets an empty buffer).  STATUS_ERR_PROTO when malformed or
 * when the rank's previous INPUT was not followed by its RESULT.
 */
int brange_input(struct brange *b, int rank, struct proto_buf *msg);

/*
 * The RESULT of chunk_id from rank was accepted: its INPUT moves to the
 * chunk's slot.  STATUS_ERR_PROTO when the rank sent no INPUT for that
 * chunk.  brange_drop forgets the rank's pending INPUT (a duplicate or a
 * rejected RESULT).
 */
int brange_take(struct brange *b, int rank, uint64_t chunk_id);
void brange_drop(struct brange *b, int rank);

/* One bad token at its line of the file (brange_release's callback). */
typedef void (*brange_bad_fn)(void *arg, uint64_t line,
			      const struct proto_bad *t);

/*
 * Chunk chunk_id is released in input order: call fn for each of its bad
 * tokens with its file line, then move the line counter past the range.
 * STATUS_ERR_PROTO when its INPUT is missing or malformed.
 */
int brange_release(struct brange *b, uint64_t chunk_id, brange_bad_fn fn,
		   void *arg);

#endif
