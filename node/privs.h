/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * privs.h - batond gives up the capabilities it no longer needs once it
 * has loaded and attached the datapath and opened what it opens at start
 * (node.drop_privileges, default on). Which ones it keeps, and why:
 * privset.h.
 *
 * The drop, with the raw capget/capset system calls and prctl:
 *  - the bounding set loses every other capability (this needs
 *    CAP_SETPCAP, which is then dropped too; without it the bounding set
 *    stays as it is, with a warning: no_new_privs below already keeps an
 *    execve from gaining anything);
 *  - the ambient set is cleared; effective and permitted become the kept
 *    set, inheritable empty;
 *  - PR_SET_NO_NEW_PRIVS: no execve can raise privileges again;
 *  - the result is read back and compared.
 * batond stays uid 0: the files it still writes (the pins it removes at
 * stop, the control socket, the track file and FIFO, baton.yaml on
 * `config save`) are root's, in root's directories (/sys/fs/bpf is 0700),
 * and it reads baton.yaml again on every SIGHUP. Without CAP_DAC_OVERRIDE
 * it reaches files by their owner and mode bits, like any process.
 *
 * Capabilities belong to each thread, not to the process: the drop runs
 * before the first thread starts (nng's, for sync) and refuses to run in a
 * process that has more than one, so no thread keeps what the others lost.
 * Threads started later inherit the reduced sets.
 *
 * A drop that fails is an error batond does not start with (it would run
 * with privileges its operator was promised it gave up); node.drop_privileges:
 * false is the way out, logged at every start.
 */
#ifndef BATON_PRIVS_H
#define BATON_PRIVS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The calling thread's privileges, as /proc/self/status shows them. */
struct baton_privs {
	uint64_t effective, permitted, inheritable, bounding, ambient;
	bool no_new_privs;
	uid_t uid, euid;
};

/* Read them. 0 or -errno. */
int baton_privs_get(struct baton_privs *p);

/*
 * Keep only `keep` (as far as it is permitted now; what is not is logged
 * and not kept), as above. bpf_fd: an open BPF map, to find out whether
 * bpf() on it needs CAP_BPF on this kernel (then that is kept too); -1 not
 * to ask. *kept (may be NULL): the permitted set after the drop. Logs one
 * info line naming what is kept. 0, or -errno with err filled and the
 * privileges possibly part-dropped (batond then stops).
 */
int baton_privs_drop(uint64_t keep, int bpf_fd, uint64_t *kept, char *err,
		     size_t errlen);

#endif /* BATON_PRIVS_H */
