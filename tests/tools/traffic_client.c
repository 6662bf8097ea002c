/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * traffic_client.c - `baton-traffic client`: drives flows at a VIP and
 * checks each one end to end.
 *
 * Three kinds of flow, all run by one epoll loop under one deadline:
 *  - TCP exchange (--tcp ... --conns N): connect, read the server's BATON
 *    line, send B pseudo-random bytes, verify every echoed byte, check that
 *    getpeername() is the target, close. At most P at once.
 *  - TCP stream (--tcp ... --streams N --duration S): N long-lived
 *    connections, each sending --chunk bytes every --interval-ms for S
 *    seconds and verifying the echo continuously; the longest gap between
 *    two echo arrivals is the stream's pause (what a failover costs).
 *  - UDP exchange (--udp ... --count N): one datagram from a fresh socket
 *    (fresh source port, so a new flow for the balancer), the reply must
 *    come from the target and carry the BATON line and the same payload.
 *
 * Every flow ends with exactly one result (ok, reset, timeout, ...); the
 * summary is one JSON line on stdout, and the exit status is 0 only if no
 * flow failed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
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
#define CL_TIMELINE_MS 100	/* bucket width of --timeline */

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
	RES_MAX
};

static const char *const result_names[RES_MAX] = {
	"ok", "reset", "refused", "timeout", "wrong_peer",
	"bad_bytes", "bad_banner", "eof", "error",
};

enum cl_state { CL_CONNECTING, CL_BANNER, CL_DATA, CL_UDP_WAIT, CL_DONE };

struct cl_flow {
	int fd;
	int id;
	enum cl_state state;
	enum cl_result result;
	uint64_t seed;
	struct tr_rng tx, rx;
	uint64_t to_send;	/* bytes to send in all; streams: grows */
	uint64_t generated;	/* bytes taken from tx so far */
	uint64_t sent, echoed;
	bool want_out;
	size_t txoff, txlen;
	uint8_t txbuf[CL_TXBUF];
	size_t blen;
	char banner[TR_BANNER_MAX];
	char backend[TR_NAME_MAX];
	int64_t est_ms, last_rx_ms, max_pause_ms;
	int err;		/* errno behind RES_ERROR, for the report */
};

struct client {
	bool udp, streams;
	struct sockaddr_in target;
	struct sockaddr_in src;		/* --bind, port 0 */
	bool have_src;
	uint64_t total;		/* flows to run */
	uint64_t parallel;
	uint64_t bytes;
	uint64_t timeout_ms;
	uint64_t duration_s, chunk, interval_ms;
	const char *timeline_path;

	int ep;
	int64_t start_ms, stream_end_ms, deadline_ms;
	uint64_t started, finished, active;
	uint64_t results[RES_MAX];
	int last_err;
	struct tr_set backends, seen_peer, seen_client;
	struct cl_flow **flows;	/* streams: all of them; else a free list */
	size_t nflows;
	uint64_t *tl_bytes;	/* timeline buckets */
	uint32_t *tl_streams;
	int64_t *tl_last;	/* per stream: last bucket it was counted in */
	size_t tl_n;
};

static void cl_usage(FILE *f)
{
	fprintf(f,
		"usage: baton-traffic client --tcp ADDR:PORT --conns N "
		"[--parallel P] [--bytes B]\n"
		"       baton-traffic client --tcp ADDR:PORT --streams N "
		"--duration S [--chunk B]\n"
		"                            [--interval-ms I] "
		"[--timeline FILE]\n"
		"       baton-traffic client --udp ADDR:PORT --count N "
		"[--parallel P] [--bytes B]\n"
		"  common: [--timeout-ms T] (default 10000) [--bind ADDR]\n"
		"  prints one JSON line; exit 0 only if no flow failed\n");
}

/* ---- flow lifecycle ---------------------------------------------------- */

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
	if (cl->streams && f->est_ms && r != RES_OK &&
	    now - f->last_rx_ms > f->max_pause_ms)
		f->max_pause_ms = now - f->last_rx_ms;
	f->state = CL_DONE;
	f->result = r;
	if (r == RES_ERROR)
		cl->last_err = f->err;
	cl->results[r]++;
	cl->finished++;
	cl->active--;
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

