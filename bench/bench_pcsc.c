/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The pcsc: drivers' cost, against a private pcscd with vpcd slots
 * (tests/emu), for the contactless card and for the PSAM, each through
 * three paths:
 *
 *   raw      the APDU framed as vpcd frames it, sent to the emulated card
 *            or PSAM over its own TCP connection, the answer read back: the
 *            emulator's own round trip (loopback TCP, framing, the
 *            simulated card or PSAM), no pcscd
 *   pcsc     SCardTransmit() on a handle of our own, through pcscd and vpcd
 *   driver   ykt_reader_transceive() / ykt_sam_transmit() through the
 *            pcsc: reader and SAM slot (the same pcscd slot, shared)
 *
 * Card: SELECT PPSE (20 bytes out, 60 back). PSAM: READ BINARY of the
 * terminal number (5 out, 8 back). The paths take turns in rounds of 100
 * exchanges, so that the load of a shared machine falls on them alike.
 * CPU per APDU is the calling thread's (the client side; pcscd's work is
 * in pcscd, the emulators' in their threads). Then the CPU of this
 * process (validator and emulators) and of pcscd while the reader waits
 * for a card that does not come.
 *
 * Usage: bench/pcsc [--apdus N] [--idle-seconds S] [--tiny]
 * (defaults 5000 APDUs per path and device, 10 s idle; --tiny: 100 and 1,
 * only to show that it runs). Needs root for the private pcscd (exit 77
 * otherwise). Prints `name: value unit` lines.
 */
#include "bench.h"
#include "loop.h"
#include "pcscd_private.h"
#include "reader.h"
#include "sam.h"
#include "sim.h"
#include "vpcd.h"
#include "vpcd_field.h"
#include "vpcd_psam.h"

#include <PCSC/winscard.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define ROUND	  100
#define WARMUP	  200
#define CARD_SLOT "YKT 00 00"
#define PSAM_SLOT "YKT 00 01"

static const uint8_t ppse[] = { 0x00, 0xA4, 0x04, 0x00, 0x0E, '2', 'P', 'A', 'Y', '.',
				'S',  'Y',  'S',  '.',	'D',  'D', 'F', '0', '1', 0x00 };
static const uint8_t read_terminal[] = { 0x00, 0xB0, 0x96, 0x00, 0x06 };

enum { RAW, PCSC, DRIVER, N_PATHS };
static const char *const path_names[N_PATHS] = { "raw", "pcsc", "driver" };

/* ---- the raw path: a vpcd-like server of our own ---- */

struct raw_link {
	int listen_fd, fd;
	uint16_t port;
};

static int raw_listen(struct raw_link *l)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	l->fd = -1;
	l->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l->listen_fd < 0 || bind(l->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(l->listen_fd, 1) < 0 || getsockname(l->listen_fd, (struct sockaddr *)&sa, &len))
		return -errno;
	l->port = ntohs(sa.sin_port);
	return 0;
}

static int raw_accept(struct raw_link *l)
{
	static const int one = 1;

	l->fd = accept(l->listen_fd, NULL, NULL);
	if (l->fd < 0)
		return -errno;
	/* the server side without Nagle: the emulator's time, not TCP's */
	setsockopt(l->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return 0;
}

static int raw_recv(int fd, uint8_t *buf, size_t len)
{
	static const int one = 1;

	for (size_t got = 0; got < len;) {
		ssize_t n;

		setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one));
		n = recv(fd, buf + got, len - got, 0);
		if (n <= 0)
			return -EIO;
		got += (size_t)n;
	}
	return 0;
}

static int raw_exchange(struct raw_link *l, const uint8_t *apdu, size_t len)
{
	uint8_t out[300], in[300], hdr[2];
	size_t n;

	out[0] = (uint8_t)(len >> 8);
	out[1] = (uint8_t)len;
	memcpy(out + 2, apdu, len);
	if (send(l->fd, out, len + 2, MSG_NOSIGNAL) != (ssize_t)(len + 2) ||
	    raw_recv(l->fd, hdr, 2) < 0)
		return -EIO;
	n = (size_t)hdr[0] << 8 | hdr[1];
	if (n < 2 || n > sizeof(in))
		return -EPROTO;
	return raw_recv(l->fd, in, n);
}

static void raw_close(struct raw_link *l)
{
	if (l->fd >= 0)
		close(l->fd);
	if (l->listen_fd >= 0)
		close(l->listen_fd);
}

/* A simulated card behind a vpcd connection, for the raw path (the field's
 * runner is for pcscd). */
static void card_control(void *userdata, enum vpcd_control ctl)
{
}

static size_t card_atr(void *userdata, uint8_t *atr, size_t cap)
{
	static const uint8_t picc[] = { 0x3B, 0x80, 0x80, 0x01, 0x01 };

	if (cap < sizeof(picc))
		return 0;
	memcpy(atr, picc, sizeof(picc));
	return sizeof(picc);
}

