/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The demo shift with a display (text: into a file) and outputs (sim:):
 *   - at every tap the validator posts the screen of its outcome (paid:
 *     amount, balance, card type; refused: the outcome; out of service)
 *     and the outcome's pattern, two beeps for a discounted fare;
 *   - the gate may open (FEEDBACK_RECORD_DURABLE) only for a paid tap, and
 *     then its record is already complete in the store, read through a
 *     second connection as `ykt sync` would;
 *   - the display shows the last tap's screen last (those in between may
 *     be superseded: the taps come faster than any panel); when the
 *     validator stops, every output is inactive.
 *
 * Usage: test-screens-shift DIR   (DIR holds ykt.conf and shift.tap)
 */
#include "check.h"
#include "config.h"
#include "screens.h"
#include "store.h"
#include "ui.h"
#include "validator.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct run {
	struct ykt_validator *v;
	struct ykt_store *store; /* a second connection */
	char store_path[300];
	int taps, paid, gates;
	int64_t pending_gate; /* a paid record whose gate is still to come */
};

static void check_paid(const struct tap_result *res, const struct ykt_screens_posted *p,
		       struct run *r, int n)
{
	const struct ui_paid *pd = &p->screen.u.paid;
	struct ykt_purchase_record rec;
	bool discounted = res->amount_fen < res->nominal_fen;

	r->paid++;
	CHECK(p->screen.kind == UI_SCREEN_PAID, "tap %d: paid shows kind %d", n, p->screen.kind);
	CHECK(pd->amount_fen == res->amount_fen && pd->balance_fen == res->balance_fen &&
		  pd->card_type == res->card_type && pd->nominal_fen == res->nominal_fen,
	      "tap %d: paid screen numbers", n);
	CHECK(p->feedback == (discounted ? FEEDBACK_PAID_CONCESSION : FEEDBACK_PAID),
	      "tap %d: pattern %d", n, p->feedback);
	/* the passenger is told when the card answered DEBIT; the record is
	 * completed just after, and only then may the gate move: a recovered
	 * purchase was completed during the tap */
	CHECK((p->flags & FEEDBACK_RECORD_DURABLE) == (res->recovered ? 1u : 0u),
	      "tap %d: gate flag %u at the feedback of record %lld", n, p->flags,
	      (long long)res->record_no);
	if (res->record_no < 0)
		return;
	r->pending_gate = res->record_no;
	if (!res->recovered)
		return;
	r->gates++;
	r->pending_gate = -1;
	CHECK(
	    store_purchase_get(r->store, res->record_no, &rec) == 0 && rec.state == STORE_COMPLETE,
	    "tap %d: gate commanded before record %lld was complete", n, (long long)res->record_no);
}

/* After the completion (step "complete" of ykt_tap_finish): the gate has
 * been commanded for exactly this record, which is complete. */
static void on_step(const char *step, int64_t now_ns, void *userdata)
{
	struct run *r = userdata;
	struct ykt_screens_posted p;
	struct ykt_purchase_record rec;

	if (strcmp(step, "complete") != 0 || r->pending_gate < 0)
		return;
	ykt_screens_last_posted(ykt_validator_screens(r->v), &p);
	CHECK(p.gate_record_no == r->pending_gate && (p.flags & FEEDBACK_RECORD_DURABLE),
	      "record %lld: gate not commanded after its completion", (long long)r->pending_gate);
	CHECK(store_purchase_get(r->store, r->pending_gate, &rec) == 0 &&
		  rec.state == STORE_COMPLETE,
	      "record %lld: gate commanded before it was complete", (long long)r->pending_gate);
	r->gates++;
	r->pending_gate = -1;
}

static void on_tap(int n, const struct tap_result *res, void *userdata)
{
	struct run *r = userdata;
	struct ykt_screens_posted p;

	r->taps = n;
	ykt_screens_last_posted(ykt_validator_screens(r->v), &p);
	CHECK(p.has_screen, "tap %d: no screen posted", n);
	if (res->outcome == TAP_PAID) {
		check_paid(res, &p, r, n);
		return;
	}
	CHECK(p.feedback == feedback_for_outcome(res->outcome, false) && p.flags == 0,
	      "tap %d (%s): pattern %d flags %u", n, tap_outcome_text(res->outcome)->key,
	      p.feedback, p.flags);
	if (res->outcome == TAP_OUT_OF_SERVICE)
		CHECK(p.screen.kind == UI_SCREEN_OUT_OF_SERVICE, "tap %d: kind %d", n,
		      p.screen.kind);
	else
		CHECK(p.screen.kind == UI_SCREEN_REFUSED &&
			  p.screen.u.refused.outcome == res->outcome,
		      "tap %d: refused screen for %s", n, tap_outcome_text(res->outcome)->key);
}

