/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The libnfc: reader's cost, against the PN532 emulator on a pty:
 *
 *   raw      an InDataExchange frame written to the pty and its answer read
 *            back by hand: the emulator's own round trip (pty, framing, the
 *            simulated card)
 *   libnfc   nfc_initiator_transceive_bytes() on a device libnfc opened
 *   driver   ykt_reader_transceive() through the libnfc: reader
 *
 * for the same APDU (SELECT PPSE, 20 bytes out, 60 back). Each path has its
 * own emulator, and the three take turns in rounds of 100 exchanges, so
 * that the load of a shared machine falls on all three alike. Then the CPU
 * the validator's process spends while the reader waits for a card
 * (getrusage over some seconds; the emulator's own CPU is not counted).
 *
 * Usage: bench/libnfc [--apdus N] [--idle-seconds S] [--tiny]
 *        [--emulator PATH] [--data DIR]
 * (defaults: 5000 APDUs per path, 10 s idle, the build's emulator and
 * tests/data; --tiny: 100 and 1, only to show that it runs). Prints
 * `name: value unit` lines; temporary files under $TMPDIR.
 */
#include "clock.h"
#include "emu_proc.h"
#include "loop.h"
#include "pn532_frame.h"
#include "reader.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <limits.h>
#include <nfc/nfc.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#define ROUND  100 /* exchanges per turn */
#define WARMUP 200 /* exchanges per path before measuring */

static const uint8_t ppse[] = { 0x00, 0xA4, 0x04, 0x00, 0x0E, '2', 'P', 'A', 'Y', '.',
				'S',  'Y',  'S',  '.',	'D',  'D', 'F', '0', '1', 0x00 };

enum { RAW, LIBNFC, DRIVER, N_PATHS };
static const char *const path_names[N_PATHS] = { "raw", "libnfc", "driver" };

struct bench {
	const char *emu_path;
	char dir[256], script[PATH_MAX + 32];
	struct emu_proc emu[N_PATHS];
	int fd;		  /* raw */
	nfc_context *ctx; /* libnfc */
	nfc_device *dev;
	struct ykt_loop *loop; /* driver */
	struct ykt_reader *reader;
	bool card; /* the driver reported the card */
	int64_t *ns[N_PATHS];
	double cpu_s[N_PATHS]; /* this thread's CPU time in each path's turns */
	int n;
};

static int start_emulator(struct bench *b, int path)
{
	char d[300], script[600];
	FILE *f;

	snprintf(d, sizeof(d), "%s/%s", b->dir, path_names[path]);
	mkdir(d, 0700);
	snprintf(script, sizeof(script), "%s/field.tap", d);
	f = fopen(script, "w");
	if (!f)
		return -errno;
	fputs(b->script, f);
	fclose(f);
	return emu_proc_start(&b->emu[path], b->emu_path, d,
			      (const char *const[]){ "--script", script, NULL });
}

/* ---- raw frames on the pty ---- */

static int read_exact(int fd, uint8_t *p, size_t n)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	while (n > 0) {
		ssize_t r = read(fd, p, n);

		if (r > 0) {
			p += r;
			n -= (size_t)r;
		} else if (r < 0 && errno == EAGAIN) {
			if (poll(&pfd, 1, 2000) <= 0)
				return -ETIMEDOUT;
		} else {
			return -EIO;
		}
	}
	return 0;
}

/* One command: its ACK, then its answer (normal frames). ans[0] is the
 * TFI, ans[1] the answer code, ans[2] the first data byte. */
static int raw_cmd(int fd, const uint8_t *cmd, size_t len, uint8_t *ans)
{
	uint8_t frame[PN532_FRAME_WIRE_MAX], hdr[6];
	size_t n = pn532_frame_build_tfi(PN532_TFI_HOST, cmd, len, frame, sizeof(frame));

	if (write(fd, frame, n) != (ssize_t)n || read_exact(fd, hdr, 6) < 0 ||
	    memcmp(hdr, pn532_ack_frame, 6) != 0 || read_exact(fd, hdr, 5) < 0 || hdr[3] < 3)
		return -EIO;
	return read_exact(fd, ans, (size_t)hdr[3] + 2);
}

static int raw_open(struct bench *b)
{
	static const uint8_t list_a[] = { 0x4A, 0x01, 0x00 };
	uint8_t ans[300];
	struct termios t;

	b->fd = open(b->emu[RAW].link, O_RDWR | O_NOCTTY | O_NONBLOCK);
	if (b->fd < 0 || tcgetattr(b->fd, &t) < 0)
		return -errno;
	cfmakeraw(&t);
	tcsetattr(b->fd, TCSANOW, &t);
	return raw_cmd(b->fd, list_a, sizeof(list_a), ans) == 0 && ans[2] == 1 ? 0 : -EIO;
}

