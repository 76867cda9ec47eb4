/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The gpiod: output driver against the libgpiod 1.6 test double
 * (fake_gpiod.c, linked in place of libgpiod: this kernel has no GPIO):
 *   - lines found by chip name, /dev path and number; requested once as
 *     outputs, inactive, under the configured consumer; active-low lines
 *     driven high when off and low when on; bad chips, offsets and lines
 *     held elsewhere refused with the kernel's errors; everything inactive
 *     and released at close;
 *   - every feedback pattern (ui/feedback.c) played through the driver on
 *     a manual player: at each step's time the pins show exactly the
 *     pattern's values, the gate relay pulsed only for a durable record;
 *   - the threaded player with the driver stuck in a set: play() returns
 *     at once (the tap loop never waits on the outputs) and the pattern
 *     completes when the driver comes back.
 *
 * Usage: test-gpiod
 */
#include "check.h"
#include "fake_gpiod.h"
#include "feedback.h"
#include "gpio.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct wiring {
	const char *spec; /* as [outputs] says it */
	const char *chip; /* how the fake names it */
	unsigned offset;
	bool active_low;
};

/* buzzer, green, red, gate relay (enum feedback_output order) */
static const struct wiring wiring[FEEDBACK_OUTPUTS] = {
	{ "gpiochip0:17", "gpiochip0", 17, false },
	{ "gpiochip0:22", "gpiochip0", 22, false },
	{ "gpiochip0:23:active-low", "gpiochip0", 23, true },
	{ "/dev/gpiochip1:5", "gpiochip1", 5, false },
};

/* the logical value a pin shows (the fake keeps the physical level) */
static int logical(int output)
{
	int level = fake_gpiod_level(wiring[output].chip, wiring[output].offset);

	return level < 0 ? -1 : level ^ wiring[output].active_low;
}

static struct ykt_gpio *open_outputs(const char *uri, int lines[FEEDBACK_OUTPUTS])
{
	struct ykt_gpio_line_spec spec;
	struct ykt_gpio *g = NULL;
	char err[256] = "";

	CHECK(ykt_gpio_open(uri, NULL, &g, err, sizeof(err)) == 0, "%s: %s", uri, err);
	for (int i = 0; g && i < FEEDBACK_OUTPUTS; i++) {
		CHECK_INT(ykt_gpio_line_parse(wiring[i].spec, &spec), 0);
		lines[i] = ykt_gpio_request(g, feedback_output_name(i), &spec);
		CHECK(lines[i] >= 0, "%s: %d", wiring[i].spec, lines[i]);
	}
	return g;
}

static void check_requests(void)
{
	struct ykt_gpio_line_spec spec;
	struct ykt_gpio *g, *other;
	int lines[FEEDBACK_OUTPUTS];
	char consumer[64], err[256];
	bool low = false;

	CHECK_INT(ykt_gpio_open("gpiod:colour=red", NULL, &g, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "consumer=NAME") != NULL, "message '%s'", err);
	g = open_outputs("gpiod:consumer=bus-29", lines);
	for (int i = 0; i < FEEDBACK_OUTPUTS; i++) {
		CHECK(fake_gpiod_requested(wiring[i].chip, wiring[i].offset, consumer,
					   sizeof(consumer), &low) &&
			  strcmp(consumer, "bus-29") == 0 && low == wiring[i].active_low,
		      "%s held as '%s'", wiring[i].spec, consumer);
		CHECK(logical(i) == 0, "%s starts inactive", wiring[i].spec);
	}
	CHECK_INT(fake_gpiod_level("gpiochip0", 23), 1); /* active-low, off: high */
	CHECK_INT(ykt_gpio_set(g, lines[FEEDBACK_RED], 1), 0);
	CHECK_INT(fake_gpiod_level("gpiochip0", 23), 0);
	CHECK_INT(ykt_gpio_set(g, lines[FEEDBACK_BUZZER], 1), 0);
	CHECK_INT(fake_gpiod_level("gpiochip0", 17), 1);

	CHECK_INT(ykt_gpio_open("gpiod:", NULL, &other, err, sizeof(err)), 0);
	CHECK_INT(ykt_gpio_line_parse("gpiochip0:17", &spec), 0);
	CHECK_INT(ykt_gpio_request(other, "buzzer", &spec), -EBUSY); /* held by g */
	CHECK_INT(ykt_gpio_line_parse("gpiochip7:1", &spec), 0);
	CHECK_INT(ykt_gpio_request(other, "buzzer", &spec), -ENOENT);
	CHECK_INT(ykt_gpio_line_parse("gpiochip1:8", &spec), 0); /* the chip has 8 lines */
	CHECK_INT(ykt_gpio_request(other, "buzzer", &spec), -EINVAL);
	CHECK_INT(ykt_gpio_line_parse("1:7", &spec), 0); /* by number */
	CHECK_INT(ykt_gpio_request(other, "relay2", &spec), 0);
	CHECK(fake_gpiod_requested("gpiochip1", 7, consumer, sizeof(consumer), &low) &&
		  strcmp(consumer, "ykt-validator") == 0,
	      "the default consumer: '%s'", consumer);
	ykt_gpio_free(other);
	CHECK(!fake_gpiod_requested("gpiochip1", 7, consumer, sizeof(consumer), &low),
	      "released at close");

	ykt_gpio_free(g);
	for (int i = 0; i < FEEDBACK_OUTPUTS; i++) {
		CHECK(logical(i) == 0, "%s inactive after close", wiring[i].spec);
		CHECK(!fake_gpiod_requested(wiring[i].chip, wiring[i].offset, consumer,
					    sizeof(consumer), &low),
		      "%s released", wiring[i].spec);
	}
}

