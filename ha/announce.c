// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* announce.c - see announce.h. */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/if_tun.h>

#include "announce.h"

int baton_announce_open(const char *name)
{
	struct ifreq ifr;
	int fd, ret;

	if (strlen(name) >= IFNAMSIZ)
		return -ENAMETOOLONG;
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	memcpy(ifr.ifr_name, name, strlen(name));
	if (ioctl(fd, TUNSETIFF, &ifr)) {
		ret = -errno;
		close(fd);
		return ret;
	}
	/* A stale device of that name (persistent, from someone else)
	 * would be reused by TUNSETIFF: ours must die with us. */
	if (ioctl(fd, TUNSETPERSIST, 0)) {
		ret = -errno;
		close(fd);
		return ret;
	}
	return fd;
}

static int if_flags(int sk, const char *name, short *flags)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(sk, SIOCGIFFLAGS, &ifr))
		return -errno;
	*flags = ifr.ifr_flags;
	return 0;
}

int baton_announce_set(const char *name, bool up)
{
	struct ifreq ifr;
	short flags;
	int sk, ret;

	sk = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sk < 0)
		return -errno;
	ret = if_flags(sk, name, &flags);
	if (!ret && !!(flags & IFF_UP) != up) {
		memset(&ifr, 0, sizeof(ifr));
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
		ifr.ifr_flags = up ? (short)(flags | IFF_UP) :
				     (short)(flags & ~IFF_UP);
		if (ioctl(sk, SIOCSIFFLAGS, &ifr))
			ret = -errno;
	}
	close(sk);
	return ret;
}

bool baton_links_up(const char (*names)[16], size_t n, size_t *bad)
{
	bool ok = true;
	short flags;
	int sk;

	*bad = 0;
	sk = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sk < 0)
		return true;	/* cannot tell: do not call it a FAULT */
	for (size_t i = 0; i < n && ok; i++) {
		if (if_flags(sk, names[i], &flags) ||
		    (flags & (IFF_UP | IFF_RUNNING)) != (IFF_UP | IFF_RUNNING)) {
			*bad = i;
			ok = false;
		}
	}
	close(sk);
	return ok;
}
