/*
 * output.c - write factorizations as text (GNU factor's format), JSON
 * lines or CSV, to stdout or atomically to a file (include/output.h).
 *
 * Formats (documented in src/factorize.1, section OUTPUT FORMATS):
 *   text  "12: 2 2 3"; with -h "3000: 2^3 3 5^3"; "0:" and "1:" alone
 *         (as GNU factor).
 *   The rule every format keeps: status "complete" means the factors
 *   multiply to n (1 is the empty product); "partial" means factors times
 *   cofactor is n; 0, which has no factorization into primes (every
 *   prime divides it), is written with no factors and status "zero"
 *   (text: "0:", as GNU factor), so no product check is ever false.
 *         A composite cofactor left by --time-limit-per-number is written
 *         in brackets so no script mistakes it for a prime:
 *         "n: 2 3 [composite 1234567]" (-h: "[composite 1234567]^2").
 *   json  one object per line, every number a string so any size is exact:
 *         {"n":"12","factors":[{"p":"2","e":2},{"p":"3","e":1}],
 *          "status":"complete"}; a partial result has "status":"partial"
 *         and "cofactor":"<product of the composite parts>", its factors
 *         list holding only the primes; --verbose adds "rank" and
 *         "seconds" when known.
 *   csv   header "n,factors,status,cofactor" (+ ",rank,seconds" with
 *         --verbose), then e.g. 12,"2^2 3",complete, -- factors always in
 *         p^e form, quoted, space-separated; cofactor empty unless partial.
 *
 * Invariants:
 *   - output_format is pure: the same result always gives the same bytes.
 *   - Once a write fails the output is poisoned: every later call returns
 *     STATUS_ERR_IO and output_close reports the first errno.
 *   - A regular file is written as "<dir>/.<name>.XXXXXX" (mkstemp in the
 *     target's directory, so rename is atomic) and renamed to its name only
 *     by output_close(o, 1) after fflush + fsync succeeded; otherwise it is
 *     unlinked.  Under --checkpoint (output_open_kept) the temporary name
 *     is fixed, "<dir>/.<name>" OUTPUT_KEPT_SUFFIX, opened without
 *     truncating what an interrupted run left in it, and kept (not
 *     unlinked) by output_close(o, 0), so that a resumed run finds the
 *     blocks its journal places there; at commit it is cut to the
 *     length written (output_set_length, or the stream's position)
 *     before the rename.  A symlink to a regular file is resolved first, so the
 *     file it points to is replaced and the link stays.  A path that
 *     exists and is not a regular file (/dev/full,
 *     /dev/stdout, a FIFO) is opened and written directly: renaming over a
 *     device node would replace it.
 *   - Every stream is fully buffered (OUTPUT_IOBUF bytes), stdout too,
 *     whatever isatty says: under mpirun rank 0's stdout is a pipe or pty
 *     that mpirun copies, and one write per line there cost more than
 *     the factoring.  A stream a person may watch (stdout, a device or
 *     FIFO; not a file written under a temporary name) is flushed by
 *     output_tick once its oldest unflushed byte is OUTPUT_FLUSH_MS old,
 *     so lines still appear promptly; the caller ticks after each block
 *     and when it has waited that long (output_flush_wait).
 *
 * Steps of output_open for a file: reject an existing directory; stat the
 * path; regular or missing -> mkstemp in the same directory (a missing
 * directory fails here, with its name, before any work is done), given
 * the owner, group and mode of the file it replaces (as sed -i; a new
 * file gets 0666 & ~umask); otherwise fopen directly.  Then setvbuf and, for CSV,
 * the header line.
 */
#define _XOPEN_SOURCE 700 /* realpath (X/Open, not in plain POSIX) */
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "output.h"
#include "status.h"

enum { OUTPUT_IOBUF = 1 << 20 };

static char output_stdout_buf[OUTPUT_IOBUF]; /* stdout's buffer: static so
						it outlives any output */

struct output {
	FILE *f;
	int is_stdout;
	char *path; /* final name (files only; a symlink resolved) */
	char *name; /* the name as given, for messages */
	char *tmp;  /* temporary name; NULL when written directly */
	int kept;   /* tmp is the fixed OUTPUT_KEPT_SUFFIX name (--checkpoint):
			kept by output_close(o, 0), cut to its length at commit */
	int have_length; /* output_set_length was called */
	uint64_t length; /* the file's final length (workers wrote it) */
	char *iobuf;     /* setvbuf buffer of a file */
	int format, exponents, verbose;
	int error;            /* errno of the first failed write; 0 = none */
	int watched;          /* stdout, a device or a FIFO: flushed by time */
	double pending_since; /* monotonic s of the oldest unflushed byte
				 of a watched stream; 0 = none */
	char *line;           /* output_format's buffer, reused */
	size_t line_cap;
};

static const char output_csv_header[] = "n,factors,status,cofactor";

/* ---- formatting (pure) ---- */

struct output_sb {
	char **buf;
	size_t *cap;
	size_t len;
	int nomem;
};

static int output_reserve(struct output_sb *b, size_t more)
{
	size_t need = b->len + more + 1, cap = *b->cap;
	char *p;

	if (b->nomem)
		return -1;
	if (need <= cap && *b->buf)
		return 0;
	if (cap < 256)
		cap = 256;
	while (cap < need)
		cap *= 2;
	p = realloc(*b->buf, cap);
	if (!p) {
		b->nomem = 1;
		return -1;
	}
	*b->buf = p;
	*b->cap = cap;
	return 0;
}

static void output_putn(struct output_sb *b, const char *s, size_t n)
{
	if (output_reserve(b, n) == 0) {
		memcpy(*b->buf + b->len, s, n);
		b->len += n;
		(*b->buf)[b->len] = '\0';
	}
}

/* A string literal, its length known at compile time. */
#define OUTPUT_PUTL(b, lit) output_putn((b), (lit), sizeof(lit) - 1)