static enum vpcd_reply card_apdu(void *userdata, const uint8_t *capdu, size_t capdu_len,
				 uint8_t *rapdu, size_t rapdu_cap, size_t *ret_rapdu_len)
{
	sim_card_transmit(userdata, capdu, capdu_len, rapdu, rapdu_cap, ret_rapdu_len);
	return VPCD_REPLY;
}

static const struct vpcd_card_ops raw_card_ops = { card_control, card_atr, card_apdu };

/* ---- the bench ---- */

struct device {
	const char *name;
	const uint8_t *apdu;
	size_t apdu_len;
	struct raw_link raw;
	SCARDHANDLE handle;
	DWORD protocol;
	struct bench_samples ns[N_PATHS];
	int64_t cpu_ns[N_PATHS];
};

struct bench {
	char dir[256];
	struct pcscd_private pcscd;
	struct vpcd_field *field;   /* the card in pcscd's slot */
	struct vpcd_psam *psam;	    /* the PSAM in pcscd's slot */
	struct vpcd_psam *psam_raw; /* another, for the raw path */
	struct sim_card *card_raw;  /* the card of the raw path */
	struct vpcd *card_raw_vpcd;
	SCARDCONTEXT ctx;
	struct ykt_loop *loop;
	struct ykt_reader *reader;
	struct ykt_sam *sam;
	bool card_seen, card_left;
	struct device card, sam_dev;
};

static void on_event(struct ykt_loop *loop, const struct ykt_event *ev, void *userdata)
{
	struct bench *b = userdata;

	if (ev->type == YKT_EV_CARD_PRESENT)
		b->card_seen = true;
	if (ev->type == YKT_EV_CARD_REMOVED)
		b->card_left = true;
	if (ev->type == YKT_EV_CARD_PRESENT || ev->type == YKT_EV_CARD_REMOVED)
		ykt_loop_quit(loop, 0);
}

static int exchange(struct bench *b, struct device *d, int path)
{
	uint8_t resp[300];
	DWORD len = sizeof(resp);
	size_t n;

	switch (path) {
	case RAW:
		return raw_exchange(&d->raw, d->apdu, d->apdu_len);
	case PCSC:
		return SCardTransmit(d->handle,
				     d->protocol == SCARD_PROTOCOL_T0 ? SCARD_PCI_T0 : SCARD_PCI_T1,
				     d->apdu, (DWORD)d->apdu_len, NULL, resp,
				     &len) == SCARD_S_SUCCESS
			   ? 0
			   : -EIO;
	default:
		return d == &b->card
			   ? ykt_reader_transceive(b->reader, d->apdu, d->apdu_len, resp,
						   sizeof(resp), &n)
			   : ykt_sam_transmit(b->sam, d->apdu, d->apdu_len, resp, sizeof(resp), &n);
	}
}

static int run_paths(struct bench *b, struct device *d, int apdus)
{
	for (int path = 0; path < N_PATHS; path++)
		for (int i = 0; i < WARMUP; i++)
			if (exchange(b, d, path) < 0)
				return -EIO;
	for (int done = 0; done < apdus; done += ROUND) {
		for (int path = 0; path < N_PATHS; path++) {
			int64_t cpu = bench_thread_cpu_ns();

			for (int i = 0; i < ROUND; i++) {
				int64_t t = bench_now_ns();

				if (exchange(b, d, path) < 0)
					return -EIO;
				bench_samples_add(&d->ns[path], (double)(bench_now_ns() - t));
			}
			d->cpu_ns[path] += bench_thread_cpu_ns() - cpu;
		}
	}
	return 0;
}

static void report(struct device *d)
{
	double p50[N_PATHS], cpu[N_PATHS];
	char name[64];
	size_t n = d->ns[RAW].n;

	for (int path = 0; path < N_PATHS; path++) {
		p50[path] = bench_pct(&d->ns[path], 50) / 1000;
		cpu[path] = n ? (double)d->cpu_ns[path] / (double)n / 1000 : 0;
		snprintf(name, sizeof(name), "%s round trip p50", path_names[path]);
		bench_printp(d->name, name, p50[path], 1, "us");
		snprintf(name, sizeof(name), "%s round trip p99", path_names[path]);
		bench_printp(d->name, name, bench_pct(&d->ns[path], 99) / 1000, 1, "us");
		snprintf(name, sizeof(name), "%s cpu per apdu", path_names[path]);
		bench_printp(d->name, name, cpu[path], 1, "us");
	}
	bench_printp(d->name, "pcscd added p50 over raw", p50[PCSC] - p50[RAW], 1, "us");
	bench_printp(d->name, "driver added p50 over pcsc", p50[DRIVER] - p50[PCSC], 1, "us");
	bench_printp(d->name, "driver added p50 over raw", p50[DRIVER] - p50[RAW], 1, "us");
	bench_printp(d->name, "driver added cpu over pcsc", cpu[DRIVER] - cpu[PCSC], 2, "us");
}

