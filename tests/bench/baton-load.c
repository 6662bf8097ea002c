/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * baton-load - the comparison benchmark's load generator and backend
 * (tests/bench/compare.sh). One process, one thread, epoll; it measures as
 * fast as it can and prints one JSON line. It never passes or fails on a
 * figure: exit 0 when it ran, 1 when it could not (or nothing succeeded),
 * 2 on bad usage.
 *
 *   baton-load serve [--tcp PORT]... [--udp-sink PORT]... [--resp B]
 *   baton-load crr   --to IP:PORT --duration S [--parallel P] [--rate R]
 *                    [--req B] [--resp B] [--timeout-ms T]
 *   baton-load bulk  --to IP:PORT --duration S [--streams N]
 *   baton-load flood --to IP:PORT --duration S [--flows N] [--frame B]
 *   baton-load synflood --to IP:PORT --from NET/LEN --duration S [--rate R]
 *
 * The TCP protocol (serve's side): a connection's first byte says what it
 * is. 'Q': a request of B bytes ending in '\n'; the server answers with
 * --resp bytes (default 128) and closes, as an HTTP/1.0 server would, so
 * TIME_WAIT stays on the server and the client can reuse its ports at
 * once. 'B': bulk; the server counts what it reads until EOF, answers with
 * the count (8 bytes, big endian) and closes.
 *
 * crr: new connections, each one request and its response; P at a time,
 * the next one as soon as one ends (closed loop), or with --rate R one
 * started every 1/R s (open loop, at most P open; one that would exceed P
 * counts as skipped). Latency: connect() to the response's last byte and
 * the server's FIN, in microseconds; exact up to 65.5 ms, and a
 * percentile above that reads as the largest latency seen (tr_hist).
 * bulk: N streams write as fast as they can for S seconds; throughput is
 * what the servers counted, over the time from the first connect() to the
 * last count.
 * flood: N connected UDP sockets (N source ports: N flows) send datagrams
 * that make frames of B bytes (default 64: Ethernet 14 + IPv4 20 + UDP 8 +
 * 22 bytes of payload; no FCS) with sendmmsg, 32 per call, round robin,
 * for S seconds. serve --udp-sink binds a port and never reads it: what
 * arrives once the small receive buffer is full is dropped and counted by
 * the kernel (no ICMP), so the sink costs the backend no user-space work.
 * What was delivered is read from the backends' interface counters.
 * synflood: TCP SYNs from random sources of NET/LEN (random source ports,
 * sequence numbers and IP ids; correct checksums), each most likely a new
 * flow, through a raw socket with sendmmsg, 64 per call, as fast as it
 * can or R per second; nothing answers them (the spoofed sources are not
 * this host's). For the hardening drills (deploy/lab/drill.sh flood).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "traffic.h"

#define LOAD_MAX_PORTS 8
#define LOAD_MAX_CONNS 65536	/* fds the server tracks, slots of crr */
#define LOAD_BULK_BUF (256 * 1024)
#define LOAD_FLOOD_BATCH 32
#define LOAD_SYN_BATCH 64
#define LOAD_MSG_MAX 65536	/* --resp */
#define LOAD_REQ_MAX 4096	/* --req: one send on a fresh socket */

static int64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void usage(FILE *f)
{
	fputs("usage: baton-load serve [--tcp PORT]... [--udp-sink PORT]... "
	      "[--resp B]\n"
	      "       baton-load crr   --to IP:PORT --duration S [--parallel P] "
	      "[--rate R]\n"
	      "                        [--req B] [--resp B] [--timeout-ms T]\n"
	      "       baton-load bulk  --to IP:PORT --duration S [--streams N]\n"
	      "       baton-load flood --to IP:PORT --duration S [--flows N] "
	      "[--frame B]\n"
	      "       baton-load synflood --to IP:PORT --from NET/LEN "
	      "--duration S [--rate R]\n"
	      "prints one JSON line; see the comment at the top of "
	      "tests/bench/baton-load.c\n", f);
}

struct opts {
	struct sockaddr_in to;
	int have_to;
	uint64_t duration_s, parallel, rate, req, resp, timeout_ms;
	uint64_t streams, flows, frame;
	uint32_t from_net, from_mask;	/* synflood sources (host order) */
	int have_from;
	uint16_t tcp[LOAD_MAX_PORTS], udp[LOAD_MAX_PORTS];
	int ntcp, nudp;
};

/* "A.B.C.D/LEN" (LEN 8..32) into a network and its mask, host order. */
static int parse_net(const char *s, uint32_t *net, uint32_t *mask)
{
	char buf[32], *slash;
	struct in_addr a;
	uint64_t len;

	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (!slash)
		return -1;
	*slash = '\0';
	if (inet_pton(AF_INET, buf, &a) != 1 ||
	    tr_parse_u64(slash + 1, 8, 32, &len))
		return -1;
	*mask = len == 32 ? 0xffffffffu : ~(0xffffffffu >> len);
	*net = ntohl(a.s_addr) & *mask;
	return 0;
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	uint64_t v;
	int i;

	o->parallel = 64;
	o->req = 64;
	o->resp = 128;
	o->timeout_ms = 5000;
	o->streams = 4;
	o->flows = 64;
	o->frame = 64;
	for (i = 2; i < argc; i++) {
		const char *k = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (!val) {
			fprintf(stderr, "baton-load: %s needs a value\n", k);
			return -1;
		}
		i++;
		if (!strcmp(k, "--to")) {
			if (tr_parse_addr_port(val, &o->to))
				goto bad;
			o->have_to = 1;
		} else if (!strcmp(k, "--tcp") || !strcmp(k, "--udp-sink")) {
			int udp = k[2] == 'u';

			if (tr_parse_u64(val, 1, 65535, &v) ||
			    (udp ? o->nudp : o->ntcp) >= LOAD_MAX_PORTS)
				goto bad;
			if (udp)
				o->udp[o->nudp++] = (uint16_t)v;
			else
				o->tcp[o->ntcp++] = (uint16_t)v;
		} else if (!strcmp(k, "--duration")) {
			if (tr_parse_u64(val, 1, 3600, &o->duration_s))
				goto bad;
		} else if (!strcmp(k, "--parallel")) {
			if (tr_parse_u64(val, 1, LOAD_MAX_CONNS - 16,
					 &o->parallel))
				goto bad;
		} else if (!strcmp(k, "--rate")) {
			if (tr_parse_u64(val, 1, 10000000, &o->rate))
				goto bad;
		} else if (!strcmp(k, "--req")) {
			if (tr_parse_u64(val, 2, LOAD_REQ_MAX, &o->req))
				goto bad;
		} else if (!strcmp(k, "--resp")) {
			if (tr_parse_u64(val, 1, LOAD_MSG_MAX, &o->resp))
				goto bad;
		} else if (!strcmp(k, "--timeout-ms")) {
			if (tr_parse_u64(val, 10, 600000, &o->timeout_ms))
				goto bad;
		} else if (!strcmp(k, "--streams")) {
			if (tr_parse_u64(val, 1, 1024, &o->streams))
				goto bad;
		} else if (!strcmp(k, "--flows")) {
			if (tr_parse_u64(val, 1, 4096, &o->flows))
				goto bad;
		} else if (!strcmp(k, "--from")) {
			if (parse_net(val, &o->from_net, &o->from_mask))
				goto bad;
			o->have_from = 1;
		} else if (!strcmp(k, "--frame")) {
			if (tr_parse_u64(val, 42 + 1, 1514, &o->frame))
				goto bad;
		} else {
			fprintf(stderr, "baton-load: unknown option %s\n", k);
			return -1;
		}
		continue;
bad:
		fprintf(stderr, "baton-load: bad value for %s: '%s'\n", k, val);
		return -1;
	}
	return 0;
}

/* Room for a server's or a client's connections. */
static void raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return;
	if (rl.rlim_cur < LOAD_MAX_CONNS + 64) {
		rl.rlim_cur = rl.rlim_max < LOAD_MAX_CONNS + 64 ?
				      rl.rlim_max : LOAD_MAX_CONNS + 64;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static int epoll_add(int ep, int fd, uint32_t events, uint64_t data)
{
	struct epoll_event ev = { .events = events, .data.u64 = data };

	return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

static int epoll_mod(int ep, int fd, uint32_t events, uint64_t data)
{
	struct epoll_event ev = { .events = events, .data.u64 = data };

	return epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev) ? -errno : 0;
}

/* ---- serve ---------------------------------------------------------------- */

enum { SC_NEW, SC_REQ, SC_RESP, SC_BULK, SC_COUNT };

struct sconn {
	uint8_t state;
	uint32_t off;		/* bytes of the answer written */
	uint64_t count;		/* bulk: bytes read */
	uint8_t cnt[8];
};

#define SERVE_LISTEN_TAG (1ULL << 32)

static void sconn_close(struct sconn *c, int fd)
{
	c->state = SC_NEW;
	close(fd);
}

/* Writes what is left of the answer; closes when it is all out. */
static void sconn_answer(int ep, struct sconn *c, int fd, const uint8_t *resp,
			 size_t rlen)
{
	const uint8_t *buf = c->state == SC_COUNT ? c->cnt : resp;
	size_t len = c->state == SC_COUNT ? sizeof(c->cnt) : rlen;

	while (c->off < len) {
		ssize_t n = send(fd, buf + c->off, len - c->off, MSG_NOSIGNAL);

		if (n < 0 && errno == EAGAIN) {
			epoll_mod(ep, fd, EPOLLOUT, (uint64_t)fd);
			return;
		}
		if (n <= 0) {
			sconn_close(c, fd);
			return;
		}
		c->off += n;
	}
	sconn_close(c, fd);
}

static void sconn_read(int ep, struct sconn *c, int fd, const uint8_t *resp,
		       size_t rlen)
{
	static uint8_t buf[LOAD_BULK_BUF];
	ssize_t n;

	for (;;) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0 && errno == EAGAIN)
			return;
		if (n < 0) {
			sconn_close(c, fd);
			return;
		}
		if (n == 0) {
			if (c->state != SC_BULK) {
				sconn_close(c, fd);
				return;
			}
			for (int i = 0; i < 8; i++)
				c->cnt[i] = (uint8_t)(c->count >> (56 - 8 * i));
			c->state = SC_COUNT;
			c->off = 0;
			sconn_answer(ep, c, fd, resp, rlen);
			return;
		}
		if (c->state == SC_NEW) {
			if (buf[0] != 'Q' && buf[0] != 'B') {
				sconn_close(c, fd);
				return;
			}
			c->state = buf[0] == 'Q' ? SC_REQ : SC_BULK;
			c->count = 0;
		}
		if (c->state == SC_BULK) {
			c->count += n;
			continue;
		}
		if (c->state == SC_REQ && memchr(buf, '\n', n)) {
			c->state = SC_RESP;
			c->off = 0;
			sconn_answer(ep, c, fd, resp, rlen);
			return;
		}
	}
}

static int tcp_listener(uint16_t port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons(port) };
	int one = 1, fd;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(fd, 4096)) {
		int e = -errno;

		close(fd);
		return e;
	}
	return fd;
}

