/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Request bodies: a bounded growable buffer, and gzip (zlib) for the
 * batches.  JSON records compress about tenfold, which is what a 4G link
 * on the road pays for.
 */
#include "uplink_private.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static int buf_reserve(struct uplink_buf *b, size_t need)
{
	size_t cap = b->cap ? b->cap : 4096;
	char *p;

	if (need <= b->cap)
		return 0;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	p = realloc(b->p, cap);
	if (!p)
		return -ENOMEM;
	b->p = p;
	b->cap = cap;
	return 0;
}

int uplink_buf_append(struct uplink_buf *b, const void *data, size_t n)
{
	if (n > b->max - b->len)
		return -ENOSPC;
	if (buf_reserve(b, b->len + n + 1) < 0)
		return -ENOMEM;
	memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

int uplink_buf_appendf(struct uplink_buf *b, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return -EINVAL;
	return uplink_buf_append(b, tmp, (size_t)n);
}

void uplink_buf_free(struct uplink_buf *b)
{
	free(b->p);
	*b = (struct uplink_buf){ .max = b->max };
}

int uplink_gzip(const void *in, size_t len, int level, struct uplink_buf *out)
{
	z_stream z = { 0 };
	int rc;

	if (len > UINT32_MAX)
		return -EINVAL;
	/* windowBits 15 + 16: a gzip header and trailer, not a zlib one */
	if (deflateInit2(&z, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -ENOMEM;
	out->len = 0;
	if (buf_reserve(out, deflateBound(&z, (uLong)len) + 1) < 0) {
		deflateEnd(&z);
		return -ENOMEM;
	}
	z.next_in = (Bytef *)in;
	z.avail_in = (uInt)len;
	z.next_out = (Bytef *)out->p;
	z.avail_out = (uInt)(out->cap - 1);
	rc = deflate(&z, Z_FINISH);
	out->len = z.total_out;
	deflateEnd(&z);
	return rc == Z_STREAM_END ? 0 : -EIO;
}
