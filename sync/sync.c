// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* sync.c - see sync.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpf/bpf.h>
#include <nng/nng.h>
#include <nng/protocol/pipeline0/pull.h>
#include <nng/protocol/pipeline0/push.h>
#include <nng/supplemental/tls/tls.h>

#include "../node/ct.h"
#include "../node/log.h"
#include "../node/services.h"
#include "../node/stats.h"
#include "flow.h"
#include "sync.h"
#include "wire.h"

#define SUB "sync"
#define NS_PER_MS 1000000ull
#define NS_PER_S 1000000000ull

/* Map entries read per dump step: one step holds the loop ~2 ms. */
#define DUMP_CHUNK 4096
/* Resync messages in flight before waiting for acknowledgements. */
#define RESYNC_WINDOW 32
/* Messages, and time, spent receiving per readable event before the loop
 * gets to its other work (events, timers). */
#define RX_BUDGET 256
#define RX_BUDGET_NS (5 * NS_PER_MS)
/* A stream whose acknowledgements stop for this long is redialled: TCP
 * under loss backs its retransmissions off to seconds, and a fresh
 * connection (and resync) is faster than waiting for it. */
#define STALL_NS (1 * NS_PER_S)
/* A dial that has not connected in this long is started over. nng has no
 * connect timeout: a SYN sent while the peer was unreachable is retried
 * by the kernel at 1, 3, 7, 15 s..., so a peer back from a power cut
 * would wait for the next retry (seen: 14 s) - and so would the acks of
 * the resync it is waiting for before it may take its VIPs back. */
#define DIAL_NS (2 * NS_PER_S)
/* An idle stream sends an empty update this often, so that both
 * directions of every peer relationship are always acknowledged and a
 * stalled connection is noticed even when there is nothing to say. */
#define HEARTBEAT_NS (250 * NS_PER_MS)
/* Lag samples kept for the percentiles. */
#define LAG_SAMPLES 4096
/* Messages nng may hold for a peer that does not take them: up to 64 KiB
 * each, so a stuck peer costs at most 8 MiB; beyond, the peer is out of
 * sync and gets a resync once it moves again. */
#define NNG_SENDBUF_MAX 128

enum tx_state {
	TX_DOWN,		/* no connection to the peer */
	TX_RESYNCING,		/* a full resync is being sent or acked */
	TX_IN_SYNC,		/* acked a complete resync and all since */
	TX_OUT_OF_SYNC,		/* fell behind or lost data: resync due */
};

static const char *const tx_state_names[] = {
	[TX_DOWN] = "down",
	[TX_RESYNCING] = "resyncing",
	[TX_IN_SYNC] = "in_sync",
	[TX_OUT_OF_SYNC] = "out_of_sync",
};

/* A walk over ct_v4_map done a chunk per loop turn. */
struct dump {
	bool active;
	struct baton_ct_cursor cur;
	uint64_t since_ns;	/* refresh: only flows seen after this */
};

struct lag_mark {
	uint32_t seq;
	uint64_t ts_ns;		/* oldest event in that message */
};

/* Lag samples (ack time - event time, us) kept for the percentiles. */
struct lag_ring {
	uint32_t us[LAG_SAMPLES];
	uint32_t n, pos;
};

struct peer {
	struct baton_sync *s;
	uint32_t id;
	char url[BATON_URL_MAX];
	nng_socket push;
	nng_dialer dialer;
	bool pipe_live;		/* under s->lock: a pipe between ADD_PRE and
				 * REM_POST, as nng's threads see it */
	bool push_spent;	/* under s->lock: a pipe of this push socket
				 * went away: never sent on again (see
				 * peer_reopen) */
	nng_pipe pipe;		/* the current connection, if connected */
	/* The latest connect/disconnect seen on an nng thread, under
	 * s->lock: only the latest matters, so none can be lost. */
	bool ev_pending, ev_up;
	nng_pipe ev_pipe;
	bool open;
	uint64_t last_send_ns;
	uint64_t redials;
	uint64_t down_since_ns;	/* when it was last connected (or start) */
	uint64_t dial_ns;	/* when the current dialer started */
	uint64_t dial_restarts;	/* dialers started over after DIAL_NS */

	/* Our stream to the peer. */
	enum tx_state state;
	bool connected;
	uint32_t session;
	uint32_t seq;		/* last sent */
	uint32_t acked;		/* highest acknowledged */
	uint64_t unacked_since;	/* when seq first ran ahead of acked */
	uint32_t end_seq;	/* seq of the RESYNC_END being acked */
	struct dump resync;
	uint64_t resync_flows;
	struct lag_mark lagq[LAG_SAMPLES];
	uint32_t lag_head, lag_tail;
	struct lag_ring lag;

	/* The peer's stream to us. */
	bool rx_valid;		/* in a session, in order */
	bool req_sent;		/* resync of rx_session requested */
	uint32_t rx_epoch;
	uint32_t rx_session;
	uint32_t rx_seq;
	uint16_t rx_gen;	/* sync_gen of its current resync */
	bool rx_ack_due;
	struct dump sweep;	/* after RESYNC_END: drop stale copies */
	bool rx_complete;	/* HA hook: swept after RESYNC_END, stream
				 * unbroken since */
	uint64_t rx_resync_flows;

	/* Counters. */
	uint64_t sent_flows, sent_deletes, recv_flows, recv_deletes;
	uint64_t installed, no_service, rejected, removed_stale, conflicts;
	uint64_t reply_taken;	/* conflicts: reply tuple of another flow */
	uint64_t msgs_sent, msgs_recv, bytes_sent, bytes_recv;
	uint64_t resyncs_sent, resyncs_recv;
	char last_error[128];
};


struct baton_sync {
	uv_loop_t *loop;
	uint32_t node_id;
	uint32_t epoch;
	char listen[BATON_URL_MAX];
	uint32_t batch_ms;
	uint32_t refresh_s;
	uint32_t queue;
	int ct_fd;
	int stats_fd;		/* pkt_stats: ST_EV_LOST */
	uint64_t ev_lost;	/* as last seen */
	const struct baton_services *svcs;
	bool tls;

	nng_socket pull;
	nng_listener listener;
	bool pull_open;
	nng_tls_config *tls_server;
	nng_tls_config *tls_client[BATON_MAX_PEERS];

	uv_poll_t rx_poll;
	uv_async_t async;
	uv_timer_t batch_timer;
	uv_timer_t tick_timer;
	uv_idle_t pump_idle;	/* bulk work pending: a chunk per loop turn */
	int handles;		/* initialised, not yet closed */
	bool stopping;

	pthread_mutex_t lock;	/* guards the peers' ev_* and closing */
	bool closing;		/* nng callbacks must not wake the loop */

	size_t npeers;
	struct peer peers[BATON_MAX_PEERS];

	/* Incremental updates waiting for the batch timer. */
	struct bsync_flow pend_flows[BSYNC_MAX_RECORDS];
	size_t npend_flows;
	uint64_t pend_oldest_ts;
	struct bsync_key pend_keys[BSYNC_MAX_RECORDS];
	size_t npend_keys;
	bool batch_armed;

	/* Liveness refresh of flows active since the last pass. */
	struct dump refresh;
	uint64_t refresh_last_ns;

	/* Scratch. */
	struct ct_v4_key *keys;
	struct ct_v4_entry *vals;
	struct bsync_flow rx_flows[BSYNC_MAX_RECORDS];
	struct bsync_flow refresh_flows[BSYNC_MAX_RECORDS];
	struct bsync_key rx_keys[BSYNC_MAX_RECORDS];
	struct ct_v4_key ins_keys[2 * BSYNC_MAX_RECORDS];
	struct ct_v4_entry ins_vals[2 * BSYNC_MAX_RECORDS];
	uint8_t txbuf[BSYNC_MAX_MSG];

	uint64_t rx_garbage, rx_replayed, rx_unknown_peer, rx_wrong_sender;

	/* Incoming connections and the node each one speaks for. */
	struct {
		uint32_t pipe;
		uint32_t node;
	} pipe_node[2 * BATON_MAX_PEERS];
	unsigned int pipe_next;
	bool rx_backlogged;	/* the last receive turn left messages queued */

	/* HA hook (baton_sync_set_peer_hook). */
	baton_sync_peer_hook_fn peer_hook;
	void *peer_hook_arg;
};

static void pump_kick(struct baton_sync *s);

/* ---- HA hook (ha/ha.c): per-peer completeness events -------------------- */

void baton_sync_set_peer_hook(struct baton_sync *s, baton_sync_peer_hook_fn fn,
			      void *arg)
{
	if (!s)
		return;
	s->peer_hook = fn;
	s->peer_hook_arg = arg;
}

