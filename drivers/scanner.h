/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QR code scanner: an opaque handle over one driver ops table, picked by
 * URI scheme (docs/qr.md, "Scanners"):
 *
 *   serial:/dev/ttyS2:115200        a scanner module on a UART sending each
 *                                   code's bytes; USB CDC-ACM scanners are
 *                                   serial:/dev/ttyACM0 through the same driver
 *   serial:/dev/ttyS2:9600:hex      one that sends each code as a hex text line
 *   sim:                            the codes of the sim: reader's tap script
 *                                   (its `scan` steps), in order with its taps
 *
 * A driver frames its device's output into one code per scan and hands each
 * to ykt_scanner_deliver(), which queues it and posts YKT_EV_CODE_SCANNED to
 * the loop.  The loop thread takes the code with ykt_scanner_take(), serves
 * it, and calls ykt_scanner_done().  A scan the driver could not make sense
 * of (a foreign code's text, a burst of noise) is delivered as an unreadable
 * scan (length 0), so that the passenger is told rather than ignored.
 */
#ifndef YKT_SCANNER_H
#define YKT_SCANNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Bytes of one scan at most: far above a T-Union code (364 bytes); a frame
 * declaring more is dropped as noise. */
#define YKT_SCAN_MAX 512

struct ykt_loop;
struct ykt_reader;
struct ykt_scanner;

struct ykt_scanner_env {
	struct ykt_loop *loop;	   /* where YKT_EV_CODE_SCANNED goes */
	struct ykt_reader *reader; /* sim: takes its codes from this sim: reader */
	int source;		   /* copied into every event */
};

struct ykt_scanner_ops {
	const char *scheme;
	size_t priv_size; /* the core allocates this much private data */
	int (*open)(struct ykt_scanner *s, const char *args);
	void (*close)(struct ykt_scanner *s);
	/* start delivering codes (watch a file descriptor on the loop) */
	int (*start)(struct ykt_scanner *s);
	/* the validator is done with the code it took last */
	int (*done)(struct ykt_scanner *s);
};

/* Open by URI. -ENOENT: no driver for the scheme; other errors with a
 * one-line reason in errbuf.  The caller frees with ykt_scanner_free(),
 * which stops the driver; free the scanner before the loop, and a sim:
 * scanner after its reader. */
int ykt_scanner_open(const char *uri, const struct ykt_scanner_env *env,
		     struct ykt_scanner **ret_scanner, char *errbuf, size_t errbuf_len);
void ykt_scanner_free(struct ykt_scanner *s);
int ykt_scanner_start(struct ykt_scanner *s);

/* The oldest code not yet taken: its bytes into buf (cap >= YKT_SCAN_MAX)
 * and its length (0: an unreadable scan).  -EAGAIN when none is waiting,
 * -ENOBUFS when cap is too small.  Loop thread. */
int ykt_scanner_take(struct ykt_scanner *s, uint8_t *buf, size_t cap, size_t *ret_len);
/* The validator is done with the code it took; -EOPNOTSUPP when the driver
 * does not need to know. */
int ykt_scanner_done(struct ykt_scanner *s);

/* codes dropped because the queue was full (the validator was busy) */
uint64_t ykt_scanner_dropped(struct ykt_scanner *s);

int ykt_scanner_scheme_known(const char *uri);
/* "serial, sim" of this build, for messages */
const char *ykt_scanner_schemes(void);

/* for drivers */
void *ykt_scanner_priv(struct ykt_scanner *s);
const struct ykt_scanner_env *ykt_scanner_env(struct ykt_scanner *s);
/* Queue one scan (len 0: unreadable) and post YKT_EV_CODE_SCANNED.  Thread
 * safe.  -ENOSPC when the queue is full (the scan is dropped), -E2BIG past
 * YKT_SCAN_MAX. */
int ykt_scanner_deliver(struct ykt_scanner *s, const uint8_t *code, size_t len);
/* errbuf given to open, for a one-line reason */
void ykt_scanner_set_error(struct ykt_scanner *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
