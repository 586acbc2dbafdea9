/*
 * worker.c - the worker loop and the chunk processor (see worker.h).
 *
 * Purpose: factor the chunks the master sends and answer each with one
 * packed RESULT, following the conversation in proto.h.
 *
 * Invariants:
 *   - A worker talks to one parent only: rank 0, or with --group-size
 *     the leader of its group (topo_group_parent; group.c is the
 *     leader's side).  Both speak the same conversation.
 *   - Every received byte goes through the proto.c decoder before use; a
 *     malformed message is answered with ERROR (never a crash), after
 *     which the worker only waits for STOP.
 *   - A worker never exits its loop without a STOP from the master, so
 *     the master is never left waiting for a rank that is gone.
 *   - Prefetch needs little code here: the master keeps credit chunks in
 *     flight, so the next WORK already sits in the MPI queue while this
 *     one is factored.  Credit starts at 1 + prefetch; when the worker
 *     waited for a WORK longer than its last chunk took and that chunk
 *     was shorter than WORKER_TINY_CHUNK_NS, it doubles its credit (up to
 *     PROTO_ADAPTIVE_CREDIT) with another REQUEST: tiny chunks need a
 *     deeper pipeline to hide the round trip, big ones do not.
 *
 *   - The worker checks and formats its own results: a RESULT carries the
 *     chunk's output lines (the job's format, from the same command line
 *     every rank parsed), never per-number data for rank 0 to decode.
 *
 * Steps of worker_process: decode the WORK header; for each number (LIST:
 * decoded; BYTES: parsed from the worker's own read of its byte range of
 * the --input file, worker_bytes, which also packs the INPUT message of
 * the range's newlines and bad tokens, sent before the RESULT; RANGE: the
 * range engine, range.c, which sieves the chunk's
 * progression and hands what it leaves composite to the engine with
 * the same params: worker_range) run with the seed and time limit of
 * CONFIG and the stop hook, then worker_emit: the --verify check
 * (engine_factor's own engine_verify counts when params.verify is on,
 * and so does the range engine's own check, range.c step 6), the line
 * appended to the block with its elapsed time (--verbose); a
 * result failing the check ends the chunk with bad_index set.  A RANGE
 * term below 2^64 stays in machine words from the sieve to its line
 * (range_next_words, worker_emit_words, output_format_words).  The RESULT
 * holds the block, the partial count and the busy time; it does not
 * depend on the path (range.h).  A RANGE chunk whose last term is longer
 * than the CONFIG limit takes the per-number loop, which reports the
 * first such term.  The range state lives in the worker_ctx and persists
 * between chunks: a chunk that continues the last one (rank 0 alone hands
 * them out in order) continues its sieve.  The stop hook looks for a STOP
 * message at most every STOP_POLL_NS so that an ABORT interrupts even a
 * long factorization, and sends a HEARTBEAT (proto.h 6a) at most every
 * PROTO_HEARTBEAT_NS, so that the master does not take a worker that is
 * long on one number for a hung one.  A LIST chunk calls the hook every
 * WORKER_RANGE_POLL numbers too, as a RANGE chunk does.
 *
 * Shared numbers (proto.h 12-15, coop.c): in the flat layout with two
 * workers or more the engine gets coop.c's owner hooks (a SIQS run of 50
 * digits or more is announced and takes other ranks' relations), the
 * loop waits for messages from any rank (a RELS of a run that is over is
 * dropped there and in the stop hook), a JOIN makes this worker a helper
 * until rank 0's next message (coop_help), and a LEAVE after that is
 * ignored.
 *
 * Test-only faults (CONFIG fault_flags, set by the master for one rank):
 * PROTO_FAULT_WRONG_RESULT makes the first line of every chunk wrong
 * after the worker's own check (rank 0's sample always parses the first
 * line back, so it must catch it); PROTO_FAULT_SLOW sleeps fault_ms per
 * chunk, in slices of STOP_POLL_NS through the stop hook (as a long
 * number would: heartbeats go on, a STOP cuts it).
 */
#include "worker.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "coop.h"
#include "input.h"
#include "journal.h"
#include "output.h"
#include "range.h"
#include "status.h"
#include "topo.h"
#include "transport.h"

__extension__ typedef unsigned __int128 worker_u128;

enum {
	STOP_POLL_NS = 5000000,        /* stop hook: probe at most every 5 ms */
	WORKER_TINY_CHUNK_NS = 200000, /* adaptive prefetch below 0.2 ms */
	/*
	 * --verify full proves factors below this prime by a bitmap (64 KiB)
	 * instead of a strong-pseudoprime test: at 10^12 every factor but
	 * the largest is below sqrt(n) = 10^6 < 2^20.
	 */
	WORKER_SMALL_PRIME_BOUND = 1 << 20,
	/* a RANGE chunk looks at the stop hook every this many terms
	   (about 25 us of sieved terms; the hook reads the clock) */
	WORKER_RANGE_POLL = 256
};

static uint64_t worker_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int worker_stop_hook(void *arg)
{
	struct worker_ctx *w = arg;
	uint64_t t;

	if (w->stop_requested)
		return 1;
	if (w->stop_poll == NULL)
		return 0;
	t = worker_now_ns();
	if (t - w->last_poll_ns < STOP_POLL_NS)
		return 0;
	w->last_poll_ns = t;
	if (w->beat != NULL && t - w->last_beat_ns >= PROTO_HEARTBEAT_NS) {
		w->last_beat_ns = t;
		w->beat(w->chunk_id, t - w->chunk_t0);
	}
	if (w->stop_poll()) {
		w->stop_requested = 1;
		return 1;
	}
	return 0;
}

