/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Sound and light per outcome, through the sim: output driver:
 *   - the output-line interface: line specs, requests, values, the sim:
 *     timeline and its log file;
 *   - each pattern's exact timeline (ms from the tap, output, value), time
 *     moved by a sim: clock so it is exact;
 *   - for every outcome: every output ends inactive, green never lights on
 *     a refusal nor red on a payment, and the gate relay pulses only for a
 *     paid tap whose record is durable;
 *   - a refusal right after a payment takes over buzzer and lights at once
 *     and lets the gate finish its pulse;
 *   - outputs that are not fitted are skipped;
 *   - the threaded player drives the same sequence in real time.
 */
#include "check.h"
#include "clock.h"
#include "feedback.h"
#include "gpio.h"
#include "gpio_sim.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char dir[512];

static void check_line_specs(void)
{
	static const char *const bad[] = { "",
					   "gpiochip0",
					   "gpiochip0:",
					   ":17",
					   "gpiochip0:x",
					   "gpiochip0:17:low",
					   "gpiochip0:1024",
					   "gpiochip0:-1",
					   "a234567890123456789012345678901234:1" };
	struct ykt_gpio_line_spec s;

	CHECK_INT(ykt_gpio_line_parse("gpiochip0:17", &s), 0);
	CHECK(strcmp(s.chip, "gpiochip0") == 0 && s.offset == 17 && !s.active_low, "plain");
	CHECK_INT(ykt_gpio_line_parse("gpiochip1:5:active-low", &s), 0);
	CHECK(strcmp(s.chip, "gpiochip1") == 0 && s.offset == 5 && s.active_low, "active-low");
	CHECK_INT(ykt_gpio_line_parse("/dev/gpiochip2:0:active-high", &s), 0);
	CHECK(strcmp(s.chip, "/dev/gpiochip2") == 0 && s.offset == 0 && !s.active_low, "path");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(ykt_gpio_line_parse(bad[i], &s) == -EINVAL, "'%s' accepted", bad[i]);
}

/* buzzer, green_led, red_led, gate_relay as lines 0..3 */
static struct ykt_gpio *open_outputs(const char *uri, struct ykt_clock *clock, int lines[4])
{
	struct ykt_gpio_env env = { clock };
	struct ykt_gpio_line_spec spec;
	struct ykt_gpio *g = NULL;
	char err[256];

	CHECK_INT(ykt_gpio_open(uri, &env, &g, err, sizeof(err)), 0);
	if (!g)
		return NULL;
	for (int i = 0; i < FEEDBACK_OUTPUTS; i++) {
		char text[32];

		snprintf(text, sizeof(text), "gpiochip0:%d", 17 + i);
		CHECK_INT(ykt_gpio_line_parse(text, &spec), 0);
		lines[i] = ykt_gpio_request(g, feedback_output_name(i), &spec);
		CHECK_INT(lines[i], i);
	}
	return g;
}

static void check_gpio_interface(void)
{
	struct ykt_gpio_line_spec spec = { "gpiochip0", 3, false }, empty = { 0 };
	struct ykt_gpio_sim_event ev[8];
	struct ykt_gpio *g = NULL;
	char uri[600], path[560], err[256], log[256];
	int lines[4];
	FILE *f;

	CHECK(ykt_gpio_scheme_known("sim:") && !ykt_gpio_scheme_known("gpio:x"), "schemes");
	CHECK_INT(ykt_gpio_open("relay:gpiochip0", NULL, &g, err, sizeof(err)), -ENOENT);
	snprintf(path, sizeof(path), "%s/outputs.log", dir);
	snprintf(uri, sizeof(uri), "sim:%s", path);
	g = open_outputs(uri, NULL, lines);
	if (!g)
		return;
	CHECK_INT(ykt_gpio_request(g, "x", &empty), -EINVAL);
	for (int i = FEEDBACK_OUTPUTS; i < YKT_GPIO_MAX_LINES; i++)
		CHECK_INT(ykt_gpio_request(g, "spare", &spec), i);
	CHECK_INT(ykt_gpio_request(g, "one-too-many", &spec), -E2BIG);
	CHECK_INT(ykt_gpio_set(g, YKT_GPIO_MAX_LINES, 1), -EINVAL);
	CHECK_INT(ykt_gpio_get(g, 2), 0);
	CHECK_INT(ykt_gpio_set(g, 2, 1), 0);
	CHECK_INT(ykt_gpio_get(g, 2), 1);
	CHECK_INT(ykt_gpio_sim_timeline(g, ev, 8), 1);
	CHECK(ev[0].line == 2 && ev[0].value == 1, "timeline %d=%d", ev[0].line, ev[0].value);
	ykt_gpio_free(g); /* leaves red_led inactive again */
	f = fopen(path, "re");
	CHECK(f && fscanf(f, "%*d %255s", log) == 1 && strcmp(log, "red_led") == 0,
	      "log names the line");
	CHECK(f && fscanf(f, "%*d %*d %*s %*d") == 0, "second line");
	if (f)
		fclose(f);
}

