/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sim: reader — the simulated card field, driven by a tap script.
 *
 *   sim:PATH   PATH is a tap script (see docs/simulator.md):
 *     clock 2026-11-21T07:30:00     set the sim: clock (China Standard Time)
 *     wait 45s                      move the sim: clock on (ms, s, m, h)
 *     tap cards/adult.card          present that card until the tap is done
 *     tap cards/adult.card leave=before:54   card leaves before DEBIT (INS 54)
 *     tap cards/adult.card leave=after:54    card applies DEBIT, answer lost
 *     tap cards/adult.card leave=apdu:3      card leaves after 3 exchanges
 *     tap cards/adult.card expect=paid       expect= is read by scenario tests
 *
 * A card file named twice is the same card: its balance and ATC carry over.
 * The field runs in its own thread (it has no file descriptor) and posts
 * events to the loop; APDUs come from the loop thread.
 */
#include "reader.h"
#include "reader_sim.h"

#include "bytes.h"
#include "clock.h"
#include "loop.h"
#include "sim.h"
#include "ykt_error.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SIM_MAX_STEPS 4096
#define SIM_MAX_CARDS 64

enum sim_step_kind { STEP_TAP, STEP_WAIT, STEP_CLOCK };
enum sim_leave_kind { LEAVE_NEVER, LEAVE_BEFORE_INS, LEAVE_AFTER_INS, LEAVE_AFTER_N };

struct sim_step {
	enum sim_step_kind kind;
	int card; /* index into cards[] */
	enum sim_leave_kind leave;
	int leave_arg; /* INS or APDU count */
	int64_t ms;    /* wait: delta, clock: absolute */
};

struct sim_field {
	struct sim_card *cards[SIM_MAX_CARDS];
	char *card_paths[SIM_MAX_CARDS];
	size_t n_cards;
	struct sim_step *steps;
	size_t n_steps;

	pthread_t thread;
	bool thread_started;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool tap_done, stopping;
	/* the card in the field (-1 none) and its fault plan; loop thread reads */
	int present;
	const struct sim_step *tap;
	int exchanges;
	bool gone;
};

static int field_card_index(struct ykt_reader *r, struct sim_field *f, const char *path)
{
	char err[256] = "";
	int rc;

	for (size_t i = 0; i < f->n_cards; i++)
		if (strcmp(f->card_paths[i], path) == 0)
			return (int)i;
	if (f->n_cards == SIM_MAX_CARDS) {
		ykt_reader_set_error(r, "tap script: more than %d different cards", SIM_MAX_CARDS);
		return -E2BIG;
	}
	rc = sim_card_load(path, &f->cards[f->n_cards], err, sizeof(err));
	if (rc < 0) {
		ykt_reader_set_error(r, "%s", err[0] ? err : ykt_strerror(rc));
		return rc;
	}
	f->card_paths[f->n_cards] = strdup(path);
	if (!f->card_paths[f->n_cards])
		return -ENOMEM;
	return (int)f->n_cards++;
}

static int parse_duration_ms(const char *text, int64_t *ret_ms)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(text, &end, 10);
	if (errno || end == text || v < 0 || v > INT_MAX)
		return -EINVAL;
	if (strcmp(end, "ms") == 0)
		*ret_ms = v;
	else if (strcmp(end, "s") == 0)
		*ret_ms = v * 1000;
	else if (strcmp(end, "m") == 0)
		*ret_ms = v * 60000;
	else if (strcmp(end, "h") == 0)
		*ret_ms = v * 3600000;
	else
		return -EINVAL;
	return 0;
}

static int parse_leave(const char *text, struct sim_step *step)
{
	unsigned v;
	int n = 0;

	if (sscanf(text, "leave=before:%2x%n", &v, &n) == 1 && text[n] == '\0')
		step->leave = LEAVE_BEFORE_INS;
	else if (sscanf(text, "leave=after:%2x%n", &v, &n) == 1 && text[n] == '\0')
		step->leave = LEAVE_AFTER_INS;
	else if (sscanf(text, "leave=apdu:%u%n", &v, &n) == 1 && text[n] == '\0' && v < 1000)
		step->leave = LEAVE_AFTER_N;
	else
		return -EINVAL;
	step->leave_arg = (int)v;
	return 0;
}

/* Resolve a path in the script relative to the script's directory. */
static void script_path(const char *script, const char *name, char *out, size_t out_len)
{
	const char *slash = strrchr(script, '/');

	if (name[0] == '/' || !slash)
		snprintf(out, out_len, "%s", name);
	else
		snprintf(out, out_len, "%.*s/%s", (int)(slash - script), script, name);
}

