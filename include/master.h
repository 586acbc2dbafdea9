/*
 * master.h - rank 0: reads the input, hands out chunks, verifies and
 * writes the results in input order, stops the workers, reports.
 *
 * master_run drives the conversation of proto.h with the bookkeeping of
 * sched.h.  It is glue: it prints the user's messages on stderr (bad
 * tokens as GNU factor does, errors naming the rank at fault, the summary
 * line) and returns the process exit code (enum cli_exit).  With one rank
 * it does the work itself through the same chunk processor the workers
 * use (worker_process), so output and ordering take one path.
 */
#ifndef FACTORIZE_MASTER_H
#define FACTORIZE_MASTER_H

#include <signal.h>

#include "cli.h"

/*
 * Run the job of o on rank 0.  Returns an enum cli_exit code.  signo
 * (NULL allowed) is set to a signal number by main's handler: the master
 * then stops handing out work, sends ABORT to the workers, discards an
 * unfinished output file and returns CLI_EXIT_INTERRUPTED.
 */
int master_run(const struct options *o, const volatile sig_atomic_t *signo);

#endif
