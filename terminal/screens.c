/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "screens.h"

#include "clock.h"
#include "config.h"
#include "feedback.h"
#include "gpio.h"
#include "log.h"
#include "psam.h"
#include "screen.h"
#include "store.h"
#include "tap.h"
#include "ui.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ykt_screens {
	const struct ykt_config *cfg;
	struct ykt_clock *clock;
	struct ykt_ui *ui;
	struct ykt_gpio *gpio; /* NULL: no outputs */
	struct ykt_feedback *feedback;
	struct ui_status_bar bar;
	int64_t last_feedback_ns;
	struct ykt_screens_posted last;
};

static const struct ykt_gpio_line_spec *output_spec(const struct ykt_config *cfg, int output)
{
	switch (output) {
	case FEEDBACK_BUZZER:
		return &cfg->buzzer;
	case FEEDBACK_GREEN:
		return &cfg->green_led;
	case FEEDBACK_RED:
		return &cfg->red_led;
	default:
		return &cfg->gate_relay;
	}
}

/* [hardware] gpio and the [outputs] fitted; none: no outputs at all */
static int screens_open_outputs(struct ykt_screens *s, char *errbuf, size_t errbuf_len)
{
	int lines[FEEDBACK_OUTPUTS], r;

	if (strcmp(s->cfg->gpio_uri, "none") == 0)
		return 0;
	r = ykt_gpio_open(s->cfg->gpio_uri, NULL, &s->gpio, errbuf, errbuf_len);
	if (r < 0)
		return r;
	for (int i = 0; i < FEEDBACK_OUTPUTS; i++) {
		const struct ykt_gpio_line_spec *spec = output_spec(s->cfg, i);

		lines[i] = -1;
		if (!spec->chip[0])
			continue;
		lines[i] = ykt_gpio_request(s->gpio, feedback_output_name(i), spec);
		if (lines[i] < 0) {
			snprintf(errbuf, errbuf_len, "[outputs] %s: %s:%u: cannot claim (%d)",
				 feedback_output_name(i), spec->chip, spec->offset, lines[i]);
			return lines[i];
		}
	}
	return ykt_feedback_new(s->gpio, lines, true, &s->feedback);
}

static void bar_line(const struct ykt_config *cfg, char *buf, size_t cap)
{
	const char *dir = strcmp(cfg->direction, "up") == 0	? " 上行"
			  : strcmp(cfg->direction, "down") == 0 ? " 下行"
								: "";

	if (cfg->line_name[0])
		ui_copy_text(buf, cap, cfg->line_name);
	else /* line codes are written as 4 hex digits, 0029 for line 29 */
		snprintf(buf, cap, "%X路%s", cfg->line, dir);
}

int ykt_screens_new(const struct ykt_config *cfg, struct ykt_clock *clock,
		    struct ykt_screens **ret_screens, char *errbuf, size_t errbuf_len)
{
	struct ykt_ui_options o = { cfg->display_uri, clock, cfg->display_hold_ms };
	struct ykt_screens *s = calloc(1, sizeof(*s));
	int r;

	if (!s)
		return -ENOMEM;
	s->cfg = cfg;
	s->clock = clock;
	bar_line(cfg, s->bar.line, sizeof(s->bar.line));
	s->bar.backlog = -1;
	r = ykt_ui_new(&o, &s->ui, errbuf, errbuf_len);
	if (r == 0)
		r = screens_open_outputs(s, errbuf, errbuf_len);
	if (r < 0) {
		ykt_screens_free(s);
		return r;
	}
	*ret_screens = s;
	return 0;
}

void ykt_screens_free(struct ykt_screens *s)
{
	if (!s)
		return;
	ykt_feedback_free(s->feedback);
	ykt_gpio_free(s->gpio);
	ykt_ui_free(s->ui);
	free(s);
}

static void screen_for_tap(const struct ykt_screens *s, const struct tap_result *res,
			   struct ui_screen *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->bar = s->bar;
	ret->bar.now_s = ykt_clock_now_s(s->clock);
	if (res->outcome == TAP_PAID) {
		ret->kind = UI_SCREEN_PAID;
		ret->u.paid = (struct ui_paid){
			.amount_fen = res->amount_fen,
			.nominal_fen = res->nominal_fen,
			.balance_fen = res->balance_fen,
			.card_type = res->card_type,
			.transfer = res->transfer,
			.recovered = res->recovered,
			.low_balance = res->balance_fen >= 0 &&
				       res->balance_fen < s->cfg->display_low_balance_fen,
		};
	} else if (res->outcome == TAP_OUT_OF_SERVICE) {
		ret->kind = UI_SCREEN_OUT_OF_SERVICE;
		ret->u.oos.reason = ui_oos_reason_from_error(res->err);
	} else {
		ret->kind = UI_SCREEN_REFUSED;
		ret->u.refused = (struct ui_refused){
			.outcome = res->outcome,
			.balance_fen = res->outcome == TAP_INSUFFICIENT ? res->balance_fen : -1,
			.fare_fen = res->amount_fen > 0 ? res->amount_fen : s->cfg->fare_fen,
		};
	}
}

