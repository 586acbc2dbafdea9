/*
 * journal.c - the checkpoint journal (format and guarantees in journal.h).
 *
 * Invariants:
 *   - j->end is the offset just past the last valid record; the file is
 *     never longer than j->end once journal_open returns (a torn tail is
 *     truncated first), and every append writes at j->end.
 *   - j->ent[0..n) is sorted by first_index and no two entries share a
 *     position.
 *   - A failed append truncates the file back to j->end, so a later
 *     append never follows half a record.
 *
 * Opening, in order:
 *   1. open (create unless JOURNAL_MUST_EXIST), take an fcntl write lock;
 *   2. an empty file, or a file that is a strict prefix of the header this
 *      job would write (killed during creation), gets a fresh header,
 *      fdatasync'ed, and the directory is fsync'ed so the name survives;
 *   3. otherwise check the header: magic (else CORRUPT), version and item
 *      encoding (else MISMATCH), CRC (else CORRUPT), identity (else
 *      MISMATCH, both descriptions quoted);
 *   4. walk the records: fixed part, magic, length caps, CRC.  At the
 *      first bad record, search the rest of the file for any valid record
 *      (every offset where the magic occurs).  Found: corruption in the
 *      middle, CORRUPT.  Not found: a torn tail, truncated away;
 *   5. sort the index by first_index; of records of exactly the same
 *      positions the last in the file is kept, other overlaps are
 *      CORRUPT.
 *
 * CRC-32C: the Castagnoli polynomial (reflected 0x82F63B78), as in RFC
 * 3720 appendix B.4; check value crc32c("123456789") = 0xE3069283.  On
 * x86-64 CPUs with SSE4.2 (chosen at run time) the crc32 instruction
 * takes 8 bytes a step (Intel, "Fast CRC computation for iSCSI polynomial
 * using CRC32 instruction", 2011): about 0.2 ns a byte against 2.7 for
 * the byte-at-a-time table elsewhere, which matters because every block
 * a worker writes is summed (HELD's block_crc).  Both give the same
 * value (test_journal compares them on random buffers).  Identity hash: FNV-1a 64 (Fowler, Noll, Vo; offset basis
 * 0xcbf29ce484222325, prime 0x100000001b3): not cryptographic, it guards
 * against mistakes, not against an adversary.
 */
#include "journal.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "proto.h"
#include "status.h"

static_assert(JOURNAL_HEADER_FIXED == 4 + 4 + 4 + 4 + 8, "header layout");
static_assert(JOURNAL_RECORD_FIXED == 4 + 4 + 8 + 8 + 4 + 4, "record layout");
static_assert(PROTO_MAX_MSG <= UINT32_MAX, "payload length fits a u32");
static_assert(JOURNAL_PLACED_LEN == 8 + 8 + 4, "placed payload layout");

struct journal {
	int fd;
	char *path;
	uint64_t end; /* offset past the last valid record */
	struct journal_entry *ent;
	size_t n, cap;
	unsigned char *buf; /* journal_load / append scratch */
	size_t buf_cap;
	size_t unsynced; /* records appended since the last sync */
	struct timespec last_sync;
};

/* ---- checksums and hashes ---- */

static uint32_t crc_table[256];
static int crc_ready;

static void crc_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++)
			c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
		crc_table[i] = c;
	}
	crc_ready = 1;
}