static void peer_hook(struct peer *p, enum baton_sync_peer_event ev)
{
	struct baton_sync *s = p->s;

	if (ev == BATON_SYNC_PEER_INCOMPLETE)
		p->rx_complete = false;
	else if (ev == BATON_SYNC_PEER_COMPLETE)
		p->rx_complete = true;
	if (s->peer_hook && !s->stopping)
		s->peer_hook(s->peer_hook_arg, p->id, ev);
}
static void start_resync(struct peer *p, const char *why);
static void peer_reopen(struct baton_sync *s, struct peer *p, uint64_t now);

/* ---- helpers ------------------------------------------------------------ */

static void peer_error(struct peer *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void peer_error(struct peer *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->last_error, sizeof(p->last_error), fmt, ap);
	va_end(ap);
	log_warn(SUB, "peer %u: %s", p->id, p->last_error);
}

static uint32_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint32_t)((uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

static struct peer *peer_by_id(struct baton_sync *s, uint32_t id)
{
	for (size_t i = 0; i < s->npeers; i++)
		if (s->peers[i].id == id)
			return &s->peers[i];
	return NULL;
}

static bool is_tls(const char *url)
{
	return !strncmp(url, "tls+", 4);
}

static char *read_file(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	long len;

	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fseek(f, 0, SEEK_END) || (len = ftell(f)) < 0 || len > (1 << 20) ||
	    fseek(f, 0, SEEK_SET)) {
		snprintf(err, errlen, "%s: unreadable or larger than 1 MiB",
			 path);
		goto out;
	}
	buf = calloc(1, (size_t)len + 1);
	if (!buf || fread(buf, 1, (size_t)len, f) != (size_t)len) {
		snprintf(err, errlen, "%s: read failed", path);
		free(buf);
		buf = NULL;
	}
out:
	fclose(f);
	return buf;
}

/*
 * A TLS configuration for mutual authentication: our certificate, peers'
 * certificates must chain to the CA. As a client, the server's certificate
 * must also name the node we meant to reach ("baton-node-<id>"): a peer
 * cannot impersonate another with a certificate of its own.
 */
static nng_tls_config *tls_config(const struct baton_sync_cfg *c,
				  bool server, uint32_t peer_id, char *err,
				  size_t errlen)
{
	nng_tls_config *t = NULL;
	char *cert = NULL, *key = NULL, name[32];
	int rv;

	cert = read_file(c->tls_cert, err, errlen);
	key = cert ? read_file(c->tls_key, err, errlen) : NULL;
	if (!cert || !key)
		goto fail;
	rv = nng_tls_config_alloc(&t, server ? NNG_TLS_MODE_SERVER
					     : NNG_TLS_MODE_CLIENT);
	if (!rv)
		rv = nng_tls_config_own_cert(t, cert, key, NULL);
	if (rv) {
		snprintf(err, errlen, "%s / %s: %s", c->tls_cert, c->tls_key,
			 nng_strerror(rv));
		goto fail;
	}
	rv = nng_tls_config_ca_file(t, c->tls_ca);
	if (rv) {
		snprintf(err, errlen, "%s: %s", c->tls_ca, nng_strerror(rv));
		goto fail;
	}
	rv = nng_tls_config_auth_mode(t, NNG_TLS_AUTH_MODE_REQUIRED);
	if (!rv && !server) {
		snprintf(name, sizeof(name), "baton-node-%" PRIu32, peer_id);
		rv = nng_tls_config_server_name(t, name);
	}
	if (rv) {
		snprintf(err, errlen, "TLS setup: %s", nng_strerror(rv));
		goto fail;
	}
	free(cert);
	free(key);
	return t;
fail:
	if (t)
		nng_tls_config_free(t);
	free(cert);
	free(key);
	return NULL;
}

/* ---- sending ------------------------------------------------------------ */

static void hdr_init(struct baton_sync *s, struct bsync_hdr *h, uint8_t type,
		     uint32_t session, uint32_t seq)
{
	memset(h, 0, sizeof(*h));
	h->type = type;
	h->sender = s->node_id;
	h->epoch = s->epoch;
	h->session = session;
	h->seq = seq;
}

static void mark_out_of_sync(struct peer *p, const char *why)
{
	if (p->state == TX_OUT_OF_SYNC || p->state == TX_DOWN)
		return;
	peer_error(p, "out of sync: %s", why);
	p->state = TX_OUT_OF_SYNC;
	p->resync.active = false;
}

/* Send buf[0..len) to the peer without blocking. 0 or -errno. */
static int send_raw(struct peer *p, const void *buf, size_t len)
{
	nng_msg *m;
	int rv;

	rv = nng_msg_alloc(&m, len);
	if (rv)
		return -ENOMEM;
	memcpy(nng_msg_body(m), buf, len);
	/* A socket one of whose pipes went away may hold it freed on its
	 * ready list (nng 1.5.2, see peer_reopen): the loop reopens it. */
	pthread_mutex_lock(&p->s->lock);
	rv = p->push_spent ? NNG_ECLOSED : 0;
	pthread_mutex_unlock(&p->s->lock);
	if (!rv)
		rv = nng_sendmsg(p->push, m, NNG_FLAG_NONBLOCK);
	if (rv) {
		nng_msg_free(m);
		return rv == NNG_EAGAIN ? -EAGAIN : -EIO;
	}
	p->msgs_sent++;
	p->bytes_sent += len;
	return 0;
}

/* Send a message of our stream (it takes the next seq). */
static int send_stream(struct peer *p, struct bsync_writer *w)
{
	size_t len = bsync_writer_finish(w);
	int ret;

	ret = send_raw(p, w->buf, len);
	if (ret) {
		mark_out_of_sync(p, ret == -EAGAIN ? "send queue full"
						   : "send failed");
		return ret;
	}
	p->last_send_ns = baton_ct_now_ns();
	if (p->seq == p->acked)
		p->unacked_since = p->last_send_ns;
	p->seq++;
	return 0;
}

static void writer_start(struct peer *p, struct bsync_writer *w, uint8_t type)
{
	struct bsync_hdr h;

	hdr_init(p->s, &h, type, p->session, p->seq + 1);
	bsync_writer_init(w, p->s->txbuf, sizeof(p->s->txbuf), &h);
}

/* Control messages about the peer's stream (not part of ours). */
static void send_control(struct peer *p, uint8_t type)
{
	struct bsync_writer w;
	struct bsync_hdr h;

	hdr_init(p->s, &h, type, p->rx_session, p->rx_seq);
	bsync_writer_init(&w, p->s->txbuf, sizeof(p->s->txbuf), &h);
	if (send_raw(p, w.buf, bsync_writer_finish(&w)))
		log_debug(SUB, "peer %u: control message not sent", p->id);
}

static bool stream_open(const struct peer *p)
{
	return p->connected &&
	       (p->state == TX_IN_SYNC || p->state == TX_RESYNCING);
}

static void lag_mark(struct peer *p, uint64_t ts)
{
	uint32_t next = (p->lag_head + 1) % LAG_SAMPLES;

	if (!ts)
		return;
	if (next == p->lag_tail)	/* full: forget the oldest */
		p->lag_tail = (p->lag_tail + 1) % LAG_SAMPLES;
	p->lagq[p->lag_head].seq = p->seq;
	p->lagq[p->lag_head].ts_ns = ts;
	p->lag_head = next;
}

static void lag_acked(struct peer *p, uint64_t now)
{
	struct lag_ring *r = &p->lag;

	while (p->lag_tail != p->lag_head &&
	       (int32_t)(p->lagq[p->lag_tail].seq - p->acked) <= 0) {
		uint64_t d = now > p->lagq[p->lag_tail].ts_ns
				     ? now - p->lagq[p->lag_tail].ts_ns
				     : 0;

		r->us[r->pos] = d / 1000 > UINT32_MAX ? UINT32_MAX
						      : (uint32_t)(d / 1000);
		r->pos = (r->pos + 1) % LAG_SAMPLES;
		if (r->n < LAG_SAMPLES)
			r->n++;
		p->lag_tail = (p->lag_tail + 1) % LAG_SAMPLES;
	}
}

/* Send the pending incremental updates and deletions to every peer. */
static void flush_pending(struct baton_sync *s)
{
	struct bsync_writer w;

	for (size_t i = 0; i < s->npeers; i++) {
		struct peer *p = &s->peers[i];

		if (!stream_open(p)) {
			log_debug(SUB, "peer %u: %zu updates, %zu deletes not "
				  "sent (stream %s; a resync carries them)",
				  p->id, s->npend_flows, s->npend_keys,
				  p->connected ? tx_state_names[p->state] :
						 "disconnected");
			continue;
		}
		if (s->npend_flows) {
			writer_start(p, &w, BSYNC_UPDATE);
			for (size_t j = 0; j < s->npend_flows; j++)
				bsync_put_flow(&w, &s->pend_flows[j]);
			if (!send_stream(p, &w)) {
				p->sent_flows += s->npend_flows;
				lag_mark(p, s->pend_oldest_ts);
			}
		}
		if (s->npend_keys && stream_open(p)) {
			writer_start(p, &w, BSYNC_DELETE);
			for (size_t j = 0; j < s->npend_keys; j++)
				bsync_put_key(&w, &s->pend_keys[j]);
			if (!send_stream(p, &w))
				p->sent_deletes += s->npend_keys;
		}
		if ((int32_t)(p->seq - p->acked) > (int32_t)s->queue)
			mark_out_of_sync(p, "peer more than sync.queue "
					    "messages behind");
	}
	s->npend_flows = 0;
	s->npend_keys = 0;
	s->pend_oldest_ts = 0;
}

static bool s_pending(const struct baton_sync *s)
{
	return s->npend_flows || s->npend_keys;
}

static void batch_fire(uv_timer_t *t)
{
	struct baton_sync *s = t->data;

	s->batch_armed = false;
	flush_pending(s);
}

/* Whether some peer has not acknowledged everything sent to it. */
static bool in_flight(const struct baton_sync *s)
{
	for (size_t i = 0; i < s->npeers; i++)
		if (stream_open(&s->peers[i]) &&
		    s->peers[i].seq != s->peers[i].acked)
			return true;
	return false;
}

/*
 * Updates wait at most batch_ms, and only while a message is in flight:
 * an idle stream sends on the next loop turn (after the ring buffer's
 * whole burst has been read), a busy one batches as acknowledgements come
 * back, so latency stays low without a message per flow under load.
 */
static void batch_arm(struct baton_sync *s)
{
	if (s->batch_armed)
		return;
	s->batch_armed = true;
	uv_timer_start(&s->batch_timer, batch_fire,
		       in_flight(s) ? s->batch_ms : 0, 0);
}

/* "proto saddr:sport > daddr:dport", for per-flow debug lines. */
static const char *key_str(const struct ct_v4_key *k, char *buf, size_t len)
{
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];

	snprintf(buf, len, "%u %s:%u > %s:%u", k->proto,
		 inet_ntop(AF_INET, &k->saddr, a, sizeof(a)), ntohs(k->sport),
		 inet_ntop(AF_INET, &k->daddr, b, sizeof(b)), ntohs(k->dport));
	return buf;
}

