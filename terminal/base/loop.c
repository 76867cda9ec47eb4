/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "loop.h"

#include "clock.h"
#include "log.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#define LOOP_QUEUE_LEN	 256
#define LOOP_MAX_WATCHES 32

struct loop_watch {
	int fd;	    /* -1 when the slot is free */
	bool owned; /* the loop closes it (timers) */
	ykt_fd_cb fd_cb;
	ykt_timer_cb timer_cb;
	void *userdata;
};

struct ykt_loop {
	int epfd, evfd, sigfd;
	ykt_event_cb on_event;
	void *userdata;
	bool quit;
	int exit_code;

	pthread_mutex_t lock; /* guards the queue */
	struct ykt_event queue[LOOP_QUEUE_LEN];
	size_t head, count;

	struct loop_watch watches[LOOP_MAX_WATCHES];
};

static int loop_epoll_add(struct ykt_loop *loop, int fd, uint32_t events, void *ptr)
{
	struct epoll_event ev = { .events = events, .data.ptr = ptr };

	return epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

static int loop_open_fds(struct ykt_loop *loop)
{
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	if (pthread_sigmask(SIG_BLOCK, &mask, NULL))
		return -EINVAL;
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	loop->evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	loop->sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (loop->epfd < 0 || loop->evfd < 0 || loop->sigfd < 0)
		return -errno;
	/* the eventfd and signalfd are told apart by their data pointers */
	if (loop_epoll_add(loop, loop->evfd, EPOLLIN, &loop->evfd) < 0 ||
	    loop_epoll_add(loop, loop->sigfd, EPOLLIN, &loop->sigfd) < 0)
		return -errno;
	return 0;
}

int ykt_loop_new(ykt_event_cb on_event, void *userdata, struct ykt_loop **ret_loop)
{
	struct ykt_loop *loop = calloc(1, sizeof(*loop));
	int r;

	if (!loop)
		return -ENOMEM;
	loop->epfd = loop->evfd = loop->sigfd = -1;
	loop->on_event = on_event;
	loop->userdata = userdata;
	pthread_mutex_init(&loop->lock, NULL);
	for (size_t i = 0; i < LOOP_MAX_WATCHES; i++)
		loop->watches[i].fd = -1;
	r = loop_open_fds(loop);
	if (r < 0) {
		ykt_loop_free(loop);
		return r;
	}
	*ret_loop = loop;
	return 0;
}

void ykt_loop_free(struct ykt_loop *loop)
{
	if (!loop)
		return;
	for (size_t i = 0; i < LOOP_MAX_WATCHES; i++)
		if (loop->watches[i].fd >= 0 && loop->watches[i].owned)
			close(loop->watches[i].fd);
	if (loop->epfd >= 0)
		close(loop->epfd);
	if (loop->evfd >= 0)
		close(loop->evfd);
	if (loop->sigfd >= 0)
		close(loop->sigfd);
	pthread_mutex_destroy(&loop->lock);
	free(loop);
}

int ykt_loop_post(struct ykt_loop *loop, const struct ykt_event *ev)
{
	uint64_t one = 1;
	struct ykt_event *slot;

	pthread_mutex_lock(&loop->lock);
	if (loop->count == LOOP_QUEUE_LEN) {
		pthread_mutex_unlock(&loop->lock);
		return -ENOSPC;
	}
	slot = &loop->queue[(loop->head + loop->count) % LOOP_QUEUE_LEN];
	*slot = *ev;
	slot->posted_ns = ykt_monotonic_ns();
	loop->count++;
	pthread_mutex_unlock(&loop->lock);
	if (write(loop->evfd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		return -errno;
	return 0;
}

static struct loop_watch *loop_free_watch(struct ykt_loop *loop)
{
	for (size_t i = 0; i < LOOP_MAX_WATCHES; i++)
		if (loop->watches[i].fd < 0)
			return &loop->watches[i];
	return NULL;
}

int ykt_loop_add_fd(struct ykt_loop *loop, int fd, uint32_t events, ykt_fd_cb cb, void *userdata)
{
	struct loop_watch *w = loop_free_watch(loop);
	int r;

	if (!w)
		return -ENOSPC;
	r = loop_epoll_add(loop, fd, events, w);
	if (r < 0)
		return r;
	*w = (struct loop_watch){ .fd = fd, .fd_cb = cb, .userdata = userdata };
	return 0;
}

int ykt_loop_remove_fd(struct ykt_loop *loop, int fd)
{
	for (size_t i = 0; i < LOOP_MAX_WATCHES; i++) {
		if (loop->watches[i].fd != fd || loop->watches[i].owned)
			continue;
		epoll_ctl(loop->epfd, EPOLL_CTL_DEL, fd, NULL);
		loop->watches[i].fd = -1;
		return 0;
	}
	return -ENOENT;
}

int ykt_loop_add_timer(struct ykt_loop *loop, int64_t interval_ms, ykt_timer_cb cb, void *userdata)
{
	struct itimerspec its = { 0 };
	struct loop_watch *w = loop_free_watch(loop);
	int fd, r;

	if (!w || interval_ms <= 0)
		return w ? -EINVAL : -ENOSPC;
	fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (fd < 0)
		return -errno;
	its.it_interval.tv_sec = interval_ms / 1000;
	its.it_interval.tv_nsec = (interval_ms % 1000) * 1000000;
	its.it_value = its.it_interval;
	r = timerfd_settime(fd, 0, &its, NULL) < 0 ? -errno : loop_epoll_add(loop, fd, EPOLLIN, w);
	if (r < 0) {
		close(fd);
		return r;
	}
	*w = (struct loop_watch){ .fd = fd, .owned = true, .timer_cb = cb, .userdata = userdata };
	return (int)(w - loop->watches);
}

void ykt_loop_quit(struct ykt_loop *loop, int code)
{
	loop->quit = true;
	loop->exit_code = code;
}

static bool loop_pop(struct ykt_loop *loop, struct ykt_event *ret)
{
	bool got = false;

	pthread_mutex_lock(&loop->lock);
	if (loop->count) {
		*ret = loop->queue[loop->head];
		loop->head = (loop->head + 1) % LOOP_QUEUE_LEN;
		loop->count--;
		got = true;
	}
	pthread_mutex_unlock(&loop->lock);
	return got;
}

static void loop_drain_events(struct ykt_loop *loop)
{
	struct ykt_event ev;
	uint64_t n;

	if (read(loop->evfd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		log_warn("loop", "eventfd read: %s", strerror(errno));
	/* only the events queued now: a source that posts the next one while
	 * this one is handled (a card field running a long script) would
	 * otherwise keep the loop here, and a termination signal or a timer
	 * would never be seen */
	pthread_mutex_lock(&loop->lock);
	n = loop->count;
	pthread_mutex_unlock(&loop->lock);
	while (n-- > 0 && !loop->quit && loop_pop(loop, &ev))
		loop->on_event(loop, &ev, loop->userdata);
	/* a quit leaves events queued: keep the eventfd readable for the next run */
	pthread_mutex_lock(&loop->lock);
	n = loop->count;
	pthread_mutex_unlock(&loop->lock);
	if (n && write(loop->evfd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		log_warn("loop", "eventfd write: %s", strerror(errno));
}

static void loop_signal(struct ykt_loop *loop)
{
	struct signalfd_siginfo si;

	while (read(loop->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		log_info("loop", "signal %u: stopping", si.ssi_signo);
		ykt_loop_quit(loop, 0);
	}
}

static void loop_dispatch(struct ykt_loop *loop, const struct epoll_event *ev)
{
	struct loop_watch *w = ev->data.ptr;
	uint64_t expirations;

	if (ev->data.ptr == &loop->evfd) {
		loop_drain_events(loop);
	} else if (ev->data.ptr == &loop->sigfd) {
		loop_signal(loop);
	} else if (w->fd >= 0 && w->timer_cb) {
		if (read(w->fd, &expirations, sizeof(expirations)) == (ssize_t)sizeof(expirations))
			w->timer_cb(loop, w->userdata);
	} else if (w->fd >= 0) {
		w->fd_cb(loop, w->fd, ev->events, w->userdata);
	}
}

int ykt_loop_run(struct ykt_loop *loop)
{
	struct epoll_event evs[8];

	loop->quit = false;
	while (!loop->quit) {
		int n = epoll_wait(loop->epfd, evs, 8, -1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		for (int i = 0; i < n && !loop->quit; i++)
			loop_dispatch(loop, &evs[i]);
	}
	return loop->exit_code;
}
