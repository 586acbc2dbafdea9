/*
 * fuzz_journal.c - libFuzzer target for the checkpoint journal reader
 * (src/core/journal.c).
 *
 * Purpose: a resumed job reads a journal file that a kill, a full disk or
 * a stray editor may have left in any state.  Here journal_open gets
 * arbitrary file contents, and whatever it accepts is read back the way
 * the master does on --resume, so that a crash, a leak, an out-of-bounds
 * access or an inconsistent index is found.
 *
 * Input layout: byte 0 selects the run, the rest is the file.
 *   bit 0  fix up the CRCs first: the header's, then each record's as far
 *          as the lengths chain (random bytes almost never carry a valid
 *          CRC-32C, so without this the record parser is barely reached)
 *   bit 1  after a successful open, append one valid record, close,
 *          reopen: the reopen must succeed with one more record (the torn
 *          tail really was cut, the append really went after the end)
 *   bit 2  open with JOURNAL_MUST_EXIST
 *
 * The job identity is the fixed description FUZZ_JOURNAL_ID below; the
 * seed corpus (tests/fuzz/gen_corpus.c) writes journals with the same one.
 *
 * Oracle (abort() on failure; libFuzzer reports it as a crash):
 *   - journal_open returns a status from its documented list, and on
 *     failure a NUL-terminated message;
 *   - the index is sorted and non-overlapping, info->records and
 *     info->numbers match it, journal_find finds each entry by its first
 *     and last position;
 *   - journal_load of every entry succeeds (CRC checked again) and its
 *     payload unpacks without reading past its end; a placed entry has
 *     its fixed payload, a range that does not wrap, and journal_load
 *     refuses it.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine.h"
#include "journal.h"
#include "block.h"
#include "output.h"
#include "proto.h"
#include "status.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_JOURNAL_ID "fuzz"

static char fuzz_path[256];
static unsigned char *fuzz_buf;
static size_t fuzz_cap;

static void fuzz_check(int ok)
{
	if (!ok)
		abort();
}

static void fuzz_unlink(void)
{
	unlink(fuzz_path);
	free(fuzz_buf);
}

static const char *fuzz_tmp_path(void)
{
	const char *dir;
	int fd;

	if (fuzz_path[0])
		return fuzz_path;
	dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("TMPDIR");
	if (!dir)
		dir = "/tmp";
	snprintf(fuzz_path, sizeof fuzz_path, "%s/fuzz_journal.XXXXXX", dir);
	fd = mkstemp(fuzz_path);
	fuzz_check(fd >= 0);
	close(fd);
	atexit(fuzz_unlink);
	return fuzz_path;
}

static uint32_t fuzz_get_u32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
		(uint32_t)p[3] << 24;
}

static void fuzz_put_u32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

/* Bit 0: recompute the header CRC and the CRC of each chained record. */
static void fuzz_fix_crcs(unsigned char *b, size_t len)
{
	size_t off, dlen, plen;

	if (len < JOURNAL_HEADER_FIXED)
		return;
	dlen = fuzz_get_u32(b + 12);
	if (dlen >= JOURNAL_MAX_DESC ||
	    len - JOURNAL_HEADER_FIXED < dlen + JOURNAL_CRC_BYTES)
		return;
	off = JOURNAL_HEADER_FIXED + dlen;
	fuzz_put_u32(b + off, journal_crc32c(0, b, off));
	off += JOURNAL_CRC_BYTES;
	while (len - off >= JOURNAL_RECORD_FIXED + JOURNAL_CRC_BYTES) {
		plen = fuzz_get_u32(b + off + 4);
		if (plen > len - off - JOURNAL_RECORD_FIXED - JOURNAL_CRC_BYTES)
			return;
		fuzz_put_u32(b + off + JOURNAL_RECORD_FIXED + plen,
			     journal_crc32c(0, b + off,
					    JOURNAL_RECORD_FIXED + plen));
		off += JOURNAL_RECORD_FIXED + plen + JOURNAL_CRC_BYTES;
	}
}

static void fuzz_write(const char *path, const unsigned char *b, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	fuzz_check(fd >= 0);
	fuzz_check(len == 0 || write(fd, b, len) == (ssize_t)len);
	fuzz_check(close(fd) == 0);
}

/* Walk the index and load every payload, as a resumed master does. */
static void fuzz_read_back(struct journal *j, const struct journal_info *info,
			   struct engine_result *res, uint64_t *end)
{
	const struct journal_entry *e;
	const unsigned char *items;
	struct output_meta meta;
	uint64_t numbers = 0;
	uint32_t k;
	size_t n, i, len;
	mpz_t m;

