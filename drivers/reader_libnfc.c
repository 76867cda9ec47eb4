/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libnfc: reader — a PN53x-class contactless reader through libnfc (1.8.0
 * on Debian 12), by libnfc connstring (docs/drivers.md):
 *
 *   libnfc:pn532_uart:/dev/ttyS1[:BAUD]   PN532 on a UART
 *   libnfc:pn532_i2c:/dev/i2c-1           PN532 on I2C
 *   libnfc:pn532_spi:/dev/spidev0.0       PN532 on SPI
 *   libnfc:pn53x_usb:  libnfc:acr122_usb:  USB readers (first one found)
 *   libnfc:                               libnfc's default device
 *
 * A poll thread owns the waiting: it blocks in nfc_initiator_poll_target
 * (the PN532's InAutoPoll over ISO/IEC 14443 A and B), so waiting for a card
 * costs no CPU, and reports how many cards answered; the loop thread then
 * exchanges APDUs; after ykt_reader_done() the poll thread pings the card
 * until it leaves, and reports its removal. A libnfc device is not
 * thread-safe: one lock serialises every call on it.
 *
 * libnfc 1.8.0 waits for an InAutoPoll answer with no time-out, and its
 * other commands only when a time-out is given. A watchdog thread aborts a
 * poll (nfc_abort_command) that outlives its longest length; a reader that
 * then does not answer a short command, that fails a command, or that is
 * unplugged is closed and opened again with back-off, while the validator is
 * told once (YKT_EV_DEVICE_ERROR) and the log says it once.
 */
#include "reader.h"

#include "clock.h"
#include "log.h"
#include "loop.h"
#include "ykt_error.h"

#include <errno.h>
#include <nfc/nfc.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* InAutoPoll: one round of 2 x 150 ms per target type (libnfc polls three:
 * ISO 14443-4A, MIFARE for the rest of A, 14443-4B): back within ~0.9 s */
#define POLL_NR		   1
#define POLL_PERIOD	   2
#define POLL_TYPES	   3
#define POLL_LONGEST_MS	   (POLL_NR * POLL_PERIOD * 150 * POLL_TYPES)
#define WATCHDOG_MS	   (2 * POLL_LONGEST_MS + 500)
#define TRANSCEIVE_MS	   1000 /* beyond the chip's own frame waiting and retries */
#define PRESENCE_EVERY_MS  100	/* while the card stays after the tap */
#define REOPEN_FIRST_MS	   200
#define REOPEN_MAX_MS	   5000
#define ABORT_EVERY_MS	   50 /* shutdown: an abort only hits a command in progress */
#define LIBNFC_DRIVER_NAME 32

enum poll_state {
	ST_POLL,    /* waiting for a card */
	ST_TAP,	    /* a card reported; the loop thread exchanges APDUs */
	ST_REMOVAL, /* the validator is done; waiting for the card to leave */
};

struct nfc_reader {
	nfc_context *ctx;
	char connstring[NFC_BUFSIZE_CONNSTRING];
	bool any_device; /* libnfc: alone */

	pthread_t poll_thread, dog_thread;
	bool poll_started, dog_started;

	/* the device: opened and closed by the poll thread, used by it and by
	 * the loop thread's transceive, always under dev_lock */
	pthread_mutex_t dev_lock;
	nfc_device *dev;

	/* everything below, under lock */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	enum poll_state state;
	bool stopping, poll_exited;
	int n_cards;	 /* cards that answered the poll of this tap */
	bool card_gone;	 /* the tap's card left (libnfc released it) */
	bool dev_failed; /* a transceive found the reader not answering */
	bool outage;	 /* the device is lost and has been reported */
	/* the watchdog's view of the poll in progress */
	nfc_device *polling; /* NULL when no poll runs */
	unsigned poll_gen;
	int64_t poll_deadline_ns;
	bool dog_fired;
};

/* ---- small helpers ---- */

static int64_t now_ns(void)
{
	return ykt_monotonic_ns();
}

