/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "feedback.h"

#include "clock.h"
#include "gpio.h"
#include "log.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define B    FEEDBACK_BUZZER
#define G    FEEDBACK_GREEN
#define R    FEEDBACK_RED
#define GATE FEEDBACK_RELAY

/* Every pattern sets the buzzer and both LEDs at 0 ms, so it takes them
 * over from whatever played before; only paid patterns touch the gate. */
#define STEPS(...)                                                                                 \
	(uint8_t)(sizeof((struct feedback_step[]){ __VA_ARGS__ }) / sizeof(struct feedback_step)), \
	{                                                                                          \
		__VA_ARGS__                                                                        \
	}

static const struct feedback_pattern patterns[FEEDBACK_ID_COUNT] = {
	[FEEDBACK_PAID] = { "paid", STEPS({ 0, R, 0 }, { 0, G, 1 }, { 0, B, 1 }, { 0, GATE, 1 },
					  { 120, B, 0 }, { 600, GATE, 0 }, { 1500, G, 0 }) },
	[FEEDBACK_PAID_CONCESSION] = { "paid-concession",
				       STEPS({ 0, R, 0 }, { 0, G, 1 }, { 0, B, 1 }, { 0, GATE, 1 },
					     { 80, B, 0 }, { 160, B, 1 }, { 240, B, 0 },
					     { 600, GATE, 0 }, { 1500, G, 0 }) },
	[FEEDBACK_REFUSED] = { "refused", STEPS({ 0, G, 0 }, { 0, R, 1 }, { 0, B, 1 },
						{ 100, B, 0 }, { 150, B, 1 }, { 250, B, 0 },
						{ 300, B, 1 }, { 400, B, 0 }, { 2000, R, 0 }) },
	[FEEDBACK_TAP_AGAIN] = { "tap-again",
				 STEPS({ 0, G, 0 }, { 0, R, 1 }, { 0, B, 1 }, { 100, B, 0 },
				       { 200, B, 1 }, { 250, R, 0 }, { 300, B, 0 }, { 500, R, 1 },
				       { 750, R, 0 }, { 1000, R, 1 }, { 1250, R, 0 }) },
	[FEEDBACK_NOTICE] = { "notice", STEPS({ 0, G, 0 }, { 0, R, 1 }, { 0, B, 1 }, { 300, B, 0 },
					      { 1500, R, 0 }) },
	[FEEDBACK_OUT_OF_SERVICE] = { "out-of-service", STEPS({ 0, G, 0 }, { 0, R, 1 }, { 0, B, 1 },
							      { 800, B, 0 }, { 3000, R, 0 }) },
};
#undef STEPS

