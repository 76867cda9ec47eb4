/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sim: outputs — a line is a value in memory; every change is kept in a
 * timeline (with the env clock's time, so a test that moves a sim: clock
 * gets exact times) and, with sim:PATH, appended to PATH as
 * "t_ms name value" lines for the demo. Any chip and offset are accepted.
 * It holds no keys and touches no hardware, so production builds keep it
 * too: a bench without wiring runs the same patterns.
 */
#include "gpio.h"
#include "gpio_sim.h"

#include "clock.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define SIM_GPIO_KEEP 4096

struct gpio_sim {
	pthread_mutex_t lock;
	int64_t start_ns;
	FILE *log;
	size_t n_events; /* all changes; the first SIM_GPIO_KEEP are kept */
	struct ykt_gpio_sim_event events[SIM_GPIO_KEEP];
};

const struct ykt_gpio_ops ykt_gpio_sim_ops;

static struct gpio_sim *sim_of(struct ykt_gpio *g)
{
	return ykt_gpio_ops_of(g) == &ykt_gpio_sim_ops ? ykt_gpio_priv(g) : NULL;
}

static int sim_open(struct ykt_gpio *g, const char *args)
{
	struct gpio_sim *s = ykt_gpio_priv(g);

	pthread_mutex_init(&s->lock, NULL);
	s->start_ns = ykt_monotonic_ns();
	if (args[0]) {
		s->log = fopen(args, "ae");
		if (!s->log) {
			int err = errno;

			ykt_gpio_set_error(g, "sim: output log %s: %s", args, strerror(err));
			pthread_mutex_destroy(&s->lock);
			return -err;
		}
	}
	return 0;
}

static void sim_close(struct ykt_gpio *g)
{
	struct gpio_sim *s = ykt_gpio_priv(g);

	for (int i = 0; i < ykt_gpio_line_count(g); i++)
		if (ykt_gpio_get(g, i) != 0)
			ykt_gpio_set(g, i, 0);
	if (s->log)
		fclose(s->log);
	pthread_mutex_destroy(&s->lock);
}

static int sim_request(struct ykt_gpio *g, int line, const struct ykt_gpio_line_spec *spec)
{
	return 0;
}

static int64_t sim_now_ms(struct ykt_gpio *g, const struct gpio_sim *s)
{
	struct ykt_clock *clock = ykt_gpio_env(g)->clock;

	if (clock)
		return ykt_clock_now_ms(clock);
	return (ykt_monotonic_ns() - s->start_ns) / 1000000;
}

static int sim_set(struct ykt_gpio *g, int line, int value)
{
	struct gpio_sim *s = ykt_gpio_priv(g);
	int64_t t = sim_now_ms(g, s);

	pthread_mutex_lock(&s->lock);
	if (s->n_events < SIM_GPIO_KEEP)
		s->events[s->n_events] = (struct ykt_gpio_sim_event){ t, line, value };
	s->n_events++;
	if (s->log) {
		fprintf(s->log, "%lld %s %d\n", (long long)t, ykt_gpio_line_name(g, line), value);
		fflush(s->log);
	}
	pthread_mutex_unlock(&s->lock);
	return 0;
}

int ykt_gpio_sim_timeline(struct ykt_gpio *g, struct ykt_gpio_sim_event *out, size_t cap)
{
	struct gpio_sim *s = sim_of(g);
	size_t n;

	if (!s)
		return -EINVAL;
	pthread_mutex_lock(&s->lock);
	n = s->n_events < SIM_GPIO_KEEP ? s->n_events : SIM_GPIO_KEEP;
	memcpy(out, s->events, (n < cap ? n : cap) * sizeof(*out));
	n = s->n_events;
	pthread_mutex_unlock(&s->lock);
	return n > INT32_MAX ? INT32_MAX : (int)n;
}

int ykt_gpio_sim_clear(struct ykt_gpio *g)
{
	struct gpio_sim *s = sim_of(g);

	if (!s)
		return -EINVAL;
	pthread_mutex_lock(&s->lock);
	s->n_events = 0;
	pthread_mutex_unlock(&s->lock);
	return 0;
}

const struct ykt_gpio_ops ykt_gpio_sim_ops = {
	.scheme = "sim",
	.priv_size = sizeof(struct gpio_sim),
	.open = sim_open,
	.close = sim_close,
	.request = sim_request,
	.set = sim_set,
};