static void flow_start(struct client *cl, struct cl_flow *f)
{
	uint8_t payload[CL_MAX_UDP_PAYLOAD];
	int err;

	f->id = cl->started++;
	cl->active++;
	f->seed = tr_seed();
	tr_rng_init(&f->tx, f->seed);
	tr_rng_init(&f->rx, f->seed);
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
	f->to_send = cl->streams ? 0 : cl->bytes;
	err = flow_socket(cl, f, SOCK_STREAM);
	if (err)
		goto out_fail;
	if (connect(f->fd, (struct sockaddr *)&cl->target,
		    sizeof(cl->target)) && errno != EINPROGRESS) {
		err = -errno;
		goto out_fail;
	}
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
	if (now - f->last_rx_ms > f->max_pause_ms)
		f->max_pause_ms = now - f->last_rx_ms;
	f->last_rx_ms = now;
	if (cl->tl_bytes) {
		size_t b = (now - cl->start_ms) / CL_TIMELINE_MS;

		if (b < cl->tl_n) {
			cl->tl_bytes[b] += n;
			if (cl->tl_last[f->id] != (int64_t)b) {
				cl->tl_last[f->id] = b;
				cl->tl_streams[b]++;
			}
		}
	}
}

static void tcp_established(struct client *cl, struct cl_flow *f)
{
	f->state = CL_DATA;
	f->est_ms = f->last_rx_ms = tr_now_ms();
	if (f->to_send)
		tcp_send(cl, f);
}

