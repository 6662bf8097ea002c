// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* health.c - see health.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hcstate.h"
#include "health.h"
#include "log.h"
#include "svcspec.h"

#define SUB "health"
#define FIRST_PROBE_SPREAD_MS 1000u
#define REQ_MAX (BATON_HC_TEXT_MAX * 2 + 96)

struct hc_target {
	struct baton_health *h;
	struct baton_hc_id id;
	struct baton_health_cfg cfg;
	struct baton_hc_state st;
	struct baton_hc_status status;

	uv_timer_t timer;		/* next probe, or this probe's limit */
	union {
		uv_handle_t handle;
		uv_stream_t stream;
		uv_tcp_t tcp;
		uv_udp_t udp;
	} sock;
	uv_connect_t conn;
	uv_write_t wr;
	bool busy;			/* a probe is in flight */
	bool sock_open;			/* sock initialised, not closed yet */
	bool timer_open;
	bool dead;			/* retired: freed once closed */
	bool expired;			/* timeout_ms ran out; failed after
					 * this loop turn's I/O unless done */
	uint64_t started;		/* uv_now() at the probe's start */
	size_t rlen;
	char rbuf[512];
	char req[REQ_MAX];
};

struct baton_health {
	uv_loop_t *loop;
	baton_health_fn fn;
	void *arg;
	struct hc_target **t;		/* sorted by id */
	size_t n;
	uv_check_t check;		/* fails expired probes after I/O */
	bool check_on;
};

static int id_cmp(const struct baton_hc_id *a, const struct baton_hc_id *b)
{
#define CMP(f) if (a->f != b->f) return a->f < b->f ? -1 : 1
	CMP(vip);
	CMP(vport);
	CMP(proto);
	CMP(addr);
	CMP(port);
#undef CMP
	return 0;
}

static int target_cmp(const void *a, const void *b)
{
	return id_cmp(&(*(struct hc_target *const *)a)->id,
		      &(*(struct hc_target *const *)b)->id);
}

static struct hc_target *find(const struct baton_health *h,
			      const struct baton_hc_id *id)
{
	struct hc_target key = { .id = *id }, *kp = &key, **found;

	if (!h->n)
		return NULL;
	found = bsearch(&kp, h->t, h->n, sizeof(*h->t), target_cmp);
	return found ? *found : NULL;
}

static const char *target_name(const struct hc_target *t, char *buf,
			       size_t len)
{
	char svc[BATON_SPEC_STRLEN], be[BATON_SPEC_STRLEN];

	snprintf(buf, len, "%s backend %s",
		 baton_svc_spec_str(t->id.vip, t->id.vport, t->id.proto, svc),
		 baton_be_spec_str(t->id.addr, t->id.port, be));
	return buf;
}

/* ---- closing ----------------------------------------------------------- */

static void maybe_free(struct hc_target *t)
{
	if (t->dead && !t->sock_open && !t->timer_open)
		free(t);
}

static void on_sock_closed(uv_handle_t *hd)
{
	struct hc_target *t = hd->data;

	t->sock_open = false;
	maybe_free(t);
}

static void on_timer_closed(uv_handle_t *hd)
{
	struct hc_target *t = hd->data;

	t->timer_open = false;
	maybe_free(t);
}

static void sock_close(struct hc_target *t)
{
	if (t->sock_open && !uv_is_closing(&t->sock.handle))
		uv_close(&t->sock.handle, on_sock_closed);
}

static void retire(struct hc_target *t)
{
	t->dead = true;
	t->busy = false;
	sock_close(t);
	if (t->timer_open && !uv_is_closing((uv_handle_t *)&t->timer))
		uv_close((uv_handle_t *)&t->timer, on_timer_closed);
	maybe_free(t);
}

/* ---- one probe --------------------------------------------------------- */

static void on_tick(uv_timer_t *timer);
static void on_check(uv_check_t *c);

static uint16_t probe_port(const struct hc_target *t)
{
	return t->cfg.port ? t->cfg.port : t->id.port;
}

