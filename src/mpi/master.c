/*
 * master.c - rank 0 (see master.h and the conversation in proto.h).
 *
 * Purpose: run a job end to end: input -> chunks -> workers -> checked
 * blocks of output lines -> output in input order -> STOP -> statistics.
 * What rank 0 shares with a group leader (the scheduler's clock and
 * liveness, a RESULT's bookkeeping, the wrong-result rule) is coord.c;
 * coord.h says how the two differ.  This file is rank 0's side.
 *
 * Invariants:
 *   - Every message is decoded by proto.c and checked against sched.c's
 *     books (the sender holds that chunk, the count matches) before any
 *     of it is used; anything else ends the job with a message naming the
 *     sending rank and exit status CLI_EXIT_RUNTIME.
 *   - Rank 0 works per chunk, never per number (STYLE: the coordinator
 *     touches metadata, not data): a worker checks its own results and
 *     sends the chunk's formatted lines (proto.h RESULT); rank 0 counts
 *     the lines (memchr), parses back a sample (block.c: the first line
 *     and 1 in BLOCK_SAMPLE_RATE under --verify sample or product, every
 *     line under full, none under none), journals the bytes and copies
 *     them to the output.  With one rank the local worker makes the same
 *     block, so every rank count takes one path.
 *   - No block is written before it passed that check.  A block that
 *     fails (or a worker's own check, bad_index) is reported and its
 *     chunk handed to another worker; a chunk that fails twice ends the
 *     job; a rank with COORD_MAX_WRONG_PER_RANK wrong blocks gets no more
 *     work (coord.h).
 *     A block whose lines do not match its chunk's count is a malformed
 *     message: the job ends naming the rank.
 *   - Groups (--group-size, proto.h GROUPS): a leader's block is checked
 *     like any other (its members' blocks were checked by the leader).
 *     Rank 0's workers are its children: the leaders and the ungrouped
 *     ranks (child_rank[] maps sched workers to ranks).
 *   - Results are written in input order (or on arrival with --unordered);
 *     the sched's window bounds what waits in memory.
 *   - Every worker gets exactly one STOP and sends exactly one STATS; the
 *     master does not return before it has them all (or, after a fatal
 *     error, before ABORT_WAIT_S has passed: then MPI_Abort).
 *   - Waiting is transport_wait's back-off: an idle master sleeps.
 *   - A signal (main sets *signo) stops the hand-out at once: ABORT to
 *     the workers, the output file discarded, CLI_EXIT_INTERRUPTED;
 *     the --checkpoint journal is synced first.
 *   - Liveness (sched.h): every message from a worker moves its deadline
 *     (HEARTBEATs exist for that); a worker past it is named on stderr
 *     and its chunks go to the others at once; it gets work again when it
 *     answers.  The job ends when every chunk is released and every
 *     worker that is not late has sent STATS: the late ones are named
 *     once more (rank and, when known, host), the output and journal are
 *     closed complete, and rank 0 ends the job with MPI_Abort and
 *     CLI_EXIT_HUNG (MPI_Finalize would wait for them for ever).
 *     --stats lists the events (MASTER_MAX_LIVE_EVENTS of them).
 *   - Shared numbers (proto.h 12-15, coop_*): once the scheduler is
 *     exhausted, a worker without a chunk is sent JOIN for an open share
 *     (the fewest helpers first); a share's close, or its owner going
 *     late, sends LEAVE to its helpers; no STOP DONE goes out while a
 *     helper has not answered LEAVE (given up after
 *     MASTER_LEAVE_WAIT_NS).  Speculation is off when shares are on.
 *   - --checkpoint: on the byte path a block's lines are appended to the
 *     journal (positions not already there) after the check and before
 *     they are written or kept; when the workers write the output
 *     (proto.h 3b) a block's place and CRC are journaled once it is in
 *     the file (WRITTEN, or rank 0 wrote it for a late worker), and the
 *     output's temporary file keeps a fixed name that an interrupted run
 *     leaves behind (output_open_kept).  A chunk the journal covers
 *     completely is rebuilt from the journaled lines, or from the placed
 *     bytes of the kept file when their CRC matches (replay.h), and
 *     handled as a RESULT (checked again, never journaled twice); a
 *     placed block that fails its CRC is computed again.  When the
 *     workers write, rank 0 puts a replayed block at the offset this run
 *     assigns (no write when the journal places it there already), so
 *     every run writes the whole output, byte-identical to an
 *     uninterrupted one, whatever was redone; a partly covered chunk is
 *     simply sent (and, when the workers write, not journaled).
 *
 * Loop, in order, until every chunk is released and every STATS is in:
 *   1. release finished chunks in order to the output (this frees the
 *      window before anything is handed out: releasing after the hand-out
 *      only would leave held-back workers waiting while the master waits);
 *   2. read input while the sched wants numbers (text sources only; bad
 *      tokens are reported on stderr as GNU factor does and skipped);
 *      an --input file cut into byte ranges (brange.h, proto.h 3a) is
 *      not read here: its bad tokens come in each range's INPUT message
 *      and are reported when the range is released, at their file lines;
 *   3. sched_next until idle: send WORK (RANGE form for a progression,
 *      so a chunk costs O(1) here; BYTES for a file's byte range, one
 *      item of the sched; LIST form for other text) or STOP; with one
 *      rank, process the chunk locally and handle its RESULT at once,
 *      checking the signal flag before each chunk (nothing else would
 *      interrupt this loop), and go round again while a pass moved
 *      anything (local_progress): idle with nothing moved is a bug;
 *   4. wait for one message, then take every message already waiting,
 *      handling REQUEST, RESULT, STATS and ERROR.
 */
#include "master.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "block.h"
#include "brange.h"
#include "coop.h"
#include "coord.h"
#include "engine.h"
#include "input.h"
#include "journal.h"
#include "output.h"
#include "preflight.h"
#include "progress.h"
#include "proto.h"
#include "replay.h"
#include "topo.h"
#include "sched.h"
#include "stats.h"
#include "status.h"
#include "transport.h"
#include "worker.h"

enum {
	/* the reorder window in chunks: 4 x every worker's largest credit,
	   at least 1024 (a few workers still get a deep window: at --chunk
	   64 it is 65,536 numbers, tests/integration/it_limits.sh's edge) and at most
	   2^20 ring slots (about 100 MB of slot headers; 8192 workers of
	   credit 32) */
	MASTER_MIN_WINDOW_CHUNKS = 1024,
	MASTER_MAX_WINDOW_CHUNKS = 1 << 20,
	ABORT_WAIT_S = 10,
	/* liveness events kept for --stats (all are counted): a flapping
	   rank on a long job must not grow rank 0's memory without bound */
	MASTER_MAX_LIVE_EVENTS = 1024
};

/*
 * Byte ranges (--input FILE, proto.h 3a).  A range is about
 * size / (MASTER_RANGE_SPLIT x workers) bytes: 16 ranges per worker at
 * least, so that a file of slow numbers still spreads and the last ranges
 * leave little imbalance; at most MASTER_RANGE_BYTES (256 KiB, about
 * 18,000 numbers of 13 digits: a few tens of ms per range for cheap
 * numbers, so rank 0 handles a few hundred messages a second at most),
 * and --test-range-bytes fixes it.  MASTER_RANGE_WINDOW_BYTES bounds the
 * input in flight (the reorder window in ranges is that over the range
 * size, at least two full credits of every worker): 64 MiB.
 */
enum {
	MASTER_RANGE_SPLIT = 16,
	MASTER_RANGE_BYTES = 256 << 10,
	MASTER_RANGE_WINDOW_BYTES = 64 << 20
};
/* a range's output fits one RESULT: at most 2^17 + 1 numbers of a
   default range (2 bytes each), far below PROTO_MAX_CHUNK */
static_assert(MASTER_RANGE_BYTES / 2 + 1 < PROTO_MAX_CHUNK,
	      "a range must hold fewer numbers than a chunk may");

/*
 * A block placed with a worker and not yet reported written (proto.h 3b):
 * what rank 0 needs to write it itself when that worker stops answering
 * (the chunk's WORK, recomputed here).  taken: rank 0 wrote it; the
 * worker's own WRITTEN, if it ever comes, is then only acknowledged.
 */
struct placed {
	uint64_t chunk_id, offset, length;
	uint64_t first_index; /* the chunk's positions, for the journal */
	uint32_t count, crc;  /* crc: the HELD's block_crc */
	int w, taken;
	struct proto_buf work;
};

struct rank_stats {
	int have;               /* STATS received (or local numbers) */
	struct proto_stats s;   /* as the rank reported them */
	uint64_t accepted;      /* numbers of its results that were kept */
	uint32_t wrong;         /* its results that failed verification */
	double last_result_s;   /* when its last RESULT came (since t0) */
	uint64_t bytes_written; /* output bytes it wrote (proto.h 3b) */
};

/* Fields ordered so that no padding is needed (clang-analyzer's Padding
   check): the int fields in pairs. */
struct master {
	const struct options *o;
	int size, local, n_workers; /* n_workers: rank 0's children */
	int *child_rank;            /* sched worker -> rank */
	int *rank_child;            /* rank -> sched worker, -1: not a child */
	int *child_members;         /* members behind a child (0: a worker) */
	struct coord c;             /* the scheduler and liveness (coord.h) */
	struct input_source *in;
	const char *in_name; /* for messages; NULL for arguments */
	int range;
	int lw_ready;
	int bytes;    /* byte-range chunks: br holds the books */
	int br_ready; /* br initialised */
	struct brange br;
	mpz_t start, step, n;
	struct output *out;
	struct transport_msg msg;
	struct proto_buf buf;    /* packing scratch */
	struct proto_buf rbuf;   /* local mode: the RESULT */
	struct block_check bc;   /* parses back the sampled lines */
	struct proto_buf replay; /* replay_chunk: the lines from the journal */
	struct worker_ctx lw;    /* local mode worker */
	struct rank_stats *rs;
	int stats_pending;
	int bad_input, fatal, interrupted;
	int usage_error;     /* fatal, but the user's: CLI_EXIT_USAGE */
	int replaying;       /* handle_result on a journaled chunk */
	struct journal *j;   /* --checkpoint; NULL without */
	int kept_fd;         /* the kept output read-only (replay), or -1 */
	int kept_other;      /* kept_fd is the finished output, not the
				kept file rank 0 writes (open_output) */
	int crc_said;        /* a placed block failed its CRC: said once */
	uint64_t replayed;   /* numbers taken from the journal */
	uint64_t local_mark; /* one rank: local_progress of the last
				     pass (see the main loop) */
	const volatile sig_atomic_t *signo;
	uint64_t written, wrong_results;
	uint64_t bytes_written;  /* output bytes (rank 0 copies blocks) */
	uint64_t chunks_written; /* blocks written */
	uint64_t partial;        /* numbers written with a composite part */
	double cpu0;             /* cpu_seconds() at the start */
	double wait_cpu;         /* CPU seconds spent in transport_wait's
				     back-off (spin, yield) */
	struct progress pg;
	int show_progress;
	uint32_t n_ev;
	struct stats_event *ev; /* the first MASTER_MAX_LIVE_EVENTS */
	/* workers write the output (proto.h 3b): wmode on; where the next
	   placed block goes; OFFSETs not yet answered by WRITTEN; per sched
	   worker the blocks it holds unplaced, and a STOP that waits for
	   them */
	int wmode;
	uint32_t rewritten; /* blocks rank 0 wrote for a late worker */
	uint64_t next_offset;
	uint32_t *held;
	int *stop_due;
	struct placed *pl; /* placed blocks not yet reported written */
	uint32_t n_pl, pl_cap;
	/* shared numbers (proto.h 12-15): on, the open shares, per sched
	   worker the share it helps (-1: none), a LEAVE answer due (and
	   since when), a STOP held back until no helper is out */
	int coop;
	uint32_t n_sh, sh_cap;
	struct mshare *sh;
	int *help, *leaving, *stop_wait;
	uint64_t *leave_ns;
	uint64_t joins;
	char err[512];
};

