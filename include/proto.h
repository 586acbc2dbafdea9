/*
 * proto.h - the wire protocol between rank 0 (master) and the workers.
 *
 * This header is the single source of truth: the tags, the version, the
 * size caps, the byte layout of every message and the conversation.  No
 * numeric tag literal appears anywhere else.  The codec (proto.c) is pure:
 * it packs to and unpacks from byte buffers, never calls MPI, and rejects
 * anything truncated, oversized or inconsistent with STATUS_ERR_PROTO.
 *
 * THE CONVERSATION
 *
 * 1. The master sends every worker one CONFIG message (protocol version,
 *    engine seed and time limit, prefetch depth, test-only fault flags).
 *    A worker whose version differs answers ERROR and stops.
 * 2. Each worker answers with one REQUEST carrying its credit: how many
 *    chunks it wants in hand at once (1 plus the prefetch depth).  The
 *    master sends up to that many WORK messages.  Later a worker may send
 *    another REQUEST with a larger credit (never smaller, at most
 *    PROTO_ADAPTIVE_CREDIT unless CONFIG asked for more): it does so when
 *    it waited for a WORK longer than its last chunk took, i.e. its
 *    chunks are too short to hide the round trip (adaptive prefetch).
 * 3. A worker factors its oldest chunk while the next one waits in its
 *    inbox (prefetch: it never idles for a round trip), checks every
 *    result with the --verify rule and formats it, then sends RESULT: the
 *    chunk's output block.  Rank 0 checks the block's line count, parses
 *    back a sample of its lines (block.h) and later copies its bytes to
 *    the output: per chunk, not per number.  A RESULT doubles as the
 *    request for one more chunk: the master answers it with a WORK while
 *    work remains.
 * 4. When no work is left to hand out and a worker holds no chunk, the
 *    master sends STOP (reason DONE).  The worker replies with one STATS
 *    message and leaves its loop; the master finishes once every worker has
 *    sent STATS.  Near the end the master may re-issue a chunk that is
 *    still outstanding to an idle worker (speculation); the first verified
 *    RESULT for a chunk wins, later duplicates are dropped.
 * 5. On a signal or a fatal error the master sends STOP (reason ABORT) to
 *    every worker.  A worker abandons its chunks, replies STATS and leaves.
 * 6. A worker that cannot go on (bad message, out of memory) sends ERROR
 *    with a status and a text and then waits for STOP.
 * 3a. Byte ranges (--input FILE, a regular file, flat layout, no
 *    --checkpoint): rank 0 cuts the file at line ends (input_cut) and
 *    sends WORK in BYTES form: the range and the file's size, never the
 *    numbers.  The worker opens the file itself (the path must be
 *    readable on its node), checks the size, parses the range and
 *    factors what it finds; it sends one INPUT message (the range's
 *    newline count and its bad tokens with their lines counted from 1 at
 *    the range's start) and then the chunk's RESULT, whose count is the
 *    numbers it found (0 for a range of comments and blank lines).  A
 *    BYTES chunk counts as one item in the scheduler (header count 1).
 *    Rank 0 keeps the INPUT of the worker's last chunk until its RESULT;
 *    when it releases the chunk in input order it prints the bad tokens
 *    with the line number the range starts at added, then adds the
 *    newline count to it.  A re-issued range is simply read again.
 * 3b. Workers write the output file (--output FILE to a regular file,
 *    flat layout, --verify sample or none; with --checkpoint only without
 *    --unordered and --verbose JSON or CSV): after CONFIG
 *    rank 0 sends every worker FILE, the temporary name of the output;
 *    each worker opens it for itself (MPI-IO on MPI_COMM_SELF; the path
 *    must be on a file system every node sees).  A worker then answers a
 *    chunk with HELD instead of RESULT: RESULT's fixed part (block_len is
 *    the length of the block it keeps), the block's CRC-32C and the
 *    sampled lines of block.h, not the block.  Rank 0 checks the sample as it checks a block; when
 *    every earlier block's length is known (in input order; at once with
 *    --unordered) it sends OFFSET: where the block goes in the file.  The
 *    worker writes it there (MPI_File_write_at), frees it and answers
 *    WRITTEN; under --checkpoint rank 0 then journals the block's place
 *    and CRC (journal.h placed record).  A HELD that loses (a speculative duplicate, or a sample
 *    that fails) gets OFFSET PROTO_OFFSET_DROP: the worker frees the block
 *    unwritten and answers nothing.  Rank 0 sends a worker STOP only when
 *    it has placed or dropped every block the worker holds; a worker
 *    closes the file before its STATS, so when rank 0 has every STATS all
 *    the bytes are in the file and it renames it.  Rank 0 copies no byte
 *    of the output (only the CSV header, before any block).
 * 6a. While a worker factors a chunk it sends HEARTBEAT at most every
 *    PROTO_HEARTBEAT_NS (from the engine's stop hook, non-blocking): the
 *    chunk and how long it has taken so far.  The master answers nothing;
 *    it moves the worker's deadline (sched.h, liveness).  A worker that
 *    the master heard nothing from for its deadline is late: its chunks
 *    are handed to other workers at once and it gets no more work until
 *    its next message; its RESULTs still count if they come first.  At
 *    the end the master does not wait for a late worker's STATS: it
 *    names it and ends the job with MPI_Abort once the output is
 *    complete (CLI_EXIT_HUNG).  A leader keeps its members' deadlines
 *    the same way (step 11) and sends rank 0 HEARTBEATs of its own.
 *
 * SHARED NUMBERS (flat layout only, two workers or more; proto.h 12-15)
 *
 *   owner  -- SHARE open --> rank 0 -- JOIN --> helper
 *   helper -- RELS ... ----------------------> owner    (worker to worker)
 *   owner  -- SHARE closed -> rank 0 -- LEAVE --> helper -- LEAVE --> rank 0
 *
 * 12. A worker whose engine starts the sieve (SIQS) on a number of at
 *    least COOP_MIN_DIGITS digits (coop.h) sends rank 0 SHARE (open):
 *    its own id for this sieve run and the number sieved (a cofactor of
 *    the chunk's number, not a line of the input).  When the run ends
 *    (found, stopped, given up) it sends SHARE (closed) with the same id.
 * 13. A worker that holds no chunk and would otherwise wait (the input is
 *    used up: the scheduler has nothing for it) is sent JOIN for an open
 *    shared number, the one with the fewest helpers (rank 0 spreads
 *    them): the owner's rank, the share id, a helper id (1, 2, ... per
 *    share) and the number.  The helper sieves it (siqs.h helper mode:
 *    the same factor base, its own A's from the helper id) and streams
 *    RELS to the owner: batches of packed relations in the wire format
 *    of include/siqs.h.  The owner checks every relation before use (a
 *    helper is not trusted), so a wrong or late helper costs time, never
 *    a result.  Results are identical whoever helped.
 * 14. A helper stops at any message from rank 0: LEAVE (rank 0 sends it
 *    when the owner closed the share, or when the owner went late,
 *    proto.h 6a), WORK, STOP.  It then waits until every RELS it sent
 *    has been received (the owner drains RELS in every wait and in its
 *    stop hook, and drops those of closed shares; a stopped owner takes
 *    none, so the wait ends after 2 s, coop.c) and answers LEAVE with
 *    the share id: from then on it is an idle worker again (another JOIN,
 *    WORK or STOP may follow; a message that made it stop is handled
 *    next).  Rank 0 sends STOP DONE to no worker while a helper has not
 *    answered LEAVE, so no rank leaves MPI with a RELS in flight to it.
 * 15. With shares on, rank 0 turns the end-game speculation off (step 4):
 *    idle workers join the last numbers instead of repeating them.  A
 *    job with --group-size or a --test-fault has no shares.
 *
 * GROUPS (--group-size G >= 2; 0 is the flat conversation above)
 *
 * Ranks 1 .. P-1 are cut into consecutive groups of G ranks (the last one
 * may be shorter).  The first rank of a group is its leader, the others
 * its members; a group of one rank is a plain worker.  Every rank derives
 * this layout from argv and the MPI size alone (topo.h), so
 * no message is needed to agree on it.
 *
 *   rank 0 <-- CONFIG, REQUEST, WORK, RESULT, STOP, STATS --> leader
 *   leader <-- the same tags, the same codec ----------------> member
 *
 * 7. Upward a leader is a worker: it answers rank 0's CONFIG with one
 *    REQUEST (its credit, 2 + prefetch), receives WORK (rank 0 gives it
 *    chunks weighted by the ranks of its group) and answers each with
 *    exactly one RESULT whose block holds every line of that chunk in
 *    order.
 * 8. Downward a leader is a master: it forwards CONFIG to its members,
 *    splits the upstream chunks into sub-chunks (always LIST form, their
 *    own chunk ids) handed out by the pull protocol of steps 2-4, checks
 *    every member block as rank 0 does (line count, a sample parsed back;
 *    a wrong one is handed to another member or factored by the leader)
 *    and assembles the upstream block from the members' lines, cut at
 *    line ends where a sub-chunk straddles two upstream chunks.  Rank 0
 *    checks a leader's block like any other.
 * 9. STOP from rank 0 (DONE: the leader holds no chunk; ABORT) is passed
 *    on to every member.  The leader then collects one STATS from each
 *    member and sends rank 0 one GROUP_STATS per member, then its own
 *    STATS, which is the last message of the group: rank 0 is done with a
 *    group when it has the leader's STATS.
 * 10. A member's ERROR is passed up by its leader as an ERROR of the
 *    leader whose text names the member.
 * 11. Liveness in a group (6a one level down): a leader judges its
 *    members by their messages and hands a late member's sub-chunks to
 *    the others; it does not wait for a late member's STATS, so its own
 *    STATS comes without that member's GROUP_STATS, and rank 0 names
 *    every member whose GROUP_STATS is missing as hung (CLI_EXIT_HUNG).
 *    While it holds chunks a leader sends rank 0 a HEARTBEAT every
 *    PROTO_HEARTBEAT_NS; rank 0 judges it like any worker and re-issues
 *    a late leader's whole share.
 *
 * ENCODING
 *
 * Integers are little-endian and unaligned, written byte by byte by the
 * codec, so the layout does not depend on the host or on struct padding.
 * A big number is a u32 byte count followed by its magnitude big-endian
 * (mpz_export order 1); zero has byte count 0.  Every message starts with
 * the same 8-byte header:
 *
 *   0       4       6       8
 *   +-------+-------+-------+
 *   | magic |version|  tag  |     magic = PROTO_MAGIC, tag echoes the MPI tag
 *   +-------+-------+-------+
 *
 * CONFIG (master -> worker), body:
 *   u64 seed | u64 time_limit_us (0 = none) | u32 prefetch | u32 fault_flags
 *   | u32 max_number_bytes
 *
 * REQUEST (worker -> master), body:
 *   u32 credit                       1 <= credit <= PROTO_MAX_CREDIT
 *
 * WORK (master -> worker), body:
 *   u64 chunk_id | u64 first_index | u32 count | u8 form | 3 bytes zero
 *   form LIST:  count x { number }
 *   form RANGE: number start | number step   (the numbers start + i*step)
 *   form BYTES: count 1, first_index the range's index, then
 *
 *     24         32         40         48
 *     +----------+----------+----------+
 *     |  offset  |  length  |   size   |
 *     +----------+----------+----------+
 *     bytes [offset, offset + length) of the --input file, cut at line
 *     ends (the last may lack its newline); size: the file's size when
 *     rank 0 cut it (a worker that finds another size fails the job);
 *     length >= 1, offset + length <= size.
 *   1 <= count <= PROTO_MAX_CHUNK
 *
 * RESULT (worker -> master), body: a fixed part of PROTO_RESULT_FIXED
 * bytes, then the chunk's formatted output block:
 *
 *   0          8       12        16         24          28          32
 *   +----------+-------+---------+----------+-----------+-----------+-----
 *   | chunk_id | count | partial | busy_ns  | bad_index | block_len | block
 *   +----------+-------+---------+----------+-----------+-----------+-----
 *   count     numbers in the chunk, 1 <= count <= PROTO_MAX_CHUNK
 *             (0 too for a BYTES range without numbers: block_len 0);
 *   partial   how many of them have a composite part left (<= count);
 *   busy_ns   the worker's time on the chunk;
 *   bad_index PROTO_NO_BAD_INDEX, or the index of the first number whose
 *             result failed the worker's own --verify check: the chunk is
 *             to be recomputed elsewhere, and block_len is 0;
 *   block     block_len bytes (exactly what remains of the message): the
 *             output lines of the count numbers in input order, in the
 *             job's format (text, -h, JSON, CSV, --verbose), one line per
 *             number, each ending in '\n' (the CSV header is not part of
 *             it).  A good block has count newlines and ends with one;
 *             the codec checks only the lengths, block.c the lines.
 *   Every rank formats with the options of the same command line, so
 *   the bytes need no further conversion: rank 0 copies them.
 *
 * STOP (master -> worker), body:
 *   u32 reason (PROTO_STOP_DONE / PROTO_STOP_ABORT)
 *
 * STATS (worker -> master), body:
 *   u64 numbers | u64 chunks | u64 busy_ns | u64 idle_ns | u64 msgs_sent
 *   | u64 msgs_recv | u64 bytes_sent | u64 bytes_recv
 *   | u32 host_len | host (not NUL-terminated, <= PROTO_MAX_HOST, no NUL)
 *   host: the sender's host name (gethostname), so that --stats shows
 *   where every rank ran (a cluster test checks its placement from it).
 *
 * ERROR (worker -> master), body:
 *   i32 status | u32 text_len | text (not NUL-terminated, <= PROTO_MAX_TEXT)
 *
 * HEARTBEAT (worker -> master), body:
 *
 *   0          8            16
 *   +----------+------------+
 *   | chunk_id | elapsed_ns |
 *   +----------+------------+
 *   chunk_id   the chunk being factored;
 *   elapsed_ns how long the worker has been on it.
 *
 * INPUT (worker -> master, just before the RESULT of a BYTES chunk):
 *
 *   0          8          16      20
 *   +----------+----------+-------+---------------------------
 *   | chunk_id | newlines | n_bad | n_bad x bad token
 *   +----------+----------+-------+---------------------------
 *   bad token:
 *   0      8        9       10
 *   +------+--------+-------+-------
 *   | line | reason |  len  | token
 *   +------+--------+-------+-------
 *   newlines  '\n' bytes in the range (the next range starts that many
 *             lines further);
 *   n_bad     <= PROTO_MAX_BAD_TOKENS;
 *   line      1-based, counted from the range's first byte;
 *   reason    PROTO_BAD_SYNTAX or PROTO_BAD_LONG (--max-digits);
 *   token     len <= PROTO_MAX_TOKEN bytes, no NUL: the token as
 *             input_error shows it (escaped, shortened with "...").
 *
 * FILE (master -> worker, 3b), body:
 *   u32 path_len | path (not NUL-terminated, 1 <= path_len <=
 *   PROTO_MAX_PATH, no NUL)
 *
 * HELD (worker -> master, 3b), body: RESULT's fixed part (block_len: the
 * bytes of the block the worker keeps), its CRC, then the sample:
 *
 *   0            32          36         40
 *   +------------+-----------+----------+--------------------------
 *   | RESULT's   | block_crc | n_sample | n_sample x sampled line
 *   | fixed part |           |          |
 *   +------------+-----------+----------+--------------------------
 *   block_crc: CRC-32C (journal_crc32c) of the block_len bytes kept,
 *   which rank 0 journals with the block's place (journal.h placed
 *   records) so that a resumed job can check the file's bytes;
 *   sampled line:
 *   0       4       8
 *   +-------+-------+--------
 *   | index |  len  | line (len bytes, its '\n' included)
 *   +-------+-------+--------
 *   n_sample <= count; indexes strictly increasing, < count; the lines
 *   together at most block_len bytes.  With bad_index set, block_len,
 *   block_crc and n_sample are 0 (nothing is kept).
 *
 * OFFSET (master -> worker) and WRITTEN (worker -> master), 3b, body:
 *
 *   0          8          16         24
 *   +----------+----------+----------+
 *   | chunk_id |  offset  |  length  |
 *   +----------+----------+----------+
 *   OFFSET: write the held block of chunk_id (length bytes) at offset,
 *   or drop it unwritten when offset is PROTO_OFFSET_DROP.  WRITTEN: the
 *   same three fields back once the bytes are written.
 *
 * SHARE (worker -> rank 0, 12), body:
 *
 *   0          8        12
 *   +----------+--------+--------
 *   | share_id |  open  | number
 *   +----------+--------+--------
 *   open      1: the sieve on number starts; 0: it ended, number is 0;
 *   number    (open) 2 <= bytes <= PROTO_MAX_SHARE_BYTES.
 *
 * JOIN (rank 0 -> worker, 13), body:
 *
 *   0          8       12       16
 *   +----------+-------+--------+--------
 *   | share_id | owner | helper | number
 *   +----------+-------+--------+--------
 *   owner     the rank sieving it (>= 1, not the receiver);
 *   helper    >= 1, the helper's A stream (siqs.h params.helper);
 *   number    as in SHARE.
 *
 * RELS (helper -> owner, 13), body:
 *
 *   0          8        12      16
 *   +----------+--------+-------+---------------------
 *   | share_id | helper |  len  | len bytes: a batch
 *   +----------+--------+-------+---------------------
 *   len       1 <= len <= PROTO_MAX_RELS_BYTES, exactly what remains;
 *   batch     whole records of siqs.h's relation wire format.
 *
 * LEAVE (rank 0 -> helper, and the helper's answer, 14), body:
 *   u64 share_id
 *
 * GROUP_STATS (leader -> rank 0), body:
 *   u32 rank | u32 wrong | a STATS body (its 64 fixed bytes and the host)
 *   rank: a member of the sender's group; wrong: that member's RESULTs
 *   that failed the leader's verification.
 */
