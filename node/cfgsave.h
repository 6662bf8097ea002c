/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * cfgsave.h - writing the running services back into baton.yaml
 * (`batonctl config save`). Pure: text in, text out.
 *
 * Only the top-level services: section is rewritten; every other byte of
 * the file (other sections, comments, blank lines) stays as it was. The
 * new section is complete (every key written out, defaults included) and
 * quotes every string, so what is saved reads back as exactly what runs:
 * baton_config_splice_services() parses its own output and refuses to
 * return text that would load differently.
 */
#ifndef BATON_CFGSAVE_H
#define BATON_CFGSAVE_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

/* The services: section of cfg as YAML ("services:\n  - vip: ..."). Returns
 * a malloc'd NUL-terminated string, or NULL (out of memory). */
char *baton_config_render_services(const struct baton_config *cfg);

/* Whether a and b have the same services, backends, health sections (in
 * order; lines and run-time state aside). */
bool baton_config_services_equal(const struct baton_config *a,
				 const struct baton_config *b);

/*
 * text[0..len) (a baton.yaml named `name`) with its services: section
 * replaced by cfg's (appended if it has none). 0 with *out (malloc'd,
 * NUL-terminated, *outlen bytes), or -EINVAL with err (the text does not
 * parse, its top level is not a block mapping, or the result would not
 * load as cfg's services) or -ENOMEM.
 */
int baton_config_splice_services(const char *name, const char *text,
				 size_t len, const struct baton_config *cfg,
				 char **out, size_t *outlen, char *err,
				 size_t errlen);

#endif /* BATON_CFGSAVE_H */