void ykt_screens_tap(struct ykt_screens *s, const struct tap_result *res, int64_t start_ns)
{
	struct ui_screen screen;
	bool concession = res->amount_fen < res->nominal_fen;
	/* called as soon as the card answered DEBIT, before the record is
	 * completed: the gate waits for ykt_screens_gate(), except for a
	 * recovered purchase, whose record was completed during the tap */
	unsigned flags = res->outcome == TAP_PAID && res->record_no >= 0 && res->recovered
			     ? FEEDBACK_RECORD_DURABLE
			     : 0;

	enum feedback_id id = feedback_for_outcome(res->outcome, concession);

	if (s->feedback)
		ykt_feedback_play(s->feedback, id, flags);
	if (!ykt_ui_is_none(s->ui)) {
		screen_for_tap(s, res, &screen);
		ykt_ui_show(s->ui, &screen);
	}
	s->last_feedback_ns = ykt_monotonic_ns() - start_ns;
	s->last.has_screen = !ykt_ui_is_none(s->ui);
	if (s->last.has_screen)
		s->last.screen = screen;
	s->last.feedback = id;
	s->last.flags = flags;
	s->last.gate_record_no = flags ? res->record_no : -1;
}

void ykt_screens_gate(struct ykt_screens *s, const struct tap_result *res)
{
	bool concession = res->amount_fen < res->nominal_fen;

	if (res->outcome != TAP_PAID || res->record_no < 0)
		return;
	if (s->feedback)
		ykt_feedback_play(s->feedback, feedback_for_outcome(res->outcome, concession),
				  FEEDBACK_RECORD_DURABLE | FEEDBACK_GATE_ONLY);
	s->last.flags |= FEEDBACK_RECORD_DURABLE;
	s->last.gate_record_no = res->record_no;
}

void ykt_screens_last_posted(const struct ykt_screens *s, struct ykt_screens_posted *ret)
{
	*ret = s->last;
}

static enum ui_status backlog_status(int64_t backlog)
{
	if (backlog < 0)
		return UI_STATUS_UNKNOWN;
	return backlog == 0 ? UI_STATUS_OK : UI_STATUS_WARN;
}

void ykt_screens_refresh(struct ykt_screens *s, const struct ykt_tap_env *env, bool with_counts)
{
	struct store_counts counts;
	struct ui_screen screen;
	char why[UI_TEXT_MAX];
	int r;

	if (ykt_ui_is_none(s->ui))
		return;
	memset(&screen, 0, sizeof(screen)); /* compared bytewise for changes */
	r = ykt_tap_ready(env, why, sizeof(why));
	if (with_counts && store_count(env->store, &counts) == 0)
		s->bar.backlog = counts.pending_upload;
	s->bar.psam = psam_ready(env->psam) ? UI_STATUS_OK : UI_STATUS_FAULT;
	s->bar.upload = backlog_status(s->bar.backlog);
	screen.bar = s->bar;
	screen.bar.now_s = ykt_clock_now_s(s->clock);
	if (r < 0) {
		screen.kind = UI_SCREEN_OUT_OF_SERVICE;
		screen.u.oos.reason = ui_oos_reason_from_error(r);
		ui_copy_text(screen.u.oos.detail, sizeof(screen.u.oos.detail), why);
	} else {
		screen.kind = UI_SCREEN_IDLE;
		screen.u.idle.fare_fen = s->cfg->fare_fen;
	}
	ykt_ui_set_base(s->ui, &screen);
}

int64_t ykt_screens_last_feedback_ns(const struct ykt_screens *s)
{
	return s->last_feedback_ns;
}

struct ykt_ui *ykt_screens_ui(struct ykt_screens *s)
{
	return s->ui;
}

struct ykt_gpio *ykt_screens_gpio(struct ykt_screens *s)
{
	return s->gpio;
}
