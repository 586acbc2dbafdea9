/*
 * test_replay.c - unit tests of rank 0's journal replay
 * (src/core/replay.c).
 *
 * Each test works in a fresh temporary directory with a journal of a
 * --count job (options from cli_parse, as rank 0 has them).  The journal's
 * payloads are lines "p<position>\n", so a replayed block shows which
 * positions it holds.  The say function records what the user would
 * read.  Each test is named for what it guards.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "journal.h"
#include "proto.h"
#include "replay.h"
#include "status.h"

static int n_said;
static char said[4][512];

static void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (n_said < 4)
		vsnprintf(said[n_said], sizeof said[0], fmt, ap);
	n_said++;
	va_end(ap);
}

struct fixture {
	char dir[64], path[128];
	char words[6][160];
	struct options o;
	char err[1024];
};

/*
 * Options of "--count N --checkpoint PATH" (plus extra, when not NULL).
 * The words live in the fixture: options may point into argv.
 */
static void options_for(struct fixture *f, const char *count, const char *extra)
{
	const char *w[] = { "factorize",    "--count", count,
			    "--checkpoint", f->path,   extra };
	char *argv[7] = { NULL };
	int argc = extra ? 6 : 5;

	for (int i = 0; i < argc; i++) {
		snprintf(f->words[i], sizeof f->words[i], "%s", w[i]);
		argv[i] = f->words[i];
	}
	cli_options_clear(&f->o);
	cli_options_init(&f->o);
	assert_int_equal(cli_parse(&f->o, argc, argv, f->err, sizeof f->err),
			 0);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);

	if (!f)
		return -1;
	strcpy(f->dir, "/tmp/test_replay.XXXXXX");
	if (!mkdtemp(f->dir)) {
		free(f);
		return -1;
	}
	snprintf(f->path, sizeof f->path, "%s/j", f->dir);
	cli_options_init(&f->o);
	n_said = 0;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
	cli_options_clear(&f->o);
	free(f);
	return system(cmd) == 0 ? 0 : -1;
}

/* Journal positions first .. first + count - 1 as one record. */
static void append(struct journal *j, uint64_t id, uint64_t first,
		   uint32_t count)
{
	char lines[256];
	size_t len = 0;

	for (uint32_t i = 0; i < count; i++)
		len += (size_t)snprintf(lines + len, sizeof lines - len,
					"p%llu\n",
					(unsigned long long)(first + i));
	assert_int_equal(journal_append(j, id, first, count, 1, lines, len),
			 STATUS_OK);
}

/* A journal of this job holding [0, 3) and [3, 5), closed. */
static void two_records(struct fixture *f)
{
	struct journal *j;
	int usage;

	options_for(f, "100", NULL);
	assert_int_equal(replay_open(&j, &f->o, NULL, say, &usage, f->err,
				     sizeof f->err),
			 STATUS_OK);
	assert_non_null(j);
	assert_int_equal(n_said, 0); /* a new journal is not announced */
	append(j, 1, 0, 3);
	append(j, 2, 3, 2);
	assert_int_equal(journal_close(j), STATUS_OK);
}

/* two_records' journal, open again (resumed) for replay_result. */
static struct journal *reopened(struct fixture *f)
{
	struct journal *j;
	int usage;

	two_records(f);
	assert_int_equal(replay_open(&j, &f->o, NULL, say, &usage, f->err,
				     sizeof f->err),
			 STATUS_OK);
	assert_non_null(j);
	return j;
}

/* out's RESULT: its header checked, its block compared with want. */
static void expect_result(const struct proto_buf *out, uint64_t id,
			  uint32_t count, const char *want)
{
	struct proto_result_header h;
	const unsigned char *block;

	assert_int_equal(proto_read_result(out->data, out->len, &h, &block),
			 STATUS_OK);
	assert_int_equal(h.chunk_id, id);
	assert_int_equal(h.count, count);
	assert_int_equal(h.bad_index, PROTO_NO_BAD_INDEX);
	assert_int_equal(h.block_len, strlen(want));
	assert_memory_equal(block, want, strlen(want));
}

static void no_checkpoint_no_journal(void **state)
{
	struct fixture *f = *state;
	struct journal *j = (struct journal *)f; /* must be overwritten */
	int usage = 7;

	assert_int_equal(replay_open(&j, &f->o, NULL, say, &usage, f->err,
				     sizeof f->err),
			 STATUS_OK);
	assert_null(j);
	assert_int_equal(usage, 0);
	assert_int_equal(n_said, 0);
}

