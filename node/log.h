/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * log.h - batond's log: one line per event on stderr,
 *   "batond: LEVEL subsystem: message"
 * or, when stderr is the journal (systemd's JOURNAL_STREAM matches it),
 *   "<PRIO>LEVEL subsystem: message"
 * so that journald files each line at its syslog priority (journalctl -p
 * warning) under the unit's name. Lines below the configured level are
 * dropped. Not thread-safe beyond what
 * stdio gives; everything logs from the loop thread.
 */
#ifndef BATON_LOG_H
#define BATON_LOG_H

enum baton_log_level {
	BATON_LOG_ERROR = 0,
	BATON_LOG_WARN = 1,
	BATON_LOG_INFO = 2,
	BATON_LOG_DEBUG = 3,
};

/* "error" | "warn" | "info" | "debug"; 0 or -EINVAL (level unchanged). */
int baton_log_set_level_str(const char *level);
void baton_log_set_level(enum baton_log_level level);
int baton_log_enabled(enum baton_log_level level);

/* Routes libbpf's own messages into this log (warnings at warn, the rest at
 * debug). */
void baton_log_hook_libbpf(void);
/* Mute libbpf around a call whose failure is expected and handled (it
 * prints kernel extack messages as warnings). */
void baton_log_libbpf_quiet(int quiet);

void baton_log(enum baton_log_level level, const char *subsys,
	       const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#define log_err(sub, ...)   baton_log(BATON_LOG_ERROR, sub, __VA_ARGS__)
#define log_warn(sub, ...)  baton_log(BATON_LOG_WARN, sub, __VA_ARGS__)
#define log_info(sub, ...)  baton_log(BATON_LOG_INFO, sub, __VA_ARGS__)
#define log_debug(sub, ...) baton_log(BATON_LOG_DEBUG, sub, __VA_ARGS__)

#endif /* BATON_LOG_H */
