/*
 * group.c - a group leader: a worker of rank 0 and the master of its
 * members (see group.h, and proto.h, GROUPS, for the conversation).
 *
 * Purpose: take the per-message work that one master cannot keep up
 * with at scale off rank 0.  Rank 0 sees a leader as one worker that gets
 * large chunks; the leader cuts them into sub-chunks for its members,
 * checks the blocks they return and answers each upstream chunk with one
 * RESULT whose block is its members' lines concatenated in order.
 * What a leader shares with rank 0 (the scheduler's clock and liveness,
 * a RESULT's bookkeeping, the wrong-result rule) is coord.c; coord.h
 * says how the two differ.  This file is the leader's side.
 *
 * Invariants:
 *   - The leader's sched (sched.c, the bookkeeping rank 0 uses) runs in
 *     LIST form over one input stream: the numbers of the upstream chunks
 *     concatenated in the order their WORK arrived.  Sub-chunks may
 *     straddle upstream chunks; the sched releases them in order, so the
 *     items of the oldest upstream chunk are complete first and its
 *     RESULT goes up as soon as its last item is released.
 *   - Sub-chunk sizes are guided (large first, small as the buffer
 *     drains), at most --chunk when it is given: a fixed size would wait
 *     for ever for a full buffer at the end of the last upstream chunk,
 *     since rank 0 sends nothing more until it has that RESULT.
 *   - No line goes up unchecked: every member checked its own results
 *     (worker.c, the --verify rule) and the leader checks every member
 *     block, and every sub-chunk it factors itself, as rank 0 does
 *     (block.c: the line count, a sample parsed back).  A wrong one
 *     is handed to another member (or the leader), a member with
 *     COORD_MAX_WRONG_PER_RANK wrong results gets no more work, a
 *     sub-chunk failing COORD_MAX_FAILURES times ends the job through an
 *     ERROR to rank 0 (coord.h: the rule rank 0 keeps too).
 *   - The leader holds at most its credit of upstream chunks (rank 0
 *     never sends more); a WORK beyond it is a protocol error.
 *   - Every member gets exactly one STOP and sends one STATS, relayed as
 *     GROUP_STATS before the leader's own STATS, the group's last word.
 *   - Waiting is transport_wait's back-off (no spinning core).  The
 *     leader factors a sub-chunk itself (it is worker `nm` of its own
 *     sched, credit 1) only when no message is waiting; its stop hook
 *     looks for rank 0's STOP.
 *   - After an ERROR is sent up the leader hands out nothing more and
 *     waits for rank 0's STOP (ABORT), which it passes on.
 *   - Liveness, as rank 0 keeps it (sched.h; proto.h 6a): every member
 *     message moves that member's deadline; a member past it is named on
 *     stderr, its sub-chunks go to the others (or the leader) at once, and
 *     it gets no more work until it answers.  The leader does not wait
 *     for a late member's STATS: it sends its own STATS without that
 *     member's GROUP_STATS, and rank 0, missing them, names the member
 *     and ends the job with CLI_EXIT_HUNG.  The leader itself is never
 *     late in its own books (it is heard at every pass).
 *   - Upward the leader answers for itself, not for its members (it
 *     judges them): while it holds upstream chunks it sends rank 0 a
 *     HEARTBEAT every PROTO_HEARTBEAT_NS, from its loop (its waits end
 *     in time for it) and from its stop hook while it factors a
 *     sub-chunk itself.  So one member's long number, or a hung member,
 *     never makes rank 0 take the whole group for hung; a hung leader
 *     sends nothing and rank 0 re-issues its whole share.
 *
 * Loop, in order, until rank 0's STOP has been passed on and every
 * member's STATS is in:
 *   1. release finished sub-chunks in order into the upstream block
 *      being assembled (their lines copied as they came); send its
 *      RESULT when complete;
 *   2. feed the sched the numbers of the upstream chunks it wants;
 *   3. sched_next until idle: WORK to members, a sub-chunk for the leader
 *      itself, or STOP (once rank 0 said DONE);
 *   4. take one waiting message; if none, factor the leader's own
 *      sub-chunk; if none, wait for a message.
 */
#include "group.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "block.h"
#include "coord.h"
#include "engine.h"
#include "proto.h"
#include "topo.h"
#include "sched.h"
#include "status.h"
#include "transport.h"
#include "worker.h"

enum {
	GROUP_ABORT_WAIT_S = 8 /* members' STATS after an ABORT (rank 0
				   waits ABORT_WAIT_S = 10 s for ours) */
};

