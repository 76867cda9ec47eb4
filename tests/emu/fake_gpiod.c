/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The libgpiod 1.6 test double (fake_gpiod.h). Prototypes come from the
 * real <gpiod.h>, so the driver is compiled against the real API.
 */
#include "fake_gpiod.h"

#include <errno.h>
#include <gpiod.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define FAKE_CHIPS     4
#define FAKE_LINES     64
#define FAKE_NAME_MAX  32
#define FAKE_CONSUMERS 32

struct gpiod_line {
	unsigned chip, offset;
	struct gpiod_chip *owner; /* the handle it was requested through */
	bool requested, active_low;
	char consumer[FAKE_CONSUMERS];
	int level; /* -1: never driven */
};

struct gpiod_chip {
	unsigned index;
};

static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool loaded, hold;
	int blocked;
	char names[FAKE_CHIPS][FAKE_NAME_MAX];
	unsigned n_lines[FAKE_CHIPS];
	unsigned n_chips;
	struct gpiod_line lines[FAKE_CHIPS][FAKE_LINES];
} fake = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER };

/* ---- state (lock held) ---- */

static void fake_load(void)
{
	const char *env = getenv("GPIOD_FAKE_CHIPS");
	char buf[256], *save = NULL, *tok;

	if (fake.loaded)
		return;
	fake.loaded = true;
	snprintf(buf, sizeof(buf), "%s", env && env[0] ? env : "gpiochip0:32");
	for (tok = strtok_r(buf, ",", &save); tok && fake.n_chips < FAKE_CHIPS;
	     tok = strtok_r(NULL, ",", &save)) {
		unsigned n = FAKE_LINES, c = fake.n_chips;
		char *colon = strchr(tok, ':');

		if (colon) {
			*colon = '\0';
			n = (unsigned)strtoul(colon + 1, NULL, 10);
		}
		snprintf(fake.names[c], FAKE_NAME_MAX, "%s", tok);
		fake.n_lines[c] = n > FAKE_LINES ? FAKE_LINES : n;
		for (unsigned o = 0; o < FAKE_LINES; o++)
			fake.lines[c][o] =
			    (struct gpiod_line){ .chip = c, .offset = o, .level = -1 };
		fake.n_chips++;
	}
}

static void fake_path(const struct gpiod_line *l, const char *what, char *out, size_t cap)
{
	const char *dir = getenv("GPIOD_FAKE_DIR");

	snprintf(out, cap, "%s/%s/%u.%s", dir ? dir : ".", fake.names[l->chip], l->offset, what);
}

