/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pcsc: reader — a PC/SC contactless reader (CCID, PC/SC part 3) through
 * pcscd.
 *
 *   pcsc:#N | pcsc:NAME          the reader (docs/drivers.md)
 *   ...,share=exclusive|shared   default exclusive
 *
 * A watch thread (its own context) waits in SCardGetStatusChange; when a
 * card arrives it connects, asks the reader for the UID (FF CA 00 00 00),
 * posts YKT_EV_CARD_PRESENT and waits until the tap is done; the loop
 * thread exchanges APDUs through the same handle meanwhile and powers the
 * card down at the end (done). The card must then leave the field before
 * it can be reported again; the watch posts YKT_EV_CARD_REMOVED when it
 * does. Nothing polls: pcscd reports arrivals and departures.
 *
 * What PC/SC cannot show: a slot holds one card. A reader with two cards in
 * its field activates one of them (its anticollision picks) or none; either
 * way n_cards is 1 and YKT_E_MULTI_CARD cannot be told from here (docs).
 */
#include "reader.h"

#include "clock.h"
#include "loop.h"
#include "pcsc.h"
#include "ykt_error.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>

static const uint8_t get_uid[] = { 0xFF, 0xCA, 0x00, 0x00, 0x00 };

struct pcsc_reader {
	struct pcsc_spec spec;
	struct pcsc_card *card;
	struct pcsc_watch *watch;

	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool in_tap, stopping; /* under lock */

	/* the watch thread's own */
	uint8_t last_uid[10];
	size_t last_uid_len;
	bool lost_with_card; /* pcscd went away while a card lay in the field */
};

static int reader_open(struct ykt_reader *r, const char *args)
{
	struct pcsc_reader *rd = ykt_reader_priv(r);
	char err[200];
	int rc;

	rd->spec.share = PCSC_SHARE_EXCLUSIVE;
	rc = pcsc_spec_parse(args, &rd->spec, err, sizeof(err));
	if (rc < 0) {
		ykt_reader_set_error(r, "%s", err);
		return rc;
	}
	rc = pcsc_card_new(&rd->spec, &rd->card);
	if (rc < 0)
		return rc;
	pthread_mutex_init(&rd->lock, NULL);
	pthread_cond_init(&rd->cond, NULL);
	return 0;
}

static void reader_close(struct ykt_reader *r)
{
	struct pcsc_reader *rd = ykt_reader_priv(r);

	pthread_mutex_lock(&rd->lock);
	rd->stopping = true; /* a watch waiting for the end of a tap returns */
	pthread_cond_broadcast(&rd->cond);
	pthread_mutex_unlock(&rd->lock);
	pcsc_watch_free(rd->watch);
	pcsc_card_disconnect(rd->card, true);
	pcsc_card_free(rd->card);
	pthread_cond_destroy(&rd->cond);
	pthread_mutex_destroy(&rd->lock);
}

static void reader_post(struct ykt_reader *r, const struct ykt_event *ev)
{
	while (ykt_loop_post(ykt_reader_env(r)->loop, ev) == -ENOSPC)
		ykt_sleep_ns(1000000); /* the loop drains its queue */
}

/* The reader's GET DATA (PC/SC part 3): UID ‖ 90 00. A reader without it
 * leaves the UID empty: cards are never identified by UID anyway. */
static void reader_uid(struct pcsc_reader *rd, struct ykt_event *ev)
{
	uint8_t resp[32];
	size_t len = 0;

	if (pcsc_card_transmit(rd->card, get_uid, sizeof(get_uid), resp, sizeof(resp), &len) < 0 ||
	    len < 3 || len - 2 > sizeof(ev->uid) || resp[len - 2] != 0x90 || resp[len - 1] != 0x00)
		return;
	ev->uid_len = len - 2;
	memcpy(ev->uid, resp, ev->uid_len);
}

/* After pcscd came back, the card that lay in the field all along is not
 * a new tap (a phone shows a new UID and cannot be told apart). */