static int parse_tap(struct ykt_reader *r, struct sim_field *f, const char *script, char *args,
		     struct sim_step *step)
{
	char *save = NULL, *name = strtok_r(args, " \t", &save), *opt;
	char path[PATH_MAX];
	int idx;

	if (!name)
		return -EINVAL;
	script_path(script, name, path, sizeof(path));
	idx = field_card_index(r, f, path);
	if (idx < 0)
		return idx;
	step->kind = STEP_TAP;
	step->card = idx;
	while ((opt = strtok_r(NULL, " \t", &save))) {
		if (strncmp(opt, "expect=", 7) == 0)
			continue; /* for the scenario tests that read the script */
		if (parse_leave(opt, step) < 0)
			return -EINVAL;
	}
	return 0;
}

static int parse_line(struct ykt_reader *r, struct sim_field *f, const char *script, char *line,
		      struct sim_step *step)
{
	char *args;
	int64_t s;

	line[strcspn(line, "#\r\n")] = '\0';
	while (*line == ' ' || *line == '\t')
		line++;
	if (!*line)
		return 0;
	args = line + strcspn(line, " \t");
	if (*args)
		*args++ = '\0';
	while (*args == ' ' || *args == '\t')
		args++;
	if (strcmp(line, "tap") != 0)
		args[strcspn(args, " \t")] = '\0'; /* one argument only */
	if (strcmp(line, "tap") == 0)
		return parse_tap(r, f, script, args, step) < 0 ? -EINVAL : 1;
	if (strcmp(line, "wait") == 0) {
		step->kind = STEP_WAIT;
		return parse_duration_ms(args, &step->ms) < 0 ? -EINVAL : 1;
	}
	if (strcmp(line, "clock") == 0 && ykt_parse_cst_iso(args, &s) == 0) {
		step->kind = STEP_CLOCK;
		step->ms = s * 1000;
		return 1;
	}
	return -EINVAL;
}

static int field_load(struct ykt_reader *r, struct sim_field *f, const char *script)
{
	char line[512];
	int lineno = 0, rc = 0;
	FILE *fp = fopen(script, "re");

	if (!fp) {
		ykt_reader_set_error(r, "tap script %s: %s", script, strerror(errno));
		return -errno;
	}
	f->steps = calloc(SIM_MAX_STEPS, sizeof(*f->steps));
	while (f->steps && rc >= 0 && fgets(line, sizeof(line), fp)) {
		char copy[sizeof(line)];

		lineno++;
		memcpy(copy, line, sizeof(line));
		if (f->n_steps == SIM_MAX_STEPS)
			rc = -E2BIG;
		else
			rc = parse_line(r, f, script, line, &f->steps[f->n_steps]);
		if (rc == -EINVAL) {
			copy[strcspn(copy, "\r\n")] = '\0';
			ykt_reader_set_error(r, "%s:%d: cannot understand '%s'", script, lineno,
					     copy);
		}
		if (rc > 0)
			f->n_steps++;
	}
	fclose(fp);
	return !f->steps ? -ENOMEM : rc < 0 ? rc : 0;
}

static void sim_close(struct ykt_reader *r)
{
	struct sim_field *f = ykt_reader_priv(r);

	if (f->thread_started) {
		pthread_mutex_lock(&f->lock);
		f->stopping = true;
		pthread_cond_broadcast(&f->cond);
		pthread_mutex_unlock(&f->lock);
		pthread_join(f->thread, NULL);
	}
	for (size_t i = 0; i < f->n_cards; i++) {
		sim_card_free(f->cards[i]);
		free(f->card_paths[i]);
	}
	free(f->steps);
	pthread_cond_destroy(&f->cond);
	pthread_mutex_destroy(&f->lock);
}

static int sim_open(struct ykt_reader *r, const char *args)
{
	struct sim_field *f = ykt_reader_priv(r);
	int rc;

	pthread_mutex_init(&f->lock, NULL);
	pthread_cond_init(&f->cond, NULL);
	f->present = -1;
	rc = field_load(r, f, args);
	if (rc < 0)
		sim_close(r);
	return rc;
}

static void field_post(struct ykt_reader *r, enum ykt_event_type type, int card)
{
	const struct ykt_reader_env *env = ykt_reader_env(r);
	struct sim_field *f = ykt_reader_priv(r);
	struct ykt_event ev = { .type = type, .source = env->source };
	struct sim_card_info info;

	if (card >= 0) {
		sim_card_info(f->cards[card], &info);
		ev.n_cards = 1;
		ev.uid_len = info.uid_len;
		memcpy(ev.uid, info.uid, info.uid_len);
	}
	while (ykt_loop_post(env->loop, &ev) == -ENOSPC)
		; /* the loop drains; a full queue of 256 cannot persist */
}

