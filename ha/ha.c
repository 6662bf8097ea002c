// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * ha.c - keepalived integration inside batond (see ha.h): the FIFO, the
 * track file, the timers and the status around the pure role machine.
 * Also its ECMP mode (ecmp:), where no keepalived elects a master: the
 * machine's verdict raises or lowers the health interface bird announces
 * the VIPs through (announce.h), and what keepalived would report comes
 * from here - MASTER while announcing, BACKUP while not, FAULT while a
 * link the datapath serves is down.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "announce.h"
#include "ha.h"
#include "log.h"
#include "notify.h"
#include "nudge.h"
#include "role.h"
#include "textio.h"

#define SUB "ha"
#define RETRY_MS 1000		/* a failed track file write */
#define BAD_LINES_LOGGED 10	/* then only counted */
#define FIFO_CHECK_MS 1000	/* is the FIFO at its path still ours? */
#define LINK_CHECK_MS 100	/* ECMP: are the datapath's links up? */
#define ECMP_NAME "ecmp"	/* what the machine follows in ECMP mode */

struct baton_ha {
	uv_loop_t *loop;
	struct baton_ha_role role;
	char fifo_path[PATH_MAX];
	char track_path[PATH_MAX];
	char follow[BATON_NOTIFY_NAME_MAX + 1];
	uint8_t follow_type;
	bool resume_master;	/* configured */
	bool resumed;		/* and applied at start */

	int rfd, wfd;
	dev_t fifo_dev;		/* the FIFO rfd reads */
	ino_t fifo_ino;
	uv_poll_t poll;
	uv_timer_t timer;	/* the machine's grace deadline */
	uv_timer_t retry;	/* a failed track file write */
	uv_timer_t fifo_check;	/* FIFO_CHECK_MS */
	int handles;		/* initialised, not yet closed */
	bool poll_on;
	bool stopping;

	/* The line being read. */
	char line[BATON_NOTIFY_LINE_MAX];
	size_t len;
	bool overlong;		/* dropping up to the next '\n' */

	/* What was applied. */
	bool track_dirty;	/* role.track not (yet) in the file */
	bool track_written;	/* some value is in the file */
	int track_file_value;
	uint64_t track_errors;
	uint64_t last_change_ms;	/* monotonic, 0 never */
	uint64_t last_change_wall_ms;	/* CLOCK_REALTIME */
	uint8_t last_from;
	uint8_t saved_state;	/* in TRACK_FILE.state */
	bool saved_incumbent, saved_valid;

	/* Counters. */
	uint64_t lines, no_role_lines, bad_lines, overlong_lines;
	uint64_t fifo_errors;
	uint64_t fifo_reopens;	/* path removed or replaced under us */
	uint64_t resync_requests;	/* BATON_HA_ACT_RESYNC applied */

	struct baton_sync *sync;	/* baton_ha_set_sync; NULL: none */
	bool nudge_cfg;			/* ha.nudge */
	uint32_t node_id;
	struct baton_nudge *nudge;	/* baton_ha_set_ct; NULL: none */

	/* ECMP mode. */
	bool ecmp;
	char health_iface[IF_NAMESIZE];
	int tun_fd;			/* the health interface; -1: none */
	bool announced;			/* the interface is up */
	char links[BATON_MAX_IFACES][IF_NAMESIZE];
	size_t nlinks;
	bool links_up;
	size_t link_bad;		/* links[] index of one that is down */
	uv_timer_t link_check;		/* LINK_CHECK_MS */
	int ecmp_depth;			/* ecmp_follow() recursion guard */
	uint64_t announces, withdrawals, announce_errors, link_faults;
};

