/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * traffic_client.c - `baton-traffic client`: drives flows at a VIP and
 * checks each one end to end.
 *
 * Five kinds of flow, all run by one epoll loop under one deadline:
 *  - TCP exchange (--tcp ... --conns N): connect, read the server's BATON
 *    line, send B pseudo-random bytes, verify every echoed byte, check that
 *    getpeername() is the target, close. At most P at once.
 *  - TCP stream (--tcp ... --streams N --duration S): N long-lived
 *    connections, each sending --chunk bytes every --interval-ms for S
 *    seconds and verifying the echo continuously; the longest gap between
 *    two echo arrivals is the stream's pause (what a failover costs).
 *  - TCP rate (--tcp ... --rate R --duration S): R short connections
 *    started a second, evenly spaced, for S seconds. Each reads the BATON
 *    line, sends --bytes in up to 8 chunks spread over --hold-ms, verifies
 *    the echo and closes, so about R * H / 1000 of them are mid-life at any
 *    moment - what a failover must not break. At most P are open at once;
 *    a start that would exceed that, or that the loop got to only 0.5 s
 *    after the end of S, is "skipped" (counted, never silently dropped). A
 *    late loop catches up at most 32 starts a turn. A connection's pause is the
 *    longest time it waited for the server with nothing arriving: from the
 *    handshake to the BATON line, and from a send (or the previous echo,
 *    while bytes are still due) to the next echo - not the idle time
 *    between its own chunks.
 *  - UDP exchange (--udp ... --count N): one datagram from a fresh socket
 *    (fresh source port, so a new flow for the balancer), the reply must
 *    come from the target and carry the BATON line and the same payload.
 *  - UDP stream (--udp ... --streams N --duration S): N connect()ed
 *    sockets (one fixed 5-tuple each), each sending a datagram every
 *    --interval-ms: a 4-byte sequence number, then bytes drawn from a
 *    stream seeded by (flow seed + sequence number), so that every reply is
 *    verified on its own. A reply counts once: a window of the last 4096
 *    sequence numbers catches duplicates, and a reply older than that is
 *    "late" and not counted. The stream's backend is the one of its first
 *    reply; a reply from another backend makes the stream "moved" (it lost
 *    its backend). Otherwise it is "ok" if a datagram sent in its last
 *    second (or last interval, if longer) was answered - the flow goes on,
 *    on the same backend, whatever gaps it had - else "timeout" (or the
 *    socket error it last saw, e.g. "refused"). After S it waits for the
 *    reply to its last datagram at most min(--timeout-ms, 1000) ms. Its
 *    pause is the longest gap between two new replies, counting from its
 *    first send, and from its last reply to its last send if it went
 *    silent. (The kernel drops datagrams from other addresses on a
 *    connect()ed socket: a reply from the wrong address shows as lost.)
 *
 * Every flow ends with exactly one result (ok, reset, timeout, ...); the
 * summary is one JSON line on stdout, and the exit status is 0 only if no
 * flow failed.
 *
 * --flows-out FILE: one line per flow, written as it ends (so in the order
 * flows ended), after a header line
 *   # id kind result t_start_ms t_est_ms t_end_ms backend max_pause_ms sport
 * kind is tcp_exchange, tcp_stream, tcp_rate, udp_exchange or udp_stream;
 * times are CLOCK_REALTIME ms (to compare with `date +%s%3N`; the loop
 * itself runs on CLOCK_MONOTONIC); t_est_ms is when the TCP handshake
 * completed, for UDP the first reply, 0 if never; backend "-" if unknown.
 * A flow never started (skipped, or out of time) has t_start = t_end.
 * sport is the flow's local port (0 if it got none): with the target, the
 * 5-tuple to look the flow up in a node's conntrack table.
 *
 * --timeline FILE (stream modes): echoed bytes and streams with data per
 * 100 ms. --timeline-flows FILE (stream modes): a matrix for gnuplot's
 * `plot FILE matrix with image`, a row per stream and a column per 100 ms,
 * each cell the bytes echoed to that stream in that bucket (UDP: payload
 * bytes of counted replies).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "traffic.h"

#define CL_TXBUF 16384
#define CL_RXBUF 65536
#define CL_MAX_STREAMS 4096
#define CL_MAX_UDP_PAYLOAD 1400
#define CL_TIMELINE_MS 100	/* bucket width of --timeline(-flows) */
#define CL_TLF_MAX_CELLS (16u << 20)	/* --timeline-flows: 64 MB at most */
#define CL_RATE_MAX 100000	/* --rate: new connections a second */
#define CL_RATE_OPEN 4096	/* rate: default bound on open connections */
#define CL_RATE_BURST 32	/* rate: most starts in one loop turn */
#define CL_RATE_LATE_MS 500	/* rate: a start still made this late after S */
#define CL_RATE_CHUNKS 8	/* rate: --bytes go out in this many parts */
#define CL_UDP_SEQ 4		/* UDP stream: sequence number, then ... */
#define CL_UDP_MIN 8		/* ... at least 4 verifiable bytes */
#define CL_UDP_WIN 4096		/* UDP stream: duplicate window (datagrams) */
#define CL_UDP_BURST 4		/* UDP stream: most sends per stream a turn */
#define CL_UDP_WAIT_MS 1000	/* UDP stream: most wait for the last reply */
#define CL_UDP_TAIL_MS 1000	/* UDP stream: "still answered at the end" */

enum cl_result {
	RES_OK,
	RES_RESET,	/* ECONNRESET / EPIPE: the connection was killed */
	RES_REFUSED,	/* ECONNREFUSED: RST to our SYN */
	RES_TIMEOUT,	/* still unfinished at the deadline */
	RES_WRONG_PEER,	/* answer from an address other than the target */
	RES_BAD_BYTES,	/* echo differs from what was sent */
	RES_BAD_BANNER,	/* no valid BATON line */
	RES_EOF,		/* server closed before the echo was complete */
	RES_ERROR,	/* anything else (unreachable, socket errors) */
	RES_MOVED,	/* UDP stream: replies from more than one backend */
	RES_SKIPPED,	/* rate: never started (open bound, or too late) */
	RES_MAX
};

/* The JSON's counter names, in this order: scripts parse them. */
static const char *const result_names[RES_MAX] = {
	"ok", "reset", "refused", "timeout", "wrong_peer",
	"bad_bytes", "bad_banner", "eof", "error", "moved", "skipped",
};

enum cl_mode { MODE_EXCHANGES, MODE_STREAMS, MODE_RATE };

static const char *const mode_names[] = { "exchanges", "streams", "rate" };
/* --flows-out's kind column, by [udp][mode] (no UDP rate mode). */
static const char *const kind_names[2][3] = {
	{ "tcp_exchange", "tcp_stream", "tcp_rate" },
	{ "udp_exchange", "udp_stream", "udp_rate" },
};

enum cl_state {
	CL_CONNECTING, CL_BANNER, CL_DATA, CL_UDP_WAIT, CL_UDP_STREAM, CL_DONE
};

