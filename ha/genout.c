// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* genout.c - see genout.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

#include "genout.h"

void gen_outf(struct gen_out *o, const char *fmt, ...)
{
	bool room = o->pos < o->len;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(room ? o->buf + o->pos : NULL,
		      room ? o->len - o->pos : 0, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->pos += (size_t)n;
}

void gen_out_clean(struct gen_out *o, const char *s)
{
	for (; *s; s++)
		gen_outf(o, "%c",
			 (unsigned char)*s < ' ' || *s == 0x7f ? '?' : *s);
}

const char *gen_ip_str(uint32_t host, char *buf, size_t len)
{
	struct in_addr a = { .s_addr = htonl(host) };

	if (!inet_ntop(AF_INET, &a, buf, len))
		snprintf(buf, len, "?");
	return buf;
}

int gen_start(struct gen_out *o, const struct baton_config *cfg, char *err,
	      size_t errlen)
{
	if (err && errlen)
		err[0] = '\0';
	if (o->len)
		o->buf[0] = '\0';
	if (!cfg)
		return -EINVAL;
	return baton_config_validate(cfg, err, errlen);
}

void gen_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}
