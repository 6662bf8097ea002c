/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * gentest.h - helpers of the config generator tests (test_kaconf.c,
 * test_birdconf.c): a YAML text parsed, a whole generated text, and
 * questions about it. Include after unit.h, with GEN_RENDER defined as the
 * generator's render function (kaconf.h's signature).
 */
#ifndef BATON_TESTS_GENTEST_H
#define BATON_TESTS_GENTEST_H

#include <stdlib.h>
#include <string.h>

#include "config.h"

static char err[512];

static void load(const char *yaml, struct baton_config *cfg)
{
	if (baton_config_parse("/etc/baton/baton.yaml", yaml, strlen(yaml),
			       cfg, err, sizeof(err)))
		fail_msg("config: %s", err);
}

/* The whole text, malloc'd; fails the test on an error. */
static char *render(const struct baton_config *cfg)
{
	int len, len2;
	char *buf;

	len = GEN_RENDER(cfg, cfg->path, NULL, 0, err, sizeof(err));
	if (len < 0)
		fail_msg("render: %d %s", len, err);
	buf = malloc(len + 1);
	assert_non_null(buf);
	len2 = GEN_RENDER(cfg, cfg->path, buf, len + 1, err, sizeof(err));
	assert_int_equal(len2, len);
	assert_int_equal(strlen(buf), len);
	return buf;
}

static void assert_has(const char *text, const char *frag)
{
	if (!strstr(text, frag))
		fail_msg("missing:\n%s\n--- in:\n%s", frag, text);
}

static size_t count(const char *text, const char *frag)
{
	size_t n = 0;

	for (const char *p = text; (p = strstr(p, frag)); p++)
		n++;
	return n;
}

#endif /* BATON_TESTS_GENTEST_H */
