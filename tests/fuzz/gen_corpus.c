/*
 * gen_corpus.c - writes the seed corpora of the libFuzzer targets:
 * small valid messages made by the codec itself, valid and invalid input
 * texts, and valid journal files made by the journal module.
 *
 * Usage: gen_corpus DIR  (writes DIR/corpus_input, DIR/corpus_proto and
 * DIR/corpus_journal, which must exist).  `make fuzz-corpus` runs it with
 * DIR = tests/fuzz; the output is committed, so this program only has to
 * run again when a message or file layout changes.  Regression inputs
 * (files named regress-*) are added by hand and never overwritten here.
 *
 * Each input and journal seed starts with the selector byte that its
 * target reads first (see fuzz_input.c and fuzz_journal.c).  The journal
 * identity must match FUZZ_JOURNAL_ID in fuzz_journal.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine.h"
#include "journal.h"
#include "proto.h"
#include "status.h"

static const char *gen_dir;
static int gen_failed;

static void gen_file(const char *sub, const char *name, int selector,
		     const void *data, size_t len)
{
	char path[1024];
	FILE *f;

	snprintf(path, sizeof path, "%s/corpus_%s/%s", gen_dir, sub, name);
	f = fopen(path, "wb");
	if (!f) {
		perror(path);
		gen_failed = 1;
		return;
	}
	if (selector >= 0)
		fputc(selector, f);
	if (len > 0)
		fwrite(data, 1, len, f);
	if (fclose(f) != 0) {
		perror(path);
		gen_failed = 1;
	}
}

static void gen_check(int st, const char *what)
{
	if (st != STATUS_OK) {
		fprintf(stderr, "gen_corpus: %s: %s\n", what, status_str(st));
		gen_failed = 1;
	}
}

/* ---- input texts ---- */

static void gen_input(void)
{
	static const struct {
		const char *name;
		int selector;
		const char *text;
		size_t len; /* 0: strlen */
	} texts[] = {
		{ "classic", 3, "999999999999\n1000000000001\n1000000000003\n",
		  0 },
		{ "comments-blank", 3, "# header\n\n12 13 # tail\n  \t14\n",
		  0 },
		{ "plus-zeros", 3, "+7 0007 +0 0 1 00\n", 0 },
		{ "crlf", 3, "12\r\n13\r\n\r\n", 0 },
		{ "no-final-newline", 3, "4 5 6", 0 },
		{ "bad-tokens", 3, "abc -5 0x1f 1e5 3#x ++4 + 12a 1,000\n", 0 },
		{ "nul-bytes", 3, "12\0 13\n\0\n", 9 },
		{ "binary", 3, "\xff\xfe\x80\x01 7 \x7f\n", 0 },
		{ "long-number", 1, "123456 1234567890123\n", 0 },
		{ "max-digits-1", 0, "0 1 9 10 0000000005\n", 0 },
		{ "skip-k", 3 | (2 << 3), "1 x 2 y 3 4\n", 0 },
		{ "block-boundary", 3 | 0xc4, "1234567890 98765\n", 0 },
		{ "empty", 3, "", 0 },
		{ "only-comment", 3, "# nothing\n", 0 },
		{ "hash-mid-line", 3, "5 #6 7\n8\n", 0 },
	};

	for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
		size_t len = texts[i].len ? texts[i].len
					  : strlen(texts[i].text);
		gen_file("input", texts[i].name, texts[i].selector,
			 texts[i].text, len);
	}
}

/* ---- protocol messages ---- */

/* Three lines: 12, 1, and a partial result in brackets. */
static const char gen_block[] =
	"12: 2 2 3\n1:\n"
	"309485024676625836326501892732679720500633357002833947664600843858844"
	"8413285846085: 5 618970019642690137449562111"
	" [composite 1000000016000000063] [composite 1000000016000000063]"
	" [composite 1000000016000000063]\n";

static void gen_result_6_and_partial(struct proto_buf *b)
{
	struct proto_result_header h = { .chunk_id = 5,
					 .count = 3,
					 .partial = 1,
					 .busy_ns = 123456,
					 .bad_index = PROTO_NO_BAD_INDEX,
					 .block_len = sizeof gen_block - 1 };

	gen_check(proto_pack_result(b, &h, gen_block), "result");
}