static int udp_sink(uint16_t port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons(port) };
	int small = 4096, fd;

	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		int e = -errno;

		close(fd);
		return e;
	}
	return fd;
}

static int serve_main(const struct opts *o)
{
	static struct sconn conns[LOAD_MAX_CONNS];
	struct epoll_event evs[256];
	uint8_t *resp;
	int ep, i, fd;

	if (!o->ntcp && !o->nudp) {
		fprintf(stderr, "baton-load serve: no --tcp or --udp-sink\n");
		return 2;
	}
	resp = malloc(o->resp);
	if (!resp)
		return 1;
	memset(resp, 'r', o->resp);
	ep = epoll_create1(0);
	if (ep < 0)
		return 1;
	for (i = 0; i < o->nudp; i++) {
		fd = udp_sink(o->udp[i]);
		if (fd < 0) {
			fprintf(stderr, "baton-load serve: udp %u: %s\n",
				o->udp[i], strerror(-fd));
			return 1;
		}
	}
	for (i = 0; i < o->ntcp; i++) {
		fd = tcp_listener(o->tcp[i]);
		if (fd < 0 || epoll_add(ep, fd, EPOLLIN,
					SERVE_LISTEN_TAG | (uint64_t)fd)) {
			fprintf(stderr, "baton-load serve: tcp %u: %s\n",
				o->tcp[i], strerror(fd < 0 ? -fd : errno));
			return 1;
		}
	}
	printf("{\"mode\":\"serve\",\"ready\":true}\n");
	fflush(stdout);
	while (!tr_stop) {
		int n = epoll_wait(ep, evs, 256, 1000);

		for (i = 0; i < n; i++) {
			uint64_t d = evs[i].data.u64;

			fd = (int)(uint32_t)d;
			if (d & SERVE_LISTEN_TAG) {
				int c;

				while ((c = accept4(fd, NULL, NULL,
						    SOCK_NONBLOCK)) >= 0) {
					if (c >= LOAD_MAX_CONNS ||
					    epoll_add(ep, c, EPOLLIN, c)) {
						close(c);
						continue;
					}
					conns[c].state = SC_NEW;
				}
				continue;
			}
			if (conns[fd].state == SC_RESP ||
			    conns[fd].state == SC_COUNT)
				sconn_answer(ep, &conns[fd], fd, resp, o->resp);
			else
				sconn_read(ep, &conns[fd], fd, resp, o->resp);
		}
	}
	free(resp);
	return 0;
}