struct cl_flow {
	int fd;
	uint64_t id;
	size_t act_idx;		/* position in client.act while active */
	enum cl_state state;
	enum cl_result result;
	uint64_t seed;
	struct tr_rng tx, rx;
	uint64_t to_send;	/* bytes to send in all; streams, rate: grows */
	uint64_t generated;	/* bytes taken from tx so far */
	uint64_t sent, echoed;	/* bytes; UDP stream: sent counts datagrams */
	bool want_out;
	size_t txoff, txlen;
	size_t blen;
	char banner[TR_BANNER_MAX];
	char backend[TR_NAME_MAX];
	/*
	 * Monotonic ms. start: the flow began; conn: the TCP handshake
	 * completed (UDP: first reply), the t_est of --flows-out; est: the
	 * BATON line was read (TCP), the time data can flow.
	 */
	int64_t start_ms, conn_ms, est_ms, last_rx_ms, max_pause_ms;
	int64_t wait_ms;	/* rate: waiting for the server since, or 0 */
	int64_t last_tx_ms;	/* UDP stream: the last send */
	uint64_t answered, dup, late;	/* UDP stream: replies */
	uint64_t moved;		/* UDP stream: replies from another backend */
	char moved_to[TR_NAME_MAX];	/* ... the first such backend */
	bool tail_ok;		/* UDP stream: answered in its last second */
	uint64_t win[CL_UDP_WIN / 64];	/* UDP stream: answered sequences */
	int err;		/* errno behind RES_ERROR, for the report */
	uint16_t sport;		/* local port, host order; 0 if none */
	/* Last, as it is large: not cleared when a slot is reused. */
	uint8_t txbuf[CL_TXBUF];
};

struct client {
	bool udp;
	enum cl_mode mode;
	struct sockaddr_in target;
	struct sockaddr_in src;		/* --bind, port 0 */
	bool have_src;
	uint64_t total;		/* flows to run */
	uint64_t parallel;	/* most open at once */
	uint64_t bytes;
	uint64_t timeout_ms;
	uint64_t duration_s, chunk, interval_ms;
	uint64_t rate, hold_ms, rate_chunks;
	uint64_t udp_wait_ms;	/* UDP stream: wait for the last reply */
	uint64_t udp_total;	/* UDP stream: datagrams each sends in all */
	uint64_t udp_tail_seq;	/* UDP stream: first seq of the last second */
	const char *timeline_path, *tlf_path, *flows_path;

	int ep;
	int64_t start_ms, stream_end_ms, deadline_ms;
	int64_t real_off;	/* CLOCK_REALTIME - CLOCK_MONOTONIC, in ms */
	uint64_t next_id;	/* flows started or skipped so far */
	uint64_t started, finished, active, max_open;
	uint64_t results[RES_MAX];
	int last_err;
	struct tr_set backends, seen_peer, seen_client;
	struct cl_flow **flows;	/* all the slots */
	size_t nflows;
	struct cl_flow **freel;	/* exchanges, rate: free slots (a stack) */
	size_t nfree;
	struct cl_flow **act;	/* started and not finished, any order */
	size_t nact;
	struct tr_hist pauses;	/* stream and rate modes */
	FILE *flows_out;
	uint64_t *tl_bytes;	/* timeline buckets */
	uint32_t *tl_streams;
	int64_t *tl_last;	/* per stream: last bucket it was counted in */
	size_t tl_n;
	uint32_t *tlf;		/* --timeline-flows: nflows rows x tlf_cols */
	size_t tlf_cols;
};

static void cl_usage(FILE *f)
{
	fprintf(f,
		"usage: baton-traffic client --tcp ADDR:PORT --conns N "
		"[--parallel P] [--bytes B]\n"
		"       baton-traffic client --tcp ADDR:PORT --streams N "
		"--duration S [--chunk B]\n"
		"                 [--interval-ms I] [--timeline FILE] "
		"[--timeline-flows FILE]\n"
		"       baton-traffic client --tcp ADDR:PORT --rate R "
		"--duration S [--hold-ms H]\n"
		"                 [--bytes B] [--parallel P]\n"
		"       baton-traffic client --udp ADDR:PORT --count N "
		"[--parallel P] [--bytes B]\n"
		"       baton-traffic client --udp ADDR:PORT --streams N "
		"--duration S\n"
		"                 [--interval-ms I] [--bytes B] "
		"[--timeline FILE]\n"
		"                 [--timeline-flows FILE]\n"
		"  common: [--timeout-ms T] (default 10000) [--bind ADDR] "
		"[--flows-out FILE]\n"
		"  --rate: R new connections a second for S s; each sends B "
		"bytes (default\n"
		"    4096) in up to 8 chunks over H ms (default 200) and "
		"checks the echo; at\n"
		"    most P open (default 4096), starts beyond that count as "
		"\"skipped\"\n"
		"  --udp --streams: one connected socket per stream, a B-byte "
		"datagram\n"
		"    (default 32, at least 8) every I ms (default 10); "
		"\"moved\" if a reply\n"
		"    comes from another backend, else \"ok\" if answered in "
		"its last second;\n"
		"    waits min(T, 1000) ms for the last reply\n"
		"  --flows-out FILE: a line per flow: id kind result "
		"t_start_ms t_est_ms\n"
		"    t_end_ms backend max_pause_ms (CLOCK_REALTIME ms; t_est: "
		"TCP handshake\n"
		"    done, UDP first reply, 0 if never; backend - if "
		"unknown; sport: local port)\n"
		"  --timeline-flows FILE: a gnuplot matrix, a row per stream, "
		"a column per\n"
		"    100 ms, bytes echoed (plot 'FILE' matrix with image)\n"
		"  prints one JSON line; exit 0 only if no flow failed\n");
}

/* ---- records ------------------------------------------------------------ */

/* One --flows-out line. Times are monotonic ms; est 0 means never. */
static void flow_line(struct client *cl, uint64_t id, enum cl_result r,
		      int64_t start, int64_t est, int64_t end,
		      const char *backend, int64_t pause, uint16_t sport)
{
	char name[TR_NAME_MAX];
	size_t i;

	if (!cl->flows_out)
		return;
	/* The server's name is a field of a space-separated line: keep it
	 * one printable word whatever the server sent. */
	for (i = 0; backend[i] && i + 1 < sizeof(name); i++)
		name[i] = backend[i] > ' ' && backend[i] < 0x7f ?
				  backend[i] : '?';
	name[i] = '\0';
	fprintf(cl->flows_out, "%llu %s %s %lld %lld %lld %s %lld %u\n",
		(unsigned long long)id, kind_names[cl->udp][cl->mode],
		result_names[r], (long long)(start + cl->real_off),
		(long long)(est ? est + cl->real_off : 0),
		(long long)(end + cl->real_off), i ? name : "-",
		(long long)pause, (unsigned)sport);
}

/* Bytes echoed to f at now, for --timeline and --timeline-flows. */
static void timeline_add(struct client *cl, struct cl_flow *f, int64_t now,
			 size_t n)
{
	size_t b = (now - cl->start_ms) / CL_TIMELINE_MS;

	if (cl->tl_bytes && b < cl->tl_n) {
		cl->tl_bytes[b] += n;
		if (cl->tl_last[f->id] != (int64_t)b) {
			cl->tl_last[f->id] = b;
			cl->tl_streams[b]++;
		}
	}
	if (cl->tlf && b < cl->tlf_cols) {
		uint32_t *c = &cl->tlf[f->id * cl->tlf_cols + b];

		*c = n > UINT32_MAX - *c ? UINT32_MAX : *c + n;
	}
}

/* ---- flow lifecycle ---------------------------------------------------- */

static void act_add(struct client *cl, struct cl_flow *f)
{
	f->act_idx = cl->nact;
	cl->act[cl->nact++] = f;
	if (cl->nact > cl->max_open)
		cl->max_open = cl->nact;
}

/* Swap-remove: a walk from the end of act stays valid across it. */
static void act_del(struct client *cl, struct cl_flow *f)
{
	struct cl_flow *last;

	if (f->act_idx >= cl->nact || cl->act[f->act_idx] != f)
		return;
	last = cl->act[--cl->nact];
	cl->act[f->act_idx] = last;
	last->act_idx = f->act_idx;
}

