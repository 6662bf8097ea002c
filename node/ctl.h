/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * ctl.h - batond's control socket: a unix stream socket (root only, 0600)
 * on the loop. Protocol, one JSON object per line each way:
 *   request  {"cmd": "service.add", ...args}
 *   reply    {"ok": true, "data": ...}  or  {"ok": false, "error": "..."}
 * Requests on one connection are answered in order. What the commands mean
 * is not this file's business: it hands each request to a handler.
 */
#ifndef BATON_CTL_H
#define BATON_CTL_H

#include <stddef.h>

#include <jansson.h>
#include <uv.h>

/*
 * Handle one request. On success return 0 and set *data (a new reference,
 * or NULL for JSON null); on failure return -errno with err filled.
 */
typedef int (*baton_ctl_handler)(void *arg, json_t *req, json_t **data,
				 char *err, size_t errlen);

struct baton_ctl;

/* NULL with errno. */
struct baton_ctl *baton_ctl_init(uv_loop_t *loop, const char *path,
				 baton_ctl_handler fn, void *arg);
/* mkdir -p the parent, refuse a live socket, unlink a stale one, bind,
 * chmod 0600, listen. 0 or -errno with err. */
int baton_ctl_start(struct baton_ctl *ctl, char *err, size_t errlen);
/* Whether a batond answers on the control socket at path: 1 yes, 0 no
 * (nothing there, or a stale socket), -errno if path is no socket or
 * cannot be probed. */
int baton_ctl_probe(const char *path);
/* Close the server and every client, unlink the socket. Memory is freed
 * when the last handle has closed. NULL ok. */
void baton_ctl_free(struct baton_ctl *ctl);

/* Shared with batonctl: the longest request or reply line accepted. */
#define BATON_CTL_MAX_REQUEST (1u << 20)

#endif /* BATON_CTL_H */
