/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The screens, laid out for a landscape panel of any size (480x272 and
 * 800x480 are the reference sizes): boxes are fractions of the width and
 * height, text sizes fractions of the height. A passenger reads the result
 * from a step away in half a second: one colour for the whole screen (green
 * paid, red refused, amber tap again), the message in large Chinese with
 * English beneath, the numbers large.
 */
#include "render_private.h"

#include <stdio.h>
#include <string.h>

#define WHITE	   0xFFFFFFu
#define INK	   0x1B1B1Bu
#define NAVY	   0x0B2545u
#define GREEN	   0x0B7A3Eu
#define DARK_GREEN 0x075C2Eu
#define RED	   0xB3261Eu
#define AMBER	   0xF2A900u
#define SLATE	   0x263238u
#define YELLOW	   0xFFD166u
#define GREY	   0x90A4AEu
#define BAR_H	   0.14 /* the status bar, of the height */
#define FOOT_Y	   0.89 /* the footer band */

struct page {
	struct ui_draw *d;
	double w, h;
	uint32_t fg;
};

static struct ui_rect box(const struct page *p, double x, double y, double w, double h)
{
	return (struct ui_rect){ x * p->w, y * p->h, w * p->w, h * p->h };
}

/* text at size (fraction of the height) in the page's colour */
static void text(const struct page *p, const char *name, struct ui_rect r, const char *s,
		 double size, bool bold, enum ui_align align)
{
	struct ui_text_style st = { size * p->h, bold, align, p->fg };

	ui_draw_text(p->d, name, r, s, &st);
}

static void text_rgb(const struct page *p, const char *name, struct ui_rect r, const char *s,
		     double size, bool bold, enum ui_align align, uint32_t rgb)
{
	struct ui_text_style st = { size * p->h, bold, align, rgb };

	ui_draw_text(p->d, name, r, s, &st);
}

static void yuan(char *buf, size_t cap, const char *prefix, int64_t fen, const char *suffix)
{
	char v[24];

	ui_format_yuan(fen, v, sizeof(v));
	snprintf(buf, cap, "%s%s%s", prefix, v, suffix);
}

/* ---- status bar: line, PSAM / network / upload / parameters, time ---- */

static uint32_t status_rgb(enum ui_status s)
{
	static const uint32_t rgb[] = { 0x607D8B, 0x2E7D32, 0xF9A825, 0xC62828 };

	return rgb[(unsigned)s < 4 ? s : 0];
}

static void status_badge(const struct page *p, int i, enum ui_status st, const char *label)
{
	static const char *const names[] = { "status-psam", "status-network", "status-upload",
					     "status-params" };
	struct ui_rect r = box(p, 0.470 + i * 0.093, 0.028, 0.085, 0.084);
	struct ui_rect in = { r.x + 0.08 * r.w, r.y, 0.84 * r.w, r.h };

	ui_draw_round(p->d, r, r.h / 4, status_rgb(st));
	text_rgb(p, names[i], in, label, 0.05, true, UI_CENTER, st == UI_STATUS_WARN ? INK : WHITE);
}

static void status_bar(const struct page *p, const struct ui_status_bar *b)
{
	char label[40], hhmm[8];

	ui_draw_fill(p->d, box(p, 0, 0, 1, BAR_H), 0x000000, 0.35);
	text_rgb(p, "line", box(p, 0.02, 0, 0.44, BAR_H), b->line, 0.072, true, UI_LEFT, WHITE);
	status_badge(p, 0, b->psam, ui_status_label(0).zh);
	status_badge(p, 1, b->network, ui_status_label(1).zh);
	if (b->backlog >= 0)
		snprintf(label, sizeof(label), "↑%lld", (long long)b->backlog);
	else
		snprintf(label, sizeof(label), "%s", ui_status_label(2).zh);
	status_badge(p, 2, b->upload, label);
	status_badge(p, 3, b->params, ui_status_label(3).zh);
	ui_format_hhmm(b->now_s, hhmm, sizeof(hhmm));
	text_rgb(p, "time", box(p, 0.85, 0, 0.13, BAR_H), hhmm, 0.072, true, UI_RIGHT, WHITE);
}