/* Wait on the cond until deadline (monotonic ns) or a signal; lock held. */
static void wait_until(struct nfc_reader *nr, int64_t deadline_ns)
{
	struct timespec ts = { deadline_ns / 1000000000, deadline_ns % 1000000000 };

	pthread_cond_timedwait(&nr->cond, &nr->lock, &ts);
}

static bool stopping(struct nfc_reader *nr)
{
	bool s;

	pthread_mutex_lock(&nr->lock);
	s = nr->stopping;
	pthread_mutex_unlock(&nr->lock);
	return s;
}

/* Sleep up to ms unless the reader is closing; returns false when it is. */
static bool nap(struct nfc_reader *nr, int ms)
{
	int64_t until = now_ns() + (int64_t)ms * 1000000;
	bool s;

	pthread_mutex_lock(&nr->lock);
	while (!nr->stopping && now_ns() < until)
		wait_until(nr, until);
	s = nr->stopping;
	pthread_mutex_unlock(&nr->lock);
	return !s;
}

static void post(struct ykt_reader *r, const struct ykt_event *ev)
{
	while (ykt_loop_post(ykt_reader_env(r)->loop, ev) == -ENOSPC)
		ykt_sleep_ns(1000000); /* the loop drains; a full queue cannot persist */
}

static void post_simple(struct ykt_reader *r, enum ykt_event_type type, int err)
{
	struct ykt_event ev = { .type = type, .source = ykt_reader_env(r)->source, .err = err };

	post(r, &ev);
}

/* ---- the device: open, lose, reopen ---- */

static int device_open(struct nfc_reader *nr)
{
	nfc_device *dev = nfc_open(nr->ctx, nr->any_device ? NULL : nr->connstring);

	if (!dev)
		return -ENODEV;
	if (nfc_initiator_init(dev) < 0) {
		nfc_close(dev);
		return -EIO;
	}
	pthread_mutex_lock(&nr->dev_lock);
	nr->dev = dev;
	pthread_mutex_unlock(&nr->dev_lock);
	return 0;
}

/* The reader stopped answering or went away: close it, and tell the
 * validator and the log once per outage. */
static void device_lost(struct ykt_reader *r, struct nfc_reader *nr, int err)
{
	bool first;

	pthread_mutex_lock(&nr->dev_lock);
	if (nr->dev)
		nfc_close(nr->dev);
	nr->dev = NULL;
	pthread_mutex_unlock(&nr->dev_lock);
	pthread_mutex_lock(&nr->lock);
	first = !nr->outage;
	nr->outage = true;
	pthread_mutex_unlock(&nr->lock);
	if (!first)
		return;
	log_err("reader", "reader %s unavailable (%s); opening it again", nr->connstring,
		ykt_strerror(err));
	post_simple(r, YKT_EV_DEVICE_ERROR, err);
}

/* Open the device, backing off while it will not open. false: closing. */
static bool device_reopen(struct ykt_reader *r, struct nfc_reader *nr)
{
	int backoff_ms = REOPEN_FIRST_MS, rc;

	while ((rc = device_open(nr)) < 0) {
		device_lost(r, nr, rc);
		if (!nap(nr, backoff_ms))
			return false;
		backoff_ms = backoff_ms * 2 > REOPEN_MAX_MS ? REOPEN_MAX_MS : backoff_ms * 2;
	}
	pthread_mutex_lock(&nr->lock);
	if (nr->outage)
		log_warn("reader", "reader %s answers again", nr->connstring);
	nr->outage = false;
	pthread_mutex_unlock(&nr->lock);
	return !stopping(nr);
}

/* ---- waiting for cards ---- */

static void watch_poll(struct nfc_reader *nr, nfc_device *dev)
{
	pthread_mutex_lock(&nr->lock);
	nr->polling = dev;
	nr->poll_gen++;
	nr->poll_deadline_ns = now_ns() + (int64_t)WATCHDOG_MS * 1000000;
	nr->dog_fired = false;
	pthread_cond_broadcast(&nr->cond);
	pthread_mutex_unlock(&nr->lock);
}

static bool unwatch_poll(struct nfc_reader *nr)
{
	bool fired;

	pthread_mutex_lock(&nr->lock);
	nr->polling = NULL;
	fired = nr->dog_fired;
	pthread_mutex_unlock(&nr->lock);
	return fired;
}

