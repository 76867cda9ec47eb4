/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The stop sources with hardware behind a file descriptor, each read by a
 * thread of its own that publishes what it learns (stop.h):
 *
 *   keys:PATH[,next=N][,prev=N][,first=N]   an evdev device (the kernel's
 *       gpio-keys driver debounces the driver's buttons and delivers key
 *       events): first = the line's first stop, next / prev = one stop on /
 *       back.  The count starts at 0 (the first stop) when the source opens.
 *   nmea:PATH[:BAUD]   a GPS receiver: NMEA sentences, one per line, at
 *       BAUD (default 9600) 8N1 when PATH is a terminal.
 *
 * drivers/gpio.h drives outputs only (buzzer, LEDs, relay); buttons come
 * through the input subsystem, as gpio-keys is the standard way on boards
 * with device trees, so keys: reads evdev rather than raw GPIO lines.
 */
#include "stop.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/input.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <termios.h>
#include <unistd.h>

#define STOP_PATH_MAX 256
#define LINE_MAX_LEN  128
#define RETRY_MS      1000 /* after an end of file or a read error */

struct dev {
	int fd, wake; /* the device; an eventfd that stops the thread */
	pthread_t thread;
	bool started;
	void (*on_bytes)(struct ykt_stop *s, const uint8_t *p, size_t n);
	/* keys: */
	int key_next, key_prev, key_first, count;
	uint8_t ev[sizeof(struct input_event)];
	size_t ev_len;
	/* nmea: */
	char line[LINE_MAX_LEN + 1];
	size_t line_len;
	bool line_overflow;
};

/* Wait for data or the stop request; false when asked to stop. */
static bool dev_wait(struct dev *d, int timeout_ms, bool *ret_readable)
{
	struct pollfd p[2] = { { d->wake, POLLIN, 0 }, { d->fd, POLLIN, 0 } };
	int n = poll(p, timeout_ms < 0 ? 2 : 1, timeout_ms);

	*ret_readable = n > 0 && timeout_ms < 0 && (p[1].revents & POLLIN);
	return !(n > 0 && (p[0].revents & POLLIN));
}

static void *dev_thread(void *userdata)
{
	struct ykt_stop *s = userdata;
	struct dev *d = ykt_stop_priv(s);
	uint8_t buf[256];
	bool readable;
	ssize_t n;

	while (dev_wait(d, -1, &readable)) {
		n = readable ? read(d->fd, buf, sizeof(buf)) : 0;
		if (n > 0) {
			d->on_bytes(s, buf, (size_t)n);
			continue;
		}
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		/* an end of file, a hang-up or an error (a USB receiver
		 * unplugged): try again later, the position stays known */
		if (!dev_wait(d, RETRY_MS, &readable))
			break;
	}
	return NULL;
}

