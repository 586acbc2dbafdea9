/*
 * test_master.c - the master loop (master.c) driven through a scripted
 * transport: every transport_* function is replaced at link time
 * (-Wl,--wrap, see the Makefile), and a fake cluster answers the master's
 * messages with the real chunk processor (worker_process) so the RESULTs
 * are genuine.  No MPI runs.
 *
 * The fake cluster delivers the workers' messages to the master in a
 * seeded random order (out-of-order completions), and can plant faults on
 * one rank: truncated RESULT, RESULT for a chunk it does not hold, ERROR,
 * a message with an unknown tag, a wrong factorization, a repeated
 * REQUEST, a block whose lines or length disagree with its chunk.  With
 * run_wmode the fake workers write the output themselves (proto.h 3b:
 * FILE, HELD, OFFSET, WRITTEN through fake_file.c): any rank count and
 * order gives the one-rank file, no chunk is written twice (speculative
 * duplicates are dropped), and a HELD sent twice, a WRITTEN for a chunk
 * never placed and one with another length stop the job naming the rank.  Each scenario checks the exit code, the output file against
 * the one-rank run, and that every fake worker got exactly one STOP.
 *
 * Shared numbers: a SHARE opened and closed around a chunk changes
 * nothing; a malformed SHARE or LEAVE stops the job naming the rank.
 *
 * With --group-size (run_group_size) the fake ranks that lead a group
 * answer like workers and relay GROUP_STATS for their members before
 * their STATS; members must never hear from rank 0.  Planted: a GROUP_STATS
 * naming a rank outside the group, a member talking to rank 0 directly.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "cli.h"
#include "master.h"
#include "output.h"
#include "proto.h"
#include "topo.h"
#include "sched.h"
#include "status.h"
#include "transport.h"
#include "worker.h"

enum { MAX_RANKS = 8, MAX_MSGS = 4096 };

enum fault {
	F_NONE = 0,
	F_TRUNCATED_RESULT,
	F_UNHELD_CHUNK,
	F_ERROR_MESSAGE,
	F_UNKNOWN_TAG,
	F_WRONG_RESULT,
	F_REPEATED_REQUEST,
	F_REPEATED_RESULT,
	F_DELAY_FIRST_RESULT,  /* not a fault: chunk 0's RESULT comes last */
	F_FOREIGN_GROUP_STATS, /* a leader relays stats of another group */
	F_MEMBER_TO_RANK0,     /* a member sends rank 0 a REQUEST */
	F_BLOCK_LINE_MISSING,  /* a block one line short (lengths agree) */
	F_BLOCK_LINE_EXTRA,    /* a block with one line more */
	F_BLOCK_LEN_WRONG,     /* block_len one more than the bytes sent */
	F_SELF_CHECK_FAILED,   /* the worker's own check failed (bad_index) */
	/* workers write the output (run_wmode, proto.h 3b) */
	F_HELD_TWICE,       /* the same HELD sent twice */
	F_WRITTEN_UNPLACED, /* WRITTEN for a chunk it was not given */
	F_WRITTEN_LENGTH,   /* WRITTEN with a length that is not the block's */
	/* shared numbers (proto.h 12-15) */
	F_SHARE_AROUND,    /* not a fault: SHARE open and closed, then RESULT */
	F_SHARE_MALFORMED, /* a SHARE one byte short */
	F_LEAVE_MALFORMED  /* a LEAVE one byte long */
};

/* --checkpoint for the next run() (NULL: none); WORK messages it sent */
static const char *run_checkpoint;
static int run_works;
/* --group-size and --stats for the next run() (0 / NULL: none) */
static int run_group_size;
static const char *run_stats;
/* --input of the next run (byte ranges: the fake workers read it) */
static const char *run_input;
/* 1: the next run() lets the workers write the output (proto.h 3b): the
   fake workers answer FILE, hold their blocks (HELD) and write them at
   OFFSET through fake_file.c */
static int run_wmode;
/* the options of the run in progress: the fake workers format and draw
   their samples with them, as worker_run does */
static const struct options *run_opts;

struct fake_msg {
	int source, tag;
	struct proto_buf buf;
};

static struct {
	int size;
	int fault, fault_rank;
	int faults_done;
	uint64_t rng;
	struct worker_ctx ctx[MAX_RANKS];
	int have_ctx[MAX_RANKS];
	int stops[MAX_RANKS];
	uint32_t stop_reason[MAX_RANKS];
	struct fake_msg out[MAX_MSGS]; /* worker -> master, not yet delivered */
	int n_out;
	struct transport_file *file[MAX_RANKS]; /* run_wmode: FILE opened */
	uint32_t helds, writes, drops;          /* run_wmode: HELD sent, blocks
					  written, blocks dropped */
	uint8_t written[4096]; /* run_wmode: chunk ids written */
	/* run_wmode: the most blocks one worker held unwritten at once */
	uint32_t max_held;
} F;

static uint32_t rng(void)
{
	F.rng ^= F.rng << 13;
	F.rng ^= F.rng >> 7;
	F.rng ^= F.rng << 17;
	return (uint32_t)(F.rng >> 20);
}

static void push(int source, int tag, const struct proto_buf *b)
{
	struct fake_msg *m;

	assert_true(F.n_out < MAX_MSGS);
	m = &F.out[F.n_out++];
	m->source = source;
	m->tag = tag;
	proto_buf_init(&m->buf);
	m->buf.data = malloc(b->len ? b->len : 1);
	assert_non_null(m->buf.data);
	memcpy(m->buf.data, b->data, b->len);
	m->buf.len = m->buf.cap = b->len;
}