/* ---- crr ------------------------------------------------------------------ */

enum { CS_FREE, CS_CONNECTING, CS_READING };

struct cslot {
	int fd;
	uint8_t state;
	uint32_t got;
	int64_t t0;
};

struct crr {
	const struct opts *o;
	int ep;
	struct cslot *slots;
	uint32_t *free_list;
	uint32_t nfree;
	uint8_t *req;
	struct tr_hist lat;
	uint64_t started, done, errors, timeouts, skipped;
};

enum crr_outcome { CRR_OK, CRR_ERROR, CRR_TIMEOUT };

static void crr_end(struct crr *c, uint32_t i, enum crr_outcome how)
{
	struct cslot *s = &c->slots[i];

	if (how == CRR_OK) {
		c->done++;
		tr_hist_add(&c->lat, now_us() - s->t0);
	} else if (how == CRR_TIMEOUT) {
		c->timeouts++;
	} else {
		c->errors++;
	}
	close(s->fd);
	s->fd = -1;
	s->state = CS_FREE;
	c->free_list[c->nfree++] = i;
}

/* Starts a connection: 0 if under way, 1 if it failed at once (counted),
 * -EBUSY if all P are open. */
static int crr_start(struct crr *c)
{
	struct cslot *s;
	uint32_t i;
	int fd;

	if (!c->nfree)
		return -EBUSY;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		c->started++;
		c->errors++;
		return 1;
	}
	i = c->free_list[--c->nfree];
	s = &c->slots[i];
	s->fd = fd;
	s->got = 0;
	s->t0 = now_us();
	s->state = CS_CONNECTING;
	c->started++;
	if ((connect(fd, (struct sockaddr *)&c->o->to, sizeof(c->o->to)) &&
	     errno != EINPROGRESS) ||
	    epoll_add(c->ep, fd, EPOLLOUT, i)) {
		crr_end(c, i, CRR_ERROR);
		return 1;
	}
	return 0;
}

