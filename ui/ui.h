/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The screen side of the validator: a display (display.h) fed by its own
 * render thread through a one-slot, latest-wins mailbox. The tap copies its
 * screen model in and returns at once; if the thread is still drawing an
 * earlier screen, only the newest waiting one is drawn next (the ones in
 * between are superseded: nobody would have seen them).
 *
 * Two kinds of screen:
 *   - a base screen (idle, out of service, driver, maintenance) stays up;
 *   - a tap's screen (paid, refused) is held for hold_ms, then the base
 *     screen returns.
 * With a clock, the base screen's time is kept current (once a minute).
 */
#ifndef YKT_UI_H
#define YKT_UI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ui_screen;
struct ykt_clock;
struct ykt_display;
struct ykt_ui;

struct ykt_ui_options {
	const char *display_uri; /* display.h; "none" starts no thread */
	struct ykt_clock *clock; /* may be NULL: times stay as posted */
	int hold_ms;		 /* a tap's screen before the base returns; 0: 3000 */
};

struct ykt_ui_stats {
	uint64_t posted;     /* screens given to ykt_ui_show() / ykt_ui_set_base() */
	uint64_t rendered;   /* screens drawn and presented (base returns included) */
	uint64_t superseded; /* posted screens replaced before they were drawn */
	uint64_t failed;     /* present() errors */
	int64_t render_ns;   /* time spent drawing and presenting, in all */
};

/* Open the display and start the render thread. On failure a one-line
 * reason in errbuf. Caller frees with ykt_ui_free(). */
int ykt_ui_new(const struct ykt_ui_options *opts, struct ykt_ui **ret_ui, char *errbuf,
	       size_t errbuf_len);
/* Draws nothing more; stops the thread. Accepts NULL. */
void ykt_ui_free(struct ykt_ui *ui);

/* A tap's screen: copied, drawn as soon as the thread is free, held
 * hold_ms. Never blocks beyond a mutex held for a struct copy. */
void ykt_ui_show(struct ykt_ui *ui, const struct ui_screen *s);
/* The screen to return to (and show now, unless a tap's screen is held).
 * Same cost as ykt_ui_show(); an unchanged base is not redrawn. */
void ykt_ui_set_base(struct ykt_ui *ui, const struct ui_screen *s);

/* Wait until everything posted so far has been drawn (tests, shutdown). */
void ykt_ui_flush(struct ykt_ui *ui);
void ykt_ui_get_stats(struct ykt_ui *ui, struct ykt_ui_stats *ret);
/* true when nothing is shown (display none) */
bool ykt_ui_is_none(const struct ykt_ui *ui);

#endif