uint32_t journal_crc32c_portable(uint32_t crc, const void *data, size_t len)
{
	const unsigned char *p = data;

	if (!crc_ready)
		crc_init();
	crc = ~crc;
	while (len--)
		crc = crc_table[(crc ^ *p++) & 0xffu] ^ (crc >> 8);
	return ~crc;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define JOURNAL_CRC_HW 1
/* The crc32 instruction: 8 bytes a step, the tail a byte at a time. */
__attribute__((target("sse4.2"))) static uint32_t
crc32c_hw(uint32_t crc, const unsigned char *p, size_t len)
{
	uint64_t c = ~crc;

	for (; len >= 8; len -= 8, p += 8) {
		uint64_t v;
		memcpy(&v, p, 8);
		c = __builtin_ia32_crc32di(c, v);
	}
	uint32_t c32 = (uint32_t)c;
	while (len--)
		c32 = __builtin_ia32_crc32qi(c32, *p++);
	return ~c32;
}

static int crc_hw = -1; /* -1: not asked yet */
#endif

uint32_t journal_crc32c(uint32_t crc, const void *data, size_t len)
{
#ifdef JOURNAL_CRC_HW
	if (crc_hw < 0) {
		__builtin_cpu_init();
		crc_hw = __builtin_cpu_supports("sse4.2") != 0;
	}
	if (crc_hw)
		return crc32c_hw(crc, data, len);
#endif
	return journal_crc32c_portable(crc, data, len);
}

static const uint64_t fnv_basis = 0xcbf29ce484222325u;
static const uint64_t fnv_prime = 0x100000001b3u;

static uint64_t fnv1a(uint64_t h, const void *data, size_t len)
{
	const unsigned char *p = data;

	while (len--) {
		h ^= *p++;
		h *= fnv_prime;
	}
	return h;
}

/* ---- little-endian fields ---- */

static void put_u32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static void put_u64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t get_u32(const unsigned char *p)
{
	uint32_t v = 0;
	for (int i = 3; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static uint64_t get_u64(const unsigned char *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

/* ---- identity ---- */

void journal_id_init(struct journal_id *id)
{
	id->desc[0] = '\0';
	id->hash = fnv_basis;
}

void journal_id_clear(struct journal_id *id)
{
	(void)id;
}

int journal_id_add(struct journal_id *id, const char *key, const char *value)
{
	size_t used = strlen(id->desc);
	int w = snprintf(id->desc + used, sizeof id->desc - used, "%s%s=%s",
			 used ? " " : "", key, value);

	if (w < 0 || (size_t)w >= sizeof id->desc - used) {
		id->desc[used] = '\0';
		return STATUS_ERR_RANGE;
	}
	id->hash = fnv1a(fnv_basis, id->desc, strlen(id->desc));
	return STATUS_OK;
}

/* A big number as text, or its hash when it is too long to quote. */
static int id_add_mpz(struct journal_id *id, const char *key, const mpz_t v)
{
	char *s = mpz_get_str(NULL, 10, v);
	char small[64];
	int st;

	if (!s)
		return STATUS_ERR_NOMEM;
	size_t len = strlen(s);
	if (len > 100) {
		snprintf(small, sizeof small, "digits:%zu:fnv64:%016" PRIx64,
			 len, fnv1a(fnv_basis, s, len));
		st = journal_id_add(id, key, small);
	} else {
		st = journal_id_add(id, key, s);
	}
	void (*freefunc)(void *, size_t);
	mp_get_memory_functions(NULL, NULL, &freefunc);
	freefunc(s, len + 1);
	return st;
}

static int hash_file(const char *path, uint64_t *bytes, uint64_t *hash,
		     char *err, size_t err_size)
{
	unsigned char block[1 << 16];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	uint64_t h = fnv_basis, total = 0;
	ssize_t got;

	if (fd < 0) {
		snprintf(err, err_size, "%s: %s", path, strerror(errno));
		return STATUS_ERR_IO;
	}
	while ((got = read(fd, block, sizeof block)) != 0) {
		if (got < 0) {
			if (errno == EINTR)
				continue;
			snprintf(err, err_size, "%s: %s", path,
				 strerror(errno));
			close(fd);
			return STATUS_ERR_IO;
		}
		h = fnv1a(h, block, (size_t)got);
		total += (uint64_t)got;
	}
	close(fd);
	*bytes = total;
	*hash = h;
	return STATUS_OK;
}

int journal_id_from_options(struct journal_id *id, const struct options *o,
			    char *err, size_t err_size)
{
	char v[64];
	int st = STATUS_OK;

	journal_id_init(id);
	if (o->generated) {
		snprintf(v, sizeof v, "%" PRIu64, o->count);
		st = journal_id_add(id, "numbers", "range");
		if (st == STATUS_OK)
			st = id_add_mpz(id, "start", o->start);
		if (st == STATUS_OK)
			st = id_add_mpz(id, "step", o->step);
		if (st == STATUS_OK)
			st = journal_id_add(id, "count", v);
	} else if (o->input) {
		uint64_t bytes, h;
		if (strcmp(o->input, "-") == 0) {
			snprintf(err, err_size,
				 "standard input cannot be "
				 "checkpointed: use --input FILE");
			return STATUS_ERR_INVAL;
		}
		/* A journal is resumed by reading the same numbers again, and
		   its identity hashes them first: a pipe, a FIFO or a device
		   (/dev/stdin, <(...)) is read once, so hashing would use it
		   up and a resumed run could not replay it.  Refused, like
		   standard input; stat follows links (/dev/stdin redirected
		   from a regular file is fine). */
		struct stat sb;
		if (stat(o->input, &sb) == 0 && !S_ISREG(sb.st_mode)) {
			snprintf(err, err_size,
				 "--checkpoint needs a regular "
				 "--input file; %s can be read only once "
				 "(a pipe, FIFO or device), so the job could "
				 "not be resumed: save the numbers to a file "
				 "first",
				 o->input);
			return STATUS_ERR_INVAL;
		}
		st = hash_file(o->input, &bytes, &h, err, err_size);
		if (st != STATUS_OK)
			return st;
		snprintf(v, sizeof v, "bytes:%" PRIu64 ":fnv64:%016" PRIx64,
			 bytes, h);
		st = journal_id_add(id, "numbers", "file");
		if (st == STATUS_OK)
			st = journal_id_add(id, "input", v);
	} else {
		uint64_t h = fnv_basis;
		for (int i = 0; i < o->n_numbers; i++)
			h = fnv1a(h, o->numbers[i],
				  strlen(o->numbers[i]) + 1); /* with NUL */
		snprintf(v, sizeof v, "n:%d:fnv64:%016" PRIx64, o->n_numbers,
			 h);
		st = journal_id_add(id, "numbers", "args");
		if (st == STATUS_OK)
			st = journal_id_add(id, "args", v);
	}

	static const char *const fmt_names[] = { "text", "json", "csv" };
	const char *fmt = o->format >= 0 && o->format < 3 ? fmt_names[o->format]
							  : "other";
	if (st == STATUS_OK)
		st = journal_id_add(id, "format", fmt);
	/* the values in effect: -h changes only text, --verbose only JSON
	   and CSV (the others ignore them and say so, cli_warnings) */
	if (st == STATUS_OK)
		st = journal_id_add(id, "exponents",
				    o->exponents && o->format == CLI_FORMAT_TEXT
					    ? "1"
					    : "0");
	if (st == STATUS_OK)
		st = journal_id_add(
			id, "verbose",
			o->verbose && o->format != CLI_FORMAT_TEXT ? "1" : "0");
	if (st == STATUS_OK)
		st = journal_id_add(id, "unordered", o->unordered ? "1" : "0");
	snprintf(v, sizeof v, "%.17g", o->time_limit);
	if (st == STATUS_OK)
		st = journal_id_add(id, "time_limit", v);
	snprintf(v, sizeof v, "%lu", o->max_digits);
	if (st == STATUS_OK)
		st = journal_id_add(id, "max_digits", v);
	snprintf(v, sizeof v, "%" PRIu64, o->seed);
	if (st == STATUS_OK)
		st = journal_id_add(id, "seed", v);
	if (st != STATUS_OK)
		snprintf(err, err_size, "job identity: %s", status_str(st));
	return st;
}

/* ---- the identity in words ---- */

/*
 * The value of key in a description ("k1=v1 k2=v2 ..."), copied into
 * val; 0 when the key is absent.
 */
static int desc_get(const char *desc, const char *key, char *val, size_t size)
{
	size_t klen = strlen(key);
	const char *p = desc;

	while (*p) {
		const char *end = strchr(p, ' ');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (len > klen && p[klen] == '=' &&
		    strncmp(p, key, klen) == 0) {
			size_t vlen = len - klen - 1;
			if (vlen >= size)
				vlen = size - 1;
			memcpy(val, p + klen + 1, vlen);
			val[vlen] = '\0';
			return 1;
		}
		p += len;
		while (*p == ' ')
			p++;
	}
	return 0;
}

/* Append "; " (unless first) and a formatted phrase to out. */
static void diff_add(char *out, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void diff_add(char *out, size_t size, const char *fmt, ...)
{
	size_t used = strlen(out);
	va_list ap;

	if (used > 0 && used + 2 < size) {
		memcpy(out + used, "; ", 3);
		used += 2;
	}
	if (used + 1 >= size)
		return;
	va_start(ap, fmt);
	vsnprintf(out + used, size - used, fmt, ap);
	va_end(ap);
}

/*
 * The count after prefix in a value such as "bytes:6:fnv64:..." into
 * *out; 0 when v does not start with prefix and digits.
 */
static int desc_count(const char *v, const char *prefix,
		      unsigned long long *out)
{
	size_t len = strlen(prefix);
	char *end;

	if (strncmp(v, prefix, len) != 0 || v[len] < '0' || v[len] > '9')
		return 0;
	errno = 0;
	*out = strtoull(v + len, &end, 10);
	return errno == 0 && *end == ':';
}

/* The words for a source of numbers ("range", "file", "args"). */
static const char *source_words(const char *v)
{
	if (strcmp(v, "range") == 0)
		return "--count";
	if (strcmp(v, "file") == 0)
		return "an --input file";
	if (strcmp(v, "args") == 0)
		return "the command line";
	return v;
}

/* "on"/"off" for a 0/1 flag value. */
static const char *flag_words(const char *v)
{
	return strcmp(v, "1") == 0 ? "on" : strcmp(v, "0") == 0 ? "off" : v;
}

void journal_id_diff(const char *journal_desc, const char *run_desc, char *out,
		     size_t size)
{
	/* key, option as the user knows it, 1: an on/off flag */
	static const struct {
		const char *key, *opt;
		int flag;
	} keys[] = {
		{ "start", "--start", 0 },
		{ "step", "--step", 0 },
		{ "count", "--count", 0 },
		{ "format", "--format", 0 },
		{ "exponents", "-h/--exponents", 1 },
		{ "verbose", "--verbose", 1 },
		{ "unordered", "--unordered", 1 },
		{ "time_limit", "--time-limit-per-number", 0 },
		{ "max_digits", "--max-digits", 0 },
		{ "seed", "--seed", 0 },
	};
	char a[128], b[128];
	unsigned long long na, nb;
	int ha, hb;

	if (size == 0)
		return;
	out[0] = '\0';
	ha = desc_get(journal_desc, "numbers", a, sizeof a);
	hb = desc_get(run_desc, "numbers", b, sizeof b);
	if (ha && hb && strcmp(a, b) != 0) {
		diff_add(out, size,
			 "the journal's numbers came from %s, this "
			 "run's from %s",
			 source_words(a), source_words(b));
	} else if (ha && hb && strcmp(a, "file") == 0 &&
		   desc_get(journal_desc, "input", a, sizeof a) &&
		   desc_get(run_desc, "input", b, sizeof b) &&
		   strcmp(a, b) != 0) {
		/* "bytes:B:fnv64:H" */
		if (desc_count(a, "bytes:", &na) &&
		    desc_count(b, "bytes:", &nb) && na != nb)
			diff_add(out, size,
				 "the --input file is not the one "
				 "journaled (%llu bytes then, %llu now)",
				 na, nb);
		else
			diff_add(out, size,
				 "the --input file's contents "
				 "changed since it was journaled");
	} else if (ha && hb && strcmp(a, "args") == 0 &&
		   desc_get(journal_desc, "args", a, sizeof a) &&
		   desc_get(run_desc, "args", b, sizeof b) &&
		   strcmp(a, b) != 0) {
		/* "n:N:fnv64:H" */
		if (desc_count(a, "n:", &na) && desc_count(b, "n:", &nb) &&
		    na != nb)
			diff_add(out, size,
				 "the numbers on the command line "
				 "differ (%llu then, %llu now)",
				 na, nb);
		else
			diff_add(out, size,
				 "the numbers on the command line "
				 "differ");
	}
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		ha = desc_get(journal_desc, keys[i].key, a, sizeof a);
		hb = desc_get(run_desc, keys[i].key, b, sizeof b);
		if (!ha || !hb || strcmp(a, b) == 0)
			continue;
		diff_add(out, size, "%s was %s, is %s now", keys[i].opt,
			 keys[i].flag ? flag_words(a) : a,
			 keys[i].flag ? flag_words(b) : b);
	}
	if (out[0] == '\0')
		snprintf(out, size,
			 "its identity does not match this run's "
			 "(a journal written by another version?)");
}

/* ---- low-level I/O ---- */

static int pread_full(int fd, void *buf, size_t len, uint64_t off)
{
	unsigned char *p = buf;

	while (len) {
		ssize_t got = pread(fd, p, len, (off_t)off);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			if (got == 0)
				errno = EIO; /* file shorter than checked */
			return STATUS_ERR_IO;
		}
		p += got;
		len -= (size_t)got;
		off += (uint64_t)got;
	}
	return STATUS_OK;
}

static int pwrite_full(int fd, const void *buf, size_t len, uint64_t off)
{
	const unsigned char *p = buf;

	while (len) {
		ssize_t put = pwrite(fd, p, len, (off_t)off);
		if (put < 0 && errno == EINTR)
			continue;
		if (put <= 0)
			return STATUS_ERR_IO;
		p += put;
		len -= (size_t)put;
		off += (uint64_t)put;
	}
	return STATUS_OK;
}

static int buf_reserve(struct journal *j, size_t need)
{
	if (need <= j->buf_cap)
		return STATUS_OK;
	size_t cap = j->buf_cap ? j->buf_cap : 4096;
	while (cap < need)
		cap *= 2;
	unsigned char *p = realloc(j->buf, cap);
	if (!p)
		return STATUS_ERR_NOMEM;
	j->buf = p;
	j->buf_cap = cap;
	return STATUS_OK;
}

static double ms_since(const struct timespec *t)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t->tv_sec) * 1e3 +
		(double)(now.tv_nsec - t->tv_nsec) / 1e6;
}

static int do_sync(struct journal *j)
{
	if (fdatasync(j->fd) != 0)
		return STATUS_ERR_IO;
	j->unsynced = 0;
	clock_gettime(CLOCK_MONOTONIC, &j->last_sync);
	return STATUS_OK;
}

/* fsync the directory holding path, so a new file's name is durable. */
static void sync_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	char dir[4096];

	if (!slash) {
		strcpy(dir, ".");
	} else {
		size_t len = (size_t)(slash - path);
		if (len == 0)
			len = 1; /* "/file" */
		if (len >= sizeof dir)
			return;
		memcpy(dir, path, len);
		dir[len] = '\0';
	}
	int fd = open(dir, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		(void)fsync(fd); /* best effort: some file systems refuse */
		close(fd);
	}
}