static int connect_shared(struct bench *b, struct device *d, const char *reader)
{
	LONG rc = SCardConnect(b->ctx, reader, SCARD_SHARE_SHARED,
			       SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, &d->handle, &d->protocol);

	return rc == SCARD_S_SUCCESS ? 0 : -EIO;
}

/* pcscd, the PSAM and the card in its slots, the raw links. */
static int setup_emulators(struct bench *b)
{
	char path[600], why[300], err[256] = "", script[600];
	unsigned since;
	bool present;
	FILE *f;
	int r;

	r = pcscd_private_start(&b->pcscd, b->dir, "YKT", why, sizeof(why));
	if (r < 0) {
		fprintf(stderr, "%s\n", why);
		return r;
	}
	snprintf(path, sizeof(path), "%s/psam/psam.psam", bench_data_dir());
	r = vpcd_psam_new(b->pcscd.port + 1, path, false, &b->psam, err, sizeof(err));
	if (r == 0)
		r = pcscd_private_look(PSAM_SLOT, &since, &present);
	if (r == 0)
		r = vpcd_insert(vpcd_psam_vpcd(b->psam), 5000);
	if (r == 0)
		r = pcscd_private_wait_card(PSAM_SLOT, true, since, 1, 5000);
	snprintf(script, sizeof(script), "%s/field.tap", b->dir);
	f = fopen(script, "w");
	if (f) {
		fprintf(f, "tap %s/cards/adult.card\n", bench_data_dir());
		fclose(f);
	}
	snprintf(path, sizeof(path), "%s/clock", b->dir);
	if (r == 0)
		r = vpcd_field_new(b->pcscd.port, CARD_SLOT, script, path, &b->field, err,
				   sizeof(err));
	if (r < 0)
		fprintf(stderr, "emulators: %s %s\n", strerror(-r), err);
	return r;
}

static int setup_raw(struct bench *b)
{
	char path[600], err[256] = "";
	int r;

	snprintf(path, sizeof(path), "%s/psam/psam.psam", bench_data_dir());
	r = raw_listen(&b->sam_dev.raw);
	if (r == 0)
		r = vpcd_psam_new(b->sam_dev.raw.port, path, false, &b->psam_raw, err, sizeof(err));
	if (r == 0)
		r = vpcd_insert(vpcd_psam_vpcd(b->psam_raw), 5000);
	if (r == 0)
		r = raw_accept(&b->sam_dev.raw);
	snprintf(path, sizeof(path), "%s/cards/adult.card", bench_data_dir());
	if (r == 0)
		r = raw_listen(&b->card.raw);
	if (r == 0)
		r = sim_card_load(path, &b->card_raw, err, sizeof(err));
	if (r == 0)
		r = vpcd_new(b->card.raw.port, &raw_card_ops, b->card_raw, &b->card_raw_vpcd);
	if (r == 0)
		r = vpcd_insert(b->card_raw_vpcd, 5000);
	if (r == 0)
		r = raw_accept(&b->card.raw);
	return r;
}

/* The drivers, and our own pcsc-lite handles beside them. */
static int setup_drivers(struct bench *b)
{
	struct ykt_reader_env renv = { 0 };
	struct ykt_sam_env senv = { 0 };
	char err[256] = "";
	uint8_t atr[40];
	size_t atr_len;
	int r = ykt_loop_new(on_event, b, &b->loop);

	renv.loop = b->loop;
	if (r == 0)
		r = ykt_reader_open("pcsc:" CARD_SLOT ",share=shared", &renv, &b->reader, err,
				    sizeof(err));
	if (r == 0)
		r = vpcd_field_start(b->field, NULL, NULL);
	if (r == 0)
		r = ykt_reader_start(b->reader);
	if (r == 0)
		ykt_loop_run(b->loop); /* until the card is reported */
	if (r == 0 && !b->card_seen)
		r = -ENOMEDIUM;
	if (r == 0)
		r = ykt_sam_open("pcsc:" PSAM_SLOT ",share=shared", &senv, &b->sam, err,
				 sizeof(err));
	if (r == 0)
		r = ykt_sam_reset(b->sam, atr, sizeof(atr), &atr_len);
	if (r == 0 && SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &b->ctx))
		r = -ENODEV;
	if (r == 0)
		r = connect_shared(b, &b->card, CARD_SLOT);
	if (r == 0)
		r = connect_shared(b, &b->sam_dev, PSAM_SLOT);
	if (r < 0)
		fprintf(stderr, "drivers: %s %s\n", strerror(-r), err);
	return r;
}

