/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Example screens: one of every kind, every refusal, and the long texts a
 * real line name or a full shift can bring. The screen tests render them at
 * every size and check that no text is cut; docs/screens/ shows them.
 */
#include "screen.h"

#include <stdio.h>
#include <string.h>

#define SAMPLE_NOW_S 1795217400 /* 2026-11-21 07:30:00 CST */

static void sample_bar(struct ui_status_bar *b)
{
	ui_copy_text(b->line, sizeof(b->line), "29路 上行");
	b->now_s = SAMPLE_NOW_S;
	b->psam = UI_STATUS_OK;
	b->network = UI_STATUS_OK;
	b->upload = UI_STATUS_WARN;
	b->backlog = 37;
	b->params = UI_STATUS_OK;
}

static void idle(struct ui_screen *s, bool long_line)
{
	s->kind = UI_SCREEN_IDLE;
	s->u.idle.fare_fen = 200;
	if (!long_line)
		return;
	/* a long line name, a dead network and a large backlog */
	ui_copy_text(s->bar.line, sizeof(s->bar.line),
		     "29路 上行 开往火车站北广场公交枢纽（经人民路、解放大道、中山公园）");
	s->bar.network = UI_STATUS_FAULT;
	s->bar.backlog = 123456;
	s->bar.params = UI_STATUS_WARN;
}

struct paid_sample {
	const char *name;
	uint8_t type;
	int64_t amount, nominal, balance;
	bool transfer, recovered, low;
};

static const struct paid_sample paid_samples[] = {
	{ "paid-standard", 0x01, 200, 200, 2350, false, false, false },
	{ "paid-student", 0x02, 100, 200, 4510, false, false, false },
	{ "paid-senior", 0x03, 0, 200, 10000, false, false, false },
	{ "paid-transfer", 0x01, 100, 200, 860, true, false, false },
	{ "paid-low-balance", 0x01, 200, 200, 320, false, false, true },
	{ "paid-recovered", 0x01, 200, 200, 99800, false, true, false },
};
#define N_PAID (sizeof(paid_samples) / sizeof(paid_samples[0]))

static void paid(struct ui_screen *s, const struct paid_sample *p)
{
	s->kind = UI_SCREEN_PAID;
	s->u.paid = (struct ui_paid){ .amount_fen = p->amount,
				      .nominal_fen = p->nominal,
				      .balance_fen = p->balance,
				      .card_type = p->type,
				      .transfer = p->transfer,
				      .recovered = p->recovered,
				      .low_balance = p->low };
}

/* every outcome but paid (its own screens) and out of service (below) */
static const enum tap_outcome refusals[] = {
	TAP_INSUFFICIENT,   TAP_BLACKLISTED,	   TAP_EXPIRED,	   TAP_NOT_YET_VALID,
	TAP_BLOCKED,	    TAP_NOT_ENABLED,	   TAP_NOT_TUNION, TAP_NON_INTERCONNECT,
	TAP_ALREADY_TAPPED, TAP_CARD_REMOVED,	   TAP_GREY,	   TAP_CARD_ERROR,
	TAP_MULTI_CARD,	    TAP_GREY_PENDING,	   TAP_NO_ENTRY,   TAP_NO_EXIT,
	TAP_WRONG_STATION,  TAP_CARD_TYPE_REFUSED,
};
#define N_REFUSED (sizeof(refusals) / sizeof(refusals[0]))

static void refused(struct ui_screen *s, enum tap_outcome outcome)
{
	s->kind = UI_SCREEN_REFUSED;
	s->u.refused = (struct ui_refused){ outcome, -1, 200 };
	if (outcome == TAP_INSUFFICIENT)
		s->u.refused.balance_fen = 50;
}

static const struct {
	const char *name;
	enum ui_oos_reason reason;
	const char *detail;
} oos_samples[] = {
	{ "oos-psam", UI_OOS_PSAM, "no working PSAM" },
	{ "oos-store-full", UI_OOS_STORE_FULL, "store: not enough space to record a tap" },
	{ "oos-clock", UI_OOS_CLOCK, "clock not valid (before the build date)" },
	{ "oos-maintenance", UI_OOS_MAINTENANCE, "" },
};
#define N_OOS (sizeof(oos_samples) / sizeof(oos_samples[0]))

static void driver(struct ui_screen *s, bool signed_on)
{
	static const struct ui_driver_row rows[] = {
		{ 0x01, 134, 26800 }, { 0x02, 41, 4100 }, { 0x03, 57, 0 }, { 0x04, 3, 0 }
	};
	struct ui_driver *d = &s->u.driver;

	s->kind = UI_SCREEN_DRIVER;
	if (!signed_on)
		return;
	d->signed_on = true;
	ui_copy_text(d->driver_id, sizeof(d->driver_id), "D0012345");
	d->since_s = SAMPLE_NOW_S - 92 * 60;
	d->n_rows = 4;
	memcpy(d->rows, rows, sizeof(rows));
	for (int i = 0; i < d->n_rows; i++) {
		d->total_taps += rows[i].taps;
		d->total_fen += rows[i].amount_fen;
	}
}

static void maintenance(struct ui_screen *s)
{
	struct ui_maintenance *m = &s->u.maint;

	s->kind = UI_SCREEN_MAINTENANCE;
	ui_copy_text(m->device_id, sizeof(m->device_id), "DEMO-BUS-0001");
	m->n_slots = 2;
	m->slots[0] = (struct ui_psam_slot){ true, UI_STATUS_OK, "100000012345" };
	m->slots[1] = (struct ui_psam_slot){ false, UI_STATUS_UNKNOWN, "" };
	m->records = 18234;
	m->backlog = 37;
	m->free_bytes = 1288490188;
	m->clock_ok = true;
	ui_copy_text(m->app_version, sizeof(m->app_version), "0.1.0");
	ui_copy_text(m->params_version, sizeof(m->params_version), "20261120.3");
}

bool ui_screen_sample(size_t index, struct ui_screen *ret, const char **ret_name)
{
	static char name[48];

	memset(ret, 0, sizeof(*ret));
	sample_bar(&ret->bar);
	if (index < 2) {
		idle(ret, index == 1);
		*ret_name = index ? "idle-long-line" : "idle";
		return true;
	}
	index -= 2;
	if (index < N_PAID) {
		paid(ret, &paid_samples[index]);
		*ret_name = paid_samples[index].name;
		return true;
	}
	index -= N_PAID;
	if (index < N_REFUSED) {
		refused(ret, refusals[index]);
		snprintf(name, sizeof(name), "refused-%s", tap_outcome_text(refusals[index])->key);
		*ret_name = name;
		return true;
	}
	index -= N_REFUSED;
	if (index < N_OOS) {
		ret->kind = UI_SCREEN_OUT_OF_SERVICE;
		ret->u.oos.reason = oos_samples[index].reason;
		ui_copy_text(ret->u.oos.detail, sizeof(ret->u.oos.detail),
			     oos_samples[index].detail);
		ret->bar.psam = index == 0 ? UI_STATUS_FAULT : UI_STATUS_OK;
		*ret_name = oos_samples[index].name;
		return true;
	}
	index -= N_OOS;
	if (index < 2) {
		driver(ret, index == 0);
		*ret_name = index == 0 ? "driver" : "driver-signed-off";
		return true;
	}
	if (index == 2) {
		maintenance(ret);
		*ret_name = "maintenance";
		return true;
	}
	return false;
}