/* the footer band: Chinese left, English right */
static void footer(const struct page *p, const char *zh, const char *en)
{
	ui_draw_fill(p->d, box(p, 0, FOOT_Y, 1, 1 - FOOT_Y), 0x000000, 0.25);
	text(p, "footer-zh", box(p, 0.03, FOOT_Y, 0.46, 1 - FOOT_Y), zh, 0.06, true, UI_LEFT);
	text(p, "footer-en", box(p, 0.51, FOOT_Y, 0.46, 1 - FOOT_Y), en, 0.05, false, UI_RIGHT);
}

/* ---- idle ---- */

static void draw_idle(struct page *p, const struct ui_screen *s)
{
	char zh[64], en[64];

	ui_draw_fill(p->d, box(p, 0, 0, 1, 1), NAVY, 1);
	status_bar(p, &s->bar);
	text(p, "prompt-zh", box(p, 0.05, 0.18, 0.90, 0.31), "请刷卡", 0.22, true, UI_CENTER);
	text(p, "prompt-en", box(p, 0.05, 0.49, 0.90, 0.11), "Please tap your card", 0.075, false,
	     UI_CENTER);
	if (s->u.idle.fare_fen < 0)
		return;
	ui_draw_hline(p->d, 0.25 * p->w, 0.75 * p->w, 0.645 * p->h, 1.5, GREY);
	yuan(zh, sizeof(zh), "票价 ", s->u.idle.fare_fen, " 元");
	yuan(en, sizeof(en), "Fare ¥", s->u.idle.fare_fen, "");
	text_rgb(p, "fare-zh", box(p, 0.05, 0.67, 0.90, 0.17), zh, 0.12, true, UI_CENTER, YELLOW);
	text(p, "fare-en", box(p, 0.05, 0.84, 0.90, 0.11), en, 0.07, false, UI_CENTER);
}

/* ---- paid ---- */

static void paid_footer(const struct page *p, const struct ui_paid *pd)
{
	char zh[96], en[96];
	int64_t off = pd->nominal_fen - pd->amount_fen;

	if (pd->low_balance) {
		footer(p, "余额不足，请及时充值", "Low balance, please top up soon");
	} else if (pd->recovered) {
		footer(p, "上次未完成交易已补登", "Your earlier tap is now complete");
	} else if (pd->amount_fen == 0 && pd->nominal_fen > 0) {
		footer(p, "免费乘车", "Free ride");
	} else if (off > 0) {
		yuan(zh, sizeof(zh), pd->transfer ? "换乘优惠 " : "优惠 ", off, " 元");
		yuan(en, sizeof(en), pd->transfer ? "Transfer discount ¥" : "Discount ¥", off, "");
		footer(p, zh, en);
	}
}

static void money_row(const struct page *p, const char *name, double y, double hgt, const char *zh,
		      const char *en, const char *value, double size)
{
	char key[24];

	snprintf(key, sizeof(key), "%s-zh", name);
	text(p, key, box(p, 0.04, y, 0.25, hgt * 0.6), zh, size * 0.5, true, UI_LEFT);
	snprintf(key, sizeof(key), "%s-en", name);
	text(p, key, box(p, 0.04, y + hgt * 0.6, 0.25, hgt * 0.4), en, size * 0.3, false, UI_LEFT);
	snprintf(key, sizeof(key), "%s-value", name);
	text(p, key, box(p, 0.30, y, 0.66, hgt), value, size, true, UI_RIGHT);
}

static void draw_paid(struct page *p, const struct ui_screen *s)
{
	const struct ui_paid *pd = &s->u.paid;
	const struct outcome_text *t = tap_outcome_text(TAP_PAID);
	struct ui_text type = ui_card_type_text(pd->card_type);
	char v[48];

	ui_draw_fill(p->d, box(p, 0, 0, 1, 1), GREEN, 1);
	status_bar(p, &s->bar);
	ui_draw_icon(p->d, UI_ICON_CHECK, box(p, 0.03, 0.18, 0.15, 0.27), GREEN, WHITE);
	text(p, "title-zh", box(p, 0.20, 0.16, 0.44, 0.21), t->zh, 0.15, true, UI_LEFT);
	text(p, "title-en", box(p, 0.20, 0.37, 0.44, 0.09), t->en, 0.065, false, UI_LEFT);
	ui_draw_round(p->d, box(p, 0.66, 0.18, 0.31, 0.27), 0.03 * p->h, WHITE);
	text_rgb(p, "type-zh", box(p, 0.67, 0.19, 0.29, 0.15), type.zh, 0.11, true, UI_CENTER,
		 DARK_GREEN);
	text_rgb(p, "type-en", box(p, 0.67, 0.34, 0.29, 0.10), type.en, 0.055, false, UI_CENTER,
		 DARK_GREEN);
	yuan(v, sizeof(v), "¥", pd->amount_fen, "");
	money_row(p, "amount", 0.48, 0.21, "扣款", "Charged", v, 0.17);
	if (pd->balance_fen >= 0) {
		yuan(v, sizeof(v), "¥", pd->balance_fen, "");
		money_row(p, "balance", 0.70, 0.18, "余额", "Balance", v, 0.13);
	}
	paid_footer(p, pd);
}

