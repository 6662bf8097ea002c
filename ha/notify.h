/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * notify.h - one line of keepalived's notify FIFO. Pure: bytes in, a
 * struct out; no I/O, no allocation, bounded by BATON_NOTIFY_LINE_MAX.
 *
 * keepalived (2.2, keepalived.conf(5) "notify_fifo", "vrrp_notify_fifo",
 * "lvs_notify_fifo") writes one line per event, each ended by '\n':
 *
 *   TYPE "NAME" STATE PRIORITY		vrrp: TYPE is INSTANCE or GROUP
 *   VS [192.168.201.15]:tcp:80 UP	checker, on the shared notify_fifo
 *   RS [1.2.3.4]:tcp:80 [192.168.201.15]:tcp:80 DOWN
 *
 * The vrrp line is printf'd as `%s "%s" %s %d`: single spaces, NAME raw
 * (no escaping, so it may hold spaces and '"'), PRIORITY the effective
 * priority in decimal (0..255; always 0 for a GROUP). STATE is one of
 *   MASTER BACKUP FAULT STOP	the state entered
 *   DELETED			instance removed by a reload (notify_deleted)
 *   MASTER_RX_LOWER_PRI	an event, not a state: the master received a
 *				lower priority advert (another node was master)
 *   MASTER_PRIORITY BACKUP_PRIORITY  events, not states: the effective
 *				priority changed (notify_priority_changes,
 *				vrrp_notify_priority_changes); BACKUP_PRIORITY
 *				is sent in FAULT too
 *   {UNKNOWN}			keepalived's spelling of a state it cannot name
 *
 * baton_notify_parse() returns
 *   0        a vrrp line, in *out;
 *   -ENOENT  a well-formed line that carries no role: VS/RS lines and
 *            vrrp lines whose STATE is {UNKNOWN};
 *   -EINVAL  anything else: empty, too long, a NUL or control byte, an
 *            unknown TYPE or STATE, a missing quote, an empty or overlong
 *            NAME, a PRIORITY that is not 0..255 in keepalived's spelling
 *            (no sign, no leading zero), trailing bytes.
 * Whatever it returns other than 0, *out is all zero.
 *
 * `line` need not be NUL-terminated; at most one trailing '\n' is taken
 * as the terminator. Since NAME may contain '"', its closing quote is the
 * last '"' of the line (STATE and PRIORITY never contain one).
 */
#ifndef BATON_HA_NOTIFY_H
#define BATON_HA_NOTIFY_H

#include <stddef.h>
#include <stdint.h>

/*
 * keepalived reads its configuration a line at a time into a MAXBUF
 * (1024) byte buffer (lib/parser.h), so no instance or group name it can
 * write is longer than 1023 bytes.
 */
#define BATON_NOTIFY_NAME_MAX	1023
/* The longest vrrp line, '\n' included: the longest of every field. */
#define BATON_NOTIFY_LINE_MAX						\
	(sizeof("INSTANCE \"\" MASTER_RX_LOWER_PRI 255\n") - 1 +	\
	 BATON_NOTIFY_NAME_MAX)

enum baton_notify_type {
	BATON_NOTIFY_INSTANCE = 1,	/* a vrrp_instance */
	BATON_NOTIFY_GROUP,		/* a vrrp_sync_group */
};

enum baton_notify_state {
	BATON_NOTIFY_MASTER = 1,
	BATON_NOTIFY_BACKUP,
	BATON_NOTIFY_FAULT,
	BATON_NOTIFY_STOP,
	BATON_NOTIFY_DELETED,
	/* events: the state is unchanged */
	BATON_NOTIFY_MASTER_RX_LOWER_PRI,
	BATON_NOTIFY_MASTER_PRIORITY,
	BATON_NOTIFY_BACKUP_PRIORITY,
	BATON_NOTIFY_STATE_MAX
};

struct baton_notify {
	uint8_t type;		/* enum baton_notify_type */
	uint8_t state;		/* enum baton_notify_state */
	uint8_t priority;
	uint16_t name_len;	/* 1..BATON_NOTIFY_NAME_MAX */
	char name[BATON_NOTIFY_NAME_MAX + 1];	/* NUL-terminated */
};

int baton_notify_parse(const char *line, size_t len, struct baton_notify *out);

/* keepalived's spelling ("MASTER", "GROUP", ...), or NULL if out of range. */
const char *baton_notify_state_name(unsigned int state);
const char *baton_notify_type_name(unsigned int type);

#endif /* BATON_HA_NOTIFY_H */
