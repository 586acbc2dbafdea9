/*
 * preflight.c - the job's files checked before any work (include/preflight.h).
 *
 * Purpose: a path that cannot be written fails before the first number
 * is handed out, with a message that names the option; two options that
 * name one file are refused instead of one silently replacing the other.
 *
 * Rules, per option (o->output NULL or "-" is standard output):
 *   --output FILE   an existing directory is refused; an existing
 *                   regular file, or a new name, needs a writable
 *                   directory: the output is written there under a
 *                   temporary name and renamed (output.c), so the probe
 *                   creates and removes such a temporary file.  A device
 *                   is opened for writing and closed; a FIFO is left
 *                   alone (opening it would wait for, or disturb, its
 *                   reader).
 *   --stats FILE    written in place at the end: an existing regular
 *                   file is opened for writing without truncation; a new
 *                   name is created exclusively and removed at once.
 *   --checkpoint F  must be a regular file or a new name (the journal is
 *                   read back, locked and truncated: a device or FIFO
 *                   cannot be one); existing: opened read-write;
 *                   new: created exclusively and removed.  With --resume
 *                   it must exist (usage error).
 * A file of the wrong kind is a runtime failure (STATUS_ERR_IO, exit 3),
 * as an --input directory is: what the file system holds, not what the
 * command line says.  The command line's own mistakes are usage errors
 * (STATUS_ERR_INVAL, exit 2): two options naming one file, --resume
 * without a journal.
 * Then the pairs: --output/--stats/--checkpoint pairwise, standard output
 * redirected to the file of --stats or --checkpoint, and --input against
 * --stats and --checkpoint (the job's numbers would be overwritten).
 * --input and --output may be one file: the output replaces it only
 * after the whole input was read, as `sort -o`.
 *
 * Sameness (preflight_same_file): both exist -> same st_dev and st_ino
 * of a regular file (stat follows symbolic links; hard links share the
 * inode); neither exists -> the resolved names are equal, where resolving
 * follows a dangling symbolic link of the last component (at most
 * PREFLIGHT_MAX_LINKS hops) and realpath()s the directory.  One existing
 * and one not cannot be one file.
 */
#define _XOPEN_SOURCE 700 /* realpath, readlink, mkstemp, lstat */
#include "preflight.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "status.h"

/*
 * Symbolic links followed by hand when resolving a name that does not
 * exist: Linux's own limit for one path lookup (MAXSYMLINKS), so any
 * chain the kernel would follow is followed here too.
 */
enum { PREFLIGHT_MAX_LINKS = 40 };

static int preflight_fail(char *err, size_t err_size, int code, const char *fmt,
			  ...) __attribute__((format(printf, 4, 5)));

static int preflight_fail(char *err, size_t err_size, int code, const char *fmt,
			  ...)
{
	va_list ap;

	if (err && err_size > 0) {
		va_start(ap, fmt);
		vsnprintf(err, err_size, fmt, ap);
		va_end(ap);
	}
	return code;
}

/* The directory part of path ("." when none), malloc'ed. */
static char *preflight_dirname(const char *path)
{
	const char *slash = strrchr(path, '/');
	size_t len;
	char *d;

	if (slash == NULL)
		return strdup(".");
	len = slash == path ? 1 : (size_t)(slash - path);
	d = malloc(len + 1);
	if (d != NULL) {
		memcpy(d, path, len);
		d[len] = '\0';
	}
	return d;
}

/* "dir/name" malloc'ed ("/name" when dir is "/"). */
static char *preflight_join(const char *dir, const char *name)
{
	size_t dl = strlen(dir), size = dl + strlen(name) + 2;
	char *p = malloc(size);

	if (p != NULL)
		snprintf(p, size, "%s%s%s", dir,
			 dl > 0 && dir[dl - 1] == '/' ? "" : "/", name);
	return p;
}

/*
 * The name path will be created under: a dangling symbolic link of the
 * last component followed, the directory made absolute by realpath.
 * NULL when the directory does not exist (or out of memory).
 */
static char *preflight_resolve(const char *path)
{
	char target[PATH_MAX];
	char *cur = strdup(path), *dir, *real, *out;
	const char *base;
	struct stat ls;

	for (int hop = 0; cur != NULL && hop < PREFLIGHT_MAX_LINKS; hop++) {
		ssize_t n;
		char *next;

		if (lstat(cur, &ls) != 0 || !S_ISLNK(ls.st_mode))
			break;
		n = readlink(cur, target, sizeof target - 1);
		if (n < 0)
			break;
		target[n] = '\0';
		if (target[0] == '/') {
			next = strdup(target);
		} else {
			dir = preflight_dirname(cur);
			next = dir ? preflight_join(dir, target) : NULL;
			free(dir);
		}
		free(cur);
		cur = next;
	}
	if (cur == NULL)
		return NULL;
	dir = preflight_dirname(cur);
	real = dir ? realpath(dir, NULL) : NULL;
	base = strrchr(cur, '/') ? strrchr(cur, '/') + 1 : cur;
	out = real ? preflight_join(real, base) : NULL;
	free(real);
	free(dir);
	free(cur);
	return out;
}

