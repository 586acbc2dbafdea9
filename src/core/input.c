/*
 * input.c - the sources of numbers: a generated progression, text read
 * from a file or stdin, or command-line arguments (see include/input.h).
 *
 * Purpose: hand the master one number at a time, in input order, and
 * describe every bad token precisely enough for a GNU factor-like message
 * ("'abc' is not a valid positive integer", with its line).
 *
 * Token rules (GNU factor's, plus '#' comments and CRLF):
 *   - In text, tokens are separated by spaces, tabs, newlines and carriage
 *     returns (so CRLF files work).  '#' at the start of a token begins a
 *     comment that runs to the end of the line; a '#' inside a token makes
 *     it a bad token ("3#x"), as in the shell.
 *   - A valid token is one optional leading '+' followed by one or more
 *     decimal digits.  Leading zeros are allowed and dropped (the value is
 *     printed, as factor does).  0 and 1 are valid numbers.
 *   - A command-line argument is one token; leading blanks are skipped
 *     (GNU factor accepts "  +7"); any other blank makes it bad ("3 4").
 *   - Anything else is a bad token: signs other than one leading '+',
 *     letters, hexadecimal or exponent forms, NUL bytes, bytes >= 0x80.
 *   - A number with more than max_digits significant digits is rejected
 *     with its own reason (STATUS_ERR_RANGE) before any conversion.
 *
 * Invariants (bounded memory): the file reader never holds more than one
 * read buffer (INPUT_BUF_BYTES) plus the significant digits of the current
 * token, and stops storing digits past max_digits + 1; so a 10 MB line of
 * digits costs max_digits bytes, never the whole line.  The token text
 * shown in messages is at most sizeof(err->token) bytes, shortened with
 * "..." and with control and non-ASCII bytes escaped (\t, \r, \x00).
 *
 * Algorithm of input_next for text (one pass, byte at a time over a
 * buffered block):
 *   1. Skip separators, counting newlines; at '#', skip to the newline.
 *   2. Accumulate the token until a separator or end of file: note a
 *      first '+', drop leading zeros, store significant digits up to
 *      max_digits + 1, remember any invalid byte, keep a display copy.
 *   3. Classify: invalid byte or no digit -> STATUS_ERR_SYNTAX; too many
 *      digits -> STATUS_ERR_RANGE; else mpz_set_str -> STATUS_OK.
 *   A fast path handles the common token first: at most 19 plain digits
 *   lying whole in the buffer, converted in a uint64_t.
 *   input_parse_token applies the same rules to a token in memory, so
 *   arguments and text agree (tests/unit/test_input.c runs both on one table).
 *
 * Byte ranges (--input FILE on several ranks, proto.h 3a): input_cut finds
 * each range's end by pread and memchr from the byte before the nominal
 * end to the next newline, so a range ends just after a newline (or at the
 * end of the file) and no token or comment is ever cut; a line longer
 * than a range costs its length once.  input_open_bytes is a text source
 * over one range: the same reader, its reads capped at the range's bytes
 * (left), its lines counted from 1; a file whose size is not the one cut
 * (at open) or that ends inside the range (while reading) gives
 * STATUS_ERR_CORRUPT.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "input.h"
#include "status.h"

enum input_kind { INPUT_RANGE = 1, INPUT_FILE, INPUT_ARGS };
enum { INPUT_BUF_BYTES = 1 << 16 };

static const char input_reason_syntax[] = "is not a valid positive integer";
static const char input_reason_long[] = "has more than --max-digits digits";

struct input_source {
	int kind; /* enum input_kind */

	/* INPUT_RANGE */
	mpz_t start, step, cur;
	uint64_t count, index;

	/* INPUT_FILE */
	FILE *f;
	int own_file;                           /* 0 for stdin */
	const volatile sig_atomic_t *interrupt; /* input_set_interrupt */
	uint64_t left;      /* bytes still to read: a byte range's rest,
			  UINT64_MAX for a whole file */
	int shrunk;         /* a byte range met end of file early */
	unsigned char *buf; /* INPUT_BUF_BYTES */
	size_t pos, len;
	int eof;
	unsigned long line; /* current line, 1-based */
	char *digits;       /* significant digits of the token + NUL */
	size_t digits_cap;  /* max_digits + 2 */

	/* INPUT_ARGS */
	char **args;
	int n_args, arg_index;

	unsigned long max_digits;
	char reason_long[64]; /* "has more than N digits (--max-digits)" */
};