void worker_ctx_init(struct worker_ctx *w, const struct proto_config *c,
		     unsigned fault_ms)
{
	memset(w, 0, sizeof *w);
	engine_params_init(&w->params);
	w->params.seed = c->seed;
	w->params.time_limit = (double)c->time_limit_us * 1e-6;
	w->params.stop = worker_stop_hook;
	w->params.stop_arg = w;
	engine_result_init(&w->res);
	mpz_init(w->n);
	mpz_init(w->step);
	w->fault_flags = c->fault_flags;
	w->fault_ms = fault_ms;
	w->max_number_bytes = c->max_number_bytes;
	proto_buf_init(&w->input_msg);
	proto_buf_init(&w->bad);
}

void worker_ctx_clear(struct worker_ctx *w)
{
	if (w == NULL)
		return;
	engine_result_clear(&w->res);
	mpz_clear(w->n);
	mpz_clear(w->step);
	free(w->block);
	w->block = NULL;
	range_free(w->range);
	w->range = NULL;
	proto_buf_clear(&w->input_msg);
	proto_buf_clear(&w->bad);
	for (uint32_t i = 0; i < w->n_held; i++)
		free(w->held[i].data);
	free(w->held);
	w->held = NULL;
	w->n_held = w->held_cap = 0;
	if (w->sample_ready)
		block_check_clear(&w->sample);
	w->sample_ready = 0;
}

/*
 * Start the range engine on a RANGE chunk: *use 1 when it takes the
 * chunk, 0 when the per-number loop must (a term over the size limit).
 */
static int worker_range_begin(struct worker_ctx *w, uint32_t count, int *use)
{
	int st;

	*use = 0;
	if (w->max_number_bytes > 0) {
		mpz_t last;
		size_t bytes;
		mpz_init(last);
		mpz_mul_ui(last, w->step, (unsigned long)(count - 1));
		mpz_add(last, last, w->n);
		bytes = (mpz_sizeinbase(last, 2) + 7) / 8;
		mpz_clear(last);
		if (bytes > w->max_number_bytes)
			return STATUS_OK;
	}
	if (w->range == NULL) {
		st = range_new(&w->range, NULL);
		if (st != STATUS_OK)
			return st;
	}
	st = range_begin(w->range, w->n, w->step, count);
	if (st == STATUS_OK)
		*use = 1;
	return st;
}

/*
 * The per-number path for item i: decode (LIST) or step (RANGE) to the
 * number, check its size, engine_factor.  STATUS_ERR_PROTO (text in err)
 * for a malformed or oversized number; otherwise engine_factor's status.
 */
static int worker_next_number(struct worker_ctx *w, struct proto_reader *r,
			      const struct proto_work_header *h, uint32_t i,
			      char *err, size_t err_size)
{
	if (h->form == PROTO_FORM_LIST) {
		if (proto_unpack_work_number(r, w->n) != STATUS_OK) {
			snprintf(err, err_size, "malformed number %u in WORK",
				 i);
			return STATUS_ERR_PROTO;
		}
	} else if (i > 0) {
		mpz_add(w->n, w->n, w->step);
	}
	if (w->max_number_bytes > 0 &&
	    (mpz_sizeinbase(w->n, 2) + 7) / 8 > w->max_number_bytes) {
		snprintf(err, err_size,
			 "number %u of chunk %llu is longer "
			 "than the %u-byte limit",
			 i, (unsigned long long)h->chunk_id,
			 w->max_number_bytes);
		return STATUS_ERR_PROTO;
	}
	return engine_factor(&w->res, w->n, &w->params);
}

void worker_ctx_set_output(struct worker_ctx *w, const struct options *o,
			   int rank)
{
	w->format = o->format;
	w->exponents = o->exponents;
	w->verbose = o->verbose;
	w->verify = o->verify;
	w->rank = rank;
	w->input_path = o->input;
	w->max_digits = o->max_digits;
	if (w->sample_ready)
		block_check_clear(&w->sample);
	block_check_init(&w->sample, o);
	w->sample_ready = 1;
}

/* Test only: the first line of a chunk made wrong (rank 0 always checks
   it): a factor's exponent raised, or a factor 2 given to 0 or 1. */
static void plant_wrong_result(struct engine_result *r)
{
	mpz_t two;

	if (r->count > 0) {
		r->f[0].e++;
		return;
	}
	mpz_init_set_ui(two, 2);
	(void)engine_result_add(r, two, 1, ENGINE_PRIME);
	mpz_clear(two);
}

/* plant_wrong_result for an answer in words. */
static void plant_wrong_words(struct engine_words *x)
{
	if (x->count > 0) {
		x->e[0]++;
		return;
	}
	x->p[0] = 2;
	x->e[0] = 1;
	x->count = 1;
}

/*
 * Number i of the chunk, n, whose result is in w->res, into the chunk's
 * block: the worker's own --verify check (skipped when the producer ran
 * the same engine_verify already: checked = 1), then the planted fault
 * (test only, after the check, as a rank that lies would), then its line.
 * Whatever produced w->res comes through here, so every line is checked
 * and formatted one way.  A failed check sets bad_index and empties the
 * block: the chunk is recomputed elsewhere.
 */
static int worker_emit(struct worker_ctx *w, uint32_t i, const mpz_t n,
		       uint32_t us, int checked)
{
	struct output_meta meta;
	long len;

	if (!checked && worker_verify(w->verify, &w->res, n) != STATUS_OK) {
		w->bad_index = i;
		w->block_len = 0;
		w->partial = 0;
		return STATUS_OK;
	}
	if ((w->fault_flags & PROTO_FAULT_WRONG_RESULT) && i == 0)
		plant_wrong_result(&w->res);
	if (w->res.status == STATUS_PARTIAL)
		w->partial++;
	meta.rank = w->rank;
	meta.seconds = (double)us * 1e-6;
	len = output_format_at(&w->block, &w->block_cap, w->block_len,
			       w->format, w->exponents, w->verbose, n, &w->res,
			       &meta);
	if (len < 0)
		return (int)len;
	w->block_len = (size_t)len;
	return STATUS_OK;
}

