/*
 * test_journal.c - unit tests of the checkpoint journal (src/core/journal.c).
 *
 * Each test works in a fresh temporary directory (setup/teardown).  The
 * payloads are opaque bytes here: the journal never parses them.  Named
 * vectors: crc32c-check-value (RFC 3720 B.4), torn-tail-every-offset,
 * flipped-byte-last-record, flipped-byte-middle-record, identity-mismatch,
 * version-mismatch, empty-file, torn-header, garbage-header, duplicate,
 * overlap, lock-held.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "journal.h"
#include "proto.h"
#include "status.h"

struct fixture {
	char dir[64];
	char path[128];
	struct journal_id id;
	char err[1024];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	if (!f)
		return -1;
	strcpy(f->dir, "/tmp/test_journal.XXXXXX");
	if (!mkdtemp(f->dir)) {
		free(f);
		return -1;
	}
	snprintf(f->path, sizeof f->path, "%s/j", f->dir);
	journal_id_init(&f->id);
	journal_id_add(&f->id, "numbers", "range");
	journal_id_add(&f->id, "count", "999");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		return -1;
	journal_id_clear(&f->id);
	free(f);
	return 0;
}

/* ---- helpers ---- */

static void payload_for(uint64_t first, uint32_t count, unsigned char *p,
			size_t len)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (unsigned char)(first * 31u + count * 7u + i * 13u);
}

static void append_chunk(struct journal *j, uint64_t chunk_id, uint64_t first,
			 uint32_t count, size_t len)
{
	unsigned char p[512];
	assert_true(len <= sizeof p);
	payload_for(first, count, p, len);
	assert_int_equal(journal_append(j, chunk_id, first, count,
					(int32_t)(chunk_id % 5), p, len),
			 STATUS_OK);
}

static long file_size(const char *path)
{
	struct stat sb;
	assert_int_equal(stat(path, &sb), 0);
	return (long)sb.st_size;
}

