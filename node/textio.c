// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* textio.c - see textio.h. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "textio.h"

void baton_text_printf(struct baton_text *t, const char *fmt, ...)
{
	size_t room, cap;
	va_list ap;
	char *p;
	int n;

	if (t->oom)
		return;
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		t->oom = true;
		return;
	}
	room = t->cap - t->len;
	if ((size_t)n >= room) {
		cap = t->cap ? t->cap : 4096;
		while (cap - t->len <= (size_t)n)
			cap *= 2;
		p = realloc(t->p, cap);
		if (!p) {
			t->oom = true;
			return;
		}
		t->p = p;
		t->cap = cap;
	}
	va_start(ap, fmt);
	vsnprintf(t->p + t->len, t->cap - t->len, fmt, ap);
	va_end(ap);
	t->len += (size_t)n;
}

void baton_text_free(struct baton_text *t)
{
	free(t->p);
	memset(t, 0, sizeof(*t));
}

int baton_write_file(const char *path, const char *text, size_t len)
{
	char tmp[PATH_MAX];
	struct stat st;
	int fd, ret = 0;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
		return -ENAMETOOLONG;
	/* A new file of our own: a stale one goes first, and a symlink
	 * planted there in between fails the open rather than being
	 * followed (the directory may be writable by others). */
	if (unlink(tmp) && errno != ENOENT)
		return -errno;
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		  0644);
	if (fd < 0)
		return -errno;
	if (!stat(path, &st) && fchmod(fd, st.st_mode & 07777))
		ret = -errno;
	for (size_t off = 0; !ret && off < len;) {
		ssize_t n = write(fd, text + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			ret = n < 0 ? -errno : -EIO;
		else
			off += (size_t)n;
	}
	if (!ret && fsync(fd))
		ret = -errno;
	if (close(fd) && !ret)
		ret = -errno;
	if (!ret && rename(tmp, path))
		ret = -errno;
	if (ret)
		unlink(tmp);
	return ret;
}