/* One InAutoPoll: the number of cards that answered (0, 1, 2), or < 0 when
 * the reader failed. */
static int poll_once(struct nfc_reader *nr, nfc_target *ret_target)
{
	static const nfc_modulation types[] = {
		{ .nmt = NMT_ISO14443A, .nbr = NBR_106 },
		{ .nmt = NMT_ISO14443B, .nbr = NBR_106 },
	};
	int rc;
	bool fired;

	pthread_mutex_lock(&nr->dev_lock);
	watch_poll(nr, nr->dev);
	rc = nfc_initiator_poll_target(nr->dev, types, 2, POLL_NR, POLL_PERIOD, ret_target);
	fired = unwatch_poll(nr);
	/* aborted by the watchdog: a reader that answers a short command is
	 * slow, not gone */
	if (rc == NFC_EOPABORTED && fired && !stopping(nr))
		rc = nfc_device_set_property_bool(nr->dev, NP_ACTIVATE_FIELD, true) < 0
			 ? NFC_ETIMEOUT
			 : 0;
	pthread_mutex_unlock(&nr->dev_lock);
	if (rc == NFC_EOPABORTED)
		return 0; /* closing */
	if (rc < 0)
		return rc == NFC_ETIMEOUT ? -ETIMEDOUT : -EIO;
	return rc;
}

static void card_event(struct ykt_reader *r, int n_cards, const nfc_target *t)
{
	struct ykt_event ev = {
		.type = YKT_EV_CARD_PRESENT,
		.source = ykt_reader_env(r)->source,
		.n_cards = n_cards,
	};

	if (t->nm.nmt == NMT_ISO14443B) {
		ev.uid_len = 4;
		memcpy(ev.uid, t->nti.nbi.abtPupi, 4);
	} else if (t->nm.nmt == NMT_ISO14443A && t->nti.nai.szUidLen <= sizeof(ev.uid)) {
		ev.uid_len = t->nti.nai.szUidLen;
		memcpy(ev.uid, t->nti.nai.abtUid, ev.uid_len);
	}
	post(r, &ev);
}

/* After the tap: ping the card until it leaves. Returns a device error,
 * or 0 once the card is gone. */
static int wait_removal(struct nfc_reader *nr)
{
	for (;;) {
		int rc = 0;
		bool gone, failed;

		pthread_mutex_lock(&nr->lock);
		gone = nr->card_gone;
		failed = nr->dev_failed;
		pthread_mutex_unlock(&nr->lock);
		if (failed)
			return -EIO;
		if (!gone) {
			pthread_mutex_lock(&nr->dev_lock);
			rc = nfc_initiator_target_is_present(nr->dev, NULL);
			pthread_mutex_unlock(&nr->dev_lock);
		}
		if (gone || rc == NFC_ETGRELEASED || rc == NFC_EINVARG)
			return 0; /* EINVARG: libnfc already released it */
		if (rc < 0)
			return rc == NFC_ETIMEOUT ? -ETIMEDOUT : -EIO;
		if (!nap(nr, PRESENCE_EVERY_MS))
			return 0;
	}
}

/* Report the card(s), let the validator work, wait for them to leave. */
static int run_tap(struct ykt_reader *r, struct nfc_reader *nr, int n_cards, const nfc_target *t)
{
	int rc;

	pthread_mutex_lock(&nr->lock);
	nr->state = ST_TAP;
	nr->n_cards = n_cards;
	nr->card_gone = nr->dev_failed = false;
	pthread_mutex_unlock(&nr->lock);
	card_event(r, n_cards, t);

	pthread_mutex_lock(&nr->lock);
	while (nr->state == ST_TAP && !nr->stopping)
		pthread_cond_wait(&nr->cond, &nr->lock);
	pthread_mutex_unlock(&nr->lock);
	if (stopping(nr))
		return 0;
	rc = wait_removal(nr);
	pthread_mutex_lock(&nr->lock);
	nr->state = ST_POLL;
	pthread_mutex_unlock(&nr->lock);
	post_simple(r, YKT_EV_CARD_REMOVED, 0);
	if (rc == 0) {
		pthread_mutex_lock(&nr->dev_lock);
		nfc_initiator_deselect_target(nr->dev);
		pthread_mutex_unlock(&nr->dev_lock);
	}
	return rc;
}

