/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * PC/SC (pcsc-lite) for the pcsc: reader and SAM drivers: which reader a
 * URI names, a watch that waits for cards arriving and leaving, and a card
 * handle that connects, resets and transmits.  pcsc.c is the only file
 * that includes <winscard.h>; results here are negative errno values.
 *
 * pcsc-lite serialises the calls made on one context, and
 * SCardGetStatusChange() blocks its context for as long as it waits: so the
 * watch has a context (and a thread) of its own, and the card handle
 * another, used by one thread at a time.  Both survive pcscd restarting:
 * a context that pcscd no longer knows is dropped and established again.
 */
#ifndef YKT_PCSC_H
#define YKT_PCSC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum pcsc_protocol { PCSC_PROTO_ANY, PCSC_PROTO_T0, PCSC_PROTO_T1 };
enum pcsc_share { PCSC_SHARE_EXCLUSIVE, PCSC_SHARE_SHARED };

#define PCSC_NAME_MAX 128

/* A reader as a URI names it (after "pcsc:"):
 *   #N                  the Nth reader pcscd lists (from 0)
 *   NAME                the reader of that name, else the first whose name
 *                       starts with NAME ("ACS ACR1252 1S CL Reader" finds
 *                       "ACS ACR1252 1S CL Reader PICC 00 00")
 * followed by options: ",protocol=t0|t1|any" (default any), ",share=
 * exclusive|shared" (default given by the driver). */
struct pcsc_spec {
	int index; /* -1: by name */
	char name[PCSC_NAME_MAX];
	enum pcsc_protocol protocol;
	enum pcsc_share share;
};

/* Parse args into ret (share preset by the caller is kept unless given).
 * -EINVAL with a one-line reason in err. */
int pcsc_spec_parse(const char *args, struct pcsc_spec *ret, char *err, size_t err_len);

/* ---- the watch: cards arriving and leaving ---- */

struct pcsc_watch_state {
	bool service;	     /* pcscd answers and lists the reader */
	bool present;	     /* a card in the slot (present, not mute) */
	uint32_t insertions; /* cards arrived since the watch began; a pcscd
			      * restart counts as leaving and arriving */
};

enum pcsc_change { PCSC_CARD_ARRIVED, PCSC_CARD_LEFT };

/* Called from the watch's thread, once per change, in order. It may block
 * (the reader waits there for the tap to finish); the watch sees what
 * happened meanwhile when it returns. */
typedef void (*pcsc_watch_cb)(void *userdata, enum pcsc_change change,
			      const struct pcsc_watch_state *state);

struct pcsc_watch;

/* Look once (so pcsc_watch_get() is right on return), then watch in a
 * thread with SCardGetStatusChange, without polling while pcscd runs (while
 * it is gone, try to reach it every 250 ms). A card found at the first look
 * is reported as arriving, from the thread, only with report_present.
 * Caller frees with pcsc_watch_free(), which cancels the wait and joins the
 * thread (a callback blocked in the caller's code must be released first). */
int pcsc_watch_new(const struct pcsc_spec *spec, bool report_present, pcsc_watch_cb cb,
		   void *userdata, struct pcsc_watch **ret_watch);
void pcsc_watch_free(struct pcsc_watch *w);
/* Thread-safe; never blocks on pcscd. */
void pcsc_watch_get(struct pcsc_watch *w, struct pcsc_watch_state *ret);

/* ---- the card handle ---- */

struct pcsc_card;

/* No connection yet. Caller frees with pcsc_card_free() (which leaves the
 * card as it is: pcsc_card_disconnect() first to power it down). */
int pcsc_card_new(const struct pcsc_spec *spec, struct pcsc_card **ret_card);
void pcsc_card_free(struct pcsc_card *c);

/* Connect (the card powers up), or reconnect the open handle: cold power
 * cycles the card, else the handle is only re-established (after the card
 * was reset by someone else, or removed and inserted again). Writes the
 * ATR. -ENOMEDIUM (no card), -ENODEV (no pcscd or no such
 * reader), -EBUSY (another application holds it), -EIO. */
int pcsc_card_connect(struct pcsc_card *c, bool cold, uint8_t *atr, size_t atr_cap,
		      size_t *ret_atr_len);
/* One APDU. -ENOMEDIUM (the card was removed), -ECONNRESET (reset by
 * someone else: reconnect), -EIO (the exchange failed: a card leaving the
 * field looks like this), -ENODEV, -ENOTCONN (not connected), -ENOBUFS. */
int pcsc_card_transmit(struct pcsc_card *c, const uint8_t *capdu, size_t capdu_len, uint8_t *rapdu,
		       size_t rapdu_cap, size_t *ret_rapdu_len);
/* End the connection; unpower powers the card down. */
void pcsc_card_disconnect(struct pcsc_card *c, bool unpower);
/* 0 (T=0) or 1 (T=1) while connected, -ENOTCONN otherwise. */
int pcsc_card_protocol(const struct pcsc_card *c);
bool pcsc_card_connected(const struct pcsc_card *c);

#endif
