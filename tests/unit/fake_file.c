/*
 * fake_file.c - transport's output-file calls (proto.h 3b) for the unit
 * tests that link src/mpi/worker.o without MPI: the same contract as
 * transport.c (an existing file opened write-only by one process, written
 * at absolute offsets, close flushes and accepts NULL), on POSIX open,
 * pwrite and close, so a test can read back what a worker wrote.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "status.h"
#include "transport.h"

struct transport_file {
	int fd;
};

int transport_file_open(struct transport_file **fp, const char *path, char *err,
			size_t err_size)
{
	struct transport_file *f = malloc(sizeof *f);

	*fp = NULL;
	if (f == NULL)
		return STATUS_ERR_NOMEM;
	f->fd = open(path, O_WRONLY);
	if (f->fd < 0) {
		snprintf(err, err_size, "%s: %s", path, strerror(errno));
		free(f);
		return STATUS_ERR_IO;
	}
	*fp = f;
	return STATUS_OK;
}

int transport_file_write_at(struct transport_file *f, uint64_t offset,
			    const void *data, size_t len, char *err,
			    size_t err_size)
{
	if (pwrite(f->fd, data, len, (off_t)offset) != (ssize_t)len) {
		snprintf(err, err_size, "pwrite: %s", strerror(errno));
		return STATUS_ERR_IO;
	}
	return STATUS_OK;
}

int transport_file_close(struct transport_file *f, char *err, size_t err_size)
{
	int rc;

	if (f == NULL)
		return STATUS_OK;
	rc = close(f->fd);
	free(f);
	if (rc != 0 && err != NULL)
		snprintf(err, err_size, "close: %s", strerror(errno));
	return rc == 0 ? STATUS_OK : STATUS_ERR_IO;
}

/* The scripted transport of these tests takes every send at once. */
int transport_flush(double timeout_s, char *err, size_t err_size)
{
	(void)timeout_s;
	(void)err;
	(void)err_size;
	return 0;
}
