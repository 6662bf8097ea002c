/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * unit.h - the main() every unit test binary shares.
 *
 * ctest runs each cmocka case on its own (`test_x CASE`), so a failure is
 * reported under the name of what broke. tests/unit/CMakeLists.txt finds
 * the case names in the sources; a name that matches no case here is a
 * failure, not a silent "0 tests passed".
 */
#ifndef BATON_TESTS_UNIT_H
#define BATON_TESTS_UNIT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

static inline int unit_main(const char *group, const struct CMUnitTest *tests,
			    size_t n, int argc, char **argv)
{
	size_t i;

	if (argc < 2)
		return _cmocka_run_group_tests(group, tests, n, NULL, NULL);
	for (i = 0; i < n; i++)
		if (!strcmp(tests[i].name, argv[1]))
			return _cmocka_run_group_tests(group, &tests[i], 1,
						       NULL, NULL);
	fprintf(stderr, "%s: no test case named '%s'\n", group, argv[1]);
	return 2;
}

#define UNIT_MAIN(group, tests)                                               \
	int main(int argc, char **argv)                                        \
	{                                                                      \
		return unit_main(group, tests,                                 \
				 sizeof(tests) / sizeof((tests)[0]), argc,     \
				 argv);                                        \
	}

#endif /* BATON_TESTS_UNIT_H */
