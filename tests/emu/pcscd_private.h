/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A private pcscd for a test: its own reader.conf (vpcd readers on ports
 * found free), its own socket. pcscd's socket path is compiled in
 * (/run/pcscd/pcscd.comm), so it runs in a mount namespace of its own
 * (unshare -m) with the test's directory bound over /run/pcscd; the
 * clients in the test find it through PCSCLITE_CSOCK_NAME, which this sets.
 * That needs root; without it (or without pcscd or vpcd) the test skips.
 */
#ifndef YKT_EMU_PCSCD_PRIVATE_H
#define YKT_EMU_PCSCD_PRIVATE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define PCSCD_MAX_READERS 4

struct pcscd_private {
	char dir[200]; /* run/ (the socket), conf/ (reader.conf), pcscd.log */
	pid_t pid;
	size_t n_readers;
	char names[PCSCD_MAX_READERS][64];
	/* each vpcd reader has two slots, "NAME 00 00" on port and "NAME 00 01"
	 * on port + 1 */
	uint16_t ports[PCSCD_MAX_READERS];
};

/* Why this machine cannot run a private pcscd, or NULL when it can. */
const char *pcscd_private_unavailable(void);

/* Start pcscd in dir (which must exist) with one vpcd reader per name;
 * returns once its socket and every vpcd port are there. Sets
 * PCSCLITE_CSOCK_NAME for this process. On error a reason in why. */
int pcscd_private_start(struct pcscd_private *p, const char *dir, const char *const *names,
			size_t n_names, char *why, size_t why_len);
/* Kill it (SIGKILL: SIGTERM takes pcscd 1.2-2 s) and wait. */
void pcscd_private_stop(struct pcscd_private *p);
/* Stop and start again on the same ports. */
int pcscd_private_restart(struct pcscd_private *p, char *why, size_t why_len);

#endif