/* ---- refused, and out of service: icon, message, what to do ---- */

struct message {
	enum ui_icon icon;
	const char *zh, *en, *hint_zh, *hint_en;
};

static void draw_message(struct page *p, const struct message *m, uint32_t bg)
{
	ui_draw_icon(p->d, m->icon, box(p, 0.04, 0.22, 0.21, 0.38), bg, p->fg);
	text(p, "title-zh", box(p, 0.29, 0.17, 0.68, 0.31), m->zh, 0.20, true, UI_LEFT);
	text(p, "title-en", box(p, 0.29, 0.48, 0.68, 0.11), m->en, 0.075, false, UI_LEFT);
	if (!m->hint_zh)
		return;
	text(p, "hint-zh", box(p, 0.29, 0.62, 0.68, 0.13), m->hint_zh, 0.085, true, UI_LEFT);
	text(p, "hint-en", box(p, 0.29, 0.75, 0.68, 0.10), m->hint_en, 0.06, false, UI_LEFT);
}

static void draw_refused(struct page *p, const struct ui_screen *s)
{
	const struct ui_refused *r = &s->u.refused;
	const struct outcome_text *t = tap_outcome_text(r->outcome);
	struct ui_text hint = ui_outcome_hint(r->outcome);
	bool again = ui_outcome_tap_again(r->outcome);
	struct message m = { again ? UI_ICON_RETRY : UI_ICON_CROSS, t->zh, t->en, hint.zh,
			     hint.en };
	uint32_t bg = again ? AMBER : RED;
	char zh[96], en[96], fare_zh[48] = "", fare_en[48] = "";

	p->fg = again ? INK : WHITE;
	ui_draw_fill(p->d, box(p, 0, 0, 1, 1), bg, 1);
	status_bar(p, &s->bar);
	draw_message(p, &m, bg);
	if (r->balance_fen < 0)
		return;
	if (r->fare_fen >= 0) {
		yuan(fare_zh, sizeof(fare_zh), " · 票价 ", r->fare_fen, " 元");
		yuan(fare_en, sizeof(fare_en), " · Fare ¥", r->fare_fen, "");
	}
	yuan(zh, sizeof(zh), "余额 ", r->balance_fen, " 元");
	yuan(en, sizeof(en), "Balance ¥", r->balance_fen, "");
	strncat(zh, fare_zh, sizeof(zh) - strlen(zh) - 1);
	strncat(en, fare_en, sizeof(en) - strlen(en) - 1);
	footer(p, zh, en);
}

static void draw_oos(struct page *p, const struct ui_screen *s)
{
	struct ui_text why = ui_oos_reason_text(s->u.oos.reason);
	struct message m = { UI_ICON_STOP, "暂停服务", "Out of service", why.zh, why.en };

	ui_draw_fill(p->d, box(p, 0, 0, 1, 1), SLATE, 1);
	ui_draw_fill(p->d, box(p, 0, BAR_H, 0.015, FOOT_Y - BAR_H), RED, 1);
	status_bar(p, &s->bar);
	draw_message(p, &m, RED);
	if (s->u.oos.detail[0])
		footer(p, "请联系司机或维护人员", s->u.oos.detail);
	else
		footer(p, "请联系司机或维护人员", "Please see the driver");
}

/* ---- driver: sign-on and the shift's totals by card type ---- */

