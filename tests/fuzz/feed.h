/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The fuzz input as a run of answers, each one length byte then that many
 * bytes (fewer when the input ends early): what a card or PSAM says to the
 * validator, one exchange after another.
 */
#ifndef YKT_FUZZ_FEED_H
#define YKT_FUZZ_FEED_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct feed {
	const uint8_t *p;
	size_t n;
};

/* Copy the next answer into out (capacity cap); -1 when the input is used up. */
static inline int feed_next(struct feed *f, uint8_t *out, size_t cap, size_t *ret_len)
{
	size_t len;

	if (f->n == 0)
		return -1;
	len = f->p[0];
	f->p++, f->n--;
	if (len > f->n)
		len = f->n;
	if (len > cap)
		len = cap;
	memcpy(out, f->p, len);
	f->p += len, f->n -= len;
	*ret_len = len;
	return 0;
}

#endif