int preflight_same_file(const char *a, const char *b)
{
	struct stat sa, sb;
	int ea = stat(a, &sa) == 0, eb = stat(b, &sb) == 0, same;
	char *ra, *rb;

	if (ea && eb)
		return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino &&
			S_ISREG(sa.st_mode);
	if (ea || eb)
		return 0;
	ra = preflight_resolve(a);
	rb = preflight_resolve(b);
	same = ra != NULL && rb != NULL && strcmp(ra, rb) == 0;
	free(ra);
	free(rb);
	return same;
}

/* 1 when standard output is a regular file and path is that file. */
static int preflight_is_stdout(const char *path)
{
	struct stat so, sp;

	return fstat(STDOUT_FILENO, &so) == 0 && S_ISREG(so.st_mode) &&
		stat(path, &sp) == 0 && so.st_dev == sp.st_dev &&
		so.st_ino == sp.st_ino;
}

/* A new file can be made in path's directory: create it, remove it. */
static int preflight_probe_new(const char *opt, const char *path, char *err,
			       size_t err_size)
{
	char *dir = preflight_dirname(path);
	struct stat sd;
	int fd, e;

	if (dir == NULL)
		return preflight_fail(err, err_size, STATUS_ERR_NOMEM,
				      "out of memory");
	if (stat(dir, &sd) != 0 || !S_ISDIR(sd.st_mode)) {
		e = stat(dir, &sd) != 0 ? errno : ENOTDIR;
		preflight_fail(err, err_size, STATUS_ERR_IO,
			       "%s '%s': "
			       "directory '%s' %s",
			       opt, path, dir,
			       e == ENOENT ? "does not exist" : strerror(e));
		free(dir);
		return STATUS_ERR_IO;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		e = errno;
		preflight_fail(err, err_size, STATUS_ERR_IO,
			       "%s '%s': cannot "
			       "create it in directory '%s': %s",
			       opt, path, dir,
			       e == ENOENT ? "this file system does not "
					     "allow new files there"
					   : strerror(e));
		free(dir);
		return STATUS_ERR_IO;
	}
	close(fd);
	unlink(path);
	free(dir);
	return STATUS_OK;
}

/* --output onto a regular file or a new name: a temporary file beside it. */
static int preflight_probe_tmp(const char *path, char *err, size_t err_size)
{
	char *real = preflight_resolve(path), *dir, *tmp;
	struct stat sd;
	int fd, e;

	if (real == NULL) {
		dir = preflight_dirname(path);
		e = dir != NULL && stat(dir, &sd) == 0 ? ENOTDIR : ENOENT;
		preflight_fail(err, err_size, STATUS_ERR_IO,
			       "--output '%s': "
			       "directory '%s' %s",
			       path, dir ? dir : ".",
			       e == ENOENT ? "does not exist" : strerror(e));
		free(dir);
		return STATUS_ERR_IO;
	}
	dir = preflight_dirname(real);
	tmp = dir ? preflight_join(dir, ".factorize-check.XXXXXX") : NULL;
	if (tmp == NULL) {
		free(dir);
		free(real);
		return preflight_fail(err, err_size, STATUS_ERR_NOMEM,
				      "out of memory");
	}
	fd = mkstemp(tmp);
	if (fd < 0) {
		e = errno;
		preflight_fail(err, err_size, STATUS_ERR_IO,
			       "--output '%s': "
			       "cannot create files in directory '%s' (the "
			       "output is written there under a temporary "
			       "name and renamed when complete): %s",
			       path, dir,
			       e == ENOENT ? "this file system does not "
					     "allow new files there"
					   : strerror(e));
	} else {
		close(fd);
		unlink(tmp);
	}
	free(tmp);
	free(dir);
	free(real);
	return fd < 0 ? STATUS_ERR_IO : STATUS_OK;
}

/* An existing file opened as it will be (no truncation), then closed. */
static int preflight_probe_open(const char *opt, const char *path, int flags,
				char *err, size_t err_size)
{
	int fd = open(path, flags | O_NOCTTY | O_CLOEXEC);

	if (fd < 0)
		return preflight_fail(err, err_size, STATUS_ERR_IO,
				      "%s '%s': "
				      "cannot open it for writing: %s",
				      opt, path, strerror(errno));
	close(fd);
	return STATUS_OK;
}