static void driver_row(const struct page *p, int i, double y, double hgt, const char *type,
		       int64_t taps, int64_t fen, bool bold)
{
	char name[24], n[32], v[32];

	snprintf(n, sizeof(n), "%lld", (long long)taps);
	yuan(v, sizeof(v), "¥", fen, "");
	snprintf(name, sizeof(name), "row%d-type", i);
	text(p, name, box(p, 0.04, y, 0.42, hgt), type, 0.056, bold, UI_LEFT);
	snprintf(name, sizeof(name), "row%d-taps", i);
	text(p, name, box(p, 0.47, y, 0.18, hgt), n, 0.056, bold, UI_RIGHT);
	snprintf(name, sizeof(name), "row%d-amount", i);
	text(p, name, box(p, 0.67, y, 0.29, hgt), v, 0.056, bold, UI_RIGHT);
}

static void driver_signed_off(struct page *p)
{
	text(p, "title-zh", box(p, 0.05, 0.20, 0.90, 0.28), "未签到", 0.20, true, UI_CENTER);
	text(p, "title-en", box(p, 0.05, 0.48, 0.90, 0.11), "Not signed on", 0.075, false,
	     UI_CENTER);
	text(p, "hint-zh", box(p, 0.05, 0.64, 0.90, 0.14), "请刷司机卡签到", 0.10, true, UI_CENTER);
	text(p, "hint-en", box(p, 0.05, 0.78, 0.90, 0.10), "Tap your driver card to sign on", 0.06,
	     false, UI_CENTER);
}

static void draw_driver(struct page *p, const struct ui_screen *s)
{
	const struct ui_driver *d = &s->u.driver;
	char id[48], since[48], hhmm[8], type[64];
	double y = 0.445, row = 0.075;

	ui_draw_fill(p->d, box(p, 0, 0, 1, 1), 0x1C2833, 1);
	status_bar(p, &s->bar);
	if (!d->signed_on) {
		driver_signed_off(p);
		return;
	}
	snprintf(id, sizeof(id), "工号 %s", d->driver_id);
	ui_format_hhmm(d->since_s, hhmm, sizeof(hhmm));
	snprintf(since, sizeof(since), "签到 %s · Signed on %s", hhmm, hhmm);
	text(p, "title-zh", box(p, 0.03, 0.15, 0.45, 0.13), "司机 · 本班统计", 0.085, true,
	     UI_LEFT);
	text(p, "title-en", box(p, 0.03, 0.28, 0.45, 0.07), "Driver · shift totals", 0.05, false,
	     UI_LEFT);
	text(p, "driver-id", box(p, 0.50, 0.15, 0.47, 0.11), id, 0.07, true, UI_RIGHT);
	text(p, "since", box(p, 0.50, 0.26, 0.47, 0.09), since, 0.05, false, UI_RIGHT);
	text_rgb(p, "head-type", box(p, 0.04, 0.365, 0.42, 0.07), "卡类 Card type", 0.045, false,
		 UI_LEFT, GREY);
	text_rgb(p, "head-taps", box(p, 0.47, 0.365, 0.18, 0.07), "人次 Taps", 0.045, false,
		 UI_RIGHT, GREY);
	text_rgb(p, "head-amount", box(p, 0.67, 0.365, 0.29, 0.07), "金额 Amount", 0.045, false,
		 UI_RIGHT, GREY);
	for (int i = 0; i < d->n_rows && i < UI_DRIVER_ROWS; i++, y += row) {
		struct ui_text t = ui_card_type_text(d->rows[i].card_type);

		snprintf(type, sizeof(type), "%s %s", t.zh, t.en);
		driver_row(p, i, y, row, type, d->rows[i].taps, d->rows[i].amount_fen, false);
	}
	ui_draw_hline(p->d, 0.04 * p->w, 0.96 * p->w, (FOOT_Y + 0.005) * p->h, 1.5, GREY);
	driver_row(p, UI_DRIVER_ROWS, FOOT_Y + 0.01, 1 - FOOT_Y - 0.01, "合计 Total", d->total_taps,
		   d->total_fen, true);
}

/* ---- maintenance: PSAM slots, store, clock, versions ---- */

