/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "uri.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int ykt_uri_match(const char *uri, const char *scheme, const char **ret_args)
{
	size_t n = strlen(scheme);

	if (strncmp(uri, scheme, n) != 0 || uri[n] != ':')
		return 0;
	*ret_args = uri + n + 1;
	return 1;
}

int ykt_uri_lookup(const char *uri, const void *const *tables, size_t n, const char **ret_args)
{
	for (size_t i = 0; i < n; i++) {
		const char *const *scheme = tables[i];

		if (ykt_uri_match(uri, *scheme, ret_args))
			return (int)i;
	}
	return -ENOENT;
}

void ykt_uri_schemes(const void *const *tables, size_t n, char *out, size_t out_len)
{
	size_t used = 0;

	out[0] = '\0';
	for (size_t i = 0; i < n && used < out_len; i++) {
		const char *const *scheme = tables[i];
		int w = snprintf(out + used, out_len - used, "%s%s", i ? ", " : "", *scheme);

		if (w < 0)
			break;
		used += (size_t)w;
	}
	if (n == 0)
		snprintf(out, out_len, "none");
}
