/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The PN532 HSU framing of the emulator: frames built and parsed back
 * (normal and extended), ACK and NACK, resynchronisation after wake-up
 * preambles and noise, and every malformed header or checksum dropped
 * without losing the next good frame; then random bytes for the
 * sanitizers.
 */
#include "check.h"
#include "pn532_frame.h"

#include <string.h>

/* Feed bytes; returns the last event, the frame (if any) in data/len. */
static enum pn532_rx_event feed(struct pn532_rx *rx, const uint8_t *p, size_t n, uint8_t *data,
				size_t *len, int *frames)
{
	enum pn532_rx_event last = PN532_RX_MORE, ev;
	const uint8_t *d;
	size_t dl;

	for (size_t i = 0; i < n; i++) {
		ev = pn532_rx_byte(rx, p[i], &d, &dl);
		if (ev == PN532_RX_MORE)
			continue;
		last = ev;
		if (ev == PN532_RX_FRAME) {
			memcpy(data, d, dl);
			*len = dl;
			(*frames)++;
		}
	}
	return last;
}

static size_t host_frame(const uint8_t *cmd, size_t n, uint8_t *out, size_t cap)
{
	return pn532_frame_build_tfi(PN532_TFI_HOST, cmd, n, out, cap);
}

static void round_trips(void)
{
	static const uint8_t wake[] = { 0x55, 0x55, 0x00, 0x00, 0x00, 0x00, 0x00 };
	uint8_t cmd[300], frame[PN532_FRAME_WIRE_MAX], data[PN532_FRAME_DATA_MAX];
	struct pn532_rx rx;
	size_t n, len = 0;
	int frames = 0;

	pn532_rx_reset(&rx);
	for (size_t i = 0; i < sizeof(cmd); i++)
		cmd[i] = (uint8_t)(i * 7);
	cmd[0] = 0x40;
	CHECK(feed(&rx, wake, sizeof(wake), data, &len, &frames) == PN532_RX_MORE, "preamble");
	for (size_t size = 1; size <= PN532_FRAME_DATA_MAX - 1; size += 37) {
		n = host_frame(cmd, size, frame, sizeof(frame));
		CHECK(n == size + (size + 1 <= 255 ? 8 : 11), "frame of %zu: %zu bytes", size, n);
		CHECK(feed(&rx, frame, n, data, &len, &frames) == PN532_RX_FRAME && len == size &&
			  memcmp(data, cmd, size) == 0,
		      "frame of %zu parsed back", size);
	}
	n = host_frame(cmd, PN532_FRAME_DATA_MAX - 1, frame, sizeof(frame));
	CHECK(feed(&rx, frame, n, data, &len, &frames) == PN532_RX_FRAME &&
		  len == PN532_FRAME_DATA_MAX - 1,
	      "the longest extended frame");
	CHECK(host_frame(cmd, PN532_FRAME_DATA_MAX, frame, sizeof(frame)) == 0,
	      "one byte too long");
	CHECK(host_frame(cmd, 0, frame, sizeof(frame)) == 0, "no command");
	CHECK(host_frame(cmd, 10, frame, 18) == 0, "no room");
	n = pn532_frame_build(cmd, 3, frame, sizeof(frame));
	CHECK(check_eq_hex(frame, n, "0000FF 04FC D5 40 07 0E D6 00"), "a chip frame's bytes");
}

static void acks(void)
{
	static const uint8_t nack[] = { 0x00, 0x00, 0xFF, 0xFF, 0x00, 0x00 };
	uint8_t data[PN532_FRAME_DATA_MAX];
	struct pn532_rx rx;
	size_t len = 0;
	int frames = 0;

	pn532_rx_reset(&rx);
	CHECK(feed(&rx, pn532_ack_frame, 6, data, &len, &frames) == PN532_RX_ACK, "ACK");
	CHECK(feed(&rx, nack, 6, data, &len, &frames) == PN532_RX_NACK, "NACK");
	CHECK(frames == 0, "no frames");
}

static void malformed(void)
{
	static const char *const bad[] = {
		"0000FF 03FC D4 4A 01 E1 00",	 /* LEN + LCS != 0 */
		"0000FF 04FC D4 4A 01 00 00 00", /* DCS wrong */
		"0000FF 04FC D5 4A 01 00 E0 00", /* a chip's TFI from the host */
		"0000FF 01FF D4 2B 00",		 /* TFI alone */
		"0000FF FFFF 0200 FE D4 4A 00",	 /* extended LCS wrong */
		"0000FF FFFF FFFF 02 D4",	 /* extended, far too long */
		"0000FF 00 00",			 /* ACK broken */
		"0000FF FF 12",			 /* neither NACK nor extended */
	};
	uint8_t in[64], data[PN532_FRAME_DATA_MAX], good[32];
	struct pn532_rx rx;
	size_t len = 0, n, gn;
	int frames = 0;

	gn = host_frame((const uint8_t[]){ 0x02 }, 1, good, sizeof(good));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		pn532_rx_reset(&rx);
		frames = 0;
		n = check_hex(bad[i], in, sizeof(in));
		CHECK(feed(&rx, in, n, data, &len, &frames) == PN532_RX_BAD && frames == 0,
		      "%s dropped", bad[i]);
		feed(&rx, good, gn, data, &len, &frames);
		CHECK(frames == 1 && len == 1 && data[0] == 0x02, "%s: the next frame is found",
		      bad[i]);
	}
}

/* Random noise with good frames in between: no crash, and the parser is
 * never stuck: after any noise, a run of idle zero bytes as long as the
 * longest frame brings it back, and the next frame parses. */
static void noise(void)
{
	uint8_t data[PN532_FRAME_DATA_MAX], buf[64], good[32], idle[PN532_FRAME_WIRE_MAX] = { 0 };
	uint64_t seed = 0x5EED;
	struct pn532_rx rx;
	size_t len = 0, gn;
	int frames = 0, want = 0;

	gn = host_frame((const uint8_t[]){ 0x4A, 0x01, 0x00 }, 3, good, sizeof(good));
	pn532_rx_reset(&rx);
	for (int round = 0; round < 20000; round++) {
		for (size_t i = 0; i < sizeof(buf); i++)
			buf[i] = (uint8_t)check_rand(&seed);
		feed(&rx, buf, check_rand(&seed) % sizeof(buf), data, &len, &frames);
		feed(&rx, idle, sizeof(idle), data, &len, &frames);
		frames = 0;
		feed(&rx, good, gn, data, &len, &frames);
		want += frames == 1 && len == 3;
	}
	CHECK(want == 20000, "%d of 20000 frames after noise parsed", want);
}

int main(void)
{
	round_trips();
	acks();
	malformed();
	noise();
	return check_result();
}
