/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Contactless reader: an opaque handle over one driver ops table, picked by
 * URI scheme ("sim:shift.tap", later "libnfc:pn532_uart:/dev/ttyS1",
 * "pcsc:ACS ACR1252 PICC").
 *
 * A reader reports cards through events posted to the loop
 * (YKT_EV_CARD_PRESENT / YKT_EV_CARD_REMOVED / YKT_EV_FIELD_END); the tap
 * then exchanges APDUs with ykt_reader_transceive() from the loop thread
 * and calls ykt_reader_done() when it has finished with the card.
 */
#ifndef YKT_READER_H
#define YKT_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ykt_loop;
struct ykt_clock;
struct ykt_reader;
struct ykt_stop;

struct ykt_reader_env {
	struct ykt_loop *loop;	 /* where events go */
	struct ykt_clock *clock; /* a sim: field may move a sim: clock */
	int source;		 /* copied into every event */
	bool realtime;		 /* sim: take as long as the modeled link and card would */
	struct ykt_stop *stop;	 /* a sim: field may move a sim: stop source; NULL none */
};

struct ykt_reader_ops {
	const char *scheme;
	size_t priv_size; /* the core allocates this much private data */
	int (*open)(struct ykt_reader *r, const char *args);
	void (*close)(struct ykt_reader *r);
	/* start reporting cards (may start a thread) */
	int (*start)(struct ykt_reader *r);
	/* ISO 14443-4 exchange with the card in the field */
	int (*transceive)(struct ykt_reader *r, const uint8_t *capdu, size_t capdu_len,
			  uint8_t *rapdu, size_t rapdu_cap, size_t *ret_rapdu_len);
	/* the tap is finished with this card; report its removal */
	int (*done)(struct ykt_reader *r);
	/* simulators: modeled link and card time of all exchanges so far, ns */
	uint64_t (*link_ns)(struct ykt_reader *r);
};

/* Open by URI. -ENOENT: no driver for the scheme (message in errbuf). The
 * caller frees with ykt_reader_free(). */
int ykt_reader_open(const char *uri, const struct ykt_reader_env *env,
		    struct ykt_reader **ret_reader, char *errbuf, size_t errbuf_len);
void ykt_reader_free(struct ykt_reader *r);
int ykt_reader_start(struct ykt_reader *r);
/* Returns 0, YKT_E_CARD_GONE when the card left or did not answer, or a
 * negative errno. rapdu holds data ‖ SW1 SW2 (at least 2 bytes). */
int ykt_reader_transceive(struct ykt_reader *r, const uint8_t *capdu, size_t capdu_len,
			  uint8_t *rapdu, size_t rapdu_cap, size_t *ret_rapdu_len);
int ykt_reader_done(struct ykt_reader *r);
/* Modeled time of all exchanges so far (sim: drivers with the link model);
 * -EOPNOTSUPP for real readers. */
int ykt_reader_link_ns(struct ykt_reader *r, uint64_t *ret_ns);

/* true when a driver for the URI's scheme is built in */
int ykt_reader_scheme_known(const char *uri);
/* "sim, libnfc, pcsc" of this build, for messages */
const char *ykt_reader_schemes(void);

/* for drivers */
void *ykt_reader_priv(struct ykt_reader *r);
const struct ykt_reader_ops *ykt_reader_ops_of(const struct ykt_reader *r);
const struct ykt_reader_env *ykt_reader_env(struct ykt_reader *r);
/* errbuf given to open, for a one-line reason */
void ykt_reader_set_error(struct ykt_reader *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
