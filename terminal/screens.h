/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the validator shows and sounds: fills the screen models from the
 * configuration, the tap's result and the validator's state, and hands
 * them to the render thread (ui/ui.h) and the feedback player
 * (ui/feedback.h) on the outputs of [hardware] gpio.
 *
 * Everything here returns at once: screens and patterns are posted, never
 * drawn or played on the reader loop's thread.
 */
#ifndef YKT_SCREENS_H
#define YKT_SCREENS_H

#include "feedback.h"
#include "screen.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tap_result;
struct ykt_clock;
struct ykt_config;
struct ykt_gpio;
struct ykt_screens;
struct ykt_tap_env;
struct ykt_ui;

/* Open the display and the outputs the config names ([hardware] display,
 * gpio; [outputs]; [display]). On failure a one-line reason. Caller frees
 * with ykt_screens_free(). */
int ykt_screens_new(const struct ykt_config *cfg, struct ykt_clock *clock,
		    struct ykt_screens **ret_screens, char *errbuf, size_t errbuf_len);
/* Outputs end inactive. Accepts NULL. */
void ykt_screens_free(struct ykt_screens *s);

/* A tap's outcome: its screen and its sound and light. Called once the
 * record is complete (or was never written), so a paid tap may open the
 * gate. start_ns: ykt_monotonic_ns() when the card was seen, for the
 * tap-to-feedback time. */
void ykt_screens_tap(struct ykt_screens *s, const struct tap_result *res, int64_t start_ns);

/* Idle or out of service, by ykt_tap_ready(); with_counts also reads the
 * upload backlog from the store (a COUNT query: not after every tap).
 * Does nothing when no display is configured. */
void ykt_screens_refresh(struct ykt_screens *s, const struct ykt_tap_env *env, bool with_counts);

/* What the last tap posted, for tests: the screen (when a display is
 * configured), the pattern and its flags (FEEDBACK_RECORD_DURABLE). */
struct ykt_screens_posted {
	bool has_screen;
	struct ui_screen screen;
	enum feedback_id feedback;
	unsigned flags;
	int64_t gate_record_no; /* the record whose completion opened the gate, or -1 */
};
/* A paid tap's record is complete: pulse the gate (the sound and lights
 * went out with ykt_screens_tap()). */
void ykt_screens_gate(struct ykt_screens *s, const struct tap_result *res);
void ykt_screens_last_posted(const struct ykt_screens *s, struct ykt_screens_posted *ret);

/* Card seen to screen and pattern posted, of the last tap, ns. */
int64_t ykt_screens_last_feedback_ns(const struct ykt_screens *s);
/* for tests and benches: owned by s */
struct ykt_ui *ykt_screens_ui(struct ykt_screens *s);
struct ykt_gpio *ykt_screens_gpio(struct ykt_screens *s);

#endif
