/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * genout.h - text out for the config generators (kaconf.c, birdconf.c):
 * snprintf-style appending that counts every byte asked for, even past
 * the buffer, so a first call with no buffer measures the text. Pure.
 */
#ifndef BATON_HA_GENOUT_H
#define BATON_HA_GENOUT_H

#include <stddef.h>
#include <stdint.h>

#include "../node/config.h"

struct gen_out {
	char *buf;
	size_t len, pos;
};

void gen_outf(struct gen_out *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* s with control bytes shown as '?' (a path or name from the config). */
void gen_out_clean(struct gen_out *o, const char *s);

/* A host-order IPv4 address, dotted. */
const char *gen_ip_str(uint32_t host, char *buf, size_t len);

/* The start of every render: err and the text emptied, cfg validated.
 * 0, or -EINVAL (with a message in err for a config that does not
 * validate). */
int gen_start(struct gen_out *o, const struct baton_config *cfg, char *err,
	      size_t errlen);

/* The comment a generated file starts with: FILE of node N, made by TOOL
 * from SOURCE, how to make it again (TOOL -c SOURCE -o THIS_FILE, then
 * `tail`, the rest of that comment, its own "# " lines included). */
void gen_header(struct gen_out *o, const struct baton_config *cfg,
		const char *source, const char *file, const char *tool,
		const char *tail);

/* snprintf into err (which may be NULL). */
void gen_fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif /* BATON_HA_GENOUT_H */