/* Per-flow sync debug lines (log_level: debug): what was sent, installed,
 * refused, deleted or swept, to follow one flow across the nodes. */
#define FLOW_DEBUG(k, fmt, ...)                                               \
	do {                                                                  \
		if (baton_log_enabled(BATON_LOG_DEBUG)) {                     \
			char kb_[64];                                         \
			log_debug(SUB, "flow %s: " fmt,                       \
				  key_str(k, kb_, sizeof(kb_)),               \
				  ##__VA_ARGS__);                             \
		}                                                             \
	} while (0)

/*
 * Whether a forward entry is ours to replicate. TCP from SYN_RECV on (the
 * backend's SYN-ACK went through): the client counts its connection open
 * once that SYN-ACK reaches it, even if its ACK is then lost on the way
 * and this node never sees it - a failover must not lose that connection
 * either. bsync_flow_from_ct() turns away what the wire cannot carry.
 */
static bool replicable(const struct ct_v4_key *k, const struct ct_v4_entry *e,
		       uint32_t node_id)
{
	return e->dir == CT_DIR_FWD && !(e->flags & CT_F_REMOTE) &&
	       e->state >= CT_STATE_SYN_RECV && e->owner == node_id &&
	       k->proto;
}

void baton_sync_on_event(struct baton_sync *s, const struct ct_v4_event *ev)
{
	struct bsync_flow f;

	if (!s || s->stopping || !s->npeers)
		return;
	if (!replicable(&ev->key, &ev->entry, s->node_id))
		return;
	if (bsync_flow_from_ct(&ev->key, &ev->entry, baton_ct_now_ns(), &f))
		return;
	FLOW_DEBUG(&ev->key, "queued, state %u, event %u", ev->entry.state,
		   ev->type);
	/* Deletions queued before this update must go first. */
	if (s->npend_keys || s->npend_flows == BSYNC_MAX_RECORDS)
		flush_pending(s);
	s->pend_flows[s->npend_flows++] = f;
	if (!s->pend_oldest_ts || ev->ts_ns < s->pend_oldest_ts)
		s->pend_oldest_ts = ev->ts_ns;
	batch_arm(s);
}

void baton_sync_on_delete(struct baton_sync *s, const struct ct_v4_key *k,
			  const struct ct_v4_entry *e)
{
	if (!s || s->stopping || !s->npeers)
		return;
	if (!replicable(k, e, s->node_id))
		return;
	FLOW_DEBUG(k, "delete queued");
	if (s->npend_flows || s->npend_keys == BSYNC_MAX_RECORDS)
		flush_pending(s);
	bsync_key_from_ct(k, &s->pend_keys[s->npend_keys++]);
	batch_arm(s);
}

/* ---- resync and refresh (sender) ---------------------------------------- */

static void start_resync(struct peer *p, const char *why)
{
	struct bsync_writer w;

	if (!p->connected)
		return;
	p->session++;
	p->seq = 0;
	p->acked = 0;
	p->unacked_since = 0;
	p->lag_head = p->lag_tail = 0;
	p->state = TX_RESYNCING;
	p->resync_flows = 0;
	p->end_seq = 0;
	memset(&p->resync, 0, sizeof(p->resync));
	p->resync.active = true;
	p->resyncs_sent++;
	log_info(SUB, "peer %u: full resync (session %" PRIu32 "): %s", p->id,
		 p->session, why);
	writer_start(p, &w, BSYNC_RESYNC_BEGIN);
	if (send_stream(p, &w))
		return;
	pump_kick(p->s);
}

/*
 * One chunk of a walk: returns 1 when the walk is over, 0 if more, <0 on
 * error. Each replicable flow (seen after d->since_ns) goes to `emit`.
 */
static int dump_step(struct baton_sync *s, struct dump *d,
		     void (*emit)(struct baton_sync *, void *,
				  const struct bsync_flow *),
		     void *arg)
{
	uint64_t now = baton_ct_now_ns();
	uint32_t n = 0;
	int ret;

	ret = baton_ct_cursor_next(s->ct_fd, &d->cur, s->keys, s->vals,
				   DUMP_CHUNK, &n);
	if (ret < 0)
		return ret;
	for (uint32_t i = 0; i < n; i++) {
		const struct ct_v4_entry *e = &s->vals[i];
		struct ct_v4_entry fwd;
		struct bsync_flow f;

		if (d->since_ns && e->dir == CT_DIR_REV) {
			/* Refresh: a flow whose replies alone kept it alive
			 * (a server-only UDP stream) is refreshed through its
			 * reply half, with that half's idle time. */
			if (e->last_seen_ns < d->since_ns ||
			    bpf_map_lookup_elem(s->ct_fd, &e->peer, &fwd) ||
			    !replicable(&e->peer, &fwd, s->node_id) ||
			    fwd.last_seen_ns >= d->since_ns)
				continue;
			fwd.last_seen_ns = e->last_seen_ns;
			if (!bsync_flow_from_ct(&e->peer, &fwd, now, &f))
				emit(s, arg, &f);
			continue;
		}
		if (!replicable(&s->keys[i], e, s->node_id))
			continue;
		if (d->since_ns && e->last_seen_ns < d->since_ns)
			continue;
		if (!bsync_flow_from_ct(&s->keys[i], e, now, &f))
			emit(s, arg, &f);
	}
	return ret;
}

struct emit_ctx {
	struct peer *p;		/* NULL: every peer in sync (refresh) */
	struct bsync_writer w;
	size_t n;
};

static void emit_flush(struct baton_sync *s, struct emit_ctx *c)
{
	if (!c->n)
		return;
	if (c->p) {
		if (!send_stream(c->p, &c->w))
			c->p->sent_flows += c->n;
	} else {
		/* Refresh: the same records to every peer in sync. */
		for (size_t i = 0; i < s->npeers; i++) {
			struct peer *p = &s->peers[i];
			struct bsync_writer w;

			if (!p->connected || p->state != TX_IN_SYNC)
				continue;
			writer_start(p, &w, BSYNC_UPDATE);
			for (size_t j = 0; j < c->n; j++)
				bsync_put_flow(&w, &s->refresh_flows[j]);
			if (!send_stream(p, &w))
				p->sent_flows += c->n;
		}
	}
	c->n = 0;
}

static void emit_resync(struct baton_sync *s, void *arg,
			const struct bsync_flow *f)
{
	struct emit_ctx *c = arg;

	if (!c->n)
		writer_start(c->p, &c->w, BSYNC_UPDATE);
	if (bsync_put_flow(&c->w, f) == -ENOSPC) {
		emit_flush(s, c);
		writer_start(c->p, &c->w, BSYNC_UPDATE);
		bsync_put_flow(&c->w, f);
	}
	c->n++;
	c->p->resync_flows++;
}

/* Refresh records are collected once and sent to every peer in sync. */
static void emit_refresh(struct baton_sync *s, void *arg,
			 const struct bsync_flow *f)
{
	struct emit_ctx *c = arg;

	if (c->n == BSYNC_MAX_RECORDS)
		emit_flush(s, c);
	s->refresh_flows[c->n++] = *f;
}

/* Advance one peer's resync by a chunk if its window allows. */
static bool resync_step(struct peer *p)
{
	struct baton_sync *s = p->s;
	struct emit_ctx c = { .p = p };
	struct bsync_writer w;
	int ret;

	if (!p->resync.active || p->state != TX_RESYNCING || !p->connected)
		return false;
	if ((int32_t)(p->seq - p->acked) >= RESYNC_WINDOW)
		return false;	/* an ack will kick the pump */
	ret = dump_step(s, &p->resync, emit_resync, &c);
	emit_flush(s, &c);
	if (p->state != TX_RESYNCING)
		return false;	/* the send failed: out of sync */
	if (ret < 0) {
		peer_error(p, "resync dump: %s", strerror(-ret));
		mark_out_of_sync(p, "dump failed");
		return false;
	}
	if (ret == 0)
		return true;
	p->resync.active = false;
	writer_start(p, &w, BSYNC_RESYNC_END);
	bsync_put_total(&w, (uint32_t)p->resync_flows);
	if (!send_stream(p, &w))
		p->end_seq = p->seq;
	log_info(SUB, "peer %u: resync sent, %" PRIu64 " flows", p->id,
		 p->resync_flows);
	return false;
}

static bool refresh_step(struct baton_sync *s)
{
	struct emit_ctx c = { .p = NULL };
	int ret;

	if (!s->refresh.active)
		return false;
	/* No waiting for a slow peer: that would stop the refresh of every
	 * peer; one that falls sync.queue behind is resynced instead. */
	ret = dump_step(s, &s->refresh, emit_refresh, &c);
	emit_flush(s, &c);
	if (ret == 0)
		return true;
	s->refresh.active = false;
	return false;
}

/* ---- receiving ---------------------------------------------------------- */

/*
 * Whether a flow from p may be written over what this node holds:
 *  - a forward half this node owns (it took the flow over, or made it) is
 *    replaced only if the sender saw the flow more recently: two nodes
 *    that both carried a flow converge on the one that carried it last,
 *    instead of each marking the other's copy remote and both dropping
 *    it later;
 *  - a reverse half that belongs to another flow (the same fullNAT reply
 *    tuple chosen on two nodes) is never replaced: that flow would break,
 *    as the datapath itself refuses (DROP_CT_COLLISION). Unless that flow
 *    is over (TIME_WAIT, CLOSED; its backend share already given back):
 *    the sender, whose copy of it has aged out first, chose the port
 *    again, and the closed pair goes so that the live flow has a copy.
 */
static bool rev_allowed(struct peer *p, const struct ct_v4_key *fk,
			const struct ct_v4_key *rk, bool has_rev);

/* The reply half at k, if it is still fk's: the pair at fk had that reply
 * tuple before (its owner made the flow again, on another backend); left
 * there, it would hold the tuple and point at the new flow. */
static void drop_old_rev(struct peer *p, const struct ct_v4_key *k,
			 const struct ct_v4_key *fk)
{
	struct ct_v4_entry old;

	if (!k->proto || !memcmp(k, fk, sizeof(*fk)) ||
	    bpf_map_lookup_elem(p->s->ct_fd, k, &old) ||
	    old.dir != CT_DIR_REV || memcmp(&old.peer, fk, sizeof(*fk)))
		return;
	FLOW_DEBUG(fk, "from peer %u: its old reply half removed", p->id);
	bpf_map_delete_elem(p->s->ct_fd, k);
}

static bool install_allowed(struct peer *p, const struct ct_v4_key *fk,
			    const struct ct_v4_entry *fwd,
			    const struct ct_v4_key *rk, bool has_rev)
{
	struct ct_v4_entry cur;

	if (!bpf_map_lookup_elem(p->s->ct_fd, fk, &cur)) {
		if (!(cur.flags & CT_F_REMOTE) &&
		    cur.last_seen_ns > fwd->last_seen_ns)
			return false;
		/* The same flow: its reverse key is ours to replace. */
		if (!memcmp(&cur.peer, rk, sizeof(*rk)))
			return true;
		if (!rev_allowed(p, fk, rk, has_rev))
			return false;
		drop_old_rev(p, &cur.peer, fk);
		return true;
	}
	return rev_allowed(p, fk, rk, has_rev);
}

/* The reply tuple rk is free for fk, or held by a flow that is over. */
static bool rev_allowed(struct peer *p, const struct ct_v4_key *fk,
			const struct ct_v4_key *rk, bool has_rev)
{
	struct ct_v4_entry cur;

	if (has_rev && !bpf_map_lookup_elem(p->s->ct_fd, rk, &cur) &&
	    memcmp(&cur.peer, fk, sizeof(*fk))) {
		char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];

		if (cur.state == CT_STATE_TIME_WAIT ||
		    cur.state == CT_STATE_CLOSED) {
			struct ct_v4_entry f;

			FLOW_DEBUG(rk, "from peer %u: a closed flow's reply "
				   "tuple, reused: closed pair removed", p->id);
			/* Its forward half only if that is still its pair's
			 * (not a flow made again on the tuple since). */
			if (!bpf_map_lookup_elem(p->s->ct_fd, &cur.peer, &f) &&
			    !memcmp(&f.peer, rk, sizeof(*rk)))
				bpf_map_delete_elem(p->s->ct_fd, &cur.peer);
			bpf_map_delete_elem(p->s->ct_fd, rk);
			return true;
		}

		if (p->reply_taken++ < 20)
			log_warn(SUB, "peer %u: flow not installed: its reply "
				 "tuple %s:%u -> %s:%u is another flow's here "
				 "(state %u, owner %u%s)", p->id,
				 inet_ntop(AF_INET, &rk->saddr, a, sizeof(a)),
				 ntohs(rk->sport),
				 inet_ntop(AF_INET, &rk->daddr, b, sizeof(b)),
				 ntohs(rk->dport), cur.state, cur.owner,
				 cur.flags & CT_F_REMOTE ? ", remote" : "");
		return false;
	}
	return true;
}