/* Run a player until nothing is pending, moving the sim: clock to each
 * step; at at_ms (if >= 0) play `then` as well. */
static void run_out(struct ykt_feedback *fb, struct ykt_clock *clock, int64_t t0, int64_t at_ms,
		    enum feedback_id then)
{
	int64_t next;

	while ((next = ykt_feedback_next_ms(fb)) >= 0) {
		if (at_ms >= 0 && next > t0 + at_ms) {
			ykt_clock_set(clock, t0 + at_ms);
			ykt_feedback_run_until(fb, t0 + at_ms);
			ykt_feedback_play(fb, then, 0);
			at_ms = -1;
			continue;
		}
		ykt_clock_set(clock, next);
		ykt_feedback_run_until(fb, next);
	}
}

/* "t output value, ..." from the sim: timeline, t from t0 */
static void timeline_text(struct ykt_gpio *g, int64_t t0, char *buf, size_t cap)
{
	struct ykt_gpio_sim_event ev[128];
	int n = ykt_gpio_sim_timeline(g, ev, 128);
	size_t used = 0;

	buf[0] = '\0';
	for (int i = 0; i < n && i < 128 && used < cap; i++)
		used += (size_t)snprintf(buf + used, cap - used, "%s%lld %s %d", i ? ", " : "",
					 (long long)(ev[i].t_ms - t0),
					 ykt_gpio_line_name(g, ev[i].line), ev[i].value);
}

struct run {
	struct ykt_clock *clock;
	struct ykt_gpio *gpio;
	struct ykt_feedback *fb;
	int lines[4];
	int64_t t0;
};

static void run_open(struct run *r, bool all_fitted)
{
	memset(r, 0, sizeof(*r));
	CHECK_INT(ykt_clock_new("sim:2026-11-21T07:30:00", &r->clock), 0);
	r->gpio = open_outputs("sim:", r->clock, r->lines);
	if (!all_fitted)
		r->lines[FEEDBACK_RELAY] = -1; /* a bus: no gate */
	CHECK_INT(ykt_feedback_new(r->gpio, r->lines, false, &r->fb), 0);
	r->t0 = ykt_clock_now_ms(r->clock);
	ykt_feedback_run_until(r->fb, r->t0);
}

static void run_close(struct run *r)
{
	ykt_feedback_free(r->fb);
	ykt_gpio_free(r->gpio);
	ykt_clock_free(r->clock);
}

static void check_timeline(enum feedback_id id, unsigned flags, int64_t then_at,
			   enum feedback_id then, const char *want)
{
	struct run r;
	char got[2048];

	run_open(&r, true);
	ykt_feedback_play(r.fb, id, flags);
	run_out(r.fb, r.clock, r.t0, then_at, then);
	timeline_text(r.gpio, r.t0, got, sizeof(got));
	CHECK(strcmp(got, want) == 0, "%s:\n  got  %s\n  want %s", feedback_pattern(id)->name, got,
	      want);
	run_close(&r);
}