static int configure(const char *dir, const char *tmp, struct ykt_config *cfg)
{
	char path[1024], err[512];
	int r;

	snprintf(path, sizeof(path), "%s/ykt.conf", dir);
	r = ykt_config_load(path, cfg, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "config: %s\n", err);
		return r;
	}
	snprintf(cfg->display_uri, sizeof(cfg->display_uri), "text:%s/screens.txt", tmp);
	snprintf(cfg->gpio_uri, sizeof(cfg->gpio_uri), "sim:%s/outputs.log", tmp);
	ykt_gpio_line_parse("gpiochip0:17", &cfg->buzzer);
	ykt_gpio_line_parse("gpiochip0:22", &cfg->green_led);
	ykt_gpio_line_parse("gpiochip0:23:active-low", &cfg->red_led);
	ykt_gpio_line_parse("gpiochip1:5", &cfg->gate_relay);
	return 0;
}

/* first and last screen lines of the text display */
static void check_display(const char *tmp, const struct ykt_screens_posted *last)
{
	char path[600], line[1024], first[1024] = "", final[1024] = "", want[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/screens.txt", tmp);
	f = fopen(path, "re");
	CHECK(f != NULL, "no %s", path);
	while (f && fgets(line, sizeof(line), f)) {
		if (!first[0])
			snprintf(first, sizeof(first), "%s", line);
		snprintf(final, sizeof(final), "%s", line);
	}
	if (f)
		fclose(f);
	CHECK(strncmp(first, "screen: ", 8) == 0, "first line: %s", first);
	ui_screen_describe(&last->screen, want, sizeof(want));
	CHECK(strncmp(final, "screen: ", 8) == 0 && strncmp(final + 8, want, strlen(want)) == 0,
	      "last screen: %s, want %s", final, want);
}

/* after the validator stopped: the last value of every output is 0 */
static void check_outputs_rest(const char *tmp)
{
	char path[600], name[32];
	long long t;
	int value, seen = 0, last[4] = { 0 };
	const char *names[] = { "buzzer", "green_led", "red_led", "gate_relay" };
	FILE *f;

	snprintf(path, sizeof(path), "%s/outputs.log", tmp);
	f = fopen(path, "re");
	CHECK(f != NULL, "no %s", path);
	while (f && fscanf(f, "%lld %31s %d", &t, name, &value) == 3) {
		for (int i = 0; i < 4; i++)
			if (strcmp(name, names[i]) == 0)
				last[i] = value, seen |= 1 << i;
	}
	if (f)
		fclose(f);
	CHECK(seen & 1, "the buzzer never sounded");
	for (int i = 0; i < 4; i++)
		CHECK(last[i] == 0, "%s left active", names[i]);
}

int main(int argc, char **argv)
{
	static struct ykt_config cfg;
	static struct run r;
	struct ykt_screens_posted last;
	char tmp[256], err[512];

	if (argc != 2)
		return 2;
	check_tmpdir(tmp, sizeof(tmp));
	if (configure(argv[1], tmp, &cfg) < 0)
		return 1;
	snprintf(cfg.store_path, sizeof(cfg.store_path), "%s/records.db", tmp);
	CHECK(ykt_validator_new(&cfg, &r.v, err, sizeof(err)) == 0, "validator: %s", err);
	CHECK(store_open(cfg.store_path, NULL, &r.store, NULL, 0) == 0, "second connection");
	if (!r.v || !r.store)
		return check_result();
	r.pending_gate = -1;
	ykt_validator_on_step(r.v, on_step, &r);
	CHECK(ykt_validator_run(r.v, on_tap, &r) == 0, "the shift did not run to its end");
	CHECK(r.pending_gate < 0, "record %lld never opened the gate", (long long)r.pending_gate);
	CHECK(r.taps >= 20 && r.paid >= 10 && r.gates >= 10, "%d taps, %d paid, %d gates", r.taps,
	      r.paid, r.gates);
	ykt_ui_flush(ykt_screens_ui(ykt_validator_screens(r.v)));
	ykt_screens_last_posted(ykt_validator_screens(r.v), &last);
	check_display(tmp, &last);
	ykt_validator_free(r.v);
	check_outputs_rest(tmp);
	store_close(r.store);
	check_rm_rf(tmp);
	return check_result();
}