/* Install the flows of an UPDATE from p, both halves, in one batch. */
static void install_flows(struct peer *p, const struct bsync_flow *flows,
			  size_t n)
{
	struct baton_sync *s = p->s;
	LIBBPF_OPTS(bpf_map_batch_opts, opts, .elem_flags = BPF_ANY);
	uint64_t now = baton_ct_now_ns();
	__u32 count = 0, done, i;
	size_t flows_in = 0;
	int ret;

	for (size_t j = 0; j < n; j++) {
		const struct bsync_flow *f = &flows[j];
		int svc, be;

		svc = baton_services_find(s->svcs, f->vip, f->vport, f->proto);
		if (svc < 0) {
			/* A flow this node could not serve: report it, do
			 * not install a translation nobody configured. */
			p->no_service++;
			continue;
		}
		be = baton_services_find_be(s->svcs, svc, f->baddr, f->bport);
		ret = bsync_flow_to_ct(f, p->id, (uint16_t)svc,
				       be < 0 ? 0xffff : (uint16_t)be, false,
				       now, &s->ins_keys[count],
				       &s->ins_vals[count],
				       &s->ins_keys[count + 1],
				       &s->ins_vals[count + 1]);
		if (ret < 0) {
			p->rejected++;
			continue;
		}
		if (!install_allowed(p, &s->ins_keys[count],
				     &s->ins_vals[count],
				     &s->ins_keys[count + 1], ret == 1)) {
			p->conflicts++;
			FLOW_DEBUG(&s->ins_keys[count], "from peer %u: "
				   "conflict, not installed", p->id);
			continue;
		}
		FLOW_DEBUG(&s->ins_keys[count], "from peer %u: install, "
			   "state %u", p->id, f->state);
		s->ins_vals[count].sync_gen = p->rx_gen;
		if (ret == 1)
			s->ins_vals[count + 1].sync_gen = p->rx_gen;
		count += ret == 1 ? 2 : 1;
		flows_in++;
	}
	if (!count)
		return;
	done = count;
	ret = bpf_map_update_batch(s->ct_fd, s->ins_keys, s->ins_vals, &done,
				   &opts);
	if (!ret) {
		p->installed += flows_in;
		return;
	}
	/* The batch stops at the first failure (a full table): install the
	 * rest one by one, so what fits is in and stamped with this
	 * resync's generation, and count every entry that is not. */
	for (i = done; i < count; i++)
		if (bpf_map_update_elem(s->ct_fd, &s->ins_keys[i],
					&s->ins_vals[i], BPF_ANY))
			p->rejected++;
	p->installed += flows_in;
	peer_error(p, "install: %s (ct_v4_map full?)", strerror(-ret));
}

