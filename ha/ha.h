/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * ha.h - keepalived integration inside batond: the I/O around the pure
 * role machine (role.h) and notify parser (notify.h).
 *
 *  - keepalived's notify FIFO (ha.notify_fifo) is created (mkfifo 0600)
 *    if missing, opened O_RDONLY|O_NONBLOCK, with a write end of our own
 *    kept open so that keepalived closing its end never makes the FIFO
 *    readable-at-EOF forever; lines are read by a uv_poll_t, split on
 *    '\n' into a buffer of BATON_NOTIFY_LINE_MAX bytes (a longer line is
 *    dropped whole and counted) and parsed;
 *  - the datapath state comes from batond (baton_ha_datapath), the sync
 *    peers' completeness from sync's peer hook (baton_ha_sync_hook);
 *  - the machine's actions are applied: the track file is written
 *    atomically (PATH.tmp, rename over PATH; never unlinked; a failed
 *    write is retried every second), role changes are logged at info and
 *    counted, the timer it asks for is a uv_timer_t;
 *  - TRACK_FILE.state keeps the role and incumbency for resume_master
 *    (read at start, only when the datapath was reused).
 * Everything runs on the loop thread.
 */
#ifndef BATON_HA_HA_H
#define BATON_HA_HA_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>
#include <uv.h>

#include "../node/config.h"
#include "../sync/sync.h"

struct baton_ha;

/*
 * Set up the role machine from cfg->ha (and the sync peers of cfg->sync)
 * and open the FIFO. datapath_reused: the loader found pinned maps (a
 * restart), the precondition of resume_master. NULL with a message in err
 * on failure. Nothing is written before the first event.
 */
struct baton_ha *baton_ha_start(uv_loop_t *loop, const struct baton_config *cfg,
				bool datapath_reused, char *err,
				size_t errlen);
/* Close handles and fds; freed once closed (the loop must run on).
 * Accepts NULL. The track file is left as last written. */
void baton_ha_stop(struct baton_ha *h);

/* The sync engine to ask for resyncs (after a FAULT, see role.h), or
 * NULL. It must outlive the baton_ha or be unset first. Accepts NULL h. */
void baton_ha_set_sync(struct baton_ha *h, struct baton_sync *s);

/* ct_v4_map, for the takeover nudge (ha.nudge, nudge.h): set up once.
 * Accepts NULL h. */
void baton_ha_set_ct(struct baton_ha *h, int ct_fd);

/* The datapath is (no longer) attached. Accepts NULL. */
void baton_ha_datapath(struct baton_ha *h, bool attached);

/* sync's peer hook (baton_sync_set_peer_hook); arg is struct baton_ha. */
void baton_ha_sync_hook(void *arg, uint32_t peer_id,
			enum baton_sync_peer_event ev);

/* `batonctl ha status`; {"enabled": false} for NULL. New reference. */
json_t *baton_ha_status(const struct baton_ha *h);

#endif /* BATON_HA_HA_H */