static void crr_event(struct crr *c, uint32_t i, uint32_t ev)
{
	static uint8_t buf[LOAD_MSG_MAX];
	struct cslot *s = &c->slots[i];
	ssize_t n;

	if (s->state == CS_CONNECTING) {
		int err = 0;
		socklen_t l = sizeof(err);

		getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &l);
		if (err || (ev & EPOLLERR)) {
			crr_end(c, i, CRR_ERROR);
			return;
		}
		/* The request (at most 4 KiB) fits a fresh socket's
		 * buffer: one send. */
		n = send(s->fd, c->req, c->o->req, MSG_NOSIGNAL);
		if (n != (ssize_t)c->o->req ||
		    epoll_mod(c->ep, s->fd, EPOLLIN, i)) {
			crr_end(c, i, CRR_ERROR);
			return;
		}
		s->state = CS_READING;
		return;
	}
	for (;;) {
		n = recv(s->fd, buf, sizeof(buf), 0);
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			crr_end(c, i, n == 0 && s->got == c->o->resp ?
					      CRR_OK : CRR_ERROR);
			return;
		}
		s->got += n;
	}
}

static void crr_reap_timeouts(struct crr *c, int64_t now)
{
	int64_t limit = (int64_t)c->o->timeout_ms * 1000;

	for (uint32_t i = 0; i < c->o->parallel; i++) {
		if (c->slots[i].state != CS_FREE &&
		    now - c->slots[i].t0 > limit) {
			crr_end(c, i, CRR_TIMEOUT);
		}
	}
}

