/*
 * group.h - the group leader of the two-level scheme (--group-size G).
 *
 * A leader is a worker of rank 0 and the master of its members (the
 * conversation is in proto.h, GROUPS).  group_run is its whole life, from
 * rank 0's CONFIG to its own STATS; main calls it on every rank that
 * topo_group_members says leads a group, and worker_run on the others.
 *
 * Like worker_run it returns a status to main for the exit code; what goes
 * wrong in the group is sent to rank 0 as ERROR (rank 0 prints it).  The
 * only thing it prints itself is the note that one of its members returned
 * a wrong factorization, the message rank 0 prints for its own workers.
 */
#ifndef FACTORIZE_GROUP_H
#define FACTORIZE_GROUP_H

#include <stddef.h>

#include "cli.h"

/* The loop of a group leader.  STATUS_OK or the failure (text in err). */
int group_run(const struct options *o, char *err, size_t err_size);

#endif