/* ---- header ---- */

/* The header this job writes, into j->buf; its length in *len. */
static int build_header(struct journal *j, const struct journal_id *id,
			size_t *len)
{
	size_t dlen = strlen(id->desc);
	size_t total = JOURNAL_HEADER_FIXED + dlen + JOURNAL_CRC_BYTES;
	int st = buf_reserve(j, total);

	if (st != STATUS_OK)
		return st;
	put_u32(j->buf, JOURNAL_MAGIC_HEADER);
	put_u32(j->buf + 4, JOURNAL_VERSION);
	put_u32(j->buf + 8, PROTO_VERSION);
	put_u32(j->buf + 12, (uint32_t)dlen);
	put_u64(j->buf + 16, id->hash);
	memcpy(j->buf + JOURNAL_HEADER_FIXED, id->desc, dlen);
	put_u32(j->buf + JOURNAL_HEADER_FIXED + dlen,
		journal_crc32c(0, j->buf, JOURNAL_HEADER_FIXED + dlen));
	*len = total;
	return STATUS_OK;
}

/* Check the header of a non-empty file of size bytes; *hlen its length. */
static int check_header(struct journal *j, const struct journal_id *id,
			uint64_t size, uint64_t *hlen, char *err,
			size_t err_size)
{
	unsigned char fixed[JOURNAL_HEADER_FIXED];
	char desc[JOURNAL_MAX_DESC];

	if (size < JOURNAL_HEADER_FIXED) {
		snprintf(err, err_size,
			 "%s: too short for a journal header "
			 "(%" PRIu64 " bytes)",
			 j->path, size);
		return STATUS_ERR_CORRUPT;
	}
	if (pread_full(j->fd, fixed, sizeof fixed, 0) != STATUS_OK) {
		snprintf(err, err_size, "%s: %s", j->path, strerror(errno));
		return STATUS_ERR_IO;
	}
	if (get_u32(fixed) != JOURNAL_MAGIC_HEADER) {
		snprintf(err, err_size,
			 "%s: not a factorize checkpoint "
			 "journal (bad magic)",
			 j->path);
		return STATUS_ERR_CORRUPT;
	}
	uint32_t version = get_u32(fixed + 4), proto = get_u32(fixed + 8);
	uint32_t dlen = get_u32(fixed + 12);
	if (version != JOURNAL_VERSION || proto != PROTO_VERSION) {
		snprintf(err, err_size,
			 "%s: journal format %" PRIu32
			 " with result encoding %" PRIu32 ", this program "
			 "uses %d and %d",
			 j->path, version, proto, JOURNAL_VERSION,
			 PROTO_VERSION);
		return STATUS_ERR_MISMATCH;
	}
	if (dlen >= JOURNAL_MAX_DESC ||
	    size < (uint64_t)JOURNAL_HEADER_FIXED + dlen + JOURNAL_CRC_BYTES) {
		snprintf(err, err_size,
			 "%s: journal header is truncated or "
			 "malformed",
			 j->path);
		return STATUS_ERR_CORRUPT;
	}
	size_t total = JOURNAL_HEADER_FIXED + dlen + JOURNAL_CRC_BYTES;
	int st = buf_reserve(j, total);
	if (st != STATUS_OK)
		return st;
	if (pread_full(j->fd, j->buf, total, 0) != STATUS_OK) {
		snprintf(err, err_size, "%s: %s", j->path, strerror(errno));
		return STATUS_ERR_IO;
	}
	if (journal_crc32c(0, j->buf, total - JOURNAL_CRC_BYTES) !=
	    get_u32(j->buf + total - JOURNAL_CRC_BYTES)) {
		snprintf(err, err_size,
			 "%s: journal header fails its "
			 "checksum",
			 j->path);
		return STATUS_ERR_CORRUPT;
	}
	memcpy(desc, j->buf + JOURNAL_HEADER_FIXED, dlen);
	desc[dlen] = '\0';
	if (get_u64(fixed + 16) != id->hash || strcmp(desc, id->desc) != 0) {
		char why[768];
		journal_id_diff(desc, id->desc, why, sizeof why);
		snprintf(err, err_size,
			 "%s: checkpoint belongs to a different "
			 "job: %s; give another --checkpoint file, or the "
			 "options of the job that wrote it",
			 j->path, why);
		return STATUS_ERR_MISMATCH;
	}
	*hlen = total;
	return STATUS_OK;
}