/*
 * worker_emit for term i of a RANGE chunk answered in words (range.h):
 * range_next_words checked it (the product in words, the primes proven
 * by the sieve or the 64-bit tier), as engine_factor's own check counts
 * for worker_emit; then the planted fault, then its line, written from
 * the words (output_format_words: the bytes worker_emit writes for the
 * same factors).
 */
static int worker_emit_words(struct worker_ctx *w, uint32_t i,
			     struct engine_words *x,
			     const struct output_term *t, uint32_t us)
{
	struct output_meta meta;
	long len;

	if ((w->fault_flags & PROTO_FAULT_WRONG_RESULT) && i == 0)
		plant_wrong_words(x);
	meta.rank = w->rank;
	meta.seconds = (double)us * 1e-6;
	len = output_format_words(&w->block, &w->block_cap, w->block_len,
				  w->format, w->exponents, w->verbose, x, t,
				  &meta);
	if (len < 0)
		return (int)len;
	w->block_len = (size_t)len;
	return STATUS_OK;
}

/*
 * worker_emit for number i whose result was just produced: its time is
 * the span since *t1 (the previous number's end, or the chunk's start) in
 * microseconds, clamped to a u32 (about 71 minutes), and *t1 moves to
 * now.  The producer's own check stands for the --verify check when
 * params.verify is set: engine_factor ran engine_verify itself, and
 * range_next checked its result too (the product, primality by the
 * sieve: range.c step 6).
 */
static int worker_emit_timed(struct worker_ctx *w, uint32_t i, uint64_t *t1,
			     char *err, size_t err_size)
{
	uint64_t t2 = worker_now_ns(), us = (t2 - *t1) / 1000;
	int st;

	st = worker_emit(w, i, w->n,
			 us > UINT32_MAX ? UINT32_MAX : (uint32_t)us,
			 w->params.verify);
	*t1 = t2;
	if (st != STATUS_OK)
		snprintf(err, err_size, "cannot format a result: %s",
			 status_str(st));
	return st;
}

/* block_sample's emit: one sampled line into the HELD being packed. */
static int worker_held_line(void *arg, uint32_t i, const unsigned char *line,
			    size_t len)
{
	return proto_pack_held_line(arg, i, line, (uint32_t)len);
}

/* Keep the chunk's block (its buffer moves to the list: no copy). */
static int worker_keep(struct worker_ctx *w, uint64_t chunk_id)
{
	struct worker_block *b;

	if (w->n_held == w->held_cap) {
		uint32_t cap = w->held_cap ? 2 * w->held_cap : 16;
		b = realloc(w->held, cap * sizeof *b);
		if (b == NULL)
			return STATUS_ERR_NOMEM;
		w->held = b;
		w->held_cap = cap;
	}
	b = &w->held[w->n_held++];
	b->chunk_id = chunk_id;
	b->data = w->block;
	b->len = w->block_len;
	w->block = NULL;
	w->block_cap = 0;
	w->block_len = 0;
	return STATUS_OK;
}

int worker_take_block(struct worker_ctx *w, uint64_t chunk_id,
		      struct worker_block *out)
{
	for (uint32_t i = 0; i < w->n_held; i++) {
		if (w->held[i].chunk_id != chunk_id)
			continue;
		*out = w->held[i];
		memmove(&w->held[i], &w->held[i + 1],
			(w->n_held - i - 1) * sizeof *w->held);
		w->n_held--;
		return STATUS_OK;
	}
	return STATUS_NOT_FOUND;
}

/* HELD (proto.h 3b): the fixed part and the sample; the block is kept. */
static int worker_pack_held(struct worker_ctx *w,
			    const struct proto_result_header *rh,
			    struct proto_buf *result)
{
	struct proto_result_header h = *rh;
	int good = rh->bad_index == PROTO_NO_BAD_INDEX;
	uint32_t n = good
		? block_sample_size(&w->sample, rh->chunk_id, rh->count)
		: 0;
	int st;

	/* the CRC rank 0 journals with the block's place (journal.h) */
	h.block_crc = good ? journal_crc32c(0, w->block, w->block_len) : 0;
	st = proto_pack_held_begin(result, &h, n);

	if (st == STATUS_OK && good)
		st = block_sample(&w->sample, rh->chunk_id,
				  (const unsigned char *)w->block, w->block_len,
				  rh->count, worker_held_line, result);
	if (st == STATUS_OK && good)
		st = worker_keep(w, rh->chunk_id);
	return st;
}

/* The chunk's RESULT from w's block (count numbers, busy_ns spent). */
static int worker_pack(struct worker_ctx *w, uint64_t chunk_id, uint32_t count,
		       uint64_t busy_ns, struct proto_buf *result, char *err,
		       size_t err_size)
{
	struct proto_result_header rh;
	int st;

	if (w->block_len >
	    (size_t)PROTO_MAX_MSG - PROTO_HEADER_BYTES - PROTO_RESULT_FIXED) {
		snprintf(err, err_size,
			 "the output of chunk %llu (%zu bytes) "
			 "exceeds the message cap",
			 (unsigned long long)chunk_id, w->block_len);
		return STATUS_ERR_PROTO;
	}
	rh.chunk_id = chunk_id;
	rh.count = count;
	rh.partial = w->partial;
	rh.busy_ns = busy_ns;
	rh.bad_index = w->bad_index;
	rh.block_len = (uint32_t)w->block_len;
	rh.block_crc = 0; /* HELD's, set by worker_pack_held */
	st = w->hold ? worker_pack_held(w, &rh, result)
		     : proto_pack_result(result, &rh, w->block);
	if (st != STATUS_OK) {
		snprintf(err, err_size, "cannot pack a result: %s",
			 status_str(st));
		return st;
	}
	w->busy_ns += rh.busy_ns;
	w->numbers += count;
	w->chunks++;
	return STATUS_OK;
}