/* Delete a flow the owner removed: only if it is still the owner's. */
static void delete_flow(struct peer *p, const struct bsync_key *k)
{
	struct ct_v4_entry e;
	struct ct_v4_key fk;

	bsync_key_to_ct(k, &fk);
	if (bpf_map_lookup_elem(p->s->ct_fd, &fk, &e))
		return;
	if (!(e.flags & CT_F_REMOTE) || e.owner != p->id) {
		FLOW_DEBUG(&fk, "from peer %u: delete ignored (owned here "
			   "now)", p->id);
		return;	/* taken over here since: ours now */
	}
	FLOW_DEBUG(&fk, "from peer %u: delete", p->id);
	if (e.peer.proto)
		bpf_map_delete_elem(p->s->ct_fd, &e.peer);
	bpf_map_delete_elem(p->s->ct_fd, &fk);
}

/* After a complete resync from p: its flows not in it are stale. */
static bool sweep_step(struct peer *p)
{
	struct baton_sync *s = p->s;
	uint32_t n = 0;
	int ret;

	if (!p->sweep.active)
		return false;
	ret = baton_ct_cursor_next(s->ct_fd, &p->sweep.cur, s->keys, s->vals,
				   DUMP_CHUNK, &n);
	for (uint32_t i = 0; ret >= 0 && i < n; i++) {
		const struct ct_v4_entry *e = &s->vals[i];

		if (e->dir != CT_DIR_FWD || !(e->flags & CT_F_REMOTE) ||
		    e->owner != p->id || e->sync_gen == p->rx_gen)
			continue;
		FLOW_DEBUG(&s->keys[i], "of peer %u: swept (stale)", p->id);
		if (e->peer.proto)
			bpf_map_delete_elem(s->ct_fd, &e->peer);
		bpf_map_delete_elem(s->ct_fd, &s->keys[i]);
		p->removed_stale++;
	}
	if (ret == 0)
		return true;
	p->sweep.active = false;
	if (p->rx_valid)	/* HA hook: not if the stream broke meanwhile */
		peer_hook(p, BATON_SYNC_PEER_COMPLETE);
	return false;
}

/* Ask the peer for a full resync of the stream (epoch, session), once. */
static void request_resync(struct peer *p, uint32_t epoch, uint32_t session,
			   const char *why)
{
	p->rx_valid = false;
	if (p->rx_complete)	/* HA hook */
		peer_hook(p, BATON_SYNC_PEER_INCOMPLETE);
	if (p->req_sent && p->rx_epoch == epoch && p->rx_session == session)
		return;	/* asked already; its ack timeout backs us up */
	p->rx_epoch = epoch;
	p->rx_session = session;
	p->req_sent = true;
	peer_error(p, "%s: resync requested", why);
	send_control(p, BSYNC_RESYNC_REQ);
}

/* Whether (epoch, session) is older than the newest stream seen. */
static bool stream_older(const struct peer *p, uint32_t epoch,
			 uint32_t session)
{
	return epoch < p->rx_epoch ||
	       (epoch == p->rx_epoch &&
		(int32_t)(session - p->rx_session) < 0);
}

static void handle_stream(struct peer *p, struct bsync_msg *m)
{
	const struct bsync_hdr *h = &m->hdr;

	if (h->type == BSYNC_RESYNC_BEGIN) {
		/* A new stream from the peer: a restart, a reconnect or an
		 * answer to our request. Older sessions are over; a BEGIN
		 * for a stream already started is a replay. */
		if (h->seq != 1 || stream_older(p, h->epoch, h->session) ||
		    (h->epoch == p->rx_epoch && h->session == p->rx_session &&
		     !p->req_sent)) {
			p->s->rx_replayed++;
			return;
		}
		p->rx_valid = true;
		p->req_sent = false;
		p->rx_epoch = h->epoch;
		p->rx_session = h->session;
		p->rx_seq = 1;
		p->rx_gen = (uint16_t)(p->rx_gen + 1) ? p->rx_gen + 1 : 1;
		p->rx_resync_flows = 0;
		p->sweep.active = false;
		p->resyncs_recv++;
		peer_hook(p, BATON_SYNC_PEER_INCOMPLETE);	/* HA hook */
		p->rx_ack_due = true;
		return;
	}
	if (stream_older(p, h->epoch, h->session)) {
		p->s->rx_replayed++;	/* from before a restart/resync */
		return;
	}
	if (h->epoch != p->rx_epoch || h->session != p->rx_session) {
		/* A newer stream whose beginning we missed. */
		request_resync(p, h->epoch, h->session, "joined its stream "
			       "midway");
		return;
	}
	if (!p->rx_valid) {
		request_resync(p, h->epoch, h->session, "lost its stream");
		return;
	}
	if ((int32_t)(h->seq - p->rx_seq) <= 0) {
		p->s->rx_replayed++;
		return;
	}
	if (h->seq != p->rx_seq + 1) {
		char why[64];

		snprintf(why, sizeof(why), "gap in its stream (expected %"
			 PRIu32 ", got %" PRIu32 ")", p->rx_seq + 1, h->seq);
		request_resync(p, h->epoch, h->session, why);
		return;
	}
	p->rx_seq = h->seq;
	p->rx_ack_due = true;
	switch (h->type) {
	case BSYNC_UPDATE:
		p->recv_flows += m->nflows;
		p->rx_resync_flows += m->nflows;
		install_flows(p, m->flows, m->nflows);
		break;
	case BSYNC_DELETE:
		p->recv_deletes += m->nkeys;
		for (size_t i = 0; i < m->nkeys; i++)
			delete_flow(p, &m->keys[i]);
		break;
	case BSYNC_RESYNC_END:
		log_info(SUB, "peer %u: resync received, %" PRIu32
			 " flows (%" PRIu64 " updates in the session)", p->id,
			 m->resync_total, p->rx_resync_flows);
		memset(&p->sweep, 0, sizeof(p->sweep));
		p->sweep.active = true;
		pump_kick(p->s);
		break;
	default:
		break;
	}
}

static void handle_control(struct peer *p, struct bsync_msg *m)
{
	const struct bsync_hdr *h = &m->hdr;
	uint64_t now = baton_ct_now_ns();

	if (h->session != p->session)
		return;		/* about a stream we no longer send */
	if (h->type == BSYNC_RESYNC_REQ) {
		start_resync(p, "requested by the peer");
		return;
	}
	/* BSYNC_ACK */
	if ((int32_t)(h->seq - p->acked) <= 0 ||
	    (int32_t)(h->seq - p->seq) > 0)
		return;
	p->acked = h->seq;
	p->unacked_since = p->acked == p->seq ? 0 : now;
	lag_acked(p, now);
	/* Everything acknowledged: what waits for the batch goes now. */
	if (s_pending(p->s) && !in_flight(p->s)) {
		uv_timer_stop(&p->s->batch_timer);
		p->s->batch_armed = false;
		flush_pending(p->s);
	}
	if (p->state == TX_RESYNCING && p->end_seq &&
	    (int32_t)(p->acked - p->end_seq) >= 0) {
		p->state = TX_IN_SYNC;
		p->last_error[0] = '\0';
		log_info(SUB, "peer %u: in sync", p->id);
		peer_hook(p, BATON_SYNC_PEER_HAS_OURS);	/* HA hook */
	}
	pump_kick(p->s);
}

/*
 * Whether a message claiming to come from `sender` may come over `pipe`:
 * an incoming connection speaks for the first node it names, and for no
 * other. (nng 1.5 does not tell a listener the name in the client's
 * certificate, so with TLS the cluster CA is the trust boundary: a node
 * without a certificate of it cannot connect at all, and one with a
 * certificate cannot switch identities on a connection.)
 */
