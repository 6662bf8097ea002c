/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * test_ha_notify.c - keepalived's notify FIFO lines (ha/notify.h): every
 * line keepalived 2.2 writes for a vrrp instance or sync group, the
 * lines to ignore (checker VS/RS lines, {UNKNOWN}), and one rejected line
 * per rule the parser enforces. Accepted lines must print back through
 * keepalived's own format to the same bytes.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "unit.h"

#include "notify.h"

struct good {
	const char *line;
	uint8_t type, state, priority;
	const char *name;
};

static const struct good goods[] = {
	{ "INSTANCE \"VI_1\" MASTER 100\n", BATON_NOTIFY_INSTANCE,
	  BATON_NOTIFY_MASTER, 100, "VI_1" },
	{ "INSTANCE \"VI_1\" BACKUP 90\n", BATON_NOTIFY_INSTANCE,
	  BATON_NOTIFY_BACKUP, 90, "VI_1" },
	{ "INSTANCE \"VI_1\" FAULT 100\n", BATON_NOTIFY_INSTANCE,
	  BATON_NOTIFY_FAULT, 100, "VI_1" },
	{ "INSTANCE \"VI_1\" STOP 100\n", BATON_NOTIFY_INSTANCE,
	  BATON_NOTIFY_STOP, 100, "VI_1" },
	{ "INSTANCE \"VI_1\" DELETED 100\n", BATON_NOTIFY_INSTANCE,
	  BATON_NOTIFY_DELETED, 100, "VI_1" },
	{ "INSTANCE \"VI_1\" MASTER_RX_LOWER_PRI 150\n", BATON_NOTIFY_INSTANCE,
	  BATON_NOTIFY_MASTER_RX_LOWER_PRI, 150, "VI_1" },
	{ "INSTANCE \"VI_1\" MASTER_PRIORITY 1\n", BATON_NOTIFY_INSTANCE,
	  BATON_NOTIFY_MASTER_PRIORITY, 1, "VI_1" },
	{ "INSTANCE \"VI_1\" BACKUP_PRIORITY 254\n", BATON_NOTIFY_INSTANCE,
	  BATON_NOTIFY_BACKUP_PRIORITY, 254, "VI_1" },
	{ "GROUP \"VG_1\" MASTER 0\n", BATON_NOTIFY_GROUP,
	  BATON_NOTIFY_MASTER, 0, "VG_1" },
	{ "GROUP \"VG_1\" BACKUP 0\n", BATON_NOTIFY_GROUP,
	  BATON_NOTIFY_BACKUP, 0, "VG_1" },
	{ "GROUP \"VG_1\" FAULT 0\n", BATON_NOTIFY_GROUP,
	  BATON_NOTIFY_FAULT, 0, "VG_1" },
	{ "GROUP \"VG_1\" STOP 0\n", BATON_NOTIFY_GROUP,
	  BATON_NOTIFY_STOP, 0, "VG_1" },
	/* the terminator is optional (a reader may have cut it) */
	{ "INSTANCE \"VI_1\" MASTER 255", BATON_NOTIFY_INSTANCE,
	  BATON_NOTIFY_MASTER, 255, "VI_1" },
	/* priorities in every width */
	{ "INSTANCE \"a\" BACKUP 9\n", BATON_NOTIFY_INSTANCE,
	  BATON_NOTIFY_BACKUP, 9, "a" },
	{ "INSTANCE \"a\" BACKUP 10\n", BATON_NOTIFY_INSTANCE,
	  BATON_NOTIFY_BACKUP, 10, "a" },
	/* names are raw: quoted config strings keep spaces and quotes */
	{ "INSTANCE \"VI 1\" MASTER 100\n", BATON_NOTIFY_INSTANCE,
	  BATON_NOTIFY_MASTER, 100, "VI 1" },
	{ "INSTANCE \"a\"b\" BACKUP 1\n", BATON_NOTIFY_INSTANCE,
	  BATON_NOTIFY_BACKUP, 1, "a\"b" },
	{ "INSTANCE \"\"\" FAULT 2\n", BATON_NOTIFY_INSTANCE,
	  BATON_NOTIFY_FAULT, 2, "\"" },
	{ "GROUP \"x\" MASTER 1\" BACKUP 0\n", BATON_NOTIFY_GROUP,
	  BATON_NOTIFY_BACKUP, 0, "x\" MASTER 1" },
	{ "GROUP \"VG-é\" MASTER 0\n", BATON_NOTIFY_GROUP,
	  BATON_NOTIFY_MASTER, 0, "VG-é" },
};

static int parse(const char *line, struct baton_notify *n)
{
	return baton_notify_parse(line, strlen(line), n);
}

static void check_zero(const struct baton_notify *n, const char *what)
{
	static const struct baton_notify zero;

	if (memcmp(n, &zero, sizeof(zero)))
		fail_msg("%s: result not zeroed", what);
}

