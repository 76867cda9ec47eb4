/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What a passenger hears and the lights they see, per tap outcome: buzzer,
 * green LED, red LED, gate relay. The patterns are one table
 * (feedback.c); a player runs them on the output lines (drivers/gpio.h) on
 * its own thread, so the tap only posts a pattern and returns.
 *
 * A new pattern takes over the outputs it uses at once (a refusal right
 * after a payment turns green off and red on) and leaves the others to
 * finish (a gate already opening stays open for its pulse).
 *
 * The gate relay is only pulsed for a tap whose record is durable: the
 * caller says so with FEEDBACK_RECORD_DURABLE, which the terminal gives
 * after the purchase record is complete.
 */
#ifndef YKT_FEEDBACK_H
#define YKT_FEEDBACK_H

#include "outcome.h"

#include <stdbool.h>
#include <stdint.h>

struct ykt_gpio;
struct ykt_feedback;

enum feedback_output {
	FEEDBACK_BUZZER,
	FEEDBACK_GREEN,
	FEEDBACK_RED,
	FEEDBACK_RELAY,
	FEEDBACK_OUTPUTS
};

enum feedback_id {
	FEEDBACK_PAID,		  /* one short beep, green, gate pulse */
	FEEDBACK_PAID_CONCESSION, /* two short beeps: the driver hears a concession card */
	FEEDBACK_REFUSED,	  /* three short beeps, red */
	FEEDBACK_TAP_AGAIN,	  /* two beeps, red blinking: tap again */
	FEEDBACK_NOTICE,	  /* one long beep, red: already tapped, not charged again */
	FEEDBACK_OUT_OF_SERVICE,  /* a long low beep, red held */
	FEEDBACK_ID_COUNT
};

struct feedback_step {
	uint16_t at_ms; /* from the start of the pattern */
	uint8_t output; /* enum feedback_output */
	uint8_t value;	/* 1 active */
};

#define FEEDBACK_MAX_STEPS 16

struct feedback_pattern {
	const char *name;
	uint8_t n_steps;
	struct feedback_step steps[FEEDBACK_MAX_STEPS]; /* in time order */
};

#define FEEDBACK_RECORD_DURABLE 0x1u /* the tap's record is durable: the gate may open */
/* play only the gate relay's steps of the pattern (with RECORD_DURABLE):
 * the sound and lights went out when the card answered, the gate follows
 * once the record is complete */
#define FEEDBACK_GATE_ONLY	0x2u

const struct feedback_pattern *feedback_pattern(enum feedback_id id);
/* The pattern for a tap's outcome; concession: the card rides at a discount. */
enum feedback_id feedback_for_outcome(enum tap_outcome outcome, bool concession);
const char *feedback_output_name(enum feedback_output output);

/* A player on gpio; lines[i] is the gpio line number of output i, or -1
 * when that output is not fitted. threaded: run patterns on the player's
 * own thread in real (monotonic) time; otherwise time moves only with
 * ykt_feedback_run_until() (tests). gpio must outlive the player. Caller
 * frees with ykt_feedback_free(). */
int ykt_feedback_new(struct ykt_gpio *gpio, const int lines[FEEDBACK_OUTPUTS], bool threaded,
		     struct ykt_feedback **ret_feedback);
/* Stops the player and leaves every output inactive. Accepts NULL. */
void ykt_feedback_free(struct ykt_feedback *fb);

/* Start a pattern now. Never blocks on the outputs: the steps run on the
 * player's thread (or at the next ykt_feedback_run_until()). */
int ykt_feedback_play(struct ykt_feedback *fb, enum feedback_id id, unsigned flags);

/* Manual players: apply every step due at or before now_ms and make now_ms
 * the player's time. -EINVAL on a threaded player. */
int ykt_feedback_run_until(struct ykt_feedback *fb, int64_t now_ms);
/* When the next step is due (player time, ms); -1 when none is pending. */
int64_t ykt_feedback_next_ms(struct ykt_feedback *fb);
/* Threaded players: wait until every pending step has been applied. */
void ykt_feedback_flush(struct ykt_feedback *fb);

#endif
