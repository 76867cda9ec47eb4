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
 * for the same APDU (SELECT PPSE, 20 bytes out, ~60 back), and the CPU the
 * validator's process spends while the reader waits for a card (getrusage
 * over a few seconds of wall time; the emulator's own CPU is not counted).
 *
 * Usage: bench-libnfc EMULATOR DATADIR [APDUS [IDLE_SECONDS]]
 * Prints `name: value unit` lines.
 */
#include "emu_proc.h"
#include "loop.h"
#include "pn532_frame.h"
#include "reader.h"

#include "clock.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <nfc/nfc.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ftw.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

static const uint8_t ppse[] = { 0x00, 0xA4, 0x04, 0x00, 0x0E, '2', 'P', 'A', 'Y', '.',
				'S',  'Y',  'S',  '.',	'D',  'D', 'F', '0', '1', 0x00 };

static char dir[256], data[PATH_MAX], script_text[PATH_MAX + 32];
static const char *emu_path;
static int n_apdus = 2000;
#define WARMUP 200 /* exchanges before measuring */

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* medians of each stage, for the differences at the end */
static double p50_raw_us = -1, p50_libnfc_us = -1, p50_driver_us = -1;

static void report(const char *name, int64_t *ns, int n, double *ret_p50_us)
{
	qsort(ns, (size_t)n, sizeof(ns[0]), cmp_i64);
	*ret_p50_us = ns[n / 2] / 1000.0;
	printf("%s_p50: %.1f us\n", name, ns[n / 2] / 1000.0);
	printf("%s_p99: %.1f us\n", name, ns[n * 99 / 100] / 1000.0);
}

static int start(struct emu_proc *emu, const char *sub, const char *text)
{
	char d[300], script[600];
	FILE *f;

	snprintf(d, sizeof(d), "%s/%s", dir, sub);
	mkdir(d, 0700);
	snprintf(script, sizeof(script), "%s/field.tap", d);
	f = fopen(script, "w");
	if (!f)
		return -errno;
	fputs(text, f);
	fclose(f);
	return emu_proc_start(emu, emu_path, d, (const char *const[]){ "--script", script, NULL });
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

/* One command: its ACK, then its answer frame's data (normal frames). */
static int raw_cmd(int fd, const uint8_t *cmd, size_t len, uint8_t *ans, size_t *ret_len)
{
	uint8_t frame[PN532_FRAME_WIRE_MAX], hdr[6];
	size_t n = pn532_frame_build_tfi(PN532_TFI_HOST, cmd, len, frame, sizeof(frame));

	if (write(fd, frame, n) != (ssize_t)n || read_exact(fd, hdr, 6) < 0 ||
	    memcmp(hdr, pn532_ack_frame, 6) != 0 || read_exact(fd, hdr, 5) < 0 || hdr[3] < 2)
		return -EIO;
	if (read_exact(fd, ans, (size_t)hdr[3] + 2) < 0)
		return -EIO;
	*ret_len = hdr[3] - 2u; /* without TFI and command code; ans[0] is TFI */
	return 0;
}

static void bench_raw(void)
{
	static const uint8_t list_a[] = { 0x4A, 0x01, 0x00 };
	uint8_t cmd[64] = { 0x40, 0x01 }, ans[300];
	struct emu_proc emu;
	struct termios t;
	int64_t *ns = calloc((size_t)n_apdus, sizeof(*ns));
	size_t len;
	int fd, i = 0;

	if (!ns || start(&emu, "raw", script_text) < 0)
		return;
	fd = open(emu.link, O_RDWR | O_NOCTTY | O_NONBLOCK);
	if (fd >= 0 && tcgetattr(fd, &t) == 0) {
		cfmakeraw(&t);
		tcsetattr(fd, TCSANOW, &t);
	}
	memcpy(cmd + 2, ppse, sizeof(ppse));
	if (fd >= 0 && raw_cmd(fd, list_a, sizeof(list_a), ans, &len) == 0 && ans[2] == 1) {
		for (i = -WARMUP; i < n_apdus; i++) {
			int64_t t0 = ykt_monotonic_ns();

			if (raw_cmd(fd, cmd, 2 + sizeof(ppse), ans, &len) < 0 || ans[2] != 0)
				break;
			if (i >= 0)
				ns[i] = ykt_monotonic_ns() - t0;
		}
	}
	if (i == n_apdus)
		report("raw_roundtrip", ns, n_apdus, &p50_raw_us);
	else
		fprintf(stderr, "raw: failed after %d exchanges\n", i);
	if (fd >= 0)
		close(fd);
	emu_proc_stop(&emu);
	free(ns);
}

/* ---- libnfc alone ---- */

static void bench_libnfc(void)
{
	const nfc_modulation a = { .nmt = NMT_ISO14443A, .nbr = NBR_106 };
	nfc_context *ctx = NULL;
	nfc_device *dev = NULL;
	nfc_target target;
	nfc_connstring conn;
	struct emu_proc emu;
	uint8_t rapdu[300];
	int64_t *ns = calloc((size_t)n_apdus, sizeof(*ns));
	int i = 0;

	if (!ns || start(&emu, "libnfc", script_text) < 0)
		return;
	nfc_init(&ctx);
	snprintf(conn, sizeof(conn), "%s", emu.uri + strlen("libnfc:"));
	if (ctx)
		dev = nfc_open(ctx, conn);
	if (dev && nfc_initiator_init(dev) == 0 &&
	    nfc_initiator_select_passive_target(dev, a, NULL, 0, &target) == 1) {
		for (i = -WARMUP; i < n_apdus; i++) {
			int64_t t0 = ykt_monotonic_ns();

			if (nfc_initiator_transceive_bytes(dev, ppse, sizeof(ppse), rapdu,
							   sizeof(rapdu), 1000) < 2)
				break;
			if (i >= 0)
				ns[i] = ykt_monotonic_ns() - t0;
		}
	}
	if (i == n_apdus)
		report("libnfc_roundtrip", ns, n_apdus, &p50_libnfc_us);
	else
		fprintf(stderr, "libnfc: failed after %d exchanges\n", i);
	if (dev)
		nfc_close(dev);
	if (ctx)
		nfc_exit(ctx);
	emu_proc_stop(&emu);
	free(ns);
}

/* ---- the driver, and its CPU while waiting ---- */

struct drv {
	struct ykt_reader *reader;
	int64_t *ns;
	int done;
};

static void on_event(struct ykt_loop *loop, const struct ykt_event *ev, void *userdata)
{
	struct drv *d = userdata;
	uint8_t rapdu[300];
	size_t len;

	if (ev->type != YKT_EV_CARD_PRESENT)
		return;
	for (d->done = -WARMUP; d->done < n_apdus; d->done++) {
		int64_t t0 = ykt_monotonic_ns();

		if (ykt_reader_transceive(d->reader, ppse, sizeof(ppse), rapdu, sizeof(rapdu),
					  &len) < 0)
			break;
		if (d->done >= 0)
			d->ns[d->done] = ykt_monotonic_ns() - t0;
	}
	ykt_reader_done(d->reader);
	ykt_loop_quit(loop, 0);
}

static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
	       ru.ru_stime.tv_usec / 1e6;
}

