// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* reset.c - see reset.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "nudge_pkt.h"
#include "reset.h"

#define SUB "health"
#define TCPF_FIN 0x01
#define TCPF_SYN 0x02
#define TCPF_RST 0x04
#define TCPF_ACK 0x10

struct baton_reset {
	int ct_fd;
	struct be_stats *be_stats;
	baton_ct_deleted_fn on_delete;
	void *arg;
	int raw_fd;			/* -1 if it could not be opened */
	int raw_errno;			/* why not */
	bool raw_failed;		/* logged once; TCP resets then wait
					 * for the flows' own timeouts */
	struct baton_reset_counts c;
};

struct baton_reset *baton_reset_init(int ct_fd, struct be_stats *be_stats,
				     baton_ct_deleted_fn on_delete, void *arg)
{
	struct baton_reset *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->ct_fd = ct_fd;
	r->be_stats = be_stats;
	r->on_delete = on_delete;
	r->arg = arg;
	/* Now: later, batond may no longer hold CAP_NET_RAW (privs.h). */
	r->raw_fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	r->raw_errno = r->raw_fd < 0 ? errno : 0;
	return r;
}

void baton_reset_free(struct baton_reset *r)
{
	if (!r)
		return;
	if (r->raw_fd >= 0)
		close(r->raw_fd);
	free(r);
}

/* The raw socket opened at init; its failure is logged at the first
 * reset that needs it. */
static int raw_ready(struct baton_reset *r)
{
	if (r->raw_fd >= 0)
		return 0;
	if (!r->raw_failed) {
		r->raw_failed = true;
		log_err(SUB, "raw socket for resets (needs CAP_NET_RAW at "
			"start): %s; TCP flows of backends that go down are "
			"dropped, not reset", strerror(r->raw_errno));
	}
	return -EPERM;
}

static void send_seg(struct baton_reset *r, const struct baton_nudge_tuple *t,
		     uint32_t seq, uint32_t ack, uint8_t flags, uint64_t *ok)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = t->daddr };
	uint8_t buf[BATON_NUDGE_TICKLE_LEN];
	size_t len = baton_nudge_segment(buf, t, seq, ack, flags);

	if (sendto(r->raw_fd, buf, len, MSG_DONTWAIT, (struct sockaddr *)&a,
		   sizeof(a)) == (ssize_t)len) {
		(*ok)++;
		return;
	}
	if (!r->c.errors++)
		log_warn(SUB, "sending a reset segment: %s (counted from "
			 "here on)", strerror(errno));
}

/* The ends of a flow as its forward half says: the client (from the
 * VIP) and the backend (from what the client is translated to). */
static void client_end(const struct ct_v4_key *k, struct baton_nudge_tuple *t)
{
	t->saddr = k->daddr;
	t->sport = k->dport;
	t->daddr = k->saddr;
	t->dport = k->sport;
}

static void translated(const struct ct_v4_entry *e,
		       struct baton_nudge_tuple *t)
{
	t->saddr = e->nat_saddr;
	t->sport = e->nat_sport;
	t->daddr = e->nat_daddr;
	t->dport = e->nat_dport;
}

struct match {
	uint16_t svc_id, be_id;
	size_t n, cap;
	struct ct_v4_key *keys;
	struct ct_v4_entry *vals;
};

static int collect(const struct ct_v4_key *k, const struct ct_v4_entry *e,
		   void *arg)
{
	struct match *m = arg;

	if (e->svc_id != m->svc_id || e->be_id != m->be_id)
		return 0;
	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 256;
		struct ct_v4_key *keys = realloc(m->keys, cap * sizeof(*keys));
		struct ct_v4_entry *vals;

		if (!keys)
			return -ENOMEM;
		m->keys = keys;
		vals = realloc(m->vals, cap * sizeof(*vals));
		if (!vals)
			return -ENOMEM;
		m->vals = vals;
		m->cap = cap;
	}
	m->keys[m->n] = *k;
	m->vals[m->n] = *e;
	m->n++;
	return 0;
}

int baton_reset_backend(struct baton_reset *r, uint16_t svc_id,
			uint16_t be_id, struct baton_reset_done *done)
{
	struct match m = { .svc_id = svc_id, .be_id = be_id };
	uint64_t tickled = 0, deleted = 0;
	int ret;

	memset(done, 0, sizeof(*done));
	ret = baton_ct_foreach(r->ct_fd, collect, &m);
	if (ret) {
		log_err(SUB, "reset: reading ct_v4_map: %s", strerror(-ret));
		goto out;
	}
	for (size_t i = 0; i < m.n; i++) {
		const struct ct_v4_key *k = &m.keys[i];
		const struct ct_v4_entry *e = &m.vals[i];
		struct baton_nudge_tuple t;
		uint64_t sent = 0;

		if (k->proto != IPPROTO_TCP) {
			if (baton_ct_delete(r->ct_fd, r->be_stats, k, e,
					    r->on_delete, r->arg))
				deleted++;
			continue;
		}
		/* Tickle the flows this node carries; their answers (and
		 * any other segment) come back as CT_EV_RESET. */
		if (e->dir != CT_DIR_FWD || (e->flags & CT_F_REMOTE) ||
		    e->state >= CT_STATE_TIME_WAIT)
			continue;
		if (raw_ready(r)) {
			ret = -EPERM;
			continue;	/* the UDP/ICMP entries still go */
		}
		client_end(k, &t);
		send_seg(r, &t, 0, 0, TCPF_ACK, &sent);
		if (e->mode != BATON_MODE_DSR) {
			translated(e, &t);
			send_seg(r, &t, 0, 0, TCPF_ACK, &sent);
		}
		if (sent)
			tickled++;
	}
	r->c.backends++;
	r->c.tickled += tickled;
	r->c.deleted += deleted;
	done->entries = m.n;
	done->tickled = tickled;
	done->deleted = deleted;
out:
	free(m.keys);
	free(m.vals);
	return ret;
}

void baton_reset_on_event(struct baton_reset *r, const struct ct_v4_event *ev)
{
	const struct ct_v4_key *k = &ev->key;
	const struct ct_v4_entry *e = &ev->entry;
	struct baton_nudge_tuple t;
	uint32_t ack;

	if (k->proto != IPPROTO_TCP || raw_ready(r))
		return;
	r->c.segments++;
	/* To the sender, from where it sent to (RFC 793: a RST answers a
	 * segment at the number it acknowledges, or acknowledges it). */
	t.saddr = k->daddr;
	t.sport = k->dport;
	t.daddr = k->saddr;
	t.dport = k->sport;
	if (ev->seg_flags & TCPF_ACK) {
		send_seg(r, &t, ev->seg_ack, 0, TCPF_RST, &r->c.rsts);
	} else {
		ack = ev->seg_seq + ev->seg_len +
		      !!(ev->seg_flags & TCPF_SYN) +
		      !!(ev->seg_flags & TCPF_FIN);
		send_seg(r, &t, 0, ack, TCPF_RST | TCPF_ACK, &r->c.rsts);
	}
	/* To the other end, as the segment would have gone, at the byte it
	 * waits for: this segment's. A SYN opens nothing there. */
	if (e->mode == BATON_MODE_DSR || (ev->seg_flags & TCPF_SYN))
		return;
	translated(e, &t);
	send_seg(r, &t, ev->seg_seq, 0, TCPF_RST, &r->c.rsts);
}

void baton_reset_get_counts(const struct baton_reset *r,
			    struct baton_reset_counts *c)
{
	if (r)
		*c = r->c;
	else
		memset(c, 0, sizeof(*c));
}
