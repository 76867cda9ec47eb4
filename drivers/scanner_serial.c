/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * serial: scanner — a QR scanner module on a UART, or on USB as a CDC-ACM
 * serial device (/dev/ttyACM0: the kernel's cdc_acm driver makes it a tty,
 * so the same termios code serves both).
 *
 *   serial:PATH[:BAUD][:hex][:idle=MS]
 *     PATH    the tty (/dev/ttyS2, /dev/ttyACM0, /dev/serial/by-id/...)
 *     BAUD    1200 to 921600 (default 115200; USB CDC ignores it)
 *     hex     the scanner sends each code as a line of hex text
 *     idle=MS quiet time that ends a scan (default 50 ms)
 *
 * Options are taken from the right, so a PATH may itself hold ':'.  The
 * tty is put in raw mode (no echo, no line editing, 8N1, no flow control)
 * and watched on the loop; bytes go through the framer (scan_frame.h), with
 * a timerfd of the driver's own for the idle time.  When the device goes
 * away (a USB scanner unplugged) the driver says so once and tries to open
 * it again every second.
 */
#include "scanner.h"

#include "clock.h"
#include "log.h"
#include "loop.h"
#include "scan_frame.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <termios.h>
#include <unistd.h>

#define SERIAL_DEFAULT_BAUD    115200
#define SERIAL_DEFAULT_IDLE_MS 50
#define SERIAL_REOPEN_MS       1000

struct serial_scanner {
	char path[PATH_MAX];
	speed_t speed;
	int fd;	   /* the tty, -1 while the device is away */
	int timer; /* idle time, or the next attempt to reopen */
	bool watching;
	struct scan_framer framer;
};

static const struct {
	long baud;
	speed_t speed;
} bauds[] = {
	{ 1200, B1200 },     { 2400, B2400 },	  { 4800, B4800 },     { 9600, B9600 },
	{ 19200, B19200 },   { 38400, B38400 },	  { 57600, B57600 },   { 115200, B115200 },
	{ 230400, B230400 }, { 460800, B460800 }, { 921600, B921600 },
};

static int parse_baud(const char *text, speed_t *ret)
{
	char *end;
	long v = strtol(text, &end, 10);

	if (end == text || *end)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(bauds) / sizeof(bauds[0]); i++) {
		if (bauds[i].baud == v) {
			*ret = bauds[i].speed;
			return 0;
		}
	}
	return -EINVAL;
}

/* One option from the right: 1 taken, 0 not an option (part of the path). */
static int parse_option(struct serial_scanner *p, const char *opt, bool *hex, int *idle_ms)
{
	char *end;
	long v;

	if (strcmp(opt, "hex") == 0) {
		*hex = true;
		return 1;
	}
	if (strncmp(opt, "idle=", 5) == 0) {
		v = strtol(opt + 5, &end, 10);
		if (end == opt + 5 || *end || v < 1 || v > 10000)
			return -EINVAL;
		*idle_ms = (int)v;
		return 1;
	}
	if (opt[0] >= '0' && opt[0] <= '9')
		return parse_baud(opt, &p->speed) < 0 ? -EINVAL : 1;
	return 0;
}

static int parse_args(struct ykt_scanner *s, struct serial_scanner *p, const char *args, bool *hex,
		      int *idle_ms)
{
	char *colon;
	int r;

	if (snprintf(p->path, sizeof(p->path), "%s", args) >= (int)sizeof(p->path))
		return -ENAMETOOLONG;
	while ((colon = strrchr(p->path, ':'))) {
		r = parse_option(p, colon + 1, hex, idle_ms);
		if (r < 0) {
			ykt_scanner_set_error(s,
					      "serial scanner: '%s' is not a baud rate (1200 to "
					      "921600), hex or idle=MS (1 to 10000)",
					      colon + 1);
			return -EINVAL;
		}
		if (r == 0)
			break;
		*colon = '\0';
	}
	if (p->path[0] != '/') {
		ykt_scanner_set_error(s, "serial scanner: '%s' is not a device path", p->path);
		return -EINVAL;
	}
	return 0;
}

/* Raw 8N1, no flow control, reads that never block. */
static int tty_raw(int fd, speed_t speed)
{
	struct termios t;

	if (tcgetattr(fd, &t) < 0)
		return -errno;
	cfmakeraw(&t);
	t.c_cflag |= CLOCAL | CREAD;
	t.c_cflag &= ~(tcflag_t)(CSTOPB | CRTSCTS);
	t.c_iflag &= ~(tcflag_t)(IXON | IXOFF | IXANY);
	t.c_cc[VMIN] = 0;
	t.c_cc[VTIME] = 0;
	if (cfsetispeed(&t, speed) < 0 || cfsetospeed(&t, speed) < 0)
		return -errno;
	if (tcsetattr(fd, TCSANOW, &t) < 0)
		return -errno;
	/* what waited in the buffer belongs to no scan of ours */
	tcflush(fd, TCIFLUSH);
	return 0;
}