static bool reader_same_card(struct pcsc_reader *rd, const struct ykt_event *ev)
{
	bool same = rd->lost_with_card && ev->uid_len && ev->uid_len == rd->last_uid_len &&
		    memcmp(ev->uid, rd->last_uid, ev->uid_len) == 0;

	rd->lost_with_card = false;
	memcpy(rd->last_uid, ev->uid, ev->uid_len);
	rd->last_uid_len = ev->uid_len;
	return same;
}

/* In the watch thread: a card arrived. Connect, report it, wait for the tap
 * to end (ykt_reader_done from the loop thread). */
static void reader_card_arrived(struct ykt_reader *r, struct pcsc_reader *rd)
{
	struct ykt_event ev = { .type = YKT_EV_CARD_PRESENT,
				.source = ykt_reader_env(r)->source,
				.n_cards = 1 };
	uint8_t atr[40];
	size_t atr_len;

	if (pcsc_card_connect(rd->card, false, atr, sizeof(atr), &atr_len) < 0)
		return; /* gone already, or it does not answer: not a tap */
	reader_uid(rd, &ev);
	if (reader_same_card(rd, &ev)) {
		pcsc_card_disconnect(rd->card, false);
		return;
	}
	pthread_mutex_lock(&rd->lock);
	rd->in_tap = true;
	pthread_mutex_unlock(&rd->lock);
	reader_post(r, &ev);
	pthread_mutex_lock(&rd->lock);
	while (rd->in_tap && !rd->stopping)
		pthread_cond_wait(&rd->cond, &rd->lock);
	pthread_mutex_unlock(&rd->lock);
}

static void reader_on_change(void *userdata, enum pcsc_change change,
			     const struct pcsc_watch_state *state)
{
	struct ykt_reader *r = userdata;
	struct pcsc_reader *rd = ykt_reader_priv(r);
	struct ykt_event ev = { .type = YKT_EV_CARD_REMOVED, .source = ykt_reader_env(r)->source };

	if (change == PCSC_CARD_ARRIVED) {
		reader_card_arrived(r, rd);
		return;
	}
	rd->lost_with_card = !state->service;
	reader_post(r, &ev);
}

static int reader_start(struct ykt_reader *r)
{
	struct pcsc_reader *rd = ykt_reader_priv(r);

	if (rd->watch)
		return -EALREADY;
	/* a card already on the reader is a tap like any other */
	return pcsc_watch_new(&rd->spec, true, reader_on_change, r, &rd->watch);
}

static int reader_transceive(struct ykt_reader *r, const uint8_t *capdu, size_t capdu_len,
			     uint8_t *rapdu, size_t rapdu_cap, size_t *ret_rapdu_len)
{
	struct pcsc_reader *rd = ykt_reader_priv(r);
	int rc = pcsc_card_transmit(rd->card, capdu, capdu_len, rapdu, rapdu_cap, ret_rapdu_len);

	switch (rc) {
	case -ENOMEDIUM:  /* removed, and pcscd knows it */
	case -EIO:	  /* the exchange failed: the card is leaving the field */
	case -ECONNRESET: /* reset under us: its state is gone */
	case -ENODEV:	  /* pcscd or the reader went away */
	case -ENOTCONN:
		return YKT_E_CARD_GONE;
	default:
		return rc;
	}
}

static int reader_done(struct ykt_reader *r)
{
	struct pcsc_reader *rd = ykt_reader_priv(r);

	/* power the card down: it must leave and come back to be read again */
	pcsc_card_disconnect(rd->card, true);
	pthread_mutex_lock(&rd->lock);
	rd->in_tap = false;
	pthread_cond_broadcast(&rd->cond);
	pthread_mutex_unlock(&rd->lock);
	return 0;
}

const struct ykt_reader_ops ykt_reader_pcsc_ops = {
	.scheme = "pcsc",
	.priv_size = sizeof(struct pcsc_reader),
	.open = reader_open,
	.close = reader_close,
	.start = reader_start,
	.transceive = reader_transceive,
	.done = reader_done,
};