/* A bad token of a BYTES range into w->bad (INPUT's entries). */
static int worker_bad_token(struct worker_ctx *w, int st,
			    const struct input_error *e)
{
	struct proto_bad t;
	size_t len = strlen(e->token);

	t.line = e->line;
	t.reason = st == STATUS_ERR_RANGE ? PROTO_BAD_LONG : PROTO_BAD_SYNTAX;
	if (len > PROTO_MAX_TOKEN)
		len = PROTO_MAX_TOKEN; /* cannot happen: token is 64 bytes */
	memcpy(t.token, e->token, len);
	t.token[len] = '\0';
	w->n_bad++;
	return w->n_bad > PROTO_MAX_BAD_TOKENS
		? STATUS_ERR_RANGE
		: proto_pack_input_bad(&w->bad, &t);
}

/* Why a byte range could not be read, into err. */
static int worker_bytes_error(const struct worker_ctx *w, int st,
			      uint64_t offset, char *err, size_t err_size)
{
	if (st == STATUS_ERR_CORRUPT)
		snprintf(err, err_size,
			 "%s: the file changed size during the job",
			 w->input_path);
	else
		snprintf(err, err_size, "%s: cannot read bytes from %llu: %s",
			 w->input_path, (unsigned long long)offset,
			 st == STATUS_ERR_IO && errno ? strerror(errno)
						      : status_str(st));
	return st == STATUS_ERR_NOMEM ? st : STATUS_ERR_IO;
}

/*
 * A BYTES chunk (proto.h 3a): read and parse the range of the --input
 * file, factor and emit each number as a LIST chunk would, collect the bad
 * tokens with their range-local lines, then pack INPUT into w->input_msg
 * and the RESULT.  The parse is input_next's, so the tokens, the
 * --max-digits rule and the messages are those of the text path.
 */
static int worker_bytes(struct worker_ctx *w, struct proto_reader *r,
			const struct proto_work_header *h,
			struct proto_buf *result, char *err, size_t err_size)
{
	struct proto_bytes y;
	struct input_source *src = NULL;
	struct input_error e;
	uint64_t t0 = worker_now_ns(), t1 = t0;
	uint32_t i = 0;
	int st;

	if (proto_unpack_work_bytes(r, &y) != STATUS_OK || !w->input_path) {
		snprintf(err, err_size, "malformed WORK message");
		return STATUS_ERR_PROTO;
	}
	w->chunk_id = h->chunk_id;
	w->chunk_t0 = t0;
	w->last_beat_ns = t0;
	w->n_bad = 0;
	proto_buf_reset(&w->bad);
	st = input_open_bytes(&src, w->input_path, y.offset, y.length, y.size,
			      w->max_digits);
	if (st != STATUS_OK)
		return worker_bytes_error(w, st, y.offset, err, err_size);
	while (w->bad_index == PROTO_NO_BAD_INDEX) {
		memset(&e, 0, sizeof e);
		st = input_next(src, w->n, &e);
		if (st == STATUS_NOT_FOUND)
			break;
		if (st == STATUS_ERR_SYNTAX || st == STATUS_ERR_RANGE) {
			st = worker_bad_token(w, st, &e);
			if (st == STATUS_OK)
				continue;
			snprintf(err, err_size,
				 "%s: more than %d bad tokens in the %llu "
				 "bytes from %llu",
				 w->input_path, PROTO_MAX_BAD_TOKENS,
				 (unsigned long long)y.length,
				 (unsigned long long)y.offset);
			goto out;
		}
		if (st != STATUS_OK) {
			st = worker_bytes_error(w, st, y.offset, err, err_size);
			goto out;
		}
		if (i == PROTO_MAX_CHUNK) {
			snprintf(err, err_size,
				 "%s: more than %d numbers in the line(s) "
				 "from byte %llu",
				 w->input_path, PROTO_MAX_CHUNK,
				 (unsigned long long)y.offset);
			st = STATUS_ERR_RANGE;
			goto out;
		}
		st = engine_factor(&w->res, w->n, &w->params);
		if (i % WORKER_RANGE_POLL == WORKER_RANGE_POLL - 1)
			(void)worker_stop_hook(w);
		if (w->stop_requested) {
			st = STATUS_ERR_STOPPED;
			goto out;
		}
		if (st != STATUS_OK && st != STATUS_PARTIAL) {
			snprintf(err, err_size, "engine failed on a number: %s",
				 status_str(st));
			goto out;
		}
		st = worker_emit_timed(w, i++, &t1, err, err_size);
		if (st != STATUS_OK)
			goto out;
	}
	st = proto_pack_input_begin(&w->input_msg, h->chunk_id,
				    input_line(src) - 1, w->n_bad);
	if (st == STATUS_OK)
		st = proto_buf_append(&w->input_msg, w->bad.data, w->bad.len);
	if (st != STATUS_OK) {
		snprintf(err, err_size, "cannot pack INPUT: %s",
			 status_str(st));
		goto out;
	}
	st = worker_pack(w, h->chunk_id, i, t1 - t0, result, err, err_size);
out:
	input_close(src);
	return st;
}

/*
 * After the engine ran on number i with status st: STATUS_ERR_STOPPED
 * when a STOP came, the engine's error (text in err), else STATUS_OK.
 */
static int worker_engine_status(const struct worker_ctx *w, int st, uint32_t i,
				char *err, size_t err_size)
{
	if (w->stop_requested)
		return STATUS_ERR_STOPPED;
	if (st != STATUS_OK && st != STATUS_PARTIAL) {
		snprintf(err, err_size, "engine failed on %s: %s",
			 i < 1 ? "first number" : "a number", status_str(st));
		return st;
	}
	return STATUS_OK;
}

