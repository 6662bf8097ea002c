// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* log.c - see log.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <bpf/libbpf.h>

#include "log.h"

static enum baton_log_level cur_level = BATON_LOG_INFO;
static int libbpf_quiet;
static int to_journal = -1;	/* -1: not looked at yet */

/* syslog(3) priorities, for journald's "<N>" line prefix. */
static const int level_prio[] = {
	[BATON_LOG_ERROR] = 3,
	[BATON_LOG_WARN] = 4,
	[BATON_LOG_INFO] = 6,
	[BATON_LOG_DEBUG] = 7,
};

/* systemd sets JOURNAL_STREAM=DEV:INODE when stderr is the journal's
 * stream; it may be inherited by something we write to elsewhere, so the
 * descriptor must match it. */
static int stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	return js && sscanf(js, "%llu:%llu", &dev, &ino) == 2 &&
	       !fstat(2, &st) && st.st_dev == dev && st.st_ino == ino;
}

static const char *const level_names[] = {
	[BATON_LOG_ERROR] = "error",
	[BATON_LOG_WARN] = "warn",
	[BATON_LOG_INFO] = "info",
	[BATON_LOG_DEBUG] = "debug",
};

static const char *const level_tags[] = {
	[BATON_LOG_ERROR] = "ERROR",
	[BATON_LOG_WARN] = "WARN",
	[BATON_LOG_INFO] = "INFO",
	[BATON_LOG_DEBUG] = "DEBUG",
};

int baton_log_set_level_str(const char *level)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]);
	     i++) {
		if (!strcmp(level, level_names[i])) {
			cur_level = (enum baton_log_level)i;
			return 0;
		}
	}
	return -EINVAL;
}

void baton_log_set_level(enum baton_log_level level)
{
	cur_level = level;
}

int baton_log_enabled(enum baton_log_level level)
{
	return level <= cur_level;
}

static void vlog(enum baton_log_level level, const char *subsys,
		 const char *fmt, va_list ap)
{
	char msg[1024];
	size_t n;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	/* One event, one line: libbpf and strerror texts may end in '\n'. */
	n = strlen(msg);
	while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = '\0';
	for (size_t i = 0; i < n; i++)
		if (msg[i] == '\n')
			msg[i] = ' ';
	if (to_journal < 0)
		to_journal = stderr_is_journal();
	/* journald takes the priority from the prefix and names the unit
	 * itself: the line stays "LEVEL subsystem: message". */
	if (to_journal)
		fprintf(stderr, "<%d>%s %s: %s\n", level_prio[level],
			level_tags[level], subsys, msg);
	else
		fprintf(stderr, "batond: %s %s: %s\n", level_tags[level],
			subsys, msg);
}

void baton_log(enum baton_log_level level, const char *subsys,
	       const char *fmt, ...)
{
	va_list ap;

	if (!baton_log_enabled(level))
		return;
	va_start(ap, fmt);
	vlog(level, subsys, fmt, ap);
	va_end(ap);
}

static int libbpf_print(enum libbpf_print_level plevel, const char *fmt,
			va_list ap)
{
	enum baton_log_level level =
		plevel == LIBBPF_WARN ? BATON_LOG_WARN : BATON_LOG_DEBUG;

	/* libbpf's debug output (every relocation) is too much even for
	 * debug; keep its info and warnings. */
	if (libbpf_quiet || plevel == LIBBPF_DEBUG ||
	    !baton_log_enabled(level))
		return 0;
	vlog(level, "libbpf", fmt, ap);
	return 0;
}

void baton_log_libbpf_quiet(int quiet)
{
	libbpf_quiet = quiet;
}

void baton_log_hook_libbpf(void)
{
	libbpf_set_print(libbpf_print);
}
