// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* ctl.c - see ctl.h. */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl.h"
#include "log.h"

#define SUB "ctl"

struct ctl_client;

struct baton_ctl {
	uv_pipe_t server;
	char path[PATH_MAX];
	baton_ctl_handler fn;
	void *fn_arg;
	bool listening;
	unsigned int handles;		/* open handles: server + clients */
	struct ctl_client *clients;
};

struct ctl_client {
	uv_pipe_t pipe;
	struct baton_ctl *ctl;
	struct ctl_client *next, **pprev;
	char *buf;
	size_t len, cap;
	unsigned int writes;		/* in flight */
	bool eof;			/* peer done sending */
	bool closing;
};

struct ctl_write {
	uv_write_t req;
	struct ctl_client *c;
	char *data;
};

static void ctl_put(struct baton_ctl *ctl)
{
	if (--ctl->handles == 0)
		free(ctl);
}

static void client_closed(uv_handle_t *h)
{
	struct ctl_client *c = h->data;
	struct baton_ctl *ctl = c->ctl;

	free(c->buf);
	free(c);
	ctl_put(ctl);
}

static void client_close(struct ctl_client *c)
{
	if (c->closing)
		return;
	c->closing = true;
	if (c->pprev) {
		*c->pprev = c->next;
		if (c->next)
			c->next->pprev = c->pprev;
		c->pprev = NULL;
	}
	uv_close((uv_handle_t *)&c->pipe, client_closed);
}

static void write_done(uv_write_t *req, int status)
{
	struct ctl_write *w = (struct ctl_write *)req;
	struct ctl_client *c = w->c;

	free(w->data);
	free(w);
	c->writes--;
	if (status < 0 && status != UV_ECANCELED)
		log_debug(SUB, "write: %s", uv_strerror(status));
	if (status < 0 || (c->eof && !c->writes))
		client_close(c);
}

static void send_json(struct ctl_client *c, json_t *reply)
{
	struct ctl_write *w;
	char *s = json_dumps(reply, JSON_COMPACT);
	size_t n;
	uv_buf_t b;
	int ret;

	if (!s)
		goto fail;
	n = strlen(s);
	/* One reply, one line: jansson escapes newlines inside strings. */
	w = calloc(1, sizeof(*w));
	if (!w || !(w->data = realloc(s, n + 2))) {
		free(w);
		free(s);
		goto fail;
	}
	w->data[n] = '\n';
	w->data[n + 1] = '\0';
	w->c = c;
	b = uv_buf_init(w->data, (unsigned int)(n + 1));
	ret = uv_write(&w->req, (uv_stream_t *)&c->pipe, &b, 1, write_done);
	if (ret) {
		free(w->data);
		free(w);
		goto fail;
	}
	c->writes++;
	return;
fail:
	log_warn(SUB, "cannot send a reply; closing the connection");
	client_close(c);
}

static void handle_line(struct ctl_client *c, const char *line, size_t len)
{
	char err[512] = "";
	json_error_t jerr;
	json_t *req, *reply, *data = NULL;
	int ret;

	req = json_loadb(line, len, 0, &jerr);
	if (!req || !json_is_object(req) ||
	    !json_is_string(json_object_get(req, "cmd"))) {
		snprintf(err, sizeof(err), "bad request: %s",
			 req ? "expected an object with a \"cmd\" string"
			     : jerr.text);
		ret = -EINVAL;
	} else {
		ret = c->ctl->fn(c->ctl->fn_arg, req, &data, err,
				 sizeof(err));
	}
	if (ret) {
		if (!err[0])
			snprintf(err, sizeof(err), "%s", strerror(-ret));
		reply = json_pack("{s:b, s:s}", "ok", 0, "error", err);
		const char *cmd =
			json_string_value(json_object_get(req, "cmd"));

		log_debug(SUB, "%s: %s", cmd ? cmd : "?", err);
	} else {
		reply = json_pack("{s:b, s:o}", "ok", 1, "data",
				  data ? data : json_null());
	}
	json_decref(req);
	if (reply)
		send_json(c, reply);
	else
		client_close(c);
	json_decref(reply);
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct ctl_client *c = h->data;
	size_t want = c->len + 65536;

	if (want > c->cap) {
		char *nb = realloc(c->buf, want);

		if (!nb) {
			*buf = uv_buf_init(NULL, 0);
			return;
		}
		c->buf = nb;
		c->cap = want;
	}
	*buf = uv_buf_init(c->buf + c->len, (unsigned int)(c->cap - c->len));
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct ctl_client *c = s->data;
	char *nl;
	size_t off = 0;

	if (nread == UV_EOF) {
		c->eof = true;
		uv_read_stop(s);
		if (!c->writes)
			client_close(c);
		return;
	}
	if (nread < 0) {
		client_close(c);
		return;
	}
	c->len += (size_t)nread;
	while (!c->closing &&
	       (nl = memchr(c->buf + off, '\n', c->len - off))) {
		size_t n = (size_t)(nl - (c->buf + off));

		if (n)
			handle_line(c, c->buf + off, n);
		off += n + 1;
	}
	memmove(c->buf, c->buf + off, c->len - off);
	c->len -= off;
	if (c->len > BATON_CTL_MAX_REQUEST) {
		log_warn(SUB, "request longer than %u bytes; connection "
			 "closed", BATON_CTL_MAX_REQUEST);
		client_close(c);
	}
}