/* Microseconds from t1 to t2, saturated (a line's --verbose seconds). */
static uint32_t worker_us(uint64_t t1, uint64_t t2)
{
	return (uint32_t)((t2 - t1) / 1000 > UINT32_MAX ? UINT32_MAX
							: (t2 - t1) / 1000);
}

/*
 * A RANGE chunk through the range engine, begun at t0: each term's
 * answer in words when it has one (range_next_words: every term below
 * 2^64 but one left partial), its line written straight from them
 * (worker_emit_words), any other term through w->res and worker_emit as
 * on the per-number path.  The clock is read per term only for
 * --verbose, whose lines carry the seconds; otherwise by the stop hook
 * every WORKER_RANGE_POLL terms (the sieve calls no engine, and no hook,
 * for most terms) and once at the end for the busy time.
 */
static int worker_range(struct worker_ctx *w, const struct proto_work_header *h,
			uint64_t t0, struct proto_buf *result, char *err,
			size_t err_size)
{
	struct engine_words x;
	struct output_term term; /* the terms' text, by decimal addition */
	uint64_t t1 = t0, t2;
	uint32_t us = 0;
	int st, in_words;

	if (mpz_sizeinbase(w->n, 2) <= 64 && mpz_sizeinbase(w->step, 2) <= 64)
		output_term_init(&term, mpz_get_ui(w->n), mpz_get_ui(w->step));
	else
		term.valid = 0;
	for (uint32_t i = 0; i < h->count && w->bad_index == PROTO_NO_BAD_INDEX;
	     i++) {
		st = range_next_words(w->range, &x, &w->res, &w->params,
				      &in_words);
		if (i % WORKER_RANGE_POLL == 0)
			(void)worker_stop_hook(w);
		st = worker_engine_status(w, st, i, err, err_size);
		if (st != STATUS_OK)
			return st;
		if (w->verbose) {
			t2 = worker_now_ns();
			us = worker_us(t1, t2);
			t1 = t2;
		}
		if (in_words && !w->params.verify) /* worker_emit checks */
			in_words = engine_result_set_words(&w->res, &x) != 0;
		if (in_words) {
			st = worker_emit_words(w, i, &x, &term, us);
		} else {
			range_last(w->range, w->n);
			st = worker_emit(w, i, w->n, us, w->params.verify);
		}
		if (st != STATUS_OK) {
			snprintf(err, err_size, "cannot format a result: %s",
				 status_str(st));
			return st;
		}
		output_term_next(&term);
	}
	return worker_pack(w, h->chunk_id, h->count, worker_now_ns() - t0,
			   result, err, err_size);
}

int worker_process(struct worker_ctx *w, const void *work, size_t len,
		   struct proto_buf *result, char *err, size_t err_size)
{
	struct proto_reader r;
	struct proto_work_header h;
	uint64_t t0 = worker_now_ns(), t1;
	int st, use_range = 0;

	st = proto_read_work(&r, work, len, &h);
	if (st == STATUS_OK && h.form == PROTO_FORM_RANGE)
		st = proto_unpack_work_range(&r, w->n, w->step);
	if (st != STATUS_OK) {
		snprintf(err, err_size, "malformed WORK message");
		return STATUS_ERR_PROTO;
	}
	w->block_len = 0;
	w->partial = 0;
	w->bad_index = PROTO_NO_BAD_INDEX;
	proto_buf_reset(&w->input_msg);
	if (h.form == PROTO_FORM_RANGE) {
		st = worker_range_begin(w, h.count, &use_range);
		if (st != STATUS_OK) {
			snprintf(err, err_size, "range engine: %s",
				 status_str(st));
			return st;
		}
	}
	w->chunk_id = h.chunk_id;
	w->chunk_t0 = t0;
	w->last_beat_ns = t0; /* a chunk shorter than a beat sends none */
	if ((w->fault_flags & PROTO_FAULT_SLOW) && w->fault_ms > 0) {
		uint64_t end = t0 + (uint64_t)w->fault_ms * 1000000u;
		struct timespec ts = { 0, STOP_POLL_NS };

		while (worker_now_ns() < end) {
			nanosleep(&ts, NULL);
			if (worker_stop_hook(w))
				return STATUS_ERR_STOPPED;
		}
	}
	if (h.form == PROTO_FORM_BYTES)
		return worker_bytes(w, &r, &h, result, err, err_size);
	if (use_range)
		return worker_range(w, &h, t0, result, err, err_size);
	t1 = t0;
	for (uint32_t i = 0; i < h.count && w->bad_index == PROTO_NO_BAD_INDEX;
	     i++) {
		st = worker_next_number(w, &r, &h, i, err, err_size);
		if (i % WORKER_RANGE_POLL == WORKER_RANGE_POLL - 1)
			(void)worker_stop_hook(w);
		if (st == STATUS_ERR_PROTO)
			return st;
		st = worker_engine_status(w, st, i, err, err_size);
		if (st != STATUS_OK)
			return st;
		st = worker_emit_timed(w, i, &t1, err, err_size);
		if (st != STATUS_OK)
			return st;
	}
	if (h.form == PROTO_FORM_LIST && w->bad_index == PROTO_NO_BAD_INDEX &&
	    proto_reader_end(&r) != STATUS_OK) {
		snprintf(err, err_size, "trailing bytes in WORK");
		return STATUS_ERR_PROTO;
	}
	return worker_pack(w, h.chunk_id, h.count, t1 - t0, result, err,
			   err_size);
}

/* The rank this worker answers: 0, or its group leader (proto.h). */
static int worker_parent;
/* shared numbers (coop.h): on in the flat layout with two workers or more */
static int worker_coop;