/* Rebuild RESULT o with its block one line short or one line longer. */
static void repack_block(struct proto_buf *o, int extra)
{
	struct proto_result_header h;
	const unsigned char *block;
	struct proto_buf n, lines;

	assert_int_equal(proto_read_result(o->data, o->len, &h, &block),
			 STATUS_OK);
	proto_buf_init(&n);
	proto_buf_init(&lines);
	assert_int_equal(proto_buf_append(&lines, block, h.block_len),
			 STATUS_OK);
	if (extra) {
		assert_int_equal(proto_buf_append(&lines, "1:\n", 3),
				 STATUS_OK);
	} else {
		lines.len--; /* the last newline, then back to the one before */
		while (lines.len > 0 && lines.data[lines.len - 1] != '\n')
			lines.len--;
	}
	h.block_len = (uint32_t)lines.len;
	h.partial = 0;
	assert_int_equal(proto_pack_result(&n, &h, lines.data), STATUS_OK);
	proto_buf_clear(o);
	*o = n;
	proto_buf_clear(&lines);
}

/*
 * OFFSET to worker rank (run_wmode): its held block goes into the file
 * where rank 0 says, once (no chunk is ever written twice), answered by
 * WRITTEN; DROP frees it unanswered.
 */
static void fake_place(int rank, const struct proto_buf *b, struct proto_buf *o)
{
	struct proto_place pl;
	struct worker_block blk;
	char err[256];

	assert_int_equal(
		proto_read_place(b->data, b->len, PROTO_TAG_OFFSET, &pl),
		STATUS_OK);
	assert_int_equal(worker_take_block(&F.ctx[rank], pl.chunk_id, &blk),
			 STATUS_OK);
	if (pl.offset == PROTO_OFFSET_DROP) {
		F.drops++;
		free(blk.data);
		return;
	}
	assert_true(pl.length == blk.len);
	assert_true(pl.chunk_id < sizeof F.written);
	assert_int_equal(F.written[pl.chunk_id], 0);
	F.written[pl.chunk_id] = 1;
	F.writes++;
	assert_int_equal(transport_file_write_at(F.file[rank], pl.offset,
						 blk.data, blk.len, err,
						 sizeof err),
			 STATUS_OK);
	free(blk.data);
	if (rank == F.fault_rank && F.faults_done == 0) {
		if (F.fault == F_WRITTEN_UNPLACED) {
			pl.chunk_id += 1000;
			F.faults_done++;
		} else if (F.fault == F_WRITTEN_LENGTH) {
			pl.length++;
			F.faults_done++;
		}
	}
	assert_int_equal(proto_pack_place(o, PROTO_TAG_WRITTEN, &pl),
			 STATUS_OK);
	push(rank, PROTO_TAG_WRITTEN, o);
}

/* Worker `rank` handles one message from the master. */
/* The shared-number messages of the F_SHARE_* / F_LEAVE_* faults. */
static void push_share(int rank, int fault)
{
	struct proto_share sh = { 1, 1, 0, 0 };
	struct proto_buf o;
	mpz_t n;

	proto_buf_init(&o);
	mpz_init_set_str(
		n,
		"1197187002926762112878222340113072422779908173590443451848503",
		10);
	if (fault == F_LEAVE_MALFORMED) {
		assert_int_equal(proto_pack_leave(&o, 1), STATUS_OK);
		assert_int_equal(proto_buf_append(&o, "", 1), STATUS_OK);
		push(rank, PROTO_TAG_LEAVE, &o);
	} else {
		assert_int_equal(proto_pack_share(&o, &sh, n), STATUS_OK);
		if (fault == F_SHARE_MALFORMED)
			o.len--;
		push(rank, PROTO_TAG_SHARE, &o);
		sh.open = 0;
		mpz_set_ui(n, 0);
		assert_int_equal(proto_pack_share(&o, &sh, n), STATUS_OK);
		push(rank, PROTO_TAG_SHARE, &o);
	}
	mpz_clear(n);
	proto_buf_clear(&o);
}