#ifndef FACTORIZE_PROTO_H
#define FACTORIZE_PROTO_H

#include <stddef.h>
#include <stdint.h>
#include <gmp.h>

#include "engine.h"

enum {
	PROTO_MAGIC = 0x31505a46u, /* "FZP1" read as little-endian bytes */
	PROTO_VERSION = 6,         /* 6: HELD carries the block's CRC;
				      5: shared numbers (SHARE, JOIN,
				      RELS, LEAVE); 4: workers write
				      --output (FILE,
				      HELD, OFFSET, WRITTEN); 3: WORK's
				      BYTES form, the INPUT message, RESULT
				      count 0; 2: RESULT carries a
				      formatted block */
	PROTO_HEADER_BYTES = 8,
	PROTO_RESULT_FIXED = 32, /* RESULT body bytes before the block */
	PROTO_RESULT_BUSY_OFFSET = PROTO_HEADER_BYTES + 16 /* busy_ns */
};

/* RESULT bad_index: every result passed the worker's own check. */
#define PROTO_NO_BAD_INDEX UINT32_MAX

/* MPI tags, from a named base well inside the MPI_TAG_UB minimum (32767). */
enum proto_tag {
	PROTO_TAG_BASE = 7100,
	PROTO_TAG_CONFIG = PROTO_TAG_BASE + 1,
	PROTO_TAG_REQUEST = PROTO_TAG_BASE + 2,
	PROTO_TAG_WORK = PROTO_TAG_BASE + 3,
	PROTO_TAG_RESULT = PROTO_TAG_BASE + 4,
	PROTO_TAG_STOP = PROTO_TAG_BASE + 5,
	PROTO_TAG_STATS = PROTO_TAG_BASE + 6,
	PROTO_TAG_ERROR = PROTO_TAG_BASE + 7,
	PROTO_TAG_GROUP_STATS = PROTO_TAG_BASE + 8,
	PROTO_TAG_HEARTBEAT = PROTO_TAG_BASE + 9,
	PROTO_TAG_INPUT = PROTO_TAG_BASE + 10,
	PROTO_TAG_FILE = PROTO_TAG_BASE + 11,
	PROTO_TAG_HELD = PROTO_TAG_BASE + 12,
	PROTO_TAG_OFFSET = PROTO_TAG_BASE + 13,
	PROTO_TAG_WRITTEN = PROTO_TAG_BASE + 14,
	PROTO_TAG_SHARE = PROTO_TAG_BASE + 15,
	PROTO_TAG_JOIN = PROTO_TAG_BASE + 16,
	PROTO_TAG_RELS = PROTO_TAG_BASE + 17,
	PROTO_TAG_LEAVE = PROTO_TAG_BASE + 18,
	PROTO_TAG_LAST = PROTO_TAG_LEAVE
};

