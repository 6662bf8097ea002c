/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * traffic_server.c - `baton-traffic server`: a tagged echo server.
 *
 * TCP: on accept, send "BATON <NAME> <peer-ip>:<peer-port>\n", then echo
 * every byte. UDP: answer each datagram with the same line followed by the
 * datagram's payload, from the address the datagram was sent to (IP_PKTINFO),
 * so that a VIP on lo (DSR) answers as the VIP. One epoll loop, non-blocking
 * sockets; a connection whose peer does not read stops being read (the
 * kernel's window does the back-pressure).
 *
 * HTTP (--http PORT, for health checks): one request per connection, GET /
 * answers "200 OK", any other path "404 Not Found", both with the line
 * "BATON <NAME>" as body; then the connection is closed.
 */
#define _GNU_SOURCE	/* accept4 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "traffic.h"

#define SRV_MAX_PORTS 16
#define SRV_BUF 65536

enum srv_kind { SRV_TCP_LISTEN, SRV_HTTP_LISTEN, SRV_UDP, SRV_CONN };

struct srv_sock {
	enum srv_kind kind;
	int fd;
};

struct srv_conn {
	struct srv_sock s;	/* first: epoll's data.ptr points here */
	size_t off, len;	/* pending output buf[off..len) */
	bool out_blocked;	/* waiting for EPOLLOUT, not reading */
	bool http;		/* one request, one answer */
	uint8_t buf[SRV_BUF];
};

struct server {
	const char *id;
	struct in_addr bind;
	int ep;
	size_t ntcp, nudp, nhttp;
	uint16_t tcp_ports[SRV_MAX_PORTS];
	uint16_t http_ports[SRV_MAX_PORTS];
	uint16_t udp_ports[SRV_MAX_PORTS];
	struct srv_sock socks[3 * SRV_MAX_PORTS];
	size_t nsocks;
	uint64_t conns, dgrams;
};

static void srv_usage(FILE *f)
{
	fprintf(f,
		"usage: baton-traffic server --id NAME [--tcp PORT]... "
		"[--udp PORT]... [--http PORT]... [--bind ADDR] "
		"[--ready-file PATH]\n");
}

static void conn_close(struct server *srv, struct srv_conn *c)
{
	epoll_ctl(srv->ep, EPOLL_CTL_DEL, c->s.fd, NULL);
	close(c->s.fd);
	free(c);
}

static int conn_set_events(struct server *srv, struct srv_conn *c, bool out)
{
	struct epoll_event ev = { .events = out ? EPOLLOUT : EPOLLIN,
				  .data.ptr = c };

	c->out_blocked = out;
	return epoll_ctl(srv->ep, EPOLL_CTL_MOD, c->s.fd, &ev);
}

/* Write what is pending. 0 when all is out, 1 if blocked, -1 on error. */
static int conn_flush(struct srv_conn *c)
{
	while (c->off < c->len) {
		ssize_t n = send(c->s.fd, c->buf + c->off, c->len - c->off,
				 MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 1;
			return -1;
		}
		c->off += n;
	}
	c->off = c->len = 0;
	return 0;
}

/* Read the request; once its head is complete, answer and close. */
static void http_event(struct server *srv, struct srv_conn *c)
{
	char *end, *path, *sp;
	ssize_t n;
	int len;

	n = recv(c->s.fd, c->buf + c->len, SRV_BUF - 1 - c->len, 0);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0)
		goto out_close;
	c->len += (size_t)n;
	c->buf[c->len] = '\0';
	end = strstr((char *)c->buf, "\r\n\r\n");
	if (!end && c->len < SRV_BUF - 1)
		return;
	path = strchr((char *)c->buf, ' ');
	sp = path ? strchr(path + 1, ' ') : NULL;
	if (sp)
		*sp = '\0';
	len = snprintf((char *)c->buf, SRV_BUF, "HTTP/1.0 %s\r\n"
		       "Content-Type: text/plain\r\nContent-Length: %zu\r\n"
		       "\r\nBATON %s\n",
		       path && !strcmp(path + 1, "/") ? "200 OK" :
							"404 Not Found",
		       strlen(srv->id) + 7, srv->id);
	if (send(c->s.fd, c->buf, (size_t)len, MSG_NOSIGNAL) < 0)
		perror("baton-traffic server: http send");
out_close:
	conn_close(srv, c);
}