static void fake_worker(int rank, int tag, const struct proto_buf *b)
{
	struct proto_buf o;
	char err[256];
	int st;

	proto_buf_init(&o);
	if (tag == PROTO_TAG_CONFIG) {
		struct proto_config c;
		assert_int_equal(proto_read_config(b->data, b->len, &c),
				 STATUS_OK);
		worker_ctx_init(&F.ctx[rank], &c, 0);
		if (run_opts != NULL)
			worker_ctx_set_output(&F.ctx[rank], run_opts, rank);
		F.ctx[rank].input_path = run_input;
		F.ctx[rank].max_digits = 10000;
		F.have_ctx[rank] = 1;
		assert_int_equal(proto_pack_request(&o, 1 + c.prefetch),
				 STATUS_OK);
		push(rank, PROTO_TAG_REQUEST, &o);
		if (F.fault == F_REPEATED_REQUEST && rank == F.fault_rank)
			push(rank, PROTO_TAG_REQUEST, &o);
		if (F.fault == F_MEMBER_TO_RANK0 && rank == F.fault_rank)
			push(rank + 1, PROTO_TAG_REQUEST, &o);
	} else if (tag == PROTO_TAG_WORK) {
		run_works++;
		st = worker_process(&F.ctx[rank], b->data, b->len, &o, err,
				    sizeof err);
		assert_int_equal(st, STATUS_OK);
		if (rank == F.fault_rank && F.faults_done == 0) {
			switch (F.fault) {
			case F_TRUNCATED_RESULT:
				o.len -= 3;
				F.faults_done++;
				break;
			case F_UNHELD_CHUNK:
				o.data[PROTO_HEADER_BYTES] ^= 0x40;
				F.faults_done++;
				break;
			case F_ERROR_MESSAGE:
				assert_int_equal(
					proto_pack_error(&o, STATUS_ERR_NOMEM,
							 "planted"),
					STATUS_OK);
				push(rank, PROTO_TAG_ERROR, &o);
				F.faults_done++;
				proto_buf_clear(&o);
				return;
			case F_UNKNOWN_TAG:
				push(rank, PROTO_TAG_BASE, &o);
				F.faults_done++;
				proto_buf_clear(&o);
				return;
			case F_REPEATED_RESULT:
				push(rank, PROTO_TAG_RESULT, &o);
				F.faults_done++;
				break;
			case F_BLOCK_LINE_MISSING:
			case F_BLOCK_LINE_EXTRA:
				repack_block(&o, F.fault == F_BLOCK_LINE_EXTRA);
				F.faults_done++;
				break;
			case F_BLOCK_LEN_WRONG:
				o.data[PROTO_HEADER_BYTES + 28]++;
				F.faults_done++;
				break;
			case F_SHARE_AROUND:
			case F_SHARE_MALFORMED:
			case F_LEAVE_MALFORMED:
				push_share(rank, F.fault);
				F.faults_done++;
				break;
			case F_SELF_CHECK_FAILED: {
				struct proto_result_header h;
				const unsigned char *blk;
				assert_int_equal(proto_read_result(o.data,
								   o.len, &h,
								   &blk),
						 STATUS_OK);
				h.bad_index = h.count - 1;
				h.block_len = 0;
				h.partial = 0;
				assert_int_equal(
					proto_pack_result(&o, &h, NULL),
					STATUS_OK);
				F.faults_done++;
				break;
			}
			default: break;
			}
		}
		/* a byte range's INPUT comes first (proto.h 3a) */
		if (F.ctx[rank].input_msg.len > 0)
			push(rank, PROTO_TAG_INPUT, &F.ctx[rank].input_msg);
		if (F.ctx[rank].hold) {
			F.helds++;
			if (F.ctx[rank].n_held > F.max_held)
				F.max_held = F.ctx[rank].n_held;
			push(rank, PROTO_TAG_HELD, &o);
			if (F.fault == F_HELD_TWICE && rank == F.fault_rank &&
			    F.faults_done++ == 0)
				push(rank, PROTO_TAG_HELD, &o);
		} else {
			push(rank, PROTO_TAG_RESULT, &o);
		}
	} else if (tag == PROTO_TAG_FILE) {
		char path[PROTO_MAX_PATH + 1];
		assert_int_equal(
			proto_read_file(b->data, b->len, path, sizeof path),
			STATUS_OK);
		assert_null(F.file[rank]);
		assert_int_equal(transport_file_open(&F.file[rank], path, err,
						     sizeof err),
				 STATUS_OK);
		F.ctx[rank].hold = 1;
	} else if (tag == PROTO_TAG_OFFSET) {
		fake_place(rank, b, &o);
	} else if (tag == PROTO_TAG_STOP) {
		struct proto_stats s;
		assert_int_equal(
			proto_read_stop(b->data, b->len, &F.stop_reason[rank]),
			STATUS_OK);
		F.stops[rank]++;
		/* a leader relays its members' STATS first (proto.h, 9.) */
		for (int k = 1;
		     k <= topo_group_members(rank, F.size, run_group_size);
		     k++) {
			struct proto_group_stats g;
			memset(&g, 0, sizeof g);
			g.rank = (uint32_t)(rank + k);
			if (F.fault == F_FOREIGN_GROUP_STATS &&
			    rank == F.fault_rank)
				g.rank = (uint32_t)F.size - 1;
			g.wrong = 1;
			g.s.numbers = 1000u + g.rank;
			g.s.msgs_sent = 7;
			assert_int_equal(proto_pack_group_stats(&o, &g),
					 STATUS_OK);
			push(rank, PROTO_TAG_GROUP_STATS, &o);
		}
		/* the bytes are in the file before STATS (proto.h 3b) */
		assert_int_equal(
			transport_file_close(F.file[rank], err, sizeof err),
			STATUS_OK);
		F.file[rank] = NULL;
		memset(&s, 0, sizeof s);
		if (F.have_ctx[rank]) {
			s.numbers = F.ctx[rank].numbers;
			s.chunks = F.ctx[rank].chunks;
		}
		assert_int_equal(proto_pack_stats(&o, &s), STATUS_OK);
		push(rank, PROTO_TAG_STATS, &o);
	} else {
		fail_msg("master sent tag %d", tag);
	}
	proto_buf_clear(&o);
}

/* ---- the wrapped transport (and its two plain helpers) ---- */

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

void transport_set_interrupt(const volatile sig_atomic_t *flag)
{
	(void)flag;
}

int __wrap_transport_size(void);
int __wrap_transport_size(void)
{
	return F.size;
}

int __wrap_transport_rank(void);
int __wrap_transport_rank(void)
{
	return 0;
}

double __wrap_transport_wtime(void);
double __wrap_transport_wtime(void)
{
	return 0.0;
}

int __wrap_transport_send(int dest, int tag, struct proto_buf *b, char *err,
			  size_t err_size);
int __wrap_transport_send(int dest, int tag, struct proto_buf *b, char *err,
			  size_t err_size)
{
	(void)err;
	(void)err_size;
	assert_true(dest >= 1 && dest < F.size);
	/* rank 0 talks to its children only: leaders and ungrouped ranks */
	assert_int_equal(topo_group_parent(dest, F.size, run_group_size), 0);
	fake_worker(dest, tag, b);
	proto_buf_reset(b);
	return STATUS_OK;
}

/* The RESULT (or HELD) of chunk 0 (chunk id: the first 8 body bytes,
   LE). */
static int is_first_result(const struct fake_msg *m)
{
	if ((m->tag != PROTO_TAG_RESULT && m->tag != PROTO_TAG_HELD) ||
	    m->buf.len < PROTO_HEADER_BYTES + 8)
		return 0;
	for (int k = 0; k < 8; k++)
		if (m->buf.data[PROTO_HEADER_BYTES + k] != 0)
			return 0;
	return 1;
}

/* Under run_wmode every message of one sender keeps its order (MPI's
   rule for a receive of any tag): a WRITTEN never passes the HELD before
   it, nor STATS the WRITTENs. */