static int crr_main(const struct opts *o)
{
	struct epoll_event evs[256];
	struct crr c = { .o = o };
	int64_t t0, end, hard_end, last_reap, now;
	uint32_t i;
	int n;

	c.slots = calloc(o->parallel, sizeof(*c.slots));
	c.free_list = calloc(o->parallel, sizeof(*c.free_list));
	c.req = malloc(o->req);
	c.ep = epoll_create1(0);
	if (!c.slots || !c.free_list || !c.req || c.ep < 0 ||
	    tr_hist_init(&c.lat))
		return 1;
	memset(c.req, 'q', o->req);
	c.req[0] = 'Q';
	c.req[o->req - 1] = '\n';
	for (i = 0; i < o->parallel; i++) {
		c.slots[i].fd = -1;
		c.free_list[c.nfree++] = (uint32_t)(o->parallel - 1 - i);
	}
	t0 = now_us();
	end = t0 + (int64_t)o->duration_s * 1000000;
	/* After the end, what is open may finish, within its timeout. */
	hard_end = end + (int64_t)o->timeout_ms * 1000;
	last_reap = t0;
	for (;;) {
		now = now_us();
		if (tr_stop || now >= hard_end)
			break;
		if (now < end && !o->rate) {
			/* At most one pass over the free slots: a start that
			 * fails at once frees its slot again. */
			for (uint32_t k = c.nfree; k && crr_start(&c) != -EBUSY;
			     k--)
				;
		} else if (now < end) {
			uint64_t due = (uint64_t)((now - t0) * o->rate /
						  1000000);

			while (c.started + c.skipped < due)
				if (crr_start(&c) == -EBUSY)
					c.skipped++;
		} else if (c.nfree == o->parallel) {
			break;
		}
		n = epoll_wait(c.ep, evs, 256, o->rate ? 1 : 10);
		for (int k = 0; k < n; k++)
			crr_event(&c, (uint32_t)evs[k].data.u64,
				  evs[k].events);
		if (now - last_reap > 100000) {
			crr_reap_timeouts(&c, now);
			last_reap = now;
		}
	}
	now = now_us();
	/* What is still open at the hard end timed out. */
	for (i = 0; i < o->parallel; i++)
		if (c.slots[i].state != CS_FREE) {
			crr_end(&c, i, CRR_TIMEOUT);
		}
	printf("{\"mode\":\"crr\",\"duration_s\":%llu,\"parallel\":%llu,"
	       "\"rate\":%llu,\"started\":%llu,\"done\":%llu,\"errors\":%llu,"
	       "\"timeouts\":%llu,\"skipped\":%llu,\"per_s\":%.1f",
	       (unsigned long long)o->duration_s,
	       (unsigned long long)o->parallel, (unsigned long long)o->rate,
	       (unsigned long long)c.started, (unsigned long long)c.done,
	       (unsigned long long)c.errors, (unsigned long long)c.timeouts,
	       (unsigned long long)c.skipped,
	       (double)c.done / (double)o->duration_s);
	tr_json_pauses(stdout, "lat_us", &c.lat);
	printf("}\n");
	tr_hist_free(&c.lat);
	return c.done ? 0 : 1;
}

/* ---- bulk ----------------------------------------------------------------- */

struct bstream {
	int fd;
	int phase;		/* 0 connecting, 1 writing, 2 awaiting count, 3 done */
	uint8_t cnt[8];
	int got;
};

/* A stream is over: its socket goes (and leaves epoll with it). */
static void bulk_done(struct bstream *b, int ok, unsigned int *failed,
		      unsigned int *left)
{
	close(b->fd);
	b->fd = -1;
	b->phase = 3;
	if (!ok)
		(*failed)++;
	(*left)--;
}

