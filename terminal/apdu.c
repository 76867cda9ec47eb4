/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "apdu.h"

#include <errno.h>
#include <string.h>

int apdu_encode(const struct apdu *a, uint8_t *out, size_t cap, size_t *ret_len)
{
	size_t n = 4;

	if (a->lc > APDU_MAX_DATA || (a->lc && !a->data) || a->le < -1 || a->le > 256)
		return -EINVAL;
	if (cap < 4 + (a->lc ? 1 + a->lc : 0) + (a->le >= 0 ? 1 : 0))
		return -ENOSPC;
	out[0] = a->cla;
	out[1] = a->ins;
	out[2] = a->p1;
	out[3] = a->p2;
	if (a->lc) {
		out[n++] = (uint8_t)a->lc;
		memcpy(out + n, a->data, a->lc);
		n += a->lc;
	}
	if (a->le >= 0)
		out[n++] = (uint8_t)(a->le & 0xff);
	*ret_len = n;
	return 0;
}

int rapdu_parse(const uint8_t *raw, size_t len, struct rapdu *ret)
{
	if (len < 2 || len > APDU_MAX_RESP)
		return -EBADMSG;
	ret->len = len - 2;
	memcpy(ret->data, raw, ret->len);
	ret->sw = (uint16_t)(raw[len - 2] << 8 | raw[len - 1]);
	return 0;
}

static const struct {
	uint16_t sw;
	const char *text;
} sw_texts[] = {
	{ SW_OK, "OK" },
	{ SW_WRONG_LENGTH, "wrong length" },
	{ SW_FILE_INVALIDATED, "application blocked" },
	{ SW_FCI_FORMAT, "FCI format error" },
	{ SW_STATE_NOT_MATCHED, "command out of sequence" },
	{ SW_SECURITY_STATUS, "security status not satisfied" },
	{ SW_CONDITIONS, "conditions of use not satisfied" },
	{ SW_FUNC_NOT_SUPPORTED, "function not supported or application locked" },
	{ SW_FILE_NOT_FOUND, "file not found" },
	{ SW_RECORD_NOT_FOUND, "record not found" },
	{ SW_WRONG_P1P2, "wrong P1 P2" },
	{ SW_MAC_INVALID, "MAC invalid" },
	{ SW_APP_LOCKED, "application permanently locked" },
	{ SW_INSUFFICIENT, "insufficient balance" },
	{ SW_ATC_MAX, "transaction counter at maximum" },
	{ SW_KEY_INDEX, "key index not supported" },
	{ SW_NO_MAC, "no proof for that transaction" },
};

const char *apdu_sw_text(uint16_t sw)
{
	for (size_t i = 0; i < sizeof(sw_texts) / sizeof(sw_texts[0]); i++)
		if (sw_texts[i].sw == sw)
			return sw_texts[i].text;
	return "unexpected status";
}