static void maint_row(const struct page *p, int i, const char *label, enum ui_status st,
		      const char *value)
{
	double y = 0.275 + i * 0.085, hgt = 0.08;
	char name[24];

	snprintf(name, sizeof(name), "m%d-label", i);
	text_rgb(p, name, box(p, 0.03, y, 0.27, hgt), label, 0.05, false, UI_LEFT, GREY);
	ui_draw_icon(p->d, UI_ICON_DOT, box(p, 0.31, y + hgt * 0.3, 0.03, hgt * 0.4),
		     status_rgb(st), status_rgb(st));
	snprintf(name, sizeof(name), "m%d-value", i);
	text(p, name, box(p, 0.35, y, 0.62, hgt), value, 0.05, false, UI_LEFT);
}

static void maint_slot(const struct page *p, int i, const struct ui_psam_slot *slot)
{
	static const char *const states[] = { "未知 Unknown", "就绪 Ready", "注意 Check",
					      "故障 Fault" };
	char label[32], value[64];

	snprintf(label, sizeof(label), "PSAM %d", i + 1);
	if (!slot->present) {
		maint_row(p, i, label, UI_STATUS_UNKNOWN, "空槽 Empty");
		return;
	}
	snprintf(value, sizeof(value), "%s · %s", states[(unsigned)slot->state & 3],
		 slot->terminal_no);
	maint_row(p, i, label, slot->state, value);
}

static void maint_store(const struct page *p, int row, const struct ui_maintenance *m)
{
	char v[96], free_text[32] = "?";

	if (m->free_bytes >= (1 << 30))
		snprintf(free_text, sizeof(free_text), "%.1f GB", m->free_bytes / 1073741824.0);
	else if (m->free_bytes >= 0)
		snprintf(free_text, sizeof(free_text), "%.1f MB", m->free_bytes / 1048576.0);
	snprintf(v, sizeof(v), "%lld 条 records · 空闲 free %s", (long long)m->records, free_text);
	maint_row(p, row, "存储 Store", m->records >= 0 ? UI_STATUS_OK : UI_STATUS_UNKNOWN, v);
	snprintf(v, sizeof(v), "%lld 条待上传 awaiting upload", (long long)m->backlog);
	maint_row(p, row + 1, "上传 Upload", m->backlog > 0 ? UI_STATUS_WARN : UI_STATUS_OK, v);
}

static void draw_maintenance(struct page *p, const struct ui_screen *s)
{
	const struct ui_maintenance *m = &s->u.maint;
	char v[96], when[32];
	int row = 0;

	ui_draw_fill(p->d, box(p, 0, 0, 1, 1), 0x202020, 1);
	status_bar(p, &s->bar);
	text(p, "title", box(p, 0.03, 0.15, 0.45, 0.11), "维护 · Maintenance", 0.075, true,
	     UI_LEFT);
	text(p, "device", box(p, 0.50, 0.15, 0.47, 0.11), m->device_id, 0.06, true, UI_RIGHT);
	for (; row < m->n_slots && row < UI_PSAM_SLOTS; row++)
		maint_slot(p, row, &m->slots[row]);
	maint_store(p, row, m);
	row += 2;
	ui_format_datetime(s->bar.now_s, when, sizeof(when));
	snprintf(v, sizeof(v), "%s CST%s", when, m->clock_ok ? "" : " · 时钟错误 NOT VALID");
	maint_row(p, row++, "时钟 Clock", m->clock_ok ? UI_STATUS_OK : UI_STATUS_FAULT, v);
	snprintf(v, sizeof(v), "ykt %s · 参数 params %s", m->app_version,
		 m->params_version[0] ? m->params_version : "-");
	maint_row(p, row, "版本 Version", UI_STATUS_OK, v);
}

void ui_layout_draw(struct ui_draw *d, const struct ui_screen *s)
{
	struct page p = { d, ui_draw_width(d), ui_draw_height(d), WHITE };

	switch (s->kind) {
	case UI_SCREEN_IDLE:
		draw_idle(&p, s);
		break;
	case UI_SCREEN_PAID:
		draw_paid(&p, s);
		break;
	case UI_SCREEN_REFUSED:
		draw_refused(&p, s);
		break;
	case UI_SCREEN_DRIVER:
		draw_driver(&p, s);
		break;
	case UI_SCREEN_MAINTENANCE:
		draw_maintenance(&p, s);
		break;
	default:
		draw_oos(&p, s);
		break;
	}
}
