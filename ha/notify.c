/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * notify.c - one line of keepalived's notify FIFO (see notify.h for the
 * format and the contract).
 *
 * The parser accepts exactly what keepalived's `%s "%s" %s %d\n` can
 * produce, so every accepted line prints back to the same bytes
 * (tests/fuzz/fuzz_ha_notify.c holds us to it). It walks the line once
 * to reject NUL and control bytes, then once more field by field; both
 * walks are bounded by BATON_NOTIFY_LINE_MAX.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "notify.h"

static const char *const state_names[BATON_NOTIFY_STATE_MAX] = {
	[BATON_NOTIFY_MASTER] = "MASTER",
	[BATON_NOTIFY_BACKUP] = "BACKUP",
	[BATON_NOTIFY_FAULT] = "FAULT",
	[BATON_NOTIFY_STOP] = "STOP",
	[BATON_NOTIFY_DELETED] = "DELETED",
	[BATON_NOTIFY_MASTER_RX_LOWER_PRI] = "MASTER_RX_LOWER_PRI",
	[BATON_NOTIFY_MASTER_PRIORITY] = "MASTER_PRIORITY",
	[BATON_NOTIFY_BACKUP_PRIORITY] = "BACKUP_PRIORITY",
};

static const char *const type_names[] = {
	[BATON_NOTIFY_INSTANCE] = "INSTANCE",
	[BATON_NOTIFY_GROUP] = "GROUP",
};

const char *baton_notify_state_name(unsigned int state)
{
	return state < BATON_NOTIFY_STATE_MAX ? state_names[state] : NULL;
}

const char *baton_notify_type_name(unsigned int type)
{
	return type < sizeof(type_names) / sizeof(type_names[0]) ?
		       type_names[type] : NULL;
}

/* Whether [p, p + n) spells the NUL-terminated word w exactly. */
static bool is_word(const char *p, size_t n, const char *w)
{
	return strlen(w) == n && !memcmp(p, w, n);
}

/* Index of the first ' ' in [p, p + n), or n. */
static size_t word_len(const char *p, size_t n)
{
	const char *sp = memchr(p, ' ', n);

	return sp ? (size_t)(sp - p) : n;
}

/* 0..255 without sign or leading zero, as printf's %d writes a uint8_t. */
static int parse_priority(const char *p, size_t n, uint8_t *prio)
{
	unsigned int v = 0;
	size_t i;

	if (n == 0 || n > 3 || (n > 1 && p[0] == '0'))
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -EINVAL;
		v = v * 10 + (unsigned int)(p[i] - '0');
	}
	if (v > 255)
		return -EINVAL;
	*prio = (uint8_t)v;
	return 0;
}

static int parse(const char *line, size_t len, struct baton_notify *out)
{
	const char *p = line, *end, *close;
	size_t n, i;
	int state;

	if (len > 0 && line[len - 1] == '\n')
		len--;
	if (len == 0 || len > BATON_NOTIFY_LINE_MAX - 1)
		return -EINVAL;
	/* keepalived writes text; a NUL or control byte (a second '\n'
	 * included) is never ours and would break the log lines we write. */
	for (i = 0; i < len; i++)
		if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
			return -EINVAL;
	end = line + len;

	n = word_len(p, len);
	if (is_word(p, n, "VS") || is_word(p, n, "RS"))
		return -ENOENT;
	if (is_word(p, n, "INSTANCE"))
		out->type = BATON_NOTIFY_INSTANCE;
	else if (is_word(p, n, "GROUP"))
		out->type = BATON_NOTIFY_GROUP;
	else
		return -EINVAL;
	p += n;

	/* ` "NAME" `: the closing quote is the last one on the line. */
	if (end - p < 2 || p[0] != ' ' || p[1] != '"')
		return -EINVAL;
	p += 2;
	for (close = end; close > p && close[-1] != '"'; close--)
		;
	if (close == p)
		return -EINVAL;	/* no closing quote */
	close--;
	n = (size_t)(close - p);
	if (n == 0 || n > BATON_NOTIFY_NAME_MAX)
		return -EINVAL;
	memcpy(out->name, p, n);
	out->name[n] = '\0';
	out->name_len = (uint16_t)n;
	p = close + 1;

	/* ` STATE PRIORITY` and nothing after. */
	if (p == end || *p != ' ')
		return -EINVAL;
	p++;
	n = word_len(p, (size_t)(end - p));
	if (p + n == end)
		return -EINVAL;	/* no priority */
	if (is_word(p, n, "{UNKNOWN}")) {
		state = -ENOENT;
	} else {
		state = BATON_NOTIFY_MASTER;
		while (state < BATON_NOTIFY_STATE_MAX &&
		       !is_word(p, n, state_names[state]))
			state++;
		if (state == BATON_NOTIFY_STATE_MAX)
			return -EINVAL;
	}
	p += n + 1;
	if (parse_priority(p, (size_t)(end - p), &out->priority))
		return -EINVAL;
	if (state < 0)
		return state;
	out->state = (uint8_t)state;
	return 0;
}

int baton_notify_parse(const char *line, size_t len, struct baton_notify *out)
{
	int ret;

	memset(out, 0, sizeof(*out));
	if (!line)
		return -EINVAL;
	ret = parse(line, len, out);
	if (ret)
		memset(out, 0, sizeof(*out));
	return ret;
}