/*
 * The odd primes below WORKER_SMALL_PRIME_BOUND as a bitmap of odd
 * numbers (bit i: 2i + 1 is prime), built on first use by Eratosthenes:
 * a table lookup proves a small factor prime, which is what most factors
 * of a 64-bit number are.  NULL if it could not be allocated.
 */
static const uint8_t *worker_small_primes(void)
{
	static uint8_t *bits;
	enum { HALF = WORKER_SMALL_PRIME_BOUND / 2 };

	if (bits != NULL)
		return bits;
	uint8_t *b = malloc(HALF / 8);
	if (b == NULL)
		return NULL;
	memset(b, 0xff, HALF / 8);
	b[0] &= (uint8_t)~1u; /* 1 */
	for (uint32_t i = 1; i < HALF; i++) {
		uint32_t q = 2 * i + 1;
		if (!(b[i / 8] >> (i % 8) & 1))
			continue;
		for (uint64_t j = (uint64_t)q * q / 2; j < HALF; j += q)
			b[j / 8] &= (uint8_t) ~(1u << (j % 8));
	}
	bits = b;
	return bits;
}

/*
 * engine_verify's rule for n < 2^64 with no composite entry, cheaper:
 * entries ascending, each 2 <= p < 2^64 and e >= 1, product of p^e equal
 * to n in 128-bit arithmetic, and each p prime: by the bitmap below
 * WORKER_SMALL_PRIME_BOUND, by engine_verify on p alone above it (the
 * engine's deterministic test below 2^64).  STATUS_OK, STATUS_ERR_VERIFY,
 * or STATUS_NOT_FOUND when this path does not apply (then engine_verify
 * decides).
 */
static int worker_verify_u64(const struct engine_result *r, const mpz_t n)
{
	static struct engine_result one; /* p^1, for engine_verify */
	static int one_ready;
	const uint8_t *bits = worker_small_primes();
	worker_u128 prod = 1;
	uint64_t v, prev = 1;

	if (bits == NULL || mpz_size(n) != 1)
		return STATUS_NOT_FOUND;
	v = mpz_getlimbn(n, 0);
	for (size_t i = 0; i < r->count; i++)
		if (r->f[i].kind == ENGINE_COMPOSITE ||
		    mpz_size(r->f[i].p) != 1)
			return STATUS_NOT_FOUND;
	for (size_t i = 0; i < r->count; i++) {
		uint64_t q = mpz_getlimbn(r->f[i].p, 0);
		if (q <= prev || r->f[i].e == 0 || mpz_sgn(r->f[i].p) <= 0)
			return STATUS_ERR_VERIFY;
		for (unsigned long k = 0; k < r->f[i].e; k++) {
			prod *= q; /* prod <= v < 2^64, q < 2^64: no wrap */
			if (prod > v)
				return STATUS_ERR_VERIFY;
		}
		prev = q;
	}
	if (prod != v)
		return STATUS_ERR_VERIFY;
	for (size_t i = 0; i < r->count; i++) {
		uint64_t q = mpz_getlimbn(r->f[i].p, 0);
		if (q < WORKER_SMALL_PRIME_BOUND) {
			if (q != 2 &&
			    (q % 2 == 0 ||
			     !(bits[q / 2 / 8] >> (q / 2 % 8) & 1)))
				return STATUS_ERR_VERIFY;
			continue;
		}
		if (!one_ready) {
			engine_result_init(&one);
			one_ready = 1;
		}
		engine_result_reset(&one);
		if (engine_result_add(&one, r->f[i].p, 1, ENGINE_PRIME) !=
			    STATUS_OK ||
		    engine_verify(&one, r->f[i].p) != STATUS_OK)
			return STATUS_ERR_VERIFY;
	}
	return STATUS_OK;
}

int worker_verify(int mode, const struct engine_result *r, const mpz_t n)
{
	if (mode == CLI_VERIFY_NONE)
		return STATUS_OK;
	if (mode == CLI_VERIFY_FULL || mode == CLI_VERIFY_SAMPLE) {
		int st = worker_verify_u64(r, n);
		return st != STATUS_NOT_FOUND ? st : engine_verify(r, n);
	}
	return engine_product_check(r, n);
}

static int worker_stop_poll(void)
{
	if (worker_coop)
		coop_drain(); /* RELS of a shared run that is over */
	return transport_probe(worker_parent, PROTO_TAG_STOP);
}

/* HEARTBEAT to the parent (proto.h 6a): non-blocking, errors ignored (a
   lost beat is covered by the next, or by the RESULT). */
static void worker_beat(uint64_t chunk_id, uint64_t elapsed_ns)
{
	static struct proto_buf b; /* the pool swaps buffers in and out */
	char err[64];

	if (proto_pack_heartbeat(&b, chunk_id, elapsed_ns) == STATUS_OK)
		(void)transport_send(worker_parent, PROTO_TAG_HEARTBEAT, &b,
				     err, sizeof err);
}

/* Send ERROR to the master; the caller then waits for STOP. */
static void worker_report(struct proto_buf *b, int status, const char *text)
{
	char err[256];

	if (proto_pack_error(b, status, text) == STATUS_OK)
		(void)transport_send(worker_parent, PROTO_TAG_ERROR, b, err,
				     sizeof err);
}

/*
 * FILE and OFFSET (proto.h 3b).  FILE: open the output for this rank and
 * hold blocks from now on (each HELD carries its block's CRC-32C, which
 * rank 0 journals under --checkpoint).  OFFSET: write the held block there and answer
 * WRITTEN, or drop it.  STATUS_OK, or an error with text in err.
 */