static int bulk_main(const struct opts *o)
{
	static uint8_t buf[LOAD_BULK_BUF];
	struct epoll_event evs[64];
	struct bstream *s;
	int64_t t0, end, hard_end, t_last = 0;
	uint64_t total = 0;
	unsigned int left, failed = 0;
	int ep;

	s = calloc(o->streams, sizeof(*s));
	ep = epoll_create1(0);
	if (!s || ep < 0)
		return 1;
	memset(buf, 'b', sizeof(buf));
	buf[0] = 'B';
	t0 = now_us();
	end = t0 + (int64_t)o->duration_s * 1000000;
	hard_end = end + (int64_t)o->timeout_ms * 1000;
	for (uint64_t i = 0; i < o->streams; i++) {
		s[i].fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		if (s[i].fd < 0 ||
		    (connect(s[i].fd, (struct sockaddr *)&o->to,
			     sizeof(o->to)) && errno != EINPROGRESS) ||
		    epoll_add(ep, s[i].fd, EPOLLOUT, i)) {
			fprintf(stderr, "baton-load bulk: connect: %s\n",
				strerror(errno));
			return 1;
		}
	}
	left = (unsigned int)o->streams;
	while (left && !tr_stop) {
		int64_t now = now_us();
		int n;

		if (now >= hard_end)
			break;
		if (now >= end) {
			/* Time is up: every writer half-closes and waits. */
			for (uint64_t i = 0; i < o->streams; i++) {
				if (s[i].phase > 1)
					continue;
				shutdown(s[i].fd, SHUT_WR);
				s[i].phase = 2;
				epoll_mod(ep, s[i].fd, EPOLLIN, i);
			}
		}
		n = epoll_wait(ep, evs, 64, 10);
		for (int k = 0; k < n; k++) {
			struct bstream *b = &s[evs[k].data.u64];
			ssize_t r;

			if (b->phase == 0) {
				int err = 0;
				socklen_t l = sizeof(err);

				getsockopt(b->fd, SOL_SOCKET, SO_ERROR, &err, &l);
				if (err) {
					bulk_done(b, 0, &failed, &left);
					continue;
				}
				b->phase = 1;
			}
			if (b->phase == 1) {
				/* buf[0] is 'B': every write may start with
				 * it, the server only looks at the first. */
				r = send(b->fd, buf, sizeof(buf), MSG_NOSIGNAL);
				if (r < 0 && errno != EAGAIN)
					bulk_done(b, 0, &failed, &left);
				continue;
			}
			if (b->phase != 2)
				continue;
			r = recv(b->fd, b->cnt + b->got, 8 - b->got, 0);
			if (r < 0 && errno == EAGAIN)
				continue;
			if (r <= 0) {
				bulk_done(b, 0, &failed, &left);
				continue;
			}
			b->got += r;
			if (b->got == 8) {
				uint64_t v = 0;

				for (int i = 0; i < 8; i++)
					v = v << 8 | b->cnt[i];
				total += v;
				bulk_done(b, 1, &failed, &left);
				t_last = now_us();
			}
		}
	}
	failed += left;
	for (uint64_t i = 0; i < o->streams; i++)
		if (s[i].fd >= 0)
			close(s[i].fd);
	{
		double secs = t_last > t0 ? (double)(t_last - t0) / 1e6 : 0;

		printf("{\"mode\":\"bulk\",\"streams\":%llu,\"failed\":%u,"
		       "\"bytes\":%llu,\"seconds\":%.3f,\"gbit_s\":%.3f}\n",
		       (unsigned long long)o->streams, failed,
		       (unsigned long long)total, secs,
		       secs > 0 ? (double)total * 8 / secs / 1e9 : 0.0);
	}
	return failed == o->streams ? 1 : 0;
}

/* ---- flood ---------------------------------------------------------------- */