static void on_connection(uv_stream_t *server, int status)
{
	struct baton_ctl *ctl = server->data;
	struct ctl_client *c;
	int ret;

	if (status < 0) {
		log_warn(SUB, "accept: %s", uv_strerror(status));
		return;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return;
	c->ctl = ctl;
	uv_pipe_init(server->loop, &c->pipe, 0);
	c->pipe.data = c;
	ctl->handles++;
	c->next = ctl->clients;
	if (c->next)
		c->next->pprev = &c->next;
	c->pprev = &ctl->clients;
	ctl->clients = c;
	ret = uv_accept(server, (uv_stream_t *)&c->pipe);
	if (!ret)
		ret = uv_read_start((uv_stream_t *)&c->pipe, on_alloc, on_read);
	if (ret) {
		log_warn(SUB, "client: %s", uv_strerror(ret));
		client_close(c);
	}
}

struct baton_ctl *baton_ctl_init(uv_loop_t *loop, const char *path,
				 baton_ctl_handler fn, void *arg)
{
	struct baton_ctl *ctl;

	if (strlen(path) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	ctl = calloc(1, sizeof(*ctl));
	if (!ctl)
		return NULL;
	snprintf(ctl->path, sizeof(ctl->path), "%s", path);
	ctl->fn = fn;
	ctl->fn_arg = arg;
	uv_pipe_init(loop, &ctl->server, 0);
	ctl->server.data = ctl;
	ctl->handles = 1;
	return ctl;
}

static int mkdir_parent(const char *path)
{
	char buf[PATH_MAX];
	char *slash;

	snprintf(buf, sizeof(buf), "%s", path);
	slash = strrchr(buf, '/');
	if (!slash || slash == buf)
		return 0;
	*slash = '\0';
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, 0755) && errno != EEXIST)
		return -errno;
	return 0;
}

int baton_ctl_probe(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd, ret;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	if (lstat(path, &st))
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	ret = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	close(fd);
	return !ret;
}

/* 0: nothing there or a stale socket (removed); -EADDRINUSE: a live
 * batond answers there; -errno otherwise. */
static int clear_stale(const char *path)
{
	int ret = baton_ctl_probe(path);

	if (ret < 0)
		return ret;
	if (ret)
		return -EADDRINUSE;
	if (unlink(path) && errno != ENOENT)
		return -errno;
	return 0;
}

int baton_ctl_start(struct baton_ctl *ctl, char *err, size_t errlen)
{
	mode_t old;
	int ret;

	ret = mkdir_parent(ctl->path);
	if (ret) {
		snprintf(err, errlen, "control socket %s: create parent: %s",
			 ctl->path, strerror(-ret));
		return ret;
	}
	ret = clear_stale(ctl->path);
	if (ret) {
		snprintf(err, errlen, "control socket %s: %s", ctl->path,
			 ret == -EADDRINUSE ? "another batond is listening"
			 : ret == -EEXIST ? "exists and is not a socket"
					  : strerror(-ret));
		return ret;
	}
	/* Root only from the first moment, not after a chmod race. */
	old = umask(0077);
	ret = uv_pipe_bind(&ctl->server, ctl->path);
	umask(old);
	if (!ret && chmod(ctl->path, 0600))
		ret = -errno;
	if (!ret)
		ret = uv_listen((uv_stream_t *)&ctl->server, 16,
				on_connection);
	if (ret) {
		snprintf(err, errlen, "control socket %s: %s", ctl->path,
			 uv_strerror(ret));
		unlink(ctl->path);
		return ret;
	}
	ctl->listening = true;
	log_info(SUB, "listening on %s", ctl->path);
	return 0;
}

static void server_closed(uv_handle_t *h)
{
	ctl_put(h->data);
}

void baton_ctl_free(struct baton_ctl *ctl)
{
	if (!ctl)
		return;
	while (ctl->clients)
		client_close(ctl->clients);
	if (ctl->listening)
		unlink(ctl->path);
	uv_close((uv_handle_t *)&ctl->server, server_closed);
}
