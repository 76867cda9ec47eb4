/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * terminal/base/loop.h: posted events in order across threads, quit codes,
 * timers, file descriptors, termination signals (also while events keep
 * coming) and the bounded queue.
 * Every loop that could hang gets a guard timer that quits with GUARD_CODE.
 */
#include "loop.h"

#include "check.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#define GUARD_CODE 99

struct counter {
	int seen, quit_at, code, out_of_order;
};

static void count_event(struct ykt_loop *loop, const struct ykt_event *ev, void *userdata)
{
	struct counter *c = userdata;

	if (ev->source != c->seen || ev->type != YKT_EV_CARD_PRESENT ||
	    ev->uid_len != (size_t)(ev->source % 11) || ev->uid[0] != (uint8_t)ev->source)
		c->out_of_order++;
	c->seen++;
	if (c->seen == c->quit_at)
		ykt_loop_quit(loop, c->code);
}

static void guard_fired(struct ykt_loop *loop, void *userdata)
{
	(void)userdata;
	ykt_loop_quit(loop, GUARD_CODE);
}

static struct ykt_event event_no(int i)
{
	struct ykt_event ev = { .type = YKT_EV_CARD_PRESENT, .source = i, .n_cards = 1 };

	ev.uid_len = (size_t)(i % 11);
	ev.uid[0] = (uint8_t)i;
	return ev;
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

#define N_THREAD_EVENTS 3000

static void *post_thread(void *arg)
{
	struct ykt_loop *loop = arg;

	for (int i = 0; i < N_THREAD_EVENTS; i++) {
		struct ykt_event ev = event_no(i);
		int r;

		while ((r = ykt_loop_post(loop, &ev)) == -ENOSPC)
			sched_yield(); /* the loop is behind: the queue is bounded */
		if (r < 0)
			return (void *)(intptr_t)r;
	}
	return NULL;
}

static void test_thread_order(void)
{
	struct counter c = { .quit_at = N_THREAD_EVENTS, .code = 42 };
	struct ykt_loop *loop = NULL;
	pthread_t th;
	void *thread_result = NULL;

	CHECK_INT(ykt_loop_new(count_event, &c, &loop), 0);
	if (!loop)
		return;
	CHECK(ykt_loop_add_timer(loop, 4000, guard_fired, NULL) >= 0, "guard timer");
	CHECK_INT(pthread_create(&th, NULL, post_thread, loop), 0);
	CHECK_INT(ykt_loop_run(loop), 42);
	pthread_join(th, &thread_result);
	CHECK(thread_result == NULL, "post failed: %d", (int)(intptr_t)thread_result);
	CHECK_INT(c.seen, N_THREAD_EVENTS);
	CHECK_INT(c.out_of_order, 0);
	ykt_loop_free(loop);
}

static void test_quit_code(void)
{
	struct counter c = { .quit_at = 1, .code = 7 };
	struct ykt_loop *loop = NULL;
	struct ykt_event ev = event_no(0);

	CHECK_INT(ykt_loop_new(count_event, &c, &loop), 0);
	if (!loop)
		return;
	CHECK(ykt_loop_add_timer(loop, 2000, guard_fired, NULL) >= 0, "guard timer");
	CHECK_INT(ykt_loop_post(loop, &ev), 0);
	CHECK_INT(ykt_loop_run(loop), 7);
	CHECK_INT(c.seen, 1);
	ykt_loop_free(loop);
	ykt_loop_free(NULL);
}

/* Events queued behind the one that quit are not lost: the next run gets
 * them. */
static void test_events_after_quit(void)
{
	struct counter c = { .quit_at = 1, .code = 1 };
	struct ykt_loop *loop = NULL;

	CHECK_INT(ykt_loop_new(count_event, &c, &loop), 0);
	if (!loop)
		return;
	CHECK(ykt_loop_add_timer(loop, 500, guard_fired, NULL) >= 0, "guard timer");
	for (int i = 0; i < 3; i++) {
		struct ykt_event ev = event_no(i);

		CHECK_INT(ykt_loop_post(loop, &ev), 0);
	}
	CHECK_INT(ykt_loop_run(loop), 1);
	CHECK_INT(c.seen, 1);
	c.quit_at = 3;
	c.code = 3;
	CHECK(ykt_loop_run(loop) == 3, "second run did not get the 2 queued events (seen %d)",
	      c.seen);
	CHECK_INT(c.seen, 3);
	CHECK_INT(c.out_of_order, 0);
	ykt_loop_free(loop);
}

struct ticks {
	int n;
	int64_t first_ms, last_ms;
};

static void tick(struct ykt_loop *loop, void *userdata)
{
	struct ticks *t = userdata;

	t->last_ms = mono_ms();
	if (++t->n == 3)
		ykt_loop_quit(loop, 5);
}

static void test_timer(void)
{
	struct counter c = { 0 };
	struct ticks t = { 0 };
	struct ykt_loop *loop = NULL;
	int64_t start;

	CHECK_INT(ykt_loop_new(count_event, &c, &loop), 0);
	if (!loop)
		return;
	CHECK_INT(ykt_loop_add_timer(loop, 0, tick, &t), -EINVAL);
	CHECK_INT(ykt_loop_add_timer(loop, -5, tick, &t), -EINVAL);
	CHECK(ykt_loop_add_timer(loop, 2000, guard_fired, NULL) >= 0, "guard timer");
	CHECK(ykt_loop_add_timer(loop, 20, tick, &t) >= 0, "timer");
	start = mono_ms();
	CHECK_INT(ykt_loop_run(loop), 5);
	CHECK_INT(t.n, 3);
	CHECK(t.last_ms - start >= 55, "3 ticks of 20 ms after %lld ms",
	      (long long)(t.last_ms - start));
	CHECK_INT(c.seen, 0);
	ykt_loop_free(loop);
}

static void on_readable(struct ykt_loop *loop, int fd, uint32_t events, void *userdata)
{
	char byte;
	int *got = userdata;

	if (read(fd, &byte, 1) == 1)
		*got = byte;
	ykt_loop_quit(loop, (int)events);
}

static void test_fd(void)
{
	struct counter c = { 0 };
	struct ykt_loop *loop = NULL;
	int fds[2], got = 0;

	CHECK_INT(ykt_loop_new(count_event, &c, &loop), 0);
	if (!loop || pipe(fds) < 0)
		return;
	CHECK(ykt_loop_add_timer(loop, 2000, guard_fired, NULL) >= 0, "guard timer");
	CHECK_INT(ykt_loop_add_fd(loop, fds[0], EPOLLIN, on_readable, &got), 0);
	CHECK_INT(write(fds[1], "x", 1), 1);
	CHECK_INT(ykt_loop_run(loop), EPOLLIN);
	CHECK_INT(got, 'x');
	CHECK_INT(ykt_loop_remove_fd(loop, fds[0]), 0);
	CHECK_INT(ykt_loop_remove_fd(loop, fds[0]), -ENOENT);
	CHECK_INT(ykt_loop_remove_fd(loop, 12345), -ENOENT);
	ykt_loop_free(loop);
	close(fds[0]); /* the caller's fd: the loop did not close it */
	CHECK_INT(close(fds[1]), 0);
}

static void test_signal(int sig)
{
	struct counter c = { 0 };
	struct ykt_loop *loop = NULL;

	CHECK_INT(ykt_loop_new(count_event, &c, &loop), 0);
	if (!loop)
		return;
	CHECK(ykt_loop_add_timer(loop, 2000, guard_fired, NULL) >= 0, "guard timer");
	/* blocked by ykt_loop_new, so it waits for the signalfd instead of
	 * killing the test */
	CHECK_INT(raise(sig), 0);
	CHECK(ykt_loop_run(loop) == 0, "signal %d did not end the loop with 0", sig);
	ykt_loop_free(loop);
}

/* Each event posts the next one, as the simulated field does through a
 * long script: a termination signal must still end the loop. */
static void post_next(struct ykt_loop *loop, const struct ykt_event *ev, void *userdata)
{
	struct counter *c = userdata;
	struct ykt_event next = event_no(0);

	if (++c->seen == 100000)
		ykt_loop_quit(loop, GUARD_CODE); /* the signal was never seen */
	else
		ykt_loop_post(loop, &next);
}

static void test_signal_while_busy(void)
{
	struct counter c = { 0 };
	struct ykt_loop *loop = NULL;
	struct ykt_event ev = event_no(0);

	CHECK_INT(ykt_loop_new(post_next, &c, &loop), 0);
	if (!loop)
		return;
	CHECK_INT(ykt_loop_post(loop, &ev), 0);
	CHECK_INT(raise(SIGTERM), 0);
	CHECK_INT(ykt_loop_run(loop), 0);
	CHECK(c.seen < 100, "%d events handled before the signal", c.seen);
	ykt_loop_free(loop);
}

static void test_queue_full(void)
{
	struct counter c = { .quit_at = 256, .code = 0 };
	struct ykt_loop *loop = NULL;
	struct ykt_event ev;

	CHECK_INT(ykt_loop_new(count_event, &c, &loop), 0);
	if (!loop)
		return;
	CHECK(ykt_loop_add_timer(loop, 2000, guard_fired, NULL) >= 0, "guard timer");
	for (int i = 0; i < 256; i++) {
		ev = event_no(i);
		CHECK(ykt_loop_post(loop, &ev) == 0, "post %d", i);
	}
	ev = event_no(256);
	CHECK_INT(ykt_loop_post(loop, &ev), -ENOSPC);
	CHECK_INT(ykt_loop_post(loop, &ev), -ENOSPC);
	CHECK_INT(ykt_loop_run(loop), 0);
	CHECK_INT(c.seen, 256);
	CHECK_INT(c.out_of_order, 0);
	/* room again once drained */
	CHECK_INT(ykt_loop_post(loop, &ev), 0);
	ykt_loop_free(loop);
}

int main(void)
{
	test_thread_order();
	test_quit_code();
	test_events_after_quit();
	test_timer();
	test_fd();
	test_signal(SIGTERM);
	test_signal(SIGINT);
	test_signal_while_busy();
	test_queue_full();
	return check_result();
}