/* ---- records ---- */

/*
 * Validate the record at off (file size size) into *e.  STATUS_OK, or
 * STATUS_NOT_FOUND when it is not a whole valid record, or STATUS_ERR_IO.
 */
static int read_record(struct journal *j, uint64_t off, uint64_t size,
		       struct journal_entry *e)
{
	unsigned char fx[JOURNAL_RECORD_FIXED];

	if (size - off < JOURNAL_RECORD_FIXED + JOURNAL_CRC_BYTES)
		return STATUS_NOT_FOUND;
	if (pread_full(j->fd, fx, sizeof fx, off) != STATUS_OK)
		return STATUS_ERR_IO;
	uint32_t magic = get_u32(fx), plen = get_u32(fx + 4);
	uint32_t count = get_u32(fx + 24);
	int placed = magic == JOURNAL_MAGIC_PLACED;
	if ((magic != JOURNAL_MAGIC_RECORD && !placed) ||
	    (placed && plen != JOURNAL_PLACED_LEN) || plen > PROTO_MAX_MSG ||
	    count == 0 || count > PROTO_MAX_CHUNK ||
	    size - off - JOURNAL_RECORD_FIXED - JOURNAL_CRC_BYTES < plen)
		return STATUS_NOT_FOUND;
	size_t total = JOURNAL_RECORD_FIXED + plen + JOURNAL_CRC_BYTES;
	int st = buf_reserve(j, total);
	if (st != STATUS_OK)
		return st;
	if (pread_full(j->fd, j->buf, total, off) != STATUS_OK)
		return STATUS_ERR_IO;
	if (journal_crc32c(0, j->buf, total - JOURNAL_CRC_BYTES) !=
	    get_u32(j->buf + total - JOURNAL_CRC_BYTES))
		return STATUS_NOT_FOUND;
	e->chunk_id = get_u64(fx + 8);
	e->first_index = get_u64(fx + 16);
	e->count = count;
	e->rank = (int32_t)get_u32(fx + 28);
	e->offset = off;
	e->payload_len = plen;
	e->placed = placed;
	e->out_offset = e->out_len = 0;
	e->block_crc = 0;
	if (placed) {
		const unsigned char *q = j->buf + JOURNAL_RECORD_FIXED;
		e->out_offset = get_u64(q);
		e->out_len = get_u64(q + 8);
		e->block_crc = get_u32(q + 16);
		if (e->out_offset > UINT64_MAX - e->out_len)
			return STATUS_NOT_FOUND;
	}
	if (e->first_index > UINT64_MAX - count)
		return STATUS_NOT_FOUND;
	return STATUS_OK;
}

