// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* nudge.c - see nudge.h (the packets: nudge_pkt.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ct.h"
#include "log.h"
#include "nudge.h"
#include "nudge_pkt.h"

#define SUB "nudge"
#define NUDGE_MAX_FLOWS	65536	/* per run */
#define NUDGE_RUN_MS	300	/* listening for answers */
#define NUDGE_BATCH	512	/* flows tickled per loop turn */
#define NUDGE_CHUNK	1024	/* ct entries per batch lookup */
#define NUDGE_RCVBUF	(4 << 20)
#define NUDGE_SRC_CACHE	256	/* backends */

#define GOT_CLIENT	1	/* the client's ACK number */
#define GOT_BACKEND	2	/* the backend's */

struct nudge_flow {
	struct baton_nudge_tuple c;	/* the client's segments */
	struct baton_nudge_tuple b;	/* the backend's */
	uint8_t got;
};

struct baton_nudge {
	uv_loop_t *loop;
	int ct_fd;
	uint32_t node_id;
	int raw_fd;		/* sends tickles and ICMP */
	int cap_fd;		/* bare ACKs passing (filter: see capture_on) */
	uv_poll_t poll;
	uv_timer_t timer;
	bool stopping;
	int handles;

	struct nudge_flow *flows;
	uint32_t *by_c, *by_b;	/* flow indexes sorted by tuple */
	size_t nflows, tickled;
	uint64_t start_ms;
	bool active;

	/* Source addresses the kernel picks towards a destination. */
	struct { uint32_t dst, src; } srcs[NUDGE_SRC_CACHE];
	size_t nsrcs;

	/* Counters, all runs. */
	uint64_t runs, flows_total, skipped, tickles, tickle_errors;
	uint64_t acks_client, acks_backend, icmps, icmp_errors;
	uint64_t capture_errors;
	/* The last run. */
	uint64_t last_flows, last_icmps, last_icmp_ms;
};

/* CLOCK_MONOTONIC, as conntrack's own stamps. */
static uint64_t now_ms(void)
{
	return baton_ct_now_ns() / 1000000;
}

static int tuple_cmp(const struct baton_nudge_tuple *a,
		     const struct baton_nudge_tuple *b)
{
	if (a->saddr != b->saddr)
		return a->saddr < b->saddr ? -1 : 1;
	if (a->daddr != b->daddr)
		return a->daddr < b->daddr ? -1 : 1;
	if (a->sport != b->sport)
		return a->sport < b->sport ? -1 : 1;
	if (a->dport != b->dport)
		return a->dport < b->dport ? -1 : 1;
	return 0;
}

/* qsort/bsearch have no context argument: the flows being sorted. */
static const struct nudge_flow *sort_flows;

static int cmp_by_c(const void *a, const void *b)
{
	return tuple_cmp(&sort_flows[*(const uint32_t *)a].c,
			 &sort_flows[*(const uint32_t *)b].c);
}

static int cmp_by_b(const void *a, const void *b)
{
	return tuple_cmp(&sort_flows[*(const uint32_t *)a].b,
			 &sort_flows[*(const uint32_t *)b].b);
}

/* The flow whose c (backend: b) tuple is t, or NULL. */
static struct nudge_flow *find(struct baton_nudge *n,
			       const struct baton_nudge_tuple *t, bool backend)
{
	const uint32_t *idx = backend ? n->by_b : n->by_c;
	size_t lo = 0, hi = n->nflows;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		struct nudge_flow *f = &n->flows[idx[mid]];
		int c = tuple_cmp(backend ? &f->b : &f->c, t);

		if (!c)
			return f;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static void reverse(const struct baton_nudge_tuple *t,
		    struct baton_nudge_tuple *r)
{
	r->saddr = t->daddr;
	r->daddr = t->saddr;
	r->sport = t->dport;
	r->dport = t->sport;
}

/* The address this node sends from towards dst (network order), 0 if
 * there is no route. */
static uint32_t source_for(struct baton_nudge *n, uint32_t dst)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(9),
				 .sin_addr.s_addr = dst };
	socklen_t len = sizeof(a);
	uint32_t src = 0;
	size_t i;
	int fd;

	for (i = 0; i < n->nsrcs; i++)
		if (n->srcs[i].dst == dst)
			return n->srcs[i].src;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	if (!connect(fd, (struct sockaddr *)&a, sizeof(a)) &&
	    !getsockname(fd, (struct sockaddr *)&a, &len))
		src = a.sin_addr.s_addr;
	close(fd);
	if (src && n->nsrcs < NUDGE_SRC_CACHE) {
		n->srcs[n->nsrcs].dst = dst;
		n->srcs[n->nsrcs].src = src;
		n->nsrcs++;
	}
	return src;
}