/* One row per outcome: which pattern it plays. */
static const uint8_t outcome_feedback[TAP_OUTCOME_COUNT] = {
	[TAP_PAID] = FEEDBACK_PAID,
	[TAP_INSUFFICIENT] = FEEDBACK_REFUSED,
	[TAP_EXPIRED] = FEEDBACK_REFUSED,
	[TAP_NOT_YET_VALID] = FEEDBACK_REFUSED,
	[TAP_BLOCKED] = FEEDBACK_REFUSED,
	[TAP_NOT_ENABLED] = FEEDBACK_REFUSED,
	[TAP_NOT_TUNION] = FEEDBACK_REFUSED,
	[TAP_NON_INTERCONNECT] = FEEDBACK_REFUSED,
	[TAP_CARD_REMOVED] = FEEDBACK_TAP_AGAIN,
	[TAP_GREY] = FEEDBACK_TAP_AGAIN,
	[TAP_CARD_ERROR] = FEEDBACK_TAP_AGAIN,
	[TAP_OUT_OF_SERVICE] = FEEDBACK_OUT_OF_SERVICE,
	[TAP_MULTI_CARD] = FEEDBACK_TAP_AGAIN,
	[TAP_GREY_PENDING] = FEEDBACK_NOTICE,
	[TAP_BLACKLISTED] = FEEDBACK_REFUSED,
	[TAP_ALREADY_TAPPED] = FEEDBACK_NOTICE,
	[TAP_NO_ENTRY] = FEEDBACK_REFUSED,
	[TAP_NO_EXIT] = FEEDBACK_REFUSED,
	[TAP_WRONG_STATION] = FEEDBACK_REFUSED,
	[TAP_CARD_TYPE_REFUSED] = FEEDBACK_REFUSED,
	[TAP_QR_INVALID] = FEEDBACK_REFUSED,
	[TAP_QR_UNKNOWN_ROOT] = FEEDBACK_REFUSED,
	[TAP_QR_ROOT_EXPIRED] = FEEDBACK_REFUSED,
	[TAP_QR_BAD_CERT] = FEEDBACK_REFUSED,
	[TAP_QR_CERT_EXPIRED] = FEEDBACK_REFUSED,
	[TAP_QR_BAD_ACCOUNT] = FEEDBACK_REFUSED,
	[TAP_QR_AUTH_EXPIRED] = FEEDBACK_REFUSED,
	[TAP_QR_BAD_SIGNATURE] = FEEDBACK_REFUSED,
	[TAP_QR_EXPIRED] = FEEDBACK_REFUSED,
	[TAP_QR_FUTURE] = FEEDBACK_REFUSED,
	[TAP_QR_ACCOUNT_REFUSED] = FEEDBACK_REFUSED,
	[TAP_QR_OVER_LIMIT] = FEEDBACK_REFUSED,
	[TAP_QR_REPLAYED] = FEEDBACK_NOTICE,
	[TAP_QR_REPEAT_ACCOUNT] = FEEDBACK_NOTICE,
	[TAP_QR_NOT_SERVED] = FEEDBACK_REFUSED,
	/* never played: the validator shows nothing for a scanner's bounce */
	[TAP_QR_BOUNCE] = FEEDBACK_NOTICE,
};
_Static_assert(TAP_QR_BOUNCE == TAP_OUTCOME_COUNT - 1, "every outcome has its pattern");

#undef B
#undef G
#undef R
#undef GATE

const struct feedback_pattern *feedback_pattern(enum feedback_id id)
{
	return &patterns[(unsigned)id < FEEDBACK_ID_COUNT ? id : FEEDBACK_REFUSED];
}

enum feedback_id feedback_for_outcome(enum tap_outcome outcome, bool concession)
{
	if ((unsigned)outcome >= TAP_OUTCOME_COUNT)
		return FEEDBACK_REFUSED;
	if (outcome == TAP_PAID && concession)
		return FEEDBACK_PAID_CONCESSION;
	return (enum feedback_id)outcome_feedback[outcome];
}

const char *feedback_output_name(enum feedback_output output)
{
	static const char *const names[] = { "buzzer", "green_led", "red_led", "gate_relay" };

	return (unsigned)output < FEEDBACK_OUTPUTS ? names[output] : "?";
}

/* ---- the player ---- */

#define PENDING_MAX (FEEDBACK_OUTPUTS * FEEDBACK_MAX_STEPS)

struct pending {
	int64_t at_ms;
	uint8_t output, value;
};

struct ykt_feedback {
	struct ykt_gpio *gpio;
	int lines[FEEDBACK_OUTPUTS];
	bool threaded;

	pthread_mutex_t lock;
	pthread_cond_t wake; /* a pattern was posted, or stop */
	pthread_cond_t idle; /* nothing pending: flush() returns */
	pthread_t thread;
	bool stop, applying;
	int64_t now_ms; /* manual players: the time run_until() gave */
	/* in time order; steps of one time keep the pattern's order */
	struct pending pending[PENDING_MAX];
	int n_pending;
};

static int64_t monotonic_ms(void)
{
	return ykt_monotonic_ns() / 1000000;
}

