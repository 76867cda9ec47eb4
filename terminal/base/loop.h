/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The reader loop's event loop: one epoll set that waits, without busy
 * waiting, on file descriptors (readers and SAM slots that have one),
 * timers (timerfd), signals (signalfd: SIGINT, SIGTERM, SIGHUP) and events
 * posted by driver threads (an eventfd over a bounded queue).
 *
 * Drivers with no file descriptor run their own thread and call
 * ykt_loop_post(), the only function here that is thread-safe.
 */
#ifndef YKT_LOOP_H
#define YKT_LOOP_H

#include <stddef.h>
#include <stdint.h>

struct ykt_loop;

enum ykt_event_type {
	YKT_EV_CARD_PRESENT = 1, /* a card (or several) entered the field */
	YKT_EV_CARD_REMOVED,	 /* the field is empty again */
	YKT_EV_FIELD_END,	 /* a finite source (tap script) has ended */
	YKT_EV_SAM_INSERTED,
	YKT_EV_SAM_REMOVED,
	YKT_EV_DEVICE_ERROR, /* a driver lost its device; err says why */
};

struct ykt_event {
	enum ykt_event_type type;
	int source; /* which device posted it (index given at open) */
	int n_cards;
	uint8_t uid[10];
	size_t uid_len;
	int err;
	int64_t posted_ns; /* monotonic time ykt_loop_post() queued it (set by the loop) */
};

typedef void (*ykt_event_cb)(struct ykt_loop *loop, const struct ykt_event *ev, void *userdata);
/* fd callbacks get the epoll events mask */
typedef void (*ykt_fd_cb)(struct ykt_loop *loop, int fd, uint32_t events, void *userdata);
typedef void (*ykt_timer_cb)(struct ykt_loop *loop, void *userdata);

/* Caller frees with ykt_loop_free(). Blocks SIGINT/SIGTERM/SIGHUP in the
 * calling thread (threads created afterwards inherit the mask) so that they
 * arrive through the signalfd. */
int ykt_loop_new(ykt_event_cb on_event, void *userdata, struct ykt_loop **ret_loop);
void ykt_loop_free(struct ykt_loop *loop);

/* Thread-safe; stamps the queued copy's posted_ns (ykt_monotonic_ns()), so
 * a tap is timed from the moment the driver saw the card. -ENOSPC when the
 * queue (256 events) is full. */
int ykt_loop_post(struct ykt_loop *loop, const struct ykt_event *ev);

int ykt_loop_add_fd(struct ykt_loop *loop, int fd, uint32_t events, ykt_fd_cb cb, void *userdata);
int ykt_loop_remove_fd(struct ykt_loop *loop, int fd);

/* A periodic timer (interval_ms > 0). Returns a timer id >= 0. */
int ykt_loop_add_timer(struct ykt_loop *loop, int64_t interval_ms, ykt_timer_cb cb, void *userdata);

/* Run until ykt_loop_quit() or a termination signal. Returns the exit code
 * given to ykt_loop_quit(), 0 after SIGTERM/SIGINT, or a negative errno. */
int ykt_loop_run(struct ykt_loop *loop);
void ykt_loop_quit(struct ykt_loop *loop, int code);

#endif