static void *poll_main(void *userdata)
{
	struct ykt_reader *r = userdata;
	struct nfc_reader *nr = ykt_reader_priv(r);
	nfc_target target;
	int n;

	while (!stopping(nr)) {
		if (!nr->dev && !device_reopen(r, nr))
			break;
		memset(&target, 0, sizeof(target));
		n = poll_once(nr, &target);
		if (n > 0 && !stopping(nr))
			n = run_tap(r, nr, n, &target);
		if (n < 0 && !stopping(nr))
			device_lost(r, nr, n);
	}
	pthread_mutex_lock(&nr->lock);
	nr->poll_exited = true;
	pthread_cond_broadcast(&nr->cond);
	pthread_mutex_unlock(&nr->lock);
	return NULL;
}

/* Aborts a poll that outlived its longest length. */
static void *dog_main(void *userdata)
{
	struct nfc_reader *nr = userdata;

	pthread_mutex_lock(&nr->lock);
	while (!nr->stopping) {
		unsigned gen = nr->poll_gen;

		if (!nr->polling) {
			pthread_cond_wait(&nr->cond, &nr->lock);
			continue;
		}
		wait_until(nr, nr->poll_deadline_ns);
		if (nr->polling && nr->poll_gen == gen && !nr->dog_fired &&
		    now_ns() >= nr->poll_deadline_ns) {
			nr->dog_fired = true;
			log_warn("reader", "reader %s: no answer to a poll; aborting it",
				 nr->connstring);
			nfc_abort_command(nr->polling);
		}
	}
	pthread_mutex_unlock(&nr->lock);
	return NULL;
}

/* ---- ops ---- */

/* libnfc's drivers in Debian's build; anything else is a typing error */
static bool known_driver(const char *connstring)
{
	static const char *const drivers[] = { "pn532_uart", "pn532_i2c", "pn532_spi", "pn53x_usb",
					       "acr122_usb", "acr122s",	  "arygon" };
	size_t len = strcspn(connstring, ":");

	for (size_t i = 0; i < sizeof(drivers) / sizeof(drivers[0]); i++)
		if (strlen(drivers[i]) == len && strncmp(drivers[i], connstring, len) == 0)
			return true;
	return false;
}

static int nfc_reader_open(struct ykt_reader *r, const char *args)
{
	struct nfc_reader *nr = ykt_reader_priv(r);
	pthread_condattr_t ca;

	if (strlen(args) >= sizeof(nr->connstring) || (args[0] && !known_driver(args))) {
		ykt_reader_set_error(
		    r,
		    "libnfc:%s: not a libnfc device (e.g. libnfc:pn532_uart:/dev/ttyS1,"
		    " libnfc:pn53x_usb:)",
		    args);
		return -EINVAL;
	}
	snprintf(nr->connstring, sizeof(nr->connstring), "%s", args[0] ? args : "(default)");
	nr->any_device = !args[0];
	nfc_init(&nr->ctx);
	if (!nr->ctx) {
		ykt_reader_set_error(r, "libnfc: cannot initialise");
		return -ENOMEM;
	}
	pthread_mutex_init(&nr->dev_lock, NULL);
	pthread_mutex_init(&nr->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&nr->cond, &ca);
	pthread_condattr_destroy(&ca);
	return 0;
}

/* Stop the threads: an abort only reaches a command in progress, so it is
 * repeated until the poll thread has seen the stop. */
static void stop_threads(struct nfc_reader *nr)
{
	pthread_mutex_lock(&nr->lock);
	nr->stopping = true;
	pthread_cond_broadcast(&nr->cond);
	while (nr->poll_started && !nr->poll_exited) {
		if (nr->polling)
			nfc_abort_command(nr->polling);
		wait_until(nr, now_ns() + (int64_t)ABORT_EVERY_MS * 1000000);
	}
	pthread_mutex_unlock(&nr->lock);
	if (nr->poll_started)
		pthread_join(nr->poll_thread, NULL);
	if (nr->dog_started)
		pthread_join(nr->dog_thread, NULL);
}