/* The token being read: digits kept, display text, verdict flags. */
struct input_tok {
	size_t ndigits; /* significant digits seen (may exceed stored) */
	int any_digit;  /* at least one digit, zeros included */
	int bad;        /* an invalid byte or misplaced '+' */
	size_t nbytes;  /* bytes in the token */
	char show[64];  /* display text (NUL-terminated) */
	size_t show_len;
	int show_cut; /* display text was shortened */
};

static void input_tok_start(struct input_tok *t)
{
	memset(t, 0, sizeof *t);
}

/* Append byte c to the display copy, escaped when not printable ASCII. */
static void input_tok_show(struct input_tok *t, unsigned char c)
{
	char esc[5];
	size_t n, room = sizeof t->show - 4; /* keep room for "..." + NUL */

	if (t->show_cut)
		return;
	if (c >= 0x20 && c < 0x7f) {
		esc[0] = (char)c;
		n = 1;
	} else if (c == '\t' || c == '\r' || c == '\n' || c == '\v' ||
		   c == '\f') {
		esc[0] = '\\';
		esc[1] = c == '\t'  ? 't'
			: c == '\r' ? 'r'
			: c == '\n' ? 'n'
			: c == '\v' ? 'v'
				    : 'f';
		n = 2;
	} else {
		static const char hex[] = "0123456789abcdef";
		esc[0] = '\\';
		esc[1] = 'x';
		esc[2] = hex[c >> 4];
		esc[3] = hex[c & 15];
		n = 4;
	}
	if (t->show_len + n > room) {
		memcpy(t->show + t->show_len, "...", 4);
		t->show_len += 3;
		t->show_cut = 1;
		return;
	}
	memcpy(t->show + t->show_len, esc, n);
	t->show_len += n;
	t->show[t->show_len] = '\0';
}

/*
 * Step 2 for one byte.  digits (cap bytes, may be NULL when only
 * classifying) receives significant digits up to cap - 1.
 */
static void input_tok_byte(struct input_tok *t, unsigned char c, char *digits,
			   size_t cap)
{
	input_tok_show(t, c);
	if (c == '+' && t->nbytes == 0) {
		t->nbytes++;
		return;
	}
	t->nbytes++;
	if (c < '0' || c > '9') {
		t->bad = 1;
		return;
	}
	t->any_digit = 1;
	if (c == '0' && t->ndigits == 0)
		return; /* leading zero */
	if (digits && t->ndigits + 1 < cap)
		digits[t->ndigits] = (char)c;
	t->ndigits++;
}

/* Step 3.  digits holds min(ndigits, cap - 1) digits. */
static int input_tok_finish(const struct input_tok *t, char *digits,
			    unsigned long max_digits, mpz_t n,
			    const char **reason)
{
	if (t->bad || !t->any_digit) {
		*reason = input_reason_syntax;
		return STATUS_ERR_SYNTAX;
	}
	if (t->ndigits > max_digits) {
		*reason = input_reason_long;
		return STATUS_ERR_RANGE;
	}
	if (t->ndigits == 0) {
		mpz_set_ui(n, 0);
		return STATUS_OK;
	}
	digits[t->ndigits] = '\0';
	if (mpz_set_str(n, digits, 10) != 0) { /* cannot happen: digits only */
		*reason = input_reason_syntax;
		return STATUS_ERR_SYNTAX;
	}
	return STATUS_OK;
}

