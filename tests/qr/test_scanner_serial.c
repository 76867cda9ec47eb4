/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The serial: scanner over a pseudo-terminal, as a scanner module on a UART
 * (or a USB CDC-ACM scanner, the same tty code) would feed it: garbage
 * before a code, a code in split writes, two codes back to back, an
 * oversized frame, hex text lines, and the device going away.  Codes come
 * out of the scanner queue through the loop, as the validator takes them.
 */
#include "check.h"
#include "loop.h"
#include "scanner.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct run {
	struct ykt_scanner *scanner;
	size_t want, n;
	size_t len[8];
	uint8_t code[8][YKT_SCAN_MAX];
	int device_errors;
	bool timed_out;
	sem_t taken; /* posted for every scan taken */
};

/* one write to the pty, then a pause (ms) */
struct chunk {
	const uint8_t *p;
	size_t n;
	int pause_ms;
};

struct writer {
	struct run *run;
	int master;
	const struct chunk *chunks;
	size_t n_chunks;
	bool hang_up; /* close the master at the end */
};

static void on_event(struct ykt_loop *loop, const struct ykt_event *ev, void *userdata)
{
	struct run *r = userdata;
	uint8_t buf[YKT_SCAN_MAX];
	size_t len;

	if (ev->type == YKT_EV_DEVICE_ERROR) {
		r->device_errors++;
		ykt_loop_quit(loop, 0);
		return;
	}
	if (ev->type != YKT_EV_CODE_SCANNED)
		return;
	CHECK_INT(ykt_scanner_take(r->scanner, buf, sizeof(buf), &len), 0);
	if (r->n < 8) {
		r->len[r->n] = len;
		memcpy(r->code[r->n], buf, len);
	}
	r->n++;
	sem_post(&r->taken);
	CHECK_INT(ykt_scanner_done(r->scanner), -EOPNOTSUPP);
	if (r->n == r->want)
		ykt_loop_quit(loop, 0);
}

/* A guard against a hang, not a measurement: the run fails if it fires. */
static void on_guard(struct ykt_loop *loop, void *userdata)
{
	struct run *r = userdata;

	r->timed_out = true;
	ykt_loop_quit(loop, 0);
}

static void pause_ms(int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static void *write_chunks(void *userdata)
{
	struct writer *w = userdata;

	for (size_t i = 0; i < w->n_chunks; i++) {
		const struct chunk *c = &w->chunks[i];

		CHECK(write(w->master, c->p, c->n) == (ssize_t)c->n, "pty write: %s",
		      strerror(errno));
		pause_ms(c->pause_ms);
	}
	/* unplugged once the code was taken: what a tty still held when its
	 * other side went away is not this test's question */
	if (w->hang_up) {
		struct timespec until;

		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += 30; /* the loop's guard fires first */
		sem_timedwait(&w->run->taken, &until);
		close(w->master);
	}
	return NULL;
}

static int open_pty(char *slave, size_t cap)
{
	int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);

	if (m < 0 || grantpt(m) < 0 || unlockpt(m) < 0 || ptsname_r(m, slave, cap) != 0)
		check_skip("no pseudo-terminals here");
	return m;
}

/* Open serial:PTY OPTIONS, write the chunks from a thread, and run the loop
 * until want scans came (or the device went away). */
static void run_scanner(const char *options, const struct chunk *chunks, size_t n_chunks,
			bool hang_up, struct run *r)
{
	char slave[128], uri[256], err[256] = "";
	struct ykt_loop *loop = NULL;
	struct writer w = { .run = r, .chunks = chunks, .n_chunks = n_chunks, .hang_up = hang_up };
	struct ykt_scanner_env env = { .source = 1 };
	pthread_t thread;
	int rc;

	sem_init(&r->taken, 0, 0);
	w.master = open_pty(slave, sizeof(slave));
	snprintf(uri, sizeof(uri), "serial:%s%s", slave, options);
	CHECK_INT(ykt_loop_new(on_event, r, &loop), 0);
	CHECK_INT(ykt_loop_add_timer(loop, 20000, on_guard, r) >= 0, 1);
	env.loop = loop;
	rc = ykt_scanner_open(uri, &env, &r->scanner, err, sizeof(err));

	CHECK(rc == 0, "open %s: %s", uri, err);
	if (rc == 0) {
		CHECK_INT(ykt_scanner_start(r->scanner), 0);
		pthread_create(&thread, NULL, write_chunks, &w);
		ykt_loop_run(loop);
		pthread_join(thread, NULL);
		ykt_scanner_free(r->scanner);
	}
	if (!hang_up)
		close(w.master);
	ykt_loop_free(loop);
	sem_destroy(&r->taken);
	CHECK(!r->timed_out, "%s: %zu of %zu scans before the guard fired", options, r->n, r->want);
}

static size_t make_frame(uint8_t *out, uint8_t version, size_t total, uint8_t seed)
{
	out[0] = version;
	out[1] = (uint8_t)((total - 3) >> 8);
	out[2] = (uint8_t)(total - 3);
	out[3] = 0x24;
	for (size_t i = 4; i < total; i++)
		out[i] = (uint8_t)((seed * 31 + i * 7) & 0x7f);
	return total;
}

