/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "reader.h"

#include "uri.h"
#include "ykt_config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#if YKT_WITH_SIM
extern const struct ykt_reader_ops ykt_reader_sim_ops;
extern const struct ykt_reader_ops ykt_reader_remote_ops;
#endif
#if YKT_WITH_LIBNFC
extern const struct ykt_reader_ops ykt_reader_libnfc_ops;
#endif
#if YKT_WITH_PCSC
extern const struct ykt_reader_ops ykt_reader_pcsc_ops;
#endif

static const void *const reader_drivers[] = {
#if YKT_WITH_SIM
	&ykt_reader_sim_ops,
	&ykt_reader_remote_ops,
#endif
#if YKT_WITH_LIBNFC
	&ykt_reader_libnfc_ops,
#endif
#if YKT_WITH_PCSC
	&ykt_reader_pcsc_ops,
#endif
	NULL,
};
#define N_READER_DRIVERS (sizeof(reader_drivers) / sizeof(reader_drivers[0]) - 1)

struct ykt_reader {
	const struct ykt_reader_ops *ops;
	struct ykt_reader_env env;
	char *errbuf;
	size_t errbuf_len;
	_Alignas(max_align_t) unsigned char priv[];
};

int ykt_reader_scheme_known(const char *uri)
{
	const char *args;

	return ykt_uri_lookup(uri, reader_drivers, N_READER_DRIVERS, &args) >= 0;
}

const char *ykt_reader_schemes(void)
{
	static char list[128];

	ykt_uri_schemes(reader_drivers, N_READER_DRIVERS, list, sizeof(list));
	return list;
}

int ykt_reader_open(const char *uri, const struct ykt_reader_env *env,
		    struct ykt_reader **ret_reader, char *errbuf, size_t errbuf_len)
{
	const struct ykt_reader_ops *ops;
	struct ykt_reader *r;
	const char *args;
	int i = ykt_uri_lookup(uri, reader_drivers, N_READER_DRIVERS, &args);

	if (i < 0) {
		if (errbuf)
			snprintf(errbuf, errbuf_len,
				 "unknown reader driver in '%s' (this build has: %s)", uri,
				 ykt_reader_schemes());
		return -ENOENT;
	}
	ops = reader_drivers[i];
	r = calloc(1, sizeof(*r) + ops->priv_size);
	if (!r)
		return -ENOMEM;
	r->ops = ops;
	r->env = *env;
	r->errbuf = errbuf;
	r->errbuf_len = errbuf_len;
	i = ops->open(r, args);
	r->errbuf = NULL;
	if (i < 0) {
		free(r);
		return i;
	}
	*ret_reader = r;
	return 0;
}

void ykt_reader_free(struct ykt_reader *r)
{
	if (!r)
		return;
	r->ops->close(r);
	free(r);
}

int ykt_reader_start(struct ykt_reader *r)
{
	return r->ops->start ? r->ops->start(r) : -EOPNOTSUPP;
}

int ykt_reader_transceive(struct ykt_reader *r, const uint8_t *capdu, size_t capdu_len,
			  uint8_t *rapdu, size_t rapdu_cap, size_t *ret_rapdu_len)
{
	return r->ops->transceive
		   ? r->ops->transceive(r, capdu, capdu_len, rapdu, rapdu_cap, ret_rapdu_len)
		   : -EOPNOTSUPP;
}

int ykt_reader_done(struct ykt_reader *r)
{
	return r->ops->done ? r->ops->done(r) : -EOPNOTSUPP;
}

int ykt_reader_link_ns(struct ykt_reader *r, uint64_t *ret_ns)
{
	if (!r->ops->link_ns)
		return -EOPNOTSUPP;
	*ret_ns = r->ops->link_ns(r);
	return 0;
}

void *ykt_reader_priv(struct ykt_reader *r)
{
	return r->priv;
}

const struct ykt_reader_ops *ykt_reader_ops_of(const struct ykt_reader *r)
{
	return r->ops;
}

const struct ykt_reader_env *ykt_reader_env(struct ykt_reader *r)
{
	return &r->env;
}

void ykt_reader_set_error(struct ykt_reader *r, const char *fmt, ...)
{
	va_list ap;

	if (!r->errbuf)
		return;
	va_start(ap, fmt);
	vsnprintf(r->errbuf, r->errbuf_len, fmt, ap);
	va_end(ap);
}
