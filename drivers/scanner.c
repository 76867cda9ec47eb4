/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "scanner.h"

#include "loop.h"
#include "uri.h"
#include "ykt_config.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const struct ykt_scanner_ops ykt_scanner_serial_ops;
#if YKT_WITH_SIM
extern const struct ykt_scanner_ops ykt_scanner_sim_ops;
#endif

static const void *const scanner_drivers[] = {
	&ykt_scanner_serial_ops,
#if YKT_WITH_SIM
	&ykt_scanner_sim_ops,
#endif
	NULL,
};
#define N_SCANNER_DRIVERS (sizeof(scanner_drivers) / sizeof(scanner_drivers[0]) - 1)

/* Scans waiting for the loop: a passenger shows one code at a time, so a
 * few are plenty; more would mean the validator is stuck. */
#define SCAN_QUEUE_LEN 4

struct scan_slot {
	uint8_t code[YKT_SCAN_MAX];
	size_t len;
};

struct ykt_scanner {
	const struct ykt_scanner_ops *ops;
	struct ykt_scanner_env env;
	char *errbuf;
	size_t errbuf_len;

	pthread_mutex_t lock; /* the queue: driver threads and the loop thread */
	struct scan_slot queue[SCAN_QUEUE_LEN];
	size_t head, count;
	uint64_t dropped;

	_Alignas(max_align_t) unsigned char priv[];
};

int ykt_scanner_scheme_known(const char *uri)
{
	const char *args;

	return ykt_uri_lookup(uri, scanner_drivers, N_SCANNER_DRIVERS, &args) >= 0;
}

const char *ykt_scanner_schemes(void)
{
	static char list[128];

	ykt_uri_schemes(scanner_drivers, N_SCANNER_DRIVERS, list, sizeof(list));
	return list;
}

int ykt_scanner_open(const char *uri, const struct ykt_scanner_env *env,
		     struct ykt_scanner **ret_scanner, char *errbuf, size_t errbuf_len)
{
	const struct ykt_scanner_ops *ops;
	struct ykt_scanner *s;
	const char *args;
	int i = ykt_uri_lookup(uri, scanner_drivers, N_SCANNER_DRIVERS, &args);

	if (i < 0) {
		if (errbuf)
			snprintf(errbuf, errbuf_len,
				 "unknown scanner driver in '%s' (this build has: %s)", uri,
				 ykt_scanner_schemes());
		return -ENOENT;
	}
	ops = scanner_drivers[i];
	s = calloc(1, sizeof(*s) + ops->priv_size);
	if (!s)
		return -ENOMEM;
	s->ops = ops;
	s->env = *env;
	s->errbuf = errbuf;
	s->errbuf_len = errbuf_len;
	pthread_mutex_init(&s->lock, NULL);
	i = ops->open(s, args);
	s->errbuf = NULL;
	if (i < 0) {
		pthread_mutex_destroy(&s->lock);
		free(s);
		return i;
	}
	*ret_scanner = s;
	return 0;
}

void ykt_scanner_free(struct ykt_scanner *s)
{
	if (!s)
		return;
	s->ops->close(s);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

int ykt_scanner_start(struct ykt_scanner *s)
{
	return s->ops->start ? s->ops->start(s) : -EOPNOTSUPP;
}

int ykt_scanner_done(struct ykt_scanner *s)
{
	return s->ops->done ? s->ops->done(s) : -EOPNOTSUPP;
}

int ykt_scanner_deliver(struct ykt_scanner *s, const uint8_t *code, size_t len)
{
	struct ykt_event ev = { .type = YKT_EV_CODE_SCANNED, .source = s->env.source };
	struct scan_slot *slot;

	if (len > YKT_SCAN_MAX)
		return -E2BIG;
	pthread_mutex_lock(&s->lock);
	if (s->count == SCAN_QUEUE_LEN) {
		s->dropped++;
		pthread_mutex_unlock(&s->lock);
		return -ENOSPC;
	}
	slot = &s->queue[(s->head + s->count) % SCAN_QUEUE_LEN];
	if (len)
		memcpy(slot->code, code, len);
	slot->len = len;
	s->count++;
	pthread_mutex_unlock(&s->lock);
	/* one event per queued scan: the loop's queue (256) outlasts ours */
	return ykt_loop_post(s->env.loop, &ev);
}

int ykt_scanner_take(struct ykt_scanner *s, uint8_t *buf, size_t cap, size_t *ret_len)
{
	struct scan_slot *slot;
	int r = 0;

	if (cap < YKT_SCAN_MAX)
		return -ENOBUFS;
	pthread_mutex_lock(&s->lock);
	if (!s->count) {
		r = -EAGAIN;
	} else {
		slot = &s->queue[s->head];
		memcpy(buf, slot->code, slot->len);
		*ret_len = slot->len;
		s->head = (s->head + 1) % SCAN_QUEUE_LEN;
		s->count--;
	}
	pthread_mutex_unlock(&s->lock);
	return r;
}

uint64_t ykt_scanner_dropped(struct ykt_scanner *s)
{
	uint64_t n;

	pthread_mutex_lock(&s->lock);
	n = s->dropped;
	pthread_mutex_unlock(&s->lock);
	return n;
}

void *ykt_scanner_priv(struct ykt_scanner *s)
{
	return s->priv;
}

const struct ykt_scanner_env *ykt_scanner_env(struct ykt_scanner *s)
{
	return &s->env;
}

void ykt_scanner_set_error(struct ykt_scanner *s, const char *fmt, ...)
{
	va_list ap;

	if (!s->errbuf)
		return;
	va_start(ap, fmt);
	vsnprintf(s->errbuf, s->errbuf_len, fmt, ap);
	va_end(ap);
}
