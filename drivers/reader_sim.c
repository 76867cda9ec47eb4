/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sim: reader — the simulated card field, driven by a tap script.
 *
 *   sim:PATH   PATH is a tap script (see docs/simulator.md):
 *     clock 2026-11-21T07:30:00     set the sim: clock (China Standard Time)
 *     wait 45s                      move the sim: clock on (ms, s, m, h)
 *     tap cards/adult.card          present that card until the tap is done
 *     tap a.card+b.card             two cards in the field at once
 *     tap cards/adult.card FAULT    with one fault, FAULT = KIND:TARGET[:SW]
 *       TARGET  insXX (the first command with that INS) or apduN (the Nth)
 *       leave-before   the card leaves before the target reaches it
 *       leave-after    the card applies the target, then leaves: no answer
 *       mute           the card stays but never answers the target
 *       sw:TARGET:SW   the card refuses the target with status word SW
 *       garble         the card applies the target; its answer arrives cut short
 *       corrupt        the card applies the target; the last data byte of its
 *                      answer arrives flipped (for DEBIT: a wrong MAC2)
 *     tap cards/adult.card expect=paid debit=yes   read by scenario tests only
 *
 * A card file named twice is the same card: its balance and ATC carry over.
 * The field runs in its own thread (it has no file descriptor) and posts
 * events to the loop; APDUs come from the loop thread.
 */
#include "reader.h"
#include "reader_sim.h"

#include "bytes.h"
#include "clock.h"
#include "link_model.h"
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
enum sim_fault_kind {
	FAULT_NONE,
	FAULT_LEAVE_BEFORE,
	FAULT_LEAVE_AFTER,
	FAULT_MUTE,
	FAULT_SW,
	FAULT_GARBLE,
	FAULT_CORRUPT,
};

static const char *const fault_names[] = {
	[FAULT_LEAVE_BEFORE] = "leave-before",
	[FAULT_LEAVE_AFTER] = "leave-after",
	[FAULT_MUTE] = "mute",
	[FAULT_SW] = "sw",
	[FAULT_GARBLE] = "garble",
	[FAULT_CORRUPT] = "corrupt",
};

struct sim_fault {
	enum sim_fault_kind kind;
	int ins;     /* target INS, or -1 */
	int apdu_no; /* target exchange (1-based), or 0 */
	uint16_t sw;
};

