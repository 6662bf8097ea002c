/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * baton-lbtime - how long one CPU spends in the NET_RX softirq while a
 * command runs: the comparison benchmark's "CPU time of the LB node"
 * (tests/bench/compare.sh steers the LB node's receive work, and only
 * that, to the CPU). See lbtime.bpf.c.
 *
 *   baton-lbtime --cpu N --out FILE -- CMD [ARG]...
 *
 * Attaches, runs CMD (its stdout and stderr are ours), detaches, and
 * writes one JSON line to FILE: {"ns":..,"runs":..}. The time includes the
 * tracepoints' own cost (two programs and two clock reads per softirq
 * run, not per packet). Exit status: CMD's, or 1 if the measurement
 * failed, 2 on bad usage.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bpf/libbpf.h>
#include <bpf/bpf.h>

#include "lbtime.skel.h"

struct acc {
	unsigned long long ns, runs, t0;
};

static void usage(FILE *f)
{
	fputs("usage: baton-lbtime --cpu N --out FILE -- CMD [ARG]...\n",
	      f);
}

int main(int argc, char **argv)
{
	const char *out = NULL;
	long cpu = -1;
	char *end;
	struct lbtime *skel;
	int i, status = 0, rc;
	struct acc val;
	pid_t pid;
	FILE *f;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--") && i + 1 < argc) {
			i++;
			break;
		}
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		}
		if (i + 1 >= argc)
			break;
		if (!strcmp(argv[i], "--cpu")) {
			errno = 0;
			cpu = strtol(argv[++i], &end, 10);
			if (errno || *end || cpu < 0 || cpu > 4095)
				cpu = -1;
		}
		else if (!strcmp(argv[i], "--out"))
			out = argv[++i];
		else
			break;
	}
	if (cpu < 0 || !out || i >= argc || strcmp(argv[i - 1], "--")) {
		usage(stderr);
		return 2;
	}
	skel = lbtime__open();
	if (!skel) {
		fprintf(stderr, "baton-lbtime: open: %s\n", strerror(errno));
		return 1;
	}
	skel->rodata->target_cpu = (unsigned int)cpu;
	rc = lbtime__load(skel);
	if (!rc)
		rc = lbtime__attach(skel);
	if (rc) {
		fprintf(stderr, "baton-lbtime: load/attach: %s\n",
			strerror(-rc));
		lbtime__destroy(skel);
		return 1;
	}
	pid = fork();
	if (pid == 0) {
		execvp(argv[i], argv + i);
		fprintf(stderr, "baton-lbtime: %s: %s\n", argv[i],
			strerror(errno));
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0) {
		fprintf(stderr, "baton-lbtime: running %s: %s\n", argv[i],
			strerror(errno));
		lbtime__destroy(skel);
		return 1;
	}
	lbtime__detach(skel);
	if (bpf_map__lookup_elem(skel->maps.lbtime_map, &(int){ 0 },
				 sizeof(int), &val, sizeof(val), 0)) {
		fprintf(stderr, "baton-lbtime: reading the counters failed\n");
		lbtime__destroy(skel);
		return 1;
	}
	lbtime__destroy(skel);
	f = fopen(out, "w");
	if (!f) {
		fprintf(stderr, "baton-lbtime: %s: %s\n", out, strerror(errno));
		return 1;
	}
	fprintf(f, "{\"ns\":%llu,\"runs\":%llu}\n", val.ns, val.runs);
	if (fclose(f))
		return 1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
