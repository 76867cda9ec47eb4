/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "tlv.h"

#include <errno.h>

int tlv_next(const uint8_t *buf, size_t len, size_t *pos, struct tlv *ret)
{
	size_t p = *pos, n;
	uint16_t tag;

	if (p >= len)
		return -ENODATA;
	tag = buf[p++];
	if ((tag & 0x1f) == 0x1f) { /* two-byte tag */
		if (p >= len || (buf[p] & 0x80))
			return -EBADMSG;
		tag = (uint16_t)(tag << 8 | buf[p++]);
	}
	if (p >= len)
		return -EBADMSG;
	n = buf[p++];
	if (n == 0x81) {
		if (p >= len)
			return -EBADMSG;
		n = buf[p++];
	} else if (n > 0x7f) {
		return -EBADMSG; /* nothing on a T-Union card is that long */
	}
	if (n > len - p)
		return -EBADMSG;
	*ret = (struct tlv){ .tag = tag, .value = buf + p, .len = n };
	*pos = p + n;
	return 0;
}

int tlv_find(const uint8_t *buf, size_t len, uint16_t tag, struct tlv *ret)
{
	struct tlv t;
	size_t pos = 0;
	int r;

	while ((r = tlv_next(buf, len, &pos, &t)) == 0) {
		if (t.tag == tag) {
			*ret = t;
			return 0;
		}
	}
	return r == -ENODATA ? -ENOENT : r;
}
