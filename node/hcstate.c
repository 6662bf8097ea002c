// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* hcstate.c - see hcstate.h. */
#include <string.h>

#include "hcstate.h"

void baton_hc_init(struct baton_hc_state *s, bool up)
{
	memset(s, 0, sizeof(*s));
	s->up = up;
}

bool baton_hc_result(struct baton_hc_state *s, bool ok, uint32_t rise,
		     uint32_t fall)
{
	if (ok) {
		s->fail_run = 0;
		if (s->ok_run < UINT32_MAX)
			s->ok_run++;
		if (s->up) {
			s->proven = true;
			return false;
		}
		if (s->ok_run < rise)
			return false;
		s->up = true;
		s->proven = true;
		return true;
	}
	s->ok_run = 0;
	if (s->fail_run < UINT32_MAX)
		s->fail_run++;
	if (!s->up || (s->proven && s->fail_run < fall))
		return false;
	s->up = false;
	s->proven = false;
	return true;
}

/* "HTTP/1.x SSS" and then a space or the line's end. */
int baton_hc_http_status(const char *buf, size_t len)
{
	static const char head[] = "HTTP/1.";
	const size_t hl = sizeof(head) - 1;
	int status = 0;

	if (memcmp(buf, head, len < hl ? len : hl))
		return -1;
	if (len < hl + 1)
		return 0;
	if (buf[hl] < '0' || buf[hl] > '9')
		return -1;
	if (len < hl + 2)
		return 0;
	if (buf[hl + 1] != ' ')
		return -1;
	for (size_t i = hl + 2; i < hl + 5; i++) {
		if (i >= len)
			return 0;
		if (buf[i] < '0' || buf[i] > '9')
			return -1;
		status = status * 10 + (buf[i] - '0');
	}
	if (len < hl + 6)
		return 0;
	if (buf[hl + 5] != ' ' && buf[hl + 5] != '\r' && buf[hl + 5] != '\n')
		return -1;
	return status >= 100 ? status : -1;
}
