/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The PN532 emulator as a child process, for tests and benchmarks: started
 * with its own pty link in a given directory, its standard output read line
 * by line ("pty", "tap N", "stall N", "end"), stopped with SIGTERM.
 */
#ifndef YKT_EMU_PROC_H
#define YKT_EMU_PROC_H

#include <stdio.h>
#include <sys/types.h>

struct emu_proc {
	pid_t pid;
	FILE *out;	/* the emulator's standard output */
	char link[440]; /* DIR/pn532: the connstring's port */
	char uri[480];	/* libnfc:pn532_uart:DIR/pn532 */
};

/* Start emu_path with --link DIR/pn532 and the arguments in args (NULL
 * ended), with no signal blocked, and wait until it is ready. -errno, or
 * -EPIPE when it exited first. */
int emu_proc_start(struct emu_proc *p, const char *emu_path, const char *dir,
		   const char *const *args);

/* Read lines until one starts with prefix (copied into line). -EPIPE at
 * the end of the output. Blocks. */
int emu_proc_wait(struct emu_proc *p, const char *prefix, char *line, size_t cap);

/* SIGTERM, then reap it. Returns its exit status, or -1. Idempotent. */
int emu_proc_stop(struct emu_proc *p);

/* SIGKILL: a reader pulled out, with no goodbye. */
void emu_proc_kill(struct emu_proc *p);

#endif