struct sim_step {
	enum sim_step_kind kind;
	int card, card2; /* indexes into cards[]; card2 -1 unless two cards */
	struct sim_fault fault;
	int64_t ms; /* wait: delta, clock: absolute */
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
	int exchanges; /* APDUs the validator sent in this tap */
	struct link_contactless link;
	uint64_t link_ns; /* modeled time of every answered exchange */
	bool gone, fault_fired;
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

/* KIND:TARGET[:SW], e.g. leave-after:ins54, sw:apdu3:6581 */
static int parse_fault(const char *text, struct sim_fault *ret)
{
	struct sim_fault f = { .ins = -1 };
	unsigned v, sw;
	int n = 0;

	for (size_t k = FAULT_LEAVE_BEFORE; k <= FAULT_CORRUPT && !f.kind; k++) {
		size_t len = strlen(fault_names[k]);

		if (strncmp(text, fault_names[k], len) == 0 && text[len] == ':') {
			f.kind = (enum sim_fault_kind)k;
			text += len + 1;
		}
	}
	if (!f.kind)
		return -EINVAL;
	if (sscanf(text, "ins%2x%n", &v, &n) == 1 && n == 5)
		f.ins = (int)v;
	else if (sscanf(text, "apdu%u%n", &v, &n) == 1 && v >= 1 && v < 1000)
		f.apdu_no = (int)v;
	else
		return -EINVAL;
	text += n;
	if (f.kind == FAULT_SW) {
		if (sscanf(text, ":%4x%n", &sw, &n) != 1 || n != 5)
			return -EINVAL;
		f.sw = (uint16_t)sw;
		text += n;
	}
	if (*text)
		return -EINVAL;
	*ret = f;
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
	char *save = NULL, *name = strtok_r(args, " \t", &save), *opt, *second;
	char path[PATH_MAX];
	int idx;

	if (!name)
		return -EINVAL;
	step->kind = STEP_TAP;
	step->card2 = -1;
	second = strchr(name, '+');
	if (second)
		*second++ = '\0';
	for (int k = 0; k < (second ? 2 : 1); k++) {
		script_path(script, k ? second : name, path, sizeof(path));
		idx = field_card_index(r, f, path);
		if (idx < 0)
			return idx;
		*(k ? &step->card2 : &step->card) = idx;
	}
	while ((opt = strtok_r(NULL, " \t", &save))) {
		if (strncmp(opt, "expect=", 7) == 0 || strncmp(opt, "debit=", 6) == 0)
			continue; /* for the scenario tests that read the script */
		if (step->fault.kind || parse_fault(opt, &step->fault) < 0)
			return -EINVAL; /* one fault per tap */
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
	link_contactless_default(&f->link);
	rc = field_load(r, f, args);
	if (rc < 0)
		sim_close(r);
	return rc;
}

/* Post an event; a tap step tells which card(s) are in the field. The UID
 * is the first card's (anticollision picks one). */
static void field_post(struct ykt_reader *r, enum ykt_event_type type, const struct sim_step *tap)
{
	const struct ykt_reader_env *env = ykt_reader_env(r);
	struct sim_field *f = ykt_reader_priv(r);
	struct ykt_event ev = { .type = type, .source = env->source };
	struct sim_card_info info;

	if (tap) {
		sim_card_info(f->cards[tap->card], &info);
		ev.n_cards = tap->card2 >= 0 ? 2 : 1;
		ev.uid_len = info.uid_len;
		memcpy(ev.uid, info.uid, info.uid_len);
	}
	while (ykt_loop_post(env->loop, &ev) == -ENOSPC)
		; /* the loop drains; a full queue of 256 cannot persist */
}

/* Present one card and wait until the tap says it is done with it. */
static bool field_tap(struct ykt_reader *r, struct sim_field *f, const struct sim_step *step)
{
	struct sim_card_info info;
	bool stopping;

	pthread_mutex_lock(&f->lock);
	sim_card_reset(f->cards[step->card]);
	sim_card_info(f->cards[step->card], &info);
	f->link.type = info.rf_type == 'B' ? LINK_RF_TYPE_B : LINK_RF_TYPE_A;
	if (step->card2 >= 0)
		sim_card_reset(f->cards[step->card2]);
	f->present = step->card;
	f->tap = step;
	f->exchanges = 0;
	f->gone = false;
	f->fault_fired = false;
	f->tap_done = false;
	pthread_mutex_unlock(&f->lock);
	field_post(r, YKT_EV_CARD_PRESENT, step);

	pthread_mutex_lock(&f->lock);
	while (!f->tap_done && !f->stopping)
		pthread_cond_wait(&f->cond, &f->lock);
	f->present = -1;
	stopping = f->stopping;
	pthread_mutex_unlock(&f->lock);
	if (!stopping)
		field_post(r, YKT_EV_CARD_REMOVED, NULL);
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
		field_post(r, YKT_EV_FIELD_END, NULL);
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

static bool fault_hits(const struct sim_fault *fault, uint8_t ins, int exchange_no)
{
	if (fault->kind == FAULT_NONE)
		return false;
	return fault->ins >= 0 ? fault->ins == ins : fault->apdu_no == exchange_no;
}

/* A garbled answer: the data arrives cut in half, the status word intact. */
static void garble(uint8_t *rapdu, size_t *len)
{
	size_t data = *len - 2, keep = data / 2;

	rapdu[keep] = rapdu[data];
	rapdu[keep + 1] = rapdu[data + 1];
	*len = keep + 2;
}

static int field_exchange(struct sim_field *f, enum sim_fault_kind fault, const uint8_t *capdu,
			  size_t capdu_len, uint8_t *rapdu, size_t rapdu_cap, size_t *ret_rapdu_len)
{
	int rc;

	switch (fault) {
	case FAULT_LEAVE_BEFORE:
		f->gone = true;
		return YKT_E_CARD_GONE;
	case FAULT_MUTE:
		return -ETIMEDOUT; /* the reader's frame waiting time ran out */
	case FAULT_SW:
		if (rapdu_cap < 2)
			return -ENOBUFS;
		ykt_put_be16(rapdu, f->tap->fault.sw);
		*ret_rapdu_len = 2;
		return 0;
	default:
		break;
	}
	rc = sim_card_transmit(f->cards[f->present], capdu, capdu_len, rapdu, rapdu_cap,
			       ret_rapdu_len);
	if (rc == 0 && fault == FAULT_LEAVE_AFTER) {
		f->gone = true;
		return YKT_E_CARD_GONE; /* applied, but the answer never arrives */
	}
	if (rc == 0 && fault == FAULT_GARBLE && *ret_rapdu_len > 2)
		garble(rapdu, ret_rapdu_len);
	if (rc == 0 && fault == FAULT_CORRUPT && *ret_rapdu_len > 2)
		rapdu[*ret_rapdu_len - 3] ^= 0x01; /* the last data byte */
	return rc;
}

/* The link model's time for an answered exchange; with realtime, the field
 * takes that long. Exchanges that end in a fault are not modeled. */
static void field_link_time(struct ykt_reader *r, struct sim_field *f, const uint8_t *capdu,
			    size_t capdu_len, size_t rapdu_len)
{
	struct link_timing t;

	if (link_contactless_exchange(&f->link, capdu, capdu_len, rapdu_len, &t) < 0)
		return;
	f->link_ns += t.total_ns;
	if (ykt_reader_env(r)->realtime)
		ykt_sleep_ns(t.total_ns);
}

static uint64_t sim_link_ns(struct ykt_reader *r)
{
	struct sim_field *f = ykt_reader_priv(r);
	uint64_t ns;

	pthread_mutex_lock(&f->lock);
	ns = f->link_ns;
	pthread_mutex_unlock(&f->lock);
	return ns;
}

static int sim_transceive(struct ykt_reader *r, const uint8_t *capdu, size_t capdu_len,
			  uint8_t *rapdu, size_t rapdu_cap, size_t *ret_rapdu_len)
{
	struct sim_field *f = ykt_reader_priv(r);
	uint8_t ins = capdu_len > 1 ? capdu[1] : 0;
	enum sim_fault_kind fault = FAULT_NONE;
	int rc;

	pthread_mutex_lock(&f->lock);
	if (f->present < 0 || f->gone) {
		pthread_mutex_unlock(&f->lock);
		return YKT_E_CARD_GONE;
	}
	f->exchanges++;
	if (!f->fault_fired && fault_hits(&f->tap->fault, ins, f->exchanges)) {
		f->fault_fired = true;
		fault = f->tap->fault.kind;
	}
	rc = field_exchange(f, fault, capdu, capdu_len, rapdu, rapdu_cap, ret_rapdu_len);
	if (rc == 0)
		field_link_time(r, f, capdu, capdu_len, *ret_rapdu_len);
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
	.link_ns = sim_link_ns,
};

struct sim_card *ykt_reader_sim_card(struct ykt_reader *r, size_t index)
{
	struct sim_field *f;

	if (ykt_reader_ops_of(r) != &ykt_reader_sim_ops)
		return NULL;
	f = ykt_reader_priv(r);
	return index < f->n_cards ? f->cards[index] : NULL;
}

int ykt_reader_sim_tap_exchanges(struct ykt_reader *r)
{
	struct sim_field *f;
	int n;

	if (ykt_reader_ops_of(r) != &ykt_reader_sim_ops)
		return -EINVAL;
	f = ykt_reader_priv(r);
	pthread_mutex_lock(&f->lock);
	n = f->exchanges;
	pthread_mutex_unlock(&f->lock);
	return n;
}