static void garbage_split_back_to_back(void)
{
	static const uint8_t noise[] = { 0x00, 0xff, 0x80, 0x00, 0x13, '\r', '\n', 0x81, 0x7f };
	uint8_t a[400], b[400], c[400], two[800];
	size_t na = make_frame(a, 0x80, 340, 1), nb = make_frame(b, 0x81, 364, 2),
	       nc = make_frame(c, 0x80, 332, 3);
	struct run r = { .want = 4 };

	memcpy(two, b, nb);
	memcpy(two + nb, c, nc);
	const struct chunk chunks[] = {
		{ noise, sizeof(noise), 5 },
		{ a, 3, 5 }, /* split inside the head */
		{ a + 3, 200, 5 },
		{ a + 203, na - 203, 5 },
		{ two, nb + nc, 5 }, /* two codes in one write */
		{ a, na, 0 },	     /* and the first again */
	};

	/* idle 2 s: the 5 ms pauses never end a scan, however loaded the machine */
	run_scanner(":115200:idle=2000", chunks, sizeof(chunks) / sizeof(chunks[0]), false, &r);
	CHECK_INT(r.n, 4);
	CHECK(r.len[0] == na && !memcmp(r.code[0], a, na), "the split code after the noise");
	CHECK(r.len[1] == nb && !memcmp(r.code[1], b, nb), "the first of two back to back");
	CHECK(r.len[2] == nc && !memcmp(r.code[2], c, nc), "the second of two back to back");
	CHECK(r.len[3] == na && !memcmp(r.code[3], a, na), "the last code");
}

/* An oversized frame is noise: after the quiet time it is one unreadable
 * scan, and the next code still comes through. */
static void oversized_then_code(void)
{
	uint8_t big[700], a[400];
	size_t na = make_frame(a, 0x81, 350, 4);
	struct run r = { .want = 2 };

	memset(big, 0x11, sizeof(big));
	big[0] = 0x80;
	big[1] = 0x02;
	big[2] = 0xb9; /* 700 bytes in all */
	big[3] = 0x24;
	const struct chunk chunks[] = { { big, sizeof(big), 400 }, { a, na, 0 } };

	run_scanner(":9600:idle=100", chunks, 2, false, &r);
	CHECK_INT(r.n, 2);
	CHECK_INT(r.len[0], 0);
	CHECK(r.len[1] == na && !memcmp(r.code[1], a, na), "the code after the oversized frame");
}

static void hex_lines(void)
{
	static const char lines[] = "8001A2FF\r\n"
				    "https://example.invalid/\r\n"
				    "80 01 24 55\n";
	struct run r = { .want = 3 };
	const struct chunk chunks[] = { { (const uint8_t *)lines, sizeof(lines) - 1, 0 } };

	run_scanner(":hex", chunks, 1, false, &r);
	CHECK_INT(r.n, 3);
	CHECK_HEX(r.code[0], r.len[0], "80 01 A2 FF");
	CHECK_INT(r.len[1], 0);
	CHECK_HEX(r.code[2], r.len[2], "80 01 24 55");
}

/* The scanner unplugged: the driver reports the device lost. */
static void hang_up(void)
{
	uint8_t a[400];
	size_t na = make_frame(a, 0x80, 340, 5);
	struct run r = { .want = 99 };
	const struct chunk chunks[] = { { a, na, 0 } };

	run_scanner("", chunks, 1, true, &r);
	CHECK_INT(r.n, 1);
	CHECK_INT(r.device_errors, 1);
}

static void bad_uris(void)
{
	struct ykt_scanner_env env = { 0 };
	struct ykt_scanner *s;
	char err[256];

	CHECK_INT(ykt_scanner_open("serial:/dev/ttyS2:123", &env, &s, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "baud") != NULL, "%s", err);
	CHECK_INT(ykt_scanner_open("serial:/dev/ttyS2:idle=0", &env, &s, err, sizeof(err)),
		  -EINVAL);
	CHECK_INT(ykt_scanner_open("serial:tty", &env, &s, err, sizeof(err)), -EINVAL);
	CHECK_INT(ykt_scanner_open("serial:/dev/null", &env, &s, err, sizeof(err)), -ENOTTY);
	CHECK(strstr(err, "not a terminal") != NULL, "%s", err);
	CHECK_INT(ykt_scanner_open("serial:/nonexistent/tty:9600:hex", &env, &s, err, sizeof(err)),
		  -ENOENT);
	CHECK(strstr(err, "/nonexistent/tty:") != NULL, "path without its options: %s", err);
	CHECK_INT(ykt_scanner_open("hid:/dev/input/event3", &env, &s, err, sizeof(err)), -ENOENT);
	CHECK(strstr(err, "serial") != NULL, "the schemes of this build: %s", err);
	CHECK_INT(ykt_scanner_scheme_known("serial:/dev/ttyACM0"), 1);
	CHECK_INT(ykt_scanner_scheme_known("usb:1"), 0);
}

int main(void)
{
	bad_uris();
	garbage_split_back_to_back();
	oversized_then_code();
	hex_lines();
	hang_up();
	return check_result();
}