/* Caps: anything larger is rejected by pack and unpack alike. */
enum {
	PROTO_MAX_MSG = 64 << 20,  /* bytes in one message */
	PROTO_MAX_CHUNK = 1 << 20, /* numbers in one chunk */
	PROTO_MAX_NUMBER_BYTES = 1
		<< 20,              /* bytes of one number (~2.5M digits) */
	PROTO_MAX_FACTORS = 4096,   /* distinct factors of one number */
	PROTO_MAX_CREDIT = 64,      /* chunks a worker may hold */
	PROTO_ADAPTIVE_CREDIT = 32, /* credit a worker raises itself to */
	PROTO_MAX_TEXT = 4096,      /* bytes of an ERROR text */
	PROTO_MAX_HOST = 255,       /* bytes of a host name in STATS:
					    POSIX's _POSIX_HOST_NAME_MAX
					    (Linux allows 64) */
	/* bytes of one chunk's items (WORK numbers or RESULT lines) in one
	   message: PROTO_MAX_MSG less the header and the larger fixed body
	   (RESULT's 32 bytes; WORK's is 24); the master cuts chunks of large
	   numbers to fit it (proto_item_bound, sched max_bytes) */
	PROTO_MAX_CHUNK_BYTES = PROTO_MAX_MSG - PROTO_HEADER_BYTES - 32
};