static bool sender_bound(struct baton_sync *s, nng_pipe pipe, uint32_t sender)
{
	uint32_t id = nng_pipe_id(pipe);
	unsigned int i, n = sizeof(s->pipe_node) / sizeof(s->pipe_node[0]);

	for (i = 0; i < n; i++)
		if (s->pipe_node[i].pipe == id)
			return s->pipe_node[i].node == sender;
	s->pipe_node[s->pipe_next % n].pipe = id;
	s->pipe_node[s->pipe_next % n].node = sender;
	s->pipe_next++;
	return true;
}

static void handle_msg(struct baton_sync *s, nng_msg *msg)
{
	struct bsync_msg m;
	struct peer *p;
	size_t len = nng_msg_len(msg);
	int ret;

	ret = bsync_decode(nng_msg_body(msg), len, &m, s->rx_flows,
			   s->rx_keys);
	if (ret) {
		s->rx_garbage++;
		return;
	}
	p = peer_by_id(s, m.hdr.sender);
	if (!p || m.hdr.sender == s->node_id) {
		s->rx_unknown_peer++;
		return;
	}
	if (!sender_bound(s, nng_msg_get_pipe(msg), m.hdr.sender)) {
		s->rx_wrong_sender++;
		return;
	}
	p->msgs_recv++;
	p->bytes_recv += len;
	if (m.hdr.type == BSYNC_ACK || m.hdr.type == BSYNC_RESYNC_REQ)
		handle_control(p, &m);
	else
		handle_stream(p, &m);
}

static void rx_ready(uv_poll_t *h, int status, int events)
{
	struct baton_sync *s = h->data;
	uint64_t t0;
	int i;

	if (status < 0 || s->stopping)
		return;
	t0 = baton_ct_now_ns();

	s->rx_backlogged = true;	/* unless the queue runs dry */
	for (i = 0; i < RX_BUDGET; i++) {
		nng_msg *m;

		if (nng_recvmsg(s->pull, &m, NNG_FLAG_NONBLOCK)) {
			s->rx_backlogged = false;
			break;
		}
		handle_msg(s, m);
		nng_msg_free(m);
		if (baton_ct_now_ns() - t0 > RX_BUDGET_NS)
			break;
	}
	/* One cumulative acknowledgement per stream per turn. */
	for (size_t j = 0; j < s->npeers; j++) {
		struct peer *p = &s->peers[j];

		if (p->rx_ack_due && p->rx_valid) {
			send_control(p, BSYNC_ACK);
			p->rx_ack_due = false;
		}
	}
	/* The notification fd stays readable while messages are queued:
	 * whatever the budget left is handled on the next turn. */
}

/* ---- connections -------------------------------------------------------- */

/* nng thread: record the change for the loop. */
static void pipe_cb(nng_pipe pipe, nng_pipe_ev ev, void *arg)
{
	struct peer *p = arg;
	struct baton_sync *s = p->s;

	pthread_mutex_lock(&s->lock);
	/* A connection that has come up is not stuck: dial_again leaves a
	 * socket with a live pipe alone (its events are on their way). */
	p->pipe_live = ev != NNG_PIPE_EV_REM_POST;
	if (ev == NNG_PIPE_EV_REM_POST)
		p->push_spent = true;
	if (ev == NNG_PIPE_EV_ADD_PRE) {
		pthread_mutex_unlock(&s->lock);
		return;
	}
	if (!s->closing) {
		p->ev_pending = true;
		p->ev_up = ev == NNG_PIPE_EV_ADD_POST;
		p->ev_pipe = pipe;
		/* Under the lock: stop() cannot close the handle between. */
		uv_async_send(&s->async);
	}
	pthread_mutex_unlock(&s->lock);
}

/* The connection to p is gone (or being started over): nothing more is
 * sent on this stream; the next connection begins with a resync. */
static void peer_down(struct peer *p)
{
	if (!p->connected)
		return;
	p->connected = false;
	p->down_since_ns = baton_ct_now_ns();
	p->dial_ns = p->down_since_ns;
	p->state = TX_DOWN;
	p->resync.active = false;
	log_info(SUB, "peer %u: disconnected", p->id);
	peer_hook(p, BATON_SYNC_PEER_DISCONNECTED); /* HA */
}

static void on_async(uv_async_t *a)
{
	struct baton_sync *s = a->data;

	for (size_t i = 0; i < s->npeers && !s->stopping; i++) {
		struct peer *p = &s->peers[i];
		nng_pipe pipe;
		bool pending, up, spent;

		pthread_mutex_lock(&s->lock);
		pending = p->ev_pending;
		up = p->ev_up;
		pipe = p->ev_pipe;
		spent = p->push_spent;
		p->ev_pending = false;
		pthread_mutex_unlock(&s->lock);
		if (!pending)
			continue;
		if (spent) {
			/* A pipe of the socket went (whichever, and though a
			 * new one may have come up since): the socket is
			 * spent, a new one dials. */
			peer_reopen(s, p, baton_ct_now_ns());
		} else if (up) {
			/* New connection (maybe after a disconnect whose
			 * event this one superseded): a fresh stream. */
			p->pipe = pipe;
			p->connected = true;
			p->last_error[0] = '\0';
			log_info(SUB, "peer %u: connected (%s)", p->id,
				 p->url);
			start_resync(p, "connected");
			/* HA hook: a copy from an unbroken stream of the
			 * peer's stays complete across our reconnect (one
			 * event: CONNECTED then COMPLETE would flap the
			 * track file). */
			peer_hook(p, p->rx_complete && p->rx_valid ?
				  BATON_SYNC_PEER_COMPLETE :
				  BATON_SYNC_PEER_CONNECTED);
		}
		/* (A removal with the socket not spent: of a socket
		 * already closed and replaced.) */
	}
}

/* ---- the pump: resyncs, refresh, stale sweeps, a chunk per turn --------- */

/* Bulk work runs from an idle handle, a chunk per loop turn after I/O has
 * been polled (a 0 ms timer re-armed from its callback would run again in
 * the same turn and starve the sockets). */
static void pump(uv_idle_t *h)
{
	struct baton_sync *s = h->data;
	bool more = false;

	if (s->stopping)
		return;
	for (size_t i = 0; i < s->npeers; i++) {
		more |= resync_step(&s->peers[i]);
		more |= sweep_step(&s->peers[i]);
	}
	more |= refresh_step(s);
	if (!more)
		uv_idle_stop(&s->pump_idle);
}

static void pump_kick(struct baton_sync *s)
{
	if (!s->stopping)
		uv_idle_start(&s->pump_idle, pump);
}

/*
 * The datapath could not deliver events (ring buffer full while the loop
 * was busy): established flows or takeovers may never have been sent, and
 * nothing else would tell. Resync every peer.
 */
static void ev_lost_check(struct baton_sync *s)
{
	uint64_t st[ST_MAX];

	if (s->stats_fd < 0 || baton_stats_sum(s->stats_fd, st, ST_MAX))
		return;
	if (st[ST_EV_LOST] > s->ev_lost) {
		log_warn(SUB, "%llu datapath events lost: resyncing every "
			 "peer", (unsigned long long)(st[ST_EV_LOST] -
						     s->ev_lost));
		for (size_t i = 0; i < s->npeers; i++)
			start_resync(&s->peers[i], "datapath events lost");
	}
	s->ev_lost = st[ST_EV_LOST];
}

static void dial_again(struct baton_sync *s, struct peer *p, uint64_t now);
static int push_open(struct baton_sync *s, struct peer *p, size_t idx);