static void flow_finish(struct client *cl, struct cl_flow *f,
			enum cl_result r)
{
	int64_t now = tr_now_ms();

	if (f->state == CL_DONE)
		return;
	if (f->fd >= 0) {
		epoll_ctl(cl->ep, EPOLL_CTL_DEL, f->fd, NULL);
		close(f->fd);
		f->fd = -1;
	}
	/* A stream stuck at the end paused until now. */
	if (cl->mode == MODE_STREAMS && !cl->udp && f->est_ms &&
	    r != RES_OK && now - f->last_rx_ms > f->max_pause_ms)
		f->max_pause_ms = now - f->last_rx_ms;
	/* So did a connection still waiting for the server. */
	if (cl->mode == MODE_RATE && f->wait_ms &&
	    now - f->wait_ms > f->max_pause_ms)
		f->max_pause_ms = now - f->wait_ms;
	/* A UDP exchange waited for its one reply. */
	if (cl->udp && cl->mode == MODE_EXCHANGES)
		f->max_pause_ms = now - f->start_ms;
	f->state = CL_DONE;
	f->result = r;
	if (r == RES_ERROR)
		cl->last_err = f->err;
	cl->results[r]++;
	cl->finished++;
	cl->active--;
	act_del(cl, f);
	if (cl->mode == MODE_STREAMS || (cl->mode == MODE_RATE && f->conn_ms))
		tr_hist_add(&cl->pauses, f->max_pause_ms);
	flow_line(cl, f->id, r, f->start_ms, f->conn_ms, now, f->backend,
		  f->max_pause_ms, f->sport);
	/* Streams keep their slot: the report lists them. */
	if (cl->mode != MODE_STREAMS)
		cl->freel[cl->nfree++] = f;
}

static void flow_fail_errno(struct client *cl, struct cl_flow *f, int err)
{
	enum cl_result r;

	switch (err) {
	case ECONNRESET:
	case EPIPE:
		r = RES_RESET;
		break;
	case ECONNREFUSED:
		r = RES_REFUSED;
		break;
	case ETIMEDOUT:
		r = RES_TIMEOUT;
		break;
	default:
		r = RES_ERROR;
		f->err = err;
	}
	flow_finish(cl, f, r);
}

/* A flow that never started: counted and recorded all the same. */
static void flow_never(struct client *cl, enum cl_result r, int64_t now)
{
	flow_line(cl, cl->next_id++, r, now, 0, now, "", 0, 0);
	cl->results[r]++;
	cl->finished++;
}

static int flow_set_events(struct client *cl, struct cl_flow *f, bool out)
{
	struct epoll_event ev = { .events = EPOLLIN | (out ? EPOLLOUT : 0),
				  .data.ptr = f };

	if (f->want_out == out)
		return 0;
	f->want_out = out;
	return epoll_ctl(cl->ep, EPOLL_CTL_MOD, f->fd, &ev);
}

static void note_banner(struct client *cl, struct cl_flow *f, char *line)
{
	char name[TR_NAME_MAX], ip[INET_ADDRSTRLEN];

	if (tr_parse_banner(line, name, ip)) {
		flow_finish(cl, f, RES_BAD_BANNER);
		return;
	}
	snprintf(f->backend, sizeof(f->backend), "%s", name);
	tr_set_add(&cl->backends, name);
	tr_set_add(&cl->seen_client, ip);
}

static bool same_sa(const struct sockaddr_in *a, const struct sockaddr_in *b)
{
	return a->sin_addr.s_addr == b->sin_addr.s_addr &&
	       a->sin_port == b->sin_port;
}

static struct cl_flow *flow_new(struct client *cl)
{
	struct cl_flow *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	f->fd = -1;
	return f;
}

static int flow_socket(struct client *cl, struct cl_flow *f, int type)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = f };

	f->fd = socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (f->fd < 0)
		return -errno;
	if (cl->have_src &&
	    bind(f->fd, (struct sockaddr *)&cl->src, sizeof(cl->src)))
		return -errno;
	if (type == SOCK_STREAM) {
		ev.events |= EPOLLOUT;
		f->want_out = true;
	}
	if (epoll_ctl(cl->ep, EPOLL_CTL_ADD, f->fd, &ev))
		return -errno;
	return 0;
}

/* The local port connect() bound, for --flows-out. */
static void flow_note_port(struct cl_flow *f)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);

	if (!getsockname(f->fd, (struct sockaddr *)&a, &len) &&
	    a.sin_family == AF_INET)
		f->sport = ntohs(a.sin_port);
}

static void flow_start(struct client *cl, struct cl_flow *f)
{
	uint8_t payload[CL_MAX_UDP_PAYLOAD];
	int err;

	f->id = cl->next_id++;
	cl->started++;
	cl->active++;
	act_add(cl, f);
	f->start_ms = tr_now_ms();
	f->sport = 0;
	f->seed = tr_seed();
	tr_rng_init(&f->tx, f->seed);
	tr_rng_init(&f->rx, f->seed);
	if (cl->udp && cl->mode == MODE_STREAMS) {
		/* connect(): one fixed 5-tuple for the whole stream. The
		 * first datagram goes out with the next pacing turn. */
		f->state = CL_UDP_STREAM;
		err = flow_socket(cl, f, SOCK_DGRAM);
		if (err)
			goto out_fail;
		if (connect(f->fd, (struct sockaddr *)&cl->target,
			    sizeof(cl->target))) {
			err = -errno;
			goto out_fail;
		}
		flow_note_port(f);
		return;
	}
	if (cl->udp) {
		f->state = CL_UDP_WAIT;
		err = flow_socket(cl, f, SOCK_DGRAM);
		if (err)
			goto out_fail;
		tr_rng_fill(&f->tx, payload, cl->bytes);
		if (sendto(f->fd, payload, cl->bytes, 0,
			   (struct sockaddr *)&cl->target,
			   sizeof(cl->target)) < 0) {
			err = -errno;
			goto out_fail;
		}
		f->sent = cl->bytes;
		return;
	}
	f->state = CL_CONNECTING;
	f->to_send = cl->mode == MODE_EXCHANGES ? cl->bytes : 0;
	err = flow_socket(cl, f, SOCK_STREAM);
	if (err)
		goto out_fail;
	if (connect(f->fd, (struct sockaddr *)&cl->target,
		    sizeof(cl->target)) && errno != EINPROGRESS) {
		err = -errno;
		goto out_fail;
	}
	flow_note_port(f);
	return;
out_fail:
	flow_fail_errno(cl, f, -err);
}

/* ---- TCP --------------------------------------------------------------- */

/* Top up the send buffer from the byte stream, then write what we can. */
static void tcp_send(struct client *cl, struct cl_flow *f)
{
	for (;;) {
		ssize_t n;

		if (f->txoff == f->txlen) {
			uint64_t want = f->to_send - f->generated;

			if (!want)
				break;
			if (want > CL_TXBUF)
				want = CL_TXBUF;
			tr_rng_fill(&f->tx, f->txbuf, want);
			f->generated += want;
			f->txoff = 0;
			f->txlen = want;
		}
		n = send(f->fd, f->txbuf + f->txoff, f->txlen - f->txoff,
			 MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			flow_fail_errno(cl, f, errno);
			return;
		}
		f->txoff += n;
		f->sent += n;
	}
	/* Rate: bytes in flight and nothing awaited before: the server owes
	 * us an echo from now on. */
	if (cl->mode == MODE_RATE && !f->wait_ms && f->sent > f->echoed)
		f->wait_ms = tr_now_ms();
	if (flow_set_events(cl, f, f->txoff < f->txlen ||
				     f->generated < f->to_send))
		flow_fail_errno(cl, f, errno);
}