/*
 * A computing worker sends HEARTBEAT at most this often: 1 s is one message
 * per second per rank (nothing next to its RESULTs) and a fifth of the
 * shortest learned deadline (sched.h SCHED_LIVE_FLOOR_NS), so a few lost
 * or delayed beats do not make a live worker late.
 */
enum { PROTO_HEARTBEAT_NS = 1000000000 };

/* proto_item_bound's per-factor and per-line allowances (see there). */
enum { PROTO_LINE_PER_FACTOR = 48, PROTO_LINE_FIXED = 256 };

enum proto_form {
	PROTO_FORM_LIST = 1,
	PROTO_FORM_RANGE = 2,
	PROTO_FORM_BYTES = 3
};

/*
 * INPUT's caps.  PROTO_MAX_TOKEN: input_error.token's 63 bytes.
 * PROTO_MAX_BAD_TOKENS: 2^18 bad tokens of at most 73 bytes each are
 * 19 MB, well inside PROTO_MAX_MSG; a default range (MASTER_RANGE_BYTES,
 * 256 KiB) holds at most 2^17 tokens, so only a line of more than
 * 512 KiB of bad tokens can pass it (the worker then fails the job).
 */
enum { PROTO_MAX_TOKEN = 63, PROTO_MAX_BAD_TOKENS = 1 << 18 };
enum proto_bad_reason { PROTO_BAD_SYNTAX = 1, PROTO_BAD_LONG = 2 };