static int64_t player_now(const struct ykt_feedback *fb)
{
	return fb->threaded ? monotonic_ms() : fb->now_ms;
}

/* drop what is pending for outputs the new pattern drives */
static void pending_drop(struct ykt_feedback *fb, const bool used[FEEDBACK_OUTPUTS])
{
	int kept = 0;

	for (int i = 0; i < fb->n_pending; i++)
		if (!used[fb->pending[i].output])
			fb->pending[kept++] = fb->pending[i];
	fb->n_pending = kept;
}

/* insert after every step due at or before at (stable) */
static void pending_insert(struct ykt_feedback *fb, int64_t at, uint8_t output, uint8_t value)
{
	int i = fb->n_pending;

	if (fb->n_pending == PENDING_MAX)
		return; /* cannot happen: one pattern per output at a time */
	while (i > 0 && fb->pending[i - 1].at_ms > at) {
		fb->pending[i] = fb->pending[i - 1];
		i--;
	}
	fb->pending[i] = (struct pending){ at, output, value };
	fb->n_pending++;
}

static bool step_allowed(const struct ykt_feedback *fb, const struct feedback_step *s,
			 unsigned flags)
{
	if (s->output >= FEEDBACK_OUTPUTS || fb->lines[s->output] < 0)
		return false;
	if (flags & FEEDBACK_GATE_ONLY)
		return s->output == FEEDBACK_RELAY && (flags & FEEDBACK_RECORD_DURABLE);
	return s->output != FEEDBACK_RELAY || (flags & FEEDBACK_RECORD_DURABLE);
}

static void schedule(struct ykt_feedback *fb, const struct feedback_pattern *p, unsigned flags,
		     int64_t now)
{
	bool used[FEEDBACK_OUTPUTS] = { false };

	for (int i = 0; i < p->n_steps; i++)
		if (step_allowed(fb, &p->steps[i], flags))
			used[p->steps[i].output] = true;
	pending_drop(fb, used);
	for (int i = 0; i < p->n_steps; i++)
		if (step_allowed(fb, &p->steps[i], flags))
			pending_insert(fb, now + p->steps[i].at_ms, p->steps[i].output,
				       p->steps[i].value);
}

int ykt_feedback_play(struct ykt_feedback *fb, enum feedback_id id, unsigned flags)
{
	if ((unsigned)id >= FEEDBACK_ID_COUNT)
		return -EINVAL;
	pthread_mutex_lock(&fb->lock);
	schedule(fb, &patterns[id], flags, player_now(fb));
	pthread_cond_signal(&fb->wake);
	pthread_mutex_unlock(&fb->lock);
	return 0;
}

/* Take the steps due by now off the list (lock held). */
static int take_due(struct ykt_feedback *fb, int64_t now, struct pending *out)
{
	int n = 0;

	while (n < fb->n_pending && fb->pending[n].at_ms <= now) {
		out[n] = fb->pending[n];
		n++;
	}
	memmove(fb->pending, fb->pending + n, (size_t)(fb->n_pending - n) * sizeof(*out));
	fb->n_pending -= n;
	return n;
}

static void apply(struct ykt_feedback *fb, const struct pending *steps, int n)
{
	for (int i = 0; i < n; i++) {
		int r = ykt_gpio_set(fb->gpio, fb->lines[steps[i].output], steps[i].value);

		if (r < 0)
			log_warn("feedback", "%s: %d", feedback_output_name(steps[i].output), r);
	}
}

int ykt_feedback_run_until(struct ykt_feedback *fb, int64_t now_ms)
{
	struct pending due[PENDING_MAX];
	int n;

	if (fb->threaded)
		return -EINVAL;
	pthread_mutex_lock(&fb->lock);
	fb->now_ms = now_ms;
	n = take_due(fb, now_ms, due);
	pthread_mutex_unlock(&fb->lock);
	apply(fb, due, n);
	return 0;
}

