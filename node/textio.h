/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * textio.h - text that grows as it is written (the metrics page, a saved
 * config), and writing a file so that no reader ever sees half of it.
 */
#ifndef BATON_TEXTIO_H
#define BATON_TEXTIO_H

#include <stdbool.h>
#include <stddef.h>

/* A growing, NUL-terminated text; on out of memory it stops growing and
 * says so (oom), so a writer checks once at the end. Zeroed = empty. */
struct baton_text {
	char *p;
	size_t len, cap;
	bool oom;
};

void baton_text_printf(struct baton_text *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void baton_text_free(struct baton_text *t);

/*
 * path = text[0..len), atomically: written to PATH.tmp (path's mode if it
 * exists, else 0644), synced, renamed over path. A failure leaves path as
 * it was and no PATH.tmp. 0 or -errno.
 */
int baton_write_file(const char *path, const char *text, size_t len);

#endif /* BATON_TEXTIO_H */