static int tty_open(struct serial_scanner *p)
{
	int fd = open(p->path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	int r;

	if (fd < 0)
		return -errno;
	r = tty_raw(fd, p->speed);
	if (r < 0) {
		close(fd);
		return r;
	}
	p->fd = fd;
	return 0;
}

static void timer_arm(struct serial_scanner *p, int64_t in_ns)
{
	struct itimerspec its = { 0 };

	if (in_ns > 0) {
		its.it_value.tv_sec = in_ns / 1000000000;
		its.it_value.tv_nsec = in_ns % 1000000000;
	} else if (in_ns == 0) {
		its.it_value.tv_nsec = 1; /* due now */
	}
	timerfd_settime(p->timer, 0, &its, NULL);
}

/* Arm the timer for the framer's idle deadline, or disarm it. */
static void timer_idle(struct serial_scanner *p)
{
	int64_t due = scan_framer_deadline(&p->framer), now = ykt_monotonic_ns();

	if (due < 0)
		timer_arm(p, -1);
	else
		timer_arm(p, due > now ? due - now : 0);
}

static void on_code(const uint8_t *code, size_t len, void *userdata)
{
	struct ykt_scanner *s = userdata;

	if (ykt_scanner_deliver(s, code, len) == -ENOSPC)
		log_warn("scanner", "a scan dropped: the validator is busy with earlier ones");
}

static void on_tty(struct ykt_loop *loop, int fd, uint32_t events, void *userdata);

static void device_lost(struct ykt_scanner *s, struct serial_scanner *p, int err)
{
	const struct ykt_scanner_env *env = ykt_scanner_env(s);
	struct ykt_event ev = { .type = YKT_EV_DEVICE_ERROR, .source = env->source, .err = err };

	log_err("scanner", "%s: %s; trying again every %d s", p->path, strerror(-err),
		SERIAL_REOPEN_MS / 1000);
	ykt_loop_remove_fd(env->loop, p->fd);
	close(p->fd);
	p->fd = -1;
	scan_framer_init(&p->framer, p->framer.hex, (int)(p->framer.idle_ns / 1000000));
	timer_arm(p, (int64_t)SERIAL_REOPEN_MS * 1000000);
	ykt_loop_post(env->loop, &ev);
}

static void on_tty(struct ykt_loop *loop, int fd, uint32_t events, void *userdata)
{
	struct ykt_scanner *s = userdata;
	struct serial_scanner *p = ykt_scanner_priv(s);
	uint8_t buf[256];
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0)
		scan_framer_feed(&p->framer, buf, (size_t)n, ykt_monotonic_ns(), on_code, s);
	/* a tty read gives 0 only when the other side hung up (VMIN 0 with
	 * nothing waiting gives EAGAIN on a non-blocking descriptor) */
	if ((n < 0 && errno != EAGAIN && errno != EINTR) || (n == 0 && (events & EPOLLHUP)) ||
	    (events & EPOLLERR)) {
		device_lost(s, p, n < 0 ? -errno : -EIO);
		return;
	}
	timer_idle(p);
}

static int watch_tty(struct ykt_scanner *s, struct serial_scanner *p)
{
	return ykt_loop_add_fd(ykt_scanner_env(s)->loop, p->fd, EPOLLIN, on_tty, s);
}

/* The device is back: watch it again. */
static void try_reopen(struct ykt_scanner *s, struct serial_scanner *p)
{
	if (tty_open(p) < 0 || watch_tty(s, p) < 0) {
		if (p->fd >= 0)
			close(p->fd);
		p->fd = -1;
		timer_arm(p, (int64_t)SERIAL_REOPEN_MS * 1000000);
		return;
	}
	log_info("scanner", "%s: back", p->path);
}

static void on_timer(struct ykt_loop *loop, int fd, uint32_t events, void *userdata)
{
	struct ykt_scanner *s = userdata;
	struct serial_scanner *p = ykt_scanner_priv(s);
	uint64_t expirations;

	if (read(fd, &expirations, sizeof(expirations)) != (ssize_t)sizeof(expirations))
		return;
	if (p->fd < 0) {
		try_reopen(s, p);
		return;
	}
	scan_framer_idle(&p->framer, on_code, s);
	timer_idle(p);
}

static void serial_close(struct ykt_scanner *s)
{
	struct serial_scanner *p = ykt_scanner_priv(s);
	struct ykt_loop *loop = ykt_scanner_env(s)->loop;

	if (p->watching) {
		if (p->fd >= 0)
			ykt_loop_remove_fd(loop, p->fd);
		ykt_loop_remove_fd(loop, p->timer);
	}
	if (p->fd >= 0)
		close(p->fd);
	if (p->timer >= 0)
		close(p->timer);
}

static int serial_open(struct ykt_scanner *s, const char *args)
{
	struct serial_scanner *p = ykt_scanner_priv(s);
	int idle_ms = SERIAL_DEFAULT_IDLE_MS, r;
	bool hex = false;

	p->fd = p->timer = -1;
	p->speed = B115200;
	r = parse_args(s, p, args, &hex, &idle_ms);
	if (r < 0)
		return r;
	scan_framer_init(&p->framer, hex, idle_ms);
	r = tty_open(p);
	if (r < 0) {
		ykt_scanner_set_error(s, "serial scanner %s: %s", p->path,
				      r == -ENOTTY ? "not a terminal" : strerror(-r));
		return r;
	}
	p->timer = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (p->timer < 0) {
		r = -errno;
		serial_close(s);
		return r;
	}
	return 0;
}

static int serial_start(struct ykt_scanner *s)
{
	struct serial_scanner *p = ykt_scanner_priv(s);
	int r;

	if (p->watching)
		return -EALREADY;
	r = ykt_loop_add_fd(ykt_scanner_env(s)->loop, p->timer, EPOLLIN, on_timer, s);
	if (r < 0)
		return r;
	r = watch_tty(s, p);
	if (r < 0) {
		ykt_loop_remove_fd(ykt_scanner_env(s)->loop, p->timer);
		return r;
	}
	p->watching = true;
	return 0;
}

const struct ykt_scanner_ops ykt_scanner_serial_ops = {
	.scheme = "serial",
	.priv_size = sizeof(struct serial_scanner),
	.open = serial_open,
	.close = serial_close,
	.start = serial_start,
};