/* Present one card and wait until the tap says it is done with it. */
static bool field_tap(struct ykt_reader *r, struct sim_field *f, const struct sim_step *step)
{
	bool stopping;

	pthread_mutex_lock(&f->lock);
	sim_card_reset(f->cards[step->card]);
	f->present = step->card;
	f->tap = step;
	f->exchanges = 0;
	f->gone = false;
	f->tap_done = false;
	pthread_mutex_unlock(&f->lock);
	field_post(r, YKT_EV_CARD_PRESENT, step->card);

	pthread_mutex_lock(&f->lock);
	while (!f->tap_done && !f->stopping)
		pthread_cond_wait(&f->cond, &f->lock);
	f->present = -1;
	stopping = f->stopping;
	pthread_mutex_unlock(&f->lock);
	if (!stopping)
		field_post(r, YKT_EV_CARD_REMOVED, -1);
	return !stopping;
}

static void *field_thread(void *userdata)
{
	struct ykt_reader *r = userdata;
	struct sim_field *f = ykt_reader_priv(r);
	struct ykt_clock *clock = ykt_reader_env(r)->clock;
	bool running = true;

	for (size_t i = 0; i < f->n_steps && running; i++) {
		const struct sim_step *step = &f->steps[i];

		if (step->kind == STEP_TAP)
			running = field_tap(r, f, step);
		else if (step->kind == STEP_WAIT)
			ykt_clock_advance(clock, step->ms);
		else
			ykt_clock_set(clock, step->ms);
	}
	if (running)
		field_post(r, YKT_EV_FIELD_END, -1);
	return NULL;
}

static int sim_start(struct ykt_reader *r)
{
	struct sim_field *f = ykt_reader_priv(r);
	struct ykt_clock *clock = ykt_reader_env(r)->clock;

	for (size_t i = 0; i < f->n_steps; i++)
		if (f->steps[i].kind != STEP_TAP && ykt_clock_advance(clock, 0) < 0)
			return -EOPNOTSUPP; /* a script that moves time needs clock = sim: */
	if (pthread_create(&f->thread, NULL, field_thread, r))
		return -EAGAIN;
	f->thread_started = true;
	return 0;
}

/* Whether the fault plan removes the card around this exchange. */
static bool leaves_before(const struct sim_field *f, uint8_t ins)
{
	return (f->tap->leave == LEAVE_BEFORE_INS && ins == f->tap->leave_arg) ||
	       (f->tap->leave == LEAVE_AFTER_N && f->exchanges >= f->tap->leave_arg);
}

static int sim_transceive(struct ykt_reader *r, const uint8_t *capdu, size_t capdu_len,
			  uint8_t *rapdu, size_t rapdu_cap, size_t *ret_rapdu_len)
{
	struct sim_field *f = ykt_reader_priv(r);
	uint8_t ins = capdu_len > 1 ? capdu[1] : 0;
	int rc;

	pthread_mutex_lock(&f->lock);
	if (f->present < 0 || f->gone || leaves_before(f, ins)) {
		f->gone = f->present >= 0;
		pthread_mutex_unlock(&f->lock);
		return YKT_E_CARD_GONE;
	}
	f->exchanges++;
	rc = sim_card_transmit(f->cards[f->present], capdu, capdu_len, rapdu, rapdu_cap,
			       ret_rapdu_len);
	if (f->tap->leave == LEAVE_AFTER_INS && ins == f->tap->leave_arg) {
		f->gone = true;
		rc = YKT_E_CARD_GONE; /* applied, but the answer never arrives */
	}
	pthread_mutex_unlock(&f->lock);
	return rc;
}

static int sim_done(struct ykt_reader *r)
{
	struct sim_field *f = ykt_reader_priv(r);

	pthread_mutex_lock(&f->lock);
	f->tap_done = true;
	pthread_cond_broadcast(&f->cond);
	pthread_mutex_unlock(&f->lock);
	return 0;
}

const struct ykt_reader_ops ykt_reader_sim_ops = {
	.scheme = "sim",
	.priv_size = sizeof(struct sim_field),
	.open = sim_open,
	.close = sim_close,
	.start = sim_start,
	.transceive = sim_transceive,
	.done = sim_done,
};

struct sim_card *ykt_reader_sim_card(struct ykt_reader *r, size_t index)
{
	struct sim_field *f;

	if (ykt_reader_ops_of(r) != &ykt_reader_sim_ops)
		return NULL;
	f = ykt_reader_priv(r);
	return index < f->n_cards ? f->cards[index] : NULL;
}
