/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * PN532 host-interface framing (HSU, the UART link; the I2C and SPI links
 * carry the same frames), as the PN532 user manual (UM0701-02 §6.2) gives it:
 *
 *   normal     00 00 FF LEN LCS TFI PD0..PDn DCS 00     LEN+LCS = 0, LEN <= 255
 *   extended   00 00 FF FF FF LENM LENL LCS TFI PD.. DCS 00
 *   ACK        00 00 FF 00 FF 00          NACK   00 00 FF FF 00 00
 *   error      00 00 FF 01 FF 7F 81 00    (the chip: a syntax error)
 *
 * TFI is D4 host to chip, D5 chip to host; DCS makes TFI + PD sum to zero.
 * The receiver is a byte-at-a-time state machine that resynchronises on
 * the start code 00 FF, so wake-up preambles (55 55 00 00 ...) and line
 * noise are skipped; every length and checksum is checked.
 */
#ifndef YKT_PN532_FRAME_H
#define YKT_PN532_FRAME_H

#include <stddef.h>
#include <stdint.h>

/* TFI + PD bytes of the longest extended frame the PN532 handles */
#define PN532_FRAME_DATA_MAX 265
/* the longest frame on the wire: preamble, start, header, data, DCS, postamble */
#define PN532_FRAME_WIRE_MAX (PN532_FRAME_DATA_MAX + 11)

#define PN532_TFI_HOST 0xD4
#define PN532_TFI_CHIP 0xD5

enum pn532_rx_event {
	PN532_RX_MORE = 0, /* nothing complete yet */
	PN532_RX_FRAME,	   /* a host frame: data (TFI stripped) and len */
	PN532_RX_ACK,
	PN532_RX_NACK,
	PN532_RX_BAD, /* a frame with a bad checksum, length or TFI: dropped */
};

struct pn532_rx {
	int state;
	size_t need, len; /* frame data expected, and received so far */
	uint8_t lenm, sum;
	uint8_t data[PN532_FRAME_DATA_MAX];
};

void pn532_rx_reset(struct pn532_rx *rx);

/* Feed one byte. On PN532_RX_FRAME, *ret_data / *ret_len give the command
 * (command code first, TFI stripped), valid until the next call. */
enum pn532_rx_event pn532_rx_byte(struct pn532_rx *rx, uint8_t b, const uint8_t **ret_data,
				  size_t *ret_len);

/* A chip frame carrying TFI D5 and data (len bytes, 1..PN532_FRAME_DATA_MAX-1):
 * normal when it fits, extended otherwise. Returns the bytes written, or 0
 * when out_cap is too small or len out of range. */
size_t pn532_frame_build(const uint8_t *data, size_t len, uint8_t *out, size_t out_cap);
/* The same with another TFI (D4: a host frame, for clients of the chip). */
size_t pn532_frame_build_tfi(uint8_t tfi, const uint8_t *data, size_t len, uint8_t *out,
			     size_t out_cap);

extern const uint8_t pn532_ack_frame[6];
extern const uint8_t pn532_error_frame[8];

#endif