static void conn_event(struct server *srv, struct srv_conn *c, uint32_t ev)
{
	int r;

	if (c->http) {
		http_event(srv, c);
		return;
	}

	if (c->out_blocked) {
		if (!(ev & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
			return;
		r = conn_flush(c);
		if (r < 0)
			goto out_close;
		if (r == 0 && conn_set_events(srv, c, false))
			goto out_close;
		return;
	}
	for (int i = 0; i < 64; i++) {	/* bounded: be fair to others */
		ssize_t n = recv(c->s.fd, c->buf, SRV_BUF, 0);

		if (n == 0)
			goto out_close;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			goto out_close;
		}
		c->off = 0;
		c->len = n;
		r = conn_flush(c);
		if (r < 0)
			goto out_close;
		if (r == 1) {
			if (conn_set_events(srv, c, true))
				goto out_close;
			return;
		}
	}
	return;
out_close:
	conn_close(srv, c);
}

static void tcp_accept(struct server *srv, struct srv_sock *ls)
{
	for (int i = 0; i < 256; i++) {
		struct sockaddr_in peer;
		socklen_t pl = sizeof(peer);
		struct epoll_event ev;
		struct srv_conn *c;
		char addr[32];
		int fd, r;

		fd = accept4(ls->fd, (struct sockaddr *)&peer, &pl,
			     SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				perror("baton-traffic server: accept");
			return;
		}
		c = calloc(1, sizeof(*c));
		if (!c) {
			close(fd);
			continue;
		}
		c->s.kind = SRV_CONN;
		c->s.fd = fd;
		c->http = ls->kind == SRV_HTTP_LISTEN;
		srv->conns++;
		tr_fmt_sa(&peer, addr, sizeof(addr));
		if (!c->http)
			c->len = snprintf((char *)c->buf, SRV_BUF,
					  "BATON %s %s\n", srv->id, addr);
		ev.events = EPOLLIN;
		ev.data.ptr = c;
		if (epoll_ctl(srv->ep, EPOLL_CTL_ADD, fd, &ev)) {
			close(fd);
			free(c);
			continue;
		}
		r = conn_flush(c);
		if (r < 0)
			conn_close(srv, c);
		else if (r == 1 && conn_set_events(srv, c, true))
			conn_close(srv, c);
	}
}

static void udp_serve(struct server *srv, struct srv_sock *us)
{
	static uint8_t in[SRV_BUF], out[SRV_BUF + TR_BANNER_MAX];

	for (int i = 0; i < 256; i++) {
		struct sockaddr_in peer;
		char cbuf[CMSG_SPACE(sizeof(struct in_pktinfo))];
		struct iovec iov = { in, sizeof(in) };
		struct msghdr mh = {
			.msg_name = &peer, .msg_namelen = sizeof(peer),
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
		};
		struct in_pktinfo *pi = NULL;
		struct cmsghdr *cm;
		char addr[32];
		ssize_t n;
		int hl;

		n = recvmsg(us->fd, &mh, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm))
			if (cm->cmsg_level == IPPROTO_IP &&
			    cm->cmsg_type == IP_PKTINFO)
				pi = (struct in_pktinfo *)CMSG_DATA(cm);
		srv->dgrams++;
		hl = snprintf((char *)out, TR_BANNER_MAX, "BATON %s %s\n",
			      srv->id, tr_fmt_sa(&peer, addr, sizeof(addr)));
		memcpy(out + hl, in, n);
		iov.iov_base = out;
		iov.iov_len = hl + n;
		mh.msg_namelen = sizeof(peer);
		mh.msg_flags = 0;
		if (pi) {
			/* Reply from the address the datagram was sent to. */
			struct in_addr dst = pi->ipi_addr;

			memset(pi, 0, sizeof(*pi));
			pi->ipi_spec_dst = dst;
			mh.msg_controllen = CMSG_SPACE(sizeof(*pi));
		} else {
			mh.msg_control = NULL;
			mh.msg_controllen = 0;
		}
		if (sendmsg(us->fd, &mh, MSG_DONTWAIT) < 0 && errno != EAGAIN)
			perror("baton-traffic server: udp sendmsg");
	}
}

static int open_listener(struct server *srv, int type, uint16_t port,
			 bool http)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr = srv->bind,
				  .sin_port = htons(port) };
	struct srv_sock *s = &srv->socks[srv->nsocks];
	struct epoll_event ev;
	int one = 1, fd;

	fd = socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (type == SOCK_DGRAM)
		setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    (type == SOCK_STREAM && listen(fd, 4096))) {
		int err = -errno;

		close(fd);
		return err;
	}
	s->kind = type == SOCK_DGRAM ? SRV_UDP :
		  http ? SRV_HTTP_LISTEN : SRV_TCP_LISTEN;
	s->fd = fd;
	ev.events = EPOLLIN;
	ev.data.ptr = s;
	if (epoll_ctl(srv->ep, EPOLL_CTL_ADD, fd, &ev)) {
		int err = -errno;

		close(fd);
		return err;
	}
	srv->nsocks++;
	return 0;
}

