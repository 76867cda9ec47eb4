/* SPDX-License-Identifier: GPL-2.0-or-later */
/* BER-TLV as cards use it in FCIs: tags of 1-2 bytes, lengths of 1-2 bytes. */
#ifndef YKT_TLV_H
#define YKT_TLV_H

#include <stddef.h>
#include <stdint.h>

struct tlv {
	uint16_t tag;
	const uint8_t *value;
	size_t len;
};

/* Read the TLV at *pos in buf[0..len); advance *pos past it.
 * 0 on success, -ENODATA at the end, -EBADMSG when malformed or overrunning. */
int tlv_next(const uint8_t *buf, size_t len, size_t *pos, struct tlv *ret);

/* First TLV with tag at this level. -ENOENT if absent, -EBADMSG if malformed. */
int tlv_find(const uint8_t *buf, size_t len, uint16_t tag, struct tlv *ret);

#endif