static void tcp_connected(struct client *cl, struct cl_flow *f)
{
	struct sockaddr_in peer;
	socklen_t pl = sizeof(peer);
	char buf[32];
	int err = 0;
	socklen_t el = sizeof(err);

	if (getsockopt(f->fd, SOL_SOCKET, SO_ERROR, &err, &el) || err) {
		flow_fail_errno(cl, f, err ? err : errno);
		return;
	}
	if (getpeername(f->fd, (struct sockaddr *)&peer, &pl)) {
		if (errno == ENOTCONN)
			return;	/* not yet: spurious wake-up */
		flow_fail_errno(cl, f, errno);
		return;
	}
	f->conn_ms = tr_now_ms();
	if (cl->mode == MODE_RATE)
		f->wait_ms = f->conn_ms;	/* for the BATON line */
	tr_set_add(&cl->seen_peer, tr_fmt_sa(&peer, buf, sizeof(buf)));
	if (!same_sa(&peer, &cl->target)) {
		flow_finish(cl, f, RES_WRONG_PEER);
		return;
	}
	f->state = CL_BANNER;
	if (flow_set_events(cl, f, false))
		flow_fail_errno(cl, f, errno);
}

/* Data after the banner: must be the next bytes of what we sent. */
static void tcp_echo(struct client *cl, struct cl_flow *f,
		     const uint8_t *buf, size_t n)
{
	int64_t now = tr_now_ms();

	if (!n)
		return;
	if (f->echoed + n > f->sent || !tr_rng_check(&f->rx, buf, n)) {
		flow_finish(cl, f, RES_BAD_BYTES);
		return;
	}
	f->echoed += n;
	if (cl->mode == MODE_RATE) {
		if (f->wait_ms && now - f->wait_ms > f->max_pause_ms)
			f->max_pause_ms = now - f->wait_ms;
		f->wait_ms = f->echoed < f->sent ? now : 0;
	} else if (now - f->last_rx_ms > f->max_pause_ms) {
		f->max_pause_ms = now - f->last_rx_ms;
	}
	f->last_rx_ms = now;
	timeline_add(cl, f, now, n);
}

static bool tcp_complete(struct client *cl, struct cl_flow *f)
{
	if (cl->mode == MODE_STREAMS && tr_now_ms() < cl->stream_end_ms)
		return false;
	if (cl->mode == MODE_RATE && f->to_send < cl->bytes)
		return false;
	return f->state == CL_DATA && f->echoed == f->to_send &&
	       f->sent == f->to_send;
}

/*
 * Rate: release the chunks that are due. Chunk i of n goes out i * H /
 * (n - 1) ms after the BATON line, so the last one at H. Returns when the
 * next one is due (INT64_MAX: none).
 */
static int64_t rate_flow_pace(struct client *cl, struct cl_flow *f,
			      int64_t now)
{
	uint64_t n = cl->rate_chunks, due;
	int64_t el = now - f->est_ms;

	if (f->state != CL_DATA || f->to_send >= cl->bytes)
		return INT64_MAX;
	if (n <= 1 || el >= (int64_t)cl->hold_ms)
		due = n;
	else
		due = (uint64_t)el * (n - 1) / cl->hold_ms + 1;
	if (cl->bytes * due / n > f->to_send) {
		f->to_send = cl->bytes * due / n;
		tcp_send(cl, f);
	}
	if (due >= n)
		return INT64_MAX;
	return f->est_ms + (due * cl->hold_ms + n - 2) / (n - 1);
}

static void tcp_established(struct client *cl, struct cl_flow *f)
{
	int64_t now = tr_now_ms();

	f->state = CL_DATA;
	f->est_ms = f->last_rx_ms = now;
	if (cl->mode == MODE_RATE) {
		if (f->wait_ms && now - f->wait_ms > f->max_pause_ms)
			f->max_pause_ms = now - f->wait_ms;
		f->wait_ms = 0;
		rate_flow_pace(cl, f, now);
	} else if (f->to_send) {
		tcp_send(cl, f);
	}
}

static void tcp_readable(struct client *cl, struct cl_flow *f)
{
	static uint8_t buf[CL_RXBUF];

	for (int i = 0; i < 16 && f->state != CL_DONE; i++) {
		ssize_t n = recv(f->fd, buf, sizeof(buf), 0);
		size_t used = 0;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				flow_fail_errno(cl, f, errno);
			return;
		}
		if (n == 0) {
			flow_finish(cl, f, f->state == CL_BANNER ?
					   RES_BAD_BANNER : RES_EOF);
			return;
		}
		if (f->state == CL_BANNER) {
			while (used < (size_t)n && f->state == CL_BANNER) {
				char ch = buf[used++];

				if (ch == '\n') {
					f->banner[f->blen] = '\0';
					note_banner(cl, f, f->banner);
					if (f->state != CL_DONE)
						tcp_established(cl, f);
				} else if (f->blen + 1 >= TR_BANNER_MAX) {
					flow_finish(cl, f, RES_BAD_BANNER);
				} else {
					f->banner[f->blen++] = ch;
				}
			}
			if (f->state == CL_DONE)
				return;
		}
		if (f->state == CL_DATA)
			tcp_echo(cl, f, buf + used, n - used);
		if (f->state == CL_DATA && tcp_complete(cl, f)) {
			flow_finish(cl, f, RES_OK);
			return;
		}
	}
}