static void probe_done(struct hc_target *t, bool ok, const char *why)
{
	struct baton_hc_state prev = t->st;
	uint64_t took = uv_now(t->h->loop) - t->started;
	char name[128];

	if (!t->busy)
		return;
	t->busy = false;
	t->expired = false;
	uv_timer_stop(&t->timer);
	sock_close(t);

	t->status.probes++;
	t->status.last_ms = (uint32_t)took;
	if (!ok) {
		t->status.failures++;
		snprintf(t->status.last_error, sizeof(t->status.last_error),
			 "%s", why);
		log_debug(SUB, "%s: probe failed: %s",
			  target_name(t, name, sizeof(name)), why);
	}
	if (baton_hc_result(&t->st, ok, t->cfg.rise, t->cfg.fall)) {
		char reason[160];

		if (t->st.up)
			snprintf(reason, sizeof(reason), "%u probe%s passed "
				 "in a row", t->st.ok_run,
				 t->st.ok_run == 1 ? "" : "s");
		else
			snprintf(reason, sizeof(reason), "%u probe%s failed "
				 "in a row, the last: %s", t->st.fail_run,
				 t->st.fail_run == 1 ? "" : "s", why);
		/* The owner reads the new state (baton_health_get). */
		t->status.up = t->st.up;
		if (t->h->fn(t->h->arg, &t->id, t->st.up, reason)) {
			t->st = prev;	/* reported again at the next probe */
		} else {
			t->status.changes++;
			t->status.changed_at = (int64_t)time(NULL);
		}
	}
	t->status.up = t->st.up;
	t->status.ok_run = t->st.ok_run;
	t->status.fail_run = t->st.fail_run;
	uv_timer_start(&t->timer, on_tick,
		       took >= t->cfg.interval_ms ? 0 :
						    t->cfg.interval_ms - took,
		       0);
}

/*
 * Timers run before the loop polls for I/O: after a stall (a long walk of
 * a big conntrack table) a probe's answer may be waiting unread when its
 * timer fires. So a timeout only marks the probe; the check handle, which
 * runs after this turn's I/O, fails those still without an answer.
 */
static void on_timeout(uv_timer_t *timer)
{
	struct hc_target *t = timer->data;

	t->expired = true;
	if (!t->h->check_on) {
		uv_check_start(&t->h->check, on_check);
		t->h->check_on = true;
	}
}

static void on_check(uv_check_t *c)
{
	struct baton_health *h = c->data;
	char why[64];

	uv_check_stop(c);
	h->check_on = false;
	for (size_t i = 0; i < h->n; i++) {
		struct hc_target *t = h->t[i];

		if (!t->expired)
			continue;
		t->expired = false;
		snprintf(why, sizeof(why), "%s within %u ms",
			 t->cfg.type == BATON_HC_UDP ? "no answer" :
			 t->cfg.type == BATON_HC_HTTP ? "no status line" :
							"no connection",
			 t->cfg.timeout_ms);
		/* A state change applied here reconfigures h with the same
		 * backends: h->t is a new array of the same targets in the
		 * same order, so the walk goes on by index. */
		probe_done(t, false, why);
	}
}

static void fail_uv(struct hc_target *t, const char *what, int err)
{
	char why[96];

	snprintf(why, sizeof(why), "%s: %s", what, uv_strerror(err));
	probe_done(t, false, why);
}

static void on_alloc(uv_handle_t *hd, size_t suggested, uv_buf_t *buf)
{
	struct hc_target *t = hd->data;

	(void)suggested;
	*buf = uv_buf_init(t->rbuf + t->rlen,
			   (unsigned int)(sizeof(t->rbuf) - t->rlen));
}

static void on_http_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct hc_target *t = s->data;
	char why[64];
	int status;

	(void)buf;
	if (!t->busy || !nread)
		return;
	if (nread < 0) {
		if (nread == UV_EOF)
			probe_done(t, false, "closed before a status line");
		else
			fail_uv(t, "read", (int)nread);
		return;
	}
	t->rlen += (size_t)nread;
	status = baton_hc_http_status(t->rbuf, t->rlen);
	if (!status && t->rlen < sizeof(t->rbuf))
		return;
	if (status <= 0) {
		probe_done(t, false, "not an HTTP/1.x status line");
		return;
	}
	snprintf(why, sizeof(why), "status %d, expected %u-%u", status,
		 t->cfg.status_min, t->cfg.status_max);
	probe_done(t, status >= t->cfg.status_min &&
			      status <= t->cfg.status_max, why);
}

static void on_write(uv_write_t *req, int status)
{
	struct hc_target *t = req->data;

	if (t->busy && status < 0)
		fail_uv(t, "send request", status);
}