static void check_patterns(void)
{
	check_timeline(FEEDBACK_PAID, FEEDBACK_RECORD_DURABLE, -1, 0,
		       "0 red_led 0, 0 green_led 1, 0 buzzer 1, 0 gate_relay 1, 120 buzzer 0, "
		       "600 gate_relay 0, 1500 green_led 0");
	check_timeline(FEEDBACK_PAID_CONCESSION, FEEDBACK_RECORD_DURABLE, -1, 0,
		       "0 red_led 0, 0 green_led 1, 0 buzzer 1, 0 gate_relay 1, 80 buzzer 0, "
		       "160 buzzer 1, 240 buzzer 0, 600 gate_relay 0, 1500 green_led 0");
	check_timeline(FEEDBACK_REFUSED, 0, -1, 0,
		       "0 green_led 0, 0 red_led 1, 0 buzzer 1, 100 buzzer 0, 150 buzzer 1, "
		       "250 buzzer 0, 300 buzzer 1, 400 buzzer 0, 2000 red_led 0");
	check_timeline(FEEDBACK_TAP_AGAIN, 0, -1, 0,
		       "0 green_led 0, 0 red_led 1, 0 buzzer 1, 100 buzzer 0, 200 buzzer 1, "
		       "250 red_led 0, 300 buzzer 0, 500 red_led 1, 750 red_led 0, "
		       "1000 red_led 1, 1250 red_led 0");
	check_timeline(FEEDBACK_NOTICE, 0, -1, 0,
		       "0 green_led 0, 0 red_led 1, 0 buzzer 1, 300 buzzer 0, 1500 red_led 0");
	check_timeline(FEEDBACK_OUT_OF_SERVICE, 0, -1, 0,
		       "0 green_led 0, 0 red_led 1, 0 buzzer 1, 800 buzzer 0, 3000 red_led 0");
	/* paid, record not durable: everything but the gate */
	check_timeline(FEEDBACK_PAID, 0, -1, 0,
		       "0 red_led 0, 0 green_led 1, 0 buzzer 1, 120 buzzer 0, 1500 green_led 0");
	/* a refusal 300 ms after a payment: lights and buzzer switch at once,
	 * the gate finishes its pulse */
	check_timeline(FEEDBACK_PAID, FEEDBACK_RECORD_DURABLE, 300, FEEDBACK_REFUSED,
		       "0 red_led 0, 0 green_led 1, 0 buzzer 1, 0 gate_relay 1, 120 buzzer 0, "
		       "300 green_led 0, 300 red_led 1, 300 buzzer 1, 400 buzzer 0, "
		       "450 buzzer 1, 550 buzzer 0, 600 gate_relay 0, 600 buzzer 1, "
		       "700 buzzer 0, 2300 red_led 0");
}

/* what one outcome did to each output */
struct effect {
	bool lit[FEEDBACK_OUTPUTS];
	int final[FEEDBACK_OUTPUTS];
	int pulses[FEEDBACK_OUTPUTS];
};

static void outcome_effect(enum tap_outcome o, bool concession, unsigned flags, bool gate,
			   struct effect *e)
{
	struct ykt_gpio_sim_event ev[128];
	struct run r;
	int n;

	memset(e, 0, sizeof(*e));
	run_open(&r, gate);
	ykt_feedback_play(r.fb, feedback_for_outcome(o, concession), flags);
	run_out(r.fb, r.clock, r.t0, -1, 0);
	n = ykt_gpio_sim_timeline(r.gpio, ev, 128);
	for (int i = 0; i < n && i < 128; i++) {
		e->lit[ev[i].line] |= ev[i].value;
		e->pulses[ev[i].line] += ev[i].value;
	}
	for (int i = 0; i < FEEDBACK_OUTPUTS; i++)
		e->final[i] = ykt_gpio_get(r.gpio, i);
	run_close(&r);
}