static int is_input_or_result(const struct fake_msg *m)
{
	return run_wmode || m->tag == PROTO_TAG_INPUT ||
		m->tag == PROTO_TAG_RESULT;
}

/* blocking: a held-back message may be delivered when it is all there is */
static int deliver(struct transport_msg *m, int tag, int blocking)
{
	int k, idx = -1;

	if (F.n_out == 0)
		return 0;
	if (tag == TRANSPORT_ANY) {
		idx = (int)(rng() % (uint32_t)F.n_out);
		/* one sender's INPUT and RESULT messages come in the order
		   sent (MPI's non-overtaking rule; a byte range's INPUT
		   precedes its RESULT); the rest in any order */
		for (k = 0; k < idx && is_input_or_result(&F.out[idx]); k++)
			if (F.out[k].source == F.out[idx].source &&
			    is_input_or_result(&F.out[k])) {
				idx = k;
				break;
			}
		if (F.fault == F_DELAY_FIRST_RESULT &&
		    is_first_result(&F.out[idx])) {
			if (F.n_out == 1 && !blocking)
				return 0;
			idx = (idx + 1) % F.n_out;
		}
	} else {
		for (k = 0; k < F.n_out; k++)
			if (F.out[k].tag == tag) {
				idx = k;
				break;
			}
		if (idx < 0)
			return 0;
	}
	proto_buf_clear(&m->buf);
	m->buf = F.out[idx].buf;
	m->source = F.out[idx].source;
	m->tag = F.out[idx].tag;
	/* the rest keep their order (see is_input_or_result) */
	memmove(&F.out[idx], &F.out[idx + 1],
		(size_t)(F.n_out - idx - 1) * sizeof F.out[0]);
	F.n_out--;
	return 1;
}

int __wrap_transport_poll(struct transport_msg *m, int source, int tag,
			  int *got, char *err, size_t err_size);
int __wrap_transport_poll(struct transport_msg *m, int source, int tag,
			  int *got, char *err, size_t err_size)
{
	(void)source;
	(void)err;
	(void)err_size;
	*got = deliver(m, tag, 0);
	return STATUS_OK;
}

int __wrap_transport_wait(struct transport_msg *m, int source, int tag,
			  double timeout_s, char *err, size_t err_size);
int __wrap_transport_wait(struct transport_msg *m, int source, int tag,
			  double timeout_s, char *err, size_t err_size)
{
	(void)source;
	if (deliver(m, tag, 1))
		return STATUS_OK;
	/* nothing will ever come: in MPI this would hang */
	assert_true(timeout_s > 0);
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

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *s;
	long n;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	s = calloc((size_t)n + 1, 1);
	assert_non_null(s);
	assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return s;
}

/* Run master_run on a fake cluster of size ranks; returns the exit code. */
static int run(int size, uint32_t chunk, uint32_t prefetch, uint64_t count,
	       int fault, int fault_rank, uint64_t seed, const char *path)
{
	struct options o;
	int code;

	memset(&F, 0, sizeof F);
	F.size = size;
	F.fault = fault;
	F.fault_rank = fault_rank;
	F.rng = seed * 0x9e3779b97f4a7c15u + 1;
	cli_options_init(&o);
	o.generated = 1;
	o.count = count;
	mpz_set_str(o.start, "999999999999", 10);
	mpz_set_ui(o.step, 2);
	o.chunk = chunk;
	o.prefetch = prefetch;
	o.output = path;
	o.quiet = 1;
	o.checkpoint = run_checkpoint;
	o.group_size = run_group_size;
	o.stats = run_stats;
	/* the byte path's faults are planted in RESULT bytes */
	o.rank0_writes = !run_wmode;
	run_works = 0;
	if (fault == F_WRONG_RESULT) {
		o.fault_flags = PROTO_FAULT_WRONG_RESULT;
		o.fault_rank = fault_rank;
	}
	run_opts = &o;
	code = master_run(&o, NULL);
	run_opts = NULL;
	cli_options_clear(&o);
	for (int r = 1; r < size; r++) {
		/* exactly one STOP each child; members hear only their leader */
		assert_int_equal(F.stops[r],
				 topo_group_parent(r, size, run_group_size) == 0
					 ? 1
					 : 0);
		if (F.have_ctx[r])
			worker_ctx_clear(&F.ctx[r]);
	}
	/* nothing left undelivered but what follows an abort */
	for (int k = 0; k < F.n_out; k++)
		proto_buf_clear(&F.out[k].buf);
	return code;
}

static char ref_path[64], out_path[64];

/* The classic 200-number job at one rank (ref_path) and at 3 ranks with
   fault on fault_rank (out_path): both exit 0 with the same bytes. */
static void expect_same_as_one_rank(int fault, int fault_rank)
{
	char *ref, *out;

	assert_int_equal(run(1, 5, 1, 200, F_NONE, -1, 1, ref_path),
			 CLI_EXIT_OK);
	assert_int_equal(run(3, 5, 1, 200, fault, fault_rank, 3, out_path),
			 CLI_EXIT_OK);
	ref = read_file(ref_path);
	out = read_file(out_path);
	assert_non_null(ref);
	assert_non_null(out);
	assert_string_equal(out, ref);
	free(out);
	free(ref);
}

static int setup(void **state)
{
	(void)state;
	snprintf(ref_path, sizeof ref_path, "/tmp/test_master_ref.%d",
		 (int)getpid());
	snprintf(out_path, sizeof out_path, "/tmp/test_master_out.%d",
		 (int)getpid());
	return 0;
}

static int teardown(void **state)
{
	char kept[128];

	(void)state;
	unlink(ref_path);
	unlink(out_path);
	/* what a --checkpoint run that failed keeps (output_open_kept) */
	snprintf(kept, sizeof kept,
		 "/tmp/.test_master_out.%d" OUTPUT_KEPT_SUFFIX, (int)getpid());
	unlink(kept);
	return 0;
}