/* After a bad record at bad: is there any valid record further on? */
static int valid_record_after(struct journal *j, uint64_t bad, uint64_t size,
			      uint64_t *where)
{
	unsigned char win[1 << 16];
	static const unsigned char magic[3] = { 'F', 'Z', 'J' };
	uint64_t off = bad + 1;

	while (off + 4 <= size) {
		size_t want = sizeof win;
		if (size - off < want)
			want = (size_t)(size - off);
		if (pread_full(j->fd, win, want, off) != STATUS_OK)
			return STATUS_ERR_IO;
		for (size_t i = 0; i + 4 <= want; i++) {
			if (memcmp(win + i, magic, 3) != 0 ||
			    (win[i + 3] != 'R' && win[i + 3] != 'P'))
				continue;
			struct journal_entry e;
			int st = read_record(j, off + i, size, &e);
			if (st == STATUS_OK) {
				*where = off + i;
				return STATUS_FOUND;
			}
			if (st != STATUS_NOT_FOUND)
				return st;
		}
		if (want < 4)
			break;
		off += want - 3; /* a magic may straddle the windows */
	}
	return STATUS_NOT_FOUND;
}

static int push_entry(struct journal *j, const struct journal_entry *e)
{
	if (j->n == j->cap) {
		size_t cap = j->cap ? 2 * j->cap : 64;
		struct journal_entry *p = realloc(j->ent, cap * sizeof *p);
		if (!p)
			return STATUS_ERR_NOMEM;
		j->ent = p;
		j->cap = cap;
	}
	j->ent[j->n++] = *e;
	return STATUS_OK;
}