static int add_port(uint16_t *ports, size_t *n, const char *arg)
{
	uint64_t v;

	if (*n == SRV_MAX_PORTS || tr_parse_u64(arg, 1, 65535, &v))
		return -EINVAL;
	ports[(*n)++] = (uint16_t)v;
	return 0;
}

int tr_server_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "id", required_argument, NULL, 'i' },
		{ "tcp", required_argument, NULL, 't' },
		{ "udp", required_argument, NULL, 'u' },
		{ "http", required_argument, NULL, 'H' },
		{ "bind", required_argument, NULL, 'b' },
		{ "ready-file", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct server srv = { .bind.s_addr = htonl(INADDR_ANY) };
	const char *ready = NULL;
	int c, err;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'i':
			srv.id = optarg;
			break;
		case 't':
			if (add_port(srv.tcp_ports, &srv.ntcp, optarg))
				goto bad_arg;
			break;
		case 'u':
			if (add_port(srv.udp_ports, &srv.nudp, optarg))
				goto bad_arg;
			break;
		case 'H':
			if (add_port(srv.http_ports, &srv.nhttp, optarg))
				goto bad_arg;
			break;
		case 'b':
			if (inet_pton(AF_INET, optarg, &srv.bind) != 1)
				goto bad_arg;
			break;
		case 'r':
			ready = optarg;
			break;
		case 'h':
			srv_usage(stdout);
			return 0;
		default:
			srv_usage(stderr);
			return 2;
		}
	}
	if (!srv.id || strlen(srv.id) >= TR_NAME_MAX || strchr(srv.id, ' ') ||
	    (!srv.ntcp && !srv.nudp && !srv.nhttp) || optind != argc) {
		srv_usage(stderr);
		return 2;
	}
	tr_install_stop_handler();
	srv.ep = epoll_create1(EPOLL_CLOEXEC);
	if (srv.ep < 0) {
		perror("baton-traffic server: epoll_create1");
		return 1;
	}
	for (size_t i = 0; i < srv.ntcp; i++) {
		err = open_listener(&srv, SOCK_STREAM, srv.tcp_ports[i],
				    false);
		if (err) {
			fprintf(stderr, "baton-traffic server: tcp port "
				"%u: %s\n", srv.tcp_ports[i], strerror(-err));
			return 1;
		}
	}
	for (size_t i = 0; i < srv.nudp; i++) {
		err = open_listener(&srv, SOCK_DGRAM, srv.udp_ports[i],
				    false);
		if (err) {
			fprintf(stderr, "baton-traffic server: udp port "
				"%u: %s\n", srv.udp_ports[i], strerror(-err));
			return 1;
		}
	}
	for (size_t i = 0; i < srv.nhttp; i++) {
		err = open_listener(&srv, SOCK_STREAM, srv.http_ports[i],
				    true);
		if (err) {
			fprintf(stderr, "baton-traffic server: http port "
				"%u: %s\n", srv.http_ports[i], strerror(-err));
			return 1;
		}
	}
	if (ready) {
		FILE *f = fopen(ready, "w");

		if (!f || fprintf(f, "%d\n", getpid()) < 0 || fclose(f)) {
			perror("baton-traffic server: ready file");
			return 1;
		}
	}
	while (!tr_stop) {
		struct epoll_event evs[128];
		int n = epoll_wait(srv.ep, evs, 128, 1000);

		for (int i = 0; i < n; i++) {
			struct srv_sock *s = evs[i].data.ptr;

			switch (s->kind) {
			case SRV_TCP_LISTEN:
			case SRV_HTTP_LISTEN:
				tcp_accept(&srv, s);
				break;
			case SRV_UDP:
				udp_serve(&srv, s);
				break;
			case SRV_CONN:
				conn_event(&srv, (struct srv_conn *)s,
					   evs[i].events);
				break;
			}
		}
	}
	fprintf(stderr, "baton-traffic server %s: %llu tcp connections, "
		"%llu udp datagrams\n", srv.id,
		(unsigned long long)srv.conns, (unsigned long long)srv.dgrams);
	tr_exit_if_stopped();
	return 0;
bad_arg:
	fprintf(stderr, "baton-traffic server: bad argument '%s'\n", optarg);
	srv_usage(stderr);
	return 2;
}
