/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SAM slot (the PSAM's contact interface): an opaque handle over one driver
 * ops table, picked by URI ("sim:psam.psam", "pcsc:Reader 00 00").
 * The slot moves bytes; T=0 GET RESPONSE handling and the PSAM command set
 * live in terminal/psam.c.
 *
 * Maintenance crews swap PSAMs with the power on: a slot that can tell
 * reports YKT_EV_SAM_INSERTED and YKT_EV_SAM_REMOVED to the loop once
 * started, and counts the insertions it has seen, so that a PSAM pulled
 * and pushed back between two commands is noticed too.
 */
#ifndef YKT_SAM_H
#define YKT_SAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ykt_loop;
struct ykt_sam;

struct ykt_sam_env {
	bool realtime;	       /* sim: take as long as the modeled link and PSAM would */
	struct ykt_loop *loop; /* where insertion and removal events go; NULL: none */
	int source;	       /* copied into every event (the slot number) */
};

struct ykt_sam_ops {
	const char *scheme;
	size_t priv_size;
	int (*open)(struct ykt_sam *s, const char *args);
	void (*close)(struct ykt_sam *s);
	/* cold reset; writes the ATR. YKT_E_SAM_ABSENT when the slot is empty */
	int (*reset)(struct ykt_sam *s, uint8_t *atr, size_t atr_cap, size_t *ret_atr_len);
	int (*transmit)(struct ykt_sam *s, const uint8_t *capdu, size_t capdu_len, uint8_t *rapdu,
			size_t rapdu_cap, size_t *ret_rapdu_len);
	/* simulators: modeled link and PSAM time of all exchanges so far, ns */
	uint64_t (*link_ns)(struct ykt_sam *s);
	/* start reporting insertions and removals to env->loop (may start a
	 * thread); called once, from the loop thread */
	int (*start)(struct ykt_sam *s);
	/* 1 when a card is in the slot, 0 when it is empty; the count of
	 * insertions seen since open. Thread-safe, never blocks on the card. */
	int (*presence)(struct ykt_sam *s, uint32_t *ret_insertions);
};

int ykt_sam_open(const char *uri, const struct ykt_sam_env *env, struct ykt_sam **ret_sam,
		 char *errbuf, size_t errbuf_len);
void ykt_sam_free(struct ykt_sam *s);
int ykt_sam_reset(struct ykt_sam *s, uint8_t *atr, size_t atr_cap, size_t *ret_atr_len);
int ykt_sam_transmit(struct ykt_sam *s, const uint8_t *capdu, size_t capdu_len, uint8_t *rapdu,
		     size_t rapdu_cap, size_t *ret_rapdu_len);
/* -EOPNOTSUPP for real slots */
int ykt_sam_link_ns(struct ykt_sam *s, uint64_t *ret_ns);
/* Begin insertion and removal events; -EOPNOTSUPP when the slot cannot
 * tell (then only a failing command shows that the PSAM is gone). */
int ykt_sam_start(struct ykt_sam *s);
/* 1 present, 0 empty, -EOPNOTSUPP when the slot cannot tell; see ops. */
int ykt_sam_presence(struct ykt_sam *s, uint32_t *ret_insertions);
const struct ykt_sam_env *ykt_sam_env(struct ykt_sam *s);
int ykt_sam_scheme_known(const char *uri);
const char *ykt_sam_schemes(void);

void *ykt_sam_priv(struct ykt_sam *s);
const struct ykt_sam_ops *ykt_sam_ops_of(const struct ykt_sam *s);
void ykt_sam_set_error(struct ykt_sam *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