static int cmp_entry(const void *a, const void *b)
{
	const struct journal_entry *x = a, *y = b;
	if (x->first_index != y->first_index)
		return x->first_index < y->first_index ? -1 : 1;
	if (x->count != y->count)
		return x->count < y->count ? -1 : 1;
	return x->offset < y->offset ? -1 : (x->offset > y->offset);
}

/* Sort, keep the last of records of the same positions, reject overlaps. */
static int sort_index(struct journal *j, struct journal_info *info, char *err,
		      size_t err_size)
{
	size_t out = 0;

	if (j->n > 1) /* j->ent is NULL when empty: qsort(NULL, 0) is UB */
		qsort(j->ent, j->n, sizeof *j->ent, cmp_entry);
	for (size_t i = 0; i < j->n; i++) {
		if (out > 0) {
			const struct journal_entry *p = &j->ent[out - 1];
			const struct journal_entry *c = &j->ent[i];
			if (c->first_index == p->first_index &&
			    c->count == p->count) {
				/* the later record counts: a placed block
				   written again after its bytes failed */
				info->duplicates++;
				j->ent[out - 1] = *c;
				continue;
			}
			if (c->first_index < p->first_index + p->count) {
				snprintf(err, err_size,
					 "%s: records at offsets"
					 " %" PRIu64 " and %" PRIu64 " cover "
					 "overlapping positions",
					 j->path, p->offset, c->offset);
				return STATUS_ERR_CORRUPT;
			}
		}
		j->ent[out++] = j->ent[i];
	}
	j->n = out;
	return STATUS_OK;
}

static int scan_records(struct journal *j, uint64_t off, uint64_t size,
			struct journal_info *info, char *err, size_t err_size)
{
	while (off < size) {
		struct journal_entry e;
		int st = read_record(j, off, size, &e);
		if (st == STATUS_OK) {
			st = push_entry(j, &e);
			if (st != STATUS_OK)
				return st;
			off += JOURNAL_RECORD_FIXED + e.payload_len +
				JOURNAL_CRC_BYTES;
			continue;
		}
		if (st != STATUS_NOT_FOUND)
			goto io_error;
		uint64_t where = 0;
		st = valid_record_after(j, off, size, &where);
		if (st == STATUS_FOUND) {
			snprintf(err, err_size,
				 "%s: record at offset %" PRIu64
				 " is corrupt and valid records follow (at "
				 "%" PRIu64 "): refusing to guess",
				 j->path, off, where);
			return STATUS_ERR_CORRUPT;
		}
		if (st != STATUS_NOT_FOUND)
			goto io_error;
		/* A torn tail: what a kill during the last write leaves. */
		if (ftruncate(j->fd, (off_t)off) != 0 || fdatasync(j->fd) != 0)
			goto io_error;
		info->tail_dropped = size - off;
		size = off;
	}
	j->end = off;
	return STATUS_OK;
io_error:
	snprintf(err, err_size, "%s: %s", j->path, strerror(errno));
	return STATUS_ERR_IO;
}

/*
 * The whole file, write-locked, without waiting: a lock held by another
 * process sets info->locked_by (its pid when fcntl F_GETLK tells it, else
 * -1) so that the caller can wait for a job that is going away.
 */
