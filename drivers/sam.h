/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SAM slot (the PSAM's contact interface): an opaque handle over one driver
 * ops table, picked by URI ("sim:psam.psam", later "pcsc:Reader 00 00").
 * The slot moves bytes; T=0 GET RESPONSE handling and the PSAM command set
 * live in terminal/psam.c.
 */
#ifndef YKT_SAM_H
#define YKT_SAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ykt_sam;

struct ykt_sam_env {
	bool realtime; /* sim: take as long as the modeled link and PSAM would */
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
};

int ykt_sam_open(const char *uri, const struct ykt_sam_env *env, struct ykt_sam **ret_sam,
		 char *errbuf, size_t errbuf_len);
void ykt_sam_free(struct ykt_sam *s);
int ykt_sam_reset(struct ykt_sam *s, uint8_t *atr, size_t atr_cap, size_t *ret_atr_len);
int ykt_sam_transmit(struct ykt_sam *s, const uint8_t *capdu, size_t capdu_len, uint8_t *rapdu,
		     size_t rapdu_cap, size_t *ret_rapdu_len);
/* -EOPNOTSUPP for real slots */
int ykt_sam_link_ns(struct ykt_sam *s, uint64_t *ret_ns);
const struct ykt_sam_env *ykt_sam_env(struct ykt_sam *s);
int ykt_sam_scheme_known(const char *uri);
const char *ykt_sam_schemes(void);

void *ykt_sam_priv(struct ykt_sam *s);
void ykt_sam_set_error(struct ykt_sam *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
