/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "sam.h"

#include "uri.h"
#include "ykt_config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#if YKT_WITH_SIM
extern const struct ykt_sam_ops ykt_sam_sim_ops;
extern const struct ykt_sam_ops ykt_sam_remote_ops;
#endif
#if YKT_WITH_PCSC
extern const struct ykt_sam_ops ykt_sam_pcsc_ops;
#endif

static const void *const sam_drivers[] = {
#if YKT_WITH_SIM
	&ykt_sam_sim_ops,
	&ykt_sam_remote_ops,
#endif
#if YKT_WITH_PCSC
	&ykt_sam_pcsc_ops,
#endif
	NULL,
};
#define N_SAM_DRIVERS (sizeof(sam_drivers) / sizeof(sam_drivers[0]) - 1)

struct ykt_sam {
	const struct ykt_sam_ops *ops;
	struct ykt_sam_env env;
	char *errbuf;
	size_t errbuf_len;
	_Alignas(max_align_t) unsigned char priv[];
};

int ykt_sam_scheme_known(const char *uri)
{
	const char *args;

	return ykt_uri_lookup(uri, sam_drivers, N_SAM_DRIVERS, &args) >= 0;
}

const char *ykt_sam_schemes(void)
{
	static char list[128];

	ykt_uri_schemes(sam_drivers, N_SAM_DRIVERS, list, sizeof(list));
	return list;
}

int ykt_sam_open(const char *uri, const struct ykt_sam_env *env, struct ykt_sam **ret_sam,
		 char *errbuf, size_t errbuf_len)
{
	const struct ykt_sam_ops *ops;
	struct ykt_sam *s;
	const char *args;
	int i = ykt_uri_lookup(uri, sam_drivers, N_SAM_DRIVERS, &args);

	if (i < 0) {
		if (errbuf)
			snprintf(errbuf, errbuf_len,
				 "unknown SAM driver in '%s' (this build has: %s)", uri,
				 ykt_sam_schemes());
		return -ENOENT;
	}
	ops = sam_drivers[i];
	s = calloc(1, sizeof(*s) + ops->priv_size);
	if (!s)
		return -ENOMEM;
	s->ops = ops;
	s->env = *env;
	s->errbuf = errbuf;
	s->errbuf_len = errbuf_len;
	i = ops->open(s, args);
	s->errbuf = NULL;
	if (i < 0) {
		free(s);
		return i;
	}
	*ret_sam = s;
	return 0;
}

void ykt_sam_free(struct ykt_sam *s)
{
	if (!s)
		return;
	s->ops->close(s);
	free(s);
}

int ykt_sam_reset(struct ykt_sam *s, uint8_t *atr, size_t atr_cap, size_t *ret_atr_len)
{
	return s->ops->reset ? s->ops->reset(s, atr, atr_cap, ret_atr_len) : -EOPNOTSUPP;
}

int ykt_sam_transmit(struct ykt_sam *s, const uint8_t *capdu, size_t capdu_len, uint8_t *rapdu,
		     size_t rapdu_cap, size_t *ret_rapdu_len)
{
	return s->ops->transmit
		   ? s->ops->transmit(s, capdu, capdu_len, rapdu, rapdu_cap, ret_rapdu_len)
		   : -EOPNOTSUPP;
}

int ykt_sam_link_ns(struct ykt_sam *s, uint64_t *ret_ns)
{
	if (!s->ops->link_ns)
		return -EOPNOTSUPP;
	*ret_ns = s->ops->link_ns(s);
	return 0;
}

int ykt_sam_start(struct ykt_sam *s)
{
	return s->ops->start ? s->ops->start(s) : -EOPNOTSUPP;
}

int ykt_sam_presence(struct ykt_sam *s, uint32_t *ret_insertions)
{
	return s->ops->presence ? s->ops->presence(s, ret_insertions) : -EOPNOTSUPP;
}

const struct ykt_sam_env *ykt_sam_env(struct ykt_sam *s)
{
	return &s->env;
}

void *ykt_sam_priv(struct ykt_sam *s)
{
	return s->priv;
}

const struct ykt_sam_ops *ykt_sam_ops_of(const struct ykt_sam *s)
{
	return s->ops;
}

void ykt_sam_set_error(struct ykt_sam *s, const char *fmt, ...)
{
	va_list ap;

	if (!s->errbuf)
		return;
	va_start(ap, fmt);
	vsnprintf(s->errbuf, s->errbuf_len, fmt, ap);
	va_end(ap);
}