/* The validator's process while the reader waits: the loop thread sleeps
 * in epoll, the poll thread in libnfc's InAutoPoll. */
static void idle_cpu(int seconds)
{
	int64_t t0 = ykt_monotonic_ns();
	double c0 = cpu_s(), wall;

	ykt_sleep_ns((uint64_t)seconds * 1000000000ULL);
	wall = (ykt_monotonic_ns() - t0) / 1e9;
	printf("idle_cpu: %.3f %% of a core (%.1f s wall, %.1f ms CPU)\n",
	       100.0 * (cpu_s() - c0) / wall, wall, 1000.0 * (cpu_s() - c0));
}

static void bench_driver(int idle_seconds)
{
	struct drv d = { .ns = calloc((size_t)n_apdus, sizeof(int64_t)) };
	struct ykt_reader_env env = { 0 };
	struct ykt_loop *loop = NULL;
	struct emu_proc emu;
	char err[256] = "";

	if (!d.ns || start(&emu, "driver", script_text) < 0)
		return;
	if (ykt_loop_new(on_event, &d, &loop) == 0) {
		env.loop = loop;
		if (ykt_reader_open(emu.uri, &env, &d.reader, err, sizeof(err)) == 0 &&
		    ykt_reader_start(d.reader) == 0)
			ykt_loop_run(loop);
	}
	if (d.done == n_apdus)
		report("driver_roundtrip", d.ns, n_apdus, &p50_driver_us);
	else
		fprintf(stderr, "driver: failed after %d exchanges %s\n", d.done, err);
	/* the script is over: the reader now waits for a card that never comes */
	if (d.reader)
		idle_cpu(idle_seconds);
	ykt_reader_free(d.reader);
	ykt_loop_free(loop);
	emu_proc_stop(&emu);
	free(d.ns);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

int main(int argc, char **argv)
{
	int idle_seconds = 5;

	if (argc < 3 || !realpath(argv[2], data))
		return 2;
	emu_path = argv[1];
	if (argc > 3)
		n_apdus = atoi(argv[3]) > 0 ? atoi(argv[3]) : n_apdus;
	if (argc > 4)
		idle_seconds = atoi(argv[4]) > 0 ? atoi(argv[4]) : idle_seconds;
	snprintf(dir, sizeof(dir), "/tmp/bench-libnfc-XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	snprintf(script_text, sizeof(script_text), "tap %s/cards/adult.card\n", data);
	printf("apdus: %d\n", n_apdus);
	bench_raw();
	bench_libnfc();
	bench_driver(idle_seconds);
	if (p50_raw_us >= 0 && p50_libnfc_us >= 0 && p50_driver_us >= 0) {
		printf("added_by_libnfc_p50: %.1f us\n", p50_libnfc_us - p50_raw_us);
		printf("added_by_driver_over_libnfc_p50: %.1f us\n", p50_driver_us - p50_libnfc_us);
		printf("added_by_driver_and_libnfc_over_raw_p50: %.1f us\n",
		       p50_driver_us - p50_raw_us);
	}
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}