/* Every 100 ms: stalled peers, out-of-sync peers, the refresh cycle. */
static void tick(uv_timer_t *t)
{
	struct baton_sync *s = t->data;
	uint64_t now = baton_ct_now_ns();

	for (size_t i = 0; i < s->npeers; i++) {
		struct peer *p = &s->peers[i];

		if (!p->connected) {
			if (now - p->dial_ns > DIAL_NS)
				dial_again(s, p, now);
			/* nng reports neither a refused connection nor a
			 * failed TLS handshake: say how long it has been. */
			if (now - p->down_since_ns > 3 * NS_PER_S &&
			    !p->last_error[0])
				peer_error(p, "cannot connect to %s for 3 s "
					   "(peer down or unreachable%s)",
					   p->url, is_tls(p->url) ?
					   ", or its certificate or ours "
					   "refused" : "");
			continue;
		}
		/* Stalled: no acknowledgement for STALL_NS - unless this
		 * node has a receive backlog, where the ack may be waiting
		 * behind a big resync from that peer. A quiet peer leaves
		 * no backlog, so a dead link is always redialled. */
		if (p->seq != p->acked && p->unacked_since &&
		    now - p->unacked_since > STALL_NS && !s->rx_backlogged) {
			/* The new connection starts with a resync. */
			peer_error(p, "no acknowledgement for 1 s: "
				   "reconnecting");
			p->redials++;
			p->unacked_since = 0;
			peer_reopen(s, p, now);
			continue;
		}
		/* Resync once the backlog has drained. */
		if (p->state == TX_OUT_OF_SYNC &&
		    (int32_t)(p->seq - p->acked) <= 0)
			start_resync(p, "was out of sync");
		if (stream_open(p) && p->seq == p->acked &&
		    now - p->last_send_ns > HEARTBEAT_NS) {
			struct bsync_writer w;

			writer_start(p, &w, BSYNC_UPDATE);
			send_stream(p, &w);
		}
	}
	ev_lost_check(s);
	if (!s->refresh.active &&
	    now - s->refresh_last_ns >= (uint64_t)s->refresh_s * NS_PER_S) {
		memset(&s->refresh, 0, sizeof(s->refresh));
		s->refresh.active = true;
		/* Flows with traffic since the last pass: the others age on
		 * the peers exactly as here. */
		s->refresh.since_ns = s->refresh_last_ns;
		s->refresh_last_ns = now;
		pump_kick(s);
	}
}

/* ---- lifecycle ---------------------------------------------------------- */

/* The dialer of peer idx (its TLS config made already). nng error. */
static int dialer_open(struct baton_sync *s, struct peer *p, size_t idx)
{
	int rv;

	rv = nng_dialer_create(&p->dialer, p->push, p->url);
	if (rv)
		return rv;
	nng_dialer_set_ms(p->dialer, NNG_OPT_RECONNMINT, 100);
	nng_dialer_set_ms(p->dialer, NNG_OPT_RECONNMAXT, 1000);
	if (s->tls_client[idx]) {
		rv = nng_dialer_set_ptr(p->dialer, NNG_OPT_TLS_CONFIG,
					s->tls_client[idx]);
		if (rv) {
			nng_dialer_close(p->dialer);
			return rv;
		}
	}
	return 0;
}

/*
 * Start the connection to p over with a new push socket. Closing just a
 * pipe or a dialer of nng 1.5.2's push socket while it sends or starts a
 * pipe can leave a freed pipe on the socket's ready list, and the next
 * send crashes (nng issues 1653 and 1658, fixed in 1.6.0; Debian 12 ships
 * 1.5.2; two soak crashes in nng_sendmsg). A socket that is closed is never
 * sent on again. nng_close joins the socket's callbacks. The peer ending
 * a pipe does the same (the chaos drill: a standby killed -9 as it
 * connected; the master crashed on its next acknowledgement), so a socket
 * any of whose pipes went away is spent too: send_raw leaves it alone
 * from nng's REM_POST on, and the loop reopens it.
 */
static void peer_reopen(struct baton_sync *s, struct peer *p, uint64_t now)
{
	size_t idx = (size_t)(p - s->peers);
	int rv;

	peer_down(p);
	if (p->open) {
		nng_close(p->push);
		p->open = false;
	}
	pthread_mutex_lock(&s->lock);
	p->pipe_live = false;
	p->push_spent = false;
	pthread_mutex_unlock(&s->lock);
	rv = push_open(s, p, idx);
	if (!rv) {
		rv = nng_dialer_start(p->dialer, NNG_FLAG_NONBLOCK);
		if (rv) {
			nng_close(p->push);
			p->open = false;
		}
	}
	if (rv)
		peer_error(p, "redial %s: %s (retrying)", p->url,
			   nng_strerror(rv));
	p->dial_ns = now;
}

/* Not connected for DIAL_NS since the dialer started: start it over, which
 * abandons a connect stuck in SYN retries. */
static void dial_again(struct baton_sync *s, struct peer *p, uint64_t now)
{
	bool live;

	/* A connection that has just come up is not stuck: its events are
	 * on their way to the loop. */
	pthread_mutex_lock(&s->lock);
	live = p->pipe_live;
	pthread_mutex_unlock(&s->lock);
	if (live && p->open)
		return;
	peer_reopen(s, p, now);
	p->dial_restarts++;
}

/* The push socket to peer idx and its dialer (not started). nng error;
 * on failure nothing stays open. */
static int push_open(struct baton_sync *s, struct peer *p, size_t idx)
{
	int rv, sendbuf;

	rv = nng_push0_open(&p->push);
	if (rv)
		return rv;
	sendbuf = s->queue < NNG_SENDBUF_MAX ? (int)s->queue : NNG_SENDBUF_MAX;
	nng_socket_set_int(p->push, NNG_OPT_SENDBUF, sendbuf);
	nng_pipe_notify(p->push, NNG_PIPE_EV_ADD_PRE, pipe_cb, p);
	nng_pipe_notify(p->push, NNG_PIPE_EV_ADD_POST, pipe_cb, p);
	nng_pipe_notify(p->push, NNG_PIPE_EV_REM_POST, pipe_cb, p);
	rv = dialer_open(s, p, idx);
	if (rv) {
		nng_close(p->push);
		return rv;
	}
	p->open = true;
	return 0;
}

static int open_peer(struct baton_sync *s, struct peer *p,
		     const struct baton_sync_cfg *c, size_t idx, char *err,
		     size_t errlen)
{
	int rv;

	if (is_tls(p->url)) {
		s->tls_client[idx] = tls_config(c, false, p->id, err, errlen);
		if (!s->tls_client[idx])
			return -EINVAL;
	}
	rv = push_open(s, p, idx);
	if (rv) {
		snprintf(err, errlen, "sync: peers[%zu].address '%s': %s", idx,
			 p->url, nng_strerror(rv));
		return -EINVAL;
	}
	return 0;
}

struct baton_sync *baton_sync_init(uv_loop_t *loop,
				   const struct baton_config *cfg,
				   uint32_t epoch, int ct_fd, int stats_fd,
				   const struct baton_services *svcs,
				   char *err, size_t errlen)
{
	const struct baton_sync_cfg *c = &cfg->sync;
	struct baton_sync *s;
	int rv, fd;

	s = calloc(1, sizeof(*s));
	if (!s)
		goto nomem;
	s->keys = calloc(DUMP_CHUNK, sizeof(*s->keys));
	s->vals = calloc(DUMP_CHUNK, sizeof(*s->vals));
	if (!s->keys || !s->vals)
		goto nomem;
	pthread_mutex_init(&s->lock, NULL);
	s->loop = loop;
	s->node_id = cfg->node_id;
	s->epoch = epoch;
	s->ct_fd = ct_fd;
	s->stats_fd = stats_fd;
	s->svcs = svcs;
	if (stats_fd >= 0) {
		/* Losses of an earlier life are not ours to repair. */
		uint64_t st[ST_MAX];

		if (!baton_stats_sum(stats_fd, st, ST_MAX))
			s->ev_lost = st[ST_EV_LOST];
	}
	s->batch_ms = c->batch_ms ? c->batch_ms : 2;
	s->refresh_s = c->refresh_s ? c->refresh_s : 30;
	s->queue = c->queue ? c->queue : 4096;
	snprintf(s->listen, sizeof(s->listen), "%s", c->listen);
	s->refresh_last_ns = baton_ct_now_ns();

	rv = nng_pull0_open(&s->pull);
	if (rv) {
		snprintf(err, errlen, "sync: pull socket: %s",
			 nng_strerror(rv));
		goto fail;
	}
	s->pull_open = true;
	/* Nothing bigger than our largest message is read from a peer. */
	nng_socket_set_size(s->pull, NNG_OPT_RECVMAXSZ, BSYNC_MAX_MSG);
	nng_socket_set_int(s->pull, NNG_OPT_RECVBUF, 1024);
	rv = nng_listener_create(&s->listener, s->pull, c->listen);
	if (rv) {
		snprintf(err, errlen, "sync: listen '%s': %s", c->listen,
			 nng_strerror(rv));
		goto fail;
	}
	if (is_tls(c->listen)) {
		s->tls = true;
		s->tls_server = tls_config(c, true, 0, err, errlen);
		if (!s->tls_server)
			goto fail;
		rv = nng_listener_set_ptr(s->listener, NNG_OPT_TLS_CONFIG,
					  s->tls_server);
		if (rv) {
			snprintf(err, errlen, "sync: TLS on '%s': %s",
				 c->listen, nng_strerror(rv));
			goto fail;
		}
	}
	for (size_t i = 0; i < c->npeers; i++) {
		struct peer *p = &s->peers[i];

		p->s = s;
		p->id = c->peers[i].id;
		p->down_since_ns = baton_ct_now_ns();
		/* Sessions count from the wall clock in ms: a restarted batond
		 * (even with the same epoch) opens newer streams than its
		 * previous life, which its peers would otherwise ignore as
		 * replays. Generations start anywhere, so entries pinned by
		 * an earlier life never match the first resync's. */
		p->session = wall_ms();
		p->rx_gen = (uint16_t)(wall_ms() * 2654435761u) | 1;
		snprintf(p->url, sizeof(p->url), "%s", c->peers[i].url);
		s->npeers++;
		if (open_peer(s, p, c, i, err, errlen))
			goto fail;
	}
	rv = nng_socket_get_int(s->pull, NNG_OPT_RECVFD, &fd);
	if (rv) {
		snprintf(err, errlen, "sync: receive fd: %s", nng_strerror(rv));
		goto fail;
	}
	uv_poll_init(loop, &s->rx_poll, fd);
	s->rx_poll.data = s;
	uv_async_init(loop, &s->async, on_async);
	s->async.data = s;
	uv_timer_init(loop, &s->batch_timer);
	s->batch_timer.data = s;
	uv_timer_init(loop, &s->tick_timer);
	s->tick_timer.data = s;
	uv_idle_init(loop, &s->pump_idle);
	s->pump_idle.data = s;
	s->handles = 5;
	return s;
nomem:
	snprintf(err, errlen, "sync: out of memory");
fail:
	if (s) {
		for (size_t i = 0; i < s->npeers; i++)
			if (s->peers[i].open)
				nng_close(s->peers[i].push);
		if (s->pull_open)
			nng_close(s->pull);
		for (size_t i = 0; i < BATON_MAX_PEERS; i++)
			if (s->tls_client[i])
				nng_tls_config_free(s->tls_client[i]);
		if (s->tls_server)
			nng_tls_config_free(s->tls_server);
		free(s->keys);
		free(s->vals);
		free(s);
	}
	errno = EINVAL;
	return NULL;
}