static void output_puts(struct output_sb *b, const char *s)
{
	output_putn(b, s, strlen(s));
}

static void output_putc(struct output_sb *b, char c)
{
	if (output_reserve(b, 1) == 0) {
		(*b->buf)[b->len++] = c;
		(*b->buf)[b->len] = '\0';
	}
}

static void output_put_ulong(struct output_sb *b, unsigned long x)
{
	char tmp[24];
	size_t i = sizeof tmp;

	do {
		tmp[--i] = (char)('0' + x % 10);
		x /= 10;
	} while (x);
	output_putn(b, tmp + i, sizeof tmp - i);
}

static void output_put_mpz(struct output_sb *b, const mpz_t x)
{
	size_t n;

	if (mpz_fits_ulong_p(x)) {
		output_put_ulong(b, mpz_get_ui(x));
		return;
	}
	n = mpz_sizeinbase(x, 10) + 2;
	if (output_reserve(b, n) != 0)
		return;
	mpz_get_str(*b->buf + b->len, 10, x);
	b->len += strlen(*b->buf + b->len);
}

static void output_put_seconds(struct output_sb *b, double s)
{
	char tmp[48];

	snprintf(tmp, sizeof tmp, "%.6f", s);
	output_puts(b, tmp);
}

/* Product of the composite parts of r (1 when there are none). */
static int output_cofactor(const struct engine_result *r, mpz_t c)
{
	mpz_t t;
	size_t i;
	int any = 0;

	mpz_set_ui(c, 1);
	for (i = 0; i < r->count && r->f[i].kind != ENGINE_COMPOSITE; i++)
		;
	if (i == r->count)
		return 0; /* the common case: no composite part */
	mpz_init(t);
	for (i = 0; i < r->count; i++) {
		if (r->f[i].kind != ENGINE_COMPOSITE)
			continue;
		mpz_pow_ui(t, r->f[i].p, r->f[i].e);
		mpz_mul(c, c, t);
		any = 1;
	}
	mpz_clear(t);
	return any;
}

/* "00" .. "99": numbers below 100 written by one copy. */
static const char output_digits2[201] =
	"00010203040506070809101112131415161718192021222324252627282930313233"
	"34353637383940414243444546474849505152535455565758596061626364656667"
	"6869707172737475767778798081828384858687888990919293949596979899";

/* 10^i, i <= 19: the digit count of a 64-bit value by comparison. */
static const uint64_t output_pow10[20] = {
	1u,
	10u,
	100u,
	1000u,
	10000u,
	100000u,
	1000000u,
	10000000u,
	100000000u,
	1000000000u,
	10000000000u,
	100000000000u,
	1000000000000u,
	10000000000000u,
	100000000000000u,
	1000000000000000u,
	10000000000000000u,
	100000000000000000u,
	1000000000000000000u,
	10000000000000000000u,
};

/* 10^8 and 10^16: the writer's 8-digit groups. */
enum { OUTPUT_U64_ROOM = 20 + 7 }; /* digits, and an 8-byte store's spill */
static const uint64_t output_e8 = 100000000u, output_e16 = 10000000000000000u;

/*
 * The 8 decimal digits of x < 10^8 (leading zeros included), the first
 * digit in the low byte, as ASCII: two 4-digit halves in 32-bit lanes,
 * split into 2-digit pairs in 16-bit lanes, then into digits in bytes,
 * all lanes at once (SIMD within a register, after Khuong's and
 * Lemire's integer-to-string notes).  Each division is a multiplication
 * and a shift exact for the lane's range: x * 10486 >> 20 = x / 100 for
 * x < 10^4, x * 103 >> 10 = x / 10 for x < 100 (each lane's product
 * stays inside its lane).
 */
static uint64_t output_8digits(uint32_t x)
{
	uint64_t hi = x / 10000u, lo = x % 10000u;
	uint64_t merged = hi | lo << 32;
	uint64_t top = (merged * 10486u >> 20) & (0x7Fu | 0x7Full << 32);
	uint64_t hundreds = (merged - 100u * top) << 16 | top;
	uint64_t tens = (hundreds * 103u >> 10) & 0x000F000F000F000Fu;

	tens |= (hundreds - 10u * tens) << 8;
	return tens | 0x3030303030303030u;
}

/* The 8 bytes of w at p, its low byte first, whatever the byte order. */
static void output_store8(char *p, uint64_t w)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	w = __builtin_bswap64(w);
#endif
	memcpy(p, &w, 8);
}

/* The last d (1..8) of x's 8 digits at p (8 bytes written). */
static char *output_lead(char *p, uint32_t x, unsigned d)
{
	output_store8(p, output_8digits(x) >> (8 * (8 - d)));
	return p + d;
}

/*
 * x in decimal at p; returns the end.  Room: OUTPUT_U64_ROOM bytes at p
 * (8-byte stores may write up to 7 bytes past the end, which the next
 * bytes overwrite).  The digit count first (bit length * log10(2) as
 * 1233 / 4096, which is exact or one short, corrected by one compare),
 * then groups of 8 digits (output_8digits): the leading group holds the
 * first d mod 8 digits (or 8), the others are full.
 */
static char *output_u64(char *p, uint64_t x)
{
	if (x < 100) {
		if (x < 10) {
			*p = (char)('0' + x);
			return p + 1;
		}
		memcpy(p, output_digits2 + 2 * x, 2);
		return p + 2;
	}
	unsigned bits = 64u - (unsigned)__builtin_clzll(x);
	unsigned n = (bits * 1233u) >> 12; /* digits - 1 or digits */
	n += x >= output_pow10[n];
	if (n <= 8)
		return output_lead(p, (uint32_t)x, n);
	if (n <= 16) {
		uint64_t hi = x / output_e8;
		p = output_lead(p, (uint32_t)hi, n - 8);
		output_store8(p,
			      output_8digits((uint32_t)(x - hi * output_e8)));
		return p + 8;
	}
	uint64_t top = x / output_e16, rest = x - top * output_e16;
	uint64_t mid = rest / output_e8;
	p = output_lead(p, (uint32_t)top, n - 16);
	output_store8(p, output_8digits((uint32_t)mid));
	output_store8(p + 8,
		      output_8digits((uint32_t)(rest - mid * output_e8)));
	return p + 16;
}

