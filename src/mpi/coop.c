/*
 * coop.c - many ranks on one number, a worker's side (coop.h; proto.h
 * 12-15 is the conversation, include/siqs.h the sieve's hooks).
 *
 * Owner: coop_owner_hooks' begin sends SHARE (open) with a new share id
 * when the number has COOP_MIN_DIGITS digits or more; import takes the
 * RELS waiting from any rank (MPI_ANY_SOURCE through transport_poll),
 * hands the sieve those of the current share and drops the others (a
 * run that is over); end sends SHARE (closed).  The sieve checks every
 * relation, so nothing a helper sends is trusted here beyond the codec.
 *
 * Helper: coop_help reads JOIN and runs siqs_factor in helper mode on the
 * number: its export hook packs each batch into RELS for the owner; its
 * stop hook ends the run as soon as any message from rank 0 waits (LEAVE,
 * WORK, STOP: the worker loop reads it next).  Then the helper waits for
 * every RELS it sent to be taken (transport_flush, dropping RELS sent to
 * it meanwhile) and answers LEAVE: rank 0 sends no STOP before that
 * answer, so no owner leaves MPI with a RELS in flight to it.
 *
 * Invariants: the state is process-wide (as MPI's); an owner imports
 * only during its shared run and drains RELS at every other poll; a
 * helper sends nothing to the owner after its LEAVE; its RELS are all
 * taken by then unless the owner stopped answering (COOP_FLUSH_TRIES).
 */
#include "coop.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "siqs.h"
#include "status.h"

/*
 * A helper waits at most this many 10 ms rounds (2 s) for the owner to
 * take its RELS before it answers LEAVE: an owner polls every few ms
 * (its stop hook, its sieve, its wait), so only a stopped owner takes
 * longer, and rank 0 then has its chunk re-issued and needs this rank.
 */
enum { COOP_FLUSH_TRIES = 200 };

static_assert((int)PROTO_MAX_RELS_BYTES == (int)SIQS_WIRE_MAX_BATCH,
	      "a RELS carries one batch of the sieve");

/* The process's share state. */
static struct {
	int parent;
	int active;              /* the owner's run is importing */
	uint64_t next_id;        /* the owner's share ids, from 1 */
	uint64_t active_id;      /* the run importing now */
	struct transport_msg rm; /* the RELS whose batch the sieve reads */
	int rm_ready;
	struct proto_buf out;
	struct engine_coop hooks;
	/* helper: the run's owner, share and id */
	int owner;
	uint64_t share_id;
	uint32_t helper;
} C;

int coop_enabled(int size, int group_size)
{
	return group_size == 0 && size >= 3;
}

/* SHARE to rank 0; errors ignored (rank 0 then sends no helper). */
static void send_share(uint64_t id, int open, const mpz_t n)
{
	struct proto_share sh = { id, (uint32_t)open, 0, 0 };
	char err[64];

	if (proto_pack_share(&C.out, &sh, n) == STATUS_OK)
		(void)transport_send(C.parent, PROTO_TAG_SHARE, &C.out, err,
				     sizeof err);
}

static int owner_begin(void *arg, const mpz_t n)
{
	(void)arg;
	if (mpz_sizeinbase(n, 10) < COOP_MIN_DIGITS ||
	    mpz_sizeinbase(n, 2) > 8 * (size_t)PROTO_MAX_SHARE_BYTES)
		return 0;
	C.active_id = ++C.next_id;
	C.active = 1;
	send_share(C.active_id, 1, n);
	return 1;
}

/* The next RELS waiting: 1 with its share id and batch, 0 when none. */
static int next_rels(uint64_t *id, const unsigned char **batch, size_t *len)
{
	char err[64];
	int got = 0;
	uint32_t helper, bl;

	if (!C.rm_ready) {
		transport_msg_init(&C.rm);
		C.rm_ready = 1;
	}
	while (transport_poll(&C.rm, TRANSPORT_ANY, PROTO_TAG_RELS, &got, err,
			      sizeof err) == STATUS_OK &&
	       got) {
		if (proto_read_rels(C.rm.buf.data, C.rm.buf.len, id, &helper,
				    batch, &bl) != STATUS_OK)
			continue; /* malformed: dropped like a bad relation */
		*len = bl;
		return 1;
	}
	return 0;
}

static int owner_import(void *arg, const unsigned char **batch, size_t *len)
{
	uint64_t id;

	(void)arg;
	while (next_rels(&id, batch, len))
		if (C.active && id == C.active_id)
			return 1;
	return 0;
}

static void owner_end(void *arg)
{
	mpz_t zero;

	(void)arg;
	C.active = 0;
	mpz_init(zero);
	send_share(C.active_id, 0, zero);
	mpz_clear(zero);
}

const struct engine_coop *coop_owner_hooks(int parent)
{
	C.parent = parent;
	C.hooks.begin = owner_begin;
	C.hooks.import = owner_import;
	C.hooks.end = owner_end;
	C.hooks.arg = NULL;
	return &C.hooks;
}

void coop_drain(void)
{
	const unsigned char *batch;
	size_t len;
	uint64_t id;

	if (!C.active)
		while (next_rels(&id, &batch, &len))
			;
}

/* The helper's export hook: one batch, one RELS. */
static int helper_export(void *arg, const unsigned char *batch, size_t len)
{
	char err[64];

	(void)arg;
	if (proto_pack_rels(&C.out, C.share_id, C.helper, batch,
			    (uint32_t)len) != STATUS_OK ||
	    transport_send(C.owner, PROTO_TAG_RELS, &C.out, err, sizeof err) !=
		    STATUS_OK)
		return 1; /* the owner cannot be reached: stop helping */
	return 0;
}

/* The helper's stop hook: any message from rank 0 ends the run. */
static int helper_stop(void *arg)
{
	(void)arg;
	coop_drain();
	return transport_probe(C.parent, TRANSPORT_ANY);
}

int coop_help(const struct transport_msg *m, int parent, char *err,
	      size_t err_size)
{
	struct proto_share sh;
	struct siqs_params sp;
	mpz_t n, f;
	int st = STATUS_OK;

	mpz_inits(n, f, NULL);
	if (proto_read_join(m->buf.data, m->buf.len, &sh, n) != STATUS_OK ||
	    (int)sh.owner == transport_rank()) {
		mpz_clears(n, f, NULL);
		snprintf(err, err_size, "malformed JOIN message");
		return STATUS_ERR_PROTO;
	}
	C.parent = parent;
	C.owner = (int)sh.owner;
	C.share_id = sh.share_id;
	C.helper = sh.helper;
	siqs_params_init(&sp);
	sp.helper = sh.helper;
	sp.export_rels = helper_export;
	sp.stop = helper_stop;
	(void)siqs_factor(f, n, &sp); /* ends STOPPED, or refuses n */
	mpz_clears(n, f, NULL);
	/* every RELS taken by the owner (for COOP_FLUSH_TRIES at most: a
	   stopped owner takes none), then LEAVE */
	for (int k = 0; k < COOP_FLUSH_TRIES; k++) {
		st = transport_flush(0.01, err, err_size);
		if (st != STATUS_ERR_TIMEOUT)
			break;
		coop_drain();
	}
	if (st == STATUS_ERR_TIMEOUT)
		st = STATUS_OK;
	if (st == STATUS_OK)
		st = proto_pack_leave(&C.out, C.share_id);
	if (st == STATUS_OK)
		st = transport_send(parent, PROTO_TAG_LEAVE, &C.out, err,
				    err_size);
	return st;
}
