/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "clock.h"

#include "bytes.h"
#include "ykt_config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct ykt_clock_ops {
	const char *scheme;
	int (*open)(struct ykt_clock *c, const char *args);
	int64_t (*now_ms)(struct ykt_clock *c);
	int (*set_ms)(struct ykt_clock *c, int64_t unix_ms, int relative);
};

struct ykt_clock {
	const struct ykt_clock_ops *ops;
	pthread_mutex_t lock;
	int64_t sim_ms; /* sim: only */
	char *path;	/* file: only */
};

int64_t ykt_monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void ykt_sleep_ns(uint64_t ns)
{
	struct timespec until;
	int64_t end = ykt_monotonic_ns() + (int64_t)ns;

	until.tv_sec = end / 1000000000;
	until.tv_nsec = end % 1000000000;
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL) == EINTR)
		;
}

int ykt_parse_cst_iso(const char *text, int64_t *ret_unix_s)
{
	static const char pattern[] = "dddd-dd-ddTdd:dd:dd";
	struct ykt_cst t;
	uint8_t bcd[7];

	for (size_t i = 0; i < sizeof(pattern); i++) {
		char want = pattern[i], c = text[i];

		if (want == 'd' ? (c < '0' || c > '9') : c != want)
			return -EINVAL; /* also catches a short or a long text */
	}
	if (sscanf(text, "%4d-%2d-%2dT%2d:%2d:%2d", &t.year, &t.month, &t.day, &t.hour, &t.minute,
		   &t.second) != 6)
		return -EINVAL;
	/* validate through the BCD parser, which checks every field's range */
	ykt_cst_to_bcd7(&t, bcd);
	if (ykt_cst_from_bcd7(bcd, &t))
		return -EINVAL;
	*ret_unix_s = ykt_cst_to_unix(&t);
	return 0;
}

static int system_open(struct ykt_clock *c, const char *args)
{
	(void)c;
	return args[0] ? -EINVAL : 0;
}

static int64_t system_now_ms(struct ykt_clock *c)
{
	struct timespec ts;

	(void)c;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const struct ykt_clock_ops system_clock_ops = {
	.scheme = "system",
	.open = system_open,
	.now_ms = system_now_ms,
};

static int sim_open(struct ykt_clock *c, const char *args)
{
	int64_t start_s;

	if (ykt_parse_cst_iso(args, &start_s))
		return -EINVAL;
	c->sim_ms = start_s * 1000;
	return 0;
}

static int64_t sim_now_ms(struct ykt_clock *c)
{
	int64_t ms;

	pthread_mutex_lock(&c->lock);
	ms = c->sim_ms;
	pthread_mutex_unlock(&c->lock);
	return ms;
}

static int sim_set_ms(struct ykt_clock *c, int64_t ms, int relative)
{
	pthread_mutex_lock(&c->lock);
	c->sim_ms = relative ? c->sim_ms + ms : ms;
	pthread_mutex_unlock(&c->lock);
	return 0;
}

static const struct ykt_clock_ops sim_clock_ops = {
	.scheme = "sim",
	.open = sim_open,
	.now_ms = sim_now_ms,
	.set_ms = sim_set_ms,
};

#if YKT_WITH_SIM
/* file:PATH — test-only: the time is whatever Unix milliseconds (decimal
 * text) PATH holds when read. A hardware emulator in another process (the
 * PN532 emulator playing a tap script) writes it, so that the validator runs
 * under the same injected clock as with the in-process sim: field. A
 * missing or unreadable file reads as 0: a clock before the build date, so
 * the validator is out of service rather than recording a wrong time. */
static int file_open(struct ykt_clock *c, const char *args)
{
	if (!args[0])
		return -EINVAL;
	c->path = strdup(args);
	return c->path ? 0 : -ENOMEM;
}

static int64_t file_now_ms(struct ykt_clock *c)
{
	char buf[32], *end;
	long long ms;
	ssize_t n;
	int fd = open(c->path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	errno = 0;
	ms = strtoll(buf, &end, 10);
	if (errno || end == buf || (*end && *end != '\n') || ms < 0)
		return 0;
	return ms;
}

static const struct ykt_clock_ops file_clock_ops = {
	.scheme = "file",
	.open = file_open,
	.now_ms = file_now_ms,
};
#endif

static const struct ykt_clock_ops *const clock_backends[] = {
	&system_clock_ops,
	&sim_clock_ops,
#if YKT_WITH_SIM
	&file_clock_ops,
#endif
};

int ykt_clock_new(const char *uri, struct ykt_clock **ret_clock)
{
	const char *colon = strchr(uri, ':');
	size_t scheme_len = colon ? (size_t)(colon - uri) : strlen(uri);
	struct ykt_clock *c;
	int r;

	for (size_t i = 0; i < sizeof(clock_backends) / sizeof(clock_backends[0]); i++) {
		const struct ykt_clock_ops *ops = clock_backends[i];

		if (strlen(ops->scheme) != scheme_len || strncmp(ops->scheme, uri, scheme_len))
			continue;
		c = calloc(1, sizeof(*c));
		if (!c)
			return -ENOMEM;
		c->ops = ops;
		pthread_mutex_init(&c->lock, NULL);
		r = ops->open(c, colon ? colon + 1 : "");
		if (r < 0) {
			ykt_clock_free(c);
			return r;
		}
		*ret_clock = c;
		return 0;
	}
	return -ENOENT;
}

void ykt_clock_free(struct ykt_clock *clock)
{
	if (!clock)
		return;
	pthread_mutex_destroy(&clock->lock);
	free(clock->path);
	free(clock);
}

int64_t ykt_clock_now_ms(struct ykt_clock *clock)
{
	return clock->ops->now_ms(clock);
}

int ykt_clock_advance(struct ykt_clock *clock, int64_t delta_ms)
{
	return clock->ops->set_ms ? clock->ops->set_ms(clock, delta_ms, 1) : -EOPNOTSUPP;
}

int ykt_clock_set(struct ykt_clock *clock, int64_t unix_ms)
{
	return clock->ops->set_ms ? clock->ops->set_ms(clock, unix_ms, 0) : -EOPNOTSUPP;
}
