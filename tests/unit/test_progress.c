/*
 * test_progress.c - unit tests of the progress line (src/core/progress.c).
 *
 * The module is pure, so every test passes its own clock: no sleeping and
 * no timing assertions.  Each test is named for what it guards.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "progress.h"

static void expect_contains(const char *s, const char *part)
{
	if (!strstr(s, part))
		fail_msg("'%s' lacks '%s'", s, part);
}

static void durations_are_compact(void **state)
{
	char b[32];

	(void)state;
	progress_duration(b, sizeof b, 0);
	assert_string_equal(b, "0s");
	progress_duration(b, sizeof b, 45.2);
	assert_string_equal(b, "45s");
	progress_duration(b, sizeof b, 725);
	assert_string_equal(b, "12m05s");
	progress_duration(b, sizeof b, 3 * 3600 + 7 * 60 + 9);
	assert_string_equal(b, "3h07m");
	progress_duration(b, sizeof b, 2 * 86400 + 4 * 3600);
	assert_string_equal(b, "2d04h");
	progress_duration(b, sizeof b, -1);
	assert_string_equal(b, "?");
	/* a tiny buffer is cut, never overrun */
	assert_int_equal(progress_duration(b, 3, 725), 2);
	assert_string_equal(b, "12");
}

static void eta_from_remaining_and_rate(void **state)
{
	(void)state;
	assert_true(progress_eta(250, 1000, 50.0) == 15.0);
	assert_true(progress_eta(1000, 1000, 50.0) == 0.0);
	assert_true(progress_eta(1200, 1000, 50.0) == 0.0);
	assert_true(progress_eta(10, 0, 50.0) < 0);   /* total unknown */
	assert_true(progress_eta(10, 1000, 0.0) < 0); /* no rate yet */
	assert_true(progress_eta(10, 1000, -1.0) < 0);
}

static void log_line_counts_numbers(void **state)
{
	struct progress p;
	char b[256];
	size_t len;

	(void)state;
	progress_init(&p, 10000, PROGRESS_LOG, 100.0);
	len = progress_format(&p, b, sizeof b, 1234, 3, 102.0, 80);
	assert_int_equal(len, strlen(b));
	/* 1234 numbers in 2 s: 617/s; 8766 left: ETA 14s */
	assert_string_equal(b,
			    "factorize: progress: 1234/10000 numbers (12.3%), "
			    "617.0/s, elapsed 2s, ETA 14s, 3 workers\n");
}

static void log_line_without_total_has_no_eta(void **state)
{
	struct progress p;
	char b[256];

	(void)state;
	progress_init(&p, 0, PROGRESS_LOG, 0.0);
	progress_format(&p, b, sizeof b, 50, 1, 10.0, 80);
	assert_string_equal(
		b,
		"factorize: progress: 50 numbers, 5.00/s, elapsed 10s, "
		"1 worker\n");
}

static void tty_bar_redraws_in_place(void **state)
{
	struct progress p;
	char b[256];

	(void)state;
	progress_init(&p, 100, PROGRESS_TTY, 0.0);
	progress_format(&p, b, sizeof b, 50, 2, 5.0, 80);
	assert_true(b[0] == '\r');
	assert_null(strchr(b, '\n'));
	expect_contains(b, "[###############...............] ");
	expect_contains(b, " 50.0% 50/100 10.0/s 5s ETA 5s 2 workers");
	expect_contains(b, "\033[K");
	assert_true(strlen(b) - 4 < 80); /* "\r" and "\033[K" take no column */
}

static void tty_bar_fits_narrow_terminal(void **state)
{
	struct progress p;
	char b[256];

	(void)state;
	progress_init(&p, 100, PROGRESS_TTY, 0.0);
	progress_format(&p, b, sizeof b, 50, 2, 5.0, 40);
	assert_null(strstr(b, "] ")); /* no room left for a bar */
	expect_contains(b, "50/100");
	progress_format(&p, b, sizeof b, 50, 2, 6.0, 60);
	assert_non_null(strstr(b, "] "));
	assert_true(strlen(b) - 4 < 60);
}

static void rate_is_smoothed_not_jumpy(void **state)
{
	struct progress p;
	char b[256];
	double r1;

	(void)state;
	progress_init(&p, 100000, PROGRESS_LOG, 0.0);
	progress_format(&p, b, sizeof b, 1000, 1, 10.0, 80); /* 100/s */
	r1 = p.rate;
	assert_true(r1 == 100.0);
	/* one second at 1000/s moves the average only part of the way */
	progress_format(&p, b, sizeof b, 2000, 1, 11.0, 80);
	assert_true(p.rate > r1 && p.rate < 1000.0);
	/* a long steady stretch converges */
	progress_format(&p, b, sizeof b, 2000 + 1000 * 100, 1, 111.0, 80);
	assert_true(p.rate > 990.0 && p.rate <= 1000.0);
}

static void due_follows_style_interval(void **state)
{
	struct progress p;
	char b[256];

	(void)state;
	progress_init(&p, 10, PROGRESS_TTY, 0.0);
	assert_false(progress_due(&p, 0.1));
	assert_true(progress_due(&p, 0.3));
	progress_format(&p, b, sizeof b, 1, 1, 0.3, 80);
	assert_false(progress_due(&p, 0.4));
	assert_true(progress_due(&p, 0.6));
	progress_init(&p, 10, PROGRESS_LOG, 0.0);
	assert_false(progress_due(&p, 4.0));
	assert_true(progress_due(&p, 5.0));
}