static int flood_main(const struct opts *o)
{
	struct mmsghdr msgs[LOAD_FLOOD_BATCH];
	struct iovec iov;
	uint8_t payload[1514];
	size_t plen = o->frame - 42;
	uint64_t sent = 0, errors = 0;
	int64_t t0, end, now;
	int *fds;

	fds = calloc(o->flows, sizeof(*fds));
	if (!fds)
		return 1;
	for (uint64_t i = 0; i < o->flows; i++) {
		fds[i] = socket(AF_INET, SOCK_DGRAM, 0);
		if (fds[i] < 0 || connect(fds[i], (struct sockaddr *)&o->to,
					  sizeof(o->to))) {
			fprintf(stderr, "baton-load flood: socket: %s\n",
				strerror(errno));
			return 1;
		}
	}
	memset(payload, 'u', plen);
	iov.iov_base = payload;
	iov.iov_len = plen;
	memset(msgs, 0, sizeof(msgs));
	for (int i = 0; i < LOAD_FLOOD_BATCH; i++) {
		msgs[i].msg_hdr.msg_iov = &iov;
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	t0 = now_us();
	end = t0 + (int64_t)o->duration_s * 1000000;
	now = t0;
	while (!tr_stop && now < end) {
		for (uint64_t i = 0; i < o->flows; i++) {
			int r = sendmmsg(fds[i], msgs, LOAD_FLOOD_BATCH, 0);

			if (r < 0)
				errors++;
			else
				sent += r;
		}
		now = now_us();
	}
	printf("{\"mode\":\"flood\",\"flows\":%llu,\"frame\":%llu,"
	       "\"sent\":%llu,\"send_errors\":%llu,\"seconds\":%.3f,"
	       "\"sent_per_s\":%.0f}\n",
	       (unsigned long long)o->flows, (unsigned long long)o->frame,
	       (unsigned long long)sent, (unsigned long long)errors,
	       (double)(now - t0) / 1e6,
	       (double)sent * 1e6 / (double)(now - t0));
	return sent ? 0 : 1;
}

/* ---- synflood ------------------------------------------------------------- */

struct syn_pkt {
	struct iphdr ip;
	struct tcphdr tcp;
	uint8_t opt[4];		/* MSS 1460 */
} __attribute__((packed));

static uint64_t xorshift64(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static uint32_t csum_add(uint32_t sum, const void *p, size_t len)
{
	const uint16_t *w = p;

	for (; len > 1; len -= 2)
		sum += *w++;
	return sum;
}

static void syn_fill(struct syn_pkt *p, const struct opts *o, uint64_t *rnd)
{
	uint64_t r = xorshift64(rnd);
	uint32_t src = o->from_net | ((uint32_t)r & ~o->from_mask), sum;
	struct {
		uint32_t saddr, daddr;
		uint8_t zero, proto;
		uint16_t len;
	} __attribute__((packed)) ph;

	memset(p, 0, sizeof(*p));
	p->ip.version = 4;
	p->ip.ihl = 5;
	p->ip.ttl = 64;
	p->ip.protocol = IPPROTO_TCP;
	p->ip.tot_len = htons(sizeof(*p));
	p->ip.id = (uint16_t)(r >> 32);
	p->ip.saddr = htonl(src);
	p->ip.daddr = o->to.sin_addr.s_addr;
	p->ip.check = csum_fold(csum_add(0, &p->ip, sizeof(p->ip)));
	/* Source ports from 1024 up, as a client's would be. */
	p->tcp.source = htons((uint16_t)(1024 + (r >> 48) % 64512));
	p->tcp.dest = o->to.sin_port;
	p->tcp.seq = htonl((uint32_t)xorshift64(rnd));
	p->tcp.doff = (sizeof(p->tcp) + sizeof(p->opt)) / 4;
	p->tcp.syn = 1;
	p->tcp.window = htons(64240);
	p->opt[0] = 2;		/* MSS */
	p->opt[1] = 4;
	p->opt[2] = 1460 >> 8;
	p->opt[3] = 1460 & 0xff;
	ph.saddr = p->ip.saddr;
	ph.daddr = p->ip.daddr;
	ph.zero = 0;
	ph.proto = IPPROTO_TCP;
	ph.len = htons(sizeof(p->tcp) + sizeof(p->opt));
	sum = csum_add(0, &ph, sizeof(ph));
	sum = csum_add(sum, &p->tcp, sizeof(p->tcp) + sizeof(p->opt));
	p->tcp.check = csum_fold(sum);
}

static int synflood_main(const struct opts *o)
{
	static struct syn_pkt pkts[LOAD_SYN_BATCH];
	struct mmsghdr msgs[LOAD_SYN_BATCH];
	struct iovec iov[LOAD_SYN_BATCH];
	uint64_t sent = 0, errors = 0, rnd;
	int64_t t0, end, now;
	int fd, first_errno = 0;

	fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
	if (fd < 0) {
		fprintf(stderr, "baton-load synflood: raw socket: %s\n",
			strerror(errno));
		return 1;
	}
	rnd = (uint64_t)now_us() * 0x9e3779b97f4a7c15ull ^ (uint64_t)getpid();
	if (!rnd)
		rnd = 1;
	memset(msgs, 0, sizeof(msgs));
	for (int i = 0; i < LOAD_SYN_BATCH; i++) {
		iov[i].iov_base = &pkts[i];
		iov[i].iov_len = sizeof(pkts[i]);
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
		msgs[i].msg_hdr.msg_name = (void *)&o->to;
		msgs[i].msg_hdr.msg_namelen = sizeof(o->to);
	}
	t0 = now_us();
	end = t0 + (int64_t)o->duration_s * 1000000;
	now = t0;
	while (!tr_stop && now < end) {
		int r;

		/* --rate: a batch is due when the rate allows it. */
		if (o->rate) {
			int64_t due = t0 + (int64_t)((sent + errors) *
						     1000000 / o->rate);

			if (due > now) {
				int64_t d = due - now;

				if (d > end - now)
					d = end - now;
				usleep((useconds_t)d);
				now = now_us();
				continue;
			}
		}
		for (int i = 0; i < LOAD_SYN_BATCH; i++)
			syn_fill(&pkts[i], o, &rnd);
		r = sendmmsg(fd, msgs, LOAD_SYN_BATCH, 0);
		if (r < 0) {
			/* A full queue (ENOBUFS) is the flood's own limit. */
			if (!first_errno)
				first_errno = errno;
			errors += LOAD_SYN_BATCH;
		} else {
			sent += (uint64_t)r;
		}
		now = now_us();
	}
	close(fd);
	printf("{\"mode\":\"synflood\",\"sent\":%llu,\"send_errors\":%llu,"
	       "\"first_error\":\"%s\",\"seconds\":%.3f,"
	       "\"sent_per_s\":%.0f}\n",
	       (unsigned long long)sent, (unsigned long long)errors,
	       first_errno ? strerror(first_errno) : "",
	       (double)(now - t0) / 1e6,
	       now > t0 ? (double)sent * 1e6 / (double)(now - t0) : 0.0);
	return sent ? 0 : 1;
}

int main(int argc, char **argv)
{
	struct opts o = { 0 };
	const char *mode = argc > 1 ? argv[1] : "";
	int need_to = 1;

	if (!strcmp(mode, "-h") || !strcmp(mode, "--help")) {
		usage(stdout);
		return 0;
	}
	if (parse_opts(argc, argv, &o)) {
		usage(stderr);
		return 2;
	}
	tr_install_stop_handler();
	raise_nofile();
	if (!strcmp(mode, "serve"))
		need_to = 0;
	else if (strcmp(mode, "crr") && strcmp(mode, "bulk") &&
		 strcmp(mode, "flood") && strcmp(mode, "synflood"))
		goto bad;
	if (!strcmp(mode, "synflood") && !o.have_from) {
		fprintf(stderr, "baton-load synflood: --from is required\n");
		goto bad;
	}
	if (need_to && (!o.have_to || !o.duration_s)) {
		fprintf(stderr, "baton-load %s: --to and --duration are "
				"required\n", mode);
		goto bad;
	}
	if (!strcmp(mode, "serve"))
		return serve_main(&o);
	if (!strcmp(mode, "crr"))
		return crr_main(&o);
	if (!strcmp(mode, "bulk"))
		return bulk_main(&o);
	if (!strcmp(mode, "synflood"))
		return synflood_main(&o);
	return flood_main(&o);
bad:
	usage(stderr);
	return 2;
}