/* The kind and writability rules of one option (see the header). */
static int preflight_one(const struct options *o, const char *opt,
			 const char *path, char *err, size_t err_size)
{
	int is_out = strcmp(opt, "--output") == 0;
	int is_cp = strcmp(opt, "--checkpoint") == 0;
	struct stat st;

	if (stat(path, &st) != 0) {
		if (errno != ENOENT)
			return preflight_fail(err, err_size, STATUS_ERR_IO,
					      "%s '%s': %s", opt, path,
					      strerror(errno));
		if (is_cp && o->resume)
			return preflight_fail(
				err, err_size, STATUS_ERR_INVAL,
				"--resume: there is no checkpoint journal "
				"'%s' to resume from (without --resume the "
				"job starts afresh and creates it)",
				path);
		return is_out ? preflight_probe_tmp(path, err, err_size)
			      : preflight_probe_new(opt, path, err, err_size);
	}
	if (S_ISDIR(st.st_mode))
		return preflight_fail(err, err_size, STATUS_ERR_IO,
				      "%s '%s' is a directory; a file name is "
				      "needed",
				      opt, path);
	if (is_cp && !S_ISREG(st.st_mode))
		return preflight_fail(err, err_size, STATUS_ERR_IO,
				      "--checkpoint '%s' is not a regular "
				      "file: a journal is read back, locked "
				      "and appended to, which a device or "
				      "FIFO cannot do",
				      path);
	if (S_ISSOCK(st.st_mode))
		return preflight_fail(err, err_size, STATUS_ERR_IO,
				      "%s '%s' is a socket; a file name is "
				      "needed",
				      opt, path);
	if (S_ISFIFO(st.st_mode))
		return STATUS_OK;
	if (S_ISREG(st.st_mode) && is_out)
		return preflight_probe_tmp(path, err, err_size);
	return preflight_probe_open(opt, path, is_cp ? O_RDWR : O_WRONLY, err,
				    err_size);
}

/* Options naming files, in the order of the messages. */
struct preflight_file {
	const char *opt;
	const char *path; /* NULL: not given */
};

static int preflight_pairs(const struct options *o, char *err, size_t err_size)
{
	const int to_stdout = o->output == NULL || strcmp(o->output, "-") == 0;
	const struct preflight_file f[] = {
		{ "--output", to_stdout ? NULL : o->output },
		{ "--stats", o->stats },
		{ "--checkpoint", o->checkpoint },
		{ "--input",
		  o->input != NULL && strcmp(o->input, "-") != 0 ? o->input
								 : NULL },
	};
	enum { N = sizeof f / sizeof f[0], INPUT = N - 1 };

	for (int i = 0; i < N; i++) {
		for (int k = i + 1; k < N; k++) {
			if (f[i].path == NULL || f[k].path == NULL ||
			    (i == 0 && k == INPUT))
				continue;
			if (!preflight_same_file(f[i].path, f[k].path))
				continue;
			if (strcmp(f[i].path, f[k].path) == 0)
				return preflight_fail(
					err, err_size, STATUS_ERR_INVAL,
					"%s and %s both name "
					"'%s': one would overwrite the other; "
					"give them different files",
					f[i].opt, f[k].opt, f[i].path);
			return preflight_fail(
				err, err_size, STATUS_ERR_INVAL,
				"%s '%s' and %s '%s' are the same file: one "
				"would overwrite the other; give them "
				"different files",
				f[i].opt, f[i].path, f[k].opt, f[k].path);
		}
		if (i > 0 && i < INPUT && to_stdout && f[i].path != NULL &&
		    preflight_is_stdout(f[i].path))
			return preflight_fail(
				err, err_size, STATUS_ERR_INVAL,
				"%s '%s' is the file standard output is "
				"redirected to: it would overwrite the "
				"results; give it another file",
				f[i].opt, f[i].path);
	}
	return STATUS_OK;
}

int preflight_check(const struct options *o, char *err, size_t err_size)
{
	int st = STATUS_OK;

	if (err && err_size > 0)
		err[0] = '\0';
	if (o->output != NULL && strcmp(o->output, "-") != 0)
		st = preflight_one(o, "--output", o->output, err, err_size);
	if (st == STATUS_OK && o->stats != NULL)
		st = preflight_one(o, "--stats", o->stats, err, err_size);
	if (st == STATUS_OK && o->checkpoint != NULL)
		st = preflight_one(o, "--checkpoint", o->checkpoint, err,
				   err_size);
	if (st == STATUS_OK)
		st = preflight_pairs(o, err, err_size);
	if (st == STATUS_OK && o->stdin_closed && o->input != NULL &&
	    strcmp(o->input, "-") == 0)
		st = preflight_fail(
			err, err_size, STATUS_ERR_IO,
			"standard "
			"input is closed: there are no numbers to "
			"read (give them as arguments, with --input "
			"FILE or with --count N)");
	return st;
}