static int raw_exchange(struct bench *b)
{
	uint8_t cmd[2 + sizeof(ppse)] = { 0x40, 0x01 }, ans[300];

	memcpy(cmd + 2, ppse, sizeof(ppse));
	return raw_cmd(b->fd, cmd, sizeof(cmd), ans) == 0 && ans[2] == 0 ? 0 : -EIO;
}

/* ---- libnfc alone ---- */

static int libnfc_open(struct bench *b)
{
	const nfc_modulation a = { .nmt = NMT_ISO14443A, .nbr = NBR_106 };
	nfc_connstring conn;
	nfc_target target;

	nfc_init(&b->ctx);
	if (!b->ctx)
		return -ENOMEM;
	snprintf(conn, sizeof(conn), "%s", b->emu[LIBNFC].uri + strlen("libnfc:"));
	b->dev = nfc_open(b->ctx, conn);
	if (!b->dev || nfc_initiator_init(b->dev) < 0 ||
	    nfc_initiator_select_passive_target(b->dev, a, NULL, 0, &target) != 1)
		return -EIO;
	return 0;
}

static int libnfc_exchange(struct bench *b)
{
	uint8_t rapdu[300];

	return nfc_initiator_transceive_bytes(b->dev, ppse, sizeof(ppse), rapdu, sizeof(rapdu),
					      1000) >= 2
		   ? 0
		   : -EIO;
}

/* ---- the driver ---- */

static void on_event(struct ykt_loop *loop, const struct ykt_event *ev, void *userdata)
{
	struct bench *b = userdata;

	if (ev->type == YKT_EV_CARD_PRESENT) {
		b->card = true;
		ykt_loop_quit(loop, 0); /* exchanges come from this thread, in turns */
	}
}

static int driver_open(struct bench *b)
{
	struct ykt_reader_env env = { 0 };
	char err[256] = "";
	int rc = ykt_loop_new(on_event, b, &b->loop);

	env.loop = b->loop;
	if (rc == 0)
		rc = ykt_reader_open(b->emu[DRIVER].uri, &env, &b->reader, err, sizeof(err));
	if (rc == 0)
		rc = ykt_reader_start(b->reader);
	if (rc == 0)
		ykt_loop_run(b->loop);
	if (rc < 0 && err[0])
		fprintf(stderr, "driver: %s\n", err);
	return rc < 0 ? rc : b->card ? 0 : -EIO;
}

static int driver_exchange(struct bench *b)
{
	uint8_t rapdu[300];
	size_t len;

	return ykt_reader_transceive(b->reader, ppse, sizeof(ppse), rapdu, sizeof(rapdu), &len);
}

/* ---- measuring ---- */

static double thread_cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_THREAD, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
	       ru.ru_stime.tv_usec / 1e6;
}

static int exchange(struct bench *b, int path)
{
	return path == RAW	? raw_exchange(b)
	       : path == LIBNFC ? libnfc_exchange(b)
				: driver_exchange(b);
}

static int turns(struct bench *b, int total)
{
	for (int path = 0; path < N_PATHS; path++)
		for (int i = 0; i < WARMUP; i++)
			if (exchange(b, path) < 0)
				return -EIO;
	for (b->n = 0; b->n < total; b->n += ROUND) {
		for (int path = 0; path < N_PATHS; path++) {
			double c0 = thread_cpu_s();

			for (int i = b->n; i < b->n + ROUND && i < total; i++) {
				int64_t t0 = ykt_monotonic_ns();

				if (exchange(b, path) < 0)
					return -EIO;
				b->ns[path][i] = ykt_monotonic_ns() - t0;
			}
			b->cpu_s[path] += thread_cpu_s() - c0;
		}
	}
	b->n = total;
	return 0;
}

static int cmp_i64(const void *x, const void *y)
{
	int64_t a = *(const int64_t *)x, c = *(const int64_t *)y;

	return a < c ? -1 : a > c;
}

static double percentile_us(int64_t *ns, int n, int pct)
{
	qsort(ns, (size_t)n, sizeof(ns[0]), cmp_i64);
	return ns[(int64_t)n * pct / 100] / 1000.0;
}

