/*
 * test_preflight.c - unit tests of the checks on the job's files before
 * any work (src/core/preflight.c).
 *
 * Each test works in a fresh temporary directory.  Named vectors:
 * same-file-hard-link, same-file-symlink, same-file-new-names,
 * devices-are-not-clobbered, stats-missing-directory (issue 14 item 7),
 * output-equals-stats, output-equals-checkpoint (item 8),
 * stdout-redirected-to-stats, resume-without-journal (item 12),
 * checkpoint-not-regular, output-proc-file, closed-stdin, probes-leave-
 * no-files.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "preflight.h"
#include "status.h"

struct fx {
	char dir[64];
	char a[128], b[128], sub[128];
	char err[512];
	struct options o;
};

static int setup(void **state)
{
	struct fx *fx = calloc(1, sizeof *fx);

	if (fx == NULL)
		return -1;
	strcpy(fx->dir, "/tmp/test_preflight.XXXXXX");
	if (mkdtemp(fx->dir) == NULL) {
		free(fx);
		return -1;
	}
	snprintf(fx->a, sizeof fx->a, "%s/a", fx->dir);
	snprintf(fx->b, sizeof fx->b, "%s/b", fx->dir);
	snprintf(fx->sub, sizeof fx->sub, "%s/sub", fx->dir);
	cli_options_init(&fx->o);
	fx->o.n_numbers = 1; /* numbers on the command line: no stdin */
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;
	char cmd[128];

	cli_options_clear(&fx->o);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", fx->dir);
	if (system(cmd) != 0)
		return -1;
	free(fx);
	return 0;
}

static void touch(const char *path)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs("x\n", f);
	fclose(f);
}

/* Entries of dir, "." and ".." left out. */
static int entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		n += strcmp(e->d_name, ".") != 0 &&
			strcmp(e->d_name, "..") != 0;
	closedir(d);
	return n;
}

static void expect(struct fx *fx, int want, const char *f1, const char *f2)
{
	int st = preflight_check(&fx->o, fx->err, sizeof fx->err);

	if (st != want || (f1 && !strstr(fx->err, f1)) ||
	    (f2 && !strstr(fx->err, f2)))
		fail_msg("status %d (want %d), message '%s' (want '%s' and "
			 "'%s')",
			 st, want, fx->err, f1 ? f1 : "", f2 ? f2 : "");
}

static void same_file_links_and_names(void **state)
{
	struct fx *fx = *state;
	char rel[160], dangling[160], target[160];

	/* same-file-new-names: neither exists, one directory and name */
	snprintf(rel, sizeof rel, "%s/sub/../a", fx->dir);
	assert_int_equal(mkdir(fx->sub, 0755), 0);
	assert_true(preflight_same_file(fx->a, fx->a));
	assert_true(preflight_same_file(fx->a, rel));
	assert_false(preflight_same_file(fx->a, fx->b));
	/* a dangling symlink names the file it would create */
	snprintf(dangling, sizeof dangling, "%s/sub/link", fx->dir);
	assert_int_equal(symlink("../a", dangling), 0);
	assert_true(preflight_same_file(fx->a, dangling));
	/* one exists, the other not: never one file */
	touch(fx->b);
	assert_false(preflight_same_file(fx->a, fx->b));
	/* same-file-hard-link */
	assert_int_equal(link(fx->b, fx->a), 0);
	assert_true(preflight_same_file(fx->a, fx->b));
	/* same-file-symlink (now resolving to an existing file) */
	assert_true(preflight_same_file(dangling, fx->b));
	snprintf(target, sizeof target, "%s/c", fx->dir);
	touch(target);
	assert_false(preflight_same_file(target, fx->b));
	/* devices-are-not-clobbered: /dev/null twice is fine */
	assert_false(preflight_same_file("/dev/null", "/dev/null"));
	/* a relative name and the absolute one */
	char cwd[512];
	assert_non_null(getcwd(cwd, sizeof cwd));
	assert_int_equal(chdir(fx->dir), 0);
	assert_true(preflight_same_file("new", "./sub/../new"));
	assert_true(preflight_same_file("c", target));
	assert_int_equal(chdir(cwd), 0);
}