static uint64_t clock_ms(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint64_t now_ms(void)
{
	return clock_ms(CLOCK_MONOTONIC);
}

/* ---- files -------------------------------------------------------------- */


static void state_path(const struct baton_ha *h, char *buf, size_t len)
{
	snprintf(buf, len, "%s.state", h->track_path);
}

/* TRACK_FILE.state: "STATE incumbent|-\n", for resume_master. */
static void save_state(struct baton_ha *h)
{
	const struct baton_ha_role *r = &h->role;
	char path[PATH_MAX + 8], text[64];
	int ret;

	/* ECMP: a restarted batond is never resumed - its health interface
	 * went with the old one, so bird has withdrawn the node already. */
	if (h->ecmp)
		return;
	if (h->saved_valid && h->saved_state == r->state &&
	    h->saved_incumbent == r->incumbent)
		return;
	state_path(h, path, sizeof(path));
	snprintf(text, sizeof(text), "%s %s\n", baton_ha_state_name(r->state),
		 r->incumbent ? "incumbent" : "-");
	ret = baton_write_file(path, text, strlen(text));
	if (ret) {
		log_warn(SUB, "write %s: %s", path, strerror(-ret));
		return;
	}
	h->saved_valid = true;
	h->saved_state = r->state;
	h->saved_incumbent = r->incumbent;
}

/* Whether TRACK_FILE.state says this node was an incumbent MASTER. */
static bool was_incumbent_master(const struct baton_ha *h)
{
	char path[PATH_MAX + 8], buf[64] = "";
	ssize_t n;
	int fd;

	state_path(h, path, sizeof(path));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return n > 0 && !strcmp(buf, "MASTER incumbent\n");
}

static void on_retry(uv_timer_t *t);

static void announce(struct baton_ha *h);

static void write_track(struct baton_ha *h)
{
	char text[16];
	int ret;

	if (h->ecmp) {
		announce(h);
		return;
	}
	snprintf(text, sizeof(text), "%d\n", h->role.track);
	ret = baton_write_file(h->track_path, text, strlen(text));
	if (ret) {
		h->track_errors++;
		log_err(SUB, "write track file %s: %s (retrying)",
			h->track_path, strerror(-ret));
		h->track_dirty = true;
		uv_timer_start(&h->retry, on_retry, RETRY_MS, 0);
		return;
	}
	h->track_dirty = false;
	h->track_written = true;
	h->track_file_value = h->role.track;
}

/* ---- the machine -------------------------------------------------------- */

static void on_timer(uv_timer_t *t);
static void arm_timer(struct baton_ha *h, uint64_t deadline, uint64_t now);

static void apply(struct baton_ha *h, const struct baton_ha_actions *act,
		  uint64_t now)
{
	if (act->flags & BATON_HA_ACT_LOG)
		log_info(SUB, "%s", act->log);
	if (act->flags & BATON_HA_ACT_ROLE) {
		h->last_change_ms = now;
		h->last_change_wall_ms = clock_ms(CLOCK_REALTIME);
		h->last_from = act->from;
		/* The VIPs just came here: the flows the peer carried are
		 * stuck in their endpoints' retransmission backoff. */
		if (act->to == BATON_HA_MASTER && act->from != BATON_HA_MASTER)
			baton_nudge_run(h->nudge);
	}
	if (act->flags & BATON_HA_ACT_TRACK)
		write_track(h);
	if (act->flags & BATON_HA_ACT_RESYNC) {
		h->resync_requests++;
		baton_sync_request_all(h->sync, "left FAULT");
	}
	if (act->flags & BATON_HA_ACT_TIMER) {
		if (!act->timer_ms)
			uv_timer_stop(&h->timer);
		else
			arm_timer(h, act->timer_ms, now);
	}
	save_state(h);
}

static void ecmp_follow(struct baton_ha *h);

static int step(struct baton_ha *h, struct baton_ha_event *ev)
{
	struct baton_ha_actions act;
	int ret;

	if (h->stopping)
		return 0;
	ev->now_ms = now_ms();
	ret = baton_ha_role_step(&h->role, ev, &act);
	if (!ret)
		apply(h, &act, ev->now_ms);
	if (h->ecmp)
		ecmp_follow(h);
	return ret;
}

/* ---- ECMP mode ------------------------------------------------------------ */

/* The health interface follows the machine's verdict: up when ready and
 * every datapath link is up (a node cut off must not be routed to when
 * its links return before its copies are complete). */
static void announce(struct baton_ha *h)
{
	bool up = h->links_up && h->role.track_set &&
		  h->role.track == BATON_HA_TRACK_READY;
	int ret;

	h->track_dirty = false;
	if (h->tun_fd < 0 || up == h->announced)
		return;
	ret = baton_announce_set(h->health_iface, up);
	if (ret) {
		h->announce_errors++;
		h->track_dirty = true;
		log_err(SUB, "%s %s: %s (retrying)", up ? "raise" : "lower",
			h->health_iface, strerror(-ret));
		uv_timer_start(&h->retry, on_retry, RETRY_MS, 0);
		return;
	}
	h->announced = up;
	h->track_written = true;
	h->track_file_value = h->role.track;
	if (up)
		h->announces++;
	else
		h->withdrawals++;
	log_info(SUB, "%s: %s", h->health_iface,
		 up ? "up, the VIPs are announced" :
		      "down, the VIPs are withdrawn");
}

/*
 * What keepalived would report in a pair, from what this node does: FAULT
 * while a datapath link is down (cut off: the copies of the peers' flows
 * go stale, and leaving FAULT asks them for a resync), MASTER while
 * announcing (incumbent: a peer resyncing does not withdraw this node),
 * BACKUP otherwise.
 */
static void ecmp_follow(struct baton_ha *h)
{
	static struct baton_notify n;
	struct baton_ha_event ev = { .type = BATON_HA_EV_NOTIFY,
				     .notify = &n };
	uint8_t want, st;

	if (h->stopping || h->ecmp_depth > 4)
		return;
	want = !h->links_up ? BATON_HA_FAULT :
	       h->announced ? BATON_HA_MASTER : BATON_HA_BACKUP;
	if (h->role.state == want)
		return;
	st = want == BATON_HA_FAULT  ? BATON_NOTIFY_FAULT :
	     want == BATON_HA_MASTER ? BATON_NOTIFY_MASTER :
				       BATON_NOTIFY_BACKUP;
	memset(&n, 0, sizeof(n));
	n.type = BATON_NOTIFY_INSTANCE;
	n.state = st;
	n.priority = 100;
	n.name_len = (uint16_t)strlen(ECMP_NAME);
	memcpy(n.name, ECMP_NAME, n.name_len);
	h->ecmp_depth++;
	step(h, &ev);
	h->ecmp_depth--;
}

static void on_link_check(uv_timer_t *t)
{
	struct baton_ha *h = t->data;
	bool up;

	up = baton_links_up((const char (*)[16])h->links, h->nlinks,
			    &h->link_bad);
	if (up == h->links_up)
		return;
	h->links_up = up;
	if (!up) {
		h->link_faults++;
		log_warn(SUB, "link %s is down: withdrawing, and the copies "
			 "of the peers' flows are stale until they resync",
			 h->links[h->link_bad]);
	} else {
		log_info(SUB, "every datapath link is up again");
	}
	announce(h);
	ecmp_follow(h);
}

static void arm_timer(struct baton_ha *h, uint64_t deadline, uint64_t now)
{
	/* The loop's cached time may be stale (a step before uv_run, or
	 * after a long callback): timeouts count from uv_now. */
	uv_update_time(h->loop);
	uv_timer_start(&h->timer, on_timer, deadline > now ? deadline - now : 0,
		       0);
}

static void on_timer(uv_timer_t *t)
{
	struct baton_ha_event ev = { .type = BATON_HA_EV_TICK };
	struct baton_ha *h = t->data;
	uint64_t now;

	step(h, &ev);
	/* Fired early (clocks differ by rounding): the machine keeps the
	 * same deadline and asks for nothing, so re-arm it here. */
	now = now_ms();
	if (!h->stopping && h->role.timer_ms && h->role.timer_ms > now &&
	    !uv_is_active((uv_handle_t *)&h->timer))
		arm_timer(h, h->role.timer_ms, now);
}

static void on_retry(uv_timer_t *t)
{
	struct baton_ha *h = t->data;

	if (h->track_dirty && !h->stopping) {
		write_track(h);
		if (h->ecmp)
			ecmp_follow(h);
	}
}

void baton_ha_set_sync(struct baton_ha *h, struct baton_sync *s)
{
	if (h)
		h->sync = s;
}

void baton_ha_set_ct(struct baton_ha *h, int ct_fd)
{
	if (!h || !h->nudge_cfg || h->nudge)
		return;
	h->nudge = baton_nudge_init(h->loop, ct_fd, h->node_id);
	if (!h->nudge)
		log_warn(SUB, "ha.nudge: %s; flows taken over wait for their "
			 "endpoints' retransmission timers", strerror(errno));
}

void baton_ha_datapath(struct baton_ha *h, bool attached)
{
	struct baton_ha_event ev = { .type = BATON_HA_EV_DATAPATH,
				     .attached = attached };

	if (h)
		step(h, &ev);
}

void baton_ha_sync_hook(void *arg, uint32_t peer_id,
			enum baton_sync_peer_event sev)
{
	struct baton_ha_event ev = { .peer = peer_id };

	switch (sev) {
	case BATON_SYNC_PEER_CONNECTED:
		ev.type = BATON_HA_EV_PEER_UP;
		break;
	case BATON_SYNC_PEER_INCOMPLETE:
		ev.type = BATON_HA_EV_PEER_RESYNC;
		break;
	case BATON_SYNC_PEER_COMPLETE:
		ev.type = BATON_HA_EV_PEER_COMPLETE;
		break;
	case BATON_SYNC_PEER_DISCONNECTED:
		ev.type = BATON_HA_EV_PEER_DOWN;
		break;
	case BATON_SYNC_PEER_HAS_OURS:
		ev.type = BATON_HA_EV_PEER_HAS_OURS;
		break;
	default:
		return;
	}
	step(arg, &ev);
}

/* ---- the FIFO ----------------------------------------------------------- */

static void on_line(struct baton_ha *h, const char *line, size_t len)
{
	static struct baton_notify n;	/* 1 KiB: not on the stack */
	struct baton_ha_event ev = { .type = BATON_HA_EV_NOTIFY,
				     .notify = &n };
	int ret;

	h->lines++;
	ret = baton_notify_parse(line, len, &n);
	if (ret == -ENOENT) {
		h->no_role_lines++;	/* VS/RS lines, {UNKNOWN} */
		return;
	}
	if (ret) {
		if (h->bad_lines++ < BAD_LINES_LOGGED)
			log_warn(SUB, "notify fifo: malformed line (%zu bytes) "
				 "ignored", len);
		return;
	}
	/* -ENOENT: another instance or group, counted by the machine. */
	step(h, &ev);
}

static void fifo_feed(struct baton_ha *h, const char *buf, size_t n)
{
	while (n) {
		const char *nl = memchr(buf, '\n', n);
		size_t take = nl ? (size_t)(nl - buf) + 1 : n;

		if (h->overlong) {
			/* dropping the rest of an over-long line */
		} else if (h->len + take > sizeof(h->line)) {
			h->overlong = true;
			h->overlong_lines++;
			log_warn(SUB, "notify fifo: line longer than %zu bytes "
				 "dropped", sizeof(h->line));
		} else {
			memcpy(h->line + h->len, buf, take);
			h->len += take;
		}
		if (nl) {
			if (!h->overlong)
				on_line(h, h->line, h->len);
			h->len = 0;
			h->overlong = false;
		}
		buf += take;
		n -= take;
	}
}

static void on_readable(uv_poll_t *p, int status, int events)
{
	struct baton_ha *h = p->data;
	char buf[4096];
	ssize_t n;

	if (status < 0) {
		h->fifo_errors++;
		log_err(SUB, "notify fifo: %s", uv_strerror(status));
		uv_poll_stop(p);
		return;
	}
	/* Bounded per turn; the poll fires again if more is queued. */
	for (int i = 0; i < 16 && !h->stopping; i++) {
		n = read(h->rfd, buf, sizeof(buf));
		if (n > 0) {
			fifo_feed(h, buf, (size_t)n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN) {
			h->fifo_errors++;
			log_err(SUB, "notify fifo read: %s", strerror(errno));
		}
		/* n == 0 cannot last: our own write end stays open. */
		break;
	}
}

static int fifo_open(struct baton_ha *h, char *err, size_t errlen)
{
	struct stat st;

	if (mkfifo(h->fifo_path, 0600) && errno != EEXIST) {
		snprintf(err, errlen, "ha.notify_fifo %.300s: mkfifo: %s",
			 h->fifo_path, strerror(errno));
		return -errno;
	}
	h->rfd = open(h->fifo_path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (h->rfd < 0) {
		snprintf(err, errlen, "ha.notify_fifo %.300s: %s",
			 h->fifo_path, strerror(errno));
		return -errno;
	}
	if (fstat(h->rfd, &st) || !S_ISFIFO(st.st_mode)) {
		snprintf(err, errlen, "ha.notify_fifo %.300s: exists and is "
			 "not a FIFO", h->fifo_path);
		return -EINVAL;
	}
	/* Whoever can write it decides the node's role: keepalived and
	 * batond run as root, and so must its owner be, with no one else
	 * allowed to write. */
	if ((st.st_uid && st.st_uid != geteuid()) || (st.st_mode & 022)) {
		snprintf(err, errlen, "ha.notify_fifo %.300s: owned by uid %u "
			 "with mode %03o: others could write keepalived's "
			 "lines (want root's, no group or other write: "
			 "chown root, chmod 600)", h->fifo_path,
			 (unsigned int)st.st_uid,
			 (unsigned int)(st.st_mode & 0777));
		return -EPERM;
	}
	h->fifo_dev = st.st_dev;
	h->fifo_ino = st.st_ino;
	/* Our own writer: with none, a closed keepalived end means EOF,
	 * readable forever. Opening it also never blocks (a reader is open). */
	h->wfd = open(h->fifo_path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	if (h->wfd < 0) {
		snprintf(err, errlen, "ha.notify_fifo %.300s: open for "
			 "writing: %s", h->fifo_path, strerror(errno));
		return -errno;
	}
	return 0;
}

static void fifo_close(struct baton_ha *h)
{
	if (h->rfd >= 0)
		close(h->rfd);
	if (h->wfd >= 0)
		close(h->wfd);
	h->rfd = h->wfd = -1;
	h->len = 0;		/* a partial line from the old FIFO */
	h->overlong = false;
}

/* Open the FIFO and poll it. On failure nothing stays open. */
static int fifo_attach(struct baton_ha *h, char *err, size_t errlen)
{
	int ret;

	ret = fifo_open(h, err, errlen);
	if (ret)
		goto fail;
	ret = uv_poll_init(h->loop, &h->poll, h->rfd);
	if (ret) {
		snprintf(err, errlen, "ha: poll: %s", uv_strerror(ret));
		goto fail;
	}
	h->poll.data = h;
	h->poll_on = true;
	h->handles++;
	ret = uv_poll_start(&h->poll, UV_READABLE, on_readable);
	if (ret) {
		snprintf(err, errlen, "ha: poll: %s", uv_strerror(ret));
		return ret;	/* closed with the poll handle */
	}
	return 0;
fail:
	fifo_close(h);
	return ret;
}

static void fifo_reattach(struct baton_ha *h)
{
	char err[512];

	if (fifo_attach(h, err, sizeof(err))) {
		h->fifo_errors++;
		log_err(SUB, "%s (retrying every %d ms)", err, FIFO_CHECK_MS);
		return;
	}
	h->fifo_reopens++;
	log_info(SUB, "notify fifo %s reopened", h->fifo_path);
}

static void on_poll_closed(uv_handle_t *hd)
{
	struct baton_ha *h = hd->data;

	if (--h->handles == 0) {
		free(h);
		return;
	}
	if (h->stopping)
		return;
	fifo_close(h);
	fifo_reattach(h);
}

/*
 * keepalived writes to whatever FIFO is at the path when it starts. If the
 * FIFO batond reads was removed (an operator, a cleaner of /run, another
 * keepalived's exit) or replaced, batond would go deaf to every role
 * change: check, and reopen what is at the path (or make it anew).
 */
static void on_fifo_check(uv_timer_t *t)
{
	struct baton_ha *h = t->data;
	struct stat st;

	if (h->stopping)
		return;
	if (!h->poll_on) {
		if (h->rfd < 0)
			fifo_reattach(h);	/* an earlier reopen failed */
		return;
	}
	/* Not polled any more: a poll error (on_readable stopped it). */
	if (!uv_is_active((uv_handle_t *)&h->poll))
		log_warn(SUB, "notify fifo %s: not polled after an error: "
			 "reopening", h->fifo_path);
	else if (!stat(h->fifo_path, &st) && S_ISFIFO(st.st_mode) &&
		 st.st_dev == h->fifo_dev && st.st_ino == h->fifo_ino)
		return;
	else
		log_warn(SUB, "notify fifo %s was removed or replaced: "
			 "reopening", h->fifo_path);
	/* The poll handle goes before its fd; on_poll_closed reopens. */
	h->poll_on = false;
	uv_close((uv_handle_t *)&h->poll, on_poll_closed);
}

/* ---- life cycle --------------------------------------------------------- */

static void handle_closed(uv_handle_t *hd)
{
	struct baton_ha *h = hd->data;

	if (--h->handles == 0)
		free(h);
}

void baton_ha_stop(struct baton_ha *h)
{
	if (!h || h->stopping)
		return;
	h->stopping = true;
	baton_nudge_stop(h->nudge);
	h->nudge = NULL;
	if (h->poll_on)
		uv_close((uv_handle_t *)&h->poll, handle_closed);
	uv_close((uv_handle_t *)&h->timer, handle_closed);
	uv_close((uv_handle_t *)&h->retry, handle_closed);
	uv_close((uv_handle_t *)&h->fifo_check, handle_closed);
	uv_close((uv_handle_t *)&h->link_check, handle_closed);
	/* The poll handle is closed (uv_close stops it) before the fds. */
	fifo_close(h);
	/* The health interface goes away with its fd: withdrawn. */
	if (h->tun_fd >= 0)
		close(h->tun_fd);
	h->tun_fd = -1;
}

struct baton_ha *baton_ha_start(uv_loop_t *loop, const struct baton_config *cfg,
				bool datapath_reused, char *err,
				size_t errlen)
{
	const struct baton_ha_cfg *c = &cfg->ha;
	struct baton_ha_config rc = {};
	struct baton_ha *h;
	int ret;

	h = calloc(1, sizeof(*h));
	if (!h) {
		snprintf(err, errlen, "ha: out of memory");
		return NULL;
	}
	h->loop = loop;
	h->rfd = h->wfd = -1;
	h->tun_fd = -1;
	h->ecmp = cfg->ecmp.enabled;
	h->node_id = cfg->node_id;
	uv_timer_init(loop, &h->timer);
	uv_timer_init(loop, &h->retry);
	uv_timer_init(loop, &h->fifo_check);
	uv_timer_init(loop, &h->link_check);
	h->timer.data = h->retry.data = h->fifo_check.data = h;
	h->link_check.data = h;
	h->handles = 4;
	if (h->ecmp) {
		/* No keepalived: the node follows itself (ecmp_follow). */
		snprintf(h->follow, sizeof(h->follow), ECMP_NAME);
		h->follow_type = BATON_HA_FOLLOW_INSTANCE;
		snprintf(h->health_iface, sizeof(h->health_iface), "%s",
			 cfg->ecmp.health_iface);
		rc.grace_ms = cfg->ecmp.grace_forever ? BATON_HA_GRACE_FOREVER :
							cfg->ecmp.grace_ms;
		for (size_t i = 0; i < cfg->nifaces && i < BATON_MAX_IFACES;
		     i++)
			snprintf(h->links[h->nlinks++], IF_NAMESIZE, "%s",
				 cfg->ifaces[i].name);
	} else {
		snprintf(h->fifo_path, sizeof(h->fifo_path), "%s",
			 c->notify_fifo);
		snprintf(h->track_path, sizeof(h->track_path), "%s",
			 c->track_file);
		snprintf(h->follow, sizeof(h->follow), "%s", c->follow);
		h->follow_type = c->follow_type;
		h->resume_master = c->resume_master;
		h->nudge_cfg = c->nudge;
		rc.grace_ms = c->grace_forever ? BATON_HA_GRACE_FOREVER :
						 c->grace_ms;
	}

	rc.type = h->follow_type == BATON_HA_FOLLOW_INSTANCE ?
			  BATON_NOTIFY_INSTANCE : BATON_NOTIFY_GROUP;
	rc.name = h->follow;
	if (cfg->sync.enabled)
		for (size_t i = 0; i < cfg->sync.npeers &&
				   i < BATON_HA_MAX_PEERS; i++)
			rc.peers[rc.npeers++] = cfg->sync.peers[i].id;
	/* resume_master only where the datapath (and its flows) survived
	 * and the last batond left an incumbent MASTER behind. */
	h->resumed = c->resume_master && datapath_reused &&
		     was_incumbent_master(h);
	rc.resume_master = h->resumed;
	/* ECMP: every node serves, nothing to outrank (and announcing
	 * wants READY). */
	rc.split_priority = h->ecmp || c->split_priority;
	if (baton_ha_role_init(&h->role, &rc, now_ms())) {
		snprintf(err, errlen, "ha: bad configuration for the role "
			 "machine");
		goto out_stop;
	}
	if (h->resumed)
		log_info(SUB, "resuming as incumbent MASTER of %s (%.64s)",
			 baton_notify_type_name(rc.type), h->follow);

	if (h->ecmp) {
		ret = baton_announce_open(h->health_iface);
		if (ret < 0) {
			snprintf(err, errlen, "ecmp.health_interface %s: %s%s",
				 h->health_iface, strerror(-ret),
				 ret == -EBUSY ? " (held by another process: "
						 "another batond?)" : "");
			goto out_stop;
		}
		h->tun_fd = ret;
		h->links_up = baton_links_up((const char (*)[16])h->links,
					     h->nlinks, &h->link_bad);
		uv_timer_start(&h->link_check, on_link_check, LINK_CHECK_MS,
			       LINK_CHECK_MS);
		log_info(SUB, "ECMP: %s announces the VIPs while this node is "
			 "ready; %u sync peers, links %s", h->health_iface,
			 rc.npeers, h->links_up ? "up" : "down");
		ecmp_follow(h);
		return h;
	}

	ret = fifo_attach(h, err, errlen);
	if (ret)
		goto out_stop;
	uv_timer_start(&h->fifo_check, on_fifo_check, FIFO_CHECK_MS,
		       FIFO_CHECK_MS);
	log_info(SUB, "following %s \"%.64s\" via %s, track file %s, %u "
		 "sync peers", baton_notify_type_name(rc.type), h->follow,
		 h->fifo_path, h->track_path, rc.npeers);
	return h;

out_stop:
	baton_ha_stop(h);
	return NULL;
}

/* ---- status ------------------------------------------------------------- */

/* What the node is, for an operator: keepalived's state as the track
 * value lets it stand. */
static const char *effective_role(const struct baton_ha *h)
{
	const struct baton_ha_role *r = &h->role;

	switch (r->state) {
	case BATON_HA_MASTER:
		if (r->track_set && r->track < BATON_HA_TRACK_READY)
			return "master_demoting";
		return "master";
	case BATON_HA_BACKUP:
		return "backup";
	case BATON_HA_FAULT:
		return "fault";
	case BATON_HA_STOP:
		return "stopped";
	default:
		return "unknown";
	}
}

json_t *baton_ha_status(const struct baton_ha *h)
{
	const struct baton_ha_role *r;
	json_t *o, *peers;
	uint64_t now;

	if (!h)
		return json_pack("{s:b}", "enabled", 0);
	r = &h->role;
	now = now_ms();
	peers = json_array();
	for (unsigned int i = 0; peers && i < r->npeers; i++)
		json_array_append_new(peers, json_pack(
			"{s:I, s:s, s:b, s:b}", "id", (json_int_t)r->peers[i].id,
			"state", baton_ha_peer_state_name(r->peers[i].state),
			"ever_complete", r->peers[i].ever_complete,
			"stale", r->peers[i].stale));
	o = json_pack("{s:b, s:s, s:s, s:s, s:s, s:s, s:i, s:b, s:s, s:s, "
		      "s:b, s:b, s:o}",
		      "enabled", 1,
		      "follow", h->follow,
		      "follow_type", h->follow_type == BATON_HA_FOLLOW_INSTANCE ?
				"instance" : "group",
		      "notify_fifo", h->fifo_path,
		      "track_file", h->track_path,
		      "keepalived_state", baton_ha_state_name(r->state),
		      "priority", (int)r->priority,
		      "state_restored", r->state_restored,
		      "role", effective_role(h),
		      "datapath", r->datapath < 0 ? "unknown" :
				  r->datapath ? "attached" : "detached",
		      "ready", r->ready,
		      "incumbent", r->incumbent,
		      "peers", peers ? peers : json_array());
	if (!o)
		return NULL;
	json_object_set_new(o, "wait", json_string(baton_ha_wait_name(r->wait)));
	json_object_set_new(o, "wait_peer", r->wait_peer ?
				    json_integer(r->wait_peer) : json_null());
	json_object_set_new(o, "track", r->track_set ? json_integer(r->track) :
						      json_null());
	json_object_set_new(o, "track_written", h->track_written ?
				    json_integer(h->track_file_value) :
				    json_null());
	json_object_set_new(o, "track_pending", json_boolean(h->track_dirty));
	/* The latest takeover outranking an old master (ha/role.h). */
	json_object_set_new(o, "split_brain", json_string(r->no_boost ?
				    "priority" : "takeover"));
	json_object_set_new(o, "took_over", json_boolean(
				    baton_ha_role_took_over(r, now_ms())));
	json_object_set_new(o, "took_over_boost", json_boolean(r->boosted));
	json_object_set_new(o, "grace_ms", r->grace_ms == BATON_HA_GRACE_FOREVER ?
				    json_string("forever") :
				    json_integer((json_int_t)r->grace_ms));
	json_object_set_new(o, "resume_master", json_boolean(h->resume_master));
	json_object_set_new(o, "mode", json_string(h->ecmp ? "ecmp" :
							     "keepalived"));
	if (h->ecmp)
		json_object_set_new(o, "ecmp", json_pack(
			"{s:s, s:b, s:b, s:s?, s:I, s:I, s:I, s:I}",
			"health_interface", h->health_iface,
			"announced", h->announced,
			"links_up", h->links_up,
			"link_down", h->links_up || !h->nlinks ? NULL :
				     h->links[h->link_bad],
			"announces", (json_int_t)h->announces,
			"withdrawals", (json_int_t)h->withdrawals,
			"errors", (json_int_t)h->announce_errors,
			"link_faults", (json_int_t)h->link_faults));
	json_object_set_new(o, "nudge", baton_nudge_status(h->nudge));
	json_object_set_new(o, "resumed", json_boolean(h->resumed));
	json_object_set_new(o, "role_changes",
			    json_integer((json_int_t)r->role_changes));
	if (h->last_change_ms) {
		json_object_set_new(o, "last_change", json_integer(
				    (json_int_t)(h->last_change_wall_ms / 1000)));
		json_object_set_new(o, "last_change_unix_ms", json_integer(
				    (json_int_t)h->last_change_wall_ms));
		json_object_set_new(o, "last_change_ago_ms",
				    json_integer((json_int_t)(now -
						 h->last_change_ms)));
		json_object_set_new(o, "last_change_from", json_string(
				    baton_ha_state_name(h->last_from)));
	} else {
		json_object_set_new(o, "last_change", json_null());
		json_object_set_new(o, "last_change_unix_ms", json_null());
		json_object_set_new(o, "last_change_ago_ms", json_null());
		json_object_set_new(o, "last_change_from", json_null());
	}
	json_object_set_new(o, "counters", json_pack(
		"{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, "
		"s:I, s:I, s:I}",
		"role_changes", (json_int_t)r->role_changes,
		"takeovers", (json_int_t)r->takeovers,
		"faults", (json_int_t)r->faults,
		"resync_requests", (json_int_t)h->resync_requests,
		"track_writes", (json_int_t)r->track_writes,
		"track_errors", (json_int_t)h->track_errors,
		"lines", (json_int_t)h->lines,
		"notifies", (json_int_t)r->notifies,
		"ignored", (json_int_t)r->ignored,
		"no_role_lines", (json_int_t)h->no_role_lines,
		"bad_lines", (json_int_t)h->bad_lines,
		"overlong_lines", (json_int_t)h->overlong_lines,
		"fifo_errors", (json_int_t)h->fifo_errors,
		"fifo_reopens", (json_int_t)h->fifo_reopens,
		"lower_pri_adverts", (json_int_t)r->lower_pri_adverts));
	return o;
}