/* WORK BYTES: a byte range of the --input file. */
struct proto_bytes {
	uint64_t offset, length, size;
};

/* One bad token of an INPUT message. */
struct proto_bad {
	uint64_t line;                   /* 1-based, local to the range */
	uint8_t reason;                  /* enum proto_bad_reason */
	char token[PROTO_MAX_TOKEN + 1]; /* NUL-terminated */
};
/*
 * FILE's path: PATH_MAX on Linux (4096), so any path the master could open
 * fits.  OFFSET's "drop it" value: no block starts at the last byte a u64
 * can address.
 */
enum { PROTO_MAX_PATH = 4096 };
#define PROTO_OFFSET_DROP UINT64_MAX

/*
 * Shared numbers (12-15).  PROTO_MAX_SHARE_BYTES: the sieve takes at most
 * 400 bits (siqs.h), 50 bytes; 64 leaves room.  PROTO_MAX_RELS_BYTES:
 * siqs.h's SIQS_WIRE_MAX_BATCH (worker.c checks they agree).
 */
enum { PROTO_MAX_SHARE_BYTES = 64, PROTO_MAX_RELS_BYTES = 65536 };

/* SHARE and JOIN: a shared number (JOIN's owner and helper 0 in SHARE). */
struct proto_share {
	uint64_t share_id;
	uint32_t open;   /* SHARE: 1 open, 0 closed; JOIN: 1 */
	uint32_t owner;  /* JOIN */
	uint32_t helper; /* JOIN */
};

