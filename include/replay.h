/*
 * replay.h - rank 0's side of --checkpoint/--resume: opening the journal
 * of this job, and rebuilding a journaled chunk's RESULT from it.
 *
 * A run with --checkpoint journals every checked block (journal.h).  A
 * rerun opens the same journal (replay_open, waiting a few seconds while
 * a killed run's ranks still hold its lock) and, for every chunk the
 * journal covers completely, takes the chunk's lines from the journal
 * instead of computing them (replay_result): rank 0 handles that RESULT
 * like one from a worker (checked again, never journaled twice), so every
 * run writes the whole output, byte-identical to an uninterrupted one.  A
 * chunk the journal covers only in part is computed again.  A placed
 * record (the workers wrote the output, proto.h 3b) names the block's
 * bytes in the output file the killed run kept (output.h
 * output_open_kept): they are read back and used when their CRC matches,
 * and the chunk is computed again when it does not.
 *
 * Pure module (no MPI, never prints): the notes a waiting open owes the
 * user go through the caller's say function.  Nothing to clear; the
 * journal is the caller's (journal_close).
 */
#ifndef FACTORIZE_REPLAY_H
#define FACTORIZE_REPLAY_H

#include <signal.h>
#include <stdint.h>

#include "cli.h"
#include "journal.h"
#include "proto.h"

/*
 * A journal locked by another process: how long replay_open waits for it
 * (a job whose launcher was killed: its ranks die at once with the
 * launcher, main.c, or within the second or two Open MPI's and Hydra's
 * own teardown take when a rank is not ours), and how often it tries
 * again; then "in use", a runtime failure.
 */
enum { REPLAY_JOURNAL_WAIT_MS = 5000, REPLAY_JOURNAL_RETRY_MS = 50 };

/*
 * --checkpoint: open (or create; with --resume it must exist) the journal
 * of the job o describes into *j (NULL and STATUS_OK without
 * --checkpoint).  While another process holds its lock, tries again every
 * REPLAY_JOURNAL_RETRY_MS for up to REPLAY_JOURNAL_WAIT_MS, saying so once
 * (and when the other process is gone); *stop set ends the wait.  A
 * resumed journal is announced unless --quiet.  On failure err says why
 * and *usage_error is 1 when it is the user's (a journal of another job,
 * an input that cannot be journaled: CLI_EXIT_USAGE), 0 otherwise.
 */
int replay_open(struct journal **j, const struct options *o,
		const volatile sig_atomic_t *stop,
		void (*say)(const char *fmt, ...), int *usage_error, char *err,
		size_t err_size);

/*
 * The RESULT of chunk chunk_id (positions first .. first + count - 1)
 * from the journal, into out; lines is scratch (the chunk's block).
 * Each record's lines are cut to the chunk's positions (block_prefix).
 * A placed record's lines are read from kept_fd, the output file an
 * earlier run left under its kept name (output_open_kept; -1: none, and
 * then a placed record counts as missing), at the record's offset, and
 * their CRC-32C checked.  STATUS_NOT_FOUND when the journal does not
 * cover every position (out untouched); STATUS_ERR_VERIFY when a placed
 * block is not in the file as journaled (short, or its CRC differs: the
 * chunk is to be computed again); STATUS_OK; or the journal's, the
 * file's (STATUS_ERR_IO) or the codec's error.
 */
int replay_result(struct journal *j, int kept_fd, uint64_t chunk_id,
		  uint64_t first, uint32_t count, struct proto_buf *lines,
		  struct proto_buf *out);

#endif