static unsigned char *slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	assert_non_null(fp);
	long n = file_size(path);
	unsigned char *b = malloc((size_t)n + 1);
	assert_non_null(b);
	assert_int_equal(fread(b, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	*len = (size_t)n;
	return b;
}

static void spit(const char *path, const unsigned char *b, size_t len)
{
	FILE *fp = fopen(path, "wb");
	assert_non_null(fp);
	if (len)
		assert_int_equal(fwrite(b, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
}

/* A journal with records (0,10) (10,10) (20,10); the offset of each. */
static void make_three(struct fixture *f, long off[4])
{
	struct journal *j;
	assert_int_equal(journal_open(&j, f->path, &f->id, 0, NULL, f->err,
				      sizeof f->err),
			 STATUS_OK);
	off[0] = file_size(f->path);
	append_chunk(j, 0, 0, 10, 40);
	off[1] = file_size(f->path);
	append_chunk(j, 1, 10, 10, 60);
	off[2] = file_size(f->path);
	append_chunk(j, 2, 20, 10, 50);
	off[3] = file_size(f->path);
	assert_int_equal(journal_close(j), STATUS_OK);
}

static int reopen(struct fixture *f, struct journal_info *info,
		  struct journal **jp)
{
	struct journal *j = NULL;
	int st = journal_open(&j, f->path, &f->id, 0, info, f->err,
			      sizeof f->err);
	if (jp)
		*jp = j;
	else
		journal_close(j);
	return st;
}

/* ---- tests ---- */

static void crc32c_check_value(void **state)
{
	(void)state;
	assert_int_equal(journal_crc32c(0, "123456789", 9), 0xE3069283u);
	assert_int_equal(journal_crc32c(0, "", 0), 0);
	/* Incremental equals one-shot. */
	uint32_t c = journal_crc32c(0, "1234", 4);
	assert_int_equal(journal_crc32c(c, "56789", 5), 0xE3069283u);
	assert_int_equal(journal_crc32c_portable(0, "123456789", 9),
			 0xE3069283u);
}

/* The CPU's crc32 path (where there is one) and the table agree on every
   length 0 to 300 at every alignment, one shot and in two pieces. */
static void crc32c_paths_agree(void **state)
{
	unsigned char buf[320];
	uint64_t x = 0x9e3779b97f4a7c15u;

	(void)state;
	for (size_t i = 0; i < sizeof buf; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		buf[i] = (unsigned char)x;
	}
	for (size_t off = 0; off < 8; off++)
		for (size_t len = 0; len <= 300; len++) {
			uint32_t want =
				journal_crc32c_portable(0, buf + off, len);
			assert_int_equal(journal_crc32c(0, buf + off, len),
					 want);
			size_t cut = len / 3;
			uint32_t c = journal_crc32c(0, buf + off, cut);
			assert_int_equal(
				journal_crc32c(c, buf + off + cut, len - cut),
				want);
		}
}

static void create_then_reopen_empty(void **state)
{
	struct fixture *f = *state;
	struct journal_info info;
	struct journal *j;

	assert_int_equal(journal_open(&j, f->path, &f->id, 0, &info, f->err,
				      sizeof f->err),
			 STATUS_OK);
	assert_int_equal(info.created, 1);
	assert_int_equal(info.records, 0);
	assert_int_equal(journal_close(j), STATUS_OK);
	assert_int_equal(reopen(f, &info, NULL), STATUS_OK);
	assert_int_equal(info.created, 0);
	assert_int_equal(info.records, 0);
	assert_int_equal(info.tail_dropped, 0);
}

static void round_trip(void **state)
{
	struct fixture *f = *state;
	struct journal_info info;
	struct journal *j;
	/* Completion order differs from input order; one gap at 30..39. */
	const uint64_t first[] = { 20, 0, 50, 10, 40 };
	const uint32_t count[] = { 10, 10, 7, 10, 10 };

	assert_int_equal(reopen(f, NULL, &j), STATUS_OK);
	for (int i = 0; i < 5; i++)
		append_chunk(j, (uint64_t)(100 + i), first[i], count[i],
			     (size_t)(10 * i + 5));
	assert_int_equal(journal_sync(j), STATUS_OK);
	assert_int_equal(journal_close(j), STATUS_OK);

	assert_int_equal(reopen(f, &info, &j), STATUS_OK);
	assert_int_equal(info.records, 5);
	assert_int_equal(info.numbers, 47);
	size_t n;
	const struct journal_entry *e = journal_entries(j, &n);
	assert_int_equal(n, 5);
	for (size_t i = 1; i < n; i++)
		assert_true(e[i - 1].first_index + e[i - 1].count <=
			    e[i].first_index);
	for (int i = 0; i < 5; i++) {
		const struct journal_entry *x = journal_find(j, first[i]);
		assert_non_null(x);
		assert_int_equal(x->first_index, first[i]);
		assert_int_equal(x->count, count[i]);
		assert_int_equal(x->chunk_id, (uint64_t)(100 + i));
		assert_int_equal(x->rank, (100 + i) % 5);
		assert_ptr_equal(journal_find(j, first[i] + count[i] - 1), x);
		const unsigned char *items;
		size_t len;
		unsigned char want[64];
		assert_int_equal(journal_load(j, x, &items, &len), STATUS_OK);
		assert_int_equal(len, (size_t)(10 * i + 5));
		payload_for(first[i], count[i], want, len);
		assert_memory_equal(items, want, len);
	}
	assert_null(journal_find(j, 30));
	assert_null(journal_find(j, 39));
	assert_null(journal_find(j, 57));
	assert_null(journal_find(j, UINT64_MAX));
	assert_int_equal(journal_close(j), STATUS_OK);
}

/* torn-tail-every-offset: a kill at any byte of the last write. */
static void torn_tail_every_offset(void **state)
{
	struct fixture *f = *state;
	struct journal_info info;
	long off[4];
	size_t len;

	make_three(f, off);
	unsigned char *full = slurp(f->path, &len);
	for (long cut = off[2]; cut < off[3]; cut++) {
		spit(f->path, full, (size_t)cut);
		struct journal *j;
		assert_int_equal(reopen(f, &info, &j), STATUS_OK);
		assert_int_equal(info.records, 2);
		assert_int_equal(info.tail_dropped, (uint64_t)(cut - off[2]));
		assert_int_equal(file_size(f->path), off[2]);
		assert_null(journal_find(j, 25));
		/* Appending after the truncation gives a clean file. */
		append_chunk(j, 2, 20, 10, 50);
		assert_int_equal(journal_close(j), STATUS_OK);
		assert_int_equal(reopen(f, &info, NULL), STATUS_OK);
		assert_int_equal(info.records, 3);
		assert_int_equal(info.tail_dropped, 0);
	}
	free(full);
}

/* flipped-byte-last-record: indistinguishable from a torn write. */
static void flipped_byte_last_record(void **state)
{
	struct fixture *f = *state;
	struct journal_info info;
	long off[4];
	size_t len;

	make_three(f, off);
	unsigned char *full = slurp(f->path, &len);
	for (long b = off[2]; b < off[3]; b++) {
		full[b] ^= 0x40;
		spit(f->path, full, len);
		full[b] ^= 0x40;
		assert_int_equal(reopen(f, &info, NULL), STATUS_OK);
		assert_int_equal(info.records, 2);
		assert_int_equal(info.tail_dropped,
				 (uint64_t)(off[3] - off[2]));
	}
	free(full);
}

/* flipped-byte-middle-record: valid records follow, so it is corruption. */
static void flipped_byte_middle_record(void **state)
{
	struct fixture *f = *state;
	long off[4];
	size_t len;

	make_three(f, off);
	unsigned char *full = slurp(f->path, &len);
	for (long b = off[1]; b < off[2]; b++) {
		full[b] ^= 0x01;
		spit(f->path, full, len);
		full[b] ^= 0x01;
		f->err[0] = '\0';
		assert_int_equal(reopen(f, NULL, NULL), STATUS_ERR_CORRUPT);
		assert_non_null(strstr(f->err, "corrupt"));
		/* Refused, and the file was not truncated. */
		assert_int_equal(file_size(f->path), (long)len);
	}
	/* Corruption in the first record too. */
	full[off[0] + 20] ^= 0xff;
	spit(f->path, full, len);
	assert_int_equal(reopen(f, NULL, NULL), STATUS_ERR_CORRUPT);
	free(full);
}

static void header_corruption(void **state)
{
	struct fixture *f = *state;
	long off[4];
	size_t len;

	make_three(f, off);
	unsigned char *full = slurp(f->path, &len);
	/* Magic: not a journal.  Description byte: checksum. */
	full[0] ^= 1;
	spit(f->path, full, len);
	assert_int_equal(reopen(f, NULL, NULL), STATUS_ERR_CORRUPT);
	full[0] ^= 1;
	full[JOURNAL_HEADER_FIXED + 1] ^= 1;
	spit(f->path, full, len);
	assert_int_equal(reopen(f, NULL, NULL), STATUS_ERR_CORRUPT);
	assert_non_null(strstr(f->err, "checksum"));
	free(full);
}

/* version-mismatch: another format version is refused, not parsed. */
static void version_mismatch(void **state)
{
	struct fixture *f = *state;
	long off[4];
	size_t len;

	make_three(f, off);
	unsigned char *full = slurp(f->path, &len);
	full[4] = JOURNAL_VERSION + 1;
	spit(f->path, full, len);
	assert_int_equal(reopen(f, NULL, NULL), STATUS_ERR_MISMATCH);
	assert_non_null(strstr(f->err, "format"));
	full[4] = JOURNAL_VERSION;
	full[8] = PROTO_VERSION + 1;
	spit(f->path, full, len);
	assert_int_equal(reopen(f, NULL, NULL), STATUS_ERR_MISMATCH);
	free(full);
}

static void identity_mismatch(void **state)
{
	struct fixture *f = *state;
	struct journal_id other;
	struct journal *j;
	long off[4];

	make_three(f, off);
	journal_id_init(&other);
	journal_id_add(&other, "numbers", "range");
	journal_id_add(&other, "count", "1000");
	assert_int_equal(journal_open(&j, f->path, &other, 0, NULL, f->err,
				      sizeof f->err),
			 STATUS_ERR_MISMATCH);
	assert_null(j);
	assert_non_null(strstr(f->err, "different job"));
	/* in words, not the raw header */
	assert_non_null(strstr(f->err, "--count was 999, is 1000 now"));
	assert_null(strstr(f->err, "count=999"));
	/* The refused journal is untouched. */
	assert_int_equal(file_size(f->path), off[3]);
	journal_id_clear(&other);
}

static void empty_file_and_must_exist(void **state)
{
	struct fixture *f = *state;
	struct journal_info info;
	struct journal *j;

	assert_int_equal(journal_open(&j, f->path, &f->id, JOURNAL_MUST_EXIST,
				      NULL, f->err, sizeof f->err),
			 STATUS_ERR_INVAL);
	assert_non_null(strstr(f->err, "no checkpoint journal"));
	assert_non_null(strstr(f->err, "--resume"));
	assert_int_equal(access(f->path, F_OK), -1); /* not created */
	spit(f->path, (const unsigned char *)"", 0);
	assert_int_equal(journal_open(&j, f->path, &f->id, JOURNAL_MUST_EXIST,
				      NULL, f->err, sizeof f->err),
			 STATUS_ERR_INVAL);
	assert_non_null(strstr(f->err, "is empty"));
	/* Without --resume an empty file is a new journal. */
	assert_int_equal(reopen(f, &info, NULL), STATUS_OK);
	assert_int_equal(info.created, 1);
	assert_true(file_size(f->path) > JOURNAL_HEADER_FIXED);
}

/* torn-header: killed while creating; the same job starts afresh. */
static void torn_header(void **state)
{
	struct fixture *f = *state;
	struct journal_info info;
	long off[4];
	size_t len;

	make_three(f, off);
	unsigned char *full = slurp(f->path, &len);
	for (long cut = 1; cut < off[0]; cut++) {
		spit(f->path, full, (size_t)cut);
		assert_int_equal(reopen(f, &info, NULL), STATUS_OK);
		assert_int_equal(info.created, 1);
		assert_int_equal(file_size(f->path), off[0]);
	}
	free(full);
}

/* garbage-header: a file that is not a journal is never overwritten. */
static void garbage_header(void **state)
{
	struct fixture *f = *state;
	const char *text = "12: 2 2 3\n";

	spit(f->path, (const unsigned char *)text, strlen(text));
	assert_int_equal(reopen(f, NULL, NULL), STATUS_ERR_CORRUPT);
	assert_int_equal(file_size(f->path), (long)strlen(text));
	spit(f->path, (const unsigned char *)"FZ", 2);
	assert_int_equal(reopen(f, NULL, NULL), STATUS_OK); /* torn header */
}

static void append_rejects_overlap(void **state)
{
	struct fixture *f = *state;
	struct journal *j;
	unsigned char p[8] = { 0 };

	assert_int_equal(reopen(f, NULL, &j), STATUS_OK);
	append_chunk(j, 1, 100, 10, 8);
	assert_int_equal(journal_append(j, 2, 105, 10, 0, p, 8),
			 STATUS_ERR_INVAL);
	assert_int_equal(journal_append(j, 2, 95, 6, 0, p, 8),
			 STATUS_ERR_INVAL);
	assert_int_equal(journal_append(j, 2, 100, 10, 0, p, 8),
			 STATUS_ERR_INVAL);
	assert_int_equal(journal_append(j, 2, 0, 0, 0, p, 8), STATUS_ERR_INVAL);
	assert_int_equal(journal_append(j, 2, 95, 5, 0, p, 8), STATUS_OK);
	assert_int_equal(journal_append(j, 3, 110, 1, 0, p, 8), STATUS_OK);
	size_t n;
	journal_entries(j, &n);
	assert_int_equal(n, 3);
	assert_int_equal(journal_close(j), STATUS_OK);
}

/* duplicate / overlap: records copied into the file by hand. */
static void duplicate_and_overlap_in_file(void **state)
{
	struct fixture *f = *state;
	struct journal_info info;
	long off[4];
	size_t len;

	make_three(f, off);
	unsigned char *full = slurp(f->path, &len);
	size_t rec = (size_t)(off[2] - off[1]);
	unsigned char *b = malloc(len + rec);
	assert_non_null(b);
	memcpy(b, full, len);
	memcpy(b + len, full + off[1], rec); /* record (10,10) again */
	spit(f->path, b, len + rec);
	assert_int_equal(reopen(f, &info, NULL), STATUS_OK);
	assert_int_equal(info.records, 3);
	assert_int_equal(info.duplicates, 1);

	/* Same record with first_index 15: overlaps (10,10) and (20,10). */
	unsigned char *r = b + len;
	r[16] = 15;
	uint32_t crc = journal_crc32c(0, r, rec - 4);
	for (int i = 0; i < 4; i++)
		r[rec - 4 + (size_t)i] = (unsigned char)(crc >> (8 * i));
	spit(f->path, b, len + rec);
	assert_int_equal(reopen(f, NULL, NULL), STATUS_ERR_CORRUPT);
	assert_non_null(strstr(f->err, "overlapping"));
	free(b);
	free(full);
}

/*
 * lock-held: a second process cannot append to a journal in use, and
 * learns who holds it (info.locked_by, the holder's pid: rank 0 waits
 * for a job that is going away).
 */
static void lock_held(void **state)
{
	struct fixture *f = *state;
	struct journal *j;
	struct journal_info info;

	assert_int_equal(reopen(f, &info, &j), STATUS_OK);
	assert_int_equal(info.locked_by, 0);
	pid_t holder = getpid();
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct journal *k;
		int st = journal_open(&k, f->path, &f->id, 0, &info, f->err,
				      sizeof f->err);
		_exit(st == STATUS_ERR_IO && strstr(f->err, "in use") &&
				      info.locked_by == (long)holder
			      ? 0
			      : 1);
	}
	int ws;
	assert_int_equal(waitpid(pid, &ws, 0), pid);
	assert_true(WIFEXITED(ws));
	assert_int_equal(WEXITSTATUS(ws), 0);
	assert_int_equal(journal_close(j), STATUS_OK);
}

static void many_records_sync(void **state)
{
	struct fixture *f = *state;
	struct journal_info info;
	struct journal *j;

	assert_int_equal(reopen(f, NULL, &j), STATUS_OK);
	/* Reverse order: every insertion lands at the front of the index. */
	for (uint64_t i = 0; i < 300; i++)
		append_chunk(j, i, (299 - i) * 3, 3, 16);
	assert_int_equal(journal_close(j), STATUS_OK);
	assert_int_equal(reopen(f, &info, &j), STATUS_OK);
	assert_int_equal(info.records, 300);
	assert_int_equal(info.numbers, 900);
	for (uint64_t p = 0; p < 900; p++)
		assert_non_null(journal_find(j, p));
	assert_null(journal_find(j, 900));
	assert_int_equal(journal_close(j), STATUS_OK);
}

/*
 * result-block-round-trip: the master appends the block of a checked
 * RESULT message (its formatted lines) and replays the very bytes later.
 */
static void result_block_round_trip(void **state)
{
	struct fixture *f = *state;
	struct proto_buf msg;
	struct proto_result_header h = { 7, 3, 1, 0, PROTO_NO_BAD_INDEX, 0, 0 },
				   back;
	struct journal *j;
	const unsigned char *block, *lines;
	size_t len;
	static const char lines3[] =
		"12: 2 2 3\n1:\n"
		"209844627025301823327: 91 [composite 2305843009213693951]\n";

	proto_buf_init(&msg);
	h.block_len = sizeof lines3 - 1;
	assert_int_equal(proto_pack_result(&msg, &h, lines3), STATUS_OK);
	assert_int_equal(proto_read_result(msg.data, msg.len, &back, &block),
			 STATUS_OK);
	assert_int_equal(reopen(f, NULL, &j), STATUS_OK);
	assert_int_equal(journal_append(j, 7, 500, 3, 2, block, back.block_len),
			 STATUS_OK);
	assert_int_equal(journal_close(j), STATUS_OK);

	assert_int_equal(reopen(f, NULL, &j), STATUS_OK);
	const struct journal_entry *e = journal_find(j, 501);
	assert_non_null(e);
	assert_int_equal(e->rank, 2);
	assert_int_equal(journal_load(j, e, &lines, &len), STATUS_OK);
	assert_int_equal(len, sizeof lines3 - 1);
	assert_memory_equal(lines, lines3, len);
	assert_int_equal(journal_close(j), STATUS_OK);
	proto_buf_clear(&msg);
}

/*
 * A placed block written again (its bytes failed their CRC on resume):
 * a placed record of exactly the same positions replaces the old one,
 * in the index at once and after a reopen (the last in the file counts);
 * a payload record or a placed one of other bounds over them is refused.
 */
static void placed_record_replaced(void **state)
{
	struct fixture *f = *state;
	struct journal_info info;
	struct journal *j;
	const struct journal_entry *e;
	size_t n;

	assert_int_equal(journal_open(&j, f->path, &f->id, 0, NULL, f->err,
				      sizeof f->err),
			 STATUS_OK);
	append_chunk(j, 0, 0, 10, 40);
	assert_int_equal(journal_append_placed(j, 1, 10, 10, 2, 40, 50, 111),
			 STATUS_OK);
	assert_int_equal(journal_append_placed(j, 2, 20, 5, 2, 90, 20, 222),
			 STATUS_OK);
	assert_int_equal(journal_append_placed(j, 7, 10, 10, 3, 40, 50, 333),
			 STATUS_OK);
	e = journal_entries(j, &n);
	assert_int_equal(n, 3);
	assert_true(e[1].chunk_id == 7 && e[1].block_crc == 333);
	assert_int_equal(journal_append_placed(j, 8, 10, 9, 3, 40, 45, 1),
			 STATUS_ERR_INVAL); /* other bounds */
	assert_int_equal(journal_append_placed(j, 8, 0, 10, 3, 0, 40, 1),
			 STATUS_ERR_INVAL); /* over a payload record */
	assert_int_equal(journal_append(j, 8, 10, 10, 3, "x\n", 2),
			 STATUS_ERR_INVAL);
	assert_int_equal(journal_close(j), STATUS_OK);

	assert_int_equal(reopen(f, &info, &j), STATUS_OK);
	e = journal_entries(j, &n);
	assert_int_equal(n, 3);
	assert_int_equal(info.duplicates, 1);
	assert_true(e[1].chunk_id == 7 && e[1].rank == 3 &&
		    e[1].block_crc == 333);
	assert_true(e[2].chunk_id == 2 && e[2].block_crc == 222);
	assert_int_equal(journal_close(j), STATUS_OK);
}

/*
 * Placed records (the block is in the output file): payload and placed
 * records mix, the placed fields come back after a reopen, journal_load
 * refuses a placed entry, overlaps and a wrapping range are refused, a
 * torn placed tail is dropped at every cut, and a flipped byte in a
 * placed record followed by a valid one is corruption (the search for a
 * later record knows both magics).
 */
static void placed_records(void **state)
{
	struct fixture *f = *state;
	struct journal_info info;
	struct journal *j;
	const struct journal_entry *e;
	const unsigned char *items;
	size_t len, n;
	long mid, end;

	assert_int_equal(journal_open(&j, f->path, &f->id, 0, NULL, f->err,
				      sizeof f->err),
			 STATUS_OK);
	append_chunk(j, 0, 0, 10, 40);
	mid = file_size(f->path);
	assert_int_equal(
		journal_append_placed(j, 1, 10, 10, 2, 400, 123, 0xdeadbeefu),
		STATUS_OK);
	assert_int_equal(file_size(f->path) - mid,
			 JOURNAL_RECORD_FIXED + JOURNAL_PLACED_LEN +
				 JOURNAL_CRC_BYTES);
	assert_int_equal(journal_append_placed(j, 9, 15, 1, 2, 0, 1, 0),
			 STATUS_ERR_INVAL); /* overlaps chunk 1 */
	assert_int_equal(
		journal_append_placed(j, 9, 30, 1, 2, UINT64_MAX, 2, 0),
		STATUS_ERR_INVAL); /* range wraps */
	assert_int_equal(journal_append_placed(j, 2, 20, PROTO_MAX_CHUNK, 1,
					       523, UINT64_MAX - 523, 7),
			 STATUS_OK); /* at the limits */
	assert_int_equal(journal_append_placed(j, 3, 20 + PROTO_MAX_CHUNK,
					       PROTO_MAX_CHUNK + 1u, 1, 0, 0,
					       0),
			 STATUS_ERR_INVAL);
	end = file_size(f->path);
	assert_int_equal(journal_close(j), STATUS_OK);

	assert_int_equal(reopen(f, &info, &j), STATUS_OK);
	assert_int_equal(info.records, 3);
	e = journal_entries(j, &n);
	assert_int_equal(n, 3);
	assert_false(e[0].placed);
	assert_true(e[1].placed);
	assert_int_equal(e[1].chunk_id, 1);
	assert_int_equal(e[1].rank, 2);
	assert_int_equal(e[1].out_offset, 400);
	assert_int_equal(e[1].out_len, 123);
	assert_int_equal(e[1].block_crc, 0xdeadbeefu);
	assert_int_equal(e[2].count, PROTO_MAX_CHUNK);
	assert_int_equal(e[2].out_len, UINT64_MAX - 523);
	assert_ptr_equal(journal_find(j, 19), &e[1]);
	assert_int_equal(journal_load(j, &e[1], &items, &len),
			 STATUS_ERR_INVAL);
	assert_int_equal(journal_load(j, &e[0], &items, &len), STATUS_OK);
	assert_int_equal(len, 40);
	assert_int_equal(journal_close(j), STATUS_OK);

	unsigned char *full = slurp(f->path, &len);
	long last = mid + JOURNAL_RECORD_FIXED + JOURNAL_PLACED_LEN +
		JOURNAL_CRC_BYTES;
	for (long cut = last; cut < end; cut++) { /* torn last record */
		spit(f->path, full, (size_t)cut);
		assert_int_equal(reopen(f, &info, NULL), STATUS_OK);
		assert_int_equal(info.records, 2);
		assert_int_equal(info.tail_dropped, (uint64_t)(cut - last));
	}
	for (long b = mid; b < last; b++) { /* the placed record, mid-file */
		full[b] ^= 0x10;
		spit(f->path, full, len);
		full[b] ^= 0x10;
		assert_int_equal(reopen(f, NULL, NULL), STATUS_ERR_CORRUPT);
	}
	/* an FZJP record whose length is not JOURNAL_PLACED_LEN is not a
	   record, however good its CRC */
	full[mid + 4] = JOURNAL_PLACED_LEN - 1;
	spit(f->path, full, (size_t)last);
	assert_int_equal(reopen(f, &info, NULL), STATUS_OK);
	assert_int_equal(info.records, 1);
	free(full);
}

static void options_base(struct options *o)
{
	memset(o, 0, sizeof *o);
	mpz_init_set_str(o->start, "999999999999", 10);
	mpz_init_set_ui(o->step, 2);
	o->generated = 1;
	o->count = 999;
	o->max_digits = 10000;
	o->seed = 1;
	o->chunk = 43;
}

/* The identity pins the numbers and the output options, nothing else. */
static void identity_from_options(void **state)
{
	struct fixture *f = *state;
	struct options o;
	struct journal_id a, b;

	options_base(&o);
	assert_int_equal(journal_id_from_options(&a, &o, f->err, sizeof f->err),
			 STATUS_OK);
	assert_non_null(strstr(a.desc, "start=999999999999"));
	o.chunk = 7;
	o.prefetch = 3;
	o.output = "elsewhere";
	journal_id_from_options(&b, &o, f->err, sizeof f->err);
	assert_string_equal(a.desc, b.desc);
	assert_true(a.hash == b.hash);
	o.count = 1000;
	journal_id_from_options(&b, &o, f->err, sizeof f->err);
	assert_true(a.hash != b.hash);
	o.count = 999;
	o.exponents = 1;
	journal_id_from_options(&b, &o, f->err, sizeof f->err);
	assert_true(a.hash != b.hash);
	o.exponents = 0;
	o.format = CLI_FORMAT_JSON;
	journal_id_from_options(&b, &o, f->err, sizeof f->err);
	assert_true(a.hash != b.hash);
	o.format = CLI_FORMAT_TEXT;

	/* verbose-text-same-job: --verbose changes no byte of text output,
	   -h none of JSON or CSV: neither makes another job */
	o.verbose = 1;
	journal_id_from_options(&b, &o, f->err, sizeof f->err);
	assert_string_equal(a.desc, b.desc);
	o.verbose = 0;
	o.format = CLI_FORMAT_JSON;
	journal_id_from_options(&a, &o, f->err, sizeof f->err);
	o.exponents = 1;
	journal_id_from_options(&b, &o, f->err, sizeof f->err);
	assert_string_equal(a.desc, b.desc);
	o.exponents = 0;
	o.verbose = 1; /* but JSON --verbose adds rank and seconds */
	journal_id_from_options(&b, &o, f->err, sizeof f->err);
	assert_true(a.hash != b.hash);
	o.verbose = 0;
	o.format = CLI_FORMAT_CSV;
	journal_id_from_options(&a, &o, f->err, sizeof f->err);
	o.exponents = 1;
	journal_id_from_options(&b, &o, f->err, sizeof f->err);
	assert_string_equal(a.desc, b.desc);
	o.exponents = 0;
	o.format = CLI_FORMAT_TEXT;
	journal_id_from_options(&a, &o, f->err, sizeof f->err);

	/* File input: hashed by content. */
	o.generated = 0;
	o.input = f->path;
	spit(f->path, (const unsigned char *)"12\n13\n", 6);
	assert_int_equal(journal_id_from_options(&a, &o, f->err, sizeof f->err),
			 STATUS_OK);
	spit(f->path, (const unsigned char *)"12\n14\n", 6);
	journal_id_from_options(&b, &o, f->err, sizeof f->err);
	assert_true(a.hash != b.hash);
	o.input = "-";
	assert_int_equal(journal_id_from_options(&b, &o, f->err, sizeof f->err),
			 STATUS_ERR_INVAL);
	assert_non_null(strstr(f->err, "standard input"));
	o.input = "/nonexistent/file";
	assert_int_equal(journal_id_from_options(&b, &o, f->err, sizeof f->err),
			 STATUS_ERR_IO);

	/* Positional arguments: "1 23" and "12 3" differ. */
	char a1[] = "1", a2[] = "23", b1[] = "12", b2[] = "3";
	char *va[] = { a1, a2 }, *vb[] = { b1, b2 };
	o.input = NULL;
	o.numbers = va;
	o.n_numbers = 2;
	journal_id_from_options(&a, &o, f->err, sizeof f->err);
	o.numbers = vb;
	journal_id_from_options(&b, &o, f->err, sizeof f->err);
	assert_true(a.hash != b.hash);
	mpz_clear(o.start);
	mpz_clear(o.step);
}

/* identity-diff-in-words: each key named as the option the user typed */
static void identity_diff_words(void **state)
{
	char out[512];
	const char *base = "numbers=range start=5 step=2 count=10 "
			   "format=text exponents=0 verbose=0 unordered=0 "
			   "time_limit=3600 max_digits=10000 seed=1";

	(void)state;
	journal_id_diff(base, base, out, sizeof out);
	assert_non_null(strstr(out, "does not match"));
	journal_id_diff(base,
			"numbers=range start=5 step=2 count=10 "
			"format=json exponents=0 verbose=1 unordered=0 "
			"time_limit=60 max_digits=10000 seed=7",
			out, sizeof out);
	assert_string_equal(out,
			    "--format was text, is json now; "
			    "--verbose was off, is on now; "
			    "--time-limit-per-number was 3600, is 60 now; "
			    "--seed was 1, is 7 now");
	journal_id_diff(base,
			"numbers=file input=bytes:6:fnv64:ab "
			"format=text",
			out, sizeof out);
	assert_non_null(strstr(out,
			       "numbers came from --count, this run's "
			       "from an --input file"));
	journal_id_diff("numbers=file input=bytes:6:fnv64:ab",
			"numbers=file input=bytes:7:fnv64:cd", out, sizeof out);
	assert_string_equal(out,
			    "the --input file is not the one "
			    "journaled (6 bytes then, 7 now)");
	journal_id_diff("numbers=file input=bytes:6:fnv64:ab",
			"numbers=file input=bytes:6:fnv64:cd", out, sizeof out);
	assert_non_null(strstr(out, "contents changed"));
	journal_id_diff("numbers=args args=n:2:fnv64:ab",
			"numbers=args args=n:3:fnv64:cd", out, sizeof out);
	assert_non_null(strstr(out, "(2 then, 3 now)"));
	/* cut to size, still terminated */
	journal_id_diff(base, "numbers=range start=6 step=3 count=11", out, 20);
	assert_int_equal(strlen(out), 19);
}

/*
 * An --input read only once (a FIFO, a device, /dev/stdin on a pipe)
 * cannot be replayed by a resumed run, and hashing it for the identity
 * would use it up (issue 14: every number lost): refused, naming it; a
 * regular file reached through a symbolic link is fine.
 */
static void identity_refuses_streams(void **state)
{
	struct fixture *f = *state;
	struct options o;
	struct journal_id id;
	char fifo[160], link[160];

	options_base(&o);
	o.generated = 0;
	/* a device first: without the check it hashes (a FIFO would hang) */
	o.input = "/dev/null";
	assert_int_equal(
		journal_id_from_options(&id, &o, f->err, sizeof f->err),
		STATUS_ERR_INVAL);
	assert_non_null(strstr(f->err, "regular"));
	snprintf(fifo, sizeof fifo, "%s/fifo", f->dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	o.input = fifo;
	assert_int_equal(
		journal_id_from_options(&id, &o, f->err, sizeof f->err),
		STATUS_ERR_INVAL);
	assert_non_null(strstr(f->err, fifo));
	spit(f->path, (const unsigned char *)"12\n", 3);
	snprintf(link, sizeof link, "%s/link", f->dir);
	assert_int_equal(symlink(f->path, link), 0);
	o.input = link;
	assert_int_equal(
		journal_id_from_options(&id, &o, f->err, sizeof f->err),
		STATUS_OK);
	mpz_clear(o.start);
	mpz_clear(o.step);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(crc32c_check_value),
		cmocka_unit_test(crc32c_paths_agree),
		cmocka_unit_test(identity_diff_words),
		cmocka_unit_test_setup_teardown(identity_refuses_streams, setup,
						teardown),
		cmocka_unit_test_setup_teardown(create_then_reopen_empty, setup,
						teardown),
		cmocka_unit_test_setup_teardown(round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(torn_tail_every_offset, setup,
						teardown),
		cmocka_unit_test_setup_teardown(flipped_byte_last_record, setup,
						teardown),
		cmocka_unit_test_setup_teardown(flipped_byte_middle_record,
						setup, teardown),
		cmocka_unit_test_setup_teardown(header_corruption, setup,
						teardown),
		cmocka_unit_test_setup_teardown(version_mismatch, setup,
						teardown),
		cmocka_unit_test_setup_teardown(identity_mismatch, setup,
						teardown),
		cmocka_unit_test_setup_teardown(empty_file_and_must_exist,
						setup, teardown),
		cmocka_unit_test_setup_teardown(torn_header, setup, teardown),
		cmocka_unit_test_setup_teardown(garbage_header, setup,
						teardown),
		cmocka_unit_test_setup_teardown(append_rejects_overlap, setup,
						teardown),
		cmocka_unit_test_setup_teardown(duplicate_and_overlap_in_file,
						setup, teardown),
		cmocka_unit_test_setup_teardown(lock_held, setup, teardown),
		cmocka_unit_test_setup_teardown(many_records_sync, setup,
						teardown),
		cmocka_unit_test_setup_teardown(placed_records, setup,
						teardown),
		cmocka_unit_test_setup_teardown(placed_record_replaced, setup,
						teardown),
		cmocka_unit_test_setup_teardown(result_block_round_trip, setup,
						teardown),
		cmocka_unit_test_setup_teardown(identity_from_options, setup,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
