/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * fuzz_config.c - libFuzzer target for baton_config_parse().
 *
 * Besides "no crash, no leak, no UB" (the sanitizers), it checks the
 * parser's contract on every input: success means a config that passes
 * baton_config_validate() and survives a deep copy; failure means a
 * message naming the file and a config that is all zeroes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

static void check(int cond)
{
	if (!cond)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct baton_config zero;
	struct baton_config cfg, copy;
	char err[512];
	int ret;

	ret = baton_config_parse("fuzz.yaml", (const char *)data, size, &cfg,
				 err, sizeof(err));
	if (ret) {
		check(ret < 0);
		check(!memcmp(&cfg, &zero, sizeof(cfg)));
		check(!strncmp(err, "fuzz.yaml", 9));
		return 0;
	}
	check(baton_config_validate(&cfg, err, sizeof(err)) == 0);
	check(cfg.node_id != 0 && cfg.nifaces > 0);
	check(baton_config_copy(&copy, &cfg) == 0);
	check(copy.nservices == cfg.nservices);
	check(!cfg.nservices || !memcmp(copy.services, cfg.services,
					cfg.nservices * sizeof(*cfg.services)));
	baton_config_free(&copy);
	baton_config_free(&cfg);
	return 0;
}
