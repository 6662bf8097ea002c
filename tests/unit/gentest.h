/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * gentest.h - helpers of the config generator tests (test_kaconf.c,
 * test_birdconf.c): a YAML text parsed, a whole generated text, and
 * questions about it. Include after unit.h, with GEN_RENDER defined as the
 * generator's render function (kaconf.h's signature).
 */
#ifndef BATON_TESTS_GENTEST_H
#define BATON_TESTS_GENTEST_H

#include <stdbool.h>
#include <stdio.h>
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

/*
 * deploy/baton.yaml with its commented-out section "# NAME:" (up to the
 * next empty line) uncommented, parsed into cfg: the shipped example of
 * that section is a config the generator can render.
 */
static void load_example_with(const char *name, struct baton_config *cfg)
{
	const char *path = BATON_SOURCE_DIR "/deploy/baton.yaml";
	char line[512], head[64], *yaml;
	size_t len = 0, cap = 1 << 16;
	bool in = false;
	FILE *f;

	snprintf(head, sizeof(head), "# %s:", name);
	f = fopen(path, "r");
	assert_non_null(f);
	yaml = malloc(cap);
	assert_non_null(yaml);
	while (fgets(line, sizeof(line), f)) {
		const char *l = line;

		if (!strncmp(line, head, strlen(head)))
			in = true;
		else if (line[0] == '\n')
			in = false;
		if (in && !strncmp(line, "# ", 2))
			l += 2;
		assert_true(len + strlen(l) < cap);
		memcpy(yaml + len, l, strlen(l));
		len += strlen(l);
	}
	yaml[len] = '\0';
	fclose(f);
	load(yaml, cfg);
	free(yaml);
}

#endif /* BATON_TESTS_GENTEST_H */