static void check_rejected(const char *line, size_t len, int want)
{
	struct baton_notify n;
	int ret;

	memset(&n, 0xa5, sizeof(n));
	ret = baton_notify_parse(line, len, &n);
	if (ret != want)
		fail_msg("'%.*s' (%zu bytes): got %d, want %d", (int)len,
			 line, len, ret, want);
	check_zero(&n, line);
}

static void test_notify_parses_every_line_keepalived_writes(void **state)
{
	struct baton_notify n;
	size_t i;

	for (i = 0; i < sizeof(goods) / sizeof(goods[0]); i++) {
		const struct good *g = &goods[i];

		memset(&n, 0xa5, sizeof(n));
		if (parse(g->line, &n))
			fail_msg("rejected: %s", g->line);
		assert_int_equal(n.type, g->type);
		assert_int_equal(n.state, g->state);
		assert_int_equal(n.priority, g->priority);
		assert_int_equal(n.name_len, strlen(g->name));
		assert_string_equal(n.name, g->name);
	}
}

/* keepalived prints `%s "%s" %s %d\n`: so must every accepted line. */
static void test_notify_accepted_lines_print_back_the_same(void **state)
{
	char buf[BATON_NOTIFY_LINE_MAX + 1];
	struct baton_notify n;
	size_t i;

	for (i = 0; i < sizeof(goods) / sizeof(goods[0]); i++) {
		const char *line = goods[i].line;
		size_t len = strlen(line);

		assert_int_equal(parse(line, &n), 0);
		snprintf(buf, sizeof(buf), "%s \"%s\" %s %d%s",
			 baton_notify_type_name(n.type), n.name,
			 baton_notify_state_name(n.state), n.priority,
			 line[len - 1] == '\n' ? "\n" : "");
		assert_string_equal(buf, line);
	}
}

static void test_notify_priority_is_0_to_255_as_printf_writes_it(void **state)
{
	static const char *const bad[] = {
		"256", "999", "1000", "-1", "+1", "01", "00", "007", "1a",
		"0x10", " 1", "",
	};
	char line[64];
	struct baton_notify n;
	unsigned int p;
	size_t i;

	for (p = 0; p <= 255; p++) {
		snprintf(line, sizeof(line), "INSTANCE \"VI_1\" BACKUP %u\n",
			 p);
		assert_int_equal(parse(line, &n), 0);
		assert_int_equal(n.priority, p);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(line, sizeof(line), "INSTANCE \"VI_1\" BACKUP %s\n",
			 bad[i]);
		check_rejected(line, strlen(line), -EINVAL);
	}
}

static void test_notify_names_up_to_keepalived_line_limit(void **state)
{
	static char line[BATON_NOTIFY_LINE_MAX + 64];
	struct baton_notify n;
	size_t len;

	/* the longest line there is: longest type, name, state, priority */
	len = (size_t)snprintf(line, sizeof(line),
			       "INSTANCE \"%0*d\" MASTER_RX_LOWER_PRI 255\n",
			       BATON_NOTIFY_NAME_MAX, 0);
	assert_int_equal(len, BATON_NOTIFY_LINE_MAX);
	assert_int_equal(baton_notify_parse(line, len, &n), 0);
	assert_int_equal(n.name_len, BATON_NOTIFY_NAME_MAX);
	assert_int_equal(strlen(n.name), BATON_NOTIFY_NAME_MAX);
	assert_int_equal(n.state, BATON_NOTIFY_MASTER_RX_LOWER_PRI);

	/* one byte more of name: longer than any keepalived can write */
	len = (size_t)snprintf(line, sizeof(line), "GROUP \"%0*d\" MASTER 0\n",
			       BATON_NOTIFY_NAME_MAX + 1, 0);
	check_rejected(line, len, -EINVAL);
	len = (size_t)snprintf(line, sizeof(line),
			       "INSTANCE \"%0*d\" MASTER_RX_LOWER_PRI 255\n",
			       BATON_NOTIFY_NAME_MAX + 1, 0);
	check_rejected(line, len, -EINVAL);
}

static void test_notify_ignores_checker_and_unknown_state_lines(void **state)
{
	static const char *const ignored[] = {
		"VS [192.168.201.15]:tcp:80 UP\n",
		"VS [192.168.201.15]:tcp:80 DOWN\n",
		"RS [1.2.3.4]:tcp:80 [192.168.201.15]:tcp:80 UP\n",
		"RS [1.2.3.4]:tcp:80 [192.168.201.15]:tcp:80 DOWN\n",
		"VS\n",
		"INSTANCE \"VI_1\" {UNKNOWN} 100\n",
		"GROUP \"VG_1\" {UNKNOWN} 0\n",
	};
	size_t i;

	for (i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++)
		check_rejected(ignored[i], strlen(ignored[i]), -ENOENT);
	/* still malformed when the state is {UNKNOWN} */
	check_rejected("INSTANCE \"VI_1\" {UNKNOWN} 300\n",
		       strlen("INSTANCE \"VI_1\" {UNKNOWN} 300\n"), -EINVAL);
}

