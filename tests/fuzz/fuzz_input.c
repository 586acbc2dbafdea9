/*
 * fuzz_input.c - libFuzzer target for the input parser (src/core/input.c).
 *
 * Purpose: feed arbitrary bytes to input_parse_token and to the streaming
 * text reader (input_open_file over a temporary file), and check them
 * against each other, so that a crash, a leak, undefined behaviour or a
 * disagreement between the two paths is found.
 *
 * Input layout: byte 0 selects the run, the rest is the text.
 *   bits 0-1  max_digits: 1, 5, 40 or 10000
 *   bits 2,6,7 all set: pad the text with blanks so it straddles the
 *             reader's 64 KiB block boundary (tests the refill path; one
 *             run in eight, as the padding costs a millisecond)
 *   bits 3-5  k for the input_skip check below (0..7)
 *
 * Oracle (checked with abort(), which libFuzzer reports as a crash):
 *   1. A reference tokenizer written here (split on ' ', '\t', '\n', '\r';
 *      '#' at the start of a token skips to the end of the line) and
 *      input_parse_token on each token must give the same sequence of
 *      statuses, values and line numbers as input_next on the file.
 *   2. A valid number never has more than max_digits digits; an error's
 *      token text is NUL-terminated inside its buffer and has a reason.
 *   3. input_skip(k) followed by input_next gives the (k+1)-th valid
 *      number of the reference, or STATUS_NOT_FOUND when there is none.
 *   4. input_parse_token on the whole text (as one command-line argument)
 *      never crashes and obeys 2.
 *
 * The temporary file lives in /dev/shm when it exists (no disk I/O per
 * run), else in TMPDIR or /tmp; it is created once and rewritten per run.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "input.h"
#include "status.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { FUZZ_BLOCK = 1 << 16, FUZZ_MAX_TOKENS = 4096 };

static char fuzz_path[256];

static void fuzz_check(int ok)
{
	if (!ok)
		abort();
}

static void fuzz_unlink(void)
{
	unlink(fuzz_path);
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
	snprintf(fuzz_path, sizeof fuzz_path, "%s/fuzz_input.XXXXXX", dir);
	fd = mkstemp(fuzz_path);
	fuzz_check(fd >= 0);
	close(fd);
	atexit(fuzz_unlink);
	return fuzz_path;
}

static void fuzz_write(const char *path, size_t pad, const uint8_t *text,
		       size_t len)
{
	static char blanks[FUZZ_BLOCK];
	FILE *f = fopen(path, "wb");

	fuzz_check(f != NULL && pad <= sizeof blanks);
	if (blanks[0] != ' ')
		memset(blanks, ' ', sizeof blanks);
	fuzz_check(fwrite(blanks, 1, pad, f) == pad);
	fuzz_check(fwrite(text, 1, len, f) == len);
	fuzz_check(fclose(f) == 0);
}

static int fuzz_is_sep(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static void fuzz_check_ok_number(const mpz_t n, unsigned long max_digits)
{
	fuzz_check(mpz_sgn(n) >= 0);
	if (mpz_sgn(n) > 0)
		fuzz_check(mpz_sizeinbase(n, 10) <= max_digits + 1);
}

static void fuzz_check_error(const struct input_error *err)
{
	fuzz_check(memchr(err->token, '\0', sizeof err->token) != NULL);
	fuzz_check(err->reason != NULL && err->reason[0] != '\0');
}

/* Oracle 1-2: walk the text with the reference tokenizer and the reader. */
static void fuzz_compare(struct input_source *src, const uint8_t *text,
			 size_t len, unsigned long max_digits, mpz_t want,
			 mpz_t got, unsigned long *nvalid, mpz_t valid_k,
			 unsigned long k)
{
	unsigned long line = 1;
	size_t i = 0, start;
	struct input_error err;
	const char *reason;
	int rc_want, rc_got;

	*nvalid = 0;
	for (;;) {
		while (i < len && fuzz_is_sep(text[i])) {
			if (text[i] == '\n')
				line++;
			i++;
		}
		if (i < len && text[i] == '#') {
			while (i < len && text[i] != '\n')
				i++;
			continue;
		}
		memset(&err, 0, sizeof err);
		rc_got = input_next(src, got, &err);
		if (i == len) {
			fuzz_check(rc_got == STATUS_NOT_FOUND);
			return;
		}
		start = i;
		while (i < len && !fuzz_is_sep(text[i]))
			i++;
		rc_want = input_parse_token((const char *)text + start,
					    i - start, max_digits, want,
					    &reason);
		fuzz_check(rc_got == rc_want);
		if (rc_want == STATUS_OK) {
			fuzz_check(mpz_cmp(want, got) == 0);
			fuzz_check_ok_number(got, max_digits);
			if (*nvalid == k)
				mpz_set(valid_k, got);
			(*nvalid)++;
		} else {
			fuzz_check(rc_want == STATUS_ERR_SYNTAX ||
				   rc_want == STATUS_ERR_RANGE);
			fuzz_check(reason != NULL);
			fuzz_check(err.line == line);
			fuzz_check_error(&err);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned long digit_caps[4] = { 1, 5, 40, 10000 };
	struct input_source *src = NULL;
	const char *path, *reason;
	unsigned long max_digits, k, nvalid;
	size_t pad;
	mpz_t want, got, valid_k;
	int rc;

	if (size < 1)
		return 0;
	max_digits = digit_caps[data[0] & 3];
	pad = (data[0] & 0xc4) == 0xc4 ? FUZZ_BLOCK - 7 : 0;
	k = (unsigned long)(data[0] >> 3) & 7;
	data++;
	size--;

	mpz_init(want);
	mpz_init(got);
	mpz_init(valid_k);

	/* Oracle 4: the whole text as one token. */
	rc = input_parse_token((const char *)data, size, max_digits, got,
			       &reason);
	if (rc == STATUS_OK)
		fuzz_check_ok_number(got, max_digits);
	else
		fuzz_check(
			(rc == STATUS_ERR_SYNTAX || rc == STATUS_ERR_RANGE) &&
			reason != NULL);

	/* Oracles 1-2: the streaming reader against the reference. */
	path = fuzz_tmp_path();
	fuzz_write(path, pad, data, size);
	fuzz_check(input_open_file(&src, path, max_digits) == STATUS_OK);
	fuzz_compare(src, data, size, max_digits, want, got, &nvalid, valid_k,
		     k);
	/* The end is sticky. */
	fuzz_check(input_next(src, got, NULL) == STATUS_NOT_FOUND);
	input_close(src);

	/* Oracle 3: skip k valid numbers, then read the next one. */
	fuzz_check(input_open_file(&src, path, max_digits) == STATUS_OK);
	rc = input_skip(src, k);
	if (nvalid < k) {
		fuzz_check(rc == STATUS_NOT_FOUND);
	} else {
		fuzz_check(rc == STATUS_OK);
		do
			rc = input_next(src, got, NULL);
		while (rc == STATUS_ERR_SYNTAX || rc == STATUS_ERR_RANGE);
		if (nvalid == k) {
			fuzz_check(rc == STATUS_NOT_FOUND);
		} else {
			fuzz_check(rc == STATUS_OK);
			fuzz_check(mpz_cmp(got, valid_k) == 0);
		}
	}
	input_close(src);

	mpz_clear(want);
	mpz_clear(got);
	mpz_clear(valid_k);
	return 0;
}
