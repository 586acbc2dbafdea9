/*
 * test_brange.c - unit tests of rank 0's byte-range books
 * (src/core/brange.c).
 *
 * A file cut into ranges; INPUT messages as workers make them, delivered
 * per rank, taken when their RESULT is accepted and released in input
 * order: the bad tokens come out at their file lines whatever the order
 * of completion; an INPUT out of turn, a missing one and a lying one are
 * refused.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "brange.h"
#include "proto.h"
#include "status.h"

struct seen {
	char text[512];
};

static void collect(void *arg, uint64_t line, const struct proto_bad *t)
{
	struct seen *s = arg;
	size_t n = strlen(s->text);

	snprintf(s->text + n, sizeof s->text - n, "%llu:%s;",
		 (unsigned long long)line, t->token);
}

/* rank's INPUT for chunk id: newlines, and one bad token at local line
   `line` (0: none). */
static void input_msg(struct proto_buf *b, uint64_t id, uint64_t newlines,
		      uint64_t line, const char *tok)
{
	struct proto_bad t = { line, PROTO_BAD_SYNTAX, "" };

	assert_int_equal(proto_pack_input_begin(b, id, newlines, line ? 1 : 0),
			 STATUS_OK);
	if (line) {
		snprintf(t.token, sizeof t.token, "%s", tok);
		assert_int_equal(proto_pack_input_bad(b, &t), STATUS_OK);
	}
}

static char path[64];

static int setup(void **state)
{
	FILE *f;
	int fd;

	(void)state;
	strcpy(path, "/tmp/test_brange.XXXXXX");
	fd = mkstemp(path);
	if (fd < 0)
		return -1;
	close(fd);
	f = fopen(path, "w");
	if (f == NULL)
		return -1;
	/* three ranges at target 4: "1\na\n" "2\n3\n" "b\nc" */
	fputs("1\na\n2\n3\nb\nc", f);
	return fclose(f);
}

static int teardown(void **state)
{
	(void)state;
	unlink(path);
	return 0;
}

static void ranges_and_lines_in_input_order(void **state)
{
	struct brange b;
	struct proto_buf m;
	struct proto_bytes y;
	struct seen s = { "" };

	(void)state;
	proto_buf_init(&m);
	assert_int_equal(brange_init(&b, path, 4, 3, 8), STATUS_OK);
	assert_int_equal(b.n, 3);
	brange_get(&b, 1, &y);
	assert_true(y.offset == 4 && y.length == 4 && y.size == 11);
	/* chunk 2 (rank 2) completes first, then 0 (rank 1), then 1 */
	input_msg(&m, 2, 1, 2, "c");
	assert_int_equal(brange_input(&b, 2, &m), STATUS_OK);
	assert_int_equal(brange_take(&b, 2, 2), STATUS_OK);
	input_msg(&m, 0, 2, 2, "a");
	assert_int_equal(brange_input(&b, 1, &m), STATUS_OK);
	assert_int_equal(brange_take(&b, 1, 0), STATUS_OK);
	input_msg(&m, 1, 2, 2, "x");
	assert_int_equal(brange_input(&b, 1, &m), STATUS_OK);
	assert_int_equal(brange_take(&b, 1, 1), STATUS_OK);
	for (uint64_t id = 0; id < 3; id++)
		assert_int_equal(brange_release(&b, id, collect, &s),
				 STATUS_OK);
	assert_string_equal(s.text, "2:a;4:x;6:c;");
	assert_int_equal(b.line, 6);
	brange_clear(&b);
	brange_clear(NULL);
	proto_buf_clear(&m);
}

static void out_of_turn_missing_and_lying_refused(void **state)
{
	struct brange b;
	struct proto_buf m;
	struct seen s = { "" };

	(void)state;
	proto_buf_init(&m);
	assert_int_equal(brange_init(&b, path, 4, 2, 8), STATUS_OK);
	/* a RESULT without its INPUT */
	assert_int_equal(brange_take(&b, 1, 0), STATUS_ERR_PROTO);
	/* two INPUTs before a RESULT */
	input_msg(&m, 0, 2, 0, NULL);
	assert_int_equal(brange_input(&b, 1, &m), STATUS_OK);
	input_msg(&m, 1, 3, 0, NULL);
	assert_int_equal(brange_input(&b, 1, &m), STATUS_ERR_PROTO);
	/* the INPUT was for another chunk */
	assert_int_equal(brange_take(&b, 1, 1), STATUS_ERR_PROTO);
	/* a duplicate's INPUT is dropped; the next one is welcome */
	brange_drop(&b, 1);
	input_msg(&m, 1, 3, 0, NULL);
	assert_int_equal(brange_input(&b, 1, &m), STATUS_OK);
	brange_drop(&b, 1);
	/* a token on a line the range does not have */
	input_msg(&m, 0, 2, 4, "z");
	assert_int_equal(brange_input(&b, 1, &m), STATUS_ERR_PROTO);
	/* a rank out of range, a release with nothing taken */
	assert_int_equal(brange_input(&b, 2, &m), STATUS_ERR_PROTO);
	assert_int_equal(brange_release(&b, 0, collect, &s), STATUS_ERR_PROTO);
	brange_clear(&b);
	proto_buf_clear(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ranges_and_lines_in_input_order),
		cmocka_unit_test(out_of_turn_missing_and_lying_refused),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