int baton_sync_start(struct baton_sync *s)
{
	int rv;

	rv = nng_listener_start(s->listener, 0);
	if (rv) {
		log_err(SUB, "listen on %s: %s", s->listen, nng_strerror(rv));
		return -EADDRINUSE;
	}
	for (size_t i = 0; i < s->npeers; i++) {
		/* Non-blocking: nng keeps (re)connecting in the background. */
		s->peers[i].dial_ns = baton_ct_now_ns();
		rv = nng_dialer_start(s->peers[i].dialer, NNG_FLAG_NONBLOCK);
		if (rv)
			log_warn(SUB, "peer %u (%s): %s", s->peers[i].id,
				 s->peers[i].url, nng_strerror(rv));
	}
	uv_poll_start(&s->rx_poll, UV_READABLE, rx_ready);
	uv_timer_start(&s->tick_timer, tick, 100, 100);
	log_info(SUB, "listening on %s, %zu peers%s", s->listen, s->npeers,
		 s->tls ? ", mutual TLS" : "");
	return 0;
}

static void handle_closed(uv_handle_t *h)
{
	struct baton_sync *s = h->data;

	if (--s->handles)
		return;
	for (size_t i = 0; i < BATON_MAX_PEERS; i++)
		if (s->tls_client[i])
			nng_tls_config_free(s->tls_client[i]);
	if (s->tls_server)
		nng_tls_config_free(s->tls_server);
	pthread_mutex_destroy(&s->lock);
	free(s->keys);
	free(s->vals);
	free(s);
}

void baton_sync_stop(struct baton_sync *s)
{
	if (!s || s->stopping)
		return;
	/* Updates still waiting for their batch go out first. */
	flush_pending(s);
	s->stopping = true;
	pthread_mutex_lock(&s->lock);
	s->closing = true;
	pthread_mutex_unlock(&s->lock);
	/* Closing the sockets joins nng's threads: no callback runs after. */
	for (size_t i = 0; i < s->npeers; i++)
		if (s->peers[i].open)
			nng_close(s->peers[i].push);
	if (s->pull_open)
		nng_close(s->pull);
	uv_close((uv_handle_t *)&s->rx_poll, handle_closed);
	uv_close((uv_handle_t *)&s->async, handle_closed);
	uv_close((uv_handle_t *)&s->batch_timer, handle_closed);
	uv_close((uv_handle_t *)&s->tick_timer, handle_closed);
	uv_close((uv_handle_t *)&s->pump_idle, handle_closed);
}

void baton_sync_request_all(struct baton_sync *s, const char *why)
{
	for (size_t i = 0; s && i < s->npeers; i++) {
		struct peer *p = &s->peers[i];

		if (!p->rx_epoch && !p->rx_session)
			continue;	/* nothing received yet: it will send */
		p->req_sent = false;
		request_resync(p, p->rx_epoch, p->rx_session, why);
	}
}

int baton_sync_resync(struct baton_sync *s, uint32_t peer_id)
{
	struct peer *p;

	if (!peer_id) {
		for (size_t i = 0; i < s->npeers; i++)
			start_resync(&s->peers[i], "requested by batonctl");
		return 0;
	}
	p = peer_by_id(s, peer_id);
	if (!p)
		return -ENOENT;
	start_resync(p, "requested by batonctl");
	return 0;
}

/* ---- status ------------------------------------------------------------- */

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static void lag_percentiles(const struct lag_ring *r, json_int_t *p50,
			    json_int_t *p99)
{
	uint32_t tmp[LAG_SAMPLES];

	*p50 = *p99 = 0;
	if (!r->n)
		return;
	memcpy(tmp, r->us, r->n * sizeof(tmp[0]));
	qsort(tmp, r->n, sizeof(tmp[0]), cmp_u32);
	*p50 = tmp[(r->n - 1) / 2];
	*p99 = tmp[(r->n - 1) * 99 / 100];
}

json_t *baton_sync_status(const struct baton_sync *s)
{
	json_t *peers = json_array();

	for (size_t i = 0; s && i < s->npeers; i++) {
		const struct peer *p = &s->peers[i];
		json_int_t p50, p99;

		lag_percentiles(&p->lag, &p50, &p99);
		json_array_append_new(peers, json_pack(
			"{s:I, s:s, s:b, s:s, s:I, s:I, s:I, s:I, s:I, s:I,"
			" s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I,"
			" s:I, s:I, s:I, s:I, s:I, s:I, s:s}",
			"id", (json_int_t)p->id,
			"url", p->url,
			"connected", p->connected,
			"state", tx_state_names[p->state],
			"sent_flows", (json_int_t)p->sent_flows,
			"sent_deletes", (json_int_t)p->sent_deletes,
			"recv_flows", (json_int_t)p->recv_flows,
			"recv_deletes", (json_int_t)p->recv_deletes,
			"installed", (json_int_t)p->installed,
			"no_service", (json_int_t)p->no_service,
			"rejected", (json_int_t)p->rejected,
			"conflicts", (json_int_t)p->conflicts,
			"reply_taken", (json_int_t)p->reply_taken,
			"removed_stale", (json_int_t)p->removed_stale,
			"msgs_sent", (json_int_t)p->msgs_sent,
			"msgs_recv", (json_int_t)p->msgs_recv,
			"bytes_sent", (json_int_t)p->bytes_sent,
			"bytes_recv", (json_int_t)p->bytes_recv,
			"resyncs_sent", (json_int_t)p->resyncs_sent,
			"resyncs_recv", (json_int_t)p->resyncs_recv,
			"unacked", (json_int_t)(p->seq - p->acked),
			"session", (json_int_t)p->session,
			"redials", (json_int_t)p->redials,
			"dial_restarts", (json_int_t)p->dial_restarts,
			"lag_p50_us", p50,
			"lag_p99_us", p99,
			"last_error", p->last_error));
	}
	return json_pack("{s:b, s:I, s:I, s:s, s:b, s:o, s:I, s:I, s:I, s:I}",
			 "enabled", s != NULL,
			 "node_id", (json_int_t)(s ? s->node_id : 0),
			 "epoch", (json_int_t)(s ? s->epoch : 0),
			 "listen", s ? s->listen : "",
			 "tls", s ? s->tls : false,
			 "peers", peers,
			 "rx_garbage", (json_int_t)(s ? s->rx_garbage : 0),
			 "rx_replayed", (json_int_t)(s ? s->rx_replayed : 0),
			 "rx_unknown_peer",
			 (json_int_t)(s ? s->rx_unknown_peer : 0),
			 "rx_wrong_sender",
			 (json_int_t)(s ? s->rx_wrong_sender : 0));
}