static void nfc_reader_close(struct ykt_reader *r)
{
	struct nfc_reader *nr = ykt_reader_priv(r);

	if (!nr->ctx)
		return;
	stop_threads(nr);
	if (nr->dev)
		nfc_close(nr->dev);
	nfc_exit(nr->ctx);
	pthread_cond_destroy(&nr->cond);
	pthread_mutex_destroy(&nr->lock);
	pthread_mutex_destroy(&nr->dev_lock);
}

static int nfc_reader_start(struct ykt_reader *r)
{
	struct nfc_reader *nr = ykt_reader_priv(r);

	if (pthread_create(&nr->dog_thread, NULL, dog_main, nr))
		return -EAGAIN;
	nr->dog_started = true;
	if (pthread_create(&nr->poll_thread, NULL, poll_main, r))
		return -EAGAIN;
	nr->poll_started = true;
	return 0;
}

/* A failed exchange: did the card leave, or is it there and silent? */
static int exchange_failed(struct nfc_reader *nr, int rc)
{
	if (rc == NFC_ERFTRANS)
		rc = nfc_initiator_target_is_present(nr->dev, NULL);
	if (rc == 0)
		return -ETIMEDOUT; /* the card stays but gave no answer */
	if (rc == NFC_ETGRELEASED) {
		pthread_mutex_lock(&nr->lock);
		nr->card_gone = true;
		pthread_mutex_unlock(&nr->lock);
		return YKT_E_CARD_GONE;
	}
	if (rc == NFC_EOVFLOW)
		return -ENOBUFS;
	pthread_mutex_lock(&nr->lock);
	nr->dev_failed = true; /* the reader itself: reopened after the tap */
	pthread_mutex_unlock(&nr->lock);
	return -EIO;
}

static int nfc_reader_transceive(struct ykt_reader *r, const uint8_t *capdu, size_t capdu_len,
				 uint8_t *rapdu, size_t rapdu_cap, size_t *ret_rapdu_len)
{
	struct nfc_reader *nr = ykt_reader_priv(r);
	bool usable;
	int rc, n_cards;

	pthread_mutex_lock(&nr->lock);
	usable = nr->state == ST_TAP && !nr->card_gone && !nr->dev_failed;
	n_cards = nr->n_cards;
	pthread_mutex_unlock(&nr->lock);
	if (!usable)
		return YKT_E_CARD_GONE;
	if (n_cards > 1)
		return YKT_E_MULTI_CARD; /* which card would answer is the chip's guess */
	pthread_mutex_lock(&nr->dev_lock);
	rc = nr->dev ? nfc_initiator_transceive_bytes(nr->dev, capdu, capdu_len, rapdu, rapdu_cap,
						      TRANSCEIVE_MS)
		     : NFC_EIO;
	if (rc < 0)
		rc = nr->dev ? exchange_failed(nr, rc) : -EIO;
	pthread_mutex_unlock(&nr->dev_lock);
	if (rc < 0)
		return rc;
	if (rc < 2)
		return YKT_E_CARD_FORMAT; /* not even a status word */
	*ret_rapdu_len = (size_t)rc;
	return 0;
}

static int nfc_reader_done(struct ykt_reader *r)
{
	struct nfc_reader *nr = ykt_reader_priv(r);

	pthread_mutex_lock(&nr->lock);
	if (nr->state == ST_TAP)
		nr->state = ST_REMOVAL;
	pthread_cond_broadcast(&nr->cond);
	pthread_mutex_unlock(&nr->lock);
	return 0;
}

const struct ykt_reader_ops ykt_reader_libnfc_ops = {
	.scheme = "libnfc",
	.priv_size = sizeof(struct nfc_reader),
	.open = nfc_reader_open,
	.close = nfc_reader_close,
	.start = nfc_reader_start,
	.transceive = nfc_reader_transceive,
	.done = nfc_reader_done,
};
