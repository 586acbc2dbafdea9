/*
 * journal.h - the checkpoint journal: an append-only file in which rank 0
 * records every completed chunk, so that a job killed at any moment can be
 * resumed without losing or repeating a result.
 *
 * FILE LAYOUT (integers little-endian, unaligned; CRC-32C Castagnoli)
 *
 * Header record, once at offset 0:
 *   0      4        8        12       16        24
 *   +------+--------+--------+--------+---------+------------+-------+
 *   |magic |version | proto  |desc_len| id_hash | desc bytes | crc32c|
 *   +------+--------+--------+--------+---------+------------+-------+
 *   magic = JOURNAL_MAGIC_HEADER ("FZJH"), version = JOURNAL_VERSION,
 *   proto = PROTO_VERSION (the payload encoding), id_hash = FNV-1a 64 of the
 *   identity description desc (text, see struct journal_id), crc over all
 *   bytes before it.
 *
 * Chunk record, one per completed chunk, appended in completion order:
 *   0      4       8          16            24      28     32
 *   +------+-------+----------+-------------+-------+------+---------+-----+
 *   |magic |plen   | chunk_id | first_index | count | rank | payload |crc32|
 *   +------+-------+----------+-------------+-------+------+---------+-----+
 *   magic = JOURNAL_MAGIC_RECORD ("FZJR"), plen = payload bytes
 *   (<= PROTO_MAX_MSG), count >= 1, rank = the rank that factored it (i32),
 *   payload = the output lines of positions first_index .. + count - 1,
 *   exactly the bytes of the RESULT block they came in (proto.h; one
 *   line per number, each ending in '\n', in the job's format), crc over
 *   magic..payload.  Resume writes these bytes again as they are.
 *
 * Placed record, one per completed chunk whose block a worker wrote into
 * the output file itself (proto.h step 3b): the chunk record's fixed part
 * with magic = JOURNAL_MAGIC_PLACED ("FZJP") and plen =
 * JOURNAL_PLACED_LEN, and instead of the lines where they are:
 *   32            40         48          52      56
 *   +-------------+----------+-----------+-------+
 *   | out_offset  | out_len  | block_crc | crc32 |
 *   +-------------+----------+-----------+-------+
 *   out_offset, out_len = the block's byte range in the output file
 *   (written under its temporary name, see output.h), block_crc = CRC-32C
 *   of those out_len bytes.  The contract for writers and readers: a
 *   placed record is appended only after the block was reported written
 *   (WRITTEN), so a killed process leaves the file holding every range
 *   the journal names; a reader keeps a range only when its CRC matches
 *   and computes the chunk again otherwise (a node crash may lose file
 *   data that the journal kept).
 *
 * THE JOB'S IDENTITY
 *
 * A journal belongs to one job: the numbers and every option that changes
 * the bytes of the output or which numbers are valid.  journal_id_from_options
 * builds a canonical text from struct options:
 *   the numbers: "range start=S step=K count=N", or "file bytes=B
 *     fnv64=H" over the input file's bytes (only a regular file: stdin,
 *     a pipe, a FIFO or a device is read once and cannot be replayed),
 *     or "args n=N fnv64=H" over the positional arguments;
 *   the options: format, exponents, verbose, unordered, time_limit,
 *     max_digits, seed (the last two matter only with a time limit or for
 *     validity, but are cheap to pin).  exponents and verbose are the
 *     values in effect: -h counts only for text, --verbose only for JSON
 *     and CSV, so an option the format ignores never makes a journal
 *     another job's.
 * Not part of the identity (may change between runs of one job): rank
 * count, --chunk, --prefetch, --output, --stats, --progress, --quiet,
 * --verify.  A journal whose version, item encoding or identity hash
 * differs is refused with STATUS_ERR_MISMATCH; err then says in words
 * what differs (journal_id_diff).
 *
 * DURABILITY (the loss window)
 *
 * Each record is written with one write(2) of the whole record, so after
 * journal_append returns, a SIGKILL of the process loses nothing: the
 * bytes are in the kernel.  fdatasync(2) runs when JOURNAL_SYNC_MS have
 * passed or JOURNAL_SYNC_RECORDS records were appended since the last one
 * (checked at each append), and on journal_sync / journal_close.  So:
 *   process killed (SIGKILL, OOM, srun teardown): lost = chunks in flight;
 *   node crash / power loss: lost = chunks in flight + records appended in
 *   the last unsynced interval (<= JOURNAL_SYNC_MS or JOURNAL_SYNC_RECORDS).
 *
 * READING
 *
 * journal_open validates every record.  A bad last record (torn: shorter
 * than its length says; or its CRC fails and no valid record follows it)
 * is what a kill during a write leaves: it is ignored and truncated away
 * before anything is appended (info->tail_dropped says how many bytes).
 * A bad record followed by a valid one is corruption in the middle:
 * STATUS_ERR_CORRUPT with the offset in err.  Two records covering
 * overlapping positions are corrupt too, except records of exactly the
 * same positions: the last one in the file counts (an exact duplicate,
 * or a placed block written again after its bytes failed their CRC).  The records are indexed by first_index (about 40 bytes per
 * chunk in memory); journal_find answers "is position i done" and
 * journal_load reads one record's payload back (its CRC checked again).
 *
 * Ownership: journal_open allocates a journal that journal_close frees
 * (NULL allowed).  A struct journal_id is init/clear.  Pure module: no
 * MPI, never prints, never exits.  The file is locked (fcntl F_SETLK) so a
 * second job cannot append to it at the same time.
 */