/* An upstream chunk: received from rank 0, answered with one RESULT. */
struct group_up {
	struct proto_work_header h;
	struct proto_buf work; /* the WORK message as received */
	struct proto_reader r; /* LIST: at the next number */
	mpz_t next, step;      /* RANGE: the last number fed, the step */
	uint32_t fed;          /* numbers given to the sched so far */
};

struct group_member {
	int have; /* STATS received */
	struct proto_stats s;
	uint32_t wrong; /* its results that failed verification */
};

struct group {
	const struct options *o;
	int rank, size;
	int nm; /* members: ranks rank+1 .. rank+nm */
	struct proto_config cfg;
	/* the scheduler and liveness (coord.h); c.self = nm: the leader's
	   own index in its sched */
	struct coord c;
	struct worker_ctx lw; /* the leader's own chunk processor */
	int lw_ready;
	struct transport_msg msg;
	struct proto_buf buf;   /* packing scratch */
	struct proto_buf rbuf;  /* the leader's own RESULT */
	struct proto_buf asmb;  /* the upstream chunk's lines so far */
	struct proto_buf upmsg; /* the upstream RESULT */
	struct block_check bc;  /* parses back the members' sampled lines */
	struct proto_buf lwork; /* the leader's own sub-chunk */
	mpz_t n;
	struct group_up *up; /* FIFO ring of up_cap upstream chunks */
	uint32_t up_cap, up_head, up_len;
	uint32_t feed;        /* up[head + feed] is being fed */
	uint32_t asm_count;   /* lines in asmb */
	uint32_t asm_partial; /* of which partial */
	uint64_t asm_busy;
	int asm_open;
	int local_pending; /* lwork holds a sub-chunk to factor */
	int stopped;       /* rank 0's STOP received */
	uint32_t stop_reason;
	int failed; /* ERROR sent up: wait for STOP */
	int dead;   /* cannot reach rank 0 any more */
	double abort_deadline;
	uint64_t last_beat_ns; /* the last HEARTBEAT sent up */
	struct group_member *mb;
	int stats_pending;
	char err[512];
};

static int group_stop_poll(void)
{
	return transport_probe(0, PROTO_TAG_STOP);
}

/* The group whose leader factors a sub-chunk now (the stop hook's beat
   has no argument; one leader per process). */
static struct group *group_beating;

static int member_index(const struct group *g, int rank)
{
	return rank > g->rank && rank <= g->rank + g->nm ? rank - g->rank - 1
							 : -1;
}

static void send_up(struct group *g, int tag, struct proto_buf *b)
{
	if (g->dead)
		return;
	if (transport_send(0, tag, b, g->err, sizeof g->err) != STATUS_OK)
		g->dead = 1;
}

static void send_member(struct group *g, int w, int tag)
{
	char err[256];

	if (transport_send(g->rank + 1 + w, tag, &g->buf, err, sizeof err) !=
	    STATUS_OK)
		g->dead = 1; /* MPI itself failed: nothing sensible is left */
}

/*
 * HEARTBEAT to rank 0 (proto.h 6a) at most every PROTO_HEARTBEAT_NS while
 * the leader holds upstream chunks: the oldest one and how long the
 * leader has run.  Non-blocking like every send here.
 */
static void beat_up(struct group *g)
{
	uint64_t now = coord_now_ns(&g->c);

	if (g->up_len == 0 || g->failed ||
	    now - g->last_beat_ns < PROTO_HEARTBEAT_NS)
		return;
	g->last_beat_ns = now;
	if (proto_pack_heartbeat(&g->buf, g->up[g->up_head].h.chunk_id, now) ==
	    STATUS_OK)
		send_up(g, PROTO_TAG_HEARTBEAT, &g->buf);
}

