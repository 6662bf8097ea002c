// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* check.c - failure output for check.h. */
#include "check.h"

char check_ctx[160];

void check_memdiff(const void *got, const void *want, size_t len)
{
	const unsigned char *g = got, *w = want;
	size_t i, j;

	for (i = 0; i < len; i += 16) {
		char gs[16 * 3 + 1] = "", ws[16 * 3 + 1] = "", mark[17] = "";
		int diff = 0;

		for (j = 0; j < 16 && i + j < len; j++) {
			sprintf(gs + j * 3, "%02x ", g[i + j]);
			sprintf(ws + j * 3, "%02x ", w[i + j]);
			mark[j] = g[i + j] != w[i + j] ? '^' : '.';
			diff |= g[i + j] != w[i + j];
		}
		fprintf(stderr, "      %04zx  %-48s  %-48s %s%s\n", i, gs, ws,
			mark, diff ? " <" : "");
	}
}
