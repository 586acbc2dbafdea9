/*
 * replay.c - the journal of a --checkpoint job, as rank 0 uses it
 * (include/replay.h).
 *
 * Purpose: open the job's journal (waiting out a lock a killed run's
 * ranks still hold) and turn a journaled chunk back into the RESULT a
 * worker would have sent.
 *
 * Invariants:
 *   - A chunk is replayed only when the journal covers all of its
 *     positions; the journal's records need not match the chunk's bounds
 *     (a rerun may cut chunks differently), so each record's lines are
 *     cut to the positions the chunk and the record share, in order.
 *   - The RESULT is an ordinary one: bad_index none, the lines as the
 *     block, so the caller checks it like any other.
 *   - A placed record's lines are read back from the kept output file
 *     and used only when their CRC-32C is the journaled one: a file an
 *     earlier run left short or changed (a node crash, a flipped byte)
 *     makes the chunk STATUS_ERR_VERIFY, to be computed again.
 *   - Never prints: the waiting open's notes go through the caller's say.
 *
 * Algorithm (replay_open): journal_open; while it fails on another
 * process's lock (STATUS_ERR_IO with info.locked_by set), sleep
 * REPLAY_JOURNAL_RETRY_MS and try again, up to REPLAY_JOURNAL_WAIT_MS on
 * the monotonic clock or until *stop.
 */
#include "replay.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "block.h"
#include "status.h"

static uint64_t ms_since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)((now.tv_sec - t0->tv_sec) * 1000 +
			  (now.tv_nsec - t0->tv_nsec) / 1000000);
}

/* journal_open, again while another process holds the lock (header). */
static int open_waiting(struct journal **j, const struct options *o,
			const struct journal_id *id, struct journal_info *info,
			const volatile sig_atomic_t *stop,
			void (*say)(const char *fmt, ...), char *err,
			size_t err_size)
{
	const struct timespec pause = { 0, REPLAY_JOURNAL_RETRY_MS * 1000000L };
	struct timespec t0;
	int st, said = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		st = journal_open(j, o->checkpoint, id,
				  o->resume ? JOURNAL_MUST_EXIST : 0, info, err,
				  err_size);
		if (st != STATUS_ERR_IO || info->locked_by == 0 ||
		    ms_since(&t0) >= REPLAY_JOURNAL_WAIT_MS ||
		    (stop != NULL && *stop != 0))
			break;
		if (!said) {
			char pid[32] = "";
			if (info->locked_by > 0)
				snprintf(pid, sizeof pid, " (pid %ld)",
					 info->locked_by);
			say("%s: journal is in use by another "
			    "process%s; waiting up to %d s for it to "
			    "exit",
			    o->checkpoint, pid, REPLAY_JOURNAL_WAIT_MS / 1000);
			said = 1;
		}
		(void)nanosleep(&pause, NULL);
	}
	if (said && st == STATUS_OK)
		say("%s: the other process is gone after %.1f s", o->checkpoint,
		    (double)ms_since(&t0) / 1e3);
	return st;
}

int replay_open(struct journal **j, const struct options *o,
		const volatile sig_atomic_t *stop,
		void (*say)(const char *fmt, ...), int *usage_error, char *err,
		size_t err_size)
{
	struct journal_id id;
	struct journal_info info;
	int st;

	*j = NULL;
	*usage_error = 0;
	if (o->checkpoint == NULL)
		return STATUS_OK;
	journal_id_init(&id);
	memset(&info, 0, sizeof info);
	st = journal_id_from_options(&id, o, err, err_size);
	if (st == STATUS_OK)
		st = open_waiting(j, o, &id, &info, stop, say, err, err_size);
	journal_id_clear(&id);
	if (st != STATUS_OK) {
		*usage_error = st == STATUS_ERR_INVAL ||
			st == STATUS_ERR_MISMATCH;
		return st;
	}
	if (!info.created && !o->quiet)
		say("%s: resuming: %zu chunks (%llu numbers) done%s",
		    o->checkpoint, info.records,
		    (unsigned long long)info.numbers,
		    info.tail_dropped ? "; a torn last record was "
					"dropped"
				      : "");
	return STATUS_OK;
}

/*
 * A placed record's out_len bytes from the kept output file, into b (reset
 * first), checked against its CRC.  STATUS_OK, STATUS_ERR_VERIFY (short or
 * changed), STATUS_ERR_IO, or the buffer's error.
 */
static int read_placed(int fd, const struct journal_entry *e,
		       struct proto_buf *b)
{
	unsigned char piece[1 << 16];
	uint64_t off = e->out_offset, left = e->out_len;
	uint32_t crc = 0;
	int st = STATUS_OK;

	proto_buf_reset(b);
	while (st == STATUS_OK && left > 0) {
		size_t want = left < sizeof piece ? (size_t)left : sizeof piece;
		ssize_t got = pread(fd, piece, want, (off_t)off);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return STATUS_ERR_IO;
		if (got == 0)
			return STATUS_ERR_VERIFY; /* the file ends before it */
		crc = journal_crc32c(crc, piece, (size_t)got);
		st = proto_buf_append(b, piece, (size_t)got);
		off += (uint64_t)got;
		left -= (uint64_t)got;
	}
	if (st == STATUS_OK && crc != e->block_crc)
		st = STATUS_ERR_VERIFY;
	return st;
}

int replay_result(struct journal *j, int kept_fd, uint64_t chunk_id,
		  uint64_t first, uint32_t count, struct proto_buf *lines,
		  struct proto_buf *out)
{
	struct proto_result_header h;
	const struct journal_entry *e;
	const unsigned char *rec;
	uint64_t pos = first, end = first + count, rec_end;
	size_t len, from, to;
	int st = STATUS_OK;

	for (uint64_t p = pos; p < end; p = e->first_index + e->count)
		if ((e = journal_find(j, p)) == NULL ||
		    (e->placed && kept_fd < 0))
			return STATUS_NOT_FOUND;
	proto_buf_reset(lines);
	while (st == STATUS_OK && pos < end) {
		e = journal_find(j, pos);
		if (e == NULL)
			return STATUS_ERR_CORRUPT;
		if (e->placed) {
			st = read_placed(kept_fd, e, out); /* out: scratch */
			rec = out->data;
			len = out->len;
		} else {
			st = journal_load(j, e, &rec, &len);
		}
		if (st != STATUS_OK)
			return st;
		rec_end = e->first_index + e->count;
		from = block_prefix(rec, len, (uint32_t)(pos - e->first_index));
		to = block_prefix(rec, len,
				  (uint32_t)((end < rec_end ? end : rec_end) -
					     e->first_index));
		st = proto_buf_append(lines, rec + from, to - from);
		pos = rec_end;
	}
	if (st != STATUS_OK)
		return st;
	memset(&h, 0, sizeof h);
	h.chunk_id = chunk_id;
	h.count = count;
	h.bad_index = PROTO_NO_BAD_INDEX;
	h.block_len = (uint32_t)lines->len;
	return proto_pack_result(out, &h, lines->data);
}