/* Room for the line of w in every format before the --verbose fields:
   a number is at most 20 digits, an exponent 3 (e < 256), and every
   other byte is one of the format's fixed strings (JSON's is the
   longest: 36 bytes around each factor, 46 around the rest); the 8-byte
   stores of the writer spill at most 7 bytes past the last byte. */
static size_t output_words_room(const struct engine_words *w)
{
	size_t room = 80 + OUTPUT_U64_ROOM; /* the last number's spill */

	for (uint32_t i = 0; i < w->count; i++)
		room += 60 + 21 * (size_t)w->e[i];
	return room;
}

/* The term n of w at p: term's text when it is n's, else converted. */
static char *output_words_n(char *p, const struct engine_words *w,
			    const struct output_term *t)
{
	if (t == NULL || !t->valid || t->n != w->n)
		return output_u64(p, w->n);
	memcpy(p, t->d + OUTPUT_TERM_END - t->len, 24); /* a fixed copy */
	return p + t->len;
}

void output_term_init(struct output_term *t, uint64_t n, uint64_t step)
{
	char tmp[OUTPUT_U64_ROOM];

	memset(t, 0, sizeof *t);
	memset(t->d, '0', OUTPUT_TERM_END);
	t->n = n;
	t->step = step;
	t->len = (unsigned)(output_u64(tmp, n) - tmp);
	memcpy(t->d + OUTPUT_TERM_END - t->len, tmp, t->len);
	t->slen = (unsigned)(output_u64(tmp, step) - tmp);
	for (unsigned i = 0; i < t->slen; i++)
		t->s[OUTPUT_TERM_END - t->slen + i] =
			(unsigned char)(tmp[i] - '0');
	t->valid = 1;
}

/* n += step in decimal: the step's digits added from the right, the
   carry run out; a term past 2^64 - 1 clears valid. */
void output_term_next(struct output_term *t)
{
	unsigned i = OUTPUT_TERM_END, carry = 0;

	if (!t->valid || t->n > UINT64_MAX - t->step) {
		t->valid = 0;
		return;
	}
	t->n += t->step;
	for (unsigned k = 0; k < t->slen || carry; k++) {
		i--;
		unsigned d = (unsigned)(t->d[i] - '0') + t->s[i] + carry;
		carry = d >= 10;
		t->d[i] = (char)('0' + (carry ? d - 10 : d));
	}
	if (OUTPUT_TERM_END - i > t->len)
		t->len = OUTPUT_TERM_END - i;
}

/* " q" for each prime, repeated e times, or " q^e" with exponents. */
static char *output_words_factors(char *p, int exponents,
				  const struct engine_words *w)
{
	for (uint32_t i = 0; i < w->count; i++) {
		unsigned reps = exponents ? 1 : w->e[i];
		char *first = p;
		*p++ = ' ';
		p = output_u64(p, w->p[i]);
		size_t len = (size_t)(p - first);
		if (reps > 1 && len <= 8) { /* " q" again, 8 bytes a copy */
			uint64_t q8;
			memcpy(&q8, first, 8);
			for (unsigned k = 1; k < reps; k++, p += len)
				memcpy(p, &q8, 8);
		}
		for (unsigned k = 1; k < reps && len > 8; k++) {
			memcpy(p, first, len); /* q >= 10^7: e <= 2 */
			p += len;
		}
		if (exponents && w->e[i] > 1) {
			*p++ = '^';
			p = output_u64(p, w->e[i]);
		}
	}
	return p;
}

/* The text line of w at p (output_words_room bytes free). */
static char *output_words_text(char *p, int exponents,
			       const struct engine_words *w,
			       const struct output_term *t)
{
	p = output_words_n(p, w, t);
	*p++ = ':';
	p = output_words_factors(p, exponents, w);
	*p++ = '\n';
	return p;
}

/* A string literal at p, its length known at compile time. */
#define OUTPUT_LIT(p, lit) \
	(memcpy((p), (lit), sizeof(lit) - 1), (p) + sizeof(lit) - 1)

/* The JSON line of w at p up to its --verbose fields (not the '}'). */
static char *output_words_json(char *p, const struct engine_words *w,
			       const struct output_term *t)
{
	p = OUTPUT_LIT(p, "{\"n\":\"");
	p = output_words_n(p, w, t);
	p = OUTPUT_LIT(p, "\",\"factors\":[");
	for (uint32_t i = 0; i < w->count; i++) {
		if (i > 0)
			*p++ = ',';
		p = OUTPUT_LIT(p, "{\"p\":\"");
		p = output_u64(p, w->p[i]);
		p = OUTPUT_LIT(p, "\",\"e\":");
		p = output_u64(p, w->e[i]);
		*p++ = '}';
	}
	*p++ = ']';
	if (w->n == 0)
		return OUTPUT_LIT(p, ",\"status\":\"zero\"");
	return OUTPUT_LIT(p, ",\"status\":\"complete\"");
}

/* The CSV line of w at p up to its --verbose fields (not the '\n'). */
static char *output_words_csv(char *p, const struct engine_words *w,
			      const struct output_term *t)
{
	p = output_words_n(p, w, t);
	*p++ = ',';
	*p++ = '"';
	for (uint32_t i = 0; i < w->count; i++) {
		if (i > 0)
			*p++ = ' ';
		p = output_u64(p, w->p[i]);
		if (w->e[i] > 1) {
			*p++ = '^';
			p = output_u64(p, w->e[i]);
		}
	}
	if (w->n == 0)
		return OUTPUT_LIT(p, "\",zero,");
	return OUTPUT_LIT(p, "\",complete,");
}