/* Any rank count and delivery order writes the one-rank output. */
static void test_output_identical_for_any_size_and_order(void **state)
{
	char *ref, *out;

	(void)state;
	assert_int_equal(run(1, 7, 1, 300, F_NONE, -1, 1, ref_path),
			 CLI_EXIT_OK);
	ref = read_file(ref_path);
	assert_non_null(ref);
	assert_non_null(
		strstr(ref, "999999999999: 3 3 3 7 11 13 37 101 9901\n"));
	for (int size = 2; size <= MAX_RANKS; size++) {
		for (uint64_t seed = 1; seed <= 3; seed++) {
			uint32_t chunk =
				(uint32_t)(seed == 3 ? 0 : 1 + seed * 5);
			assert_int_equal(run(size, chunk, (uint32_t)seed - 1,
					     300, F_NONE, -1, seed, out_path),
					 CLI_EXIT_OK);
			out = read_file(out_path);
			assert_non_null(out);
			assert_string_equal(out, ref);
			free(out);
			for (int r = 1; r < size; r++)
				assert_int_equal(F.stop_reason[r],
						 PROTO_STOP_DONE);
		}
	}
	free(ref);
}

/* One rank, then 4 with chunk 0's block delivered last (wmode: the
   workers write), 3000 chunks of one number: the same file. */
static void full_window_run(int wmode)
{
	char *ref, *out;

	assert_int_equal(run(1, 1, 1, 3000, F_NONE, -1, 1, ref_path),
			 CLI_EXIT_OK);
	run_wmode = wmode;
	assert_int_equal(
		run(4, 1, 1, 3000, F_DELAY_FIRST_RESULT, -1, 5, out_path),
		CLI_EXIT_OK);
	run_wmode = 0;
	ref = read_file(ref_path);
	out = read_file(out_path);
	assert_non_null(ref);
	assert_non_null(out);
	assert_string_equal(out, ref);
	free(ref);
	free(out);
}

/*
 * Chunk 0's RESULT held back until nothing else is left (and only a
 * blocking wait gets it, never a poll): the reorder
 * window (1024 chunks) fills, the workers are held back, and when chunk 0
 * finally arrives they must get work again (regression: the master once
 * released only after handing out and then waited for ever).
 */
static void test_full_window_resumes(void **state)
{
	(void)state;
	full_window_run(0);
}

/* A text job: the numbers 2 .. n + 1 from a file, like --input FILE. */
static int run_text(int size, uint32_t chunk, int unordered, uint64_t n,
		    const char *in, const char *path)
{
	struct options o;
	FILE *f = fopen(in, "w");
	int code;

	assert_non_null(f);
	for (uint64_t i = 2; i < n + 2; i++)
		fprintf(f, "%llu\n", (unsigned long long)i);
	assert_int_equal(fclose(f), 0);
	memset(&F, 0, sizeof F);
	F.size = size;
	F.fault_rank = -1;
	F.rng = 12345;
	cli_options_init(&o);
	o.input = in;
	run_input = in;
	o.chunk = chunk;
	o.prefetch = 1;
	o.unordered = unordered;
	o.output = path;
	o.quiet = 1;
	o.rank0_writes = 1;
	code = master_run(&o, NULL);
	cli_options_clear(&o);
	for (int r = 1; r < size; r++)
		if (F.have_ctx[r])
			worker_ctx_clear(&F.ctx[r]);
	for (int k = 0; k < F.n_out; k++)
		proto_buf_clear(&F.out[k].buf);
	return code;
}

/*
 * One rank and more text than the look-ahead holds (issue 14: a one-rank
 * run said "scheduler idle" after exactly SCHED_DEFAULT_LOOKAHEAD numbers,
 * or the last multiple of --chunk below it): the whole stream comes out,
 * the same as with 3 ranks, with guided chunks, --chunk 10 and
 * --unordered, just below, at and above the look-ahead.
 */
static void test_one_rank_past_the_lookahead(void **state)
{
	char in[64], *ref, *out;
	const uint64_t sizes[] = { SCHED_DEFAULT_LOOKAHEAD - 1,
				   SCHED_DEFAULT_LOOKAHEAD,
				   SCHED_DEFAULT_LOOKAHEAD + 1 };

	(void)state;
	snprintf(in, sizeof in, "/tmp/test_master_in.%d", (int)getpid());
	for (size_t k = 0; k < 3; k++) {
		assert_int_equal(run_text(3, 0, 0, sizes[k], in, ref_path),
				 CLI_EXIT_OK);
		ref = read_file(ref_path);
		assert_non_null(ref);
		for (int mode = 0; mode < 3; mode++) {
			assert_int_equal(run_text(1, mode == 1 ? 10 : 0,
						  mode == 2, sizes[k], in,
						  out_path),
					 CLI_EXIT_OK);
			out = read_file(out_path);
			assert_non_null(out);
			assert_string_equal(out, ref);
			free(out);
		}
		free(ref);
	}
	unlink(in);
}

/* Faults end the job with CLI_EXIT_RUNTIME, every worker gets ABORT/STOP. */
static void check_fatal(int fault)
{
	int code = run(3, 5, 1, 200, fault, 2, 7, out_path);

	assert_int_equal(code, CLI_EXIT_RUNTIME);
	/* an interrupted run leaves no output file looking complete */
	assert_int_equal(access(out_path, F_OK), -1);
}

/*
 * check_fatal, and rank 0's message (stderr, caught in a file) names the
 * rank that sent the bad message.
 */