static void gen_proto(void)
{
	struct proto_buf b;
	struct proto_config c = { .seed = 1,
				  .time_limit_us = 2500000,
				  .prefetch = 1,
				  .fault_flags = 0,
				  .max_number_bytes = 4153 };
	struct proto_work_header wl = { .chunk_id = 3,
					.first_index = 129,
					.count = 3,
					.form = PROTO_FORM_LIST };
	struct proto_work_header wr = { .chunk_id = 0,
					.first_index = 0,
					.count = 43,
					.form = PROTO_FORM_RANGE };
	struct proto_stats s = { 10, 2, 3000, 400, 5, 6, 700, 800, "" };
	struct proto_group_stats g = { .rank = 5, .wrong = 1, .s = s };
	mpz_t n, step;

	proto_buf_init(&b);
	mpz_init(n);
	mpz_init(step);
#define GEN(name, call)                                     \
	do {                                                \
		gen_check((call), name);                    \
		gen_file("proto", name, -1, b.data, b.len); \
	} while (0)
	GEN("config", proto_pack_config(&b, &c));
	GEN("request", proto_pack_request(&b, 2));
	gen_check(proto_pack_work_begin(&b, &wl), "work list");
	mpz_set_ui(n, 0);
	gen_check(proto_pack_work_number(&b, n), "number 0");
	mpz_set_str(n, "999999999999", 10);
	gen_check(proto_pack_work_number(&b, n), "number");
	mpz_ui_pow_ui(n, 10, 40);
	mpz_add_ui(n, n, 1);
	GEN("work-list", proto_pack_work_number(&b, n));
	gen_check(proto_pack_work_begin(&b, &wr), "work range");
	mpz_set_str(n, "999999999999", 10);
	mpz_set_ui(step, 2);
	GEN("work-range", proto_pack_work_range(&b, n, step));
	gen_result_6_and_partial(&b);
	gen_file("proto", "result", -1, b.data, b.len);
	{
		struct proto_result_header bad = { .chunk_id = 6,
						   .count = 4,
						   .bad_index = 2 };
		GEN("result-bad-index", proto_pack_result(&b, &bad, NULL));
	}
	{
		struct proto_work_header wb = { .chunk_id = 4,
						.first_index = 2,
						.count = 1,
						.form = PROTO_FORM_BYTES };
		struct proto_bytes y = { 100, 37, 200 };
		struct proto_bad t1 = { 3, PROTO_BAD_SYNTAX, "abc" };
		struct proto_bad t2 = { 5, PROTO_BAD_LONG, "1234..." };
		struct proto_result_header none = {
			.chunk_id = 4, .bad_index = PROTO_NO_BAD_INDEX
		};
		gen_check(proto_pack_work_begin(&b, &wb), "work bytes");
		GEN("work-bytes", proto_pack_work_bytes(&b, &y));
		gen_check(proto_pack_input_begin(&b, 4, 6, 2), "input");
		gen_check(proto_pack_input_bad(&b, &t1), "input bad");
		GEN("input", proto_pack_input_bad(&b, &t2));
		GEN("input-none", proto_pack_input_begin(&b, 9, 0, 0));
		GEN("result-empty", proto_pack_result(&b, &none, NULL));
	}
	{
		/* proto.h 3b: workers write the output */
		struct proto_result_header hh = {
			8, 2, 0, 5000, PROTO_NO_BAD_INDEX, 14, 0x1c2d3e4fu
		};
		struct proto_place pl = { 8, 4096, 14 };
		struct proto_place drop = { 8, PROTO_OFFSET_DROP, 0 };
		GEN("file", proto_pack_file(&b, "out.txt.factorize.Ab12Cd"));
		gen_check(proto_pack_held_begin(&b, &hh, 1), "held");
		GEN("held", proto_pack_held_line(&b, 0, "4: 2 2\n", 7));
		GEN("offset", proto_pack_place(&b, PROTO_TAG_OFFSET, &pl));
		GEN("offset-drop",
		    proto_pack_place(&b, PROTO_TAG_OFFSET, &drop));
		GEN("written", proto_pack_place(&b, PROTO_TAG_WRITTEN, &pl));
	}
	{
		/* proto.h 12-15: shared numbers */
		struct proto_share open = { 3, 1, 0, 0 },
				   closed = { 3, 0, 0, 0 };
		struct proto_share join = { 3, 1, 2, 1 };
		/* one record of siqs.h's wire format: a full relation */
		static const unsigned char rec[] = { 2, 0, 1, 1, 1, 0, 0,
						     0, 1, 0, 0, 0, 9, 0,
						     0, 0, 0, 5, 0, 0, 0 };
		mpz_set_str(
			n,
			"1197187002926762112878222340113072422779908173590443451848503",
			10);
		GEN("share-open", proto_pack_share(&b, &open, n));
		GEN("join", proto_pack_join(&b, &join, n));
		mpz_set_ui(n, 0);
		GEN("share-closed", proto_pack_share(&b, &closed, n));
		GEN("rels", proto_pack_rels(&b, 3, 1, rec, sizeof rec));
		GEN("leave", proto_pack_leave(&b, 3));
	}
	GEN("stop-done", proto_pack_stop(&b, PROTO_STOP_DONE));
	GEN("stop-abort", proto_pack_stop(&b, PROTO_STOP_ABORT));
	GEN("heartbeat", proto_pack_heartbeat(&b, 7, 1500000000));
	GEN("stats", proto_pack_stats(&b, &s));
	GEN("group-stats", proto_pack_group_stats(&b, &g));
	GEN("error", proto_pack_error(&b, STATUS_ERR_NOMEM, "out of memory"));
	GEN("error-empty", proto_pack_error(&b, STATUS_ERR_PROTO, ""));
#undef GEN
	/* A bare journal payload: the block of a RESULT without header. */
	gen_file("proto", "block-bare", -1, gen_block, sizeof gen_block - 1);
	mpz_clear(n);
	mpz_clear(step);
	proto_buf_clear(&b);
}