static void tcp_event(struct client *cl, struct cl_flow *f, uint32_t ev)
{
	if (f->state == CL_CONNECTING) {
		if (!(ev & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
			return;
		tcp_connected(cl, f);
		if (f->state == CL_DONE || f->state == CL_CONNECTING)
			return;
	}
	if (ev & (EPOLLIN | EPOLLERR | EPOLLHUP))
		tcp_readable(cl, f);
	if (f->state == CL_DATA && (ev & EPOLLOUT))
		tcp_send(cl, f);
	if (f->state == CL_DATA && tcp_complete(cl, f))
		flow_finish(cl, f, RES_OK);
}

/* ---- UDP --------------------------------------------------------------- */

static void udp_event(struct client *cl, struct cl_flow *f)
{
	static uint8_t buf[CL_RXBUF];
	struct sockaddr_in from;
	socklen_t fl = sizeof(from);
	char addr[32];
	uint8_t *nl;
	ssize_t n;

	n = recvfrom(f->fd, buf, sizeof(buf) - 1, 0, (struct sockaddr *)&from,
		     &fl);
	if (n < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			flow_fail_errno(cl, f, errno);
		return;
	}
	tr_set_add(&cl->seen_peer, tr_fmt_sa(&from, addr, sizeof(addr)));
	if (!same_sa(&from, &cl->target)) {
		flow_finish(cl, f, RES_WRONG_PEER);
		return;
	}
	f->conn_ms = tr_now_ms();
	nl = memchr(buf, '\n', n);
	if (!nl) {
		flow_finish(cl, f, RES_BAD_BANNER);
		return;
	}
	*nl = '\0';
	note_banner(cl, f, (char *)buf);
	if (f->state == CL_DONE)
		return;
	n -= nl + 1 - buf;
	if ((uint64_t)n != f->sent || !tr_rng_check(&f->rx, nl + 1, n)) {
		flow_finish(cl, f, RES_BAD_BYTES);
		return;
	}
	f->echoed = n;
	flow_finish(cl, f, RES_OK);
}

/* ---- UDP streams -------------------------------------------------------- */

/* The bytes of datagram seq after its sequence number. */
static void udp_seq_rng(const struct cl_flow *f, uint32_t seq,
			struct tr_rng *r)
{
	tr_rng_init(r, f->seed + seq);
}

/* One datagram. false if the socket cannot take more this turn. */
static bool udp_stream_send(struct client *cl, struct cl_flow *f, int64_t now)
{
	uint8_t buf[CL_MAX_UDP_PAYLOAD];
	uint32_t seq = f->sent, be = htonl(seq);
	struct tr_rng r;

	memcpy(buf, &be, CL_UDP_SEQ);
	udp_seq_rng(f, seq, &r);
	tr_rng_fill(&r, buf + CL_UDP_SEQ, cl->bytes - CL_UDP_SEQ);
	if (send(f->fd, buf, cl->bytes, 0) < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK ||
		    errno == ENOBUFS)
			return false;
		/* Most likely an ICMP error a previous datagram earned
		 * (connected UDP reports them on the next call). The flow
		 * may still recover: note it, the end decides. */
		if (errno != EINTR)
			f->err = errno;
		return true;
	}
	/* The slot now stands for seq, no longer for seq - CL_UDP_WIN. */
	f->win[(seq % CL_UDP_WIN) / 64] &= ~(1ULL << (seq % 64));
	if (!f->sent)
		f->last_rx_ms = now;	/* pauses count from the first send */
	f->sent++;
	f->last_tx_ms = now;
	return true;
}

/* The stream is over: judge it (see the top of the file). */
static void udp_stream_end(struct client *cl, struct cl_flow *f)
{
	enum cl_result r;

	if (f->state != CL_UDP_STREAM)
		return;
	/* Gone silent: nothing came back from the last reply (or the first
	 * send) to the last send. */
	if (f->sent && f->last_tx_ms - f->last_rx_ms > f->max_pause_ms)
		f->max_pause_ms = f->last_tx_ms - f->last_rx_ms;
	if (f->moved) {
		r = RES_MOVED;
	} else if (f->tail_ok) {
		r = RES_OK;
	} else if (f->err) {
		flow_fail_errno(cl, f, f->err);
		return;
	} else {
		r = RES_TIMEOUT;
	}
	flow_finish(cl, f, r);
}

/* After --duration: done once the last datagram is answered, or when the
 * wait for it is over. */
static void udp_stream_check(struct client *cl, struct cl_flow *f,
			     int64_t now)
{
	uint64_t last = f->sent - 1;

	if (f->state != CL_UDP_STREAM || now < cl->stream_end_ms)
		return;
	if ((f->sent >= cl->udp_total &&
	     (f->win[(last % CL_UDP_WIN) / 64] & (1ULL << (last % 64)))) ||
	    now >= cl->stream_end_ms + (int64_t)cl->udp_wait_ms)
		udp_stream_end(cl, f);
}

static void udp_stream_reply(struct client *cl, struct cl_flow *f,
			     uint8_t *buf, size_t n,
			     const struct sockaddr_in *from, int64_t now)
{
	char name[TR_NAME_MAX], ip[INET_ADDRSTRLEN], addr[32];
	uint64_t *word, bit;
	struct tr_rng r;
	uint8_t *nl, *p;
	uint32_t seq;
	size_t len;

	if (!same_sa(from, &cl->target)) {
		tr_set_add(&cl->seen_peer, tr_fmt_sa(from, addr, sizeof(addr)));
		flow_finish(cl, f, RES_WRONG_PEER);
		return;
	}
	nl = memchr(buf, '\n', n);
	if (!nl) {
		flow_finish(cl, f, RES_BAD_BANNER);
		return;
	}
	*nl = '\0';
	if (tr_parse_banner((char *)buf, name, ip)) {
		flow_finish(cl, f, RES_BAD_BANNER);
		return;
	}
	p = nl + 1;
	len = n - (p - buf);
	if (len != cl->bytes) {
		flow_finish(cl, f, RES_BAD_BYTES);
		return;
	}
	memcpy(&seq, p, CL_UDP_SEQ);
	seq = ntohl(seq);
	udp_seq_rng(f, seq, &r);
	if (seq >= f->sent ||
	    !tr_rng_check(&r, p + CL_UDP_SEQ, len - CL_UDP_SEQ)) {
		flow_finish(cl, f, RES_BAD_BYTES);
		return;
	}
	/* A valid reply. Its backend: the first one is the stream's, any
	 * other one means the flow lost it - duplicates and late replies
	 * included, as they too were answered by that backend. */
	if (!f->backend[0]) {
		snprintf(f->backend, sizeof(f->backend), "%s", name);
		tr_set_add(&cl->backends, name);
		tr_set_add(&cl->seen_client, ip);
		tr_set_add(&cl->seen_peer, tr_fmt_sa(from, addr, sizeof(addr)));
		f->conn_ms = now;
	} else if (strcmp(name, f->backend)) {
		if (!f->moved_to[0]) {
			snprintf(f->moved_to, sizeof(f->moved_to), "%s", name);
			tr_set_add(&cl->backends, name);
		}
		f->moved++;
	}
	if ((uint64_t)seq + CL_UDP_WIN <= f->sent) {
		f->late++;	/* its slot was reused: cannot tell a dup */
		return;
	}
	word = &f->win[(seq % CL_UDP_WIN) / 64];
	bit = 1ULL << (seq % 64);
	if (*word & bit) {
		f->dup++;
		return;
	}
	*word |= bit;
	f->answered++;
	f->echoed += len;
	if (seq >= cl->udp_tail_seq)
		f->tail_ok = true;
	if (now - f->last_rx_ms > f->max_pause_ms)
		f->max_pause_ms = now - f->last_rx_ms;
	f->last_rx_ms = now;
	timeline_add(cl, f, now, len);
}

static void udp_stream_event(struct client *cl, struct cl_flow *f)
{
	static uint8_t buf[CL_RXBUF];
	int64_t now = tr_now_ms();

	/* Bounded: be fair to the other streams. */
	for (int i = 0; i < 64 && f->state == CL_UDP_STREAM; i++) {
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);
		ssize_t n;

		n = recvfrom(f->fd, buf, sizeof(buf) - 1, 0,
			     (struct sockaddr *)&from, &fl);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			/* An ICMP error (refused, unreachable): reported
			 * once, and the flow may recover. */
			if (errno != EINTR)
				f->err = errno;
			continue;
		}
		udp_stream_reply(cl, f, buf, n, &from, now);
	}
	udp_stream_check(cl, f, now);
}

/* ---- pacing ------------------------------------------------------------- */

/*
 * Streams: grow each stream's budget with time, stop growing at the end.
 * Returns when the next tick is due.
 */
static int64_t streams_pace(struct client *cl, int64_t now)
{
	int64_t t = now < cl->stream_end_ms ? now : cl->stream_end_ms;
	uint64_t ticks = (t - cl->start_ms) / cl->interval_ms + 1;
	int64_t next;

	for (size_t i = 0; i < cl->nflows; i++) {
		struct cl_flow *f = cl->flows[i];

		if (f->state == CL_UDP_STREAM) {
			/* A late loop catches up, a few datagrams a turn. */
			for (int k = 0; k < CL_UDP_BURST &&
					f->state == CL_UDP_STREAM &&
					f->sent < ticks; k++)
				if (!udp_stream_send(cl, f, now))
					break;
			udp_stream_check(cl, f, now);
			continue;
		}
		if (f->state != CL_DATA)
			continue;
		if (f->to_send < ticks * cl->chunk) {
			f->to_send = ticks * cl->chunk;
			tcp_send(cl, f);
		}
		if (f->state == CL_DATA && tcp_complete(cl, f))
			flow_finish(cl, f, RES_OK);
	}
	if (now >= cl->stream_end_ms)
		return cl->udp ? cl->stream_end_ms + (int64_t)cl->udp_wait_ms :
				 cl->deadline_ms;
	next = cl->start_ms + ticks * cl->interval_ms;
	/* The end is a tick too: streams complete there. */
	return next < cl->stream_end_ms ? next : cl->stream_end_ms;
}