static void fake_write(const char *path, const char *text, const char *mode)
{
	FILE *f = fopen(path, mode);

	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

/* The files mirror the line: level, holder, and a line in the log. */
static void fake_publish(const struct gpiod_line *l, bool logged)
{
	const char *dir = getenv("GPIOD_FAKE_DIR");
	char path[512], text[96];

	if (!dir)
		return;
	snprintf(path, sizeof(path), "%s/%s", dir, fake.names[l->chip]);
	mkdir(path, 0755);
	fake_path(l, "value", path, sizeof(path));
	snprintf(text, sizeof(text), "%d\n", l->level);
	if (l->level >= 0)
		fake_write(path, text, "we");
	fake_path(l, "requested", path, sizeof(path));
	snprintf(text, sizeof(text), "%s %s\n", l->consumer,
		 l->active_low ? "active-low" : "active-high");
	if (l->requested)
		fake_write(path, text, "we");
	else
		remove(path);
	if (!logged)
		return;
	snprintf(path, sizeof(path), "%s/log", dir);
	snprintf(text, sizeof(text), "%s %u %d\n", fake.names[l->chip], l->offset, l->level);
	fake_write(path, text, "ae");
}

static int fake_chip_index(const char *descr)
{
	char *end;
	unsigned long n;

	for (unsigned c = 0; c < fake.n_chips; c++) {
		if (strcmp(descr, fake.names[c]) == 0)
			return (int)c;
		if (strncmp(descr, "/dev/", 5) == 0 && strcmp(descr + 5, fake.names[c]) == 0)
			return (int)c;
	}
	n = strtoul(descr, &end, 10);
	if (end != descr && !*end) /* a number: gpiochipN */
		for (unsigned c = 0; c < fake.n_chips; c++)
			if (strncmp(fake.names[c], "gpiochip", 8) == 0 &&
			    strtoul(fake.names[c] + 8, NULL, 10) == n)
				return (int)c;
	return -1;
}

static void fake_release(struct gpiod_line *l)
{
	l->requested = false;
	l->owner = NULL;
	l->consumer[0] = '\0';
	fake_publish(l, false);
}

/* ---- the libgpiod 1.6 API ---- */

struct gpiod_chip *gpiod_chip_open_lookup(const char *descr)
{
	struct gpiod_chip *chip = NULL;
	int c;

	pthread_mutex_lock(&fake.lock);
	fake_load();
	c = descr ? fake_chip_index(descr) : -1;
	if (c >= 0)
		chip = calloc(1, sizeof(*chip));
	if (chip)
		chip->index = (unsigned)c;
	pthread_mutex_unlock(&fake.lock);
	if (!chip)
		errno = c < 0 ? ENOENT : ENOMEM;
	return chip;
}

void gpiod_chip_close(struct gpiod_chip *chip)
{
	if (!chip)
		return;
	pthread_mutex_lock(&fake.lock);
	for (unsigned o = 0; o < FAKE_LINES; o++)
		if (fake.lines[chip->index][o].owner == chip)
			fake_release(&fake.lines[chip->index][o]);
	pthread_mutex_unlock(&fake.lock);
	free(chip);
}

struct gpiod_line *gpiod_chip_get_line(struct gpiod_chip *chip, unsigned int offset)
{
	struct gpiod_line *l;

	if (!chip || offset >= fake.n_lines[chip->index]) {
		errno = EINVAL;
		return NULL;
	}
	pthread_mutex_lock(&fake.lock);
	l = &fake.lines[chip->index][offset];
	if (!l->requested)
		l->owner = chip; /* the line object belongs to this chip handle */
	pthread_mutex_unlock(&fake.lock);
	return l;
}

int gpiod_line_request_output_flags(struct gpiod_line *line, const char *consumer, int flags,
				    int default_val)
{
	int r = 0;

	pthread_mutex_lock(&fake.lock);
	if (line->requested)
		r = EBUSY;
	else if (flags & ~GPIOD_LINE_REQUEST_FLAG_ACTIVE_LOW)
		r = EINVAL; /* nothing else is faked */
	if (r == 0) {
		line->requested = true;
		line->active_low = flags & GPIOD_LINE_REQUEST_FLAG_ACTIVE_LOW;
		snprintf(line->consumer, sizeof(line->consumer), "%s", consumer ? consumer : "?");
		line->level = !!default_val ^ line->active_low;
		fake_publish(line, true);
	}
	pthread_mutex_unlock(&fake.lock);
	errno = r;
	return r ? -1 : 0;
}

int gpiod_line_set_value(struct gpiod_line *line, int value)
{
	int r = 0;

	pthread_mutex_lock(&fake.lock);
	fake.blocked++;
	pthread_cond_broadcast(&fake.cond);
	while (fake.hold)
		pthread_cond_wait(&fake.cond, &fake.lock);
	fake.blocked--;
	if (!line->requested) {
		r = EPERM;
	} else {
		line->level = !!value ^ line->active_low;
		fake_publish(line, true);
	}
	pthread_mutex_unlock(&fake.lock);
	errno = r;
	return r ? -1 : 0;
}

void gpiod_line_release(struct gpiod_line *line)
{
	pthread_mutex_lock(&fake.lock);
	if (line->requested)
		fake_release(line);
	pthread_mutex_unlock(&fake.lock);
}

/* ---- test controls ---- */

static struct gpiod_line *fake_line(const char *chip, unsigned offset)
{
	int c;

	fake_load();
	c = fake_chip_index(chip);
	return c < 0 || offset >= fake.n_lines[c] ? NULL : &fake.lines[c][offset];
}

int fake_gpiod_level(const char *chip, unsigned offset)
{
	struct gpiod_line *l;
	int level;

	pthread_mutex_lock(&fake.lock);
	l = fake_line(chip, offset);
	level = l ? l->level : -1;
	pthread_mutex_unlock(&fake.lock);
	return level;
}

bool fake_gpiod_requested(const char *chip, unsigned offset, char *consumer, size_t cap,
			  bool *ret_active_low)
{
	struct gpiod_line *l;
	bool held;

	pthread_mutex_lock(&fake.lock);
	l = fake_line(chip, offset);
	held = l && l->requested;
	if (held) {
		snprintf(consumer, cap, "%s", l->consumer);
		*ret_active_low = l->active_low;
	}
	pthread_mutex_unlock(&fake.lock);
	return held;
}

void fake_gpiod_hold(bool hold)
{
	pthread_mutex_lock(&fake.lock);
	fake.hold = hold;
	pthread_cond_broadcast(&fake.cond);
	pthread_mutex_unlock(&fake.lock);
}

int fake_gpiod_wait_blocked(int at_least, int timeout_ms)
{
	struct timespec until;
	int n;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += timeout_ms / 1000;
	until.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
	until.tv_sec += until.tv_nsec / 1000000000;
	until.tv_nsec %= 1000000000;
	pthread_mutex_lock(&fake.lock);
	while (fake.blocked < at_least &&
	       pthread_cond_timedwait(&fake.cond, &fake.lock, &until) == 0)
		;
	n = fake.blocked;
	pthread_mutex_unlock(&fake.lock);
	return n;
}