static int worker_file_msg(struct worker_ctx *w, const struct transport_msg *m,
			   struct transport_file **file, struct proto_buf *out,
			   char *err, size_t err_size)
{
	struct proto_place pl;
	struct worker_block b;
	char path[PROTO_MAX_PATH + 1];
	int st;

	if (m->tag == PROTO_TAG_FILE) {
		if (proto_read_file(m->buf.data, m->buf.len, path,
				    sizeof path) != STATUS_OK) {
			snprintf(err, err_size, "malformed FILE message");
			return STATUS_ERR_PROTO;
		}
		if (*file != NULL) {
			snprintf(err, err_size, "a second FILE message");
			return STATUS_ERR_PROTO;
		}
		st = transport_file_open(file, path, err, err_size);
		w->hold = st == STATUS_OK;
		return st;
	}
	if (proto_read_place(m->buf.data, m->buf.len, PROTO_TAG_OFFSET, &pl) !=
	    STATUS_OK) {
		snprintf(err, err_size, "malformed OFFSET message");
		return STATUS_ERR_PROTO;
	}
	b.data = NULL;
	if (worker_take_block(w, pl.chunk_id, &b) != STATUS_OK ||
	    (pl.offset != PROTO_OFFSET_DROP && pl.length != b.len)) {
		free(b.data); /* taken, but not the length rank 0 gave */
		snprintf(err, err_size,
			 "OFFSET for chunk %llu (%llu bytes), which this rank "
			 "does not hold",
			 (unsigned long long)pl.chunk_id,
			 (unsigned long long)pl.length);
		return STATUS_ERR_PROTO;
	}
	st = STATUS_OK;
	if (pl.offset != PROTO_OFFSET_DROP) {
		st = transport_file_write_at(*file, pl.offset, b.data, b.len,
					     err, err_size);
		if (st == STATUS_OK)
			st = proto_pack_place(out, PROTO_TAG_WRITTEN, &pl);
		if (st == STATUS_OK)
			st = transport_send(worker_parent, PROTO_TAG_WRITTEN,
					    out, err, err_size);
	}
	free(b.data);
	return st;
}

/* The state of worker_run's conversation with its parent. */
struct worker_loop {
	struct transport_msg m;
	struct proto_buf out;
	struct worker_ctx w;
	struct transport_file *file; /* proto.h 3b */
	int failed, have_ctx;
	uint32_t credit;
	uint64_t last_busy; /* ns of the last chunk */
	char text[PROTO_MAX_TEXT];
};

/* A failure reported to the parent: after it only STOP matters. */
static void worker_fail(struct worker_loop *L, int st, const char *text,
			char *err, size_t err_size)
{
	L->failed = st;
	if (err != text)
		snprintf(err, err_size, "%s", text);
	worker_report(&L->out, st, text);
}

/* REQUEST with the current credit. */
static int worker_request(struct worker_loop *L, char *err, size_t err_size)
{
	int st = proto_pack_request(&L->out, L->credit);

	if (st == STATUS_OK)
		st = transport_send(worker_parent, PROTO_TAG_REQUEST, &L->out,
				    err, err_size);
	return st;
}

/*
 * The first message: CONFIG sets up the context and is answered by
 * REQUEST (credit 1 + prefetch); a malformed CONFIG or any other message
 * but STOP is reported.  STATUS_OK unless the send failed.
 */
static int worker_start(struct worker_loop *L, const struct options *o,
			char *err, size_t err_size)
{
	struct proto_config cfg;

	if (L->m.tag == PROTO_TAG_STOP)
		return STATUS_OK;
	if (L->m.tag != PROTO_TAG_CONFIG) {
		snprintf(err, err_size, "expected CONFIG, got %s",
			 proto_tag_name(L->m.tag));
		worker_fail(L, STATUS_ERR_PROTO, err, err, err_size);
		return STATUS_OK;
	}
	if (proto_read_config(L->m.buf.data, L->m.buf.len, &cfg) != STATUS_OK) {
		snprintf(err, err_size,
			 "malformed CONFIG (protocol version %d expected)",
			 PROTO_VERSION);
		worker_fail(L, STATUS_ERR_PROTO, err, err, err_size);
		return STATUS_OK;
	}
	worker_ctx_init(&L->w, &cfg, o->fault_ms);
	worker_ctx_set_output(&L->w, o, transport_rank());
	L->w.stop_poll = worker_stop_poll;
	L->w.beat = worker_beat;
	if (worker_coop)
		L->w.params.coop = coop_owner_hooks(worker_parent);
	L->have_ctx = 1;
	L->credit = 1 + cfg.prefetch;
	return worker_request(L, err, err_size);
}

/*
 * Adaptive prefetch (proto.h, step 2): a WORK that found the inbox dry
 * after a tiny chunk (waited longer than the chunk took) doubles the
 * credit, up to PROTO_ADAPTIVE_CREDIT, with a new REQUEST.
 */
static int worker_raise_credit(struct worker_loop *L, uint64_t t_wait,
			       char *err, size_t err_size)
{
	if (L->m.tag != PROTO_TAG_WORK || L->failed != STATUS_OK ||
	    L->last_busy >= WORKER_TINY_CHUNK_NS || t_wait <= L->last_busy ||
	    L->credit >= PROTO_ADAPTIVE_CREDIT)
		return STATUS_OK;
	L->credit = L->credit * 2 < PROTO_ADAPTIVE_CREDIT
		? L->credit * 2
		: PROTO_ADAPTIVE_CREDIT;
	return worker_request(L, err, err_size);
}

/*
 * One message after CONFIG, not STOP: FILE or OFFSET (3b), or a WORK
 * answered by its INPUT (a BYTES chunk, 3a) and RESULT or HELD.  A bad
 * message or chunk is reported (L->failed).  STATUS_OK unless a send
 * failed.
 */