int input_parse_token(const char *tok, size_t len, unsigned long max_digits,
		      mpz_t n, const char **reason)
{
	struct input_tok t;
	char small[64], *digits = small;
	size_t i, cap;
	int rc;

	*reason = NULL;
	input_tok_start(&t);
	/* Count first so the digit buffer is allocated to size once. */
	for (i = 0; i < len; i++)
		input_tok_byte(&t, (unsigned char)tok[i], NULL, 0);
	if (t.bad || !t.any_digit || t.ndigits > max_digits || t.ndigits == 0)
		return input_tok_finish(&t, NULL, max_digits, n, reason);
	cap = t.ndigits + 1;
	if (cap > sizeof small) {
		digits = malloc(cap);
		if (!digits)
			return STATUS_ERR_NOMEM;
	}
	input_tok_start(&t);
	for (i = 0; i < len; i++)
		input_tok_byte(&t, (unsigned char)tok[i], digits, cap);
	rc = input_tok_finish(&t, digits, max_digits, n, reason);
	if (digits != small)
		free(digits);
	return rc;
}

static int input_alloc(struct input_source **s, int kind)
{
	*s = calloc(1, sizeof **s);
	if (!*s)
		return STATUS_ERR_NOMEM;
	(*s)->kind = kind;
	return STATUS_OK;
}

int input_open_range(struct input_source **s, const mpz_t start,
		     const mpz_t step, uint64_t count)
{
	int rc;

	*s = NULL;
	if (mpz_sgn(start) < 0 || mpz_sgn(step) <= 0)
		return STATUS_ERR_INVAL;
	rc = input_alloc(s, INPUT_RANGE);
	if (rc != STATUS_OK)
		return rc;
	mpz_init_set((*s)->start, start);
	mpz_init_set((*s)->step, step);
	mpz_init_set((*s)->cur, start);
	(*s)->count = count;
	return STATUS_OK;
}

static void input_set_reason_long(struct input_source *s)
{
	snprintf(s->reason_long, sizeof s->reason_long,
		 "has more than %lu digit%s (--max-digits)", s->max_digits,
		 s->max_digits == 1 ? "" : "s");
}

int input_open_file(struct input_source **s, const char *path,
		    unsigned long max_digits)
{
	struct input_source *src;
	struct stat st;
	int rc, saved;

	*s = NULL;
	if (!path || max_digits == 0)
		return STATUS_ERR_INVAL;
	rc = input_alloc(&src, INPUT_FILE);
	if (rc != STATUS_OK)
		return rc;
	src->max_digits = max_digits;
	input_set_reason_long(src);
	src->line = 1;
	src->left = UINT64_MAX;
	src->digits_cap = max_digits + 2;
	src->buf = malloc(INPUT_BUF_BYTES);
	src->digits = malloc(src->digits_cap);
	if (!src->buf || !src->digits) {
		rc = STATUS_ERR_NOMEM;
		goto fail;
	}
	if (strcmp(path, "-") == 0) {
		src->f = stdin;
	} else {
		src->f = fopen(path, "rb");
		if (!src->f) {
			rc = STATUS_ERR_IO;
			goto fail;
		}
		src->own_file = 1;
		if (fstat(fileno(src->f), &st) == 0 && S_ISDIR(st.st_mode)) {
			errno = EISDIR;
			rc = STATUS_ERR_IO;
			goto fail;
		}
	}
	*s = src;
	return STATUS_OK;
fail:
	saved = errno;
	input_close(src);
	errno = saved;
	return rc;
}

int input_open_bytes(struct input_source **s, const char *path, uint64_t offset,
		     uint64_t length, uint64_t size, unsigned long max_digits)
{
	struct stat st;
	int rc, saved;

	*s = NULL;
	if (path == NULL || strcmp(path, "-") == 0 || offset > size ||
	    length > size - offset)
		return STATUS_ERR_INVAL;
	rc = input_open_file(s, path, max_digits);
	if (rc != STATUS_OK)
		return rc;
	if (fstat(fileno((*s)->f), &st) != 0) {
		rc = STATUS_ERR_IO;
		goto fail;
	}
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size != size) {
		rc = STATUS_ERR_CORRUPT; /* another file, or it changed */
		goto fail;
	}
	if (lseek(fileno((*s)->f), (off_t)offset, SEEK_SET) == (off_t)-1) {
		rc = STATUS_ERR_IO;
		goto fail;
	}
	(*s)->left = length;
	return STATUS_OK;
fail:
	saved = errno;
	input_close(*s);
	*s = NULL;
	errno = saved;
	return rc;
}