static void resumed_journal_is_announced_unless_quiet(void **state)
{
	struct fixture *f = *state;
	struct journal *j;
	int usage;

	two_records(f);
	assert_int_equal(replay_open(&j, &f->o, NULL, say, &usage, f->err,
				     sizeof f->err),
			 STATUS_OK);
	assert_int_equal(n_said, 1);
	assert_non_null(strstr(said[0],
			       ": resuming: 2 chunks (5 numbers) "
			       "done"));
	assert_int_equal(journal_close(j), STATUS_OK);
	options_for(f, "100", "--quiet");
	assert_int_equal(replay_open(&j, &f->o, NULL, say, &usage, f->err,
				     sizeof f->err),
			 STATUS_OK);
	assert_int_equal(n_said, 1);
	assert_int_equal(journal_close(j), STATUS_OK);
}

/* --count 101 against a journal of --count 100: the user's error */
static void journal_of_another_job_is_usage(void **state)
{
	struct fixture *f = *state;
	struct journal *j;
	int usage;

	two_records(f);
	options_for(f, "101", NULL);
	assert_int_equal(replay_open(&j, &f->o, NULL, say, &usage, f->err,
				     sizeof f->err),
			 STATUS_ERR_MISMATCH);
	assert_int_equal(usage, 1);
	assert_null(j);
	assert_true(f->err[0] != '\0');
	/* --resume without a journal: a runtime failure, not usage */
	snprintf(f->path, sizeof f->path, "%s/none", f->dir);
	options_for(f, "100", "--resume");
	assert_int_not_equal(replay_open(&j, &f->o, NULL, say, &usage, f->err,
					 sizeof f->err),
			     STATUS_OK);
	assert_null(j);
}

/* a chunk across two records takes each one's lines for its positions */
static void chunk_lines_cut_to_the_chunk(void **state)
{
	struct fixture *f = *state;
	struct journal *j = reopened(f);
	struct proto_buf lines, out;

	proto_buf_init(&lines);
	proto_buf_init(&out);
	assert_int_equal(replay_result(j, -1, 9, 1, 3, &lines, &out),
			 STATUS_OK);
	expect_result(&out, 9, 3, "p1\np2\np3\n");
	assert_int_equal(replay_result(j, -1, 10, 0, 5, &lines, &out),
			 STATUS_OK);
	expect_result(&out, 10, 5, "p0\np1\np2\np3\np4\n");
	assert_int_equal(replay_result(j, -1, 11, 4, 1, &lines, &out),
			 STATUS_OK);
	expect_result(&out, 11, 1, "p4\n");
	proto_buf_clear(&lines);
	proto_buf_clear(&out);
	assert_int_equal(journal_close(j), STATUS_OK);
}

/*
 * Placed records (the workers wrote the output): [5, 8) and [8, 10) are
 * in a kept file after a 4-byte header, [0, 3) and [3, 5) in the journal.
 * A chunk across a payload record and both placed ones takes each one's
 * lines; a placed block is read only with the kept file (-1: missing,
 * STATUS_NOT_FOUND); a flipped byte in it or a file cut inside it is
 * STATUS_ERR_VERIFY (computed again), a byte outside it changes nothing.
 */
static void placed_lines_read_back_and_checked(void **state)
{
	struct fixture *f = *state;
	struct journal *j = reopened(f);
	struct proto_buf lines, out;
	const char file[] = "HEADp5\np6\np7\np8\np9\n";
	char kept[160];
	FILE *k;
	int fd;

	snprintf(kept, sizeof kept, "%s/kept", f->dir);
	k = fopen(kept, "w");
	assert_non_null(k);
	assert_int_equal(fwrite(file, 1, sizeof file - 1, k), sizeof file - 1);
	assert_int_equal(fclose(k), 0);
	assert_int_equal(journal_append_placed(j, 3, 5, 3, 1, 4, 9,
					       journal_crc32c(0, file + 4, 9)),
			 STATUS_OK);
	assert_int_equal(journal_append_placed(j, 4, 8, 2, 2, 13, 6,
					       journal_crc32c(0, file + 13, 6)),
			 STATUS_OK);
	fd = open(kept, O_RDWR);
	assert_true(fd >= 0);
	proto_buf_init(&lines);
	proto_buf_init(&out);
	assert_int_equal(replay_result(j, fd, 9, 4, 5, &lines, &out),
			 STATUS_OK);
	expect_result(&out, 9, 5, "p4\np5\np6\np7\np8\n");
	assert_int_equal(replay_result(j, fd, 10, 9, 1, &lines, &out),
			 STATUS_OK);
	expect_result(&out, 10, 1, "p9\n");
	assert_int_equal(replay_result(j, -1, 9, 4, 5, &lines, &out),
			 STATUS_NOT_FOUND);
	assert_int_equal(pwrite(fd, "X", 1, 0), 1); /* the header: no matter */
	assert_int_equal(replay_result(j, fd, 9, 4, 5, &lines, &out),
			 STATUS_OK);
	assert_int_equal(pwrite(fd, "P", 1, 6), 1); /* inside [5, 8) */
	assert_int_equal(replay_result(j, fd, 9, 4, 5, &lines, &out),
			 STATUS_ERR_VERIFY);
	assert_int_equal(replay_result(j, fd, 10, 8, 2, &lines, &out),
			 STATUS_OK);
	assert_int_equal(ftruncate(fd, 17), 0); /* cut inside [8, 10) */
	assert_int_equal(replay_result(j, fd, 10, 8, 2, &lines, &out),
			 STATUS_ERR_VERIFY);
	close(fd);
	proto_buf_clear(&lines);
	proto_buf_clear(&out);
	assert_int_equal(journal_close(j), STATUS_OK);
}