/* ---- journals ---- */

/* Read the whole file at path and store it as a seed with selector. */
static void gen_copy(const char *path, const char *name, int selector,
		     size_t cut)
{
	unsigned char buf[1 << 14];
	FILE *f = fopen(path, "rb");
	size_t len;

	if (!f) {
		perror(path);
		gen_failed = 1;
		return;
	}
	len = fread(buf, 1, sizeof buf, f);
	fclose(f);
	if (cut > len)
		cut = len;
	gen_file("journal", name, selector, buf, len - cut);
}

static void gen_journal(void)
{
	struct journal_id id;
	struct journal *j = NULL;
	struct proto_buf b;
	char path[1024], err[512];

	snprintf(path, sizeof path, "%s/gen_journal.tmp", gen_dir);
	unlink(path);
	journal_id_init(&id);
	gen_check(journal_id_add(&id, "numbers", "fuzz"), "id");
	proto_buf_init(&b);

	gen_check(journal_open(&j, path, &id, 0, NULL, err, sizeof err),
		  "journal create");
	gen_check(journal_close(j), "journal close");
	gen_copy(path, "header-only", 0, 0);
	gen_copy(path, "header-only-fix", 1, 0);
	gen_copy(path, "header-only-append", 2 | 1, 0);
	gen_copy(path, "header-torn", 0, 5);

	gen_check(journal_open(&j, path, &id, 0, NULL, err, sizeof err),
		  "journal reopen");
	gen_check(
		journal_append(j, 5, 10, 3, 1, gen_block, sizeof gen_block - 1),
		"append 1");
	gen_check(
		journal_append(j, 1, 0, 3, 2, gen_block, sizeof gen_block - 1),
		"append 2");
	gen_check(journal_append_placed(j, 7, 3, 7, 1, 21, 33, 0x1234abcdu),
		  "append placed");
	gen_check(journal_close(j), "journal close 2");
	gen_copy(path, "three-records", 0, 0);
	gen_copy(path, "three-records-fix", 1, 0);
	gen_copy(path, "three-records-append", 3, 0);
	gen_copy(path, "three-records-must-exist", 4, 0);
	gen_copy(path, "torn-tail", 0, 7);
	gen_copy(path, "torn-tail-append", 2, 7);
	/* a placed block written again: a record of the same positions */
	gen_check(journal_open(&j, path, &id, 0, NULL, err, sizeof err),
		  "journal reopen 2");
	gen_check(journal_append_placed(j, 9, 3, 7, 2, 21, 33, 0x4321dcbau),
		  "append placed again");
	gen_check(journal_close(j), "journal close 3");
	gen_copy(path, "placed-replaced", 0, 0);

	unlink(path);
	proto_buf_clear(&b);
	journal_id_clear(&id);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	gen_dir = argv[1];
	gen_input();
	gen_proto();
	gen_journal();
	return gen_failed;
}