static int dev_start(struct ykt_stop *s, const char *path, int flags)
{
	struct dev *d = ykt_stop_priv(s);

	d->fd = open(path, flags | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (d->fd < 0) {
		int err = errno;

		ykt_stop_set_error(s, "%s: %s", path, strerror(err));
		return -err;
	}
	d->wake = eventfd(0, EFD_CLOEXEC);
	if (d->wake < 0 || pthread_create(&d->thread, NULL, dev_thread, s) != 0) {
		ykt_stop_set_error(s, "%s: cannot start its thread", path);
		if (d->wake >= 0)
			close(d->wake);
		close(d->fd);
		return -EAGAIN;
	}
	d->started = true;
	return 0;
}

static void dev_close(struct ykt_stop *s)
{
	struct dev *d = ykt_stop_priv(s);
	uint64_t one = 1;

	if (!d->started)
		return;
	/* an eventfd write of 1 cannot fail short of a bug */
	(void)!write(d->wake, &one, sizeof(one));
	pthread_join(d->thread, NULL);
	close(d->wake);
	close(d->fd);
}

/* ---- keys: ---- */

static void keys_event(struct ykt_stop *s, struct dev *d, const struct input_event *ev)
{
	struct ykt_stop_reading r = { .kind = YKT_STOP_COUNT };

	if (ev->type != EV_KEY || ev->value != 1) /* presses only, not repeats */
		return;
	if (ev->code == d->key_first)
		d->count = 0;
	else if (ev->code == d->key_next && d->count < 1000)
		d->count++;
	else if (ev->code == d->key_prev && d->count > 0)
		d->count--;
	else
		return;
	r.count = d->count;
	ykt_stop_publish(s, &r);
}

static void keys_bytes(struct ykt_stop *s, const uint8_t *p, size_t n)
{
	struct dev *d = ykt_stop_priv(s);

	/* evdev delivers whole events; a pipe in a test may not */
	while (n) {
		size_t take = sizeof(d->ev) - d->ev_len;

		if (take > n)
			take = n;
		memcpy(d->ev + d->ev_len, p, take);
		d->ev_len += take;
		p += take;
		n -= take;
		if (d->ev_len == sizeof(d->ev)) {
			struct input_event ev;

			memcpy(&ev, d->ev, sizeof(ev));
			keys_event(s, d, &ev);
			d->ev_len = 0;
		}
	}
}

static int key_option(const char *opt, const char *name, int *ret)
{
	size_t n = strlen(name);
	char *end;
	long v;

	if (strncmp(opt, name, n) != 0 || opt[n] != '=')
		return 0;
	errno = 0;
	v = strtol(opt + n + 1, &end, 10);
	if (errno || end == opt + n + 1 || (*end && *end != ',') || v < 1 || v > KEY_MAX)
		return -EINVAL;
	*ret = (int)v;
	return 1;
}

static int keys_options(struct dev *d, const char *opts)
{
	while (opts && *opts) {
		int r = key_option(opts, "next", &d->key_next);

		if (r == 0)
			r = key_option(opts, "prev", &d->key_prev);
		if (r == 0)
			r = key_option(opts, "first", &d->key_first);
		if (r <= 0)
			return -EINVAL;
		opts = strchr(opts, ',');
		if (opts)
			opts++;
	}
	return 0;
}

static int keys_open(struct ykt_stop *s, const char *args)
{
	struct dev *d = ykt_stop_priv(s);
	struct ykt_stop_reading first = { .kind = YKT_STOP_COUNT, .count = 0 };
	char path[STOP_PATH_MAX];
	size_t len = strcspn(args, ",");

	d->key_next = KEY_RIGHT;
	d->key_prev = KEY_LEFT;
	d->key_first = KEY_HOME;
	d->on_bytes = keys_bytes;
	if (len == 0 || len >= sizeof(path) || keys_options(d, args[len] ? args + len + 1 : NULL)) {
		ykt_stop_set_error(s, "keys:%s: keys:PATH[,next=N][,prev=N][,first=N]", args);
		return -EINVAL;
	}
	memcpy(path, args, len);
	path[len] = '\0';
	ykt_stop_publish(s, &first);
	return dev_start(s, path, O_RDONLY);
}

const struct ykt_stop_ops ykt_stop_keys_ops = {
	.scheme = "keys",
	.priv_size = sizeof(struct dev),
	.open = keys_open,
	.close = dev_close,
};

/* ---- nmea: ---- */

static void nmea_line(struct ykt_stop *s, const char *line, size_t len)
{
	struct ykt_stop_reading r = { .kind = YKT_STOP_POSITION };
	struct nmea_fix fix;

	if (nmea_parse(line, len, &fix) < 0 || !fix.valid)
		return; /* noise, other sentences, no fix: the last position stands */
	r.lat_e6 = fix.lat_e6;
	r.lon_e6 = fix.lon_e6;
	ykt_stop_publish(s, &r);
}

static void nmea_bytes(struct ykt_stop *s, const uint8_t *p, size_t n)
{
	struct dev *d = ykt_stop_priv(s);

	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\n') {
			if (!d->line_overflow)
				nmea_line(s, d->line, d->line_len);
			d->line_len = 0;
			d->line_overflow = false;
		} else if (d->line_len < LINE_MAX_LEN) {
			d->line[d->line_len++] = (char)p[i];
		} else {
			d->line_overflow = true; /* not a sentence: dropped to its end */
		}
	}
}

static speed_t baud_of(long baud)
{
	switch (baud) {
	case 4800:
		return B4800;
	case 9600:
		return B9600;
	case 19200:
		return B19200;
	case 38400:
		return B38400;
	case 57600:
		return B57600;
	case 115200:
		return B115200;
	default:
		return 0;
	}
}

/* Raw 8N1 at the given speed, when the path is a terminal. */
static int nmea_line_settings(struct ykt_stop *s, speed_t speed)
{
	struct dev *d = ykt_stop_priv(s);
	struct termios tio;

	if (!isatty(d->fd))
		return 0; /* a file or pipe (tests, replays) */
	if (tcgetattr(d->fd, &tio) < 0)
		return -errno;
	cfmakeraw(&tio);
	tio.c_cflag |= CLOCAL | CREAD;
	cfsetispeed(&tio, speed);
	cfsetospeed(&tio, speed);
	return tcsetattr(d->fd, TCSANOW, &tio) < 0 ? -errno : 0;
}

static int nmea_open(struct ykt_stop *s, const char *args)
{
	struct dev *d = ykt_stop_priv(s);
	char path[STOP_PATH_MAX];
	const char *colon = strrchr(args, ':');
	long baud = 9600;
	char *end;
	int r;

	snprintf(path, sizeof(path), "%s", args);
	if (colon) {
		baud = strtol(colon + 1, &end, 10);
		path[colon - args] = '\0';
		if (*end || !baud_of(baud))
			baud = 0;
	}
	if (!path[0] || strlen(args) >= sizeof(path) || !baud_of(baud)) {
		ykt_stop_set_error(s, "nmea:%s: nmea:PATH[:BAUD], BAUD one of 4800 .. 115200",
				   args);
		return -EINVAL;
	}
	d->on_bytes = nmea_bytes;
	r = dev_start(s, path, O_RDONLY);
	if (r == 0 && (r = nmea_line_settings(s, baud_of(baud))) < 0) {
		ykt_stop_set_error(s, "%s: cannot set %ld 8N1: %s", path, baud, strerror(-r));
		dev_close(s);
	}
	return r;
}

const struct ykt_stop_ops ykt_stop_nmea_ops = {
	.scheme = "nmea",
	.priv_size = sizeof(struct dev),
	.open = nmea_open,
	.close = dev_close,
};