static void two_options_one_file_is_a_usage_error(void **state)
{
	struct fx *fx = *state;

	/* output-equals-stats */
	fx->o.output = fx->a;
	fx->o.stats = fx->a;
	expect(fx, STATUS_ERR_INVAL, "--output and --stats both name", NULL);
	/* output-equals-checkpoint, by hard link */
	touch(fx->a);
	assert_int_equal(link(fx->a, fx->b), 0);
	fx->o.stats = NULL;
	fx->o.checkpoint = fx->b;
	expect(fx, STATUS_ERR_INVAL, "--output '", "--checkpoint '");
	assert_non_null(strstr(fx->err, "are the same file"));
	/* stats and checkpoint through a symbolic link */
	fx->o.output = NULL;
	fx->o.stats = fx->sub;
	assert_int_equal(symlink(fx->b, fx->sub), 0);
	expect(fx, STATUS_ERR_INVAL, "--stats", "--checkpoint");
	/* the job's input file as --checkpoint or --stats */
	fx->o.stats = NULL;
	fx->o.n_numbers = 0;
	fx->o.input = fx->a;
	expect(fx, STATUS_ERR_INVAL, "--checkpoint", "--input");
	fx->o.checkpoint = NULL;
	fx->o.stats = fx->b;
	expect(fx, STATUS_ERR_INVAL, "--stats", "--input");
	/* ... but --input and --output may be one file (sort -o) */
	fx->o.stats = NULL;
	fx->o.output = fx->b;
	expect(fx, STATUS_OK, "", NULL);
	/* distinct files pass */
	fx->o.input = NULL;
	fx->o.n_numbers = 1;
	fx->o.output = fx->a;
	fx->o.stats = "/dev/null";
	snprintf(fx->b, sizeof fx->b, "%s/j", fx->dir);
	fx->o.checkpoint = fx->b;
	expect(fx, STATUS_OK, "", NULL);
}