static void on_connect(uv_connect_t *req, int status)
{
	struct hc_target *t = req->data;
	char ip[INET_ADDRSTRLEN];
	uv_buf_t b;
	int ret, n;

	if (!t->busy)
		return;
	if (status < 0) {
		fail_uv(t, "connect", status);
		return;
	}
	if (t->cfg.type == BATON_HC_TCP) {
		probe_done(t, true, "connected");
		return;
	}
	n = snprintf(t->req, sizeof(t->req),
		     "GET %s HTTP/1.0\r\nHost: %s\r\nUser-Agent: batond\r\n"
		     "Connection: close\r\n\r\n", t->cfg.path,
		     t->cfg.host[0] ? t->cfg.host :
				      baton_ip_str(t->id.addr, ip));
	b = uv_buf_init(t->req, (unsigned int)n);
	t->wr.data = t;
	ret = uv_write(&t->wr, &t->sock.stream, &b, 1, on_write);
	if (!ret)
		ret = uv_read_start(&t->sock.stream, on_alloc, on_http_read);
	if (ret)
		fail_uv(t, "send request", ret);
}

static void on_udp_recv(uv_udp_t *u, ssize_t nread, const uv_buf_t *buf,
			const struct sockaddr *from, unsigned int flags)
{
	struct hc_target *t = u->data;

	(void)flags;
	if (!t->busy)
		return;
	if (nread < 0) {
		/* A connected UDP socket hears the ICMP port unreachable. */
		fail_uv(t, "answer", (int)nread);
		return;
	}
	if (!from)
		return;		/* nothing more to read */
	if (t->cfg.expect_len &&
	    ((size_t)nread < t->cfg.expect_len ||
	     memcmp(buf->base, t->cfg.expect, t->cfg.expect_len))) {
		probe_done(t, false, "answer does not begin with expect");
		return;
	}
	probe_done(t, true, "answered");
}

static void probe_start(struct hc_target *t)
{
	struct sockaddr_in sa = {
		.sin_family = AF_INET,
		.sin_port = htons(probe_port(t)),
		.sin_addr.s_addr = htonl(t->id.addr),
	};
	uv_loop_t *loop = t->h->loop;
	int ret;

	t->busy = true;
	t->rlen = 0;
	t->started = uv_now(loop);
	uv_timer_start(&t->timer, on_timeout, t->cfg.timeout_ms, 0);
	if (t->cfg.type == BATON_HC_UDP) {
		uv_buf_t b = uv_buf_init((char *)t->cfg.send,
					 t->cfg.send_len);

		ret = uv_udp_init(loop, &t->sock.udp);
		if (ret) {
			fail_uv(t, "socket", ret);
			return;
		}
		t->sock_open = true;
		t->sock.handle.data = t;
		ret = uv_udp_connect(&t->sock.udp, (struct sockaddr *)&sa);
		if (!ret)
			ret = uv_udp_recv_start(&t->sock.udp, on_alloc,
						on_udp_recv);
		if (!ret) {
			ret = uv_udp_try_send(&t->sock.udp, &b, 1, NULL);
			ret = ret < 0 ? ret : 0;
		}
		if (ret)
			fail_uv(t, "send", ret);
		return;
	}
	ret = uv_tcp_init(loop, &t->sock.tcp);
	if (ret) {
		fail_uv(t, "socket", ret);
		return;
	}
	t->sock_open = true;
	t->sock.handle.data = t;
	t->conn.data = t;
	ret = uv_tcp_connect(&t->conn, &t->sock.tcp, (struct sockaddr *)&sa,
			     on_connect);
	if (ret)
		fail_uv(t, "connect", ret);
}

static void on_tick(uv_timer_t *timer)
{
	struct hc_target *t = timer->data;

	/* The last probe's socket closes on the next loop turn. */
	if (t->sock_open) {
		uv_timer_start(&t->timer, on_tick, 10, 0);
		return;
	}
	probe_start(t);
}

/* ---- configuration ----------------------------------------------------- */