static void finish_line_ends_with_newline(void **state)
{
	struct progress p;
	char b[256];

	(void)state;
	progress_init(&p, 999, PROGRESS_TTY, 0.0);
	progress_finish(&p, b, sizeof b, 999, 4, 2.0, 80);
	assert_true(b[0] == '\r');
	assert_string_equal(
		b,
		"\rfactorize: done: 999/999 numbers (100.0%), 499.5/s, "
		"elapsed 2s, 4 workers\033[K\n");
	progress_init(&p, 999, PROGRESS_LOG, 0.0);
	progress_finish(&p, b, sizeof b, 999, 4, 2.0, 80);
	assert_string_equal(
		b,
		"factorize: done: 999/999 numbers (100.0%), 499.5/s, "
		"elapsed 2s, 4 workers\n");
}

/* summary-plurals, summary-slow-rate: the last line of a run */
static void summary_line_plurals_and_rate(void **state)
{
	char b[256];
	size_t len;

	(void)state;
	len = progress_summary(b, sizeof b, 1, 0.004, 1, 1, 1, 1.0);
	assert_int_equal(len, strlen(b));
	assert_string_equal(b,
			    "factorize: 1 number in 0.004 s (250/s), "
			    "1 chunk, 1 rank (1 worker), imbalance 1.00\n");
	progress_summary(b, sizeof b, 2000, 2.0, 43, 4, 3, 1.25);
	assert_string_equal(b,
			    "factorize: 2000 numbers in 2.000 s (1000/s), "
			    "43 chunks, 4 ranks (3 workers), imbalance "
			    "1.25\n");
	/* slow: never "(0/s)" */
	progress_summary(b, sizeof b, 3, 60.0, 3, 2, 1, 1.0);
	assert_string_equal(b,
			    "factorize: 3 numbers in 60.000 s (20 s per "
			    "number), 3 chunks, 2 ranks (1 worker), "
			    "imbalance 1.00\n");
	progress_summary(b, sizeof b, 5, 2.0, 5, 1, 1, 1.0);
	assert_non_null(strstr(b, "(2.5/s)"));
	progress_summary(b, sizeof b, 1, 1234.5, 1, 1, 1, 1.0);
	assert_non_null(strstr(b, "(1.23e+03 s per number)"));
	/* nothing done: no rate at all */
	progress_summary(b, sizeof b, 0, 0.002, 0, 1, 1, 1.0);
	assert_string_equal(b,
			    "factorize: 0 numbers in 0.002 s, 0 chunks, "
			    "1 rank (1 worker), imbalance 1.00\n");
	assert_null(strstr(b, "/s"));
	progress_summary(b, 20, 2000, 2.0, 43, 4, 3, 1.25);
	assert_int_equal(strlen(b), 19);
}

static void small_buffer_never_overrun(void **state)
{
	struct progress p;
	char b[16];
	size_t len;

	(void)state;
	memset(b, 'x', sizeof b);
	progress_init(&p, 1000000, PROGRESS_LOG, 0.0);
	len = progress_format(&p, b, sizeof b, 123456, 64, 1.0, 80);
	assert_int_equal(len, strlen(b));
	assert_true(len < sizeof b);
	len = progress_finish(&p, b, 1, 1, 1, 2.0, 80);
	assert_int_equal(len, 0);
	assert_int_equal(b[0], '\0');
}

static void erase_only_for_tty(void **state)
{
	struct progress p;

	(void)state;
	progress_init(&p, 1, PROGRESS_TTY, 0.0);
	assert_string_equal(progress_erase(&p), "\r\033[K");
	progress_init(&p, 1, PROGRESS_LOG, 0.0);
	assert_string_equal(progress_erase(&p), "");
	assert_string_equal(progress_erase(NULL), "");
}

static void done_beyond_total_caps_at_100(void **state)
{
	struct progress p;
	char b[256];

	(void)state;
	progress_init(&p, 10, PROGRESS_LOG, 0.0);
	progress_format(&p, b, sizeof b, 12, 1, 1.0, 80);
	expect_contains(b, "(100.0%)");
	expect_contains(b, "ETA 0s");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(durations_are_compact),
		cmocka_unit_test(eta_from_remaining_and_rate),
		cmocka_unit_test(log_line_counts_numbers),
		cmocka_unit_test(log_line_without_total_has_no_eta),
		cmocka_unit_test(tty_bar_redraws_in_place),
		cmocka_unit_test(tty_bar_fits_narrow_terminal),
		cmocka_unit_test(rate_is_smoothed_not_jumpy),
		cmocka_unit_test(due_follows_style_interval),
		cmocka_unit_test(finish_line_ends_with_newline),
		cmocka_unit_test(summary_line_plurals_and_rate),
		cmocka_unit_test(small_buffer_never_overrun),
		cmocka_unit_test(erase_only_for_tty),
		cmocka_unit_test(done_beyond_total_caps_at_100),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