static void check_fatal_names_rank(int fault, const char *want)
{
	char path[] = "/tmp/test_master_err.XXXXXX";
	int fd = mkstemp(path), saved;
	char *text;

	assert_true(fd >= 0);
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	assert_true(saved >= 0);
	assert_true(dup2(fd, STDERR_FILENO) >= 0);
	check_fatal(fault);
	fflush(stderr);
	assert_true(dup2(saved, STDERR_FILENO) >= 0);
	close(saved);
	close(fd);
	text = read_file(path);
	unlink(path);
	assert_non_null(text);
	if (strstr(text, want) == NULL)
		fail_msg("stderr \"%s\" lacks \"%s\"", text, want);
	free(text);
}

/*
 * Workers write the output (proto.h 3b): every rank count and delivery
 * order gives the one-rank file; every chunk is written exactly once
 * (fake_place asserts it), and the blocks that lost (speculative
 * duplicates: HELDs beyond the chunks written) are dropped unwritten.
 */
static void test_wmode_output_identical(void **state)
{
	char *ref, *out;
	uint32_t helds = 0, writes = 0, drops = 0;

	(void)state;
	assert_int_equal(run(1, 7, 1, 300, F_NONE, -1, 1, ref_path),
			 CLI_EXIT_OK);
	ref = read_file(ref_path);
	assert_non_null(ref);
	run_wmode = 1;
	for (int size = 2; size <= MAX_RANKS; size++) {
		for (uint64_t seed = 1; seed <= 4; seed++) {
			assert_int_equal(run(size, (uint32_t)(3 + seed), 1, 300,
					     F_NONE, -1, seed, out_path),
					 CLI_EXIT_OK);
			out = read_file(out_path);
			assert_non_null(out);
			assert_string_equal(out, ref);
			free(out);
			assert_true(F.writes > 0);
			assert_int_equal(F.helds, F.writes + F.drops);
			helds += F.helds;
			writes += F.writes;
			drops += F.drops;
		}
	}
	run_wmode = 0;
	print_message("wmode: %u HELD, %u written, %u dropped\n", helds, writes,
		      drops);
	free(ref);
}

/*
 * Chunk 0's HELD delivered last: no block can be placed before its
 * length is known, so the workers hold every block they make until the
 * reorder window (MASTER_MIN_WINDOW_CHUNKS, 1024 chunks) stops them; then
 * chunk 0 arrives and all are placed.  The most a worker holds is
 * bounded by the window, and it is reached.
 */
static void test_wmode_full_window(void **state)
{
	(void)state;
	full_window_run(1);
	print_message("wmode, chunk 0 last: a worker held %u blocks\n",
		      F.max_held);
	assert_true(F.max_held <= 1024);
	assert_true(F.max_held >= 1024 / 3 - 8); /* three workers share it */
}

/* Bad messages of the written-output conversation: the sender named. */
static void test_wmode_bad_messages_fatal(void **state)
{
	(void)state;
	run_wmode = 1;
	unlink(out_path);
	check_fatal_names_rank(F_WRITTEN_UNPLACED, "rank 2 reported chunk");
	unlink(out_path);
	check_fatal_names_rank(F_WRITTEN_LENGTH, "rank 2 reported chunk");
	unlink(out_path);
	check_fatal_names_rank(
		F_HELD_TWICE,
		"rank 2 sent a HELD for chunk 1 (5 numbers) that it "
		"does not hold");
	run_wmode = 0;
}

/* Bad blocks: rejected, the job stopped, the sender named. */
static void test_block_line_missing_is_fatal(void **state)
{
	(void)state;
	unlink(out_path);
	check_fatal_names_rank(F_BLOCK_LINE_MISSING,
			       "malformed RESULT message from rank 2 (chunk");
}

static void test_block_line_extra_is_fatal(void **state)
{
	(void)state;
	unlink(out_path);
	check_fatal_names_rank(F_BLOCK_LINE_EXTRA,
			       "malformed RESULT message from rank 2 (chunk");
}

static void test_block_len_wrong_is_fatal(void **state)
{
	(void)state;
	unlink(out_path);
	check_fatal_names_rank(F_BLOCK_LEN_WRONG,
			       "malformed RESULT message from rank 2");
}

static void test_block_for_unissued_chunk_names_rank(void **state)
{
	(void)state;
	unlink(out_path);
	check_fatal_names_rank(F_UNHELD_CHUNK,
			       "rank 2 sent a RESULT for "
			       "chunk");
}

static void test_duplicate_block_names_rank(void **state)
{
	(void)state;
	unlink(out_path);
	check_fatal_names_rank(F_REPEATED_RESULT,
			       "rank 2 sent a RESULT for "
			       "chunk");
}

static void test_truncated_result_is_fatal(void **state)
{
	(void)state;
	unlink(out_path);
	check_fatal(F_TRUNCATED_RESULT);
}

static void test_result_for_unheld_chunk_is_fatal(void **state)
{
	(void)state;
	unlink(out_path);
	check_fatal(F_UNHELD_CHUNK);
}

static void test_worker_error_is_fatal(void **state)
{
	(void)state;
	unlink(out_path);
	check_fatal(F_ERROR_MESSAGE);
}

static void test_unknown_tag_is_fatal(void **state)
{
	(void)state;
	unlink(out_path);
	check_fatal(F_UNKNOWN_TAG);
}

static void test_repeated_request_is_fatal(void **state)
{
	(void)state;
	unlink(out_path);
	check_fatal(F_REPEATED_REQUEST);
}

static void test_repeated_result_is_fatal(void **state)
{
	(void)state;
	unlink(out_path);
	check_fatal(F_REPEATED_RESULT);
}

/*
 * Shared numbers (proto.h 12-15): a SHARE opened and closed around a
 * chunk changes no byte of the output (and every rank gets one STOP);
 * a malformed SHARE or LEAVE ends the job naming the rank.
 */
static void test_share_messages(void **state)
{
	(void)state;
	expect_same_as_one_rank(F_SHARE_AROUND, 2);
	unlink(out_path);
	check_fatal_names_rank(F_SHARE_MALFORMED,
			       "malformed SHARE from rank 2");
	unlink(out_path);
	check_fatal_names_rank(F_LEAVE_MALFORMED,
			       "malformed LEAVE from rank 2");
}

