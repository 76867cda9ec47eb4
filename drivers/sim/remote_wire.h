/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The wire between the remote: reader and SAM drivers and a simulated field
 * that lives in another process (a fault harness holding the cards and the
 * PSAM, so that killing the validator does not kill them). Test-only: only
 * simulator builds have it.
 *
 * One UNIX stream socket per driver. Every message is a frame
 *   type (1 byte) ‖ length (2 bytes, big-endian) ‖ payload (length bytes)
 * with at most REMOTE_MAX_PAYLOAD bytes of payload. The driver speaks first
 * (a hello naming what it is), then sends requests and reads exactly one
 * REMOTE_REPLY for each: status (1 byte) ‖ data.
 *
 *   request        payload                  reply data on REMOTE_OK
 *   HELLO_READER   -                        (no reply)
 *   HELLO_SAM      -                        (no reply)
 *   NEXT           -                        n_cards ‖ uid_len ‖ uid (blocks until a card comes)
 *   APDU           C-APDU                   R-APDU (data ‖ SW1 SW2)
 *   DONE           -                        -
 *   RESET          -                        ATR
 */
#ifndef YKT_REMOTE_WIRE_H
#define YKT_REMOTE_WIRE_H

#include <stddef.h>
#include <stdint.h>

#define REMOTE_MAX_PAYLOAD 512

enum remote_type {
	REMOTE_HELLO_READER = 'R',
	REMOTE_HELLO_SAM = 'S',
	REMOTE_NEXT = 'N',
	REMOTE_APDU = 'A',
	REMOTE_DONE = 'D',
	REMOTE_RESET = 'Z',
	REMOTE_REPLY = 'r',
};

enum remote_status {
	REMOTE_OK = 0,
	REMOTE_GONE = 1,   /* the card left the field (or none is there) */
	REMOTE_MUTE = 2,   /* the card or PSAM did not answer in time */
	REMOTE_END = 3,	   /* NEXT: the field's script is over */
	REMOTE_FAILED = 4, /* anything else */
};

/* Write one whole frame. 0, or -errno (-EPIPE when the peer is gone). */
int remote_send(int fd, uint8_t type, const uint8_t *payload, size_t len);

/* Read one whole frame into payload (capacity cap, at least
 * REMOTE_MAX_PAYLOAD). 0, -ECONNRESET at end of stream, -EPROTO for a frame
 * longer than cap, or -errno. */
int remote_recv(int fd, uint8_t *ret_type, uint8_t *payload, size_t cap, size_t *ret_len);

/* Send a request and read its reply: status into *ret_status, the data
 * after it into data (capacity cap). -EPROTO when the answer is not a
 * reply. */
int remote_call(int fd, uint8_t type, const uint8_t *payload, size_t len, int *ret_status,
		uint8_t *data, size_t cap, size_t *ret_len);

/* Connect to the UNIX socket at path. The descriptor, or -errno. */
int remote_connect(const char *path);

#endif
