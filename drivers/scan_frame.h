/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Framing a scanner's byte stream into one code per scan (docs/qr.md,
 * "Scanners").  Pure: bytes and times in, codes out, so that tests drive it
 * byte by byte with the times they choose.
 *
 * Binary: a T-Union code carries its own length: a version byte with the
 * top bit set, the length of the rest (2 bytes, big-endian), then the
 * issuer certificate's header 24.  A frame starts at the first place those
 * four bytes fit (total 64 to YKT_SCAN_MAX bytes) and ends after its length.
 * Bytes before a frame (a scanner's CR LF suffix, line noise) are skipped.
 *
 * Hex: each scan is a text line of hex digits (spaces allowed), ended by CR
 * or LF.  A line that is not hex, or longer than YKT_SCAN_MAX bytes would
 * make, is an unreadable scan.
 *
 * Both: when the line stays quiet for the idle time with a frame or line
 * pending, the scan is over.  A partial binary frame is searched again for
 * a frame starting later (it may have begun in noise); what stays
 * unframed is dropped, and reported as one unreadable scan when it was at
 * least SCAN_FRAME_UNREADABLE_MIN bytes (a foreign code, not noise).  A
 * pending hex line is taken as ended (scanners set to send no suffix).
 */
#ifndef YKT_SCAN_FRAME_H
#define YKT_SCAN_FRAME_H

#include "scanner.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SCAN_FRAME_MIN		  64
#define SCAN_FRAME_UNREADABLE_MIN 16
#define SCAN_FRAME_CERT_HEADER	  0x24

/* A code (len >= 1) or an unreadable scan (code NULL, len 0). */
typedef void (*scan_emit_cb)(const uint8_t *code, size_t len, void *userdata);

struct scan_framer {
	bool hex;
	int64_t idle_ns;
	uint8_t buf[3 * YKT_SCAN_MAX]; /* binary: the frame; hex: the text line */
	size_t len;
	size_t junk;   /* binary: bytes skipped since the last code */
	bool overlong; /* hex: the line outgrew buf; dropped up to its end */
	int64_t last_ns;
	/* counters, for logs and tests */
	uint64_t codes, unreadable, dropped_bytes;
};

void scan_framer_init(struct scan_framer *f, bool hex, int idle_ms);

/* Feed n bytes that arrived at now_ns (monotonic); emit is called for each
 * scan completed.  A gap longer than the idle time before these bytes
 * ends what was pending first. */
void scan_framer_feed(struct scan_framer *f, const uint8_t *p, size_t n, int64_t now_ns,
		      scan_emit_cb emit, void *userdata);

/* The idle time has passed: end what is pending (see above). */
void scan_framer_idle(struct scan_framer *f, scan_emit_cb emit, void *userdata);

/* When scan_framer_idle() is due (monotonic ns), or -1 with nothing pending. */
int64_t scan_framer_deadline(const struct scan_framer *f);

#endif
