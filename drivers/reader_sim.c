/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sim: reader — the simulated card field in process, driven by a tap script.
 *
 *   sim:PATH   PATH is a tap script (docs/tap-scripts.md, drivers/sim/sim_field.h)
 *
 * The field runs in its own thread (it has no file descriptor) and posts
 * events to the loop; APDUs come from the loop thread. Clock steps of the
 * script move the validator's sim: clock, stop steps its sim: stop source;
 * with realtime, each exchange takes as long as the link model says.  Scan
 * steps hand their code to the sim: scanner attached to this reader
 * (ykt_reader_sim_attach_scanner), and the field waits for the validator to
 * be done with it, as it does for a tap: cards and codes are served in the
 * script's order.
 */
#include "reader.h"
#include "reader_sim.h"

#include "clock.h"
#include "link_model.h"
#include "loop.h"
#include "sim.h"
#include "sim_field.h"
#include "stop.h"
#include "ykt_error.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>

struct sim_reader {
	struct sim_field *field;

	pthread_t thread;
	bool thread_started;
	pthread_mutex_t lock; /* the field: the field thread and the loop thread */
	pthread_cond_t cond;
	bool tap_done, stopping;
	struct link_contactless link;
	uint64_t link_ns; /* modeled time of every answered exchange */

	ykt_reader_sim_scan_cb scan_cb; /* the attached sim: scanner, or NULL */
	void *scan_data;
	bool scan_done;
};

static void sim_close(struct ykt_reader *r)
{
	struct sim_reader *s = ykt_reader_priv(r);

	if (s->thread_started) {
		pthread_mutex_lock(&s->lock);
		s->stopping = true;
		pthread_cond_broadcast(&s->cond);
		pthread_mutex_unlock(&s->lock);
		pthread_join(s->thread, NULL);
	}
	sim_field_free(s->field);
	pthread_cond_destroy(&s->cond);
	pthread_mutex_destroy(&s->lock);
}

static int sim_open(struct ykt_reader *r, const char *args)
{
	struct sim_reader *s = ykt_reader_priv(r);
	char err[512] = "";
	int rc;

	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->cond, NULL);
	link_contactless_default(&s->link);
	rc = sim_field_load(args, &s->field, err, sizeof(err));
	if (rc < 0) {
		ykt_reader_set_error(r, "%s", err[0] ? err : ykt_strerror(rc));
		sim_close(r);
	}
	return rc;
}

/* Post an event; a tap tells how many cards are in the field. The UID is
 * the first card's (anticollision picks one). */
static void field_post(struct ykt_reader *r, enum ykt_event_type type, size_t n_cards,
		       const struct sim_card_info *first)
{
	const struct ykt_reader_env *env = ykt_reader_env(r);
	struct ykt_event ev = { .type = type, .source = env->source };

	if (first) {
		ev.n_cards = (int)n_cards;
		ev.uid_len = first->uid_len;
		memcpy(ev.uid, first->uid, first->uid_len);
	}
	while (ykt_loop_post(env->loop, &ev) == -ENOSPC)
		; /* the loop drains; a full queue of 256 cannot persist */
}

/* Present the tap's card(s) and wait until the validator is done. */
static bool field_tap(struct ykt_reader *r, struct sim_reader *s, const struct sim_field_step *step)
{
	struct sim_card_info info;
	bool stopping;

	pthread_mutex_lock(&s->lock);
	sim_card_info(sim_field_tap_card(s->field, 0), &info);
	s->link.type = info.rf_type == 'B' ? LINK_RF_TYPE_B : LINK_RF_TYPE_A;
	s->tap_done = false;
	pthread_mutex_unlock(&s->lock);
	field_post(r, YKT_EV_CARD_PRESENT, step->n_cards, &info);

	pthread_mutex_lock(&s->lock);
	while (!s->tap_done && !s->stopping)
		pthread_cond_wait(&s->cond, &s->lock);
	sim_field_tap_end(s->field);
	stopping = s->stopping;
	pthread_mutex_unlock(&s->lock);
	if (!stopping)
		field_post(r, YKT_EV_CARD_REMOVED, 0, NULL);
	return !stopping;
}