int64_t ykt_feedback_next_ms(struct ykt_feedback *fb)
{
	int64_t next;

	pthread_mutex_lock(&fb->lock);
	next = fb->n_pending ? fb->pending[0].at_ms : -1;
	pthread_mutex_unlock(&fb->lock);
	return next;
}

static void wait_until(struct ykt_feedback *fb, int64_t at_ms)
{
	struct timespec ts = { at_ms / 1000, (at_ms % 1000) * 1000000 };

	pthread_cond_timedwait(&fb->wake, &fb->lock, &ts);
}

static void *player_thread(void *arg)
{
	struct ykt_feedback *fb = arg;
	struct pending due[PENDING_MAX];

	pthread_mutex_lock(&fb->lock);
	while (!fb->stop) {
		int n = take_due(fb, monotonic_ms(), due);

		if (n) {
			fb->applying = true;
			pthread_mutex_unlock(&fb->lock);
			apply(fb, due, n);
			pthread_mutex_lock(&fb->lock);
			fb->applying = false;
			continue;
		}
		pthread_cond_broadcast(&fb->idle);
		if (fb->n_pending)
			wait_until(fb, fb->pending[0].at_ms);
		else
			pthread_cond_wait(&fb->wake, &fb->lock);
	}
	pthread_mutex_unlock(&fb->lock);
	return NULL;
}

static int player_start(struct ykt_feedback *fb)
{
	pthread_condattr_t attr;
	int r;

	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC); /* ykt_monotonic_ns() */
	pthread_cond_init(&fb->wake, &attr);
	pthread_condattr_destroy(&attr);
	pthread_cond_init(&fb->idle, NULL);
	if (!fb->threaded)
		return 0;
	r = pthread_create(&fb->thread, NULL, player_thread, fb);
	if (r) {
		pthread_cond_destroy(&fb->wake);
		pthread_cond_destroy(&fb->idle);
		return -r;
	}
	return 0;
}

int ykt_feedback_new(struct ykt_gpio *gpio, const int lines[FEEDBACK_OUTPUTS], bool threaded,
		     struct ykt_feedback **ret_feedback)
{
	struct ykt_feedback *fb = calloc(1, sizeof(*fb));
	int r;

	if (!fb)
		return -ENOMEM;
	fb->gpio = gpio;
	memcpy(fb->lines, lines, sizeof(fb->lines));
	fb->threaded = threaded;
	pthread_mutex_init(&fb->lock, NULL);
	r = player_start(fb);
	if (r < 0) {
		pthread_mutex_destroy(&fb->lock);
		free(fb);
		return r;
	}
	*ret_feedback = fb;
	return 0;
}

void ykt_feedback_flush(struct ykt_feedback *fb)
{
	if (!fb->threaded)
		return;
	pthread_mutex_lock(&fb->lock);
	while (fb->n_pending || fb->applying)
		pthread_cond_wait(&fb->idle, &fb->lock);
	pthread_mutex_unlock(&fb->lock);
}

void ykt_feedback_free(struct ykt_feedback *fb)
{
	if (!fb)
		return;
	if (fb->threaded) {
		pthread_mutex_lock(&fb->lock);
		fb->stop = true;
		pthread_cond_signal(&fb->wake);
		pthread_mutex_unlock(&fb->lock);
		pthread_join(fb->thread, NULL);
	}
	/* whatever was playing, leave the buzzer silent, the lights off and
	 * the gate closed */
	for (int i = 0; i < FEEDBACK_OUTPUTS; i++)
		if (fb->lines[i] >= 0 && ykt_gpio_get(fb->gpio, fb->lines[i]) > 0)
			ykt_gpio_set(fb->gpio, fb->lines[i], 0);
	pthread_cond_destroy(&fb->wake);
	pthread_cond_destroy(&fb->idle);
	pthread_mutex_destroy(&fb->lock);
	free(fb);
}