/* OFFSET and WRITTEN: where a held block goes (3b). */
struct proto_place {
	uint64_t chunk_id, offset, length;
};

enum proto_stop_reason { PROTO_STOP_DONE = 1, PROTO_STOP_ABORT = 2 };

/* Test-only fault injection, set by hidden options, carried in CONFIG. */
enum proto_fault {
	PROTO_FAULT_WRONG_RESULT = 1u << 0, /* worker corrupts the first line
					       of every chunk, after its own
					       check */
	PROTO_FAULT_SLOW = 1u << 1          /* worker sleeps per chunk */
};

/* A growable byte buffer that pack functions append to. */
struct proto_buf {
	unsigned char *data;
	size_t len;
	size_t cap;
};

void proto_buf_init(struct proto_buf *b);
void proto_buf_clear(struct proto_buf *b); /* frees; NULL allowed */
void proto_buf_reset(struct proto_buf *b); /* len = 0, keeps memory */
/* Append len bytes; STATUS_ERR_PROTO past PROTO_MAX_MSG, or NOMEM. */
int proto_buf_append(struct proto_buf *b, const void *data, size_t len);

/* A read cursor over a received message. */
struct proto_reader {
	const unsigned char *data;
	size_t len;
	size_t off;
};

struct proto_config {
	uint64_t seed;
	uint64_t time_limit_us;
	uint32_t prefetch;
	uint32_t fault_flags;
	uint32_t max_number_bytes;
};

struct proto_work_header {
	uint64_t chunk_id;
	uint64_t first_index;
	uint32_t count;
	uint8_t form; /* enum proto_form */
};

struct proto_result_header {
	uint64_t chunk_id;
	uint32_t count;
	uint32_t partial;
	uint64_t busy_ns;
	uint32_t bad_index; /* PROTO_NO_BAD_INDEX: all passed */
	uint32_t block_len;
	uint32_t block_crc; /* HELD only: CRC-32C of the kept block (0 with
			       bad_index set); a RESULT carries none and
			       reads back 0 */
};

struct proto_stats {
	uint64_t numbers, chunks, busy_ns, idle_ns;
	uint64_t msgs_sent, msgs_recv, bytes_sent, bytes_recv;
	char host[PROTO_MAX_HOST + 1]; /* NUL-terminated; "" when unknown */
};

/*
 * Fill s->host with this process's host name (gethostname; "" when that
 * fails), cut to PROTO_MAX_HOST bytes.  The one system call of this module:
 * every rank that sends STATS and rank 0 itself name their host the same
 * way.
 */
void proto_stats_host(struct proto_stats *s);

/*
 * Packing.  Each *_pack function resets b and writes one whole message;
 * the begin/add pairs build messages item by item (the header count is
 * written by begin and must match the items added).  All return STATUS_OK,
 * STATUS_ERR_NOMEM, or STATUS_ERR_PROTO when a cap would be exceeded.
 */