static int send_raw(struct baton_nudge *n, const uint8_t *buf, size_t len,
		    uint32_t dst)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = dst };

	if (sendto(n->raw_fd, buf, len, MSG_DONTWAIT, (struct sockaddr *)&a,
		   sizeof(a)) != (ssize_t)len)
		return -errno;
	return 0;
}

/* The sender of q told its segment at seq went nowhere; from: the ICMP's
 * source, 0 for the address this node sends from towards that sender. */
static void send_icmp(struct baton_nudge *n, const struct baton_nudge_tuple *q,
		      uint32_t seq, uint32_t from)
{
	uint8_t buf[BATON_NUDGE_ICMP_LEN];
	size_t len;

	if (!from)
		from = source_for(n, q->saddr);

	if (!from) {
		n->icmp_errors++;
		return;
	}
	len = baton_nudge_icmp(buf, from, q, seq);
	if (send_raw(n, buf, len, q->saddr)) {
		n->icmp_errors++;
		return;
	}
	n->icmps++;
	n->last_icmps++;
	n->last_icmp_ms = now_ms() - n->start_ms;
}

/* ---- the answers ----------------------------------------------------------- */

/* One captured IPv4 packet (the filter passed only TCP with exactly ACK
 * set, first fragments or whole): a bare ACK of a flow being nudged
 * tells what its sender has received. */
static void on_packet(struct baton_nudge *n, const uint8_t *p, size_t len)
{
	struct baton_nudge_tuple t;
	struct nudge_flow *f;
	size_t ihl, doff, tot;
	uint32_t ack;

	if (len < 20)
		return;
	ihl = (size_t)(p[0] & 0xf) * 4;
	tot = (size_t)p[2] << 8 | p[3];
	if (ihl < 20 || len < ihl + 20 || tot > len)
		return;
	doff = (size_t)(p[ihl + 12] >> 4) * 4;
	if (doff < 20 || tot != ihl + doff)	/* data: not a bare ACK */
		return;
	memcpy(&t.saddr, p + 12, 4);
	memcpy(&t.daddr, p + 16, 4);
	memcpy(&t.sport, p + ihl, 2);
	memcpy(&t.dport, p + ihl + 2, 2);
	ack = (uint32_t)p[ihl + 8] << 24 | (uint32_t)p[ihl + 9] << 16 |
	      (uint32_t)p[ihl + 10] << 8 | p[ihl + 11];

	f = find(n, &t, false);
	if (f && !(f->got & GOT_CLIENT)) {
		/* The client has what comes before ack: from now on the
		 * backend's oldest unacknowledged byte. */
		f->got |= GOT_CLIENT;
		n->acks_client++;
		/* from this node's address towards the backend: a route
		 * lookup per backend, not per flow */
		send_icmp(n, &f->b, ack, 0);
		return;
	}
	f = find(n, &t, true);
	if (f && !(f->got & GOT_BACKEND)) {
		f->got |= GOT_BACKEND;
		n->acks_backend++;
		/* from the VIP, which this node holds now: clients are many,
		 * and each would cost a route lookup */
		send_icmp(n, &f->c, ack, f->c.daddr);
	}
}