/* JSON's --verbose fields and the line's end. */
static void output_json_tail(struct output_sb *b, int verbose,
			     const struct output_meta *meta)
{
	if (verbose && meta) {
		if (meta->rank >= 0) {
			OUTPUT_PUTL(b, ",\"rank\":");
			output_put_ulong(b, (unsigned long)meta->rank);
		}
		if (meta->seconds >= 0) {
			OUTPUT_PUTL(b, ",\"seconds\":");
			output_put_seconds(b, meta->seconds);
		}
	}
	OUTPUT_PUTL(b, "}\n");
}

/* CSV's --verbose fields (empty when unknown) and the line's end. */
static void output_csv_tail(struct output_sb *b, int verbose,
			    const struct output_meta *meta)
{
	if (verbose) {
		output_putc(b, ',');
		if (meta && meta->rank >= 0)
			output_put_ulong(b, (unsigned long)meta->rank);
		output_putc(b, ',');
		if (meta && meta->seconds >= 0)
			output_put_seconds(b, meta->seconds);
	}
	output_putc(b, '\n');
}

/*
 * The line of w in the format: one reservation, the digits written
 * straight into it, then the --verbose fields.  Every line whose number
 * and factors fit a word comes here, from the range engine's words or
 * from an engine_result (output_format_at), so each format has one
 * writer for them.
 */
static void output_words(struct output_sb *b, int format, int exponents,
			 int verbose, const struct engine_words *w,
			 const struct output_term *t,
			 const struct output_meta *meta)
{
	char *p;

	if (output_reserve(b, output_words_room(w)) != 0)
		return; /* nomem is set */
	p = *b->buf + b->len;
	switch (format) {
	case CLI_FORMAT_TEXT: p = output_words_text(p, exponents, w, t); break;
	case CLI_FORMAT_JSON: p = output_words_json(p, w, t); break;
	default: p = output_words_csv(p, w, t); break;
	}
	*p = '\0';
	b->len = (size_t)(p - *b->buf);
	if (format == CLI_FORMAT_JSON)
		output_json_tail(b, verbose, meta);
	else if (format == CLI_FORMAT_CSV)
		output_csv_tail(b, verbose, meta);
}

static void output_text(struct output_sb *b, int exponents, const mpz_t n,
			const struct engine_result *r)
{
	size_t i;
	unsigned long k;

	output_put_mpz(b, n);
	output_putc(b, ':');
	for (i = 0; i < r->count; i++) {
		const struct engine_factor *f = &r->f[i];
		int comp = f->kind == ENGINE_COMPOSITE;
		unsigned long reps = exponents ? 1 : f->e;
		for (k = 0; k < reps; k++) {
			if (comp)
				OUTPUT_PUTL(b, " [composite ");
			else
				output_putc(b, ' ');
			output_put_mpz(b, f->p);
			if (comp)
				output_putc(b, ']');
			if (exponents && f->e > 1) {
				output_putc(b, '^');
				output_put_ulong(b, f->e);
			}
		}
	}
	output_putc(b, '\n');
}

static void output_json(struct output_sb *b, int verbose, const mpz_t n,
			const struct engine_result *r,
			const struct output_meta *meta)
{
	size_t i;
	int first = 1, partial;
	mpz_t c;

	OUTPUT_PUTL(b, "{\"n\":\"");
	output_put_mpz(b, n);
	OUTPUT_PUTL(b, "\",\"factors\":[");
	for (i = 0; i < r->count; i++) {
		if (r->f[i].kind == ENGINE_COMPOSITE)
			continue;
		output_puts(b, first ? "{\"p\":\"" : ",{\"p\":\"");
		first = 0;
		output_put_mpz(b, r->f[i].p);
		OUTPUT_PUTL(b, "\",\"e\":");
		output_put_ulong(b, r->f[i].e);
		output_putc(b, '}');
	}
	output_putc(b, ']');
	mpz_init(c);
	partial = output_cofactor(r, c);
	if (partial) {
		OUTPUT_PUTL(b, ",\"status\":\"partial\",\"cofactor\":\"");
		output_put_mpz(b, c);
		output_putc(b, '"');
	} else if (mpz_sgn(n) == 0) {
		OUTPUT_PUTL(b, ",\"status\":\"zero\"");
	} else {
		OUTPUT_PUTL(b, ",\"status\":\"complete\"");
	}
	mpz_clear(c);
	output_json_tail(b, verbose, meta);
}

static void output_csv(struct output_sb *b, int verbose, const mpz_t n,
		       const struct engine_result *r,
		       const struct output_meta *meta)
{
	size_t i;
	int first = 1, partial;
	mpz_t c;

	output_put_mpz(b, n);
	OUTPUT_PUTL(b, ",\"");
	for (i = 0; i < r->count; i++) {
		if (r->f[i].kind == ENGINE_COMPOSITE)
			continue;
		if (!first)
			output_putc(b, ' ');
		first = 0;
		output_put_mpz(b, r->f[i].p);
		if (r->f[i].e > 1) {
			output_putc(b, '^');
			output_put_ulong(b, r->f[i].e);
		}
	}
	mpz_init(c);
	partial = output_cofactor(r, c);
	output_puts(b,
		    partial                   ? "\",partial,"
			    : mpz_sgn(n) == 0 ? "\",zero,"
					      : "\",complete,");
	if (partial)
		output_put_mpz(b, c);
	mpz_clear(c);
	output_csv_tail(b, verbose, meta);
}

long output_format(char **buf, size_t *cap, int format, int exponents,
		   int verbose, const mpz_t n, const struct engine_result *r,
		   const struct output_meta *meta)
{
	return output_format_at(buf, cap, 0, format, exponents, verbose, n, r,
				meta);
}