int proto_pack_config(struct proto_buf *b, const struct proto_config *c);
int proto_pack_request(struct proto_buf *b, uint32_t credit);
int proto_pack_work_begin(struct proto_buf *b,
			  const struct proto_work_header *h);
int proto_pack_work_number(struct proto_buf *b, const mpz_t n); /* LIST */
int proto_pack_work_range(struct proto_buf *b, const mpz_t start,
			  const mpz_t step); /* RANGE */
/* BYTES, right after proto_pack_work_begin. */
int proto_pack_work_bytes(struct proto_buf *b, const struct proto_bytes *y);
/* INPUT: begin with n_bad, then exactly n_bad proto_pack_input_bad. */
int proto_pack_input_begin(struct proto_buf *b, uint64_t chunk_id,
			   uint64_t newlines, uint32_t n_bad);
int proto_pack_input_bad(struct proto_buf *b, const struct proto_bad *t);
/* A whole RESULT: the fixed part from h, then h->block_len bytes. */
int proto_pack_result(struct proto_buf *b, const struct proto_result_header *h,
		      const void *block);
/*
 * The most bytes one number of `bits` bits can take in a chunk, whatever
 * its factors and the output format: its LIST form in WORK (4 + bits/8 + 1)
 * or its output line in RESULT, whichever is larger.  A line holds n and
 * its factors in decimal (each at most 0.3047 bits + 1 digits: 78/256 >
 * log10 2); without -h a factor is written once per exponent, and the
 * repeated factors' digits add up to at most n's digits plus one per
 * prime factor (at most `bits` of them), each with a separator; with
 * exponents or JSON/CSV every distinct factor (at most
 * min(bits, PROTO_MAX_FACTORS)) adds at most PROTO_LINE_PER_FACTOR bytes
 * of markup and exponent; PROTO_LINE_FIXED covers the rest of the line
 * (status, cofactor markup, --verbose's rank and seconds).
 */
size_t proto_item_bound(size_t bits);
int proto_pack_stop(struct proto_buf *b, uint32_t reason);
int proto_pack_stats(struct proto_buf *b, const struct proto_stats *s);
int proto_pack_error(struct proto_buf *b, int status, const char *text);
int proto_pack_heartbeat(struct proto_buf *b, uint64_t chunk_id,
			 uint64_t elapsed_ns);

/*
 * Reading a received message: one call per message.  Each checks the
 * header (magic, version, the message's own tag, length) and decodes the
 * body whole, trailing bytes rejected.  WORK, INPUT and HELD carry items:
 * their call decodes the fixed part into the caller's reader r, and the
 * items follow with the part readers below (WORK: count
 * proto_unpack_work_number then proto_reader_end, or one
 * proto_unpack_work_range / proto_unpack_work_bytes; INPUT: n_bad
 * proto_unpack_input_bad then proto_reader_end; HELD: n_sample
 * proto_unpack_held_line then proto_reader_end).  proto_read_place reads
 * OFFSET or WRITTEN, as tag says.  All return STATUS_OK or
 * STATUS_ERR_PROTO.  Pointers into the message (block, line) are valid
 * while the message is.
 */
int proto_read_config(const void *msg, size_t len, struct proto_config *c);
int proto_read_request(const void *msg, size_t len, uint32_t *credit);
int proto_read_work(struct proto_reader *r, const void *msg, size_t len,
		    struct proto_work_header *h);
int proto_read_input(struct proto_reader *r, const void *msg, size_t len,
		     uint64_t *chunk_id, uint64_t *newlines, uint32_t *n_bad);
int proto_read_result(const void *msg, size_t len,
		      struct proto_result_header *h,
		      const unsigned char **block);
int proto_read_held(struct proto_reader *r, const void *msg, size_t len,
		    struct proto_result_header *h, uint32_t *n_sample);
int proto_read_stop(const void *msg, size_t len, uint32_t *reason);
int proto_read_stats(const void *msg, size_t len, struct proto_stats *s);
int proto_read_heartbeat(const void *msg, size_t len, uint64_t *chunk_id,
			 uint64_t *elapsed_ns);
/* text receives at most text_size - 1 bytes and is NUL-terminated. */
int proto_read_error(const void *msg, size_t len, int *status, char *text,
		     size_t text_size);
/* path receives at most path_size - 1 bytes and is NUL-terminated. */
int proto_read_file(const void *msg, size_t len, char *path, size_t path_size);

/*
 * The parts, on a reader: proto_reader_init checks the header against the
 * expected tag; the rest validate every length against what remains,
 * every count against its cap, and reject trailing bytes at *_end.  The
 * proto_read_* calls above are built from them; the item readers (work
 * numbers, range, bytes; input bad tokens; held lines) are the ones a
 * receiver calls itself.  All return STATUS_OK or STATUS_ERR_PROTO
 * (STATUS_ERR_NOMEM from GMP is not caught: GMP aborts on allocation
 * failure).
 */
