/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "ui.h"

#include "clock.h"
#include "display.h"
#include "log.h"
#include "render.h"
#include "screen.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define UI_DEFAULT_HOLD_MS 3000

struct ykt_ui {
	struct ykt_display *display;
	struct ykt_clock *clock;
	int hold_ms;
	bool threaded;

	pthread_mutex_t lock;
	pthread_cond_t wake; /* something posted, or stop */
	pthread_cond_t done; /* a screen was drawn: flush() looks again */
	pthread_t thread;
	bool stop, drawing;

	/* the mailbox: the newest tap screen not yet drawn */
	struct ui_screen post;
	bool has_post;
	/* the base screen; base_dirty: changed since it was last drawn */
	struct ui_screen base;
	bool has_base, base_dirty, showing_base;
	int64_t hold_until_ms; /* monotonic; the tap screen's end */
	int64_t shown_minute;  /* the clock minute on the base screen */

	struct ykt_ui_stats stats;
	struct ui_canvas *canvas; /* made and used on the render thread only */
};

static int64_t monotonic_ms(void)
{
	return ykt_monotonic_ns() / 1000000;
}

/* ---- the render thread ---- */

static void draw(struct ykt_ui *ui, struct ui_screen *s)
{
	int64_t start = ykt_monotonic_ns();
	int w, h, r = 0;

	if (ykt_display_wants_pixels(ui->display)) {
		ykt_display_size(ui->display, &w, &h);
		if (!ui->canvas)
			r = ui_canvas_new(w, h, &ui->canvas);
		if (r == 0)
			r = ui_canvas_render(ui->canvas, s, NULL);
	}
	if (r == 0)
		r = ykt_display_present(ui->display, s, ui->canvas);
	pthread_mutex_lock(&ui->lock);
	ui->stats.rendered++;
	ui->stats.render_ns += ykt_monotonic_ns() - start;
	if (r < 0 && ui->stats.failed++ == 0)
		log_err("display", "%s: cannot show a screen (%d)", ykt_display_scheme(ui->display),
			r);
	pthread_mutex_unlock(&ui->lock);
}

/* The base screen's clock minute, or -1 without a clock. */
static int64_t clock_minute(struct ykt_ui *ui)
{
	return ui->clock ? ykt_clock_now_s(ui->clock) / 60 : -1;
}

/* What to draw next (lock held): true and the screen in out, or false and
 * how long to wait (ms, -1 for a signal). */
static bool next_screen(struct ykt_ui *ui, struct ui_screen *out, int64_t *ret_wait_ms)
{
	int64_t now = monotonic_ms(), minute = clock_minute(ui);

	*ret_wait_ms = -1;
	if (ui->has_post) {
		*out = ui->post;
		ui->has_post = false;
		ui->showing_base = false;
		ui->hold_until_ms = now + ui->hold_ms;
		return true;
	}
	if (!ui->has_base)
		return false;
	if (!ui->showing_base && now < ui->hold_until_ms) {
		*ret_wait_ms = ui->hold_until_ms - now;
		return false;
	}
	if (!ui->showing_base || ui->base_dirty || (minute >= 0 && minute != ui->shown_minute)) {
		if (minute >= 0) {
			ui->base.bar.now_s = ykt_clock_now_s(ui->clock);
			ui->shown_minute = minute;
		}
		*out = ui->base;
		ui->showing_base = true;
		ui->base_dirty = false;
		return true;
	}
	if (minute >= 0)
		*ret_wait_ms = 1000; /* look at the clock again */
	return false;
}

static void wait_ms(struct ykt_ui *ui, int64_t ms)
{
	struct timespec ts;
	int64_t at;

	if (ms < 0) {
		pthread_cond_wait(&ui->wake, &ui->lock);
		return;
	}
	at = monotonic_ms() + ms;
	ts.tv_sec = at / 1000;
	ts.tv_nsec = (at % 1000) * 1000000;
	pthread_cond_timedwait(&ui->wake, &ui->lock, &ts);
}

static void *render_thread(void *arg)
{
	struct ykt_ui *ui = arg;
	struct ui_screen s;
	int64_t wait;

	pthread_mutex_lock(&ui->lock);
	while (!ui->stop) {
		if (next_screen(ui, &s, &wait)) {
			ui->drawing = true;
			pthread_mutex_unlock(&ui->lock);
			draw(ui, &s);
			pthread_mutex_lock(&ui->lock);
			ui->drawing = false;
			continue;
		}
		pthread_cond_broadcast(&ui->done);
		wait_ms(ui, wait);
	}
	pthread_cond_broadcast(&ui->done);
	pthread_mutex_unlock(&ui->lock);
	ui_canvas_free(ui->canvas);
	ui->canvas = NULL;
	return NULL;
}