long output_format_at(char **buf, size_t *cap, size_t at, int format,
		      int exponents, int verbose, const mpz_t n,
		      const struct engine_result *r,
		      const struct output_meta *meta)
{
	struct output_sb b = { buf, cap, at, 0 };
	struct engine_words w;

	if (!buf || !cap || !r || mpz_sgn(n) < 0)
		return STATUS_ERR_INVAL;
	if (engine_result_get_words(r, n, &w))
		return output_format_words(buf, cap, at, format, exponents,
					   verbose, &w, NULL, meta);
	if (output_reserve(&b, 0) != 0)
		return STATUS_ERR_NOMEM;
	switch (format) {
	case CLI_FORMAT_TEXT: output_text(&b, exponents, n, r); break;
	case CLI_FORMAT_JSON: output_json(&b, verbose, n, r, meta); break;
	case CLI_FORMAT_CSV: output_csv(&b, verbose, n, r, meta); break;
	default: return STATUS_ERR_INVAL;
	}
	if (b.nomem)
		return STATUS_ERR_NOMEM;
	return (long)b.len;
}

long output_format_words(char **buf, size_t *cap, size_t at, int format,
			 int exponents, int verbose,
			 const struct engine_words *w,
			 const struct output_term *term,
			 const struct output_meta *meta)
{
	struct output_sb b = { buf, cap, at, 0 };

	if (!buf || !cap || !w || w->count > ENGINE_WORDS_MAX ||
	    (format != CLI_FORMAT_TEXT && format != CLI_FORMAT_JSON &&
	     format != CLI_FORMAT_CSV))
		return STATUS_ERR_INVAL;
	output_words(&b, format, exponents, verbose, w, term, meta);
	if (b.nomem)
		return STATUS_ERR_NOMEM;
	return (long)b.len;
}

/* ---- parsing a line back (the inverse of output_format) ---- */

/* A cursor over one line. */
struct output_pc {
	const char *p, *end;
	char tmp[64]; /* a short token, NUL-terminated for GMP */
	char *big;    /* a longer one */
	size_t big_cap;
};

static int pc_lit(struct output_pc *c, const char *lit)
{
	size_t n = strlen(lit);

	if ((size_t)(c->end - c->p) < n || memcmp(c->p, lit, n) != 0)
		return -1;
	c->p += n;
	return 0;
}

/* Decimal digits into x (at least one; up to 19 read as a word, longer
   ones by GMP). */
static int pc_mpz(struct output_pc *c, mpz_t x)
{
	const char *q = c->p;
	size_t n;
	char *s;

	while (q < c->end && *q >= '0' && *q <= '9')
		q++;
	n = (size_t)(q - c->p);
	if (n == 0)
		return -1;
	if (n <= 19) { /* below 10^19 < 2^64: read as a word */
		uint64_t v = 0;
		for (const char *d = c->p; d < q; d++)
			v = v * 10 + (uint64_t)(*d - '0');
		c->p = q;
		mpz_set_ui(x, (unsigned long)v);
		return 0;
	}
	if (n < sizeof c->tmp) {
		s = c->tmp;
	} else {
		if (n + 1 > c->big_cap) {
			char *t = realloc(c->big, n + 1);
			if (!t)
				return -1;
			c->big = t;
			c->big_cap = n + 1;
		}
		s = c->big;
	}
	if (s == NULL)
		return -1;
	memcpy(s, c->p, n);
	s[n] = '\0';
	c->p = q;
	return mpz_set_str(x, s, 10);
}

/* A decimal unsigned long (exponent or rank); no overflow check beyond
   ULONG_MAX / 10: the reformatted line must equal the input anyway. */
static int pc_ulong(struct output_pc *c, unsigned long *v)
{
	unsigned long x = 0;
	const char *q = c->p;

	while (q < c->end && *q >= '0' && *q <= '9' && x < ULONG_MAX / 10)
		x = x * 10 + (unsigned long)(*q++ - '0');
	if (q == c->p)
		return -1;
	c->p = q;
	*v = x;
	return 0;
}

/* "S.SSSSSS" as --verbose writes it. */
static int pc_seconds(struct output_pc *c, double *v)
{
	char *e;

	if (c->p >= c->end || *c->p < '0' || *c->p > '9')
		return -1;
	*v = strtod(c->p, &e);
	if (e > c->end || e == c->p)
		return -1;
	c->p = e;
	return 0;
}

static int parse_text(struct output_pc *c, int exponents, mpz_t n,
		      struct engine_result *r, mpz_t f)
{
	if (pc_mpz(c, n) || pc_lit(c, ":"))
		return -1;
	while (c->p < c->end && *c->p == ' ') {
		int kind = ENGINE_PRIME;
		unsigned long e = 1;

		c->p++;
		if (pc_lit(c, "[composite ") == 0)
			kind = ENGINE_COMPOSITE;
		if (pc_mpz(c, f) ||
		    (kind == ENGINE_COMPOSITE && pc_lit(c, "]")))
			return -1;
		if (exponents && pc_lit(c, "^") == 0 && pc_ulong(c, &e))
			return -1;
		if (mpz_cmp_ui(f, 1) <= 0 ||
		    engine_result_add(r, f, e, kind) != STATUS_OK)
			return -1;
	}
	return 0;
}

/*
 * JSON and CSV: the primes, then "complete", "partial" + cofactor, or
 * "zero" (n = 0, no factors).
 */
static int parse_json(struct output_pc *c, int verbose, mpz_t n,
		      struct engine_result *r, mpz_t f,
		      struct output_meta *meta)
{
	unsigned long e, rank;

