/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * baton-traffic - tagged echo server and verifying client for the lab and
 * the netns tests. See traffic.h for the protocol, `baton-traffic client
 * --help` and `baton-traffic server --help` for the options.
 */
#include <stdio.h>
#include <string.h>

#include "traffic.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: baton-traffic server|client [OPTIONS]  "
		   "(--help after the subcommand for its options)\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "server"))
		return tr_server_main(argc - 1, argv + 1);
	if (!strcmp(argv[1], "client"))
		return tr_client_main(argc - 1, argv + 1);
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(stdout);
		return 0;
	}
	usage(stderr);
	return 2;
}
