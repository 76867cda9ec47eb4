/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A screen as one line of text: the text display and logs. */
#include "screen.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct out {
	char *buf;
	size_t cap, used;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct out *o, const char *fmt, ...)
{
	char piece[512];
	va_list ap;

	if (o->used + 1 >= o->cap)
		return;
	va_start(ap, fmt);
	vsnprintf(piece, sizeof(piece), fmt, ap);
	va_end(ap);
	/* cut at a character boundary, never inside a UTF-8 sequence */
	ui_copy_text(o->buf + o->used, o->cap - o->used, piece);
	if (strlen(o->buf + o->used) < strlen(piece))
		o->used = o->cap - 1; /* full: nothing more after a cut */
	else
		o->used += strlen(piece);
}

static void put_yuan(struct out *o, const char *label, int64_t fen)
{
	char yuan[32];

	ui_format_yuan(fen, yuan, sizeof(yuan));
	put(o, " | %s¥%s", label, yuan);
}

static void describe_idle(struct out *o, const struct ui_screen *s)
{
	static const char *const states[] = { "?", "ok", "warn", "fault" };
	const struct ui_status_bar *b = &s->bar;
	char hhmm[8];

	put(o, "idle | %s | 请刷卡 / Please tap your card", b->line);
	if (s->u.idle.fare_fen >= 0)
		put_yuan(o, "票价 Fare ", s->u.idle.fare_fen);
	ui_format_hhmm(b->now_s, hhmm, sizeof(hhmm));
	put(o, " | %s | psam %s, network %s, upload %s", hhmm, states[b->psam & 3],
	    states[b->network & 3], states[b->upload & 3]);
	if (b->backlog >= 0)
		put(o, " (%lld)", (long long)b->backlog);
	put(o, ", params %s", states[b->params & 3]);
}

static void describe_paid(struct out *o, const struct ui_screen *s)
{
	const struct ui_paid *p = &s->u.paid;
	const struct outcome_text *t = tap_outcome_text(TAP_PAID);
	struct ui_text type = ui_card_type_text(p->card_type);

	put(o, "%s | %s / %s | %s / %s", t->key, t->zh, t->en, type.zh, type.en);
	put_yuan(o, "", p->amount_fen);
	if (p->balance_fen >= 0)
		put_yuan(o, "余额 Balance ", p->balance_fen);
	if (p->nominal_fen != p->amount_fen)
		put_yuan(o, p->transfer ? "换乘优惠 Transfer discount " : "优惠 Discount ",
			 p->nominal_fen - p->amount_fen);
	if (p->recovered)
		put(o, " | 补登 recovered");
	if (p->low_balance)
		put(o, " | 请及时充值 / Please top up soon");
}

static void describe_refused(struct out *o, const struct ui_screen *s)
{
	const struct ui_refused *r = &s->u.refused;
	const struct outcome_text *t = tap_outcome_text(r->outcome);
	struct ui_text hint = ui_outcome_hint(r->outcome);

	put(o, "%s | %s / %s", t->key, t->zh, t->en);
	if (hint.zh)
		put(o, " | %s / %s", hint.zh, hint.en);
	if (r->balance_fen >= 0)
		put_yuan(o, "余额 Balance ", r->balance_fen);
}

static void describe_oos(struct out *o, const struct ui_screen *s)
{
	struct ui_text why = ui_oos_reason_text(s->u.oos.reason);

	put(o, "out-of-service | 暂停服务 / Out of service | %s / %s", why.zh, why.en);
	if (s->u.oos.detail[0])
		put(o, " | %s", s->u.oos.detail);
}

static void describe_driver(struct out *o, const struct ui_screen *s)
{
	const struct ui_driver *d = &s->u.driver;

	if (!d->signed_on) {
		put(o, "driver | 未签到 / Not signed on");
		return;
	}
	put(o, "driver | 已签到 / Signed on | %s | %lld taps", d->driver_id,
	    (long long)d->total_taps);
	put_yuan(o, "", d->total_fen);
}

static void describe_maintenance(struct out *o, const struct ui_screen *s)
{
	const struct ui_maintenance *m = &s->u.maint;

	put(o, "maintenance | 维护 / Maintenance | %s | %d PSAM slots", m->device_id, m->n_slots);
	for (int i = 0; i < m->n_slots && i < UI_PSAM_SLOTS; i++)
		put(o, " %d:%s", i + 1, m->slots[i].present ? m->slots[i].terminal_no : "empty");
	put(o, " | records %lld, backlog %lld | clock %s | ykt %s, params %s",
	    (long long)m->records, (long long)m->backlog, m->clock_ok ? "ok" : "NOT VALID",
	    m->app_version, m->params_version);
}

void ui_screen_describe(const struct ui_screen *s, char *buf, size_t cap)
{
	struct out o = { buf, cap, 0 };

	if (!cap)
		return;
	buf[0] = '\0';
	switch (s->kind) {
	case UI_SCREEN_IDLE:
		describe_idle(&o, s);
		break;
	case UI_SCREEN_PAID:
		describe_paid(&o, s);
		break;
	case UI_SCREEN_REFUSED:
		describe_refused(&o, s);
		break;
	case UI_SCREEN_OUT_OF_SERVICE:
		describe_oos(&o, s);
		break;
	case UI_SCREEN_DRIVER:
		describe_driver(&o, s);
		break;
	case UI_SCREEN_MAINTENANCE:
		describe_maintenance(&o, s);
		break;
	default:
		put(&o, "unknown screen %d", (int)s->kind);
	}
}