/* one position missing, at either end: computed again, out untouched */
static void partly_covered_is_not_found(void **state)
{
	struct fixture *f = *state;
	struct journal *j = reopened(f);
	struct proto_buf lines, out;

	proto_buf_init(&lines);
	proto_buf_init(&out);
	assert_int_equal(proto_buf_append(&out, "x", 1), STATUS_OK);
	assert_int_equal(replay_result(j, -1, 9, 3, 3, &lines, &out),
			 STATUS_NOT_FOUND);
	assert_int_equal(replay_result(j, -1, 9, 5, 1, &lines, &out),
			 STATUS_NOT_FOUND);
	assert_int_equal(out.len, 1);
	proto_buf_clear(&lines);
	proto_buf_clear(&out);
	assert_int_equal(journal_close(j), STATUS_OK);
}

/*
 * A child holds the journal for HOLD_MS: replay_open waits, says so once,
 * and succeeds when the child is gone (saying after how long).  With the
 * stop flag set it does not wait at all.
 */
static void locked_journal_is_waited_for(void **state)
{
	enum { HOLD_MS = 300 };
	struct fixture *f = *state;
	struct journal *j;
	int usage, ready[2];
	char c;
	volatile sig_atomic_t stop = 1;

	two_records(f);
	assert_int_equal(pipe(ready), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct journal *k;
		struct timespec hold = { 0, HOLD_MS * 1000000L };
		int st = replay_open(&k, &f->o, NULL, say, &usage, f->err,
				     sizeof f->err);
		if (write(ready[1], "r", 1) != 1 || st != STATUS_OK)
			_exit(1);
		nanosleep(&hold, NULL);
		_exit(0);
	}
	assert_int_equal(read(ready[0], &c, 1), 1);
	assert_int_not_equal(replay_open(&j, &f->o, &stop, say, &usage, f->err,
					 sizeof f->err),
			     STATUS_OK);
	assert_int_equal(n_said, 0); /* stopped: no wait, nothing said */
	assert_int_equal(usage, 0);
	assert_int_equal(replay_open(&j, &f->o, NULL, say, &usage, f->err,
				     sizeof f->err),
			 STATUS_OK);
	assert_int_equal(n_said, 3); /* in use, gone, resuming */
	assert_non_null(strstr(said[0],
			       "journal is in use by another "
			       "process (pid "));
	assert_non_null(strstr(said[1], "the other process is gone after"));
	assert_int_equal(journal_close(j), STATUS_OK);
	int ws;
	assert_int_equal(waitpid(pid, &ws, 0), pid);
	assert_true(WIFEXITED(ws) && WEXITSTATUS(ws) == 0);
	close(ready[0]);
	close(ready[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(no_checkpoint_no_journal, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			resumed_journal_is_announced_unless_quiet, setup,
			teardown),
		cmocka_unit_test_setup_teardown(journal_of_another_job_is_usage,
						setup, teardown),
		cmocka_unit_test_setup_teardown(chunk_lines_cut_to_the_chunk,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			placed_lines_read_back_and_checked, setup, teardown),
		cmocka_unit_test_setup_teardown(partly_covered_is_not_found,
						setup, teardown),
		cmocka_unit_test_setup_teardown(locked_journal_is_waited_for,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