/* stdout-redirected-to-stats: `factorize --stats s > s` */
static void stdout_file_is_an_output_too(void **state)
{
	struct fx *fx = *state;
	int saved = dup(STDOUT_FILENO), fd;

	assert_true(saved >= 0);
	fd = open(fx->a, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	fflush(stdout);
	assert_int_equal(dup2(fd, STDOUT_FILENO), STDOUT_FILENO);
	close(fd);
	fx->o.stats = fx->a;
	int st1 = preflight_check(&fx->o, fx->err, sizeof fx->err);
	fx->o.stats = NULL;
	fx->o.checkpoint = fx->a;
	int st2 = preflight_check(&fx->o, fx->err, sizeof fx->err);
	fx->o.checkpoint = NULL;
	fx->o.output = fx->b; /* results elsewhere: the stdout file is free */
	fx->o.stats = fx->a;
	int st3 = preflight_check(&fx->o, fx->err, sizeof fx->err);
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	assert_int_equal(st1, STATUS_ERR_INVAL);
	assert_int_equal(st2, STATUS_ERR_INVAL);
	assert_int_equal(st3, STATUS_OK);
}

static void kinds_and_directories(void **state)
{
	struct fx *fx = *state;
	char missing[160];

	/* stats-missing-directory: named, before any work */
	snprintf(missing, sizeof missing, "%s/nodir/s.json", fx->dir);
	fx->o.stats = missing;
	expect(fx, STATUS_ERR_IO, "--stats '", "does not exist");
	fx->o.stats = NULL;
	fx->o.output = missing;
	expect(fx, STATUS_ERR_IO, "--output '", "does not exist");
	fx->o.output = fx->dir;
	expect(fx, STATUS_ERR_IO, "--output '", "is a directory");
	fx->o.output = NULL;
	fx->o.checkpoint = fx->dir;
	expect(fx, STATUS_ERR_IO, "--checkpoint '", "is a directory");
	/* checkpoint-not-regular: no "Invalid argument" from a lock */
	fx->o.checkpoint = "/dev/null";
	expect(fx, STATUS_ERR_IO,
	       "--checkpoint '/dev/null' is not a "
	       "regular file",
	       NULL);
	fx->o.checkpoint = NULL;
	/* devices are fine for --output and --stats */
	fx->o.output = "/dev/null";
	fx->o.stats = "/dev/null";
	expect(fx, STATUS_OK, "", NULL);
	/* a file under a regular file */
	touch(fx->a);
	snprintf(missing, sizeof missing, "%s/x", fx->a);
	fx->o.stats = missing;
	expect(fx, STATUS_ERR_IO, "--stats '", "Not a directory");
}

/* output-proc-file: no "No such file or directory" for an existing file */
static void output_where_files_cannot_be_created(void **state)
{
	struct fx *fx = *state;
	struct stat st;

	if (stat("/proc/version", &st) != 0)
		skip();
	fx->o.output = "/proc/version";
	expect(fx, STATUS_ERR_IO, "--output '/proc/version'",
	       "does not allow new files");
	assert_null(strstr(fx->err, "No such file"));
	fx->o.output = NULL;
	fx->o.stats = "/proc/new-stats";
	expect(fx, STATUS_ERR_IO, "--stats '/proc/new-stats'", NULL);
}

/* resume-without-journal: a usage error, in words */
static void resume_needs_its_journal(void **state)
{
	struct fx *fx = *state;

	fx->o.checkpoint = fx->a;
	fx->o.resume = 1;
	expect(fx, STATUS_ERR_INVAL,
	       "--resume: there is no checkpoint "
	       "journal",
	       "to resume from");
	assert_int_equal(access(fx->a, F_OK), -1); /* not created */
	fx->o.resume = 0;
	expect(fx, STATUS_OK, "", NULL);
	touch(fx->a);
	fx->o.resume = 1;
	expect(fx, STATUS_OK, "", NULL); /* its contents: journal.c */
}

/* closed-stdin: said as such when the numbers come from it */
static void closed_stdin_is_named(void **state)
{
	struct fx *fx = *state;

	fx->o.stdin_closed = 1;
	expect(fx, STATUS_OK, "", NULL); /* numbers on the command line */
	fx->o.n_numbers = 0;
	fx->o.input = "-";
	expect(fx, STATUS_ERR_IO, "standard input is closed", NULL);
	fx->o.stdin_closed = 0;
	expect(fx, STATUS_OK, "", NULL);
}

/* probes-leave-no-files: the checks create nothing that stays */
static void probes_leave_no_files(void **state)
{
	struct fx *fx = *state;

	fx->o.output = fx->a;
	fx->o.stats = fx->b;
	fx->o.checkpoint = fx->sub;
	expect(fx, STATUS_OK, "", NULL);
	assert_int_equal(entries(fx->dir), 0);
	touch(fx->a);
	touch(fx->b);
	expect(fx, STATUS_OK, "", NULL);
	assert_int_equal(entries(fx->dir), 2);
	FILE *f = fopen(fx->b, "r");
	char line[8] = "";
	assert_non_null(f);
	assert_non_null(fgets(line, sizeof line, f));
	fclose(f);
	assert_string_equal(line, "x\n"); /* not truncated */
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(same_file_links_and_names),
		T(two_options_one_file_is_a_usage_error),
		T(stdout_file_is_an_output_too),
		T(kinds_and_directories),
		T(output_where_files_cannot_be_created),
		T(resume_needs_its_journal),
		T(closed_stdin_is_named),
		T(probes_leave_no_files),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
