/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pn532_emu — a PN532 on a pseudo-terminal, for libnfc's unmodified
 * pn532_uart driver, with the simulated card field playing a tap script in
 * front of its antenna (docs/drivers.md, "The PN532 emulator").
 *
 *   pn532_emu --script FILE [--link PATH] [--clock-file PATH]
 *             [--clock-start YYYY-MM-DDThh:mm:ss] [--ledger PATH]
 *             [--stall TAP:MS] [--chunk N] [--trace]
 *
 *   --script       the tap script (docs/tap-scripts.md)
 *   --link         a symlink to the pty, a stable name for the connstring
 *                  (libnfc:pn532_uart:PATH)
 *   --clock-file   where the script's clock goes (the validator's
 *                  clock = file:PATH); --clock-start is its value before the
 *                  script sets it (China Standard Time)
 *   --ledger       the field's ledger, written when the script is over
 *   --stall        before presenting tap TAP the chip stops answering for
 *                  MS milliseconds (or until SIGUSR1), then comes back as
 *                  freshly powered
 *   --chunk        longest InDataExchange answer; longer ones are chained
 *                  with MI (the PN532 buffers 262 bytes)
 *   --trace        every frame in and out on stderr
 *
 * Standard output tells the test what happens, one line each:
 *   pty /dev/pts/N      ready
 *   tap N               tap N's cards are in front of the antenna
 *   stall N             the chip stopped answering before tap N
 *   end                 the script is over (the last tap finished)
 * It runs until SIGTERM or SIGINT, and exits 0; 2 on a usage or setup error.
 * SIGUSR1 ends a stall.
 */
#include "pn532_chip.h"
#include "pn532_frame.h"

#include "clock.h"
#include "sim_field.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

static volatile sig_atomic_t stop, resume;

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		resume = 1;
	else
		stop = 1;
}

struct emu_args {
	const char *script, *link;
	bool trace;
	struct pn532_options opt;
};

static int usage(void)
{
	fprintf(stderr, "usage: pn532_emu --script FILE [--link PATH] [--clock-file PATH]\n"
			"       [--clock-start YYYY-MM-DDThh:mm:ss] [--ledger PATH]\n"
			"       [--stall TAP:MS] [--chunk N] [--trace]\n");
	return 2;
}

static int parse_stall(const char *text, struct pn532_options *opt)
{
	int tap, ms, n = 0;

	if (sscanf(text, "%d:%d%n", &tap, &ms, &n) != 2 || text[n] || tap < 1 || ms < 1)
		return -EINVAL;
	opt->stall_tap = tap;
	opt->stall_ms = ms;
	return 0;
}

static int parse_args(int argc, char **argv, struct emu_args *a)
{
	static const struct option opts[] = {
		{ "script", required_argument, NULL, 's' },
		{ "link", required_argument, NULL, 'l' },
		{ "clock-file", required_argument, NULL, 'c' },
		{ "clock-start", required_argument, NULL, 'C' },
		{ "ledger", required_argument, NULL, 'L' },
		{ "stall", required_argument, NULL, 'S' },
		{ "chunk", required_argument, NULL, 'k' },
		{ "trace", no_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	int64_t s;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 's')
			a->script = optarg;
		else if (c == 'l')
			a->link = optarg;
		else if (c == 'c')
			a->opt.clock_path = optarg;
		else if (c == 'C' && ykt_parse_cst_iso(optarg, &s) == 0)
			a->opt.clock_start_ms = s * 1000;
		else if (c == 'L')
			a->opt.ledger_path = optarg;
		else if (c == 'S' && parse_stall(optarg, &a->opt) == 0)
			continue;
		else if (c == 'k' && atoi(optarg) > 0)
			a->opt.chunk = (size_t)atoi(optarg);
		else if (c == 't')
			a->trace = true;
		else
			return -EINVAL;
	}
	return a->script && optind == argc ? 0 : -EINVAL;
}