static struct cl_flow *next_flow(struct client *cl)
{
	struct cl_flow *f;

	if (cl->mode == MODE_STREAMS)
		return cl->flows[cl->started];
	/* Exchanges and rate reuse finished slots. */
	if (!cl->nfree)
		return NULL;
	f = cl->freel[--cl->nfree];
	memset(f, 0, offsetof(struct cl_flow, txbuf));
	f->fd = -1;
	return f;
}

static int64_t rate_due(struct client *cl, uint64_t k)
{
	return cl->start_ms + (int64_t)(k * 1000 / cl->rate);
}

/*
 * Rate: start the connections that are due, at most CL_RATE_BURST a turn
 * so that a late loop catches up without a burst. A start beyond the open
 * bound, or due so long ago that the loop gets to it only CL_RATE_LATE_MS
 * after the end of --duration, is skipped: a loop busy with a burst (every
 * connection a pause held back resuming at once) is late by tens of ms,
 * which is no reason to drop the last starts. Returns when the next
 * start is due.
 */
static int64_t rate_start(struct client *cl, int64_t now)
{
	for (int i = 0; cl->next_id < cl->total;) {
		int64_t due = rate_due(cl, cl->next_id);
		struct cl_flow *f;

		if (now >= cl->stream_end_ms + CL_RATE_LATE_MS) {
			flow_never(cl, RES_SKIPPED, now);
			continue;
		}
		if (due > now)
			return due;
		if (i++ == CL_RATE_BURST)
			return now;	/* more are due: come back at once */
		f = cl->active < cl->parallel ? next_flow(cl) : NULL;
		if (!f) {
			flow_never(cl, RES_SKIPPED, now);
			continue;
		}
		flow_start(cl, f);
	}
	return INT64_MAX;
}

/* Rate: chunks that are due. Returns when the next one is. */
static int64_t rate_pace(struct client *cl, int64_t now)
{
	int64_t next = INT64_MAX;

	for (size_t i = cl->nact; i-- > 0;) {
		int64_t t = rate_flow_pace(cl, cl->act[i], now);

		if (t < next)
			next = t;
	}
	return next;
}

/* ---- the loop and the report ------------------------------------------- */

static void run(struct client *cl)
{
	struct epoll_event evs[256];

	while (!tr_stop && cl->finished < cl->total) {
		int64_t now = tr_now_ms(), next = now + 100, t, wait;
		int n;

		if (now >= cl->deadline_ms)
			break;
		if (cl->mode == MODE_RATE) {
			t = rate_start(cl, now);
			if (t < next)
				next = t;
			t = rate_pace(cl, now);
			if (t < next)
				next = t;
		} else {
			while (cl->active < cl->parallel &&
			       cl->started < cl->total) {
				struct cl_flow *f = next_flow(cl);

				if (!f)
					break;
				flow_start(cl, f);
			}
			if (cl->mode == MODE_STREAMS) {
				t = streams_pace(cl, now);
				if (t < next)
					next = t;
			}
		}
		if (cl->finished >= cl->total)
			break;
		if (next > cl->deadline_ms)
			next = cl->deadline_ms;
		wait = next > now ? next - now : 0;
		n = epoll_wait(cl->ep, evs, 256, (int)wait);
		for (int i = 0; i < n; i++) {
			struct cl_flow *f = evs[i].data.ptr;

			if (f->state == CL_DONE)
				continue;
			if (f->state == CL_UDP_STREAM)
				udp_stream_event(cl, f);
			else if (cl->udp)
				udp_event(cl, f);
			else
				tcp_event(cl, f, evs[i].events);
		}
	}
	/* Whatever is still open has run out of time. */
	for (size_t i = 0; i < cl->nflows; i++) {
		struct cl_flow *f = cl->flows[i];

		if (f->state == CL_DONE || (f->fd < 0 && !f->est_ms))
			continue;
		if (f->state == CL_UDP_STREAM)
			udp_stream_end(cl, f);
		else
			flow_finish(cl, f, RES_TIMEOUT);
	}
	/* And whatever never started. */
	while (cl->next_id < cl->total)
		flow_never(cl, cl->mode == MODE_RATE ? RES_SKIPPED :
						       RES_TIMEOUT,
			   tr_now_ms());
}

static void report_udp_streams(struct client *cl, FILE *out)
{
	uint64_t sent = 0, answered = 0, dup = 0, late = 0;

	for (size_t i = 0; i < cl->nflows; i++) {
		struct cl_flow *f = cl->flows[i];

		sent += f->sent;
		answered += f->answered;
		dup += f->dup;
		late += f->late;
	}
	fprintf(out, ",\"datagrams\":{\"sent\":%llu,\"answered\":%llu,"
		"\"lost\":%llu,\"dup\":%llu,\"late\":%llu}",
		(unsigned long long)sent, (unsigned long long)answered,
		(unsigned long long)(sent - answered), (unsigned long long)dup,
		(unsigned long long)late);
}

static void report(struct client *cl, FILE *out)
{
	char buf[32];
	uint64_t failed = cl->total - cl->results[RES_OK];
	int64_t max_pause = 0;

	fprintf(out, "{\"proto\":\"%s\",\"target\":\"%s\",\"mode\":\"%s\"",
		cl->udp ? "udp" : "tcp",
		tr_fmt_sa(&cl->target, buf, sizeof(buf)),
		mode_names[cl->mode]);
	fprintf(out, ",\"total\":%llu,\"failed\":%llu",
		(unsigned long long)cl->total, (unsigned long long)failed);
	for (int r = 0; r < RES_MAX; r++)
		fprintf(out, ",\"%s\":%llu", result_names[r],
			(unsigned long long)cl->results[r]);
	if (cl->results[RES_ERROR]) {
		fprintf(out, ",\"last_error\":");
		tr_json_str(out, strerror(cl->last_err));
	}
	tr_json_set_counts(out, "backends", &cl->backends);
	tr_json_set_keys(out, "seen_peer", &cl->seen_peer);
	tr_json_set_keys(out, "client_seen_by_server", &cl->seen_client);
	if (cl->mode == MODE_STREAMS) {
		fprintf(out, ",\"duration_s\":%llu,\"streams\":[",
			(unsigned long long)cl->duration_s);
		for (size_t i = 0; i < cl->nflows; i++) {
			struct cl_flow *f = cl->flows[i];

			if (f->max_pause_ms > max_pause)
				max_pause = f->max_pause_ms;
			fprintf(out, "%s{\"id\":%zu,\"backend\":", i ? "," : "",
				i);
			tr_json_str(out, f->backend);
			fprintf(out, ",\"result\":\"%s\",\"sent\":%llu,"
				"\"echoed\":%llu",
				result_names[f->result],
				(unsigned long long)f->sent,
				(unsigned long long)f->echoed);
			if (cl->udp) {
				fprintf(out, ",\"answered\":%llu,\"lost\":%llu,"
					"\"moved\":%llu",
					(unsigned long long)f->answered,
					(unsigned long long)(f->sent -
							     f->answered),
					(unsigned long long)f->moved);
				if (f->moved_to[0]) {
					fprintf(out, ",\"moved_to\":");
					tr_json_str(out, f->moved_to);
				}
				fprintf(out, ",\"dup\":%llu,\"late\":%llu",
					(unsigned long long)f->dup,
					(unsigned long long)f->late);
			}
			fprintf(out, ",\"max_pause_ms\":%lld}",
				(long long)f->max_pause_ms);
		}
		fprintf(out, "],\"max_pause_ms\":%lld", (long long)max_pause);
		if (cl->udp)
			report_udp_streams(cl, out);
		tr_json_pauses(out, "pause_ms", &cl->pauses);
	} else if (cl->mode == MODE_RATE) {
		fprintf(out, ",\"duration_s\":%llu,\"rate\":%llu,"
			"\"hold_ms\":%llu,\"max_open\":%llu,"
			"\"max_pause_ms\":%lld",
			(unsigned long long)cl->duration_s,
			(unsigned long long)cl->rate,
			(unsigned long long)cl->hold_ms,
			(unsigned long long)cl->max_open,
			(long long)(cl->pauses.n ? cl->pauses.max : 0));
		tr_json_pauses(out, "pause_ms", &cl->pauses);
	}
	fprintf(out, ",\"elapsed_ms\":%lld}\n",
		(long long)(tr_now_ms() - cl->start_ms));
}