	if (pc_lit(c, "{\"n\":\"") || pc_mpz(c, n) ||
	    pc_lit(c, "\",\"factors\":["))
		return -1;
	while (pc_lit(c, "]") != 0) {
		if ((r->count > 0 && pc_lit(c, ",")) ||
		    pc_lit(c, "{\"p\":\"") || pc_mpz(c, f) ||
		    pc_lit(c, "\",\"e\":") || pc_ulong(c, &e) ||
		    pc_lit(c, "}") || mpz_cmp_ui(f, 1) <= 0 ||
		    engine_result_add(r, f, e, ENGINE_PRIME) != STATUS_OK)
			return -1;
	}
	if (pc_lit(c, ",\"status\":\"partial\",\"cofactor\":\"") == 0) {
		if (pc_mpz(c, f) || pc_lit(c, "\"") || mpz_cmp_ui(f, 1) <= 0 ||
		    engine_result_add(r, f, 1, ENGINE_COMPOSITE) != STATUS_OK)
			return -1;
	} else if (mpz_sgn(n) == 0) {
		if (r->count > 0 || pc_lit(c, ",\"status\":\"zero\""))
			return -1;
	} else if (pc_lit(c, ",\"status\":\"complete\"")) {
		return -1;
	}
	if (verbose && pc_lit(c, ",\"rank\":") == 0) {
		if (pc_ulong(c, &rank) || rank > INT32_MAX)
			return -1;
		meta->rank = (int)rank;
	}
	if (verbose && pc_lit(c, ",\"seconds\":") == 0 &&
	    pc_seconds(c, &meta->seconds))
		return -1;
	return pc_lit(c, "}");
}

static int parse_csv(struct output_pc *c, int verbose, mpz_t n,
		     struct engine_result *r, mpz_t f, struct output_meta *meta)
{
	unsigned long e, rank;
	int partial;

	if (pc_mpz(c, n) || pc_lit(c, ",\""))
		return -1;
	while (pc_lit(c, "\"") != 0) {
		e = 1;
		if ((r->count > 0 && pc_lit(c, " ")) || pc_mpz(c, f) ||
		    (pc_lit(c, "^") == 0 && pc_ulong(c, &e)) ||
		    mpz_cmp_ui(f, 1) <= 0 ||
		    engine_result_add(r, f, e, ENGINE_PRIME) != STATUS_OK)
			return -1;
	}
	partial = pc_lit(c, ",partial,") == 0;
	if (!partial && mpz_sgn(n) == 0) {
		if (r->count > 0 || pc_lit(c, ",zero,"))
			return -1;
	} else if (!partial && pc_lit(c, ",complete,")) {
		return -1;
	}
	if (partial &&
	    (pc_mpz(c, f) || mpz_cmp_ui(f, 1) <= 0 ||
	     engine_result_add(r, f, 1, ENGINE_COMPOSITE) != STATUS_OK))
		return -1;
	if (!verbose)
		return 0;
	if (pc_lit(c, ","))
		return -1;
	if (c->p < c->end && *c->p != ',') {
		if (pc_ulong(c, &rank) || rank > INT32_MAX)
			return -1;
		meta->rank = (int)rank;
	}
	if (pc_lit(c, ","))
		return -1;
	if (c->p < c->end && pc_seconds(c, &meta->seconds))
		return -1;
	return 0;
}

int output_parse(const char *line, size_t len, int format, int exponents,
		 int verbose, mpz_t n, struct engine_result *r,
		 struct output_meta *meta)
{
	struct output_pc c;
	mpz_t f;
	int bad;

	if (!line || len == 0 || line[len - 1] != '\n' || !r || !meta)
		return STATUS_ERR_INVAL;
	memset(&c, 0, sizeof c);
	c.p = line;
	c.end = line + len - 1; /* the newline ends the line */
	meta->rank = -1;
	meta->seconds = -1;
	engine_result_reset(r);
	mpz_init(f);
	switch (format) {
	case CLI_FORMAT_TEXT: bad = parse_text(&c, exponents, n, r, f); break;
	case CLI_FORMAT_JSON:
		bad = parse_json(&c, verbose, n, r, f, meta);
		break;
	case CLI_FORMAT_CSV: bad = parse_csv(&c, verbose, n, r, f, meta); break;
	default: bad = -1;
	}
	mpz_clear(f);
	free(c.big);
	if (bad || c.p != c.end)
		return STATUS_ERR_SYNTAX;
	r->status = STATUS_OK;
	for (size_t i = 0; i < r->count; i++)
		if (r->f[i].kind == ENGINE_COMPOSITE)
			r->status = STATUS_PARTIAL;
	return STATUS_OK;
}

/* ---- the stream ---- */