static bool tcp_complete(struct client *cl, struct cl_flow *f)
{
	if (cl->streams && tr_now_ms() < cl->stream_end_ms)
		return false;
	return f->state == CL_DATA && f->echoed == f->to_send &&
	       f->sent == f->to_send;
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

/* Streams: grow each stream's budget with time, stop growing at the end. */
static void streams_pace(struct client *cl, int64_t now)
{
	uint64_t ticks;

	if (now >= cl->stream_end_ms)
		now = cl->stream_end_ms;
	ticks = (now - cl->start_ms) / cl->interval_ms + 1;
	for (size_t i = 0; i < cl->nflows; i++) {
		struct cl_flow *f = cl->flows[i];

		if (f->state != CL_DATA)
			continue;
		if (f->to_send < ticks * cl->chunk) {
			f->to_send = ticks * cl->chunk;
			tcp_send(cl, f);
		}
		if (f->state == CL_DATA && tcp_complete(cl, f))
			flow_finish(cl, f, RES_OK);
	}
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

/* ---- the loop and the report ------------------------------------------- */

static struct cl_flow *next_flow(struct client *cl)
{
	struct cl_flow *f;

	if (cl->streams)
		return cl->flows[cl->started];
	/* Exchanges reuse finished slots. */
	for (size_t i = 0; i < cl->nflows; i++) {
		f = cl->flows[i];
		if (f->state == CL_DONE) {
			memset(f, 0, sizeof(*f));
			f->fd = -1;
			return f;
		}
	}
	return NULL;
}

static void run(struct client *cl)
{
	struct epoll_event evs[256];

	while (!tr_stop && cl->finished < cl->total) {
		int64_t now = tr_now_ms(), wait;
		int n;

		if (now >= cl->deadline_ms)
			break;
		while (cl->active < cl->parallel && cl->started < cl->total) {
			struct cl_flow *f = next_flow(cl);

			if (!f)
				break;
			flow_start(cl, f);
		}
		if (cl->streams)
			streams_pace(cl, now);
		if (cl->finished >= cl->total)
			break;
		wait = cl->deadline_ms - now;
		if (cl->streams && wait > (int64_t)cl->interval_ms)
			wait = cl->interval_ms;
		if (wait > 100)
			wait = 100;
		n = epoll_wait(cl->ep, evs, 256, (int)wait);
		for (int i = 0; i < n; i++) {
			struct cl_flow *f = evs[i].data.ptr;

			if (f->state == CL_DONE)
				continue;
			if (cl->udp)
				udp_event(cl, f);
			else
				tcp_event(cl, f, evs[i].events);
		}
	}
	/* Whatever is still open has run out of time. */
	for (size_t i = 0; i < cl->nflows; i++) {
		struct cl_flow *f = cl->flows[i];

		if (f->state != CL_DONE && (f->fd >= 0 || f->est_ms))
			flow_finish(cl, f, RES_TIMEOUT);
	}
	cl->results[RES_TIMEOUT] += cl->total - cl->started;
	cl->finished += cl->total - cl->started;
}

static void report(struct client *cl, FILE *out)
{
	char buf[32];
	uint64_t failed = cl->total - cl->results[RES_OK];
	int64_t max_pause = 0;

	fprintf(out, "{\"proto\":\"%s\",\"target\":\"%s\",\"mode\":\"%s\"",
		cl->udp ? "udp" : "tcp",
		tr_fmt_sa(&cl->target, buf, sizeof(buf)),
		cl->streams ? "streams" : "exchanges");
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
	if (cl->streams) {
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
				"\"echoed\":%llu,\"max_pause_ms\":%lld}",
				result_names[f->result],
				(unsigned long long)f->sent,
				(unsigned long long)f->echoed,
				(long long)f->max_pause_ms);
		}
		fprintf(out, "],\"max_pause_ms\":%lld", (long long)max_pause);
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
		{ "bind", required_argument, NULL, 'B' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct client *cl = calloc(1, sizeof(*cl));
	const char *target = NULL;
	bool have_n = false, have_bytes = false;
	uint64_t streams = 0;
	int c, rc = 2;

	if (!cl)
		return 1;
	cl->parallel = 32;
	cl->timeout_ms = 10000;
	cl->chunk = 512;
	cl->interval_ms = 10;
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
			bad = tr_parse_u64(optarg, 1, 4096, &cl->parallel);
			break;
		case 'b':
			have_bytes = true;
			bad = tr_parse_u64(optarg, 0, 1ULL << 40, &cl->bytes);
			break;
		case 'T':
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
			bad = tr_parse_u64(optarg, 1, CL_TXBUF, &cl->chunk);
			break;
		case 'I':
			bad = tr_parse_u64(optarg, 1, 10000, &cl->interval_ms);
			break;
		case 'l':
			cl->timeline_path = optarg;
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
	if (streams) {
		if (cl->udp || have_n || !cl->duration_s)
			goto out_usage;
		cl->streams = true;
		cl->total = cl->parallel = streams;
	} else if (!have_n || cl->duration_s || cl->timeline_path) {
		goto out_usage;
	}
	if (cl->udp) {
		if (!have_bytes)
			cl->bytes = 32;
		if (cl->bytes < 1 || cl->bytes > CL_MAX_UDP_PAYLOAD) {
			fprintf(stderr, "baton-traffic client: udp --bytes "
				"must be 1..%d\n", CL_MAX_UDP_PAYLOAD);
			goto out_usage;
		}
	} else if (!have_bytes) {
		cl->bytes = 1024;
	}

	tr_install_stop_handler();
	cl->ep = epoll_create1(EPOLL_CLOEXEC);
	if (cl->ep < 0) {
		perror("baton-traffic client: epoll_create1");
		rc = 1;
		goto out_free;
	}
	cl->nflows = cl->streams ? cl->total : cl->parallel;
	if (!cl->streams && cl->nflows > cl->total)
		cl->nflows = cl->total;
	cl->flows = calloc(cl->nflows, sizeof(*cl->flows));
	if (!cl->flows)
		goto out_nomem;
	for (size_t i = 0; i < cl->nflows; i++) {
		cl->flows[i] = flow_new(cl);
		if (!cl->flows[i])
			goto out_nomem;
		cl->flows[i]->state = CL_DONE;	/* free slot */
	}
	cl->start_ms = tr_now_ms();
	cl->stream_end_ms = cl->start_ms + cl->duration_s * 1000;
	cl->deadline_ms = cl->stream_end_ms + cl->timeout_ms;
	if (cl->timeline_path) {
		cl->tl_n = (cl->deadline_ms - cl->start_ms) /
			   CL_TIMELINE_MS + 1;
		cl->tl_bytes = calloc(cl->tl_n, sizeof(*cl->tl_bytes));
		cl->tl_streams = calloc(cl->tl_n, sizeof(*cl->tl_streams));
		cl->tl_last = calloc(cl->nflows, sizeof(*cl->tl_last));
		if (!cl->tl_bytes || !cl->tl_streams || !cl->tl_last)
			goto out_nomem;
		for (size_t i = 0; i < cl->nflows; i++)
			cl->tl_last[i] = -1;
	}
	if (cl->streams)
		for (size_t i = 0; i < cl->nflows; i++)
			cl->flows[i]->state = CL_CONNECTING;

	run(cl);
	report(cl, stdout);
	fflush(stdout);
	tr_exit_if_stopped();
	rc = cl->results[RES_OK] == cl->total ? 0 : 1;
	if (cl->timeline_path) {
		int err;

		cl->tl_n = (tr_now_ms() - cl->start_ms) / CL_TIMELINE_MS + 1;
		err = write_timeline(cl);
		if (err) {
			fprintf(stderr, "baton-traffic client: %s: %s\n",
				cl->timeline_path, strerror(-err));
			rc = 1;
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
	if (cl->flows)
		for (size_t i = 0; i < cl->nflows; i++)
			free(cl->flows[i]);
	free(cl->flows);
	free(cl->tl_bytes);
	free(cl->tl_streams);
	free(cl->tl_last);
	if (cl->ep > 0)
		close(cl->ep);
	free(cl);
	return rc;
}