static int write_timeline(struct client *cl)
{
	FILE *f = fopen(cl->timeline_path, "w");

	if (!f)
		return -errno;
	fprintf(f, "# t_s echoed_bytes streams_with_data\n");
	for (size_t b = 0; b < cl->tl_n; b++)
		fprintf(f, "%.3f %llu %u\n", b * CL_TIMELINE_MS / 1000.0,
			(unsigned long long)cl->tl_bytes[b], cl->tl_streams[b]);
	return fclose(f) ? -errno : 0;
}

/* The matrix up to column cols (the buckets the run lasted). */
static int write_timeline_flows(struct client *cl, size_t cols)
{
	FILE *f = fopen(cl->tlf_path, "w");
	char addr[32];

	if (!f)
		return -errno;
	if (cols > cl->tlf_cols)
		cols = cl->tlf_cols;
	fprintf(f, "# baton-traffic client --timeline-flows: %s streams to "
		"%s, %zu rows x %zu columns\n", cl->udp ? "udp" : "tcp",
		tr_fmt_sa(&cl->target, addr, sizeof(addr)), cl->nflows, cols);
	fprintf(f, "# row i = stream i (the JSON's streams[i]); column j = "
		"bytes echoed to it%s\n# in [j*%d, (j+1)*%d) ms after "
		"t0_ms=%lld (CLOCK_REALTIME, the client's start)\n",
		cl->udp ? " (payload of counted replies)" : "", CL_TIMELINE_MS,
		CL_TIMELINE_MS, (long long)(cl->start_ms + cl->real_off));
	fprintf(f, "# gnuplot: plot 'FILE' matrix with image\n");
	for (size_t i = 0; i < cl->nflows; i++) {
		const uint32_t *row = &cl->tlf[i * cl->tlf_cols];

		for (size_t j = 0; j < cols; j++)
			fprintf(f, j ? " %u" : "%u", row[j]);
		fputc('\n', f);
	}
	if (ferror(f)) {
		fclose(f);
		return -EIO;
	}
	return fclose(f) ? -errno : 0;
}