/* What the pattern's steps up to t_ms (inclusive) leave on each output. */
static void expected_at(const struct feedback_pattern *p, unsigned flags, int64_t t_ms,
			int want[FEEDBACK_OUTPUTS])
{
	for (int i = 0; i < FEEDBACK_OUTPUTS; i++)
		want[i] = 0;
	for (int s = 0; s < p->n_steps; s++) {
		const struct feedback_step *st = &p->steps[s];

		if (st->at_ms > t_ms)
			break;
		if (st->output == FEEDBACK_RELAY && !(flags & FEEDBACK_RECORD_DURABLE))
			continue;
		want[st->output] = st->value;
	}
}

/* One pattern through the driver, step by step on the manual player. */
static void check_pattern(struct ykt_feedback *fb, enum feedback_id id, unsigned flags,
			  int64_t start)
{
	const struct feedback_pattern *p = feedback_pattern(id);
	int want[FEEDBACK_OUTPUTS];
	bool relay_seen = false;

	CHECK_INT(ykt_feedback_run_until(fb, start), 0); /* the player's time: start */
	CHECK_INT(ykt_feedback_play(fb, id, flags), 0);
	for (int s = 0; s < p->n_steps; s++) {
		int64_t t = p->steps[s].at_ms;

		CHECK_INT(ykt_feedback_run_until(fb, start + t), 0);
		expected_at(p, flags, t, want);
		for (int i = 0; i < FEEDBACK_OUTPUTS; i++)
			CHECK(logical(i) == want[i], "%s at %lld ms: %s is %d, expected %d",
			      p->name, (long long)t, feedback_output_name(i), logical(i), want[i]);
		relay_seen = relay_seen || logical(FEEDBACK_RELAY) == 1;
	}
	CHECK(relay_seen == ((flags & FEEDBACK_RECORD_DURABLE) && id <= FEEDBACK_PAID_CONCESSION),
	      "%s: the gate %s", p->name, relay_seen ? "opened" : "stayed closed");
	for (int i = 0; i < FEEDBACK_OUTPUTS; i++)
		CHECK(logical(i) == 0, "%s ends with %s inactive", p->name,
		      feedback_output_name(i));
}

static void check_patterns(void)
{
	int lines[FEEDBACK_OUTPUTS];
	struct ykt_gpio *g = open_outputs("gpiod:", lines);
	struct ykt_feedback *fb = NULL;
	int64_t t = 0;

	CHECK_INT(ykt_feedback_new(g, lines, false, &fb), 0);
	for (int id = 0; fb && id < FEEDBACK_ID_COUNT; id++) {
		check_pattern(fb, (enum feedback_id)id, FEEDBACK_RECORD_DURABLE, t);
		t += 10000;
		check_pattern(fb, (enum feedback_id)id, 0, t);
		t += 10000;
	}
	ykt_feedback_free(fb);
	ykt_gpio_free(g);
}

/* The player's thread is stuck in the driver; the caller is not. */
static void check_never_blocks(void)
{
	int lines[FEEDBACK_OUTPUTS];
	struct ykt_gpio *g = open_outputs("gpiod:", lines);
	struct ykt_feedback *fb = NULL;

	CHECK_INT(ykt_feedback_new(g, lines, true, &fb), 0);
	if (!fb)
		return;
	fake_gpiod_hold(true);
	CHECK_INT(ykt_feedback_play(fb, FEEDBACK_PAID, FEEDBACK_RECORD_DURABLE), 0);
	CHECK(fake_gpiod_wait_blocked(1, 10000) == 1, "the player is in the driver");
	/* meanwhile the tap loop goes on: the next tap's pattern is taken */
	CHECK_INT(ykt_feedback_play(fb, FEEDBACK_REFUSED, 0), 0);
	CHECK(logical(FEEDBACK_RED) == 0 && logical(FEEDBACK_GREEN) == 0,
	      "nothing reached the pins while the driver was stuck");
	fake_gpiod_hold(false);
	ykt_feedback_flush(fb);
	for (int i = 0; i < FEEDBACK_OUTPUTS; i++)
		CHECK(logical(i) == 0, "%s inactive once both patterns ran",
		      feedback_output_name(i));
	ykt_feedback_free(fb);
	ykt_gpio_free(g);
}

/* The fake's files show the pins (a process it is linked into can be
 * watched from outside). */
static void check_files(const char *dir)
{
	int lines[FEEDBACK_OUTPUTS];
	struct ykt_gpio *g = open_outputs("gpiod:", lines);
	char path[512], text[16] = "";
	FILE *f;

	CHECK_INT(ykt_gpio_set(g, lines[FEEDBACK_RED], 1), 0);
	snprintf(path, sizeof(path), "%s/gpiochip0/23.value", dir);
	f = fopen(path, "re");
	CHECK(f && fgets(text, sizeof(text), f) && strcmp(text, "0\n") == 0,
	      "%s says '%s' for a lit active-low LED", path, text);
	if (f)
		fclose(f);
	ykt_gpio_free(g);
}

int main(void)
{
	char dir[256];

	check_tmpdir(dir, sizeof(dir));
	setenv("GPIOD_FAKE_DIR", dir, 1);
	setenv("GPIOD_FAKE_CHIPS", "gpiochip0:32,gpiochip1:8", 1);
	CHECK(ykt_gpio_scheme_known("gpiod:"), "this build has gpiod: (%s)", ykt_gpio_schemes());
	check_requests();
	check_patterns();
	check_never_blocks();
	check_files(dir);
	if (!check_failures)
		check_rm_rf(dir);
	return check_result();
}