unsigned long input_line(const struct input_source *s)
{
	return s != NULL && s->kind == INPUT_FILE ? s->line : 0;
}

/*
 * The end of the byte range that starts at start: start + target, moved
 * on to just after the next newline at or after that byte's predecessor
 * (so a range ending exactly at a line end stays put), or the end of the
 * file.  pread in INPUT_BUF_BYTES blocks: a line longer than a range
 * costs its length once, here.
 */
static int input_cut_one(int fd, uint64_t start, uint64_t target, uint64_t size,
			 unsigned char *buf, uint64_t *end)
{
	uint64_t p;

	if (target >= size - start) {
		*end = size;
		return STATUS_OK;
	}
	p = start + target - 1; /* the range's last byte if it ends well */
	while (p < size) {
		size_t want = size - p < INPUT_BUF_BYTES ? (size_t)(size - p)
							 : INPUT_BUF_BYTES;
		ssize_t got = pread(fd, buf, want, (off_t)p);
		const unsigned char *nl;

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return STATUS_ERR_IO;
		if (got == 0)
			return STATUS_ERR_CORRUPT; /* shorter than its size */
		nl = memchr(buf, '\n', (size_t)got);
		if (nl != NULL) {
			*end = p + (uint64_t)(nl - buf) + 1;
			return STATUS_OK;
		}
		p += (uint64_t)got;
	}
	*end = size;
	return STATUS_OK;
}

int input_cut(const char *path, uint64_t target, uint64_t **ends, uint64_t *n,
	      uint64_t *size)
{
	struct stat st;
	unsigned char *buf = NULL;
	uint64_t *e = NULL, cap = 0, k = 0, start = 0;
	int fd, rc = STATUS_OK, saved;

	*ends = NULL;
	*n = 0;
	*size = 0;
	if (path == NULL || strcmp(path, "-") == 0 || target == 0)
		return STATUS_ERR_INVAL;
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return STATUS_ERR_IO;
	if (fstat(fd, &st) != 0) {
		rc = STATUS_ERR_IO;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = STATUS_NOT_FOUND; /* a pipe, a device: read it as text */
		goto out;
	}
	*size = (uint64_t)st.st_size;
	buf = malloc(INPUT_BUF_BYTES);
	if (buf == NULL) {
		rc = STATUS_ERR_NOMEM;
		goto out;
	}
	while (start < *size) {
		if (k == cap) {
			uint64_t *g;
			cap = cap ? 2 * cap : 64;
			g = realloc(e, cap * sizeof *e);
			if (g == NULL) {
				rc = STATUS_ERR_NOMEM;
				goto out;
			}
			e = g;
		}
		rc = input_cut_one(fd, start, target, *size, buf, &e[k]);
		if (rc != STATUS_OK)
			goto out;
		start = e[k++];
	}
out:
	saved = errno;
	free(buf);
	close(fd);
	if (rc != STATUS_OK) {
		free(e);
		e = NULL;
		k = 0;
	}
	*ends = e;
	*n = k;
	errno = saved;
	return rc;
}

int input_open_args(struct input_source **s, char **args, int n,
		    unsigned long max_digits)
{
	int rc;

	*s = NULL;
	if (n < 0 || (n > 0 && !args) || max_digits == 0)
		return STATUS_ERR_INVAL;
	rc = input_alloc(s, INPUT_ARGS);
	if (rc != STATUS_OK)
		return rc;
	(*s)->args = args;
	(*s)->n_args = n;
	(*s)->max_digits = max_digits;
	input_set_reason_long(*s);
	return STATUS_OK;
}

void input_set_interrupt(struct input_source *s,
			 const volatile sig_atomic_t *flag)
{
	if (s != NULL)
		s->interrupt = flag;
}

void input_close(struct input_source *s)
{
	if (!s)
		return;
	if (s->kind == INPUT_RANGE) {
		mpz_clear(s->start);
		mpz_clear(s->step);
		mpz_clear(s->cur);
	}
	if (s->f && s->own_file)
		fclose(s->f);
	free(s->buf);
	free(s->digits);
	free(s);
}

/*
 * Next byte of the file, or -1 at end of file, -2 on a read error.
 * read(2), not fread: one call returns what a pipe holds now (fread
 * would wait for a full buffer), and a signal is seen between reads.
 */
