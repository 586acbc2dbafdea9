/*
 * preflight.h - the checks rank 0 makes on the job's files before any
 * number is handed out, so that a bad path fails at once, with the option
 * that named it, instead of after hours of work.
 *
 * What is checked (rules and messages in src/core/preflight.c):
 *   - each of --output, --stats, --checkpoint is the right kind of file
 *     (not a directory; --checkpoint a regular file) and can be written
 *     or created where it lives;
 *   - no two of them name one file, also through symbolic and hard links
 *     or the file standard output is redirected to, and neither --stats
 *     nor --checkpoint is the --input file;
 *   - --resume finds its journal;
 *   - standard input is open when the numbers come from it.
 * Pure module: no MPI, never prints, never exits.  The probes leave the
 * file system as they found it (a file created to test a directory is
 * removed at once; an existing file is opened without truncation).
 */
#ifndef FACTORIZE_PREFLIGHT_H
#define FACTORIZE_PREFLIGHT_H

#include <stddef.h>

#include "cli.h"

/*
 * Every check above, in that order; the first failure is returned.
 * STATUS_OK; STATUS_ERR_INVAL for a mistake of the command line (one
 * file for two options, --resume without a journal): CLI_EXIT_USAGE;
 * STATUS_ERR_IO when the file system refuses (missing directory,
 * permission, read-only, a directory or device where a file is needed,
 * closed standard input): CLI_EXIT_RUNTIME.  err holds one line naming the option.
 */
int preflight_check(const struct options *o, char *err, size_t err_size);

/*
 * 1 when writing path a would overwrite what is written to path b: both
 * exist and are one regular file (same device and inode: hard links and
 * symbolic links included), or neither exists and both resolve to the
 * same directory and name.  Devices and FIFOs (/dev/null twice) are not
 * "the same file" here: writing one does not replace the other.
 */
int preflight_same_file(const char *a, const char *b);

#endif