static int lock_file(struct journal *j, struct journal_info *info, char *err,
		     size_t err_size)
{
	struct flock fl;

	memset(&fl, 0, sizeof fl);
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	if (fcntl(j->fd, F_SETLK, &fl) == 0)
		return STATUS_OK;
	if (errno == EACCES || errno == EAGAIN) {
		info->locked_by = -1;
		memset(&fl, 0, sizeof fl);
		fl.l_type = F_WRLCK;
		fl.l_whence = SEEK_SET;
		if (fcntl(j->fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK &&
		    fl.l_pid > 0)
			info->locked_by = (long)fl.l_pid;
		snprintf(err, err_size,
			 "%s: journal is in use by another "
			 "process",
			 j->path);
	} else
		snprintf(err, err_size, "%s: cannot lock: %s", j->path,
			 strerror(errno));
	return STATUS_ERR_IO;
}

/* Write a fresh header over whatever (a torn header prefix) is there. */
static int create_header(struct journal *j, const struct journal_id *id,
			 char *err, size_t err_size)
{
	size_t len;
	int st = build_header(j, id, &len);

	if (st != STATUS_OK)
		return st;
	if (ftruncate(j->fd, 0) != 0 ||
	    pwrite_full(j->fd, j->buf, len, 0) != STATUS_OK ||
	    fdatasync(j->fd) != 0) {
		snprintf(err, err_size, "%s: %s", j->path, strerror(errno));
		return STATUS_ERR_IO;
	}
	sync_dir(j->path);
	j->end = len;
	return STATUS_OK;
}

/* 1 when the file's size bytes are a strict prefix of this job's header. */
static int is_header_prefix(struct journal *j, const struct journal_id *id,
			    uint64_t size)
{
	size_t len;
	unsigned char got[JOURNAL_HEADER_FIXED + JOURNAL_MAX_DESC + 4];

	if (build_header(j, id, &len) != STATUS_OK || size >= len)
		return 0;
	if (pread_full(j->fd, got, (size_t)size, 0) != STATUS_OK)
		return 0;
	return memcmp(got, j->buf, (size_t)size) == 0;
}

int journal_open(struct journal **jp, const char *path,
		 const struct journal_id *id, unsigned flags,
		 struct journal_info *info, char *err, size_t err_size)
{
	struct journal_info dummy;
	struct stat sb;
	uint64_t hlen = 0;
	int st;

	*jp = NULL;
	if (!info)
		info = &dummy;
	memset(info, 0, sizeof *info);
	struct journal *j = calloc(1, sizeof *j);
	if (!j)
		return STATUS_ERR_NOMEM;
	j->fd = -1;
	size_t path_size = strlen(path) + 1;
	j->path = malloc(path_size);
	if (!j->path) {
		st = STATUS_ERR_NOMEM;
		goto fail;
	}
	memcpy(j->path, path, path_size);

	int oflags = O_RDWR | O_CLOEXEC;
	if (!(flags & JOURNAL_MUST_EXIST))
		oflags |= O_CREAT;
	j->fd = open(path, oflags, 0644);
	if (j->fd < 0) {
		st = STATUS_ERR_IO;
		if (errno == ENOENT && (flags & JOURNAL_MUST_EXIST)) {
			snprintf(err, err_size,
				 "--resume: there is no "
				 "checkpoint journal '%s' to resume from "
				 "(without --resume the job starts afresh and "
				 "creates it)",
				 path);
			st = STATUS_ERR_INVAL;
		} else {
			snprintf(err, err_size, "%s: %s", path,
				 strerror(errno));
		}
		goto fail;
	}
	st = lock_file(j, info, err, err_size);
	if (st != STATUS_OK)
		goto fail;
	if (fstat(j->fd, &sb) != 0) {
		snprintf(err, err_size, "%s: %s", path, strerror(errno));
		st = STATUS_ERR_IO;
		goto fail;
	}
	uint64_t size = (uint64_t)sb.st_size;
	if (size == 0 || is_header_prefix(j, id, size)) {
		if ((flags & JOURNAL_MUST_EXIST) && size == 0) {
			snprintf(err, err_size,
				 "--resume: checkpoint "
				 "journal '%s' is empty: nothing to resume "
				 "(without --resume the job starts afresh)",
				 path);
			st = STATUS_ERR_INVAL;
			errno = ENOENT;
			goto fail;
		}
		st = create_header(j, id, err, err_size);
		if (st != STATUS_OK)
			goto fail;
		info->created = 1;
	} else {
		st = check_header(j, id, size, &hlen, err, err_size);
		if (st == STATUS_OK)
			st = scan_records(j, hlen, size, info, err, err_size);
		if (st == STATUS_OK)
			st = sort_index(j, info, err, err_size);
		if (st != STATUS_OK)
			goto fail;
	}
	info->records = j->n;
	for (size_t i = 0; i < j->n; i++)
		info->numbers += j->ent[i].count;
	clock_gettime(CLOCK_MONOTONIC, &j->last_sync);
	*jp = j;
	return STATUS_OK;
fail:
	if (j->fd >= 0)
		close(j->fd);
	free(j->path);
	free(j->ent);
	free(j->buf);
	free(j);
	return st;
}

/* Index of the first entry with first_index > index (upper bound). */
static size_t upper(const struct journal *j, uint64_t index)
{
	size_t lo = 0, hi = j->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (j->ent[mid].first_index <= index)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const struct journal_entry *journal_find(const struct journal *j,
					 uint64_t index)
{
	size_t u = upper(j, index);

	if (u == 0)
		return NULL;
	const struct journal_entry *e = &j->ent[u - 1];
	return index - e->first_index < e->count ? e : NULL;
}

const struct journal_entry *journal_entries(const struct journal *j, size_t *n)
{
	*n = j->n;
	return j->ent;
}

/*
 * Append one record of kind magic whose payload is len bytes at items;
 * e's chunk fields are the record's, and it goes into the index.
 */
static int append_record(struct journal *j, uint32_t magic,
			 struct journal_entry e, const void *items, size_t len)
{
	if (e.count == 0 || e.count > PROTO_MAX_CHUNK || len > PROTO_MAX_MSG ||
	    e.first_index > UINT64_MAX - e.count)
		return STATUS_ERR_INVAL;
	/* Keep the index free of overlaps: neighbours on both sides.  A
	   placed record may replace a placed one of the same positions
	   (its bytes failed their CRC and were written again). */
	size_t u = upper(j, e.first_index);
	int replace = 0;
	if (u > 0 && e.placed && j->ent[u - 1].placed &&
	    j->ent[u - 1].first_index == e.first_index &&
	    j->ent[u - 1].count == e.count) {
		replace = 1;
		u--;
	} else if (u > 0 &&
		   e.first_index - j->ent[u - 1].first_index <
			   j->ent[u - 1].count) {
		return STATUS_ERR_INVAL;
	}
	if (!replace && u < j->n &&
	    j->ent[u].first_index < e.first_index + e.count)
		return STATUS_ERR_INVAL;

	size_t total = JOURNAL_RECORD_FIXED + len + JOURNAL_CRC_BYTES;
	int st = buf_reserve(j, total);
	if (st != STATUS_OK)
		return st;
	put_u32(j->buf, magic);
	put_u32(j->buf + 4, (uint32_t)len);
	put_u64(j->buf + 8, e.chunk_id);
	put_u64(j->buf + 16, e.first_index);
	put_u32(j->buf + 24, e.count);
	put_u32(j->buf + 28, (uint32_t)e.rank);
	if (len)
		memcpy(j->buf + JOURNAL_RECORD_FIXED, items, len);
	put_u32(j->buf + total - JOURNAL_CRC_BYTES,
		journal_crc32c(0, j->buf, total - JOURNAL_CRC_BYTES));

	/* Make room in the index first, so a failure leaves no orphan. */
	if (j->n == j->cap) {
		size_t cap = j->cap ? 2 * j->cap : 64;
		struct journal_entry *p = realloc(j->ent, cap * sizeof *p);
		if (!p)
			return STATUS_ERR_NOMEM;
		j->ent = p;
		j->cap = cap;
	}
	if (pwrite_full(j->fd, j->buf, total, j->end) != STATUS_OK) {
		int saved = errno;
		(void)ftruncate(j->fd, (off_t)j->end); /* no half record */
		errno = saved;
		return STATUS_ERR_IO;
	}
	e.offset = j->end;
	e.payload_len = (uint32_t)len;
	if (!replace) {
		memmove(&j->ent[u + 1], &j->ent[u],
			(j->n - u) * sizeof *j->ent);
		j->n++;
	}
	j->ent[u] = e;
	j->end += total;
	j->unsynced++;
	if (j->unsynced >= JOURNAL_SYNC_RECORDS ||
	    ms_since(&j->last_sync) >= JOURNAL_SYNC_MS)
		return do_sync(j);
	return STATUS_OK;
}

int journal_append(struct journal *j, uint64_t chunk_id, uint64_t first_index,
		   uint32_t count, int32_t rank, const void *items, size_t len)
{
	struct journal_entry e = { 0 };

	e.chunk_id = chunk_id;
	e.first_index = first_index;
	e.count = count;
	e.rank = rank;
	return append_record(j, JOURNAL_MAGIC_RECORD, e, items, len);
}

int journal_append_placed(struct journal *j, uint64_t chunk_id,
			  uint64_t first_index, uint32_t count, int32_t rank,
			  uint64_t out_offset, uint64_t out_len,
			  uint32_t block_crc)
{
	struct journal_entry e = { 0 };
	unsigned char q[JOURNAL_PLACED_LEN];

	if (out_offset > UINT64_MAX - out_len)
		return STATUS_ERR_INVAL;
	e.chunk_id = chunk_id;
	e.first_index = first_index;
	e.count = count;
	e.rank = rank;
	e.placed = 1;
	e.out_offset = out_offset;
	e.out_len = out_len;
	e.block_crc = block_crc;
	put_u64(q, out_offset);
	put_u64(q + 8, out_len);
	put_u32(q + 16, block_crc);
	return append_record(j, JOURNAL_MAGIC_PLACED, e, q, sizeof q);
}

int journal_sync(struct journal *j)
{
	return do_sync(j);
}

int journal_load(struct journal *j, const struct journal_entry *e,
		 const unsigned char **items, size_t *len)
{
	struct journal_entry check;
	int st;

	if (e->placed)
		return STATUS_ERR_INVAL; /* the bytes are in the output file */
	st = read_record(j, e->offset, j->end, &check);

	if (st == STATUS_NOT_FOUND ||
	    (st == STATUS_OK &&
	     (check.first_index != e->first_index || check.count != e->count)))
		return STATUS_ERR_CORRUPT;
	if (st != STATUS_OK)
		return st;
	*items = j->buf + JOURNAL_RECORD_FIXED;
	*len = check.payload_len;
	return STATUS_OK;
}

int journal_close(struct journal *j)
{
	int st = STATUS_OK;

	if (!j)
		return STATUS_OK;
	if (j->fd >= 0) {
		if (j->unsynced && fdatasync(j->fd) != 0)
			st = STATUS_ERR_IO;
		if (close(j->fd) != 0 && st == STATUS_OK)
			st = STATUS_ERR_IO;
	}
	free(j->path);
	free(j->ent);
	free(j->buf);
	free(j);
	return st;
}