/* Nothing more happens in the field until the reader is closed: no end
 * is reported, so the validator keeps running. */
static bool field_idle(struct sim_reader *s)
{
	pthread_mutex_lock(&s->lock);
	while (!s->stopping)
		pthread_cond_wait(&s->cond, &s->lock);
	pthread_mutex_unlock(&s->lock);
	return false;
}

/* Show the code to the scanner and wait until the validator is done. */
static bool field_scan(struct sim_reader *s, const struct sim_field_step *step)
{
	bool stopping;

	pthread_mutex_lock(&s->lock);
	s->scan_done = false;
	pthread_mutex_unlock(&s->lock);
	s->scan_cb(step->code, step->code_len, s->scan_data);

	pthread_mutex_lock(&s->lock);
	while (!s->scan_done && !s->stopping)
		pthread_cond_wait(&s->cond, &s->lock);
	stopping = s->stopping;
	pthread_mutex_unlock(&s->lock);
	return !stopping;
}

static void *field_thread(void *userdata)
{
	struct ykt_reader *r = userdata;
	struct sim_reader *s = ykt_reader_priv(r);
	struct ykt_clock *clock = ykt_reader_env(r)->clock;
	struct sim_field_step step = { 0 };
	bool running = true;

	while (running && step.kind != SIM_FIELD_END) {
		pthread_mutex_lock(&s->lock);
		sim_field_next(s->field, &step);
		pthread_mutex_unlock(&s->lock);
		if (step.kind == SIM_FIELD_TAP)
			running = field_tap(r, s, &step);
		else if (step.kind == SIM_FIELD_IDLE)
			running = field_idle(s);
		else if (step.kind == SIM_FIELD_SCAN)
			running = field_scan(s, &step);
		else if (step.kind == SIM_FIELD_CLOCK_ADVANCE)
			ykt_clock_advance(clock, step.ms);
		else if (step.kind == SIM_FIELD_CLOCK_SET)
			ykt_clock_set(clock, step.ms);
		else if (step.kind == SIM_FIELD_STOP)
			ykt_stop_sim_set(ykt_reader_env(r)->stop, step.stop_code);
	}
	if (running)
		field_post(r, YKT_EV_FIELD_END, 0, NULL);
	return NULL;
}

static int sim_start(struct ykt_reader *r)
{
	struct sim_reader *s = ykt_reader_priv(r);
	struct ykt_clock *clock = ykt_reader_env(r)->clock;

	if (sim_field_moves_time(s->field) && ykt_clock_advance(clock, 0) < 0)
		return -EOPNOTSUPP; /* a script that moves time needs clock = sim: */
	if (sim_field_scans(s->field) && !s->scan_cb)
		return -EOPNOTSUPP; /* a script that scans codes needs scanner = sim: */
	if (sim_field_moves_stop(s->field) && !ykt_stop_is_sim(ykt_reader_env(r)->stop))
		return -EOPNOTSUPP; /* a script with stop steps needs stops = sim: */
	if (pthread_create(&s->thread, NULL, field_thread, r))
		return -EAGAIN;
	s->thread_started = true;
	return 0;
}

/* The link model's time for an answered exchange; with realtime, the field
 * takes that long from start_ns, the simulated card's own computing
 * included (the model's processing time stands for it). Exchanges that end
 * in a fault are not modeled. */
static void field_link_time(struct ykt_reader *r, struct sim_reader *s, const uint8_t *capdu,
			    size_t capdu_len, size_t rapdu_len, int64_t start_ns)
{
	struct link_timing t;
	int64_t left;

	if (link_contactless_exchange(&s->link, capdu, capdu_len, rapdu_len, &t) < 0)
		return;
	s->link_ns += t.total_ns;
	left = (int64_t)t.total_ns - (ykt_monotonic_ns() - start_ns);
	if (ykt_reader_env(r)->realtime && left > 0)
		ykt_sleep_ns((uint64_t)left);
}

