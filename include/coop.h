/*
 * coop.h - many ranks on one number: a worker's side of proto.h 12-15.
 *
 * An owner (a worker whose engine starts SIQS on a large enough number)
 * shares the run: coop_owner_hooks gives the engine_coop whose begin
 * sends SHARE, whose import hands the sieve the RELS batches of this run
 * and whose end sends SHARE closed.  A helper (a worker sent JOIN) runs
 * coop_help: the sieve in helper mode, its batches sent as RELS to the
 * owner, until any message from rank 0; then it waits until the owner
 * has taken every RELS and answers LEAVE.  RELS of a run that is over
 * are dropped (coop_drain), by every worker, whenever it waits.
 *
 * Shares exist in the flat layout with two workers or more
 * (coop_enabled); with --group-size they are off.  Rank 0's side (who
 * joins what, LEAVE, the STOP that waits for helpers) is in master.c.
 */
#ifndef FACTORIZE_COOP_H
#define FACTORIZE_COOP_H

#include <stddef.h>
#include <stdint.h>

#include "engine.h"
#include "transport.h"

/*
 * An owner shares SIQS runs on numbers of at least this many digits: a
 * 50-digit sieve takes about 0.1 s on one core, two orders of magnitude
 * more than a JOIN's round trip and a helper's factor base; below it the
 * run is over before a helper has sent its first batch.
 */
enum { COOP_MIN_DIGITS = 50 };

/* 1 when a job of size ranks shares numbers (group_size: --group-size,
 * 0 for the flat layout). */
int coop_enabled(int size, int group_size);

/* The owner's hooks for engine_params.coop (parent: rank 0). */
const struct engine_coop *coop_owner_hooks(int parent);

/* Drop every RELS waiting for a run that is not importing now. */
void coop_drain(void);

/*
 * JOIN in m (from parent): sieve as a helper until a message from parent
 * waits, then wait for the RELS sent to be taken and answer LEAVE.
 * STATUS_OK; STATUS_ERR_PROTO for a malformed JOIN (text in err);
 * STATUS_ERR_MPI.
 */
int coop_help(const struct transport_msg *m, int parent, char *err,
	      size_t err_size);

#endif