int tr_client_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "tcp", required_argument, NULL, 't' },
		{ "udp", required_argument, NULL, 'u' },
		{ "conns", required_argument, NULL, 'n' },
		{ "count", required_argument, NULL, 'n' },
		{ "parallel", required_argument, NULL, 'p' },
		{ "bytes", required_argument, NULL, 'b' },
		{ "timeout-ms", required_argument, NULL, 'T' },
		{ "streams", required_argument, NULL, 's' },
		{ "duration", required_argument, NULL, 'd' },
		{ "chunk", required_argument, NULL, 'c' },
		{ "interval-ms", required_argument, NULL, 'I' },
		{ "timeline", required_argument, NULL, 'l' },
		{ "timeline-flows", required_argument, NULL, 'L' },
		{ "rate", required_argument, NULL, 'r' },
		{ "hold-ms", required_argument, NULL, 'H' },
		{ "flows-out", required_argument, NULL, 'o' },
		{ "bind", required_argument, NULL, 'B' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct client *cl = calloc(1, sizeof(*cl));
	const char *target = NULL;
	bool have_n = false, have_bytes = false, have_timeout = false;
	bool have_chunk = false, have_parallel = false, have_hold = false;
	uint64_t streams = 0;
	size_t span;
	int c, rc = 2, err;

	if (!cl)
		return 1;
	cl->ep = -1;
	cl->parallel = 32;
	cl->timeout_ms = 10000;
	cl->chunk = 512;
	cl->interval_ms = 10;
	cl->hold_ms = 200;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		int bad = 0;

		switch (c) {
		case 't':
		case 'u':
			if (target)
				bad = 1;
			target = optarg;
			cl->udp = c == 'u';
			bad |= tr_parse_addr_port(optarg, &cl->target);
			break;
		case 'n':
			have_n = true;
			bad = tr_parse_u64(optarg, 1, 10000000, &cl->total);
			break;
		case 'p':
			have_parallel = true;
			bad = tr_parse_u64(optarg, 1, 4096, &cl->parallel);
			break;
		case 'b':
			have_bytes = true;
			bad = tr_parse_u64(optarg, 0, 1ULL << 40, &cl->bytes);
			break;
		case 'T':
			have_timeout = true;
			bad = tr_parse_u64(optarg, 1, 86400000,
					   &cl->timeout_ms);
			break;
		case 's':
			bad = tr_parse_u64(optarg, 1, CL_MAX_STREAMS, &streams);
			break;
		case 'd':
			bad = tr_parse_u64(optarg, 1, 86400, &cl->duration_s);
			break;
		case 'c':
			have_chunk = true;
			bad = tr_parse_u64(optarg, 1, CL_TXBUF, &cl->chunk);
			break;
		case 'I':
			bad = tr_parse_u64(optarg, 1, 10000, &cl->interval_ms);
			break;
		case 'l':
			cl->timeline_path = optarg;
			break;
		case 'L':
			cl->tlf_path = optarg;
			break;
		case 'r':
			bad = tr_parse_u64(optarg, 1, CL_RATE_MAX, &cl->rate);
			break;
		case 'H':
			have_hold = true;
			bad = tr_parse_u64(optarg, 0, 600000, &cl->hold_ms);
			break;
		case 'o':
			cl->flows_path = optarg;
			break;
		case 'B':
			cl->have_src = true;
			cl->src.sin_family = AF_INET;
			bad = inet_pton(AF_INET, optarg,
					&cl->src.sin_addr) != 1;
			break;
		case 'h':
			cl_usage(stdout);
			rc = 0;
			goto out_free;
		default:
			goto out_usage;
		}
		if (bad) {
			fprintf(stderr, "baton-traffic client: bad argument "
				"'%s'\n", optarg);
			goto out_usage;
		}
	}
	if (!target || optind != argc)
		goto out_usage;
	/* Exactly one of --conns/--count, --streams and --rate. */
	if ((have_n ? 1 : 0) + (streams ? 1 : 0) + (cl->rate ? 1 : 0) != 1)
		goto out_usage;
	if (streams) {
		if (!cl->duration_s || (cl->udp && have_chunk))
			goto out_usage;
		cl->mode = MODE_STREAMS;
		cl->total = cl->parallel = streams;
	} else if (cl->rate) {
		if (cl->udp || !cl->duration_s)
			goto out_usage;
		cl->mode = MODE_RATE;
		cl->total = cl->rate * cl->duration_s;
		if (!have_parallel)
			cl->parallel = CL_RATE_OPEN;
	} else if (cl->duration_s) {
		goto out_usage;
	}
	if ((cl->timeline_path || cl->tlf_path) && cl->mode != MODE_STREAMS)
		goto out_usage;
	if (have_hold && cl->mode != MODE_RATE)
		goto out_usage;
	if (cl->udp) {
		uint64_t min = cl->mode == MODE_STREAMS ? CL_UDP_MIN : 1;

		if (!have_bytes)
			cl->bytes = 32;
		if (cl->bytes < min || cl->bytes > CL_MAX_UDP_PAYLOAD) {
			fprintf(stderr, "baton-traffic client: udp --bytes "
				"must be %llu..%d\n", (unsigned long long)min,
				CL_MAX_UDP_PAYLOAD);
			goto out_usage;
		}
	} else if (!have_bytes) {
		cl->bytes = cl->mode == MODE_RATE ? 4096 : 1024;
	}
	if (cl->udp && cl->mode == MODE_STREAMS) {
		uint64_t dur = cl->duration_s * 1000, tail = CL_UDP_TAIL_MS;

		/* A lost last datagram must not hold the run for the
		 * whole --timeout-ms (a drill passes 20 s for its TCP). */
		cl->udp_wait_ms = cl->timeout_ms < CL_UDP_WAIT_MS ?
					  cl->timeout_ms : CL_UDP_WAIT_MS;
		if (!have_timeout)
			cl->timeout_ms = cl->udp_wait_ms;
		cl->udp_total = dur / cl->interval_ms + 1;
		if (tail < cl->interval_ms)
			tail = cl->interval_ms;
		cl->udp_tail_seq = dur > tail ? (dur - tail + cl->interval_ms -
						 1) / cl->interval_ms : 0;
	}
	cl->rate_chunks = cl->bytes < CL_RATE_CHUNKS ? cl->bytes :
						       CL_RATE_CHUNKS;

	tr_install_stop_handler();
	cl->ep = epoll_create1(EPOLL_CLOEXEC);
	if (cl->ep < 0) {
		perror("baton-traffic client: epoll_create1");
		rc = 1;
		goto out_free;
	}
	cl->nflows = cl->mode == MODE_STREAMS ? cl->total : cl->parallel;
	if (cl->mode != MODE_STREAMS && cl->nflows > cl->total)
		cl->nflows = cl->total;
	cl->flows = calloc(cl->nflows, sizeof(*cl->flows));
	cl->freel = calloc(cl->nflows, sizeof(*cl->freel));
	cl->act = calloc(cl->nflows, sizeof(*cl->act));
	if (!cl->flows || !cl->freel || !cl->act)
		goto out_nomem;
	for (size_t i = 0; i < cl->nflows; i++) {
		cl->flows[i] = flow_new(cl);
		if (!cl->flows[i])
			goto out_nomem;
		cl->flows[i]->state = CL_DONE;	/* free slot */
		/* Reversed, so that slot 0 is taken first. */
		cl->freel[cl->nflows - 1 - i] = cl->flows[i];
	}
	cl->nfree = cl->mode == MODE_STREAMS ? 0 : cl->nflows;
	if (cl->mode != MODE_EXCHANGES && tr_hist_init(&cl->pauses))
		goto out_nomem;
	/* Buckets from the start to the deadline. */
	span = (cl->duration_s * 1000 + cl->timeout_ms) / CL_TIMELINE_MS + 1;
	if (cl->timeline_path) {
		cl->tl_n = span;
		cl->tl_bytes = calloc(cl->tl_n, sizeof(*cl->tl_bytes));
		cl->tl_streams = calloc(cl->tl_n, sizeof(*cl->tl_streams));
		cl->tl_last = calloc(cl->nflows, sizeof(*cl->tl_last));
		if (!cl->tl_bytes || !cl->tl_streams || !cl->tl_last)
			goto out_nomem;
		for (size_t i = 0; i < cl->nflows; i++)
			cl->tl_last[i] = -1;
	}
	if (cl->tlf_path) {
		cl->tlf_cols = span;
		if (cl->tlf_cols > CL_TLF_MAX_CELLS / cl->nflows) {
			fprintf(stderr, "baton-traffic client: "
				"--timeline-flows: %zu streams x %zu buckets "
				"of %d ms is over %u cells; shorten --duration "
				"or --timeout-ms\n", cl->nflows, cl->tlf_cols,
				CL_TIMELINE_MS, CL_TLF_MAX_CELLS);
			goto out_usage;
		}
		cl->tlf = calloc(cl->nflows * cl->tlf_cols, sizeof(*cl->tlf));
		if (!cl->tlf)
			goto out_nomem;
	}
	if (cl->flows_path) {
		cl->flows_out = fopen(cl->flows_path, "w");
		if (!cl->flows_out) {
			fprintf(stderr, "baton-traffic client: %s: %s\n",
				cl->flows_path, strerror(errno));
			rc = 1;
			goto out_free;
		}
		fprintf(cl->flows_out, "# id kind result t_start_ms t_est_ms "
			"t_end_ms backend max_pause_ms sport\n");
	}
	/* Streams are started in order; one never started (stopped by a
	 * signal first) reports as a timeout, not as the zeroed "ok". */
	if (cl->mode == MODE_STREAMS)
		for (size_t i = 0; i < cl->nflows; i++) {
			cl->flows[i]->state = CL_CONNECTING;
			cl->flows[i]->result = RES_TIMEOUT;
		}

	cl->start_ms = tr_now_ms();
	cl->real_off = tr_realtime_ms() - cl->start_ms;
	cl->stream_end_ms = cl->start_ms + cl->duration_s * 1000;
	cl->deadline_ms = cl->stream_end_ms + cl->timeout_ms;
	run(cl);
	if (cl->flows_out) {
		err = ferror(cl->flows_out) ? -EIO : 0;
		if (fclose(cl->flows_out) && !err)
			err = -errno;
		cl->flows_out = NULL;
		if (err)
			fprintf(stderr, "baton-traffic client: %s: %s\n",
				cl->flows_path, strerror(-err));
	} else {
		err = 0;
	}
	report(cl, stdout);
	fflush(stdout);
	tr_exit_if_stopped();
	rc = cl->results[RES_OK] == cl->total && !err ? 0 : 1;
	if (cl->timeline_path || cl->tlf_path) {
		size_t cols = (tr_now_ms() - cl->start_ms) / CL_TIMELINE_MS + 1;

		if (cl->timeline_path) {
			/* A run may end a bucket past the deadline. */
			if (cols < cl->tl_n)
				cl->tl_n = cols;
			err = write_timeline(cl);
			if (err) {
				fprintf(stderr, "baton-traffic client: %s: "
					"%s\n", cl->timeline_path,
					strerror(-err));
				rc = 1;
			}
		}
		if (cl->tlf_path) {
			err = write_timeline_flows(cl, cols);
			if (err) {
				fprintf(stderr, "baton-traffic client: %s: "
					"%s\n", cl->tlf_path, strerror(-err));
				rc = 1;
			}
		}
	}
	goto out_free;
out_nomem:
	fprintf(stderr, "baton-traffic client: out of memory\n");
	rc = 1;
	goto out_free;
out_usage:
	cl_usage(stderr);
out_free:
	if (cl->flows_out)
		fclose(cl->flows_out);
	if (cl->flows)
		for (size_t i = 0; i < cl->nflows; i++)
			free(cl->flows[i]);
	free(cl->flows);
	free(cl->freel);
	free(cl->act);
	tr_hist_free(&cl->pauses);
	free(cl->tl_bytes);
	free(cl->tl_streams);
	free(cl->tl_last);
	free(cl->tlf);
	if (cl->ep >= 0)
		close(cl->ep);
	free(cl);
	return rc;
}