#ifndef FACTORIZE_JOURNAL_H
#define FACTORIZE_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#include "cli.h"

enum {
	JOURNAL_MAGIC_HEADER = 0x484a5a46u, /* "FZJH" as little-endian bytes */
	JOURNAL_MAGIC_RECORD = 0x524a5a46u, /* "FZJR" */
	JOURNAL_MAGIC_PLACED = 0x504a5a46u, /* "FZJP" */
	JOURNAL_VERSION = 2,                /* 2: placed records */
	JOURNAL_PLACED_LEN = 20,   /* placed payload: offset, length, crc */
	JOURNAL_HEADER_FIXED = 24, /* header bytes before desc */
	JOURNAL_RECORD_FIXED = 32, /* record bytes before the payload */
	JOURNAL_CRC_BYTES = 4,
	JOURNAL_MAX_DESC = 1024,  /* identity description, bytes */
	JOURNAL_SYNC_MS = 200,    /* fdatasync at most this long apart */
	JOURNAL_SYNC_RECORDS = 64 /* ... or after this many records */
};

/* journal_open flags. */
enum journal_flag {
	JOURNAL_MUST_EXIST = 1 << 0 /* --resume: no journal is an error */
};

/* The identity of a job: a canonical description and its hash. */
struct journal_id {
	char desc[JOURNAL_MAX_DESC]; /* NUL-terminated */
	uint64_t hash;               /* FNV-1a 64 of desc */
};

void journal_id_init(struct journal_id *id);  /* empty description */
void journal_id_clear(struct journal_id *id); /* NULL allowed */

/*
 * Append "key=value" (space-separated) to the description and rehash.
 * STATUS_OK or STATUS_ERR_RANGE when the description would overflow.
 */
int journal_id_add(struct journal_id *id, const char *key, const char *value);

/*
 * The identity of the job o describes (see THE JOB'S IDENTITY): reads the
 * whole --input file to hash it.  STATUS_OK; STATUS_ERR_INVAL for stdin
 * or an --input that is not a regular file (err says so); STATUS_ERR_IO
 * when the file cannot be read.
 */
int journal_id_from_options(struct journal_id *id, const struct options *o,
			    char *err, size_t err_size);

/*
 * What differs between two identity descriptions, in words for the
 * user ("--verbose was off, is on now; --seed was 1, is 7 now"), into
 * out (always NUL-terminated, cut to size).  journal_open's refusal of
 * another job's journal quotes it.
 */
void journal_id_diff(const char *journal_desc, const char *run_desc, char *out,
		     size_t size);

/* One completed chunk as the index knows it. */
struct journal_entry {
	uint64_t chunk_id;
	uint64_t first_index;
	uint32_t count;
	int32_t rank;
	uint64_t offset; /* of the record in the file */
	uint32_t payload_len;
	int placed; /* a placed record: the lines are in the output file */
	uint64_t out_offset, out_len; /* placed: the block's byte range */
	uint32_t block_crc;           /* placed: CRC-32C of that range */
};