static int output_fail(char *err, size_t err_size, int code, int e,
		       const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static int output_fail(char *err, size_t err_size, int code, int e,
		       const char *fmt, ...)
{
	va_list ap;
	size_t l;

	if (err && err_size > 0) {
		va_start(ap, fmt);
		vsnprintf(err, err_size, fmt, ap);
		va_end(ap);
		l = strlen(err);
		snprintf(err + l, err_size - l, ": %s", strerror(e));
	}
	errno = e;
	return code;
}

static void output_free(struct output *o)
{
	if (!o)
		return;
	free(o->path);
	free(o->name);
	free(o->tmp);
	free(o->iobuf);
	free(o->line);
	free(o);
}

static double output_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Bytes were just buffered: start the flush clock if it is not running. */
static void output_pending(struct output *o)
{
	if (o->watched && o->pending_since == 0)
		o->pending_since = output_now();
}

/*
 * mkstemp "<dir>/.<base>.XXXXXX" next to path; fd or -1 (errno set).
 * old: the file it will replace (NULL: none), whose owner, group and
 * mode the new file takes, as sed -i does: owner and group where the
 * process may set them (silently kept as created otherwise), then the
 * permission bits (after the chown, which would clear set-id bits).
 */
static int output_mktemp(struct output *o, const struct stat *old)
{
	const char *slash = strrchr(o->path, '/');
	size_t dirlen = slash ? (size_t)(slash - o->path) + 1 : 0;
	const char *base = o->path + dirlen;
	size_t size = strlen(o->path) + 16;
	mode_t mask;
	int fd;

	o->tmp = malloc(size);
	if (!o->tmp) {
		errno = ENOMEM;
		return -1;
	}
	snprintf(o->tmp, size, "%.*s.%s.XXXXXX", (int)dirlen, o->path, base);
	fd = mkstemp(o->tmp);
	if (fd < 0) {
		free(o->tmp);
		o->tmp = NULL;
		return -1;
	}
	mask = umask(0);
	umask(mask);
	if (old != NULL && fchown(fd, old->st_uid, old->st_gid) != 0 &&
	    fchown(fd, (uid_t)-1, old->st_gid) != 0) {
		/* not permitted: the new file keeps our owner and group */
	}
	if (fchmod(fd,
		   old != NULL ? old->st_mode & 07777
			       : (mode_t)(0666 & ~mask)) != 0) {
		int e = errno;
		close(fd);
		unlink(o->tmp);
		errno = e;
		return -1;
	}
	return fd;
}

/*
 * The fixed temporary name "<dir>/.<base>" OUTPUT_KEPT_SUFFIX next to path,
 * opened read-write and created when missing, its bytes kept unless
 * fresh (then truncated to 0); fd or -1 (errno set).  Only a regular file,
 * never through a symbolic link.  A new file takes old's mode as
 * output_mktemp does.
 */
static int output_kepttemp(struct output *o, const struct stat *old, int fresh)
{
	const char *slash = strrchr(o->path, '/');
	size_t dirlen = slash ? (size_t)(slash - o->path) + 1 : 0;
	size_t size = strlen(o->path) + sizeof OUTPUT_KEPT_SUFFIX + 2;
	mode_t mask = umask(0);
	int fd;

	umask(mask);
	o->tmp = malloc(size);
	if (!o->tmp) {
		errno = ENOMEM;
		return -1;
	}
	snprintf(o->tmp, size, "%.*s.%s%s", (int)dirlen, o->path,
		 o->path + dirlen, OUTPUT_KEPT_SUFFIX);
	/* not through a link: the name is fixed, so in a directory others
	   may write, someone could have put one there */
	fd = open(o->tmp, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
		  old != NULL ? old->st_mode & 0777 : (mode_t)(0666 & ~mask));
	if (fd >= 0) {
		struct stat sb;
		int e = 0;
		if (fstat(fd, &sb) != 0)
			e = errno;
		else if (!S_ISREG(sb.st_mode))
			e = EINVAL; /* a FIFO or device under that name */
		else if (fresh && ftruncate(fd, 0) != 0)
			e = errno;
		if (e != 0) {
			close(fd);
			errno = e;
			fd = -1;
		}
	}
	if (fd < 0) {
		free(o->tmp);
		o->tmp = NULL;
		return -1;
	}
	o->kept = 1;
	return fd;
}

static int output_open_as(struct output **op, const char *path, int format,
			  int exponents, int verbose, int kept, char *err,
			  size_t err_size)
{
	struct output *o;
	struct stat st;
	int fd, e;

	*op = NULL;
	if (err && err_size > 0)
		err[0] = '\0';
	if (format != CLI_FORMAT_TEXT && format != CLI_FORMAT_JSON &&
	    format != CLI_FORMAT_CSV)
		return output_fail(err, err_size, STATUS_ERR_INVAL, EINVAL,
				   "invalid output format %d", format);
	o = calloc(1, sizeof *o);
	if (!o)
		return output_fail(err, err_size, STATUS_ERR_NOMEM, ENOMEM,
				   "output");
	o->format = format;
	o->exponents = exponents;
	o->verbose = verbose;

	if (!path || strcmp(path, "-") == 0) {
		if (fcntl(STDOUT_FILENO, F_GETFD) == -1) {
			e = errno;
			output_free(o);
			return output_fail(err, err_size, STATUS_ERR_IO, e,
					   "standard output is not open");
		}
		o->f = stdout;
		o->is_stdout = 1;
		o->watched = 1;
		setvbuf(stdout, output_stdout_buf, _IOFBF,
			sizeof output_stdout_buf);
	} else {
		o->path = strdup(path);
		o->name = strdup(path);
		o->iobuf = malloc(OUTPUT_IOBUF);
		if (!o->path || !o->name || !o->iobuf) {
			output_free(o);
			return output_fail(err, err_size, STATUS_ERR_NOMEM,
					   ENOMEM, "output file '%s'", path);
		}
		if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
			output_free(o);
			return output_fail(err, err_size, STATUS_ERR_IO, EISDIR,
					   "cannot write output file '%s'",
					   path);
		}
		if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
			o->f = fopen(path, "w"); /* a device or FIFO */
			o->watched = 1;
		} else {
			struct stat lst, old;
			char *real;
			/* a symlink to a file: replace the file, keep the link */
			if (lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode) &&
			    (real = realpath(path, NULL)) != NULL) {
				free(o->path);
				o->path = real;
			}
			const struct stat *was =
				stat(o->path, &old) == 0 ? &old : NULL;
			fd = kept ? output_kepttemp(o, was, kept > 1)
				  : output_mktemp(o, was);
			o->f = fd >= 0 ? fdopen(fd, "w") : NULL;
			if (fd >= 0 && !o->f) {
				e = errno;
				close(fd);
				if (!o->kept)
					unlink(o->tmp);
				errno = e;
			}
		}
		if (!o->f) {
			e = errno;
			output_free(o);
			return output_fail(err, err_size, STATUS_ERR_IO, e,
					   "cannot create output file '%s'",
					   path);
		}
		setvbuf(o->f, o->iobuf, _IOFBF, OUTPUT_IOBUF);
	}
	if (format == CLI_FORMAT_CSV) {
		if (fputs(output_csv_header, o->f) == EOF ||
		    fputs(verbose ? ",rank,seconds\n" : "\n", o->f) == EOF)
			o->error = errno ? errno : EIO;
		output_pending(o);
	}
	*op = o;
	return STATUS_OK;
}