/* A wrong factorization from rank 2 is caught and recomputed by rank 1. */
static void test_wrong_result_recomputed_elsewhere(void **state)
{
	(void)state;
	expect_same_as_one_rank(F_WRONG_RESULT, 2);
	/* a worker that reports its own check failed: recomputed too */
	expect_same_as_one_rank(F_SELF_CHECK_FAILED, 2);
	/* with the faulty rank alone the job fails instead of lying */
	unlink(out_path);
	assert_int_equal(run(2, 5, 1, 200, F_WRONG_RESULT, 1, 3, out_path),
			 CLI_EXIT_RUNTIME);
	assert_int_equal(access(out_path, F_OK), -1);
}

/*
 * --checkpoint: a job killed by a fault leaves a journal; the next run
 * (other rank count and chunk size: chunks partly covered) finishes it
 * identically; a run over a complete journal factors nothing (no WORK);
 * another job's journal and a corrupt one are refused.
 */
static void test_checkpoint_resume(void **state)
{
	char journal[64], *ref, *out;
	FILE *f;
	long size;

	(void)state;
	snprintf(journal, sizeof journal, "/tmp/test_master_journal.%d",
		 (int)getpid());
	unlink(journal);
	assert_int_equal(run(1, 5, 1, 200, F_NONE, -1, 1, ref_path),
			 CLI_EXIT_OK);
	assert_true(run_works == 0); /* local: no messages */
	run_checkpoint = journal;
	assert_int_equal(run(3, 5, 1, 200, F_TRUNCATED_RESULT, 2, 7, out_path),
			 CLI_EXIT_RUNTIME);
	assert_int_equal(access(out_path, F_OK), -1);
	assert_int_equal(access(journal, F_OK), 0);
	assert_int_equal(run(2, 7, 0, 200, F_NONE, -1, 3, out_path),
			 CLI_EXIT_OK);
	assert_true(run_works > 0);
	ref = read_file(ref_path);
	out = read_file(out_path);
	assert_non_null(ref);
	assert_non_null(out);
	assert_string_equal(out, ref);
	free(out);
	/* complete journal: every chunk replayed and verified, none sent */
	unlink(out_path);
	assert_int_equal(run(4, 3, 1, 200, F_NONE, -1, 5, out_path),
			 CLI_EXIT_OK);
	assert_int_equal(run_works, 0);
	out = read_file(out_path);
	assert_non_null(out);
	assert_string_equal(out, ref);
	free(out);
	/* another job (one more number): refused as a usage error */
	unlink(out_path);
	assert_int_equal(run(2, 5, 1, 201, F_NONE, -1, 1, out_path),
			 CLI_EXIT_USAGE);
	assert_int_equal(access(out_path, F_OK), -1);
	/* a byte flipped in the middle: corrupt, a runtime failure */
	f = fopen(journal, "r+b");
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	size = ftell(f);
	assert_int_equal(fseek(f, size / 2, SEEK_SET), 0);
	assert_int_equal(fputc(0x5a ^ fgetc(f), f) != EOF, 1);
	fclose(f);
	assert_int_equal(run(2, 5, 1, 200, F_NONE, -1, 1, out_path),
			 CLI_EXIT_RUNTIME);
	assert_int_equal(access(out_path, F_OK), -1);
	run_checkpoint = NULL;
	unlink(journal);
	free(ref);
}

/* Placed records ("FZJP") in the journal at path. */
static int placed_records(const char *path)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = fopen(path, "rb");
	int n = 0;

	assert_non_null(f);
	while (!feof(f)) {
		char *p = realloc(text, len + 4096);
		assert_non_null(p);
		text = p;
		len += fread(text + len, 1, 4096, f);
	}
	fclose(f);
	for (size_t i = 0; i + 4 <= len; i++)
		n += memcmp(text + i, "FZJP", 4) == 0;
	free(text);
	return n;
}

/*
 * --checkpoint with the workers writing (proto.h 3b): a job stopped by a
 * bad WRITTEN leaves no output; a run that finishes journals placed
 * records.  Its file put back under the kept temporary name and cut in
 * the middle, as a kill leaves it: the next run (another rank count and
 * chunk size) reads the blocks before the cut back, computes the rest
 * (their CRC fails) and writes the same file; a run over that journal
 * sends no WORK (the blocks read back from the finished file).
 */
static void test_wmode_checkpoint_resume(void **state)
{
	char journal[64], kept[128], *ref, *out;
	int all;

	(void)state;
	snprintf(journal, sizeof journal, "/tmp/test_master_wjournal.%d",
		 (int)getpid());
	snprintf(kept, sizeof kept,
		 "/tmp/.test_master_out.%d" OUTPUT_KEPT_SUFFIX, (int)getpid());
	unlink(journal);
	unlink(out_path);
	assert_int_equal(run(1, 5, 1, 200, F_NONE, -1, 1, ref_path),
			 CLI_EXIT_OK);
	ref = read_file(ref_path);
	assert_non_null(ref);
	run_wmode = 1;
	run_checkpoint = journal;
	assert_int_equal(run(3, 5, 1, 200, F_WRITTEN_LENGTH, 2, 7, out_path),
			 CLI_EXIT_RUNTIME);
	assert_int_equal(access(out_path, F_OK), -1);
	assert_int_equal(run(3, 5, 1, 200, F_NONE, -1, 3, out_path),
			 CLI_EXIT_OK);
	assert_true(placed_records(journal) > 0);
	all = run_works;
	out = read_file(out_path);
	assert_non_null(out);
	assert_string_equal(out, ref);
	free(out);

	assert_int_equal(rename(out_path, kept), 0);
	assert_int_equal(truncate(kept, (off_t)(strlen(ref) / 2)), 0);
	assert_int_equal(run(4, 7, 1, 200, F_NONE, -1, 5, out_path),
			 CLI_EXIT_OK);
	print_message("wmode --checkpoint, kept file cut in half: %d WORKs "
		      "(%d in the whole run)\n",
		      run_works, all);
	assert_true(run_works > 0);
	out = read_file(out_path);
	assert_non_null(out);
	assert_string_equal(out, ref);
	free(out);
	assert_int_equal(access(kept, F_OK), -1);

	assert_int_equal(run(2, 3, 1, 200, F_NONE, -1, 5, out_path),
			 CLI_EXIT_OK);
	assert_int_equal(run_works, 0);
	out = read_file(out_path);
	assert_non_null(out);
	assert_string_equal(out, ref);
	free(out);
	run_checkpoint = NULL;
	run_wmode = 0;
	unlink(journal);
	free(ref);
}