/* ---- the tap's side ---- */

static int ui_start(struct ykt_ui *ui)
{
	pthread_condattr_t attr;
	int r;

	pthread_mutex_init(&ui->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC); /* ykt_monotonic_ns() */
	pthread_cond_init(&ui->wake, &attr);
	pthread_condattr_destroy(&attr);
	pthread_cond_init(&ui->done, NULL);
	if (!ui->threaded)
		return 0;
	r = pthread_create(&ui->thread, NULL, render_thread, ui);
	return r ? -r : 0;
}

int ykt_ui_new(const struct ykt_ui_options *opts, struct ykt_ui **ret_ui, char *errbuf,
	       size_t errbuf_len)
{
	struct ykt_ui *ui = calloc(1, sizeof(*ui));
	int r;

	if (!ui)
		return -ENOMEM;
	r = ykt_display_open(opts->display_uri ? opts->display_uri : "none", &ui->display, errbuf,
			     errbuf_len);
	if (r < 0) {
		free(ui);
		return r;
	}
	ui->clock = opts->clock;
	ui->hold_ms = opts->hold_ms > 0 ? opts->hold_ms : UI_DEFAULT_HOLD_MS;
	ui->threaded = !ykt_display_is_none(ui->display);
	ui->shown_minute = -1;
	r = ui_start(ui);
	if (r < 0) {
		snprintf(errbuf, errbuf_len, "display thread: %s", strerror(-r));
		ui->threaded = false;
		ykt_ui_free(ui);
		return r;
	}
	*ret_ui = ui;
	return 0;
}

void ykt_ui_free(struct ykt_ui *ui)
{
	if (!ui)
		return;
	if (ui->threaded) {
		pthread_mutex_lock(&ui->lock);
		ui->stop = true;
		pthread_cond_signal(&ui->wake);
		pthread_mutex_unlock(&ui->lock);
		pthread_join(ui->thread, NULL);
	}
	pthread_cond_destroy(&ui->wake);
	pthread_cond_destroy(&ui->done);
	pthread_mutex_destroy(&ui->lock);
	ykt_display_free(ui->display);
	free(ui);
}

void ykt_ui_show(struct ykt_ui *ui, const struct ui_screen *s)
{
	pthread_mutex_lock(&ui->lock);
	ui->stats.posted++;
	if (ui->threaded) {
		if (ui->has_post)
			ui->stats.superseded++;
		ui->post = *s;
		ui->has_post = true;
		pthread_cond_signal(&ui->wake);
	}
	pthread_mutex_unlock(&ui->lock);
}

/* lock held: s differs from the base screen in more than the time the
 * render thread keeps current itself */
static bool base_changed(const struct ykt_ui *ui, const struct ui_screen *s)
{
	struct ui_screen cmp = *s;

	if (!ui->has_base)
		return true;
	if (ui->clock)
		cmp.bar.now_s = ui->base.bar.now_s;
	return memcmp(&ui->base, &cmp, sizeof(cmp)) != 0;
}

void ykt_ui_set_base(struct ykt_ui *ui, const struct ui_screen *s)
{
	pthread_mutex_lock(&ui->lock);
	if (ui->threaded && base_changed(ui, s)) {
		ui->stats.posted++;
		if (ui->base_dirty)
			ui->stats.superseded++;
		ui->base = *s;
		ui->has_base = true;
		ui->base_dirty = true;
		pthread_cond_signal(&ui->wake);
	}
	pthread_mutex_unlock(&ui->lock);
}

/* lock held: a changed base screen that is to be drawn now (not one that
 * waits behind a held tap screen) */
static bool base_due(const struct ykt_ui *ui)
{
	return ui->has_base && ui->base_dirty &&
	       (ui->showing_base || monotonic_ms() >= ui->hold_until_ms);
}

void ykt_ui_flush(struct ykt_ui *ui)
{
	pthread_mutex_lock(&ui->lock);
	while (ui->threaded && !ui->stop && (ui->has_post || ui->drawing || base_due(ui)))
		pthread_cond_wait(&ui->done, &ui->lock);
	pthread_mutex_unlock(&ui->lock);
}

void ykt_ui_get_stats(struct ykt_ui *ui, struct ykt_ui_stats *ret)
{
	pthread_mutex_lock(&ui->lock);
	*ret = ui->stats;
	pthread_mutex_unlock(&ui->lock);
}

bool ykt_ui_is_none(const struct ykt_ui *ui)
{
	return ykt_display_is_none(ui->display);
}