static struct hc_target *target_new(struct baton_health *h,
				    const struct baton_hc_id *id,
				    const struct baton_health_cfg *cfg,
				    bool up)
{
	struct hc_target *t = calloc(1, sizeof(*t));
	uint64_t spread;

	if (!t)
		return NULL;
	t->h = h;
	t->id = *id;
	t->cfg = *cfg;
	baton_hc_init(&t->st, up);
	t->status.up = up;
	uv_timer_init(h->loop, &t->timer);
	t->timer.data = t;
	t->timer_open = true;
	/* Spread first probes so a restart does not probe every backend
	 * in the same millisecond. */
	spread = cfg->interval_ms < FIRST_PROBE_SPREAD_MS ?
			 cfg->interval_ms : FIRST_PROBE_SPREAD_MS;
	uv_timer_start(&t->timer, on_tick,
		       (id->addr * 2654435761u + id->port) % spread, 0);
	return t;
}

struct baton_health *baton_health_init(uv_loop_t *loop, baton_health_fn fn,
				       void *arg)
{
	struct baton_health *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	h->loop = loop;
	h->fn = fn;
	h->arg = arg;
	uv_check_init(loop, &h->check);
	h->check.data = h;
	return h;
}

int baton_health_configure(struct baton_health *h,
			   const struct baton_config *cfg)
{
	struct hc_target **next = NULL, *t;
	const struct baton_health_cfg **hc = NULL;
	size_t n = 0, cap = 0, kept = 0;
	char name[128];

	for (size_t i = 0; i < cfg->nservices; i++)
		if (cfg->services[i].health.type != BATON_HC_NONE)
			cap += cfg->services[i].nbackends;
	if (cap) {
		next = calloc(cap, sizeof(*next));
		hc = calloc(cap, sizeof(*hc));
		if (!next || !hc) {
			free(next);
			free(hc);
			return -ENOMEM;
		}
	}
	for (size_t i = 0; i < cfg->nservices; i++) {
		const struct baton_service_cfg *sc = &cfg->services[i];

		if (sc->health.type == BATON_HC_NONE)
			continue;
		for (size_t b = 0; b < sc->nbackends; b++) {
			const struct baton_backend_cfg *be = &sc->backends[b];
			struct baton_hc_id id = {
				.vip = sc->vip, .vport = sc->port,
				.proto = sc->proto, .addr = be->addr,
				.port = be->port,
			};

			t = find(h, &id);
			if (t) {
				kept++;
				t->dead = true;	/* taken: not retired below */
			} else {
				t = target_new(h, &id, &sc->health, !be->down);
				if (!t)
					goto nomem;
			}
			hc[n] = &sc->health;
			next[n++] = t;
		}
	}
	/* Nothing can fail from here on. */
	for (size_t i = 0; i < n; i++) {
		t = next[i];
		if (!baton_health_cfg_equal(&t->cfg, hc[i])) {
			t->cfg = *hc[i];
			t->st.ok_run = t->st.fail_run = 0;
		}
	}
	free(hc);
	for (size_t i = 0; i < h->n; i++) {
		if (h->t[i]->dead) {
			h->t[i]->dead = false;
			continue;
		}
		log_debug(SUB, "%s: no longer probed",
			  target_name(h->t[i], name, sizeof(name)));
		retire(h->t[i]);
	}
	free(h->t);
	h->t = next;
	h->n = n;
	if (n > 1)
		qsort(h->t, n, sizeof(*h->t), target_cmp);
	if (n != kept)
		log_info(SUB, "probing %zu backends (%zu new)", n, n - kept);
	return 0;

nomem:
	/* Undo: the new ones go, the kept ones stay as they were. */
	for (size_t i = 0; i < n; i++) {
		if (next[i]->dead)
			next[i]->dead = false;
		else
			retire(next[i]);
	}
	free(next);
	free(hc);
	return -ENOMEM;
}

const struct baton_hc_status *baton_health_get(const struct baton_health *h,
					       const struct baton_hc_id *id)
{
	const struct hc_target *t = h ? find(h, id) : NULL;

	return t ? &t->status : NULL;
}

void baton_health_count(const struct baton_health *h, uint32_t *probed,
			uint32_t *down)
{
	*probed = *down = 0;
	for (size_t i = 0; h && i < h->n; i++) {
		(*probed)++;
		if (!h->t[i]->st.up)
			(*down)++;
	}
}

static void on_check_closed(uv_handle_t *hd)
{
	free(hd->data);
}

void baton_health_free(struct baton_health *h)
{
	if (!h)
		return;
	for (size_t i = 0; i < h->n; i++)
		retire(h->t[i]);
	free(h->t);
	h->t = NULL;
	h->n = 0;
	uv_close((uv_handle_t *)&h->check, on_check_closed);
}