/*
 * Groups, rank 0's side: leaders are its only workers, the output is the
 * one-rank output for any layout and delivery order, and --stats lists
 * every member with the statistics its leader relayed.
 */
static void test_groups_output_and_relayed_stats(void **state)
{
	char stats[64], *ref, *out, *js, want[64];

	(void)state;
	snprintf(stats, sizeof stats, "/tmp/test_master_stats.%d",
		 (int)getpid());
	assert_int_equal(run(1, 7, 1, 300, F_NONE, -1, 1, ref_path),
			 CLI_EXIT_OK);
	ref = read_file(ref_path);
	assert_non_null(ref);
	for (int g = 2; g <= 4; g++)
		for (int size = 3; size <= MAX_RANKS; size++) {
			run_group_size = g;
			run_stats = stats;
			assert_int_equal(run(size, (uint32_t)(g == 3 ? 0 : 5),
					     1, 300, F_NONE, -1,
					     (uint64_t)(size * g), out_path),
					 CLI_EXIT_OK);
			run_group_size = 0;
			run_stats = NULL;
			out = read_file(out_path);
			assert_non_null(out);
			assert_string_equal(out, ref);
			free(out);
			js = read_file(stats);
			assert_non_null(js);
			/* rank 2 is a member whenever size >= 3 */
			snprintf(want, sizeof want,
				 "{\"rank\": 2, \"numbers\": 1002,");
			assert_non_null(strstr(js, want));
			snprintf(want, sizeof want, "\"group_size\": %d,", g);
			assert_non_null(strstr(js, want));
			free(js);
		}
	unlink(stats);
	free(ref);
}

/*
 * Trust: rank 0 parses back a sample of every block, a leader's too (the
 * first line of every block always), so a wrong line planted by a leader
 * after its own check is caught and recomputed like a plain worker's.
 */
static void test_leader_blocks_sampled(void **state)
{
	char *ref, *out;

	(void)state;
	assert_int_equal(run(1, 5, 1, 200, F_NONE, -1, 1, ref_path),
			 CLI_EXIT_OK);
	ref = read_file(ref_path);
	assert_non_null(ref);
	/* rank 1 leads rank 2; rank 3 is a group of one (a plain worker) */
	for (int fr = 1; fr <= 3; fr += 2) {
		run_group_size = 2;
		assert_int_equal(
			run(4, 5, 1, 200, F_WRONG_RESULT, fr, 3, out_path),
			CLI_EXIT_OK);
		run_group_size = 0;
		out = read_file(out_path);
		assert_non_null(out);
		assert_string_equal(out, ref);
		free(out);
	}
	free(ref);
}

static void test_foreign_group_stats_is_fatal(void **state)
{
	(void)state;
	unlink(out_path);
	run_group_size = 2;
	/* 6 ranks: {1,2} {3,4} {5}; leader 1 relays rank 5's stats */
	assert_int_equal(
		run(6, 5, 1, 200, F_FOREIGN_GROUP_STATS, 1, 7, out_path),
		CLI_EXIT_RUNTIME);
	run_group_size = 0;
}

static void test_member_talking_to_rank0_is_fatal(void **state)
{
	(void)state;
	unlink(out_path);
	run_group_size = 2;
	assert_int_equal(run(5, 5, 1, 200, F_MEMBER_TO_RANK0, 1, 7, out_path),
			 CLI_EXIT_RUNTIME);
	run_group_size = 0;
	assert_int_equal(access(out_path, F_OK), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_output_identical_for_any_size_and_order),
		cmocka_unit_test(test_one_rank_past_the_lookahead),
		cmocka_unit_test(test_full_window_resumes),
		cmocka_unit_test(test_truncated_result_is_fatal),
		cmocka_unit_test(test_result_for_unheld_chunk_is_fatal),
		cmocka_unit_test(test_worker_error_is_fatal),
		cmocka_unit_test(test_unknown_tag_is_fatal),
		cmocka_unit_test(test_share_messages),
		cmocka_unit_test(test_repeated_request_is_fatal),
		cmocka_unit_test(test_repeated_result_is_fatal),
		cmocka_unit_test(test_wrong_result_recomputed_elsewhere),
		cmocka_unit_test(test_checkpoint_resume),
		cmocka_unit_test(test_wmode_checkpoint_resume),
		cmocka_unit_test(test_groups_output_and_relayed_stats),
		cmocka_unit_test(test_leader_blocks_sampled),
		cmocka_unit_test(test_wmode_output_identical),
		cmocka_unit_test(test_wmode_full_window),
		cmocka_unit_test(test_wmode_bad_messages_fatal),
		cmocka_unit_test(test_block_line_missing_is_fatal),
		cmocka_unit_test(test_block_line_extra_is_fatal),
		cmocka_unit_test(test_block_len_wrong_is_fatal),
		cmocka_unit_test(test_block_for_unissued_chunk_names_rank),
		cmocka_unit_test(test_duplicate_block_names_rank),
		cmocka_unit_test(test_foreign_group_stats_is_fatal),
		cmocka_unit_test(test_member_talking_to_rank0_is_fatal),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