static int input_getc(struct input_source *s)
{
	if (s->pos == s->len) {
		ssize_t got;

		if (s->eof)
			return -1;
		for (;;) {
			/* a stopping job reads no more: a stalled pipe
			   must not hold it (see input_set_interrupt) */
			if (s->interrupt != NULL && *s->interrupt) {
				errno = EINTR;
				return -2;
			}
			got = s->left == 0 ? 0
					   : read(fileno(s->f), s->buf,
						  s->left < INPUT_BUF_BYTES
							  ? (size_t)s->left
							  : INPUT_BUF_BYTES);
			if (got >= 0 || errno != EINTR)
				break;
		}
		s->pos = 0;
		s->len = got > 0 ? (size_t)got : 0;
		if (got == 0 && s->left != 0 && s->left != UINT64_MAX) {
			/* a byte range past the end: the file shrank */
			s->shrunk = 1;
			errno = 0;
			got = -1;
		}
		if (got <= 0) {
			s->eof = 1;
			return got < 0 ? -2 : -1;
		}
		if (s->left != UINT64_MAX)
			s->left -= (uint64_t)got;
	}
	return s->buf[s->pos++];
}

static void input_unget(struct input_source *s)
{
	s->pos--; /* only right after a successful input_getc */
}

static int input_is_sep(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static void input_fill_error(struct input_error *err, unsigned long line,
			     const struct input_tok *t, const char *reason)
{
	if (!err)
		return;
	err->line = line;
	memcpy(err->token, t->show, t->show_len + 1);
	err->reason = reason;
}

/* n = v for any uint64_t, also where unsigned long has 32 bits. */
static void input_set_u64(mpz_t n, uint64_t v)
{
	if (v <= ULONG_MAX) {
		mpz_set_ui(n, (unsigned long)v);
		return;
	}
	mpz_set_ui(n, (unsigned long)(v >> 32));
	mpz_mul_2exp(n, n, 32);
	mpz_add_ui(n, n, (unsigned long)(v & 0xffffffffu));
}

static int input_next_file(struct input_source *s, mpz_t n,
			   struct input_error *err)
{
	struct input_tok t;
	const char *reason = NULL;
	unsigned long line;
	int c, rc;

	/* Step 1: separators and comments. */
	for (;;) {
		c = input_getc(s);
		if (c == -2)
			return STATUS_ERR_IO;
		if (c == -1)
			return STATUS_NOT_FOUND;
		if (c == '\n') {
			s->line++;
		} else if (c == '#') {
			while ((c = input_getc(s)) >= 0 && c != '\n')
				;
			if (c == -2)
				return STATUS_ERR_IO;
			if (c == -1)
				return STATUS_NOT_FOUND;
			s->line++;
		} else if (!input_is_sep(c)) {
			break;
		}
	}
	/*
	 * Fast path (nearly every token of a big file): up to 19 plain
	 * digits, all in the buffer and followed by a separator there, fit
	 * a uint64_t.  Anything else takes the general path below.
	 */
	{
		const unsigned char *p = s->buf + s->pos - 1, *q = p;
		const unsigned char *end = s->buf + s->len;
		uint64_t v = 0;

		while (q < end && *q >= '0' && *q <= '9')
			q++;
		if (q < end && input_is_sep(*q) && q - p <= 19 &&
		    (unsigned long)(q - p) <= s->max_digits) {
			for (; p < q; p++)
				v = v * 10 + (uint64_t)(*p - '0');
			input_set_u64(n, v);
			s->pos = (size_t)(q - s->buf);
			return STATUS_OK;
		}
	}
	/* Step 2: the token. */
	line = s->line;
	input_tok_start(&t);
	do {
		input_tok_byte(&t, (unsigned char)c, s->digits, s->digits_cap);
		c = input_getc(s);
	} while (c >= 0 && !input_is_sep(c));
	if (c == -2)
		return STATUS_ERR_IO;
	if (c >= 0)
		input_unget(s); /* the separator; newlines are counted above */
	/* Step 3. */
	rc = input_tok_finish(&t, s->digits, s->max_digits, n, &reason);
	if (rc == STATUS_ERR_RANGE)
		reason = s->reason_long;
	if (rc != STATUS_OK)
		input_fill_error(err, line, &t, reason);
	return rc;
}

static int input_next_arg(struct input_source *s, mpz_t n,
			  struct input_error *err)
{
	const char *a, *reason = NULL;
	size_t i, len;
	int rc;

	if (s->arg_index >= s->n_args)
		return STATUS_NOT_FOUND;
	a = s->args[s->arg_index++];
	len = strlen(a);
	for (i = 0; i < len && (a[i] == ' ' || a[i] == '\t'); i++)
		;
	rc = input_parse_token(a + i, len - i, s->max_digits, n, &reason);
	if (rc == STATUS_ERR_RANGE)
		reason = s->reason_long;
	if (rc == STATUS_ERR_SYNTAX || rc == STATUS_ERR_RANGE) {
		struct input_tok t;
		input_tok_start(&t);
		for (i = 0; i < len && !t.show_cut; i++)
			input_tok_show(&t, (unsigned char)a[i]);
		input_fill_error(err, 0, &t, reason);
	}
	return rc;
}

int input_next(struct input_source *s, mpz_t n, struct input_error *err)
{
	if (!s)
		return STATUS_ERR_INVAL;
	switch (s->kind) {
	case INPUT_RANGE:
		if (s->index >= s->count)
			return STATUS_NOT_FOUND;
		mpz_set(n, s->cur);
		mpz_add(s->cur, s->cur, s->step);
		s->index++;
		return STATUS_OK;
	case INPUT_FILE: {
		int rc = input_next_file(s, n, err);
		/* a byte range that ran past the end of its file */
		return rc == STATUS_ERR_IO && s->shrunk ? STATUS_ERR_CORRUPT
							: rc;
	}
	case INPUT_ARGS: return input_next_arg(s, n, err);
	default: return STATUS_ERR_INVAL;
	}
}

int input_range(const struct input_source *s, mpz_t start, mpz_t step,
		uint64_t *count)
{
	if (!s || s->kind != INPUT_RANGE)
		return 0;
	mpz_set(start, s->start);
	mpz_set(step, s->step);
	*count = s->count;
	return 1;
}

int input_skip(struct input_source *s, uint64_t k)
{
	mpz_t scratch;
	uint64_t done = 0;
	int rc = STATUS_OK;

	if (!s)
		return STATUS_ERR_INVAL;
	if (s->kind == INPUT_RANGE) {
		int short_by = k > s->count - s->index;
		if (short_by)
			k = s->count - s->index;
		s->index += k;
		/* cur = start + index * step, exact for any index < 2^64 */
		mpz_set_ui(s->cur, (unsigned long)(s->index >> 32));
		mpz_mul_2exp(s->cur, s->cur, 32);
		mpz_add_ui(s->cur, s->cur,
			   (unsigned long)(s->index & 0xffffffffu));
		mpz_mul(s->cur, s->cur, s->step);
		mpz_add(s->cur, s->cur, s->start);
		return short_by ? STATUS_NOT_FOUND : STATUS_OK;
	}
	mpz_init(scratch);
	while (done < k) {
		rc = input_next(s, scratch, NULL);
		if (rc == STATUS_OK)
			done++;
		else if (rc != STATUS_ERR_SYNTAX && rc != STATUS_ERR_RANGE)
			break;
	}
	mpz_clear(scratch);
	if (done == k)
		return STATUS_OK;
	return rc;
}

const char *input_reason(const struct input_source *s, int too_long)
{
	return too_long && s != NULL ? s->reason_long : input_reason_syntax;
}

size_t input_error_message(char *buf, size_t size, const char *path,
			   const struct input_error *err)
{
	const char *reason = err->reason ? err->reason : input_reason_syntax;
	int n;

	if (err->line == 0 || !path)
		n = snprintf(buf, size, "'%s' %s", err->token, reason);
	else
		n = snprintf(buf, size, "%s:%lu: '%s' %s",
			     strcmp(path, "-") == 0 ? "standard input" : path,
			     err->line, err->token, reason);
	return n < 0 ? 0 : (size_t)n;
}