static void report(struct bench *b)
{
	double p50[N_PATHS];

	printf("apdus_per_path: %d\n", b->n);
	for (int path = 0; path < N_PATHS; path++) {
		p50[path] = percentile_us(b->ns[path], b->n, 50);
		printf("%s_roundtrip_p50: %.1f us\n", path_names[path], p50[path]);
		printf("%s_roundtrip_p90: %.1f us\n", path_names[path],
		       percentile_us(b->ns[path], b->n, 90));
		printf("%s_roundtrip_p99: %.1f us\n", path_names[path],
		       percentile_us(b->ns[path], b->n, 99));
		printf("%s_cpu_per_apdu: %.1f us\n", path_names[path], 1e6 * b->cpu_s[path] / b->n);
	}
	printf("added_by_libnfc_p50: %.1f us\n", p50[LIBNFC] - p50[RAW]);
	printf("added_by_driver_over_libnfc_p50: %.1f us\n", p50[DRIVER] - p50[LIBNFC]);
	printf("added_by_driver_and_libnfc_over_raw_p50: %.1f us\n", p50[DRIVER] - p50[RAW]);
	printf("added_cpu_by_driver_over_libnfc: %.1f us\n",
	       1e6 * (b->cpu_s[DRIVER] - b->cpu_s[LIBNFC]) / b->n);
}

static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
	       ru.ru_stime.tv_usec / 1e6;
}

/* The tap is done; the emulator's card leaves at the driver's first
 * presence check and its script is over: from then on the reader waits for
 * a card that never comes. Only the libnfc: reader is open by then. */
static void idle_cpu(struct bench *b, int seconds)
{
	int64_t t0;
	double c0, wall;

	ykt_reader_done(b->reader);
	ykt_sleep_ns(500000000); /* the removal, then the first poll */
	t0 = ykt_monotonic_ns();
	c0 = cpu_s();
	ykt_sleep_ns((uint64_t)seconds * 1000000000ULL);
	wall = (ykt_monotonic_ns() - t0) / 1e9;
	printf("idle_cpu: %.3f %% of a core\n", 100.0 * (cpu_s() - c0) / wall);
	printf("idle_cpu_time: %.2f ms over %.1f s\n", 1000.0 * (cpu_s() - c0), wall);
}

static void close_all(struct bench *b)
{
	if (b->fd >= 0)
		close(b->fd);
	if (b->dev)
		nfc_close(b->dev);
	if (b->ctx)
		nfc_exit(b->ctx);
	b->fd = -1;
	b->dev = NULL;
	b->ctx = NULL;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

struct options {
	const char *emu_path, *data;
	int total, idle_seconds;
};

static int parse_options(int argc, char **argv, struct options *o)
{
	static const struct option opts[] = {
		{ "apdus", required_argument, NULL, 'n' },
		{ "idle-seconds", required_argument, NULL, 'i' },
		{ "tiny", no_argument, NULL, 't' },
		{ "emulator", required_argument, NULL, 'e' },
		{ "data", required_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'n' && atoi(optarg) >= ROUND)
			o->total = atoi(optarg) / ROUND * ROUND;
		else if (c == 'i' && atoi(optarg) > 0)
			o->idle_seconds = atoi(optarg);
		else if (c == 't') {
			o->total = ROUND;
			o->idle_seconds = 1;
		} else if (c == 'e')
			o->emu_path = optarg;
		else if (c == 'd')
			o->data = optarg;
		else
			return -EINVAL;
	}
	return optind == argc ? 0 : -EINVAL;
}

int main(int argc, char **argv)
{
	static struct bench b = { .fd = -1 };
	struct options o = { PN532_EMU, BENCH_DATA_DIR, 5000, 10 };
	const char *tmp = getenv("TMPDIR");
	char data[PATH_MAX];
	int rc = 0;

	if (parse_options(argc, argv, &o) < 0 || !realpath(o.data, data)) {
		fprintf(stderr, "usage: libnfc [--apdus N] [--idle-seconds S] [--tiny] "
				"[--emulator PATH] [--data DIR]\n");
		return 2;
	}
	b.emu_path = o.emu_path;
	snprintf(b.dir, sizeof(b.dir), "%s/bench-libnfc-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
	snprintf(b.script, sizeof(b.script), "tap %s/cards/adult.card\n", data);
	if (!mkdtemp(b.dir))
		return 1;
	for (int path = 0; path < N_PATHS && rc == 0; path++) {
		b.ns[path] = calloc((size_t)o.total, sizeof(int64_t));
		rc = b.ns[path] ? start_emulator(&b, path) : -ENOMEM;
	}
	if (rc == 0 && (raw_open(&b) < 0 || libnfc_open(&b) < 0 || driver_open(&b) < 0))
		rc = -EIO;
	if (rc == 0)
		rc = turns(&b, o.total);
	if (rc == 0)
		report(&b);
	else
		fprintf(stderr, "bench/libnfc: set-up or exchange failed (%d)\n", rc);
	close_all(&b);
	if (b.reader && rc == 0)
		idle_cpu(&b, o.idle_seconds);
	ykt_reader_free(b.reader);
	ykt_loop_free(b.loop);
	for (int path = 0; path < N_PATHS; path++) {
		emu_proc_stop(&b.emu[path]);
		free(b.ns[path]);
	}
	nftw(b.dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return rc < 0;
}
