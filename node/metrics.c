// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* metrics.c - see metrics.h. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "metrics.h"

#define SUB "metrics"
#define REQ_MAX 4096
#define CONN_MAX 32
#define IDLE_MS 10000

struct baton_metrics {
	uv_loop_t *loop;
	uv_tcp_t server;
	baton_metrics_render_fn render;
	void *arg;
	unsigned int nconns;
	unsigned int open_handles;	/* server + connections */
	bool stopping;
	uint64_t scrapes;
	struct mconn *conns;		/* list, for stop */
};

struct mconn {
	struct baton_metrics *m;
	struct mconn *next, *prev;
	uv_tcp_t tcp;
	uv_timer_t idle;
	uv_write_t wr;
	unsigned int handles;		/* open: tcp, idle */
	bool answered;
	size_t len;
	char req[REQ_MAX];
	struct baton_text resp;
};

static void maybe_free_metrics(struct baton_metrics *m)
{
	if (m->stopping && !m->open_handles)
		free(m);
}

static void conn_handle_closed(uv_handle_t *h)
{
	struct mconn *c = h->data;
	struct baton_metrics *m = c->m;

	if (--c->handles)
		return;
	baton_text_free(&c->resp);
	free(c);
	m->open_handles--;
	maybe_free_metrics(m);
}

static void conn_close(struct mconn *c)
{
	struct baton_metrics *m = c->m;

	if (uv_is_closing((uv_handle_t *)&c->tcp))
		return;
	if (c->prev)
		c->prev->next = c->next;
	else
		m->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	m->nconns--;
	uv_close((uv_handle_t *)&c->idle, conn_handle_closed);
	uv_close((uv_handle_t *)&c->tcp, conn_handle_closed);
}

static void on_written(uv_write_t *req, int status)
{
	(void)status;
	conn_close(req->data);
}

static void answer(struct mconn *c, const char *status, const char *body,
		   size_t len)
{
	struct baton_text head = {};
	uv_buf_t b;

	c->answered = true;
	uv_read_stop((uv_stream_t *)&c->tcp);
	baton_text_printf(&head, "HTTP/1.0 %s\r\nContent-Type: text/plain; "
			  "version=0.0.4; charset=utf-8\r\nContent-Length: "
			  "%zu\r\nConnection: close\r\n\r\n", status, len);
	if (head.oom) {
		baton_text_free(&head);
		conn_close(c);
		return;
	}
	baton_text_printf(&head, "%.*s", (int)len, body);
	baton_text_free(&c->resp);
	c->resp = head;
	if (c->resp.oom) {
		conn_close(c);
		return;
	}
	b = uv_buf_init(c->resp.p, (unsigned int)c->resp.len);
	c->wr.data = c;
	if (uv_write(&c->wr, (uv_stream_t *)&c->tcp, &b, 1, on_written))
		conn_close(c);
}

static void handle_request(struct mconn *c)
{
	static const char nf[] = "not found: try /metrics\n";
	struct baton_text body = {};

	if (strncmp(c->req, "GET ", 4)) {
		answer(c, "405 Method Not Allowed", "GET only\n", 9);
		return;
	}
	if (strncmp(c->req + 4, "/metrics ", 9) &&
	    strncmp(c->req + 4, "/metrics?", 9)) {
		answer(c, "404 Not Found", nf, sizeof(nf) - 1);
		return;
	}
	c->m->render(c->m->arg, &body);
	if (body.oom) {
		baton_text_free(&body);
		answer(c, "500 Internal Server Error", "out of memory\n", 14);
		return;
	}
	c->m->scrapes++;
	answer(c, "200 OK", body.p ? body.p : "", body.len);
	baton_text_free(&body);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct mconn *c = h->data;

	(void)suggested;
	*buf = uv_buf_init(c->req + c->len,
			   (unsigned int)(sizeof(c->req) - 1 - c->len));
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct mconn *c = s->data;

	(void)buf;
	if (c->answered || !nread)
		return;
	if (nread < 0) {
		conn_close(c);
		return;
	}
	c->len += (size_t)nread;
	c->req[c->len] = '\0';
	if (strstr(c->req, "\r\n\r\n") || strstr(c->req, "\n\n")) {
		handle_request(c);
		return;
	}
	if (c->len >= sizeof(c->req) - 1)
		answer(c, "400 Bad Request", "request too long\n", 17);
}

static void on_idle(uv_timer_t *t)
{
	conn_close(t->data);
}

static void on_connection(uv_stream_t *server, int status)
{
	struct baton_metrics *m = server->data;
	struct mconn *c;

	if (status < 0)
		return;
	c = calloc(1, sizeof(*c));
	if (!c)
		return;
	c->m = m;
	uv_tcp_init(m->loop, &c->tcp);
	uv_timer_init(m->loop, &c->idle);
	c->tcp.data = c->idle.data = c;
	c->handles = 2;
	m->open_handles++;
	c->next = m->conns;
	if (m->conns)
		m->conns->prev = c;
	m->conns = c;
	m->nconns++;
	if (uv_accept(server, (uv_stream_t *)&c->tcp) ||
	    m->nconns > CONN_MAX ||
	    uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read)) {
		conn_close(c);
		return;
	}
	uv_timer_start(&c->idle, on_idle, IDLE_MS, 0);
}

static void on_server_closed(uv_handle_t *h)
{
	struct baton_metrics *m = h->data;

	m->open_handles--;
	maybe_free_metrics(m);
}

struct baton_metrics *baton_metrics_start(uv_loop_t *loop, uint32_t addr,
					  uint16_t port,
					  baton_metrics_render_fn render,
					  void *arg, char *err, size_t errlen)
{
	struct baton_metrics *m = calloc(1, sizeof(*m));
	struct sockaddr_in sa = {
		.sin_family = AF_INET,
		.sin_port = htons(port),
		.sin_addr.s_addr = htonl(addr),
	};
	char ip[INET_ADDRSTRLEN];
	int ret;

	if (!m) {
		snprintf(err, errlen, "metrics: out of memory");
		return NULL;
	}
	m->loop = loop;
	m->render = render;
	m->arg = arg;
	uv_tcp_init(loop, &m->server);
	m->server.data = m;
	m->open_handles = 1;
	inet_ntop(AF_INET, &sa.sin_addr, ip, sizeof(ip));
	ret = uv_tcp_bind(&m->server, (struct sockaddr *)&sa, 0);
	if (!ret)
		ret = uv_listen((uv_stream_t *)&m->server, 64, on_connection);
	if (ret) {
		snprintf(err, errlen, "metrics: listen on %s:%u (node.metrics):"
			 " %s", ip, port, uv_strerror(ret));
		m->stopping = true;
		uv_close((uv_handle_t *)&m->server, on_server_closed);
		return NULL;
	}
	log_info(SUB, "serving Prometheus metrics on http://%s:%u/metrics",
		 ip, port);
	return m;
}

void baton_metrics_stop(struct baton_metrics *m)
{
	if (!m || m->stopping)
		return;
	m->stopping = true;
	while (m->conns)
		conn_close(m->conns);
	uv_close((uv_handle_t *)&m->server, on_server_closed);
}

uint64_t baton_metrics_scrapes(const struct baton_metrics *m)
{
	return m ? m->scrapes : 0;
}