int proto_reader_init(struct proto_reader *r, const void *data, size_t len,
		      int expected_tag);
int proto_unpack_config(struct proto_reader *r, struct proto_config *c);
int proto_unpack_request(struct proto_reader *r, uint32_t *credit);
int proto_unpack_work_header(struct proto_reader *r,
			     struct proto_work_header *h);
int proto_unpack_work_number(struct proto_reader *r, mpz_t n);
int proto_unpack_work_range(struct proto_reader *r, mpz_t start, mpz_t step);
int proto_unpack_work_bytes(struct proto_reader *r, struct proto_bytes *y);
/* INPUT: then n_bad proto_unpack_input_bad and proto_reader_end. */
int proto_unpack_input_begin(struct proto_reader *r, uint64_t *chunk_id,
			     uint64_t *newlines, uint32_t *n_bad);
int proto_unpack_input_bad(struct proto_reader *r, struct proto_bad *t);
/*
 * The fixed part into h; *block points at the h->block_len block bytes
 * inside the message (valid while the message is).  Consumes the rest.
 */
int proto_unpack_result(struct proto_reader *r, struct proto_result_header *h,
			const unsigned char **block);
int proto_unpack_stop(struct proto_reader *r, uint32_t *reason);
int proto_unpack_stats(struct proto_reader *r, struct proto_stats *s);
int proto_unpack_heartbeat(struct proto_reader *r, uint64_t *chunk_id,
			   uint64_t *elapsed_ns);
/* text receives at most text_size - 1 bytes and is NUL-terminated. */
int proto_unpack_error(struct proto_reader *r, int *status, char *text,
		       size_t text_size);
/* STATUS_OK when every byte was consumed, STATUS_ERR_PROTO otherwise. */
int proto_reader_end(const struct proto_reader *r);

/* GROUP_STATS: a member's STATS relayed by its leader. */
struct proto_group_stats {
	uint32_t rank;
	uint32_t wrong;
	struct proto_stats s;
};

int proto_pack_group_stats(struct proto_buf *b,
			   const struct proto_group_stats *g);
int proto_unpack_group_stats(struct proto_reader *r,
			     struct proto_group_stats *g);
int proto_read_group_stats(const void *msg, size_t len,
			   struct proto_group_stats *g);

/* FILE: path is NUL-terminated; unpack fills path_size - 1 at most. */
int proto_pack_file(struct proto_buf *b, const char *path);
int proto_unpack_file(struct proto_reader *r, char *path, size_t path_size);
/* HELD: begin with the fixed part and n_sample, then exactly n_sample
   lines in increasing index order. */
int proto_pack_held_begin(struct proto_buf *b,
			  const struct proto_result_header *h,
			  uint32_t n_sample);
int proto_pack_held_line(struct proto_buf *b, uint32_t index, const void *line,
			 uint32_t len);
int proto_unpack_held_begin(struct proto_reader *r,
			    struct proto_result_header *h, uint32_t *n_sample);
/* *line points into the message (valid while it is). */
int proto_unpack_held_line(struct proto_reader *r, uint32_t *index,
			   const unsigned char **line, uint32_t *len);
/* OFFSET and WRITTEN (tag says which). */
int proto_pack_place(struct proto_buf *b, int tag, const struct proto_place *p);
int proto_unpack_place(struct proto_reader *r, struct proto_place *p);
int proto_read_place(const void *msg, size_t len, int tag,
		     struct proto_place *p);

/* SHARE (n is 0 when closed) and JOIN. */
int proto_pack_share(struct proto_buf *b, const struct proto_share *sh,
		     const mpz_t n);
int proto_read_share(const void *msg, size_t len, struct proto_share *sh,
		     mpz_t n);
int proto_pack_join(struct proto_buf *b, const struct proto_share *sh,
		    const mpz_t n);
int proto_read_join(const void *msg, size_t len, struct proto_share *sh,
		    mpz_t n);
/* RELS: *batch points into the message (valid while it is). */
int proto_pack_rels(struct proto_buf *b, uint64_t share_id, uint32_t helper,
		    const void *batch, uint32_t len);
int proto_read_rels(const void *msg, size_t len, uint64_t *share_id,
		    uint32_t *helper, const unsigned char **batch,
		    uint32_t *batch_len);
/* LEAVE, either way. */
int proto_pack_leave(struct proto_buf *b, uint64_t share_id);
int proto_read_leave(const void *msg, size_t len, uint64_t *share_id);

/* "CONFIG", "WORK", ...; "unknown" for anything else. */
const char *proto_tag_name(int tag);

#endif