/* Report a failure to rank 0 once (it prints it and aborts the job). */
static void group_fail(struct group *g, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void group_fail(struct group *g, int status, const char *fmt, ...)
{
	char text[PROTO_MAX_TEXT];
	va_list ap;

	if (g->failed)
		return;
	g->failed = 1;
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	if (proto_pack_error(&g->buf, status, text) == STATUS_OK)
		send_up(g, PROTO_TAG_ERROR, &g->buf);
}

static void group_say(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static void group_say(const char *fmt, ...)
{
	va_list ap;

	fputs("factorize: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* The leader's own stop hook, while it factors: its group is alive. */
static void group_beat(uint64_t chunk_id, uint64_t elapsed_ns)
{
	(void)chunk_id;
	(void)elapsed_ns;
	if (group_beating != NULL)
		beat_up(group_beating);
}

/* coord's has_stats: member w has sent its STATS. */
static int member_has_stats(const void *owner, int w)
{
	const struct group *g = owner;

	return g->mb[w].have;
}

/* coord's late: member w passed its deadline; n sub-chunks to others. */
static void member_late(void *owner, int w, double idle_s, uint32_t n)
{
	const struct group *g = owner;

	group_say("rank %d (a member of rank %d's group) sent nothing for "
		  "%.1f s; %u sub-chunk(s) handed to other ranks of the "
		  "group, no more work for it until it answers",
		  g->rank + 1 + w, g->rank, idle_s, n);
}

/* coord's back: member w, late, answered again. */
static void member_back(void *owner, int w)
{
	const struct group *g = owner;

	group_say("rank %d answers again", g->rank + 1 + w);
}

static const struct coord_ops group_coord_ops = { member_late, member_back,
						  member_has_stats };

/* Every member whose deadline passed: named, its sub-chunks to others. */
static void check_members(struct group *g)
{
	if (!g->c.sched_ready || g->failed ||
	    g->stop_reason == PROTO_STOP_ABORT)
		return;
	coord_check_liveness(&g->c);
}

/* ---- upstream: rank 0's chunks in, one RESULT each out ---- */

static void take_work(struct group *g)
{
	struct group_up *u;
	struct proto_buf tmp;

	if (g->up_len == g->up_cap) {
		group_fail(g, STATUS_ERR_PROTO,
			   "rank 0 sent more chunks than "
			   "the credit of %u",
			   g->up_cap);
		return;
	}
	u = &g->up[(g->up_head + g->up_len) % g->up_cap];
	tmp = u->work; /* the message's bytes move in, no copy */
	u->work = g->msg.buf;
	g->msg.buf = tmp;
	u->fed = 0;
	if (proto_read_work(&u->r, u->work.data, u->work.len, &u->h) !=
		    STATUS_OK ||
	    u->h.count == 0 ||
	    (u->h.form == PROTO_FORM_RANGE &&
	     (proto_unpack_work_range(&u->r, u->next, u->step) != STATUS_OK ||
	      proto_reader_end(&u->r) != STATUS_OK))) {
		group_fail(g, STATUS_ERR_PROTO, "malformed WORK message");
		return;
	}
	g->up_len++;
}

/*
 * Step 2: give the sched the numbers it wants, in arrival order.  The
 * chunks before up[head + feed] have been fed completely (a LIST chunk
 * is checked for trailing bytes as its last number goes in).
 */
static void feed(struct group *g)
{
	uint32_t want = sched_input_wanted(&g->c.s);

	while (want > 0 && g->feed < g->up_len && !g->failed) {
		struct group_up *u = &g->up[(g->up_head + g->feed) % g->up_cap];

		if (u->h.form == PROTO_FORM_LIST) {
			if (proto_unpack_work_number(&u->r, g->n) !=
			    STATUS_OK) {
				group_fail(g, STATUS_ERR_PROTO,
					   "malformed "
					   "number %u in WORK",
					   u->fed);
				return;
			}
		} else {
			if (u->fed > 0)
				mpz_add(u->next, u->next, u->step);
			mpz_set(g->n, u->next);
		}
		if (sched_input_add(&g->c.s, g->n) != STATUS_OK) {
			group_fail(g, STATUS_ERR_INVAL,
				   "internal error: "
				   "input buffer");
			return;
		}
		want--;
		if (++u->fed < u->h.count)
			continue;
		if (u->h.form == PROTO_FORM_LIST &&
		    proto_reader_end(&u->r) != STATUS_OK) {
			group_fail(g, STATUS_ERR_PROTO,
				   "trailing bytes in "
				   "WORK");
			return;
		}
		g->feed++;
	}
}

/*
 * n released lines (len bytes, checked already; partial of them partial)
 * into the oldest upstream chunk's block; n never runs past that chunk's
 * end.  The RESULT goes up when its last line is in.
 */
static void assemble(struct group *g, const unsigned char *lines, size_t len,
		     uint32_t n, uint32_t partial)
{
	struct group_up *u = &g->up[g->up_head];
	struct proto_result_header h;

	if (!g->asm_open) {
		proto_buf_reset(&g->asmb);
		g->asm_open = 1;
		g->asm_count = 0;
		g->asm_partial = 0;
	}
	if (proto_buf_append(&g->asmb, lines, len) != STATUS_OK) {
		group_fail(g, STATUS_ERR_NOMEM, "cannot pack a RESULT");
		return;
	}
	g->asm_count += n;
	g->asm_partial += partial;
	if (g->asm_count < u->h.count)
		return;
	memset(&h, 0, sizeof h);
	h.chunk_id = u->h.chunk_id;
	h.count = u->h.count;
	h.partial = g->asm_partial;
	h.busy_ns = g->asm_busy;
	h.bad_index = PROTO_NO_BAD_INDEX;
	h.block_len = (uint32_t)g->asmb.len;
	if (g->asmb.len > (size_t)PROTO_MAX_MSG ||
	    proto_pack_result(&g->upmsg, &h, g->asmb.data) != STATUS_OK) {
		group_fail(g, STATUS_ERR_PROTO,
			   "the output of chunk %llu "
			   "exceeds the message cap",
			   (unsigned long long)h.chunk_id);
		return;
	}
	send_up(g, PROTO_TAG_RESULT, &g->upmsg);
	g->asm_open = 0;
	g->asm_busy = 0;
	g->up_head = (g->up_head + 1) % g->up_cap;
	g->up_len--;
	g->feed--;
}

/*
 * Step 1: finished sub-chunks, in order, into the upstream blocks.  The
 * lines are copied as the member sent them (handle_result checked them);
 * only a sub-chunk that straddles two upstream chunks is cut, at a line
 * end, and its pieces' partial lines counted by their marker.
 */
static void release_done(struct group *g)
{
	struct sched_chunk *c;
	struct proto_result_header h;
	const unsigned char *lines;
	uint32_t i, n, need;
	size_t off, cut;

	while (!g->failed && (c = sched_peek_release(&g->c.s)) != NULL) {
		if (proto_read_result(c->result.data, c->result.len, &h,
				      &lines) != STATUS_OK) {
			group_fail(g, STATUS_ERR_INVAL,
				   "internal error: "
				   "stored result unreadable");
			return;
		}
		g->asm_busy += h.busy_ns;
		off = 0;
		for (i = 0; i < h.count && !g->failed; i += n) {
			if (g->up_len == 0) {
				group_fail(g, STATUS_ERR_INVAL,
					   "internal "
					   "error: a result without its chunk");
				return;
			}
			need = g->up[g->up_head].h.count -
				(g->asm_open ? g->asm_count : 0);
			n = h.count - i;
			if (i == 0 && n <= need) {
				assemble(g, lines, h.block_len, n, h.partial);
				break; /* the whole block, as it came */
			}
			if (n > need)
				n = need;
			cut = off +
				block_prefix(lines + off, h.block_len - off, n);
			assemble(g, lines + off, cut - off, n,
				 block_partial_lines(&g->bc, lines + off,
						     cut - off));
			off = cut;
		}
		sched_release(&g->c.s);
	}
}

/* ---- downstream: the members' pull protocol ---- */

/* Step 3. */
static void dispatch(struct group *g)
{
	struct sched_chunk *c;
	int w, a;

	while (!g->failed && !g->dead &&
	       (a = sched_next(&g->c.s, &w, &c)) != SCHED_IDLE) {
		if (a == SCHED_STOP) {
			if (w != g->c.self &&
			    proto_pack_stop(&g->buf, PROTO_STOP_DONE) ==
				    STATUS_OK)
				send_member(g, w, PROTO_TAG_STOP);
			continue;
		}
		if (coord_pack_work(w == g->c.self ? &g->lwork : &g->buf, c,
				    PROTO_FORM_LIST) != STATUS_OK) {
			group_fail(g, STATUS_ERR_NOMEM,
				   "cannot pack a "
				   "sub-chunk of %u numbers",
				   c->count);
			return;
		}
		if (w == g->c.self)
			g->local_pending = 1;
		else
			send_member(g, w, PROTO_TAG_WORK);
	}
}

/* The number of line i of sub-chunk arg (block_check's callback). */
static mpz_srcptr sub_number(void *arg, uint32_t i, mpz_t scratch)
{
	const struct sched_chunk *c = arg;

	(void)scratch;
	return c->numbers[i];
}

/* A wrong line of sub-chunk c from member w (or the leader, self). */
static void wrong_result(struct group *g, int w, struct sched_chunk *c,
			 uint32_t bad, int rank)
{
	char *s = mpz_get_str(NULL, 10, c->numbers[bad]);
	struct coord_wrong v =
		coord_wrong(&g->c, w, c, &g->mb[w].wrong, g->failed);

	if (v.give_up)
		group_fail(g, STATUS_ERR_VERIFY,
			   "rank %d returned a wrong "
			   "factorization of %s (verification failed on rank "
			   "%d); sub-chunk %llu failed %d times, giving up",
			   rank, s, g->rank, (unsigned long long)c->id,
			   COORD_MAX_FAILURES);
	else if (v.say)
		group_say("rank %d returned a wrong factorization of %s "
			  "(verification failed on rank %d, its group "
			  "leader); recomputing it",
			  rank, s, g->rank);
	if (v.none_left)
		group_fail(g, STATUS_ERR_VERIFY,
			   "no rank left in the "
			   "group of rank %d whose results pass "
			   "verification",
			   g->rank);
	else if (v.excluded)
		group_say("rank %d returned %d wrong factorizations: "
			  "no more work for it",
			  rank, COORD_MAX_WRONG_PER_RANK);
	free(s);
}

/* A RESULT from member w (or the leader itself, w = self). */
static void handle_result(struct group *g, int w, struct proto_buf *b)
{
	struct proto_result_header h;
	struct sched_chunk *c;
	const unsigned char *lines;
	int rank = g->rank + 1 + w, st;
	uint32_t bad = 0;

	if (w == g->c.self)
		rank = g->rank;
	if (proto_read_result(b->data, b->len, &h, &lines) != STATUS_OK) {
		group_fail(g, STATUS_ERR_PROTO,
			   "malformed RESULT message "
			   "from rank %d",
			   rank);
		return;
	}
	st = coord_complete(&g->c, w, h.chunk_id, h.count, h.busy_ns, &c);
	if (st == SCHED_DUPLICATE)
		return;
	if (st != STATUS_OK) {
		group_fail(g, STATUS_ERR_PROTO,
			   "rank %d sent a RESULT for "
			   "sub-chunk %llu (%u numbers) that it does not hold",
			   rank, (unsigned long long)h.chunk_id, h.count);
		return;
	}
	if (h.bad_index != PROTO_NO_BAD_INDEX) {
		wrong_result(g, w, c, h.bad_index, rank);
		return;
	}
	st = block_check(&g->bc, c->id, lines, h.block_len, h.count, sub_number,
			 c, &bad);
	if (st == STATUS_ERR_PROTO) {
		group_fail(g, STATUS_ERR_PROTO,
			   "malformed RESULT message "
			   "from rank %d (sub-chunk %llu: not %u lines)",
			   rank, (unsigned long long)h.chunk_id, h.count);
		return;
	}
	if (st == STATUS_ERR_VERIFY) {
		wrong_result(g, w, c, bad, rank);
		return;
	}
	if (st != STATUS_OK) {
		group_fail(g, st, "cannot verify the RESULT from rank %d",
			   rank);
		return;
	}
	sched_accept(&g->c.s, c, w, b);
}

/* The leader's own sub-chunk (step 4, when nothing is waiting). */
static void work_locally(struct group *g)
{
	int st;

	g->local_pending = 0;
	st = worker_process(&g->lw, g->lwork.data, g->lwork.len, &g->rbuf,
			    g->err, sizeof g->err);
	if (st == STATUS_ERR_STOPPED) {
		g->lw.stop_requested = 0; /* rank 0's STOP is waiting */
		return;
	}
	if (st != STATUS_OK) {
		group_fail(g, st, "%s", g->err);
		return;
	}
	handle_result(g, g->c.self, &g->rbuf);
}

/* ---- stopping ---- */

static void stop_members(struct group *g, uint32_t reason)
{
	for (int w = 0; w < g->nm; w++) {
		if (g->c.sched_ready) {
			if (g->c.s.workers[w].stopped)
				continue;
			g->c.s.workers[w].stopped = 1;
		}
		if (proto_pack_stop(&g->buf, reason) == STATUS_OK)
			send_member(g, w, PROTO_TAG_STOP);
	}
}

static void take_stop(struct group *g)
{
	uint32_t reason = PROTO_STOP_ABORT;

	if (proto_read_stop(g->msg.buf.data, g->msg.buf.len, &reason) !=
	    STATUS_OK)
		reason = PROTO_STOP_ABORT; /* stop anyway */
	g->stopped = 1;
	g->local_pending = 0;
	/* DONE means the leader holds nothing; anything else is an abort */
	if (reason == PROTO_STOP_DONE && g->up_len == 0 && !g->failed &&
	    g->c.sched_ready) {
		g->stop_reason = PROTO_STOP_DONE;
		sched_input_end(&g->c.s);
		return;
	}
	g->stop_reason = PROTO_STOP_ABORT;
	g->abort_deadline = transport_wtime() + GROUP_ABORT_WAIT_S;
	stop_members(g, PROTO_STOP_ABORT);
}

/* ---- messages ---- */

static void from_rank0(struct group *g)
{
	switch (g->msg.tag) {
	case PROTO_TAG_WORK:
		if (!g->failed && !g->stopped)
			take_work(g);
		break;
	case PROTO_TAG_STOP:
		if (!g->stopped)
			take_stop(g);
		break;
	default:
		group_fail(g, STATUS_ERR_PROTO,
			   "unexpected %s message from "
			   "rank 0",
			   proto_tag_name(g->msg.tag));
	}
}

static void from_member(struct group *g, int w)
{
	uint32_t credit;
	int status;
	char text[PROTO_MAX_TEXT + 1];
	int rank = g->rank + 1 + w;

	coord_heard(&g->c, w);
	switch (g->msg.tag) {
	case PROTO_TAG_STATS:
		if (g->mb[w].have ||
		    proto_read_stats(g->msg.buf.data, g->msg.buf.len,
				     &g->mb[w].s) != STATUS_OK) {
			group_fail(g, STATUS_ERR_PROTO,
				   "malformed or "
				   "repeated STATS from rank %d",
				   rank);
			break;
		}
		g->mb[w].have = 1;
		g->stats_pending--;
		if (g->c.sched_ready)
			sched_gone(&g->c.s, w);
		break;
	case PROTO_TAG_ERROR:
		if (proto_read_error(g->msg.buf.data, g->msg.buf.len, &status,
				     text, sizeof text) != STATUS_OK)
			group_fail(g, STATUS_ERR_PROTO,
				   "malformed ERROR "
				   "message from rank %d",
				   rank);
		else
			group_fail(g, status, "rank %d: %s", rank, text);
		break;
	case PROTO_TAG_REQUEST:
		/* after rank 0's DONE a late first REQUEST still counts: the
		   sched then stops that member (regression: over TCP the
		   leader finished the job alone, ignored the REQUEST and
		   waited for ever for a member it never stopped); after an
		   ABORT every member has its STOP already */
		if (g->failed || g->stop_reason == PROTO_STOP_ABORT)
			break;
		if (proto_read_request(g->msg.buf.data, g->msg.buf.len,
				       &credit) != STATUS_OK ||
		    sched_request(&g->c.s, w, credit) != STATUS_OK)
			group_fail(g, STATUS_ERR_PROTO,
				   "malformed or "
				   "repeated REQUEST from rank %d",
				   rank);
		break;
	case PROTO_TAG_RESULT:
		if (g->failed || g->stop_reason == PROTO_STOP_ABORT)
			break; /* received and dropped */
		handle_result(g, w, &g->msg.buf);
		break;
	case PROTO_TAG_HEARTBEAT: {
		/* checked; the member's deadline moved (above) */
		uint64_t id, ns;
		if (proto_read_heartbeat(g->msg.buf.data, g->msg.buf.len, &id,
					 &ns) != STATUS_OK)
			group_fail(g, STATUS_ERR_PROTO,
				   "malformed HEARTBEAT "
				   "from rank %d",
				   rank);
		break;
	}
	default:
		group_fail(g, STATUS_ERR_PROTO,
			   "unexpected %s message from "
			   "rank %d",
			   proto_tag_name(g->msg.tag), rank);
	}
}

static void handle_message(struct group *g)
{
	int w;

	if (g->msg.source == 0) {
		from_rank0(g);
		return;
	}
	w = member_index(g, g->msg.source);
	if (w < 0)
		group_fail(g, STATUS_ERR_PROTO,
			   "message from unexpected "
			   "rank %d",
			   g->msg.source);
	else
		from_member(g, w);
}

/* ---- setup and the loop ---- */

/*
 * Seconds until the next member deadline (1 ms past it) or the next
 * HEARTBEAT up, whichever is first; 0 for neither (wait for a message).
 */
static double next_deadline_s(const struct group *g)
{
	uint64_t due = 0, now = coord_now_ns(&g->c);

	if (g->c.sched_ready && !g->failed)
		due = sched_next_deadline(&g->c.s);
	if (g->up_len > 0 && !g->failed &&
	    (due == 0 || g->last_beat_ns + PROTO_HEARTBEAT_NS < due))
		due = g->last_beat_ns + PROTO_HEARTBEAT_NS;
	if (due == 0)
		return 0;
	return due > now ? (double)(due - now) * 1e-9 + 1e-3 : 1e-3;
}

static int setup(struct group *g)
{
	struct sched_params sp;
	uint32_t credit;

	if (proto_read_config(g->msg.buf.data, g->msg.buf.len, &g->cfg) !=
	    STATUS_OK) {
		group_fail(g, STATUS_ERR_PROTO,
			   "malformed CONFIG (protocol "
			   "version %d expected)",
			   PROTO_VERSION);
		return STATUS_ERR_PROTO;
	}
	/* the members' CONFIG: the faults of --test-fault-rank are theirs */
	for (int w = 0; w < g->nm; w++) {
		struct proto_config c = g->cfg;

		c.fault_flags = g->rank + 1 + w == g->o->fault_rank ||
				g->o->fault_rank == CLI_FAULT_EVERY_RANK
			? g->o->fault_flags
			: 0;
		if (proto_pack_config(&g->buf, &c) == STATUS_OK)
			send_member(g, w, PROTO_TAG_CONFIG);
	}
	worker_ctx_init(&g->lw, &g->cfg, g->o->fault_ms);
	worker_ctx_set_output(&g->lw, g->o, g->rank);
	g->lw.stop_poll = group_stop_poll;
	g->lw.beat = group_beat;
	group_beating = g;
	g->lw_ready = 1;

	memset(&sp, 0, sizeof sp);
	sp.n_workers = g->nm + 1;
	sp.chunk = 0;               /* guided: see the invariants */
	sp.max_chunk = g->o->chunk; /* 0 = SCHED_DEFAULT_MAX_CHUNK */
	sp.speculate = 1;
	/* --worker-timeout judges members as rank 0 judges its children
	   (at most 10^9 s, cli.c: the ns fit a u64) */
	sp.timeout_ns = (uint64_t)(g->o->worker_timeout * 1e9);
	if (sched_init(&g->c.s, &sp) != STATUS_OK) {
		group_fail(g, STATUS_ERR_NOMEM, "scheduler: out of memory");
		return STATUS_ERR_NOMEM;
	}
	g->c.sched_ready = 1;
	(void)sched_request(&g->c.s, g->c.self, 1);

	credit = 2u + g->cfg.prefetch;
	if (credit > PROTO_MAX_CREDIT)
		credit = PROTO_MAX_CREDIT;
	g->up = calloc(credit, sizeof *g->up);
	if (g->up == NULL) {
		group_fail(g, STATUS_ERR_NOMEM, "out of memory");
		return STATUS_ERR_NOMEM;
	}
	g->up_cap = credit;
	for (uint32_t i = 0; i < credit; i++) {
		proto_buf_init(&g->up[i].work);
		mpz_inits(g->up[i].next, g->up[i].step, NULL);
	}
	if (proto_pack_request(&g->buf, credit) == STATUS_OK)
		send_up(g, PROTO_TAG_REQUEST, &g->buf);
	return STATUS_OK;
}

/* Rank 0's STOP passed on and every member's STATS in (or given up). */
static int finished(struct group *g)
{
	if (!g->stopped)
		return 0;
	if (g->stop_reason == PROTO_STOP_DONE &&
	    !(g->c.sched_ready && sched_all_done(&g->c.s)))
		return 0;
	return g->stats_pending == coord_late_pending(&g->c);
}

static void send_stats(struct group *g)
{
	struct proto_group_stats gs;
	struct proto_stats s;
	struct transport_counters tc;

	for (int w = 0; w < g->nm; w++) {
		if (!g->mb[w].have)
			continue;
		memset(&gs, 0, sizeof gs);
		gs.rank = (uint32_t)(g->rank + 1 + w);
		gs.wrong = g->mb[w].wrong;
		gs.s = g->mb[w].s;
		if (proto_pack_group_stats(&g->buf, &gs) == STATUS_OK)
			send_up(g, PROTO_TAG_GROUP_STATS, &g->buf);
	}
	transport_counters(&tc);
	memset(&s, 0, sizeof s);
	proto_stats_host(&s);
	if (g->lw_ready) {
		s.numbers = g->lw.numbers;
		s.chunks = g->lw.chunks;
		s.busy_ns = g->lw.busy_ns;
	}
	s.idle_ns = tc.idle_ns;
	s.msgs_sent = tc.msgs_sent + 1;
	s.msgs_recv = tc.msgs_recv;
	s.bytes_sent = tc.bytes_sent;
	s.bytes_recv = tc.bytes_recv;
	if (proto_pack_stats(&g->buf, &s) == STATUS_OK)
		send_up(g, PROTO_TAG_STATS, &g->buf);
}

int group_run(const struct options *o, char *err, size_t err_size)
{
	struct group g;
	int st = STATUS_OK, got;

	memset(&g, 0, sizeof g);
	g.o = o;
	g.rank = transport_rank();
	g.size = transport_size();
	g.nm = topo_group_members_in(g.rank, g.size, o->group_size,
				     o->group_nodes);
	g.stats_pending = g.nm;
	coord_init(&g.c, &group_coord_ops, &g, g.nm, 1);
	transport_msg_init(&g.msg);
	proto_buf_init(&g.buf);
	proto_buf_init(&g.rbuf);
	proto_buf_init(&g.asmb);
	proto_buf_init(&g.upmsg);
	block_check_init(&g.bc, o);
	proto_buf_init(&g.lwork);
	mpz_init(g.n);
	err[0] = '\0';
	g.mb = calloc((size_t)g.nm + 1, sizeof *g.mb);
	if (g.mb == NULL) {
		snprintf(err, err_size, "out of memory");
		st = STATUS_ERR_NOMEM;
		goto out;
	}

	st = transport_wait(&g.msg, 0, TRANSPORT_ANY, 0, g.err, sizeof g.err);
	if (st != STATUS_OK)
		goto out;
	if (g.msg.tag == PROTO_TAG_CONFIG)
		(void)setup(&g);
	else if (g.msg.tag == PROTO_TAG_STOP)
		take_stop(&g);
	else
		group_fail(&g, STATUS_ERR_PROTO, "expected CONFIG, got %s",
			   proto_tag_name(g.msg.tag));

	while (!g.dead) {
		if (!g.failed && !g.stopped) {
			release_done(&g);
			feed(&g);
		}
		check_members(&g);
		beat_up(&g);
		if (!g.failed && g.c.sched_ready &&
		    g.stop_reason != PROTO_STOP_ABORT)
			dispatch(&g);
		if (finished(&g))
			break;
		st = transport_poll(&g.msg, TRANSPORT_ANY, TRANSPORT_ANY, &got,
				    g.err, sizeof g.err);
		if (st == STATUS_OK && got) {
			handle_message(&g);
			continue;
		}
		if (st == STATUS_OK && g.local_pending && !g.failed &&
		    !g.stopped) {
			work_locally(&g);
			continue;
		}
		if (st == STATUS_OK) {
			double left = 0;

			if (g.stop_reason == PROTO_STOP_ABORT) {
				left = g.abort_deadline - transport_wtime();
				if (left <= 0)
					break; /* a member did not stop */
			} else {
				left = next_deadline_s(&g);
			}
			st = transport_wait(&g.msg, TRANSPORT_ANY,
					    TRANSPORT_ANY, left, g.err,
					    sizeof g.err);
			if (st == STATUS_ERR_TIMEOUT &&
			    g.stop_reason != PROTO_STOP_ABORT)
				continue; /* a member's deadline: next pass */
			if (st == STATUS_ERR_TIMEOUT)
				break;
			if (st == STATUS_OK)
				handle_message(&g);
		}
		if (st == STATUS_ERR_PROTO) {
			group_fail(&g, st, "%s", g.err);
			st = STATUS_OK;
		} else if (st != STATUS_OK) {
			g.dead = 1;
		}
	}
	if (!g.dead) {
		send_stats(&g);
		st = STATUS_OK;
	}
	if (g.dead && st == STATUS_OK)
		st = STATUS_ERR_MPI;
	if (st != STATUS_OK)
		snprintf(err, err_size, "%s", g.err);
	else if (g.failed)
		st = STATUS_ERR_PROTO;
out:
	if (g.up != NULL)
		for (uint32_t i = 0; i < g.up_cap; i++) {
			proto_buf_clear(&g.up[i].work);
			mpz_clears(g.up[i].next, g.up[i].step, NULL);
		}
	free(g.up);
	free(g.mb);
	coord_clear(&g.c);
	if (g.lw_ready)
		worker_ctx_clear(&g.lw);
	block_check_clear(&g.bc);
	proto_buf_clear(&g.upmsg);
	mpz_clear(g.n);
	proto_buf_clear(&g.buf);
	proto_buf_clear(&g.rbuf);
	proto_buf_clear(&g.asmb);
	proto_buf_clear(&g.lwork);
	transport_msg_clear(&g.msg);
	group_beating = NULL;
	return st;
}