static uint64_t sim_link_ns(struct ykt_reader *r)
{
	struct sim_reader *s = ykt_reader_priv(r);
	uint64_t ns;

	pthread_mutex_lock(&s->lock);
	ns = s->link_ns;
	pthread_mutex_unlock(&s->lock);
	return ns;
}

static int sim_transceive(struct ykt_reader *r, const uint8_t *capdu, size_t capdu_len,
			  uint8_t *rapdu, size_t rapdu_cap, size_t *ret_rapdu_len)
{
	struct sim_reader *s = ykt_reader_priv(r);
	int64_t start_ns = ykt_monotonic_ns();
	int rc;

	pthread_mutex_lock(&s->lock);
	rc = sim_field_transceive(s->field, 0, capdu, capdu_len, rapdu, rapdu_cap, ret_rapdu_len);
	if (rc == 0)
		field_link_time(r, s, capdu, capdu_len, *ret_rapdu_len, start_ns);
	pthread_mutex_unlock(&s->lock);
	return rc;
}

static int sim_done(struct ykt_reader *r)
{
	struct sim_reader *s = ykt_reader_priv(r);

	pthread_mutex_lock(&s->lock);
	s->tap_done = true;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
	return 0;
}

const struct ykt_reader_ops ykt_reader_sim_ops = {
	.scheme = "sim",
	.priv_size = sizeof(struct sim_reader),
	.open = sim_open,
	.close = sim_close,
	.start = sim_start,
	.transceive = sim_transceive,
	.done = sim_done,
	.link_ns = sim_link_ns,
};

struct sim_card *ykt_reader_sim_card(struct ykt_reader *r, size_t index)
{
	struct sim_reader *s;

	if (ykt_reader_ops_of(r) != &ykt_reader_sim_ops)
		return NULL;
	s = ykt_reader_priv(r);
	return sim_field_card(s->field, index);
}

int ykt_reader_sim_tap_exchanges(struct ykt_reader *r)
{
	struct sim_reader *s;
	int n;

	if (ykt_reader_ops_of(r) != &ykt_reader_sim_ops)
		return -EINVAL;
	s = ykt_reader_priv(r);
	pthread_mutex_lock(&s->lock);
	n = sim_field_tap_exchanges(s->field);
	pthread_mutex_unlock(&s->lock);
	return n;
}

int ykt_reader_sim_write_ledger(struct ykt_reader *r, const char *path)
{
	struct sim_reader *s;
	int rc;

	if (ykt_reader_ops_of(r) != &ykt_reader_sim_ops)
		return -EINVAL;
	s = ykt_reader_priv(r);
	pthread_mutex_lock(&s->lock);
	rc = sim_field_write_ledger(s->field, path);
	pthread_mutex_unlock(&s->lock);
	return rc;
}

int ykt_reader_sim_attach_scanner(struct ykt_reader *r, ykt_reader_sim_scan_cb cb, void *userdata)
{
	struct sim_reader *s;

	if (ykt_reader_ops_of(r) != &ykt_reader_sim_ops)
		return -EINVAL;
	s = ykt_reader_priv(r);
	pthread_mutex_lock(&s->lock);
	s->scan_cb = cb;
	s->scan_data = userdata;
	pthread_mutex_unlock(&s->lock);
	return 0;
}

int ykt_reader_sim_scan_done(struct ykt_reader *r)
{
	struct sim_reader *s;

	if (ykt_reader_ops_of(r) != &ykt_reader_sim_ops)
		return -EINVAL;
	s = ykt_reader_priv(r);
	pthread_mutex_lock(&s->lock);
	s->scan_done = true;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
	return 0;
}