static void test_notify_rejects_malformed_lines(void **state)
{
	static const char *const bad[] = {
		/* empty */
		"", "\n", " \n",
		/* quotes */
		"INSTANCE VI_1 MASTER 100\n",
		"INSTANCE \"VI_1 MASTER 100\n",
		"INSTANCE VI_1\" MASTER 100\n",
		"INSTANCE \"\" MASTER 100\n",
		"INSTANCE \"\n",
		"INSTANCE \"VI_1\"MASTER 100\n",
		/* unknown or missing type, state, priority */
		"SERVICE \"VI_1\" MASTER 100\n",
		"instance \"VI_1\" MASTER 100\n",
		"INSTANCES \"VI_1\" MASTER 100\n",
		"INSTANCE\n",
		"INSTANCE \"VI_1\" master 100\n",
		"INSTANCE \"VI_1\" SLAVE 100\n",
		"INSTANCE \"VI_1\" MASTERX 100\n",
		"INSTANCE \"VI_1\" UNKNOWN 100\n",
		"INSTANCE \"VI_1\" MASTER\n",
		"INSTANCE \"VI_1\" 100\n",
		"INSTANCE \"VI_1\"\n",
		/* spacing and trailing bytes */
		"INSTANCE \"VI_1\" MASTER 100 \n",
		"INSTANCE \"VI_1\" MASTER 100 x\n",
		"INSTANCE \"VI_1\" MASTER 100\n\n",
		"INSTANCE \"VI_1\" MASTER 100\r\n",
		"INSTANCE  \"VI_1\" MASTER 100\n",
		"INSTANCE \"VI_1\"  MASTER 100\n",
		"INSTANCE \"VI_1\" MASTER  100\n",
		" INSTANCE \"VI_1\" MASTER 100\n",
		"INSTANCE\t\"VI_1\" MASTER 100\n",
		/* control characters in the name */
		"INSTANCE \"VI\t1\" MASTER 100\n",
		"INSTANCE \"VI\0331\" MASTER 100\n",
		"INSTANCE \"VI\1771\" MASTER 100\n",
	};
	static const char nul[] = "INSTANCE \"VI\0_1\" MASTER 100\n";
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		check_rejected(bad[i], strlen(bad[i]), -EINVAL);
	/* an embedded NUL, counted in len */
	check_rejected(nul, sizeof(nul) - 1, -EINVAL);
	check_rejected(NULL, 0, -EINVAL);
}

/* Only len bytes are read: what follows them is not part of the line. */
static void test_notify_reads_only_len_bytes(void **state)
{
	static const char buf[] = "INSTANCE \"VI_1\" MASTER 100\nGROUP junk";
	struct baton_notify n;

	assert_int_equal(baton_notify_parse(buf, 27, &n), 0);
	assert_int_equal(n.priority, 100);
	assert_int_equal(baton_notify_parse(buf, 26, &n), 0);
	assert_int_equal(n.priority, 100);
	assert_int_equal(baton_notify_parse(buf, 25, &n), 0);
	assert_int_equal(n.priority, 10);
	check_rejected(buf, 22, -EINVAL);	/* "... MASTER" */
	check_rejected(buf, 28, -EINVAL);	/* "...100\nG" */
}

static void test_notify_names_of_states_and_types(void **state)
{
	assert_string_equal(baton_notify_type_name(BATON_NOTIFY_INSTANCE),
			    "INSTANCE");
	assert_string_equal(baton_notify_type_name(BATON_NOTIFY_GROUP),
			    "GROUP");
	assert_null(baton_notify_type_name(0));
	assert_null(baton_notify_type_name(3));
	assert_string_equal(baton_notify_state_name(BATON_NOTIFY_STOP),
			    "STOP");
	assert_string_equal(
		baton_notify_state_name(BATON_NOTIFY_BACKUP_PRIORITY),
		"BACKUP_PRIORITY");
	assert_null(baton_notify_state_name(0));
	assert_null(baton_notify_state_name(BATON_NOTIFY_STATE_MAX));
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_notify_parses_every_line_keepalived_writes),
	cmocka_unit_test(test_notify_accepted_lines_print_back_the_same),
	cmocka_unit_test(test_notify_priority_is_0_to_255_as_printf_writes_it),
	cmocka_unit_test(test_notify_names_up_to_keepalived_line_limit),
	cmocka_unit_test(test_notify_ignores_checker_and_unknown_state_lines),
	cmocka_unit_test(test_notify_rejects_malformed_lines),
	cmocka_unit_test(test_notify_reads_only_len_bytes),
	cmocka_unit_test(test_notify_names_of_states_and_types),
};

UNIT_MAIN("ha_notify", tests)