/* The pty: raw, and its slave side kept open by us, so that the master
 * does not read EIO each time libnfc closes the port. */
static int open_pty(const char *link, int *ret_master, int *ret_slave, char *name, size_t cap)
{
	struct termios t;
	int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC), s;

	if (m < 0 || grantpt(m) < 0 || unlockpt(m) < 0 || ptsname_r(m, name, cap) != 0)
		return -errno;
	s = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (s < 0 || tcgetattr(s, &t) < 0)
		return -errno;
	cfmakeraw(&t);
	if (tcsetattr(s, TCSANOW, &t) < 0)
		return -errno;
	if (link) {
		unlink(link);
		if (symlink(name, link) < 0)
			return -errno;
	}
	*ret_master = m;
	*ret_slave = s;
	return 0;
}

static void write_all(int fd, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

/* How long ppoll may wait: until the chip's next deadline, or for ever. */
static struct timespec *poll_timeout(const struct pn532_chip *chip, struct timespec *ts)
{
	int64_t deadline = pn532_chip_next_deadline(chip), left;

	if (deadline < 0)
		return NULL;
	left = deadline - ykt_monotonic_ns();
	if (left < 0)
		left = 0;
	ts->tv_sec = left / 1000000000;
	ts->tv_nsec = left % 1000000000;
	return ts;
}

/* Signals are blocked but in ppoll, so none is lost between a check of the
 * flags and the wait. */
static void serve(int master, struct pn532_chip *chip, const sigset_t *waiting_mask)
{
	uint8_t in[512], out[2 * (PN532_FRAME_WIRE_MAX + 16)];
	struct pollfd pfd = { .fd = master, .events = POLLIN };
	struct timespec ts;

	while (!stop) {
		size_t out_len = 0;
		int r = ppoll(&pfd, 1, poll_timeout(chip, &ts), waiting_mask);

		if (r < 0 && errno != EINTR)
			return;
		if (resume) {
			resume = 0;
			pn532_chip_resume(chip);
		}
		if (r > 0 && (pfd.revents & POLLIN)) {
			ssize_t n = read(master, in, sizeof(in));

			if (n > 0)
				pn532_chip_input(chip, in, (size_t)n, ykt_monotonic_ns(), out,
						 sizeof(out), &out_len);
		}
		pn532_chip_tick(chip, ykt_monotonic_ns(), out, sizeof(out), &out_len);
		write_all(master, out, out_len);
	}
}

int main(int argc, char **argv)
{
	struct emu_args a = { .opt = { .notify = stdout } };
	struct sigaction sa = { .sa_handler = on_signal };
	struct sim_field *field = NULL;
	struct pn532_chip *chip = NULL;
	char err[512] = "", name[128];
	sigset_t mask, waiting;
	int master = -1, slave = -1, rc;

	if (parse_args(argc, argv, &a) < 0)
		return usage();
	rc = sim_field_load(a.script, &field, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "pn532_emu: %s\n", err);
		return 2;
	}
	rc = open_pty(a.link, &master, &slave, name, sizeof(name));
	if (rc == 0)
		rc = pn532_chip_new(field, &a.opt, &chip);
	if (rc < 0) {
		fprintf(stderr, "pn532_emu: %s\n", strerror(-rc));
		return 2;
	}
	if (a.trace)
		pn532_chip_trace(chip, stderr);
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGUSR1);
	sigprocmask(SIG_BLOCK, &mask, &waiting);
	sigdelset(&waiting, SIGTERM);
	sigdelset(&waiting, SIGINT);
	sigdelset(&waiting, SIGUSR1);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	printf("pty %s\n", name);
	fflush(stdout);
	serve(master, chip, &waiting);
	if (a.opt.ledger_path)
		sim_field_write_ledger(field, a.opt.ledger_path);
	pn532_chip_free(chip);
	sim_field_free(field);
	close(slave);
	close(master);
	if (a.link)
		unlink(a.link);
	return 0;
}