static void check_every_outcome(void)
{
	for (int o = 0; o < TAP_OUTCOME_COUNT; o++) {
		const char *key = tap_outcome_text(o)->key;
		struct effect e, nogate, hurried;

		outcome_effect(o, false, FEEDBACK_RECORD_DURABLE, true, &e);
		outcome_effect(o, false, FEEDBACK_RECORD_DURABLE, false, &nogate);
		outcome_effect(o, false, 0, true, &hurried);
		for (int i = 0; i < FEEDBACK_OUTPUTS; i++)
			CHECK(e.final[i] == 0, "%s: %s left active", key, feedback_output_name(i));
		CHECK(e.pulses[FEEDBACK_BUZZER] >= 1, "%s: silent", key);
		CHECK(e.lit[FEEDBACK_GREEN] == (o == TAP_PAID), "%s: green %d", key,
		      e.lit[FEEDBACK_GREEN]);
		CHECK(e.lit[FEEDBACK_RED] == (o != TAP_PAID), "%s: red %d", key,
		      e.lit[FEEDBACK_RED]);
		CHECK(e.lit[FEEDBACK_RELAY] == (o == TAP_PAID), "%s: gate %d", key,
		      e.lit[FEEDBACK_RELAY]);
		CHECK(!nogate.lit[FEEDBACK_RELAY] && nogate.lit[FEEDBACK_BUZZER],
		      "%s: a bus without a gate", key);
		CHECK(!hurried.lit[FEEDBACK_RELAY], "%s: gate opened before the record was durable",
		      key);
	}
	{
		struct effect plain, concession;

		outcome_effect(TAP_PAID, false, FEEDBACK_RECORD_DURABLE, true, &plain);
		outcome_effect(TAP_PAID, true, FEEDBACK_RECORD_DURABLE, true, &concession);
		CHECK(plain.pulses[FEEDBACK_BUZZER] == 1 && concession.pulses[FEEDBACK_BUZZER] == 2,
		      "beeps: %d plain, %d concession", plain.pulses[FEEDBACK_BUZZER],
		      concession.pulses[FEEDBACK_BUZZER]);
	}
}

/* the player's own thread, in real time: the same changes in the same order */
static void check_threaded(void)
{
	struct ykt_gpio_sim_event ev[64];
	struct ykt_feedback *fb = NULL;
	struct ykt_gpio *g;
	char got[2048] = "";
	int lines[4], n;
	size_t used = 0;

	g = open_outputs("sim:", NULL, lines);
	CHECK_INT(ykt_feedback_new(g, lines, true, &fb), 0);
	CHECK_INT(ykt_feedback_run_until(fb, 0), -EINVAL);
	CHECK_INT(ykt_feedback_play(fb, FEEDBACK_PAID, FEEDBACK_RECORD_DURABLE), 0);
	ykt_feedback_flush(fb);
	n = ykt_gpio_sim_timeline(g, ev, 64);
	for (int i = 0; i < n && i < 64; i++)
		used += (size_t)snprintf(got + used, sizeof(got) - used, "%s%s %d", i ? ", " : "",
					 ykt_gpio_line_name(g, ev[i].line), ev[i].value);
	CHECK(strcmp(got, "red_led 0, green_led 1, buzzer 1, gate_relay 1, buzzer 0, "
			  "gate_relay 0, green_led 0") == 0,
	      "threaded: %s", got);
	/* freed mid-pattern: everything goes inactive */
	CHECK_INT(ykt_feedback_play(fb, FEEDBACK_OUT_OF_SERVICE, 0), 0);
	ykt_feedback_free(fb);
	for (int i = 0; i < FEEDBACK_OUTPUTS; i++)
		CHECK(ykt_gpio_get(g, i) == 0, "%s left active", feedback_output_name(i));
	ykt_gpio_free(g);
}

int main(void)
{
	check_tmpdir(dir, sizeof(dir));
	check_line_specs();
	check_gpio_interface();
	check_patterns();
	check_every_outcome();
	check_threaded();
	check_rm_rf(dir);
	return check_result();
}