/* What journal_open found. */
struct journal_info {
	int created;           /* 1: new (or empty) file, header written */
	size_t records;        /* valid chunk records */
	uint64_t numbers;      /* positions they cover */
	uint64_t tail_dropped; /* bytes of a torn last record truncated away */
	size_t duplicates;     /* exact duplicate records ignored */
	long locked_by; /* lock held elsewhere: that pid, -1 unknown; else 0 */
};

struct journal;

/*
 * Open or create the journal at path for the job id.  A missing or empty
 * file (or one holding only a torn prefix of the header) is created with a
 * header, unless flags has JOURNAL_MUST_EXIST (then STATUS_ERR_INVAL,
 * errno ENOENT: --resume asked for a journal that is not there, the
 * user's mistake).  Otherwise every record is validated and indexed, a torn tail
 * is truncated, and the file is positioned for appending.  info may be
 * NULL.  Returns STATUS_OK, STATUS_ERR_INVAL (JOURNAL_MUST_EXIST and
 * nothing to resume), STATUS_ERR_MISMATCH (other job or version),
 * STATUS_ERR_CORRUPT (bad header, corruption in the middle), STATUS_ERR_IO
 * (open/read/lock failure; "in use" when another process holds it, and
 * then info->locked_by is non-zero: the holder's pid, or -1),
 * STATUS_ERR_NOMEM; err holds a one-line message naming path.
 */
int journal_open(struct journal **j, const char *path,
		 const struct journal_id *id, unsigned flags,
		 struct journal_info *info, char *err, size_t err_size);

/*
 * Append one completed chunk: items is count output lines (a RESULT
 * block or a run of its lines, proto.h), len bytes.  One write(2); fdatasync when the sync interval has passed.
 * STATUS_OK, STATUS_ERR_INVAL (count 0, len too large, positions overlap
 * a recorded chunk), STATUS_ERR_IO (errno kept), STATUS_ERR_NOMEM.
 */
int journal_append(struct journal *j, uint64_t chunk_id, uint64_t first_index,
		   uint32_t count, int32_t rank, const void *items, size_t len);

/*
 * Append one completed chunk whose block of out_len bytes (CRC-32C
 * block_crc) is in the output file at out_offset (a placed record).  The
 * same rules and statuses as journal_append (STATUS_ERR_INVAL also when
 * out_offset + out_len wraps), but for one exception: it replaces a
 * placed record of exactly the same positions (the block was written
 * again, see replay.h), which the index then forgets.
 */
int journal_append_placed(struct journal *j, uint64_t chunk_id,
			  uint64_t first_index, uint32_t count, int32_t rank,
			  uint64_t out_offset, uint64_t out_len,
			  uint32_t block_crc);

/* fdatasync now.  STATUS_OK or STATUS_ERR_IO. */
int journal_sync(struct journal *j);

/*
 * The index: *n entries sorted by first_index, non-overlapping.  Valid
 * until the next journal_append or journal_close.
 */
const struct journal_entry *journal_entries(const struct journal *j, size_t *n);

/* The entry whose positions include index, or NULL (binary search). */
const struct journal_entry *journal_find(const struct journal *j,
					 uint64_t index);

/*
 * Read e's payload back (CRC checked again; STATUS_ERR_INVAL for a placed
 * entry, whose lines are in the output file): *items points into a buffer
 * owned by j, valid until the next journal_load / journal_close.
 * It holds e->count output lines (block_prefix cuts them).
 * STATUS_OK, STATUS_ERR_IO, STATUS_ERR_CORRUPT, STATUS_ERR_NOMEM.
 */
int journal_load(struct journal *j, const struct journal_entry *e,
		 const unsigned char **items, size_t *len);

/*
 * Sync, unlock, close and free (NULL allowed).  STATUS_OK or STATUS_ERR_IO
 * when the final sync or close failed.
 */
int journal_close(struct journal *j);

/* CRC-32C (Castagnoli) of len bytes, continuing from crc (start with 0):
   the CPU's crc32 instruction where it has one, else a table. */
uint32_t journal_crc32c(uint32_t crc, const void *data, size_t len);

/* The same value from the table alone (the tests compare the two). */
uint32_t journal_crc32c_portable(uint32_t crc, const void *data, size_t len);

#endif
