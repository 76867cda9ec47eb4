/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The stop source core (stop.h) and its sim: driver: the latest reading
 * under a lock, shared by the driver's thread and the reader loop.
 */
#include "stop.h"

#include "uri.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const struct ykt_stop_ops ykt_stop_sim_ops;
extern const struct ykt_stop_ops ykt_stop_keys_ops;
extern const struct ykt_stop_ops ykt_stop_nmea_ops;

static const void *const stop_drivers[] = {
	&ykt_stop_sim_ops,
	&ykt_stop_keys_ops,
	&ykt_stop_nmea_ops,
	NULL,
};
#define N_STOP_DRIVERS (sizeof(stop_drivers) / sizeof(stop_drivers[0]) - 1)

struct ykt_stop {
	const struct ykt_stop_ops *ops;
	pthread_mutex_t lock;
	bool has_reading;
	struct ykt_stop_reading reading;
	char *errbuf;
	size_t errbuf_len;
	_Alignas(max_align_t) unsigned char priv[];
};

int ykt_stop_scheme_known(const char *uri)
{
	const char *args;

	return ykt_uri_lookup(uri, stop_drivers, N_STOP_DRIVERS, &args) >= 0;
}

const char *ykt_stop_schemes(void)
{
	static char list[64];

	ykt_uri_schemes(stop_drivers, N_STOP_DRIVERS, list, sizeof(list));
	return list;
}

int ykt_stop_open(const char *uri, struct ykt_stop **ret, char *errbuf, size_t errbuf_len)
{
	const struct ykt_stop_ops *ops;
	struct ykt_stop *s;
	const char *args;
	int i = ykt_uri_lookup(uri, stop_drivers, N_STOP_DRIVERS, &args);

	if (i < 0) {
		if (errbuf)
			snprintf(errbuf, errbuf_len,
				 "unknown stop source '%s' (this build has: %s)", uri,
				 ykt_stop_schemes());
		return -ENOENT;
	}
	ops = stop_drivers[i];
	s = calloc(1, sizeof(*s) + ops->priv_size);
	if (!s)
		return -ENOMEM;
	s->ops = ops;
	pthread_mutex_init(&s->lock, NULL);
	s->errbuf = errbuf;
	s->errbuf_len = errbuf_len;
	i = ops->open(s, args);
	s->errbuf = NULL;
	if (i < 0) {
		pthread_mutex_destroy(&s->lock);
		free(s);
		return i;
	}
	*ret = s;
	return 0;
}

void ykt_stop_free(struct ykt_stop *s)
{
	if (!s)
		return;
	s->ops->close(s);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

int ykt_stop_read(struct ykt_stop *s, struct ykt_stop_reading *ret)
{
	int r = -ENODATA;

	pthread_mutex_lock(&s->lock);
	if (s->has_reading) {
		*ret = s->reading;
		r = 0;
	}
	pthread_mutex_unlock(&s->lock);
	return r;
}

void ykt_stop_publish(struct ykt_stop *s, const struct ykt_stop_reading *r)
{
	uint64_t serial;

	pthread_mutex_lock(&s->lock);
	serial = s->has_reading ? s->reading.serial + 1 : 1;
	s->reading = *r;
	s->reading.serial = serial;
	s->has_reading = true;
	pthread_mutex_unlock(&s->lock);
}

void *ykt_stop_priv(struct ykt_stop *s)
{
	return s->priv;
}

void ykt_stop_set_error(struct ykt_stop *s, const char *fmt, ...)
{
	va_list ap;

	if (!s->errbuf)
		return;
	va_start(ap, fmt);
	vsnprintf(s->errbuf, s->errbuf_len, fmt, ap);
	va_end(ap);
}

/* ---- sim: the tap script says where the bus is ---- */

static int parse_code(const char *text, uint16_t *ret)
{
	unsigned long v;
	char *end;

	if (strlen(text) != 4)
		return -EINVAL;
	errno = 0;
	v = strtoul(text, &end, 16);
	if (errno || *end || v > 0xFFFF)
		return -EINVAL;
	*ret = (uint16_t)v;
	return 0;
}

static int sim_open(struct ykt_stop *s, const char *args)
{
	uint16_t code;

	if (!*args)
		return 0;
	if (parse_code(args, &code) < 0) {
		ykt_stop_set_error(s, "sim:%s: a stop code is 4 hex digits", args);
		return -EINVAL;
	}
	return ykt_stop_sim_set(s, code);
}

static void sim_close(struct ykt_stop *s)
{
}

const struct ykt_stop_ops ykt_stop_sim_ops = {
	.scheme = "sim",
	.open = sim_open,
	.close = sim_close,
};

int ykt_stop_sim_set(struct ykt_stop *s, uint16_t code)
{
	struct ykt_stop_reading r = { .kind = YKT_STOP_CODE, .code = code };

	if (!s || s->ops != &ykt_stop_sim_ops)
		return -EOPNOTSUPP;
	ykt_stop_publish(s, &r);
	return 0;
}

bool ykt_stop_is_sim(const struct ykt_stop *s)
{
	return s && s->ops == &ykt_stop_sim_ops;
}
