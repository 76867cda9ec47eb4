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

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* One vpcd reader with its two slots, "NAME 00 00" on port and "NAME 00
 * 01" on port + 1. (vpcd 3.3 keeps its connections by slot number, not by
 * reader: a second reader.conf entry would share the first one's slots.) */
struct pcscd_private {
	char dir[200]; /* run/ (the socket), conf/ (reader.conf), pcscd.log */
	pid_t pid;
	char name[64];
	uint16_t port;
};

/* Why this machine cannot run a private pcscd, or NULL when it can. */
const char *pcscd_private_unavailable(void);

/* Start pcscd in dir (which must exist) with the vpcd reader `name`;
 * returns once its socket and both vpcd ports are there. Sets
 * PCSCLITE_CSOCK_NAME for this process. On error a reason in why. */
int pcscd_private_start(struct pcscd_private *p, const char *dir, const char *name, char *why,
			size_t why_len);
/* Kill it (SIGKILL: SIGTERM takes pcscd 1.2-2 s) and wait. */
void pcscd_private_stop(struct pcscd_private *p);
/* What pcscd shows of a slot now, through a context of its own: its card
 * event counter (one per insertion or removal pcscd saw) and whether a card
 * is in. -ENODEV when pcscd does not answer. */
int pcscd_private_look(const char *reader, unsigned *ret_events, bool *ret_present);

/* Wait (up to timeout_ms) until pcscd's counter for the slot is at least
 * `events` past `since` and the slot shows `present`. Counting matters:
 * a card that leaves and another that arrives between two of pcscd's polls
 * (about 400 ms) look like one card staying, and a disconnect that fails
 * because the card left can show the slot empty before pcscd's poll saw the
 * card go. 0, -ETIMEDOUT or -ENODEV. */
int pcscd_private_wait_card(const char *reader, bool present, unsigned since, unsigned events,
			    int timeout_ms);

/* Stop and start again on the same ports. */
int pcscd_private_restart(struct pcscd_private *p, char *why, size_t why_len);

#endif