static void on_readable(uv_poll_t *h, int status, int events)
{
	struct baton_nudge *n = h->data;
	uint8_t buf[128];
	int i;

	(void)events;
	if (status < 0) {
		n->capture_errors++;
		return;
	}
	for (i = 0; i < 4096; i++) {
		ssize_t r = recv(n->cap_fd, buf, sizeof(buf), MSG_DONTWAIT |
				 MSG_TRUNC);

		if (r < 0) {
			if (errno != EAGAIN && errno != EINTR)
				n->capture_errors++;
			return;
		}
		on_packet(n, buf, (size_t)r < sizeof(buf) ? (size_t)r
							     : sizeof(buf));
	}
}

/*
 * IPv4 from its first byte (SOCK_DGRAM): TCP, not a later fragment, flags
 * exactly ACK. Keeps 128 bytes.
 */
static struct sock_filter bare_ack[] = {
	BPF_STMT(BPF_LD | BPF_H | BPF_ABS, SKF_AD_OFF + SKF_AD_PROTOCOL),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IP, 0, 8),
	BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 9),			/* protocol */
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_TCP, 0, 6),
	BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 6),			/* frag_off */
	BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x1fff, 4, 0),
	BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 0),			/* ihl * 4 */
	BPF_STMT(BPF_LD | BPF_B | BPF_IND, 13),			/* TCP flags */
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x10, 0, 1),
	BPF_STMT(BPF_RET | BPF_K, 128),
	BPF_STMT(BPF_RET | BPF_K, 0),
};

/* Between runs the socket takes nothing. */
static struct sock_filter nothing[] = {
	BPF_STMT(BPF_RET | BPF_K, 0),
};

/*
 * Let the bare ACKs in (a run) or nothing. During a run the socket taps
 * every protocol (ETH_P_ALL): such taps see a packet before TC ingress,
 * where the datapath redirects it out of reach of a tap for ETH_P_IP.
 * Between runs it is bound to protocol 0, which hooks it nowhere, so the
 * forwarding path pays nothing for it.
 */
static int capture_on(int fd, bool on)
{
	struct sock_fprog prog = {
		.len = on ? sizeof(bare_ack) / sizeof(bare_ack[0]) : 1,
		.filter = on ? bare_ack : nothing,
	};
	struct sockaddr_ll sll = { .sll_family = AF_PACKET,
				   .sll_protocol = on ? htons(ETH_P_ALL) : 0 };

	if (on && setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog,
			     sizeof(prog)))
		return -errno;
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)))
		return -errno;
	if (!on && setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog,
			      sizeof(prog)))
		return -errno;
	return 0;
}

static int capture_open(void)
{
	int fd, one = 1, rcvbuf = NUDGE_RCVBUF;

	/* Protocol 0: hooked nowhere until a run. */
	fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (capture_on(fd, false) ||
	    setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one,
		       sizeof(one))) {
		int ret = -errno;

		close(fd);
		return ret;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
		       sizeof(rcvbuf)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	return fd;
}

/* ---- a run ----------------------------------------------------------------- */

static void end_run(struct baton_nudge *n)
{
	if (!n->active)
		return;
	n->active = false;
	if (capture_on(n->cap_fd, false))
		n->capture_errors++;
	log_info(SUB, "%zu flows, %zu tickled; answers: %" PRIu64 " clients, "
		 "%" PRIu64 " backends so far; %" PRIu64 " ICMP sent, the last "
		 "%" PRIu64 " ms after the start", n->nflows, n->tickled,
		 n->acks_client, n->acks_backend, n->last_icmps,
		 n->last_icmp_ms);
	n->nflows = 0;	/* what is still queued matches nothing */
}

static void on_timer(uv_timer_t *t);

/* The sender of t hears from the other end. */
static void tickle(struct baton_nudge *n, const struct baton_nudge_tuple *t)
{
	uint8_t buf[BATON_NUDGE_TICKLE_LEN];
	struct baton_nudge_tuple r;

	reverse(t, &r);
	baton_nudge_tickle(buf, &r);
	if (send_raw(n, buf, sizeof(buf), r.daddr))
		n->tickle_errors++;
	else
		n->tickles++;
}

