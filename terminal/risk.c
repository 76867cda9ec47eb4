/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "risk.h"

#include "bytes.h"
#include "psam.h"
#include "store.h"
#include "ykt_error.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* ---- the fare rules' view of the card ---- */

static int read_trip(ykt_card_xchg xchg, void *ctx, uint8_t record, struct fare_card *c,
		     uint16_t *ret_sw)
{
	struct apdu a;
	struct rapdu r;
	int rc;

	card_cmd_read_record(&a, CARD_SFI_PROCESS, record, CARD_REC1A_LEN);
	rc = xchg(ctx, &a, &r);
	if (rc < 0)
		return rc;
	*ret_sw = r.sw;
	if (r.sw != SW_OK)
		return YKT_E_CARD_SW;
	rc = card_parse_trip(r.data, r.len, record, &c->trip);
	if (rc == 0)
		c->has_trip = true;
	return rc;
}

/* 0x1E record n into the history; 1 when there is no such record yet. */
static int read_history(ykt_card_xchg xchg, void *ctx, uint8_t n, struct fare_card *c,
			uint16_t *ret_sw)
{
	struct apdu a;
	struct rapdu r;
	int rc;

	card_cmd_read_record(&a, CARD_SFI_HISTORY, n, CARD_REC1E_LEN);
	rc = xchg(ctx, &a, &r);
	if (rc < 0)
		return rc;
	*ret_sw = r.sw;
	if (r.sw == SW_RECORD_NOT_FOUND)
		return 1;
	if (r.sw != SW_OK)
		return YKT_E_CARD_SW;
	rc = card_parse_rec1e(r.data, r.len, &c->hist[c->n_hist]);
	if (rc == 0 && c->hist[c->n_hist].type == 0)
		return 1; /* an initial, never written record: nothing older either */
	if (rc == 0)
		c->n_hist++;
	return rc;
}

int ykt_fare_read_card(ykt_card_xchg xchg, void *ctx, const struct fare_plan *plan,
		       const uint8_t today[4], struct fare_card *ret, uint16_t *ret_sw)
{
	int rc = 0;

	*ret_sw = 0;
	if (plan->trip_record)
		rc = read_trip(xchg, ctx, plan->trip_record, ret, ret_sw);
	while (rc == 0 && ret->n_hist < FARE_HISTORY_MAX) {
		bool more = ret->n_hist < plan->hist_min ||
			    (plan->hist_today &&
			     (ret->n_hist == 0 ||
			      memcmp(ret->hist[ret->n_hist - 1].datetime, today, 4) == 0));

		if (!more)
			break;
		rc = read_history(xchg, ctx, (uint8_t)(ret->n_hist + 1), ret, ret_sw);
	}
	return rc > 0 ? 0 : rc;
}

/* ---- locking a blacklisted card ---- */

static void lock_stop(struct ykt_lock_result *r, const char *step, uint16_t sw, int err)
{
	r->step = step;
	r->sw = sw;
	r->err = err;
}

void ykt_risk_lock_card(ykt_card_xchg xchg, void *ctx, struct ykt_psam *psam,
			const struct card_file15 *f15, bool permanent, struct ykt_lock_result *ret)
{
	uint8_t challenge[4], mac[4];
	struct apdu a;
	struct rapdu r;
	int rc;

	memset(ret, 0, sizeof(*ret));
	card_cmd_get_challenge(&a);
	rc = xchg(ctx, &a, &r);
	if (rc < 0 || r.sw != SW_OK || r.len != 4) {
		lock_stop(ret, "challenge", rc < 0 ? 0 : r.sw, rc < 0 ? rc : YKT_E_CARD_SW);
		return;
	}
	memcpy(challenge, r.data, 4);
	rc = psam_block_mac(psam, f15->app_serial + 2, f15->issuer_id, challenge, permanent, mac);
	if (rc < 0) {
		lock_stop(ret, "psam", psam_last_sw(psam), rc);
		return;
	}
	card_cmd_app_block(&a, permanent, mac);
	rc = xchg(ctx, &a, &r);
	if (rc < 0 || r.sw != SW_OK) {
		lock_stop(ret, "block", rc < 0 ? 0 : r.sw, rc < 0 ? rc : YKT_E_CARD_SW);
		return;
	}
	ret->locked = true;
	lock_stop(ret, "done", SW_OK, 0);
}

int ykt_risk_lock_event(struct ykt_store *store, const char *device_id, int64_t now_s,
			const char *card_serial, const uint8_t issuer_id[8], uint32_t list_version,
			bool permanent, const struct ykt_lock_result *r)
{
	struct ykt_event_record ev = { .event_unix_s = now_s };
	char issuer[17];
	uint8_t bcd[7];
	struct ykt_cst t;

	ykt_cst_from_unix(now_s, &t);
	ykt_cst_to_bcd7(&t, bcd);
	ykt_hex_encode(bcd, 7, ev.event_time, sizeof(ev.event_time));
	ykt_hex_encode(issuer_id, 8, issuer, sizeof(issuer));
	snprintf(ev.device_id, sizeof(ev.device_id), "%s", device_id);
	snprintf(ev.kind, sizeof(ev.kind), "card-lock");
	snprintf(ev.body, sizeof(ev.body),
		 "{\"card\": \"%s\", \"issuer\": \"%s\", \"blacklist_version\": %u, "
		 "\"permanent\": %s, \"result\": \"%s\", \"step\": \"%s\", \"sw\": \"%04X\"}",
		 card_serial, issuer, list_version, permanent ? "true" : "false",
		 r->locked ? "locked" : "failed", r->step ? r->step : "none", r->sw);
	return store_event_add(store, &ev);
}