static int worker_answer(struct worker_loop *L, char *err, size_t err_size)
{
	int st;

	if (L->m.tag == PROTO_TAG_FILE || L->m.tag == PROTO_TAG_OFFSET) {
		st = worker_file_msg(&L->w, &L->m, &L->file, &L->out, L->text,
				     sizeof L->text);
		if (st != STATUS_OK)
			worker_fail(L, st, L->text, err, err_size);
		return STATUS_OK;
	}
	if (L->m.tag == PROTO_TAG_JOIN && worker_coop) {
		st = coop_help(&L->m, worker_parent, L->text, sizeof L->text);
		if (st == STATUS_ERR_PROTO)
			worker_fail(L, st, L->text, err, err_size);
		return st == STATUS_ERR_PROTO ? STATUS_OK : st;
	}
	if (L->m.tag == PROTO_TAG_LEAVE && worker_coop)
		return STATUS_OK; /* this helper had left already */
	if (L->m.tag != PROTO_TAG_WORK) {
		snprintf(L->text, sizeof L->text, "unexpected %s message",
			 proto_tag_name(L->m.tag));
		L->failed = STATUS_ERR_PROTO;
		worker_report(&L->out, L->failed, L->text);
		return STATUS_OK;
	}
	L->last_busy = L->w.busy_ns;
	st = worker_process(&L->w, L->m.buf.data, L->m.buf.len, &L->out,
			    L->text, sizeof L->text);
	L->last_busy = L->w.busy_ns - L->last_busy;
	if (st == STATUS_ERR_STOPPED)
		return STATUS_OK; /* the STOP is waiting */
	if (st != STATUS_OK) {
		worker_fail(L, st, L->text, err, err_size);
		return STATUS_OK;
	}
	/* a BYTES chunk's INPUT goes first (proto.h 3a) */
	if (L->w.input_msg.len > 0)
		st = transport_send(worker_parent, PROTO_TAG_INPUT,
				    &L->w.input_msg, err, err_size);
	if (st == STATUS_OK)
		st = transport_send(worker_parent,
				    L->w.hold ? PROTO_TAG_HELD
					      : PROTO_TAG_RESULT,
				    &L->out, err, err_size);
	return st;
}

/*
 * After STOP: the output file closed (the bytes are in it before rank 0
 * can see STATS, 3b), then STATS, the last message.
 */
static int worker_finish(struct worker_loop *L, char *err, size_t err_size)
{
	struct proto_stats stats;
	struct transport_counters tc;
	int st;

	if (L->file != NULL) {
		st = transport_file_close(L->file, err, err_size);
		L->file = NULL;
		if (st != STATUS_OK) {
			worker_report(&L->out, st, err);
			return st;
		}
	}
	transport_counters(&tc);
	memset(&stats, 0, sizeof stats);
	proto_stats_host(&stats);
	if (L->have_ctx) {
		stats.numbers = L->w.numbers;
		stats.chunks = L->w.chunks;
		stats.busy_ns = L->w.busy_ns;
	}
	stats.idle_ns = tc.idle_ns;
	stats.msgs_sent = tc.msgs_sent + 1;
	stats.msgs_recv = tc.msgs_recv;
	stats.bytes_sent = tc.bytes_sent;
	stats.bytes_recv = tc.bytes_recv;
	st = proto_pack_stats(&L->out, &stats);
	if (st == STATUS_OK)
		st = transport_send(worker_parent, PROTO_TAG_STATS, &L->out,
				    err, err_size);
	return st;
}

int worker_run(const struct options *o, char *err, size_t err_size)
{
	struct worker_loop L;
	int st;

	memset(&L, 0, sizeof L); /* w is read for STATS even without CONFIG */
	transport_msg_init(&L.m);
	proto_buf_init(&L.out);
	L.failed = STATUS_OK;
	L.credit = 1;
	L.last_busy = UINT64_MAX;
	err[0] = '\0';
	worker_parent = topo_group_parent_in(transport_rank(), transport_size(),
					     o->group_size, o->group_nodes);
	if (worker_parent < 0)
		worker_parent = 0;
	worker_coop = worker_parent == 0 &&
		coop_enabled(transport_size(), o->group_size);

	st = transport_wait(&L.m, worker_parent, TRANSPORT_ANY, 0, err,
			    err_size);
	if (st == STATUS_OK)
		st = worker_start(&L, o, err, err_size);
	while (st == STATUS_OK && L.m.tag != PROTO_TAG_STOP) {
		uint64_t t_wait = worker_now_ns();

		/* with shares, RELS come from other workers too */
		st = transport_wait(&L.m,
				    worker_coop ? TRANSPORT_ANY : worker_parent,
				    TRANSPORT_ANY, 0, err, err_size);
		if (st != STATUS_OK)
			break;
		if (L.m.source != worker_parent) {
			if (L.m.tag == PROTO_TAG_RELS)
				continue; /* of a shared run that is over */
			snprintf(L.text, sizeof L.text,
				 "unexpected %s message from rank %d",
				 proto_tag_name(L.m.tag), L.m.source);
			if (L.failed == STATUS_OK)
				worker_fail(&L, STATUS_ERR_PROTO, L.text, err,
					    err_size);
			continue;
		}
		st = worker_raise_credit(&L, worker_now_ns() - t_wait, err,
					 err_size);
		if (st != STATUS_OK || L.m.tag == PROTO_TAG_STOP)
			break; /* STOP's reason changes nothing here */
		if (L.failed == STATUS_OK)
			st = worker_answer(&L, err, err_size);
	}
	if (st == STATUS_OK)
		st = worker_finish(&L, err, err_size);
	(void)transport_file_close(L.file, NULL, 0);
	if (L.have_ctx)
		worker_ctx_clear(&L.w);
	proto_buf_clear(&L.out);
	transport_msg_clear(&L.m);
	if (st == STATUS_OK && L.failed != STATUS_OK)
		st = L.failed;
	return st;
}
