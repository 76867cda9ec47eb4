/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Where a bus is along its line: the stop source, an opaque handle over one
 * driver ops table, picked by URI scheme ([hardware] stops):
 *
 *   sim:[CODE]             tests and the demo: the tap script's `stop CODE`
 *                          steps set the current stop (ykt_stop_sim_set)
 *   keys:PATH[,next=N][,prev=N][,first=N]
 *                          the driver's keys, as the kernel's gpio-keys
 *                          driver delivers them (an evdev device such as
 *                          /dev/input/event1): "first" at the terminus,
 *                          "next" at each stop, "prev" to correct; N are
 *                          Linux key codes (defaults KEY_HOME 102,
 *                          KEY_RIGHT 106, KEY_LEFT 105)
 *   nmea:PATH[:BAUD]       a GPS receiver on a serial port sending NMEA
 *                          0183 ($GPRMC / $GPGGA, any talker); the position
 *                          is matched to the fare table's stops
 *
 * A source reports a reading: a stop code (sim:), a count of stops from
 * the start of the line (keys:) or a position (nmea:).  Turning it into a
 * stop of the fare table is the terminal's business (terminal/stops.c),
 * since only the fare table knows the stops.  Sources with hardware run a
 * thread of their own; ykt_stop_read() never blocks and is thread-safe.
 */
#ifndef YKT_STOP_H
#define YKT_STOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ykt_stop;

enum ykt_stop_kind {
	YKT_STOP_CODE = 1, /* code: a stop code of the fare table */
	YKT_STOP_COUNT,	   /* count: stops passed since the start of the line (0 = first) */
	YKT_STOP_POSITION, /* lat_e6, lon_e6: a GPS fix */
};

struct ykt_stop_reading {
	enum ykt_stop_kind kind;
	uint16_t code;
	int count;
	int32_t lat_e6, lon_e6; /* WGS-84 degrees x 10^6, north and east positive */
	uint64_t serial;	/* rises with every new reading */
};

struct ykt_stop_ops {
	const char *scheme;
	size_t priv_size; /* the core allocates this much private data */
	int (*open)(struct ykt_stop *s, const char *args);
	void (*close)(struct ykt_stop *s); /* stops the driver's thread */
};

/* Open by URI; "none" or "" is not a source (the caller keeps NULL).
 * -ENOENT: no driver for the scheme; other errors from the driver, with a
 * one-line reason in errbuf.  The caller frees with ykt_stop_free(). */
int ykt_stop_open(const char *uri, struct ykt_stop **ret, char *errbuf, size_t errbuf_len);
/* Stops the driver's thread. Accepts NULL. */
void ykt_stop_free(struct ykt_stop *s);

/* The latest reading; -ENODATA while the source knows nothing yet.  Never
 * blocks. */
int ykt_stop_read(struct ykt_stop *s, struct ykt_stop_reading *ret);

/* sim: sources: the current stop is now code.  -EOPNOTSUPP for others. */
int ykt_stop_sim_set(struct ykt_stop *s, uint16_t code);
/* true for a sim: source (false for NULL) */
bool ykt_stop_is_sim(const struct ykt_stop *s);

int ykt_stop_scheme_known(const char *uri);
const char *ykt_stop_schemes(void); /* "sim, keys, nmea" of this build */

/* for drivers: publish a reading (thread-safe), say why open failed */
void ykt_stop_publish(struct ykt_stop *s, const struct ykt_stop_reading *r);
void *ykt_stop_priv(struct ykt_stop *s);
void ykt_stop_set_error(struct ykt_stop *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* ---- NMEA 0183 (nmea.c), for the nmea: driver and its tests ---- */

struct nmea_fix {
	bool valid; /* RMC status A, or GGA fix quality above 0 */
	int32_t lat_e6, lon_e6;
};

/* Parse one sentence ("$GPRMC,...*hh", with or without CR LF).  0 and the
 * fix for an RMC or GGA sentence whose checksum matches; -ENOMSG for other
 * sentence types; -EBADMSG for anything malformed (checksum, fields,
 * ranges).  Every byte is hostile; nothing is read past len. */
int nmea_parse(const char *line, size_t len, struct nmea_fix *ret);

#endif