/* utime + stime of a process, in clock ticks (/proc/PID/stat fields 14
 * and 15, after the command name in parentheses); -1 if unreadable. */
static int64_t proc_cpu_ticks(const char *path)
{
	char buf[1024], *p;
	unsigned long long ut, st;
	FILE *f = fopen(path, "re");
	size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;

	if (f)
		fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	if (!p ||
	    sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
		return -1;
	return (int64_t)(ut + st);
}

/* The reader waiting for a card that does not come: CPU of this process
 * (validator and emulators) and of pcscd. */
static void measure_idle(struct bench *b, int seconds)
{
	int64_t self0, self1, pcscd0, pcscd1, t0, t1;
	long tick = sysconf(_SC_CLK_TCK);
	char path[64];

	SCardDisconnect(b->card.handle, SCARD_LEAVE_CARD);
	b->card.handle = 0;
	ykt_reader_done(b->reader); /* the card is powered down and taken away */
	while (!b->card_left && ykt_loop_run(b->loop) == 0 && !b->card_left)
		;
	vpcd_field_join(b->field);
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)b->pcscd.pid);
	self0 = bench_process_cpu_ns();
	pcscd0 = proc_cpu_ticks(path);
	t0 = bench_now_ns();
	sleep((unsigned)seconds);
	t1 = bench_now_ns();
	self1 = bench_process_cpu_ns();
	pcscd1 = proc_cpu_ticks(path);
	bench_print("idle process cpu", 100.0 * (double)(self1 - self0) / (double)(t1 - t0), 3,
		    "% of a core");
	if (pcscd0 >= 0 && pcscd1 >= 0 && tick > 0)
		bench_print("idle pcscd cpu",
			    100.0 * (double)(pcscd1 - pcscd0) * 1e9 / (double)tick /
				(double)(t1 - t0),
			    3, "% of a core");
}

static void teardown(struct bench *b)
{
	if (b->card.handle)
		SCardDisconnect(b->card.handle, SCARD_LEAVE_CARD);
	if (b->sam_dev.handle)
		SCardDisconnect(b->sam_dev.handle, SCARD_LEAVE_CARD);
	if (b->ctx)
		SCardReleaseContext(b->ctx);
	ykt_sam_free(b->sam);
	ykt_reader_free(b->reader);
	ykt_loop_free(b->loop);
	vpcd_field_free(b->field);
	vpcd_psam_free(b->psam);
	vpcd_psam_free(b->psam_raw);
	vpcd_free(b->card_raw_vpcd);
	sim_card_free(b->card_raw);
	raw_close(&b->card.raw);
	raw_close(&b->sam_dev.raw);
	pcscd_private_stop(&b->pcscd);
	for (int p = 0; p < N_PATHS; p++) {
		bench_samples_free(&b->card.ns[p]);
		bench_samples_free(&b->sam_dev.ns[p]);
	}
	bench_remove_tree(b->dir);
}

int main(int argc, char **argv)
{
	static struct bench b = {
		.card = { .name = "card", .apdu = ppse, .apdu_len = sizeof(ppse) },
		.sam_dev = { .name = "psam",
			     .apdu = read_terminal,
			     .apdu_len = sizeof(read_terminal) },
	};
	bool tiny = bench_arg_flag(argc, argv, "--tiny");
	int apdus = bench_arg_int(argc, argv, "--apdus", tiny ? ROUND : 5000);
	int idle = bench_arg_int(argc, argv, "--idle-seconds", tiny ? 1 : 10);
	const char *why = pcscd_private_unavailable();
	const char *tmp = getenv("TMPDIR");
	int r;

	if (why) {
		printf("SKIP: %s\n", why);
		return 77;
	}
	b.card.raw.listen_fd = b.card.raw.fd = b.sam_dev.raw.listen_fd = b.sam_dev.raw.fd = -1;
	snprintf(b.dir, sizeof(b.dir), "%s/ykt-bench-pcsc-XXXXXX", tmp ? tmp : "/tmp");
	if (!mkdtemp(b.dir))
		return 1;
	r = setup_emulators(&b);
	if (r == 0)
		r = setup_raw(&b);
	if (r == 0)
		r = setup_drivers(&b);
	if (r == 0)
		r = run_paths(&b, &b.card, apdus);
	if (r == 0)
		r = run_paths(&b, &b.sam_dev, apdus);
	if (r == 0) {
		bench_print("apdus per path", apdus, 0, "");
		report(&b.card);
		report(&b.sam_dev);
		measure_idle(&b, idle);
	}
	teardown(&b);
	if (r < 0)
		fprintf(stderr, "bench/pcsc: %s\n", strerror(-r));
	return r < 0 ? 1 : 0;
}