	e = journal_entries(j, &n);
	fuzz_check(n == info->records);
	*end = 0;
	for (i = 0; i < n; i++) {
		fuzz_check(e[i].count >= 1);
		fuzz_check(e[i].first_index <= UINT64_MAX - e[i].count);
		if (i > 0)
			fuzz_check(e[i - 1].first_index + e[i - 1].count <=
				   e[i].first_index);
		numbers += e[i].count;
		fuzz_check(journal_find(j, e[i].first_index) == &e[i]);
		fuzz_check(journal_find(j, e[i].first_index + e[i].count - 1) ==
			   &e[i]);
		*end = e[i].first_index + e[i].count;
	}
	fuzz_check(numbers == info->numbers);
	mpz_init(m);
	for (i = 0; i < n; i++) {
		if (e[i].placed) { /* the lines are in the output file */
			fuzz_check(e[i].payload_len == JOURNAL_PLACED_LEN);
			fuzz_check(e[i].out_offset <=
				   UINT64_MAX - e[i].out_len);
			fuzz_check(journal_load(j, &e[i], &items, &len) ==
				   STATUS_ERR_INVAL);
			continue;
		}
		fuzz_check(journal_load(j, &e[i], &items, &len) == STATUS_OK);
		fuzz_check(len == e[i].payload_len);
		/* the lines of a block, as replay_chunk cuts them */
		k = block_count_lines(items, len);
		fuzz_check(block_prefix(items, len, k) <= len);
		fuzz_check(block_prefix(items, len, e[i].count) <= len);
		if (k > 0 && items[len - 1] == '\n')
			fuzz_check(block_prefix(items, len, k) == len);
		(void)output_parse((const char *)items,
				   block_prefix(items, len, 1), CLI_FORMAT_TEXT,
				   0, 0, m, res, &meta);
	}
	mpz_clear(m);
}

/* Bit 1: one valid block line, 6 = 2 * 3. */
static void fuzz_item(struct proto_buf *b)
{
	proto_buf_reset(b);
	fuzz_check(proto_buf_append(b, "6: 2 3\n", 7) == STATUS_OK);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct journal_id id;
	struct journal_info info, again;
	struct journal *j = NULL;
	struct engine_result res;
	struct proto_buf item;
	char err[512];
	const char *path;
	unsigned flags;
	uint64_t end;
	int st, mode;

	if (size < 1)
		return 0;
	mode = data[0];
	data++;
	size--;
	if (size > fuzz_cap) {
		unsigned char *p = realloc(fuzz_buf, size);
		fuzz_check(p != NULL);
		fuzz_buf = p;
		fuzz_cap = size;
	}
	if (size > 0)
		memcpy(fuzz_buf, data, size);
	if (mode & 1)
		fuzz_fix_crcs(fuzz_buf, size);
	path = fuzz_tmp_path();
	fuzz_write(path, fuzz_buf, size);

	journal_id_init(&id);
	fuzz_check(journal_id_add(&id, "numbers", FUZZ_JOURNAL_ID) ==
		   STATUS_OK);
	flags = (mode & 4) ? JOURNAL_MUST_EXIST : 0;
	err[0] = '\0';
	st = journal_open(&j, path, &id, flags, &info, err, sizeof err);
	if (st != STATUS_OK) {
		fuzz_check(j == NULL);
		/* STATUS_ERR_INVAL: JOURNAL_MUST_EXIST and nothing to
		   resume (an empty file) */
		fuzz_check(st == STATUS_ERR_MISMATCH ||
			   st == STATUS_ERR_CORRUPT || st == STATUS_ERR_IO ||
			   st == STATUS_ERR_NOMEM ||
			   (st == STATUS_ERR_INVAL &&
			    (flags & JOURNAL_MUST_EXIST)));
		fuzz_check(memchr(err, '\0', sizeof err) != NULL);
		fuzz_check(st == STATUS_ERR_NOMEM || err[0] != '\0');
		journal_id_clear(&id);
		return 0;
	}
	engine_result_init(&res);
	proto_buf_init(&item);
	fuzz_read_back(j, &info, &res, &end);
	if ((mode & 2) && end <= UINT64_MAX - 1) {
		fuzz_item(&item);
		fuzz_check(journal_append(j, 99, end, 1, 1, item.data,
					  item.len) == STATUS_OK);
		fuzz_check(journal_close(j) == STATUS_OK);
		j = NULL;
		st = journal_open(&j, path, &id, JOURNAL_MUST_EXIST, &again,
				  err, sizeof err);
		fuzz_check(st == STATUS_OK);
		fuzz_check(again.records == info.records + 1);
		fuzz_check(again.tail_dropped == 0);
		fuzz_read_back(j, &again, &res, &end);
	}
	fuzz_check(journal_close(j) == STATUS_OK);
	proto_buf_clear(&item);
	engine_result_clear(&res);
	journal_id_clear(&id);
	return 0;
}
