/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * kaconf.h - this node's keepalived.conf, from baton.yaml. Pure: a parsed
 * config in, text out; no I/O, no clock, no allocation, so the text is a
 * function of the config alone (byte for byte) and the unit tests check
 * it without keepalived. baton-keepalived (baton-keepalived.c) is the CLI.
 *
 * What it writes (keepalived 2.2, keepalived.conf(5); the behaviour
 * described was observed with 2.2.7), and why:
 *
 *  - global_defs: router_id baton-NODE_ID, vrrp_version 3 (advert_int in
 *    centiseconds), vrrp_notify_fifo = ha.notify_fifo (VRRP lines only;
 *    keepalived opens it O_RDWR|O_NONBLOCK, so lines written while batond
 *    is down wait in the pipe, up to its 64 KiB), and
 *    fifo_write_vrrp_states_on_reload, so that `systemctl reload
 *    keepalived` tells a restarted batond the group's state. The FIFO
 *    must exist before keepalived starts (baton-keepalived --mkfifo):
 *    keepalived unlinks a FIFO it created itself on every reload (then
 *    makes a new one) and on stop, leaving batond on a dead inode.
 *    Also keepalived's gratuitous ARP defaults, written out, and
 *    max_auto_priority with min_auto_priority_delay of one advert
 *    interval: a VRRP process that runs an interval late may already
 *    have lost its peer's election;
 *  - track_file "baton" on ha.track_file, init_file -254 without
 *    overwrite: FAULT from boot until batond has attached its datapath and
 *    written 0 or -253, and a keepalived restart keeps what a running
 *    batond wrote;
 *  - vrrp_sync_group named ha.follow with the instances "front" and, if
 *    configured, "back", tracking the file at weight 1 on the group.
 *    keepalived forces weight 0 on a member instance's track_file (then
 *    any non-zero value is FAULT) unless sync_group_tracking_weight is
 *    set, which its manual says "probably WON'T WORK"; the group's own
 *    tracker keeps weight 1 and moves both instances' priority together
 *    (-253: both at priority 1; -254: both FAULT);
 *  - each instance: state BACKUP (the priority decides), preempt on (the
 *    default; nopreempt would leave a demoted node MASTER), priority,
 *    advert_int, unicast peers and source if given, and its addresses:
 *    front carries every service VIP (/32), back the listed gateway
 *    addresses and every fullNAT snat address (/32); without back, the
 *    snat addresses go on front (one-arm).
 *
 * Adverts carry one stable address list. keepalived discards an advert
 * whose address count or addresses differ from its own ("received an
 * unexpected ip number count"), and two nodes whose services differ for
 * a moment (one updated before the other) would then each ignore the
 * other. So the listed `addresses` of an instance are its
 * virtual_ipaddress (or, with none listed, its lowest service address
 * alone), and the rest are virtual_ipaddress_excluded: added, removed
 * and announced (gratuitous ARP) the same way, but not advertised.
 *
 * Addresses are written once: a VIP of several services once, an
 * address listed and also derived from a service once (as listed).
 * Listed addresses keep their order, the others are sorted, so
 * reordering services changes nothing.
 */
#ifndef BATON_HA_KACONF_H
#define BATON_HA_KACONF_H

#include <stddef.h>

#include "../node/config.h"

/* Names in the generated file. */
#define BATON_KACONF_TRACK	"baton"
#define BATON_KACONF_FRONT	"front"
#define BATON_KACONF_BACK	"back"
/* = BATON_HA_TRACK_FAULT */
#define BATON_KACONF_INIT_TRACK	(-254)

/*
 * keepalived.conf for cfg into buf: at most len bytes including the NUL,
 * cut short as snprintf does (buf may be NULL when len is 0). `source` is
 * the file named in the header comment. Returns the length of the whole
 * text, so that a buffer of that plus one holds it; or -EINVAL with a
 * message in err if cfg has no ha.vrrp, does not validate, puts one
 * address on both instances, or leaves an instance without an address.
 */
int baton_kaconf_render(const struct baton_config *cfg, const char *source,
			char *buf, size_t len, char *err, size_t errlen);

/* Where two keepalived.conf texts first differ (1-based lines; 0 and an
 * empty line when that text ended first). */
struct baton_kaconf_diff {
	int want_line, got_line;
	const char *want, *got;	/* the lines, without their '\n' */
	size_t want_len, got_len;
};

/*
 * Compare a keepalived.conf (got) with what render made (want), line by
 * line, skipping blank lines and comments ('#' or '!' first) in both:
 * the header names the file it came from, which differs for a copy made
 * elsewhere. 0 if they agree, else 1 with *d filled.
 */
int baton_kaconf_compare(const char *want, size_t want_len, const char *got,
			 size_t got_len, struct baton_kaconf_diff *d);

#endif /* BATON_HA_KACONF_H */