/* Tickle the next batch of flows; re-arms itself until all are, then
 * waits out the run. */
static void tickle_some(struct baton_nudge *n)
{
	size_t end = n->tickled + NUDGE_BATCH;

	if (end > n->nflows)
		end = n->nflows;
	for (; n->tickled < end; n->tickled++) {
		tickle(n, &n->flows[n->tickled].c);
		tickle(n, &n->flows[n->tickled].b);
	}
	if (n->tickled < n->nflows)
		uv_timer_start(&n->timer, on_timer, 0, 0);
	else
		uv_timer_start(&n->timer, on_timer, NUDGE_RUN_MS, 0);
}

static void on_timer(uv_timer_t *t)
{
	struct baton_nudge *n = t->data;

	if (!n->active)
		return;
	if (n->tickled < n->nflows)
		tickle_some(n);
	else
		end_run(n);
}

/* Whether a forward entry is a TCP flow a peer carried, NAT'd both ways. */
static bool takeable(const struct baton_nudge *n, const struct ct_v4_key *k,
		     const struct ct_v4_entry *e)
{
	return e->dir == CT_DIR_FWD && k->proto == IPPROTO_TCP &&
	       (e->mode == BATON_MODE_DNAT || e->mode == BATON_MODE_FULLNAT) &&
	       e->state >= CT_STATE_ESTABLISHED &&
	       e->state <= CT_STATE_CLOSE_WAIT &&
	       ((e->flags & CT_F_REMOTE) || e->owner != n->node_id);
}

/* The flows to nudge, from the table. */
static int collect(struct baton_nudge *n)
{
	struct baton_ct_cursor cur = { 0 };
	struct ct_v4_key *keys;
	struct ct_v4_entry *vals;
	uint32_t got, i;
	int ret;

	keys = calloc(NUDGE_CHUNK, sizeof(*keys));
	vals = calloc(NUDGE_CHUNK, sizeof(*vals));
	if (!keys || !vals) {
		free(keys);
		free(vals);
		return -ENOMEM;
	}
	n->nflows = 0;
	do {
		got = 0;
		ret = baton_ct_cursor_next(n->ct_fd, &cur, keys, vals,
					   NUDGE_CHUNK, &got);
		for (i = 0; ret >= 0 && i < got; i++) {
			const struct ct_v4_key *k = &keys[i];
			const struct ct_v4_entry *e = &vals[i];
			struct nudge_flow *f;

			if (!takeable(n, k, e))
				continue;
			if (n->nflows == NUDGE_MAX_FLOWS) {
				n->skipped++;
				continue;
			}
			f = &n->flows[n->nflows++];
			f->c.saddr = k->saddr;
			f->c.daddr = k->daddr;
			f->c.sport = k->sport;
			f->c.dport = k->dport;
			f->b.saddr = e->nat_daddr;
			f->b.daddr = e->nat_saddr;
			f->b.sport = e->nat_dport;
			f->b.dport = e->nat_sport;
			f->got = 0;
		}
	} while (ret == 0);
	free(keys);
	free(vals);
	return ret < 0 ? ret : 0;
}

void baton_nudge_run(struct baton_nudge *n)
{
	int ret;
	size_t i;

	if (!n || n->stopping)
		return;
	if (n->active)
		end_run(n);
	n->runs++;
	n->start_ms = now_ms();
	n->tickled = 0;
	n->last_icmps = 0;
	n->last_icmp_ms = 0;
	ret = collect(n);
	if (ret < 0) {
		log_warn(SUB, "reading the conntrack table: %s", strerror(-ret));
		return;
	}
	n->flows_total += n->nflows;
	n->last_flows = n->nflows;
	if (!n->nflows) {
		log_info(SUB, "no flows of a peer to nudge");
		return;
	}
	for (i = 0; i < n->nflows; i++)
		n->by_c[i] = n->by_b[i] = (uint32_t)i;
	sort_flows = n->flows;
	qsort(n->by_c, n->nflows, sizeof(*n->by_c), cmp_by_c);
	qsort(n->by_b, n->nflows, sizeof(*n->by_b), cmp_by_b);
	sort_flows = NULL;

	/* Listen first: the answers come within a round trip. */
	ret = capture_on(n->cap_fd, true);
	if (ret < 0) {
		n->capture_errors++;
		log_warn(SUB, "capture filter: %s; flows not nudged",
			 strerror(-ret));
		n->nflows = 0;
		return;
	}
	n->active = true;
	tickle_some(n);
}