int output_open(struct output **op, const char *path, int format, int exponents,
		int verbose, char *err, size_t err_size)
{
	return output_open_as(op, path, format, exponents, verbose, 0, err,
			      err_size);
}

int output_open_kept(struct output **op, const char *path, int format,
		     int exponents, int verbose, int fresh, char *err,
		     size_t err_size)
{
	return output_open_as(op, path, format, exponents, verbose,
			      fresh ? 2 : 1, err, err_size);
}

int output_is_kept(const struct output *o)
{
	return o != NULL && o->kept;
}

void output_set_length(struct output *o, uint64_t length)
{
	if (o != NULL) {
		o->have_length = 1;
		o->length = length;
	}
}

int output_write(struct output *o, const mpz_t n, const struct engine_result *r,
		 const struct output_meta *meta)
{
	long len;

	if (!o)
		return STATUS_ERR_INVAL;
	if (o->error) {
		errno = o->error;
		return STATUS_ERR_IO;
	}
	len = output_format(&o->line, &o->line_cap, o->format, o->exponents,
			    o->verbose, n, r, meta);
	if (len < 0)
		return (int)len;
	errno = 0;
	if (fwrite(o->line, 1, (size_t)len, o->f) != (size_t)len) {
		o->error = errno ? errno : EIO;
		return STATUS_ERR_IO;
	}
	output_pending(o);
	return STATUS_OK;
}

int output_write_block(struct output *o, const void *bytes, size_t len)
{
	if (!o)
		return STATUS_ERR_INVAL;
	if (o->error) {
		errno = o->error;
		return STATUS_ERR_IO;
	}
	if (len == 0)
		return STATUS_OK;
	errno = 0;
	if (fwrite(bytes, 1, len, o->f) != len) {
		o->error = errno ? errno : EIO;
		return STATUS_ERR_IO;
	}
	output_pending(o);
	return STATUS_OK;
}

const char *output_shared_path(const struct output *o)
{
	return o != NULL && o->tmp != NULL && !o->is_stdout ? o->tmp : NULL;
}

int output_hand_over(struct output *o, uint64_t *offset)
{
	long pos;

	if (!o || output_shared_path(o) == NULL)
		return STATUS_ERR_INVAL;
	errno = 0;
	if (fflush(o->f) != 0 || (pos = ftell(o->f)) < 0) {
		o->error = errno ? errno : EIO;
		return STATUS_ERR_IO;
	}
	*offset = (uint64_t)pos;
	return STATUS_OK;
}

int output_write_at(struct output *o, uint64_t offset, const void *bytes,
		    size_t len)
{
	const char *p = bytes;

	if (!o || output_shared_path(o) == NULL)
		return STATUS_ERR_INVAL;
	errno = 0;
	if (fflush(o->f) != 0) {
		o->error = errno ? errno : EIO;
		return STATUS_ERR_IO;
	}
	while (len > 0) {
		ssize_t n = pwrite(fileno(o->f), p, len, (off_t)offset);
		if (n <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			o->error = errno ? errno : EIO;
			return STATUS_ERR_IO;
		}
		p += n;
		offset += (uint64_t)n;
		len -= (size_t)n;
	}
	return STATUS_OK;
}

double output_flush_wait(const struct output *o)
{
	double left;

	if (!o || o->pending_since == 0)
		return -1;
	left = o->pending_since + OUTPUT_FLUSH_MS * 1e-3 - output_now();
	return left > 0 ? left : 0;
}

int output_tick(struct output *o, int now)
{
	double w;

	if (!o)
		return STATUS_ERR_INVAL;
	if (o->error) {
		errno = o->error;
		return STATUS_ERR_IO;
	}
	w = output_flush_wait(o);
	if (w < 0 || (w > 0 && !now))
		return STATUS_OK; /* nothing waits, or not due yet */
	o->pending_since = 0;
	errno = 0;
	if (fflush(o->f) != 0) {
		o->error = errno ? errno : EIO;
		return STATUS_ERR_IO;
	}
	return STATUS_OK;
}

/* A kept file, cut to its length: what an earlier run left past it goes.
   0 or an errno. */
static int output_cut(struct output *o)
{
	long pos;
	uint64_t len = o->length;

	if (!o->have_length) {
		pos = ftell(o->f);
		if (pos < 0)
			return errno ? errno : EIO;
		len = (uint64_t)pos;
	}
	if (ftruncate(fileno(o->f), (off_t)len) != 0)
		return errno ? errno : EIO;
	return 0;
}

int output_close(struct output *o, int commit, char *err, size_t err_size)
{
	const char *what;
	int e = 0, rc = STATUS_OK;

	if (err && err_size > 0)
		err[0] = '\0';
	if (!o)
		return STATUS_OK;
	what = o->is_stdout ? "standard output" : o->name;
	e = o->error;
	errno = 0;
	if (fflush(o->f) != 0 && !e)
		e = errno ? errno : EIO;
	if (ferror(o->f) && !e)
		e = EIO;
	if (!o->is_stdout) {
		if (commit && o->kept && !e)
			e = output_cut(o);
		if (commit && o->tmp && !e && fsync(fileno(o->f)) != 0)
			e = errno;
		if (fclose(o->f) != 0 && !e)
			e = errno ? errno : EIO;
		if (o->tmp) {
			if (commit && !e) {
				if (rename(o->tmp, o->path) != 0)
					e = errno;
			}
			if ((!commit || e) && !o->kept)
				unlink(o->tmp);
		}
	}
	if (e) {
		rc = output_fail(err, err_size, STATUS_ERR_IO, e,
				 "write error on %s", what);
		if (o->tmp && commit && err && err_size > 0) {
			size_t l = strlen(err);
			snprintf(err + l, err_size - l, " (%s not written)",
				 o->name);
		}
	}
	output_free(o);
	if (e)
		errno = e;
	return rc;
}
