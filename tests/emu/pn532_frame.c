/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "pn532_frame.h"

#include <string.h>

const uint8_t pn532_ack_frame[6] = { 0x00, 0x00, 0xFF, 0x00, 0xFF, 0x00 };
const uint8_t pn532_error_frame[8] = { 0x00, 0x00, 0xFF, 0x01, 0xFF, 0x7F, 0x81, 0x00 };

enum {
	RX_SYNC,   /* looking for 00 */
	RX_START,  /* had 00, want FF */
	RX_LEN,	   /* LEN, or 00 (ACK) / FF (NACK or extended) */
	RX_LCS,	   /* normal frame: LCS */
	RX_ACK,	   /* 00 00 FF 00: want FF */
	RX_FF,	   /* 00 00 FF FF: 00 is a NACK, FF an extended frame */
	RX_XLEN_M, /* extended: LENM */
	RX_XLEN_L,
	RX_XLCS,
	RX_DATA,
	RX_DCS,
};

void pn532_rx_reset(struct pn532_rx *rx)
{
	memset(rx, 0, sizeof(*rx));
	rx->state = RX_SYNC;
}

/* A frame length is known: data follows, or the frame is bad. */
static enum pn532_rx_event rx_length(struct pn532_rx *rx, size_t len)
{
	if (len < 2 || len > PN532_FRAME_DATA_MAX) {
		rx->state = RX_SYNC; /* TFI and a command code at least */
		return PN532_RX_BAD;
	}
	rx->need = len;
	rx->len = 0;
	rx->sum = 0;
	rx->state = RX_DATA;
	return PN532_RX_MORE;
}

static enum pn532_rx_event rx_header(struct pn532_rx *rx, uint8_t b)
{
	switch (rx->state) {
	case RX_LEN:
		rx->lenm = b;
		rx->state = b == 0x00 ? RX_ACK : b == 0xFF ? RX_FF : RX_LCS;
		return PN532_RX_MORE;
	case RX_LCS:
		if ((uint8_t)(rx->lenm + b) != 0) {
			rx->state = RX_SYNC;
			return PN532_RX_BAD;
		}
		return rx_length(rx, rx->lenm);
	case RX_ACK:
		rx->state = RX_SYNC;
		return b == 0xFF ? PN532_RX_ACK : PN532_RX_BAD;
	case RX_FF:
		rx->state = b == 0xFF ? RX_XLEN_M : RX_SYNC;
		return b == 0x00 ? PN532_RX_NACK : b == 0xFF ? PN532_RX_MORE : PN532_RX_BAD;
	case RX_XLEN_M:
		rx->lenm = b;
		rx->state = RX_XLEN_L;
		return PN532_RX_MORE;
	case RX_XLEN_L:
		rx->need = (size_t)rx->lenm << 8 | b;
		rx->state = RX_XLCS;
		return PN532_RX_MORE;
	default: /* RX_XLCS */
		if ((uint8_t)(rx->lenm + (rx->need & 0xFF) + b) != 0) {
			rx->state = RX_SYNC;
			return PN532_RX_BAD;
		}
		return rx_length(rx, rx->need);
	}
}

enum pn532_rx_event pn532_rx_byte(struct pn532_rx *rx, uint8_t b, const uint8_t **ret_data,
				  size_t *ret_len)
{
	switch (rx->state) {
	case RX_SYNC:
		rx->state = b == 0x00 ? RX_START : RX_SYNC;
		return PN532_RX_MORE;
	case RX_START:
		rx->state = b == 0xFF ? RX_LEN : b == 0x00 ? RX_START : RX_SYNC;
		return PN532_RX_MORE;
	case RX_DATA:
		rx->data[rx->len++] = b;
		rx->sum = (uint8_t)(rx->sum + b);
		if (rx->len == rx->need)
			rx->state = RX_DCS;
		return PN532_RX_MORE;
	case RX_DCS:
		rx->state = RX_SYNC;
		if ((uint8_t)(rx->sum + b) != 0 || rx->data[0] != PN532_TFI_HOST)
			return PN532_RX_BAD;
		*ret_data = rx->data + 1;
		*ret_len = rx->len - 1;
		return PN532_RX_FRAME;
	default:
		return rx_header(rx, b);
	}
}

size_t pn532_frame_build(const uint8_t *data, size_t len, uint8_t *out, size_t out_cap)
{
	return pn532_frame_build_tfi(PN532_TFI_CHIP, data, len, out, out_cap);
}

size_t pn532_frame_build_tfi(uint8_t tfi, const uint8_t *data, size_t len, uint8_t *out,
			     size_t out_cap)
{
	size_t n = len + 1, pos = 0; /* TFI + data */
	uint8_t sum = tfi;

	if (len == 0 || n > PN532_FRAME_DATA_MAX || out_cap < n + 11)
		return 0;
	out[pos++] = 0x00;
	out[pos++] = 0x00;
	out[pos++] = 0xFF;
	if (n <= 255) {
		out[pos++] = (uint8_t)n;
		out[pos++] = (uint8_t)(0x100 - n);
	} else {
		out[pos++] = 0xFF;
		out[pos++] = 0xFF;
		out[pos++] = (uint8_t)(n >> 8);
		out[pos++] = (uint8_t)n;
		out[pos++] = (uint8_t)(0x100 - ((n >> 8) + (n & 0xFF)));
	}
	out[pos++] = tfi;
	for (size_t i = 0; i < len; i++) {
		out[pos++] = data[i];
		sum = (uint8_t)(sum + data[i]);
	}
	out[pos++] = (uint8_t)(0x100 - sum);
	out[pos++] = 0x00;
	return pos;
}