/* ---- life ------------------------------------------------------------------ */

struct baton_nudge *baton_nudge_init(uv_loop_t *loop, int ct_fd,
				     uint32_t node_id)
{
	struct baton_nudge *n = calloc(1, sizeof(*n));
	int ret;

	if (!n)
		return NULL;
	n->loop = loop;
	n->ct_fd = ct_fd;
	n->node_id = node_id;
	n->cap_fd = -1;
	n->flows = calloc(NUDGE_MAX_FLOWS, sizeof(*n->flows));
	n->by_c = calloc(NUDGE_MAX_FLOWS, sizeof(*n->by_c));
	n->by_b = calloc(NUDGE_MAX_FLOWS, sizeof(*n->by_b));
	/* IPPROTO_RAW: we write the IPv4 header (IP_HDRINCL). */
	n->raw_fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	ret = capture_open();
	n->cap_fd = ret;
	if (!n->flows || !n->by_c || !n->by_b || n->raw_fd < 0 || ret < 0 ||
	    uv_poll_init(loop, &n->poll, n->cap_fd)) {
		int err = ret < 0 ? -ret : errno;

		if (n->raw_fd >= 0)
			close(n->raw_fd);
		if (n->cap_fd >= 0)
			close(n->cap_fd);
		free(n->flows);
		free(n->by_c);
		free(n->by_b);
		free(n);
		errno = err;
		return NULL;
	}
	n->poll.data = n;
	uv_poll_start(&n->poll, UV_READABLE, on_readable);
	uv_timer_init(loop, &n->timer);
	n->timer.data = n;
	n->handles = 2;
	return n;
}

static void on_closed(uv_handle_t *h)
{
	struct baton_nudge *n = h->data;

	if (--n->handles)
		return;
	close(n->cap_fd);	/* after its poll handle */
	free(n->flows);
	free(n->by_c);
	free(n->by_b);
	free(n);
}

void baton_nudge_stop(struct baton_nudge *n)
{
	if (!n || n->stopping)
		return;
	end_run(n);
	n->stopping = true;
	uv_poll_stop(&n->poll);
	close(n->raw_fd);
	n->raw_fd = -1;
	uv_close((uv_handle_t *)&n->poll, on_closed);
	uv_close((uv_handle_t *)&n->timer, on_closed);
}

json_t *baton_nudge_status(const struct baton_nudge *n)
{
	if (!n)
		return json_pack("{s:b}", "enabled", 0);
	return json_pack("{s:b, s:b, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, "
			 "s:I, s:I, s:I, s:I, s:I}",
			 "enabled", 1, "active", n->active,
			 "runs", (json_int_t)n->runs,
			 "flows", (json_int_t)n->flows_total,
			 "skipped", (json_int_t)n->skipped,
			 "tickles", (json_int_t)n->tickles,
			 "tickle_errors", (json_int_t)n->tickle_errors,
			 "answers_client", (json_int_t)n->acks_client,
			 "answers_backend", (json_int_t)n->acks_backend,
			 "icmps", (json_int_t)n->icmps,
			 "icmp_errors", (json_int_t)n->icmp_errors,
			 "capture_errors", (json_int_t)n->capture_errors,
			 "last_flows", (json_int_t)n->last_flows,
			 "last_icmps", (json_int_t)n->last_icmps,
			 "last_icmp_ms", (json_int_t)n->last_icmp_ms);
}
