/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * test_hcstate.c - a backend's health state from its probe results (rise,
 * fall, the unproven start, a previous batond's down) and the HTTP status
 * line reader of the health checks.
 */
#include "unit.h"

#include "hcstate.h"

/* Feed results ("+" good, "-" failed); return the up/down string after
 * each ("U"/"D") and how many changes were reported. */
static int run(struct baton_hc_state *s, const char *results, uint32_t rise,
	       uint32_t fall, char *trace)
{
	int changes = 0;
	size_t i;

	for (i = 0; results[i]; i++) {
		if (baton_hc_result(s, results[i] == '+', rise, fall))
			changes++;
		trace[i] = s->up ? 'U' : 'D';
	}
	trace[i] = '\0';
	return changes;
}

static void test_hcstate_unproven_backend_goes_down_at_first_failure(
	void **state)
{
	struct baton_hc_state s;
	char t[32];

	(void)state;
	baton_hc_init(&s, true);
	assert_int_equal(run(&s, "-", 2, 3, t), 1);
	assert_string_equal(t, "D");
	/* once proven, it takes fall failures */
	baton_hc_init(&s, true);
	assert_int_equal(run(&s, "+--+---", 2, 3, t), 1);
	assert_string_equal(t, "UUUUUUD");
}

static void test_hcstate_fall_failures_in_a_row_take_it_down(void **state)
{
	struct baton_hc_state s;
	char t[32];

	(void)state;
	baton_hc_init(&s, true);
	assert_int_equal(run(&s, "+-+-+--", 1, 2, t), 1);
	assert_string_equal(t, "UUUUUUD");
	assert_int_equal(s.fail_run, 2);
	/* fall 1: any failure */
	baton_hc_init(&s, true);
	assert_int_equal(run(&s, "++-", 1, 1, t), 1);
	assert_string_equal(t, "UUD");
}

static void test_hcstate_rise_successes_in_a_row_bring_it_back(void **state)
{
	struct baton_hc_state s;
	char t[32];

	(void)state;
	baton_hc_init(&s, false);	/* a previous batond's verdict */
	assert_int_equal(run(&s, "++-+++", 3, 2, t), 1);
	assert_string_equal(t, "DDDDDU");
	/* back up, it is proven: one failure is not enough with fall 2 */
	assert_int_equal(run(&s, "-+", 3, 2, t), 0);
	assert_string_equal(t, "UU");
	/* and a flapping backend never comes back */
	baton_hc_init(&s, false);
	assert_int_equal(run(&s, "+-+-+-+-", 2, 2, t), 0);
	assert_string_equal(t, "DDDDDDDD");
}

static void test_hcstate_reads_http_status_lines(void **state)
{
	static const struct {
		const char *in;
		int want;
	} rows[] = {
		{ "HTTP/1.1 200 OK\r\n", 200 },
		{ "HTTP/1.0 404 Not Found\r\n", 404 },
		{ "HTTP/1.1 503\r\n", 503 },
		{ "HTTP/1.1 204\n", 204 },
		{ "HTTP/1.1 301 ", 301 },
		{ "", 0 },
		{ "HTT", 0 },
		{ "HTTP/1.1 20", 0 },
		{ "HTTP/1.1 200", 0 },		/* "2000"? wait for more */
		{ "HTTP/2 200 OK\r\n", -1 },
		{ "SSH-2.0-OpenSSH\r\n", -1 },
		{ "HTTP/1.1 2x0 OK\r\n", -1 },
		{ "HTTP/1.1 2000 OK\r\n", -1 },
		{ "HTTP/1.1 099 OK\r\n", -1 },
		{ "HTTP/1.1  200 OK\r\n", -1 },
		{ "BATON be1 10.1.0.1:4242\n", -1 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int got = baton_hc_http_status(rows[i].in,
					       strlen(rows[i].in));

		if (got != rows[i].want)
			fail_msg("'%s': got %d, want %d", rows[i].in, got,
				 rows[i].want);
	}
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_hcstate_unproven_backend_goes_down_at_first_failure),
	cmocka_unit_test(test_hcstate_fall_failures_in_a_row_take_it_down),
	cmocka_unit_test(test_hcstate_rise_successes_in_a_row_bring_it_back),
	cmocka_unit_test(test_hcstate_reads_http_status_lines),
};

UNIT_MAIN("hcstate", tests)