/* A shared number (proto.h 12): its owner's rank and id, the number. */
struct mshare {
	int owner;
	uint32_t helpers, next_helper;
	uint64_t id;
	mpz_t n;
};

/*
 * A helper that has not answered LEAVE after this long is given up (it
 * is named hung at the end if it never sends STATS): the liveness floor
 * of sched.h (SCHED_LIVE_FLOOR_NS), as for a worker that stops answering.
 */
static const uint64_t MASTER_LEAVE_WAIT_NS = 5000000000u;

static void master_say(const char *fmt, ...)
{
	va_list ap;

	fputs("factorize: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* A fatal error: say it once, remember it. */
static void master_fail(struct master *m, const char *fmt, ...)
{
	va_list ap;

	if (m->fatal)
		return;
	m->fatal = 1;
	fputs("factorize: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void mpz_set_u64(mpz_t z, uint64_t v)
{
	mpz_import(z, 1, 1, sizeof v, 0, 0, &v);
}

/* n = start + index * step */
static void range_number(struct master *m, mpz_t z, uint64_t index)
{
	mpz_set_u64(z, index);
	mpz_mul(z, z, m->step);
	mpz_add(z, z, m->start);
}

/* The signal flag, for the local worker's stop hook (one master). */
static const volatile sig_atomic_t *master_signo;

static int master_stop_poll(void)
{
	return master_signo != NULL && *master_signo != 0;
}

/* This process's CPU seconds (rank 0's cost, reported in --stats). */
static double cpu_seconds(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) != 0)
		return 0;
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void live_event(struct master *m, int rank, int back, uint32_t n)
{
	if (m->ev == NULL)
		m->ev = calloc(MASTER_MAX_LIVE_EVENTS, sizeof *m->ev);
	if (m->ev == NULL || m->n_ev >= MASTER_MAX_LIVE_EVENTS)
		return;
	m->ev[m->n_ev].rank = rank;
	m->ev[m->n_ev].back = back;
	m->ev[m->n_ev].chunks = n;
	m->ev[m->n_ev].t = transport_wtime() - m->c.t0;
	m->n_ev++;
}

static int worker_rank(const struct master *m, int w)
{
	return m->local ? 0 : m->child_rank[w];
}

/* coord's has_stats: sched worker w (a child) has sent its STATS. */
static int child_has_stats(const void *owner, int w)
{
	const struct master *m = owner;

	return m->rs[m->child_rank[w]].have;
}

/*
 * Rank r stopped answering: a child of rank 0 that is late and sent no
 * STATS, or a member of a group whose leader sent its STATS without that
 * member's GROUP_STATS (the leader judged it late, group.c).
 */
static int hung_rank(const struct master *m, int r)
{
	int w, leader;

	if (m->local || r <= 0 || r >= m->size || m->rs[r].have)
		return 0;
	w = m->rank_child[r];
	if (w >= 0)
		return m->c.s.workers[w].late;
	leader = r - 1;
	while (leader > 0 && m->rank_child[leader] < 0)
		leader--;
	return leader > 0 && m->rs[leader].have;
}

static int hung_ranks(const struct master *m)
{
	int n = 0;

	for (int r = 1; r < m->size; r++)
		n += hung_rank(m, r);
	return n;
}

static void take_over_placed(struct master *m, int w);
static void coop_close_owner(struct master *m, int owner);

/* coord's late: child w passed its deadline; n chunks to the others. */
static void child_late(void *owner, int w, double idle_s, uint32_t n)
{
	struct master *m = owner;
	int rank = m->child_rank[w];

	if (m->wmode)
		take_over_placed(m, w); /* its blocks, by rank 0 */
	if (m->coop)
		coop_close_owner(m, rank); /* its helpers leave */

	live_event(m, rank, 0, n);
	master_say("rank %d sent nothing for %.1f s; %u chunk(s) handed to "
		   "other ranks, no more work for it until it answers",
		   rank, idle_s, n);
}

/* coord's back: child w, late, answered again. */
static void child_back(void *owner, int w)
{
	struct master *m = owner;
	int rank = m->child_rank[w];

	live_event(m, rank, 1, 0);
	master_say("rank %d answers again", rank);
}

static const struct coord_ops master_coord_ops = { child_late, child_back,
						   child_has_stats };

/* ---- input ---- */

static void report_bad_token(struct master *m, const struct input_error *e)
{
	m->bad_input = 1;
	if (m->in_name != NULL && e->line > 0)
		master_say("%s:%lu: '%s' %s", m->in_name, e->line, e->token,
			   e->reason);
	else
		master_say("'%s' %s", e->token, e->reason);
}

/* A bad token of a byte range at its file line (brange_release). */
static void report_range_token(void *arg, uint64_t line,
			       const struct proto_bad *t)
{
	struct master *m = arg;

	m->bad_input = 1;
	master_say("%s:%llu: '%s' %s", m->in_name, (unsigned long long)line,
		   t->token, input_reason(m->in, t->reason == PROTO_BAD_LONG));
}

static void fill_input(struct master *m)
{
	struct input_error e;
	uint32_t want;
	int st;

	if (m->range || m->bytes)
		return;
	want = sched_input_wanted(&m->c.s);
	while (want > 0 && !m->fatal) {
		memset(&e, 0, sizeof e);
		st = input_next(m->in, m->n, &e);
		if (st == STATUS_OK) {
			if (sched_input_add(&m->c.s, m->n) != STATUS_OK) {
				master_fail(m, "internal error: input buffer");
				return;
			}
			want--;
		} else if (st == STATUS_NOT_FOUND) {
			sched_input_end(&m->c.s);
			return;
		} else if (st == STATUS_ERR_SYNTAX || st == STATUS_ERR_RANGE) {
			report_bad_token(m, &e);
		} else if (errno == EINTR && m->signo != NULL && *m->signo) {
			return; /* a signal cut the read: the loop stops */
		} else {
			master_fail(m, "%s: read error: %s",
				    m->in_name ? m->in_name : "input",
				    errno ? strerror(errno) : status_str(st));
			return;
		}
	}
}

/* ---- results ---- */

/* The input number at index i of chunk c (block_check's callback). */
struct line_arg {
	struct master *m;
	const struct sched_chunk *c;
};

static mpz_srcptr line_number(void *arg, uint32_t i, mpz_t scratch)
{
	const struct line_arg *a = arg;

	if (a->m->bytes)
		return NULL; /* the worker parsed them: block.h */
	if (a->c->numbers != NULL && !a->m->range)
		return a->c->numbers[i];
	range_number(a->m, scratch, a->c->first_index + i);
	return scratch;
}

static void send_to(struct master *m, int rank, int tag);

/*
 * OFFSET to sched worker w for its held block of chunk_id: where it goes,
 * or PROTO_OFFSET_DROP.  A STOP that waited for the worker's last held
 * block follows it (MPI keeps the order).
 */
static void place_block(struct master *m, int w, uint64_t chunk_id,
			uint64_t offset, uint64_t length)
{
	struct proto_place pl = { chunk_id, offset, length };
	int rank = m->child_rank[w];

	if (proto_pack_place(&m->buf, PROTO_TAG_OFFSET, &pl) != STATUS_OK) {
		master_fail(m, "internal error: OFFSET");
		return;
	}
	send_to(m, rank, PROTO_TAG_OFFSET);
	if (m->held[w] > 0 && --m->held[w] == 0 && m->stop_due[w]) {
		m->stop_due[w] = 0;
		if (proto_pack_stop(&m->buf, PROTO_STOP_DONE) == STATUS_OK)
			send_to(m, rank, PROTO_TAG_STOP);
	}
}

static int pack_work(struct master *m, const struct sched_chunk *c);

/*
 * Rank 0 computes a chunk itself from its WORK message (a worker that holds
 * it stopped answering): the block in *block, *len bytes, valid until the
 * next call.
 */
static int rank0_block(struct master *m, const struct proto_buf *work,
		       const unsigned char **block, size_t *len)
{
	struct proto_result_header h;
	int st;

	memset(&h, 0, sizeof h);
	st = worker_process(&m->lw, work->data, work->len, &m->rbuf, m->err,
			    sizeof m->err);

	if (st == STATUS_OK)
		st = proto_read_result(m->rbuf.data, m->rbuf.len, &h, block);
	if (st == STATUS_OK && h.bad_index != PROTO_NO_BAD_INDEX)
		st = STATUS_ERR_VERIFY;
	*len = h.block_len;
	return st;
}

/* Remember a placed block until its WRITTEN; the chunk's WORK with it. */
static void record_placed(struct master *m, const struct sched_chunk *c, int w,
			  uint64_t offset, uint64_t length, uint32_t crc)
{
	struct placed *p;

	if (m->n_pl == m->pl_cap) {
		uint32_t cap = m->pl_cap ? 2 * m->pl_cap : 64;
		p = realloc(m->pl, cap * sizeof *p);
		if (p == NULL) {
			master_fail(m, "out of memory");
			return;
		}
		m->pl = p;
		m->pl_cap = cap;
	}
	p = &m->pl[m->n_pl];
	memset(p, 0, sizeof *p);
	proto_buf_init(&p->work);
	if (pack_work(m, c) != STATUS_OK ||
	    proto_buf_append(&p->work, m->buf.data, m->buf.len) != STATUS_OK) {
		proto_buf_clear(&p->work);
		master_fail(m, "internal error: cannot keep chunk %llu",
			    (unsigned long long)c->id);
		return;
	}
	p->chunk_id = c->id;
	p->offset = offset;
	p->length = length;
	p->first_index = c->first_index;
	p->count = c->count;
	p->crc = crc;
	p->w = w;
	m->n_pl++;
}

/*
 * --checkpoint: the block of the chunk at positions first .. + count - 1
 * is in the file (WRITTEN, or rank 0 wrote it): a placed record.  A chunk
 * some of whose positions an earlier run journaled under other bounds is
 * not journaled (STATUS_ERR_INVAL: a resume computes it again); one of
 * exactly the same positions replaces the old record (journal.h).
 */
static void journal_placed(struct master *m, uint64_t chunk_id, uint64_t first,
			   uint32_t count, int rank, uint64_t offset,
			   uint64_t length, uint32_t crc)
{
	int st;

	if (m->j == NULL)
		return;
	st = journal_append_placed(m->j, chunk_id, first, count, rank, offset,
				   length, crc);
	if (st != STATUS_OK && st != STATUS_ERR_INVAL)
		master_fail(m, "%s: cannot journal chunk %llu: %s",
			    m->o->checkpoint, (unsigned long long)chunk_id,
			    st == STATUS_ERR_IO ? strerror(errno)
						: status_str(st));
}

/*
 * Worker w stopped answering: rank 0 writes every block placed with it and
 * not reported written, recomputed from its WORK (the same bytes, but
 * for --verbose's rank and seconds: a length that differs fails the job).
 */
static void take_over_placed(struct master *m, int w)
{
	const unsigned char *block;
	size_t len;

	for (uint32_t i = 0; i < m->n_pl && !m->fatal; i++) {
		struct placed *p = &m->pl[i];
		if (p->w != w || p->taken)
			continue;
		if (rank0_block(m, &p->work, &block, &len) != STATUS_OK ||
		    len != p->length) {
			master_fail(m,
				    "cannot write chunk %llu for rank %d, "
				    "which stopped answering",
				    (unsigned long long)p->chunk_id,
				    m->child_rank[w]);
			return;
		}
		if (output_write_at(m->out, p->offset, block, len) !=
		    STATUS_OK) {
			master_fail(m, "%s: write error: %s", m->o->output,
				    strerror(errno));
			return;
		}
		p->taken = 1;
		m->rewritten++;
		journal_placed(m, p->chunk_id, p->first_index, p->count, 0,
			       p->offset, len, journal_crc32c(0, block, len));
	}
}

/* Placed blocks rank 0 still waits for (neither WRITTEN nor taken). */
static uint32_t placed_open(const struct master *m)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < m->n_pl; i++)
		n += !m->pl[i].taken;
	return n;
}

/*
 * A block of a late worker that is due for its place: rank 0 computes and
 * writes it (its own length: nothing after it is placed yet) and tells
 * the worker to drop its copy.
 */
static void write_for_late(struct master *m, const struct sched_chunk *c, int w,
			   const struct proto_result_header *h)
{
	const unsigned char *block;
	size_t len;

	/* the WORK is packed into m->buf, which sending takes: a copy */
	proto_buf_reset(&m->replay);
	if (pack_work(m, c) != STATUS_OK ||
	    proto_buf_append(&m->replay, m->buf.data, m->buf.len) !=
		    STATUS_OK ||
	    rank0_block(m, &m->replay, &block, &len) != STATUS_OK ||
	    output_write_at(m->out, m->next_offset, block, len) != STATUS_OK) {
		master_fail(m,
			    "cannot write chunk %llu for rank %d, which "
			    "stopped answering",
			    (unsigned long long)c->id, m->child_rank[w]);
		return;
	}
	place_block(m, w, h->chunk_id, PROTO_OFFSET_DROP, 0);
	journal_placed(m, c->id, c->first_index, c->count, 0, m->next_offset,
		       len, journal_crc32c(0, block, len));
	m->next_offset += len;
	m->rewritten++;
	m->written += h->count;
	m->bytes_written += len;
	m->chunks_written++;
}

/* A placed block's share of the books (proto.h 3b). */
static void write_held(struct master *m, const struct sched_chunk *c,
		       const struct proto_buf *b, int w)
{
	struct proto_reader r;
	struct proto_result_header h;
	uint32_t n_sample;

	if (proto_read_held(&r, b->data, b->len, &h, &n_sample) != STATUS_OK) {
		master_fail(m, "internal error: stored HELD unreadable");
		return;
	}
	if (m->c.s.workers[w].late) {
		write_for_late(m, c, w, &h);
		return;
	}
	record_placed(m, c, w, m->next_offset, h.block_len, h.block_crc);
	place_block(m, w, h.chunk_id, m->next_offset, h.block_len);
	m->next_offset += h.block_len;
	m->rs[m->child_rank[w]].bytes_written += h.block_len;
	m->written += h.count;
	m->bytes_written += h.block_len;
	m->chunks_written++;
}

/*
 * 1 when the journal's placed records of chunk c's positions (all of
 * them, none reaching outside c) lie end to end from offset, len bytes in
 * all: the replayed block is in the file where it goes already (its CRC
 * was checked when it was read back, and no block placed since can
 * overlap it: offsets are handed out in order).
 */
static int already_in_place(struct master *m, const struct sched_chunk *c,
			    uint64_t offset, uint64_t len)
{
	uint64_t pos = c->first_index, end = c->first_index + c->count;

	while (pos < end) {
		const struct journal_entry *e = journal_find(m->j, pos);
		if (e == NULL || !e->placed || e->first_index != pos ||
		    e->first_index + e->count > end || e->out_offset != offset)
			return 0;
		offset += e->out_len;
		pos += e->count;
		if (e->out_len > len)
			return 0;
		len -= e->out_len;
	}
	return len == 0;
}

/*
 * Workers write the output and chunk c came from the journal (a
 * replayed RESULT, rank 0 has its bytes): rank 0 puts them at the next
 * offset itself, unless they are there already.
 */
static void write_replayed(struct master *m, const struct sched_chunk *c,
			   const struct proto_buf *b)
{
	struct proto_result_header h;
	const unsigned char *block;

	if (proto_read_result(b->data, b->len, &h, &block) != STATUS_OK) {
		master_fail(m, "internal error: stored result unreadable");
		return;
	}
	if ((m->kept_other ||
	     !already_in_place(m, c, m->next_offset, h.block_len)) &&
	    output_write_at(m->out, m->next_offset, block, h.block_len) !=
		    STATUS_OK) {
		master_fail(m, "%s: write error: %s", m->o->output,
			    strerror(errno));
		return;
	}
	m->next_offset += h.block_len;
	m->written += h.count;
	m->bytes_written += h.block_len;
	m->chunks_written++;
}

/* A stored RESULT (not a HELD). */
static int is_result(const struct proto_buf *b)
{
	struct proto_reader r;

	return proto_reader_init(&r, b->data, b->len, PROTO_TAG_RESULT) ==
		STATUS_OK;
}

/* Rank 0's whole share of the output: the block's bytes, copied; or, when
   the workers write (proto.h 3b), its place in the file. */
static void write_chunk(struct master *m, const struct sched_chunk *c,
			const struct proto_buf *b, int w)
{
	struct proto_result_header h;
	const unsigned char *block;

	if (m->wmode) {
		if (is_result(b))
			write_replayed(m, c, b);
		else
			write_held(m, c, b, w);
		return;
	}
	if (proto_read_result(b->data, b->len, &h, &block) != STATUS_OK) {
		master_fail(m, "internal error: stored result unreadable");
		return;
	}
	if (output_write_block(m->out, block, h.block_len) != STATUS_OK) {
		master_fail(m, "%s: write error: %s",
			    m->o->output ? m->o->output : "standard output",
			    strerror(errno));
		return;
	}
	m->written += h.count;
	m->bytes_written += h.block_len;
	m->chunks_written++;
}

/*
 * Journal a checked RESULT for chunk c.  Positions already journaled (a
 * chunk that straddles what an earlier run finished) are left out: each
 * maximal run of new positions becomes one record holding its lines'
 * bytes as they came.
 */
static void journal_chunk(struct master *m, const struct sched_chunk *c,
			  const struct proto_buf *b, int rank)
{
	struct proto_result_header h;
	const unsigned char *block;
	uint32_t run = 0;
	size_t off = 0, run_off = 0;
	int st = proto_read_result(b->data, b->len, &h, &block);

	for (uint32_t i = 0; st == STATUS_OK && i <= h.count; i++) {
		uint64_t pos = c->first_index + i;
		int done = i == h.count || journal_find(m->j, pos) != NULL;

		if (done && run > 0) {
			st = journal_append(m->j, c->id, pos - run, run, rank,
					    block + run_off, off - run_off);
			run = 0;
		}
		if (i == h.count || st != STATUS_OK)
			break;
		if (!done && run++ == 0)
			run_off = off;
		off += block_prefix(block + off, h.block_len - off, 1);
	}
	if (st != STATUS_OK)
		master_fail(m, "%s: cannot journal chunk %llu: %s",
			    m->o->checkpoint, (unsigned long long)c->id,
			    st == STATUS_ERR_IO ? strerror(errno)
						: status_str(st));
}

/*
 * A wrong result for chunk c from worker w (number index bad): hand the
 * chunk to another worker; give up on a chunk that failed
 * COORD_MAX_FAILURES times; exclude a rank after COORD_MAX_WRONG_PER_RANK
 * (coord_wrong decides, this says it).  who says whose check
 * failed.
 */
static void wrong_result(struct master *m, int w, struct sched_chunk *c,
			 uint32_t bad, const char *who)
{
	struct line_arg a = { m, c };
	int rank = worker_rank(m, w);
	struct coord_wrong v;
	char *s;
	mpz_t x;

	mpz_init(x);
	if (m->bytes) {
		char what[96];
		struct proto_bytes y;
		brange_get(&m->br, c->first_index, &y);
		snprintf(what, sizeof what, "number %u of bytes %llu..%llu",
			 bad + 1, (unsigned long long)y.offset,
			 (unsigned long long)(y.offset + y.length - 1));
		s = malloc(strlen(what) + 1);
		if (s != NULL)
			memcpy(s, what, strlen(what) + 1);
	} else {
		s = mpz_get_str(NULL, 10, line_number(&a, bad, x));
	}
	m->wrong_results++;
	v = coord_wrong(&m->c, w, c, &m->rs[rank].wrong, m->fatal);
	if (v.give_up)
		master_fail(m,
			    "rank %d returned a wrong factorization of %s "
			    "(%s); chunk %llu failed %d times, giving up",
			    rank, s, who, (unsigned long long)c->id,
			    COORD_MAX_FAILURES);
	else if (v.say)
		master_say("rank %d returned a wrong factorization of %s "
			   "(%s); recomputing it",
			   rank, s, who);
	if (v.none_left)
		master_fail(m,
			    "no worker left whose results pass "
			    "verification");
	else if (v.excluded)
		master_say("rank %d returned %d wrong factorizations: "
			   "no more work for it",
			   rank, COORD_MAX_WRONG_PER_RANK);
	free(s);
	mpz_clear(x);
}

/*
 * A byte range's RESULT (proto.h 3a): the rank must have sent the range's
 * INPUT just before.  0 (the job fails, naming the rank) when it did not.
 */
static int bytes_result(struct master *m, int rank,
			const struct proto_result_header *h)
{
	if (m->br.pending_id[rank] == h->chunk_id)
		return 1;
	master_fail(m,
		    "malformed RESULT message from rank %d (chunk %llu: no "
		    "INPUT before it)",
		    rank, (unsigned long long)h->chunk_id);
	return 0;
}

/* block_check_held's next: the HELD's following sampled line. */
static int held_next(void *arg, uint32_t *i, const unsigned char **line,
		     uint32_t *len)
{
	return proto_unpack_held_line(arg, i, line, len);
}

/* A HELD's block stays with its worker: it is told to drop it. */
static void drop_held(struct master *m, int w, int tag,
		      const struct proto_result_header *h)
{
	if (tag == PROTO_TAG_HELD && h->bad_index == PROTO_NO_BAD_INDEX)
		place_block(m, w, h->chunk_id, PROTO_OFFSET_DROP, 0);
}

/* RESULT, or HELD (proto.h 3b: the sample, the block stays with w). */
static int unpack_result(struct master *m, struct proto_reader *r,
			 const struct proto_buf *b, int tag,
			 struct proto_result_header *h,
			 const unsigned char **block, uint32_t *n_sample)
{
	*block = NULL;
	*n_sample = 0;
	if (tag == PROTO_TAG_RESULT) /* with wmode: a replayed chunk only */
		return m->wmode && !m->replaying
			? STATUS_ERR_PROTO
			: proto_read_result(b->data, b->len, h, block);
	return m->wmode ? proto_read_held(r, b->data, b->len, h, n_sample)
			: STATUS_ERR_PROTO;
}

static void handle_result(struct master *m, int w, struct proto_buf *b, int tag)
{
	struct proto_reader r;
	struct proto_result_header h;
	struct sched_chunk *c;
	struct line_arg a;
	const unsigned char *block;
	uint32_t bad = 0, n_sample;
	int rank = worker_rank(m, w), st;

	if (unpack_result(m, &r, b, tag, &h, &block, &n_sample) != STATUS_OK) {
		master_fail(m, "malformed %s message from rank %d",
			    proto_tag_name(tag), rank);
		return;
	}
	if (tag == PROTO_TAG_HELD && h.bad_index == PROTO_NO_BAD_INDEX)
		m->held[w]++;
	/* a byte range is one item of the scheduler, whatever it held */
	st = coord_complete(&m->c, w, h.chunk_id, m->bytes ? 1 : h.count,
			    h.busy_ns, &c);
	if (st == STATUS_OK || st == SCHED_DUPLICATE)
		m->rs[rank].last_result_s = transport_wtime() - m->c.t0;
	if (m->bytes && st == STATUS_OK && !bytes_result(m, rank, &h))
		return;
	if (st == SCHED_DUPLICATE) {
		if (m->bytes)
			brange_drop(&m->br, rank);
		drop_held(m, w, tag, &h);
		return;
	}
	if (st != STATUS_OK) {
		master_fail(m,
			    "rank %d sent a %s for chunk %llu "
			    "(%u numbers) that it does not hold",
			    rank, proto_tag_name(tag),
			    (unsigned long long)h.chunk_id, h.count);
		return;
	}
	if (h.bad_index != PROTO_NO_BAD_INDEX) {
		if (m->bytes)
			brange_drop(&m->br, rank);
		wrong_result(m, w, c, h.bad_index, "its own check failed");
		return;
	}
	a.m = m;
	a.c = c;
	st = tag == PROTO_TAG_RESULT
		? block_check(&m->bc, c->id, block, h.block_len, h.count,
			      line_number, &a, &bad)
		: block_check_held(&m->bc, c->id, h.count, n_sample, held_next,
				   &r, line_number, &a, &bad);
	if (st == STATUS_OK && tag == PROTO_TAG_HELD &&
	    proto_reader_end(&r) != STATUS_OK)
		st = STATUS_ERR_PROTO;
	if (st == STATUS_ERR_PROTO) {
		master_fail(m,
			    "malformed RESULT message from rank %d (chunk "
			    "%llu: not %u lines in its %u bytes)",
			    rank, (unsigned long long)h.chunk_id, h.count,
			    h.block_len);
		return;
	}
	if (st == STATUS_ERR_VERIFY) {
		if (m->bytes)
			brange_drop(&m->br, rank);
		drop_held(m, w, tag, &h);
		wrong_result(m, w, c, bad, "verification failed");
		return;
	}
	if (st != STATUS_OK) {
		master_fail(m, "cannot verify the RESULT from rank %d: %s",
			    rank, status_str(st));
		return;
	}
	/* journaled before it is written or kept: a kill after this point
	   finds it on resume; a replayed chunk is in the journal already; a
	   HELD block is journaled when it is in the file (handle_written) */
	if (m->j != NULL && !m->replaying && tag == PROTO_TAG_RESULT) {
		journal_chunk(m, c, b, rank);
		if (m->fatal)
			return;
	}
	if (m->bytes && brange_take(&m->br, rank, c->id) != STATUS_OK) {
		master_fail(m, "internal error: INPUT of chunk %llu lost",
			    (unsigned long long)c->id);
		return;
	}
	m->rs[rank].accepted += h.count;
	m->partial += h.partial;
	if (m->o->unordered) {
		write_chunk(m, c, b, w);
		sched_accept(&m->c.s, c, w, NULL);
	} else {
		sched_accept(&m->c.s, c, w, b);
	}
}

/*
 * A watched stdout is flushed OUTPUT_FLUSH_MS after its oldest line; with
 * one rank at once (the next chunk is computed here, for an unknown time,
 * before anything else could flush it).
 */
static void tick_output(struct master *m)
{
	if (m->out != NULL && !m->fatal &&
	    output_tick(m->out, m->local) != STATUS_OK)
		master_fail(m, "%s: write error: %s",
			    m->o->output ? m->o->output : "standard output",
			    strerror(errno));
}

static void release_done(struct master *m)
{
	struct sched_chunk *c;

	while (!m->fatal && (c = sched_peek_release(&m->c.s)) != NULL) {
		/* a byte range's bad tokens, at their file lines, before
		   its lines (the text path reports them as it reads) */
		if (m->bytes &&
		    brange_release(&m->br, c->id, report_range_token, m) !=
			    STATUS_OK) {
			master_fail(m, "internal error: INPUT of chunk %llu",
				    (unsigned long long)c->id);
			break;
		}
		if (!m->o->unordered)
			write_chunk(m, c, &c->result, c->result_worker);
		sched_release(&m->c.s);
	}
	tick_output(m);
}

/*
 * A chunk every position of which the journal holds: rebuild its RESULT
 * from the journal records and take it as if worker w had sent it
 * (verified again, written in order, not journaled again).  Returns 0
 * when some position is missing: the chunk is then sent as usual.
 */
static int replay_chunk(struct master *m, int w, const struct sched_chunk *c)
{
	int st = replay_result(m->j, m->kept_fd, c->id, c->first_index,
			       c->count, &m->replay, &m->rbuf);

	if (st == STATUS_NOT_FOUND)
		return 0;
	if (st == STATUS_ERR_VERIFY) {
		if (!m->crc_said && !m->o->quiet)
			master_say("%s: chunk %llu is not in the kept output "
				   "file as journaled (short, or its CRC "
				   "differs): computing it again (and any "
				   "other such chunk, not named)",
				   m->o->checkpoint, (unsigned long long)c->id);
		m->crc_said = 1;
		return 0;
	}
	if (st != STATUS_OK) {
		master_fail(m, "%s: journaled chunk %llu unreadable: %s",
			    m->o->checkpoint, (unsigned long long)c->id,
			    status_str(st));
		return 1;
	}
	/* checked as any RESULT (the line count, the sample), not
	   journaled again */
	m->replaying = 1;
	handle_result(m, w, &m->rbuf, PROTO_TAG_RESULT);
	m->replaying = 0;
	m->replayed += c->count;
	release_done(m);
	return 1;
}

/* ---- sending ---- */

/* WORK for chunk c: a byte range, a progression's start, or a list. */
static int pack_work(struct master *m, const struct sched_chunk *c)
{
	uint8_t form = m->bytes ? PROTO_FORM_BYTES
		: m->range      ? PROTO_FORM_RANGE
				: PROTO_FORM_LIST;
	int st = coord_pack_work(&m->buf, c, form);

	if (st != STATUS_OK || form == PROTO_FORM_LIST)
		return st;
	if (m->bytes) {
		struct proto_bytes y;
		brange_get(&m->br, c->first_index, &y);
		return proto_pack_work_bytes(&m->buf, &y);
	}
	range_number(m, m->n, c->first_index);
	return proto_pack_work_range(&m->buf, m->n, m->step);
}

static void send_to(struct master *m, int rank, int tag)
{
	if (transport_send(rank, tag, &m->buf, m->err, sizeof m->err) !=
	    STATUS_OK)
		master_fail(m, "sending %s to rank %d: %s", proto_tag_name(tag),
			    rank, m->err);
}

/* The rank that r reports to: 0 for plain workers and group leaders, the
   leader for a group member, -1 for rank 0 itself. */
static int parent_of(const struct master *m, int r)
{
	if (r <= 0 || m->local)
		return -1;
	if (m->rank_child[r] >= 0)
		return 0;
	while (r > 1 && m->rank_child[r] < 0)
		r--;
	return r;
}

/* One rank: the local worker's figures stand for its STATS. */
static void local_stats(struct master *m)
{
	struct rank_stats *r = &m->rs[0];

	r->have = 1;
	r->s.numbers = m->lw.numbers;
	r->s.chunks = m->lw.chunks;
	r->s.busy_ns = m->lw.busy_ns;
}

/* ---- shared numbers (proto.h 12-15) ---- */

static int coop_alloc(struct master *m)
{
	size_t n = (size_t)m->n_workers;

	m->help = malloc(n * sizeof *m->help);
	m->leaving = calloc(n, sizeof *m->leaving);
	m->stop_wait = calloc(n, sizeof *m->stop_wait);
	m->leave_ns = calloc(n, sizeof *m->leave_ns);
	if (!m->help || !m->leaving || !m->stop_wait || !m->leave_ns)
		return STATUS_ERR_NOMEM;
	for (size_t w = 0; w < n; w++)
		m->help[w] = -1;
	return STATUS_OK;
}

/* 1 while a helper is out: helping, or its LEAVE answer due. */
static int coop_out(const struct master *m)
{
	for (int w = 0; m->coop && w < m->n_workers; w++)
		if (m->help[w] >= 0 || m->leaving[w])
			return 1;
	return 0;
}

/* Helper w's turn ends; send LEAVE unless a WORK or STOP ends it. */
static void coop_leave(struct master *m, int w, int send)
{
	struct mshare *sh = &m->sh[m->help[w]];

	if (send && proto_pack_leave(&m->buf, sh->id) == STATUS_OK)
		send_to(m, m->child_rank[w], PROTO_TAG_LEAVE);
	sh->helpers--;
	m->help[w] = -1;
	m->leaving[w] = 1;
	m->leave_ns[w] = coord_now_ns(&m->c);
}

/* Share i is over: its helpers leave, its slot goes (the last moves in). */
static void coop_close(struct master *m, uint32_t i)
{
	for (int w = 0; w < m->n_workers; w++)
		if (m->help[w] == (int)i)
			coop_leave(m, w, 1);
	mpz_clear(m->sh[i].n);
	if (i + 1 < m->n_sh) {
		m->sh[i] = m->sh[m->n_sh - 1];
		for (int w = 0; w < m->n_workers; w++)
			if (m->help[w] == (int)(m->n_sh - 1))
				m->help[w] = (int)i;
	}
	m->n_sh--;
}

/* Every share of rank owner closed (it ended them, or went late). */
static void coop_close_owner(struct master *m, int owner)
{
	for (uint32_t i = m->n_sh; i > 0; i--)
		if (m->sh[i - 1].owner == owner)
			coop_close(m, i - 1);
}

/* SHARE from rank: a share opens or closes. */
static void coop_share(struct master *m, int rank)
{
	struct proto_share ps;
	struct mshare *sh;
	mpz_t n;

	mpz_init(n);
	if (proto_read_share(m->msg.buf.data, m->msg.buf.len, &ps, n) !=
	    STATUS_OK) {
		mpz_clear(n);
		master_fail(m, "malformed SHARE from rank %d", rank);
		return;
	}
	for (uint32_t i = 0; m->coop && !ps.open && i < m->n_sh; i++)
		if (m->sh[i].owner == rank && m->sh[i].id == ps.share_id) {
			coop_close(m, i);
			break;
		}
	if (!m->coop || !ps.open || m->c.s.workers[m->rank_child[rank]].late) {
		mpz_clear(n);
		return;
	}
	if (m->n_sh == m->sh_cap) {
		uint32_t cap = m->sh_cap ? 2 * m->sh_cap : 8;
		void *g = realloc(m->sh, cap * sizeof *m->sh);
		if (g == NULL) {
			mpz_clear(n);
			return; /* unshared: the owner sieves alone */
		}
		m->sh = g;
		m->sh_cap = cap;
	}
	sh = &m->sh[m->n_sh++];
	sh->owner = rank;
	sh->id = ps.share_id;
	sh->helpers = sh->next_helper = 0;
	mpz_init_set(sh->n, n);
	mpz_clear(n);
}

/* 1 when sched worker w has nothing to do and could help. */
static int coop_idle(const struct master *m, int w)
{
	const struct sched_worker *sw = &m->c.s.workers[w];

	return m->help[w] < 0 && !m->leaving[w] && !m->stop_wait[w] &&
		sw->held == 0 && sw->credit > 0 && !sw->stopped && !sw->late &&
		!sw->excluded && m->child_members[w] == 0;
}

/* JOIN for every idle worker, each to the open share with the fewest
 * helpers (not its own); STOPs held back go once no helper is out;
 * helpers that never answered LEAVE are given up. */
static void coop_tick(struct master *m)
{
	uint64_t now = coord_now_ns(&m->c);

	if (!m->coop)
		return;
	for (int w = 0; w < m->n_workers; w++)
		if (m->leaving[w] &&
		    now - m->leave_ns[w] > MASTER_LEAVE_WAIT_NS)
			m->leaving[w] = 0;
	for (int w = 0;
	     m->n_sh > 0 && sched_exhausted(&m->c.s) && w < m->n_workers; w++) {
		struct proto_share ps;
		int best = -1;
		if (!coop_idle(m, w))
			continue;
		for (uint32_t i = 0; i < m->n_sh; i++)
			if (m->sh[i].owner != m->child_rank[w] &&
			    (best < 0 ||
			     m->sh[i].helpers < m->sh[best].helpers))
				best = (int)i;
		if (best < 0)
			continue;
		ps.share_id = m->sh[best].id;
		ps.open = 1;
		ps.owner = (uint32_t)m->sh[best].owner;
		ps.helper = ++m->sh[best].next_helper;
		if (proto_pack_join(&m->buf, &ps, m->sh[best].n) != STATUS_OK)
			continue;
		send_to(m, m->child_rank[w], PROTO_TAG_JOIN);
		m->sh[best].helpers++;
		m->help[w] = best;
		m->joins++;
	}
	for (int w = 0; !coop_out(m) && w < m->n_workers; w++)
		if (m->stop_wait[w]) {
			m->stop_wait[w] = 0;
			if (proto_pack_stop(&m->buf, PROTO_STOP_DONE) ==
			    STATUS_OK)
				send_to(m, m->child_rank[w], PROTO_TAG_STOP);
		}
}

static void show_progress(struct master *m, int final);

static void dispatch(struct master *m)
{
	struct sched_chunk *c;
	int w, a, st;

	/* One rank runs the whole job inside this loop (its own results
	   free the window at once), so it checks the signal flag once per
	   chunk: a chunk of cheap numbers takes milliseconds, and a long
	   number is cut by the engine's stop hook (master_stop_poll). */
	while (!m->fatal && !(m->local && master_stop_poll()) &&
	       (a = sched_next(&m->c.s, &w, &c)) != SCHED_IDLE) {
		if (a == SCHED_STOP) {
			if (m->local) {
				local_stats(m);
				m->stats_pending--;
				continue;
			}
			if (m->wmode && m->held[w] > 0) {
				m->stop_due[w] = 1; /* after its last OFFSET */
				continue;
			}
			if (m->coop && (coop_out(m) || m->stop_wait[w])) {
				m->stop_wait[w] = 1; /* after every LEAVE */
				continue;
			}
			if (proto_pack_stop(&m->buf, PROTO_STOP_DONE) ==
			    STATUS_OK)
				send_to(m, m->child_rank[w], PROTO_TAG_STOP);
			continue;
		}
		if (m->j != NULL && replay_chunk(m, w, c))
			continue;
		st = pack_work(m, c);
		if (st != STATUS_OK) {
			master_fail(m, "cannot pack chunk %llu: %s",
				    (unsigned long long)c->id, status_str(st));
			return;
		}
		if (!m->local) {
			if (m->coop && m->help[w] >= 0)
				coop_leave(m, w,
					   0); /* the WORK ends its turn */
			send_to(m, m->child_rank[w], PROTO_TAG_WORK);
			continue;
		}
		st = worker_process(&m->lw, m->buf.data, m->buf.len, &m->rbuf,
				    m->err, sizeof m->err);
		if (st == STATUS_ERR_STOPPED)
			return; /* a signal: the main loop stops */
		if (st != STATUS_OK) {
			master_fail(m, "%s", m->err);
			return;
		}
		if (m->bytes &&
		    brange_input(&m->br, 0, &m->lw.input_msg) != STATUS_OK) {
			master_fail(m, "internal error: local INPUT");
			return;
		}
		handle_result(m, w, &m->rbuf, PROTO_TAG_RESULT);
		/* keep memory flat: results go out as soon as they can */
		release_done(m);
		/* one rank runs the whole job inside this loop: keep the
		   progress line moving (progress_due rate-limits it) */
		show_progress(m, 0);
	}
}

/* ---- receiving ---- */

/* WRITTEN (proto.h 3b): a placed block is in the file. */
static void handle_written(struct master *m, int rank)
{
	struct proto_place pl;

	int w = m->rank_child[rank];

	if (!m->wmode || w < 0 ||
	    proto_read_place(m->msg.buf.data, m->msg.buf.len, PROTO_TAG_WRITTEN,
			     &pl) != STATUS_OK ||
	    pl.offset == PROTO_OFFSET_DROP) {
		master_fail(m, "malformed or unexpected WRITTEN from rank %d",
			    rank);
		return;
	}
	for (uint32_t i = 0; i < m->n_pl; i++) {
		struct placed *p = &m->pl[i];
		if (p->w != w || p->chunk_id != pl.chunk_id)
			continue;
		if (p->offset != pl.offset || p->length != pl.length)
			break;
		if (!p->taken) /* else rank 0 wrote and journaled it */
			journal_placed(m, p->chunk_id, p->first_index, p->count,
				       rank, p->offset, p->length, p->crc);
		proto_buf_clear(&p->work);
		*p = m->pl[--m->n_pl];
		return;
	}
	master_fail(m,
		    "rank %d reported chunk %llu written, which it was "
		    "not given to write",
		    rank, (unsigned long long)pl.chunk_id);
}

/*
 * --checkpoint keeps the workers writing when a chunk computed again
 * gives the same bytes, so that the offsets of a resumed run are the
 * killed run's and the blocks placed after a redone chunk stay where they
 * are: not with --verbose (JSON and CSV carry rank and seconds) or
 * --unordered (offsets in arrival order), which keep the byte path.  A
 * number that reaches the time limit in one run and not in the next is
 * rare enough to be let through: the offsets are this run's in any case
 * (replayed blocks are rewritten where they now go), so it costs only the
 * recomputation of blocks whose bytes moved (their CRC fails), never a
 * wrong file.
 */
static int checkpoint_deterministic(const struct options *o)
{
	return !o->unordered && !(o->verbose && o->format != CLI_FORMAT_TEXT);
}

/*
 * Workers write the output (proto.h 3b) when it is a file under a
 * temporary name, the layout is flat, and nothing needs the bytes on rank
 * 0: no --verify full (rank 0 parses every line), and with --checkpoint
 * only for a job whose bytes do not change when redone
 * (checkpoint_deterministic; the journal then keeps each block's place
 * and CRC).  FILE goes to every worker before any WORK.
 */
static int setup_wmode(struct master *m, const struct proto_config *cfg)
{
	const char *path = output_shared_path(m->out);

	if (m->local || path == NULL ||
	    (m->o->checkpoint != NULL && !checkpoint_deterministic(m->o)) ||
	    m->o->verify == CLI_VERIFY_FULL || m->o->rank0_writes)
		return STATUS_OK;
	for (int w = 0; w < m->n_workers; w++)
		if (m->child_members[w] > 0)
			return STATUS_OK; /* groups: leaders pass bytes up */
	m->held = calloc((size_t)m->n_workers, sizeof *m->held);
	m->stop_due = calloc((size_t)m->n_workers, sizeof *m->stop_due);
	if (m->held == NULL || m->stop_due == NULL) {
		master_fail(m, "out of memory");
		return STATUS_ERR_NOMEM;
	}
	if (output_hand_over(m->out, &m->next_offset) != STATUS_OK) {
		master_fail(m, "%s: write error: %s", m->o->output,
			    strerror(errno));
		return STATUS_ERR_IO;
	}
	/* rank 0 computes a block itself for a worker that stops answering
	   (take_over_placed, write_for_late) */
	worker_ctx_init(&m->lw, cfg, 0);
	worker_ctx_set_output(&m->lw, m->o, 0);
	m->lw_ready = 1;
	for (int w = 0; w < m->n_workers && !m->fatal; w++) {
		/* packed per send: transport_send takes the buffer */
		if (proto_pack_file(&m->buf, path) != STATUS_OK) {
			master_fail(m, "%s: path too long for the workers",
				    path);
			return STATUS_ERR_INVAL;
		}
		send_to(m, m->child_rank[w], PROTO_TAG_FILE);
	}
	m->wmode = 1;
	return m->fatal ? STATUS_ERR_MPI : STATUS_OK;
}

static void handle_message(struct master *m)
{
	struct proto_group_stats gs;
	int rank = m->msg.source, w, status;
	uint32_t credit;
	char text[PROTO_MAX_TEXT + 1];

	if (rank < 1 || rank >= m->size || m->rank_child[rank] < 0) {
		master_fail(m, "message from unexpected rank %d", rank);
		return;
	}
	w = m->rank_child[rank];
	coord_heard(&m->c, w);
	switch (m->msg.tag) {
	case PROTO_TAG_HEARTBEAT: {
		uint64_t id, ns;
		if (proto_read_heartbeat(m->msg.buf.data, m->msg.buf.len, &id,
					 &ns) != STATUS_OK)
			master_fail(m, "malformed HEARTBEAT from rank %d",
				    rank);
		break;
	}
	case PROTO_TAG_GROUP_STATS:
		if (m->child_members[w] == 0 ||
		    proto_read_group_stats(m->msg.buf.data, m->msg.buf.len,
					   &gs) != STATUS_OK ||
		    gs.rank <= (uint32_t)rank ||
		    gs.rank > (uint32_t)(rank + m->child_members[w]) ||
		    m->rs[gs.rank].have) {
			master_fail(m,
				    "malformed or repeated GROUP_STATS "
				    "from rank %d",
				    rank);
			break;
		}
		m->rs[gs.rank].have = 1;
		m->rs[gs.rank].s = gs.s;
		m->rs[gs.rank].wrong += gs.wrong;
		m->wrong_results += gs.wrong;
		break;
	case PROTO_TAG_REQUEST:
		if (proto_read_request(m->msg.buf.data, m->msg.buf.len,
				       &credit) != STATUS_OK ||
		    sched_request(&m->c.s, w, credit) != STATUS_OK)
			master_fail(m,
				    "malformed or repeated REQUEST from "
				    "rank %d",
				    rank);
		break;
	case PROTO_TAG_RESULT:
	case PROTO_TAG_HELD:
		handle_result(m, w, &m->msg.buf, m->msg.tag);
		break;
	case PROTO_TAG_WRITTEN: handle_written(m, rank); break;
	case PROTO_TAG_SHARE: coop_share(m, rank); break;
	case PROTO_TAG_LEAVE: {
		uint64_t id;
		if (proto_read_leave(m->msg.buf.data, m->msg.buf.len, &id) !=
		    STATUS_OK)
			master_fail(m, "malformed LEAVE from rank %d", rank);
		else if (m->coop)
			m->leaving[w] = 0;
		break;
	}
	case PROTO_TAG_INPUT:
		if (!m->bytes ||
		    brange_input(&m->br, rank, &m->msg.buf) != STATUS_OK)
			master_fail(m,
				    "malformed or unexpected INPUT from rank "
				    "%d",
				    rank);
		break;
	case PROTO_TAG_STATS:
		if (m->rs[rank].have ||
		    proto_read_stats(m->msg.buf.data, m->msg.buf.len,
				     &m->rs[rank].s) != STATUS_OK) {
			master_fail(m,
				    "malformed or repeated STATS from rank "
				    "%d",
				    rank);
			break;
		}
		m->rs[rank].have = 1;
		m->stats_pending--;
		sched_gone(&m->c.s, w);
		break;
	case PROTO_TAG_ERROR:
		if (proto_read_error(m->msg.buf.data, m->msg.buf.len, &status,
				     text, sizeof text) != STATUS_OK)
			master_fail(m, "malformed ERROR message from rank %d",
				    rank);
		else
			master_fail(m, "rank %d failed: %s (%s)", rank, text,
				    status_str(status));
		break;
	default:
		master_fail(m, "unexpected message (tag %d, %s) from rank %d",
			    m->msg.tag, proto_tag_name(m->msg.tag), rank);
	}
}

/* Wait for one message, then take those already waiting, then return. */
static void receive(struct master *m)
{
	int got = 1, st;
	double c0 = cpu_seconds();
	double flush = output_flush_wait(m->out);
	double wait = flush > 0 ? flush : flush == 0 ? 1e-6 : 0;
	uint64_t due = sched_next_deadline(&m->c.s), now = coord_now_ns(&m->c);

	/* lines waiting in stdout's buffer go out after OUTPUT_FLUSH_MS even
	   when no message comes (a slow number: the watcher sees the rest);
	   a worker's deadline ends the wait too (1 ms past it at least) */
	if (m->coop && coop_out(m) && (wait == 0 || wait > 0.1))
		wait = 0.1; /* a LEAVE answer may never come (coop_tick) */
	if (due != 0) {
		double d = due > now ? (double)(due - now) * 1e-9 + 1e-3 : 1e-3;
		if (wait == 0 || d < wait)
			wait = d;
	}
	st = transport_wait(&m->msg, TRANSPORT_ANY, TRANSPORT_ANY, wait, m->err,
			    sizeof m->err);
	m->wait_cpu += cpu_seconds() - c0;
	if (st == STATUS_ERR_TIMEOUT) {
		tick_output(m);
		return;
	}
	while (st == STATUS_OK && got && !m->fatal) {
		handle_message(m);
		st = transport_poll(&m->msg, TRANSPORT_ANY, TRANSPORT_ANY, &got,
				    m->err, sizeof m->err);
	}
	if (st == STATUS_ERR_PROTO)
		master_fail(m, "%s", m->err);
	else if (st != STATUS_OK && st != STATUS_ERR_STOPPED)
		master_fail(m, "receiving: %s", m->err);
}

/*
 * After a fatal error: ABORT to every worker not yet stopped, then
 * collect the STATS still due; give up with MPI_Abort after ABORT_WAIT_S.
 */
static void abort_workers(struct master *m)
{
	double t_end;
	int st;

	if (m->local)
		return;
	for (int w = 0; w < m->n_workers; w++) {
		if (m->c.sched_ready && m->c.s.workers[w].stopped)
			continue;
		if (m->c.sched_ready)
			m->c.s.workers[w].stopped = 1;
		if (proto_pack_stop(&m->buf, PROTO_STOP_ABORT) == STATUS_OK)
			(void)transport_send(m->child_rank[w], PROTO_TAG_STOP,
					     &m->buf, m->err, sizeof m->err);
	}
	t_end = transport_wtime() + ABORT_WAIT_S;
	while (m->stats_pending > 0) {
		double left = t_end - transport_wtime();

		/* any tag: RESULTs still in flight must be received (and
		   dropped), or their senders' large-message sends never
		   complete and those ranks hang in MPI_Finalize */
		st = left > 0
			? transport_wait(&m->msg, TRANSPORT_ANY, TRANSPORT_ANY,
					 left, m->err, sizeof m->err)
			: STATUS_ERR_TIMEOUT;
		if (st == STATUS_OK && m->msg.tag != PROTO_TAG_STATS)
			continue;
		if (st != STATUS_OK) {
			master_say("%d worker(s) did not stop; aborting",
				   m->stats_pending);
			fflush(NULL);
			transport_abort(CLI_EXIT_RUNTIME);
			return;
		}
		if (m->msg.source >= 1 && m->msg.source < m->size &&
		    m->rank_child[m->msg.source] >= 0 &&
		    !m->rs[m->msg.source].have) {
			m->rs[m->msg.source].have = 1;
			m->stats_pending--;
		}
	}
}

/* ---- statistics ---- */

/* Ranks that factor: every rank but 0 (with groups too), or rank 0. */
static int factoring_ranks(const struct master *m)
{
	return m->local ? 1 : m->size - 1;
}

static int groups(const struct master *m)
{
	int n = 0;

	for (int w = 0; w < m->n_workers && !m->local; w++)
		n += m->child_members[w] > 0;
	return n;
}

/*
 * Rank 0's own line of --stats: its host, and with workers its transport
 * counters (with one rank, local_stats gave the local worker's figures).
 */
static void own_stats(struct master *m)
{
	struct rank_stats *r0 = &m->rs[0];
	struct transport_counters tc;

	transport_counters(&tc);
	proto_stats_host(&r0->s);
	if (!m->local) {
		r0->have = 1;
		r0->s.idle_ns = tc.idle_ns;
		r0->s.msgs_sent = tc.msgs_sent;
		r0->s.msgs_recv = tc.msgs_recv;
		r0->s.bytes_sent = tc.bytes_sent;
		r0->s.bytes_recv = tc.bytes_recv;
	}
}

/* Every rank's figures for stats.c, in rank order. */
static void stats_ranks(const struct master *m, struct stats_rank *sr)
{
	for (int i = 0; i < m->size; i++) {
		const struct rank_stats *r = &m->rs[i];

		sr[i].s = r->s;
		sr[i].accepted = r->accepted;
		/* rank 0 copies every block unless the workers write */
		sr[i].bytes_written = i == 0 && !m->wmode ? m->bytes_written
							  : r->bytes_written;
		sr[i].last_result_s = r->last_result_s;
		sr[i].parent = parent_of(m, i);
		sr[i].child = !m->local && m->rank_child[i] >= 0;
		sr[i].hung = i > 0 && hung_rank(m, i);
	}
}

/* The --stats file (stats.c writes it) and the summary line. */
static void write_stats(struct master *m, double wall)
{
	struct stats_job j = { 0 };
	struct stats_totals t;
	struct stats_rank *sr = calloc((size_t)m->size, sizeof *sr);
	double cpu = cpu_seconds() - m->cpu0;

	if (sr == NULL) {
		master_fail(m, "out of memory");
		return;
	}
	own_stats(m);
	stats_ranks(m, sr);
	j.size = m->size;
	j.local = m->local;
	j.workers = factoring_ranks(m);
	j.group_size = m->o->group_size;
	j.groups = groups(m);
	j.rank0_cpu_s = cpu;
	j.rank0_wait_cpu_s = m->wait_cpu;
	j.wall_s = wall;
	j.numbers = m->written;
	j.speculated = m->c.s.speculated;
	j.joins = m->joins;
	j.duplicates = m->c.s.duplicates;
	j.late_events = m->c.s.expired;
	j.reissued = m->c.s.reissued;
	j.rewritten = m->rewritten;
	j.wrong_results = m->wrong_results;
	j.chunks_written = m->chunks_written;
	j.bytes_written = m->bytes_written;
	j.partial = m->partial;
	j.lines_checked = m->bc.lines_checked;
	j.ranks = sr;
	j.ev = m->ev;
	j.n_ev = m->n_ev;
	stats_totals(&j, &t);
	if (m->o->stats != NULL) {
		int st = STATUS_ERR_IO;
		FILE *f = fopen(m->o->stats, "w");

		if (f != NULL) {
			st = stats_write_json(f, &j, &t);
			if (fclose(f) != 0)
				st = STATUS_ERR_IO;
		}
		if (st != STATUS_OK) {
			master_say("--stats '%s': %s", m->o->stats,
				   strerror(errno));
			m->fatal = 1;
		}
	}
	free(sr);
	if (!m->o->quiet) {
		char line[256];
		progress_summary(line, sizeof line, m->written, wall, t.chunks,
				 m->size, factoring_ranks(m), t.imbalance);
		fputs(line, stderr);
	}
}

static void show_progress(struct master *m, int final)
{
	char line[256];
	double t = transport_wtime();

	if (!m->show_progress)
		return;
	if (final)
		progress_finish(&m->pg, line, sizeof line, m->written,
				(unsigned)factoring_ranks(m), t, 80);
	else if (progress_due(&m->pg, t))
		progress_format(&m->pg, line, sizeof line, m->written,
				(unsigned)factoring_ranks(m), t, 80);
	else
		return;
	fputs(line, stderr);
}

/* ---- setup ---- */

static int open_input(struct master *m)
{
	const struct options *o = m->o;
	uint64_t count = 0;
	int st;

	if (o->generated) {
		st = input_open_range(&m->in, o->start, o->step, o->count);
	} else if (o->input != NULL) {
		m->in_name = strcmp(o->input, "-") == 0 ? "standard input"
							: o->input;
		st = input_open_file(&m->in, o->input, o->max_digits);
	} else if (o->n_numbers > 0) {
		st = input_open_args(&m->in, o->numbers, o->n_numbers,
				     o->max_digits);
	} else {
		m->in_name = "standard input";
		st = input_open_file(&m->in, "-", o->max_digits);
	}
	if (st != STATUS_OK) {
		master_fail(m, "%s: %s", m->in_name ? m->in_name : "input",
			    st == STATUS_ERR_IO && errno ? strerror(errno)
							 : status_str(st));
		return st;
	}
	input_set_interrupt(m->in, m->signo);
	m->range = input_range(m->in, m->start, m->step, &count);
	return STATUS_OK;
}

/*
 * The output.  With --checkpoint a file keeps a fixed temporary name
 * (output_open_kept), emptied when the journal is (a job that starts
 * afresh), and rank 0 reads the blocks placed there back through kept_fd
 * (replay.h); from the finished output when a finished job runs again.
 */
static int open_output(struct master *m)
{
	const struct options *o = m->o;
	size_t n = 0;
	int st;

	if (m->j != NULL)
		(void)journal_entries(m->j, &n);
	st = m->j != NULL
		? output_open_kept(&m->out, o->output, o->format, o->exponents,
				   o->verbose, n == 0, m->err, sizeof m->err)
		: output_open(&m->out, o->output, o->format, o->exponents,
			      o->verbose, m->err, sizeof m->err);
	if (st != STATUS_OK) {
		master_fail(m, "%s", m->err);
		return st;
	}
	if (!output_is_kept(m->out))
		return STATUS_OK;
	m->kept_fd = open(output_shared_path(m->out), O_RDONLY | O_CLOEXEC);
	if (m->kept_fd < 0) {
		master_fail(m, "%s: %s", output_shared_path(m->out),
			    strerror(errno));
		return STATUS_ERR_IO;
	}
	/* a journal but no kept bytes: the job finished (the kept file
	   was renamed) and runs again; its blocks are read back from the
	   finished output, checked by their CRCs as ever */
	struct stat sb;
	int fd;
	if (n > 0 && fstat(m->kept_fd, &sb) == 0 && sb.st_size == 0 &&
	    (fd = open(o->output, O_RDONLY | O_CLOEXEC)) >= 0) {
		(void)close(m->kept_fd);
		m->kept_fd = fd;
		m->kept_other = 1;
	}
	return STATUS_OK;
}

/*
 * --checkpoint: open (or create) the journal of this job (replay.h).
 * Stdin input and a journal of another job are the user's errors
 * (CLI_EXIT_USAGE); an unreadable or corrupt journal is a runtime failure.
 */
static int open_journal(struct master *m)
{
	int usage,
		st = replay_open(&m->j, m->o, m->signo, master_say, &usage,
				 m->err, sizeof m->err);

	if (st != STATUS_OK) {
		m->usage_error = usage;
		master_fail(m, "%s", m->err);
	}
	return st;
}

/*
 * --input FILE by byte ranges (proto.h 3a) when FILE is a regular file and
 * the job is flat without a journal; otherwise (a FIFO, --group-size,
 * --checkpoint) rank 0 reads the text itself.  Cuts the file and sets
 * the scheduler's items to ranges.  STATUS_OK either way, or the failure
 * (said).
 */
static int open_ranges(struct master *m, struct sched_params *sp)
{
	const struct options *o = m->o;
	struct stat st;
	uint64_t target, w;
	int rc;

	if (o->input == NULL || strcmp(o->input, "-") == 0 ||
	    o->checkpoint != NULL || o->group_size != 0 ||
	    stat(o->input, &st) != 0 || !S_ISREG(st.st_mode))
		return STATUS_OK;
	target = (uint64_t)st.st_size /
		((uint64_t)MASTER_RANGE_SPLIT * (uint64_t)m->n_workers);
	if (target > MASTER_RANGE_BYTES)
		target = MASTER_RANGE_BYTES;
	if (target == 0)
		target = 1;
	if (o->range_bytes > 0)
		target = o->range_bytes;
	rc = brange_init(&m->br, o->input, target, m->size, sp->window_chunks);
	if (rc == STATUS_NOT_FOUND)
		return STATUS_OK; /* no longer a regular file: read it */
	if (rc != STATUS_OK) {
		master_fail(m, "%s: %s", m->in_name,
			    rc == STATUS_ERR_IO && errno ? strerror(errno)
				    : rc == STATUS_ERR_CORRUPT
				    ? "the file changed size during the job"
				    : status_str(rc));
		return rc;
	}
	m->br_ready = 1;
	m->bytes = 1;
	sp->range = 1;
	sp->total = m->br.n;
	sp->chunk = 1;
	sp->max_bytes = 0; /* a range's output fits: see MASTER_RANGE_BYTES */
	w = MASTER_RANGE_WINDOW_BYTES / target;
	if (w < 2u * sp->window_chunks / 4u)
		w = 2u * sp->window_chunks / 4u; /* 2 x every credit */
	sp->window_numbers = w;
	return STATUS_OK;
}

/*
 * The scheduler's parameters for this job (count numbers of a range, 0
 * otherwise): chunk sizing, liveness timeout, and the reorder window in
 * chunks and in numbers.
 */
static void sched_params_for(struct master *m, const struct proto_config *cfg,
			     uint64_t count, struct sched_params *sp)
{
	const struct options *o = m->o;
	/* workers may raise their credit (adaptive prefetch) */
	uint64_t credit = 1u + (uint64_t)cfg->prefetch;
	uint64_t w, numbers;

	memset(sp, 0, sizeof *sp);
	sp->n_workers = m->n_workers;
	sp->chunk = o->chunk;
	sp->range = m->range;
	sp->total = count;
	/* shares replace the end-game speculation (proto.h 15) */
	m->coop = !m->local && coop_enabled(m->size, o->group_size) &&
		o->fault_flags == 0 && coop_alloc(m) == STATUS_OK;
	sp->speculate = !m->local && !m->coop;
	sp->max_bytes = PROTO_MAX_CHUNK_BYTES;
	/* at most 10^9 s (cli.c): 10^18 ns fits a u64 */
	sp->timeout_ns = (uint64_t)(o->worker_timeout * 1e9);
	/* a range's cheap terms: chunks sized by time (sched.h, timed
	   sizing); an explicit --chunk wins */
	sp->target_ns = m->range && !o->chunk ? SCHED_TARGET_CHUNK_NS : 0;
	if (m->range && count > 0) {
		range_number(m, m->n, count - 1); /* the largest number */
		sp->range_bits = mpz_sizeinbase(m->n, 2);
	}
	if (credit < PROTO_ADAPTIVE_CREDIT)
		credit = PROTO_ADAPTIVE_CREDIT;
	w = 4u * (uint64_t)m->n_workers * credit;
	sp->window_chunks = w < MASTER_MIN_WINDOW_CHUNKS
		? MASTER_MIN_WINDOW_CHUNKS
		: (w > MASTER_MAX_WINDOW_CHUNKS ? MASTER_MAX_WINDOW_CHUNKS
						: (uint32_t)w);
	/* room for every worker's credit of full chunks: a smaller window
	   would serialise large --chunk sizes (size - 1: a leader's chunks
	   are weighted by its group) */
	numbers = 2u * (uint64_t)(m->local ? 1 : m->size - 1) *
		(1u + (uint64_t)cfg->prefetch) *
		(o->chunk ? o->chunk
			  : (sp->target_ns ? SCHED_TIMED_MAX_CHUNK
					   : SCHED_DEFAULT_MAX_CHUNK));
	sp->window_numbers = numbers > SCHED_DEFAULT_WINDOW_NUMBERS
		? numbers
		: SCHED_DEFAULT_WINDOW_NUMBERS;
}

static int setup(struct master *m)
{
	const struct options *o = m->o;
	struct sched_params sp;
	struct proto_config cfg;
	uint64_t count = 0;
	double bytes;
	int st;

	memset(&cfg, 0, sizeof cfg);
	cfg.seed = o->seed;
	cfg.time_limit_us =
		o->time_limit > 0 ? (uint64_t)(o->time_limit * 1e6 + 0.5) : 0;
	cfg.prefetch = o->prefetch < PROTO_MAX_CREDIT ? o->prefetch
						      : PROTO_MAX_CREDIT - 1;
	bytes = (double)o->max_digits * 0.41524 + 2;
	cfg.max_number_bytes = bytes > PROTO_MAX_NUMBER_BYTES || bytes < 0
		? (uint32_t)PROTO_MAX_NUMBER_BYTES
		: (uint32_t)bytes;

	/* workers first: they wait for CONFIG (or an early STOP); group
	   leaders pass it on to their members (group.c) */
	for (int w = 0; w < m->n_workers && !m->local; w++) {
		struct proto_config c = cfg;
		int r = m->child_rank[w];
		if (r == o->fault_rank || o->fault_rank == CLI_FAULT_EVERY_RANK)
			c.fault_flags = o->fault_flags;
		if (proto_pack_config(&m->buf, &c) == STATUS_OK)
			send_to(m, r, PROTO_TAG_CONFIG);
	}
	if (m->local) {
		struct proto_config c = cfg;
		if (o->fault_rank == 0)
			c.fault_flags = o->fault_flags;
		worker_ctx_init(&m->lw, &c, o->fault_ms);
		worker_ctx_set_output(&m->lw, o, 0);
		m->lw.stop_poll = master_stop_poll;
		m->lw_ready = 1;
	}
	if (m->fatal)
		return STATUS_ERR_MPI;

	/* every file the job writes, before any work (preflight.h) */
	st = preflight_check(o, m->err, sizeof m->err);
	if (st != STATUS_OK) {
		m->usage_error = st == STATUS_ERR_INVAL;
		master_fail(m, "%s", m->err);
		return st;
	}
	st = open_input(m);
	if (st != STATUS_OK)
		return st;
	st = open_journal(m);
	if (st != STATUS_OK)
		return st;
	st = open_output(m);
	if (st != STATUS_OK)
		return st;
	st = setup_wmode(m, &cfg);
	if (st != STATUS_OK)
		return st;
	if (m->range)
		(void)input_range(m->in, m->start, m->step, &count);

	sched_params_for(m, &cfg, count, &sp);
	st = open_ranges(m, &sp);
	if (st != STATUS_OK)
		return st;
	st = sched_init(&m->c.s, &sp);
	if (st != STATUS_OK) {
		master_fail(m, "scheduler: %s", status_str(st));
		return st;
	}
	m->c.sched_ready = 1;
	/* a leader stands for the ranks of its group: larger chunks */
	for (int w = 0; w < m->n_workers && !m->local; w++)
		if (m->child_members[w] > 0 &&
		    sched_set_weight(&m->c.s, w,
				     (uint32_t)m->child_members[w] + 1u) !=
			    STATUS_OK) {
			master_fail(m, "scheduler: bad group weight");
			return STATUS_ERR_INVAL;
		}
	if (m->local && sched_request(&m->c.s, 0, 1) != STATUS_OK) {
		master_fail(m, "internal error: local worker");
		return STATUS_ERR_INVAL;
	}
	/* Issue 7: a bar on a terminal unless --quiet (not when results
	   go to the same terminal: they would run into it); --progress
	   forces plain lines for job logs (see factorize.1, --progress). */
	if (o->progress ||
	    (!o->quiet && isatty(STDERR_FILENO) &&
	     (o->output != NULL || !isatty(STDOUT_FILENO)))) {
		m->show_progress = 1;
		progress_init(&m->pg, m->range ? count : 0,
			      o->progress ? PROGRESS_LOG : PROGRESS_TTY,
			      transport_wtime());
	}
	return STATUS_OK;
}

/*
 * One rank: a mark that changes whenever a pass of the loop read input
 * (issued + in_len: numbers ever buffered), created a chunk (next_id)
 * or released one.  Each term only grows, so equal marks of two passes
 * mean the second one did nothing.
 */
static uint64_t local_progress(const struct master *m)
{
	return (m->c.s.issued + m->c.s.in_len) + m->c.s.next_id +
		m->c.s.released + (uint64_t)m->c.s.input_ended;
}

/*
 * The job is complete without the late ranks: name them (and their host
 * when a STATS from an earlier life told it).  CLI_EXIT_HUNG.
 */
static int report_hung(struct master *m)
{
	for (int rank = 1; rank < m->size; rank++) {
		const char *host = m->rs[rank].s.host;
		char group[64] = "";

		if (!hung_rank(m, rank))
			continue;
		if (m->rank_child[rank] < 0)
			snprintf(group, sizeof group,
				 " (a member of rank %d's "
				 "group)",
				 parent_of(m, rank));
		master_say("rank %d%s%s%s%s stopped answering; the output is "
			   "complete without it; ending the job",
			   rank, group, host[0] ? " (host " : "", host,
			   host[0] ? ")" : "");
	}
	return CLI_EXIT_HUNG;
}

static int signalled(const struct master *m)
{
	return m->signo != NULL && *m->signo != 0;
}

/*
 * Rank 0's children: the ranks whose parent is 0 (proto.h, GROUPS), as
 * sched workers (child_rank), the way back (rank_child, -1 for a rank
 * that is not a child) and the members behind each (child_members).
 * With one rank, rank 0 is its own single worker.  STATUS_ERR_NOMEM
 * (nothing kept) or STATUS_OK.
 */
static int map_children(struct master *m)
{
	const struct options *o = m->o;

	m->child_rank = calloc((size_t)m->size, sizeof *m->child_rank);
	m->rank_child = calloc((size_t)m->size, sizeof *m->rank_child);
	m->child_members = calloc((size_t)m->size, sizeof *m->child_members);
	if (!m->child_rank || !m->rank_child || !m->child_members) {
		free(m->child_rank);
		free(m->rank_child);
		free(m->child_members);
		m->child_rank = m->rank_child = m->child_members = NULL;
		return STATUS_ERR_NOMEM;
	}
	m->rank_child[0] = -1;
	for (int r = 1; r < m->size; r++) {
		m->rank_child[r] = -1;
		if (topo_group_parent_in(r, m->size, o->group_size,
					 o->group_nodes) != 0)
			continue;
		m->rank_child[r] = m->n_workers;
		m->child_members[m->n_workers] = topo_group_members_in(
			r, m->size, o->group_size, o->group_nodes);
		m->child_rank[m->n_workers++] = r;
	}
	if (m->local)
		m->n_workers = 1;
	return STATUS_OK;
}

/* Everything master_run set up, released (the output and journal are
   closed already). */
static void coop_free(struct master *m)
{
	for (uint32_t i = 0; i < m->n_sh; i++)
		mpz_clear(m->sh[i].n);
	free(m->sh);
	free(m->help);
	free(m->leaving);
	free(m->stop_wait);
	free(m->leave_ns);
}

static void master_free(struct master *m)
{
	coop_free(m);
	input_close(m->in);
	if (m->br_ready)
		brange_clear(&m->br);
	coord_clear(&m->c);
	if (m->lw_ready)
		worker_ctx_clear(&m->lw);
	block_check_clear(&m->bc);
	proto_buf_clear(&m->replay);
	proto_buf_clear(&m->buf);
	proto_buf_clear(&m->rbuf);
	transport_msg_clear(&m->msg);
	mpz_clears(m->start, m->step, m->n, NULL);
	free(m->rs);
	free(m->child_rank);
	free(m->rank_child);
	free(m->child_members);
	free(m->ev);
	free(m->held);
	free(m->stop_due);
	for (uint32_t i = 0; i < m->n_pl; i++)
		proto_buf_clear(&m->pl[i].work);
	free(m->pl);
}

int master_run(const struct options *o, const volatile sig_atomic_t *signo)
{
	struct master m;
	int code = CLI_EXIT_OK, st;
	double wall;

	memset(&m, 0, sizeof m);
	m.kept_fd = -1;
	m.o = o;
	m.signo = signo;
	master_signo = signo;
	transport_set_interrupt(signo);
	m.size = transport_size();
	m.local = m.size == 1;
	if (map_children(&m) != STATUS_OK) {
		master_say("out of memory");
		transport_abort(CLI_EXIT_RUNTIME);
		return CLI_EXIT_RUNTIME; /* transport_abort does not return */
	}
	m.stats_pending = m.n_workers;
	coord_init(&m.c, &master_coord_ops, &m, -1, !m.local);
	m.cpu0 = cpu_seconds();
	mpz_inits(m.start, m.step, m.n, NULL);
	transport_msg_init(&m.msg);
	proto_buf_init(&m.buf);
	proto_buf_init(&m.rbuf);
	proto_buf_init(&m.replay);
	block_check_init(&m.bc, o);
	m.rs = calloc((size_t)m.size, sizeof *m.rs);
	if (m.rs == NULL) {
		master_say("out of memory");
		transport_abort(CLI_EXIT_RUNTIME);
	}

	st = setup(&m);
	while (st == STATUS_OK && !m.fatal) {
		if (signalled(&m)) {
			m.interrupted = 1;
			master_say("interrupted by signal %d; stopping",
				   (int)*signo);
			break;
		}
		/* release first: a result that completes the oldest chunk
		   frees the window, and the workers it held back must get
		   work before the master waits again */
		release_done(&m);
		fill_input(&m);
		coord_check_liveness(&m.c);
		dispatch(&m);
		coop_tick(&m);
		release_done(&m);
		show_progress(&m, 0);
		if (m.fatal)
			break;
		if (sched_all_done(&m.c.s) &&
		    m.stats_pending == coord_late_pending(&m.c))
			break;
		if (m.local) {
			/* nothing can arrive: the next pass reads more input
			   (the look-ahead drained) or releases chunks (the
			   window filled); a pass that moved nothing while
			   work remains is a bug, not a wait */
			uint64_t mark = local_progress(&m);
			if (sched_all_done(&m.c.s) || signalled(&m) ||
			    mark != m.local_mark) {
				m.local_mark = mark;
				continue;
			}
			master_fail(&m, "internal error: scheduler idle");
			break;
		}
		receive(&m);
	}
	wall = transport_wtime() - m.c.t0;

	transport_set_interrupt(NULL); /* the stop itself must not be cut */
	if (m.j != NULL && m.interrupted)
		(void)journal_sync(m.j); /* durable before anything can hang */
	if (m.wmode && !m.fatal && !m.interrupted && placed_open(&m) > 0)
		master_fail(&m,
			    "internal error: %u placed block(s) never "
			    "reported written",
			    placed_open(&m));
	if (m.fatal || m.interrupted)
		abort_workers(&m);
	if (m.j != NULL) {
		/* a failed final sync fails the run: the journal may not
		   hold what the output claims is done */
		if (journal_close(m.j) != STATUS_OK)
			master_fail(&m, "%s: %s", o->checkpoint,
				    strerror(errno));
		m.j = NULL;
	}
	if (m.kept_fd >= 0)
		(void)close(m.kept_fd);
	if (m.wmode && !m.fatal && !m.interrupted)
		output_set_length(m.out, m.next_offset); /* a kept file: cut */
	if (m.out != NULL) {
		st = output_close(m.out, !m.fatal && !m.interrupted, m.err,
				  sizeof m.err);
		m.out = NULL;
		if (st != STATUS_OK)
			master_fail(&m, "%s", m.err);
	}
	if (!m.fatal && !m.interrupted) {
		show_progress(&m, 1);
		if (m.local)
			local_stats(&m);
		write_stats(&m, wall);
	}
	if (m.fatal)
		code = m.usage_error ? CLI_EXIT_USAGE : CLI_EXIT_RUNTIME;
	else if (m.interrupted)
		code = CLI_EXIT_INTERRUPTED;
	else if (m.c.sched_ready && hung_ranks(&m) > 0)
		code = report_hung(&m);
	else if (m.bad_input)
		code = CLI_EXIT_BAD_INPUT;

	master_free(&m);
	master_signo = NULL;
	if (code == CLI_EXIT_HUNG) {
		/* the output is complete and closed: MPI_Finalize would wait
		   for the ranks that stopped answering, so end them all */
		fflush(NULL);
		transport_abort(CLI_EXIT_HUNG);
	}
	return code;
}
