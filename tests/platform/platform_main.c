/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ykt-platform: the reference platform as a program, for the demo and for
 * trying `ykt sync` by hand.  Serves on 127.0.0.1 until SIGTERM / SIGINT,
 * then prints what it saw.
 *
 *   ykt-platform --cert F --key F --client-ca F --db F --keys F
 *                [--params DIR] [--qr-roots F] [--port N] [--port-file F]
 *                [--fault KIND:every=N[:phase=K]] [--fault KIND:next=N]
 *                [--slow-ms N] [--retry-after N]
 *
 * KIND: 503, 500-after, 429, slow, drop-request, drop-response, malformed,
 * partial (tests/platform/platform.h).
 */
#include "platform.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_FAULTS 16

struct cli {
	struct platform_options o;
	const char *port_file;
	const char *faults[MAX_FAULTS];
	int n_faults;
};

static int usage(void)
{
	fprintf(stderr,
		"Usage: ykt-platform --cert F --key F --client-ca F --db F --keys F\n"
		"                    [--params DIR] [--qr-roots F] [--port N] [--port-file F]\n"
		"                    [--fault KIND:every=N[:phase=K] | KIND:next=N]...\n"
		"                    [--slow-ms N] [--retry-after N]\n");
	return 2;
}

static int parse(int argc, char **argv, struct cli *cli)
{
	static const struct option opts[] = {
		{ "cert", required_argument, NULL, 'c' },
		{ "key", required_argument, NULL, 'k' },
		{ "client-ca", required_argument, NULL, 'a' },
		{ "db", required_argument, NULL, 'd' },
		{ "keys", required_argument, NULL, 'K' },
		{ "params", required_argument, NULL, 'p' },
		{ "qr-roots", required_argument, NULL, 'q' },
		{ "port", required_argument, NULL, 'P' },
		{ "port-file", required_argument, NULL, 'f' },
		{ "fault", required_argument, NULL, 'F' },
		{ "slow-ms", required_argument, NULL, 's' },
		{ "retry-after", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			cli->o.cert_path = optarg;
			break;
		case 'k':
			cli->o.key_path = optarg;
			break;
		case 'a':
			cli->o.client_ca_path = optarg;
			break;
		case 'd':
			cli->o.db_path = optarg;
			break;
		case 'K':
			cli->o.keys_path = optarg;
			break;
		case 'p':
			cli->o.params_dir = optarg;
			break;
		case 'q':
			cli->o.qr_roots_path = optarg;
			break;
		case 'P':
			cli->o.port = (uint16_t)atoi(optarg);
			break;
		case 'f':
			cli->port_file = optarg;
			break;
		case 's':
			cli->o.slow_ms = atoi(optarg);
			break;
		case 'r':
			cli->o.retry_after_s = atoi(optarg);
			break;
		case 'F':
			if (cli->n_faults == MAX_FAULTS)
				return -1;
			cli->faults[cli->n_faults++] = optarg;
			break;
		default:
			return -1;
		}
	}
	return cli->o.cert_path && cli->o.key_path && cli->o.client_ca_path && cli->o.db_path &&
		       cli->o.keys_path && optind == argc
		   ? 0
		   : -1;
}

/* KIND:every=N[:phase=K] or KIND:next=N */
static int apply_fault(struct platform *p, const char *spec)
{
	char kind[32];
	unsigned n = 0, phase = 0;
	int f;

	if (sscanf(spec, "%31[^:]:every=%u:phase=%u", kind, &n, &phase) >= 2 && n > 0) {
		f = platform_fault_from_name(kind);
		if (f > 0)
			platform_fault_every(p, (enum platform_fault)f, n, phase);
		return f > 0 ? 0 : -1;
	}
	if (sscanf(spec, "%31[^:]:next=%u", kind, &n) == 2) {
		f = platform_fault_from_name(kind);
		if (f > 0)
			platform_fault_next(p, (enum platform_fault)f, n);
		return f > 0 ? 0 : -1;
	}
	return -1;
}

static int write_port(const char *path, uint16_t port)
{
	char tmp[4096];
	FILE *f;

	/* written aside and renamed: a reader never sees half a number */
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "we");
	if (!f)
		return -1;
	fprintf(f, "%u\n", (unsigned)port);
	if (fclose(f) != 0)
		return -1;
	return rename(tmp, path);
}

static void print_stats(struct platform *p)
{
	struct platform_stats s;

	platform_stats(p, &s);
	printf("ykt-platform: %llu requests (%llu records, %llu heartbeats, %llu packages); "
	       "accepted %llu, duplicates %llu, rejected %llu; TAC verified %llu, failed %llu; "
	       "refused %llu\n",
	       (unsigned long long)s.requests, (unsigned long long)s.records_requests,
	       (unsigned long long)s.heartbeats, (unsigned long long)s.params_served,
	       (unsigned long long)s.accepted, (unsigned long long)s.duplicates,
	       (unsigned long long)s.rejected, (unsigned long long)s.tac_verified,
	       (unsigned long long)s.tac_failed, (unsigned long long)s.refused);
}

int main(int argc, char **argv)
{
	struct cli cli = { 0 };
	struct platform *p;
	sigset_t set;
	char err[512];
	int sig = 0;

	if (parse(argc, argv, &cli) < 0)
		return usage();
	/* the signals are taken by sigwait below, in this thread only */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (platform_start(&cli.o, &p, err, sizeof(err)) < 0) {
		fprintf(stderr, "ykt-platform: %s\n", err);
		return 1;
	}
	for (int i = 0; i < cli.n_faults; i++)
		if (apply_fault(p, cli.faults[i]) < 0) {
			fprintf(stderr, "ykt-platform: bad --fault '%s'\n", cli.faults[i]);
			platform_stop(p);
			return 2;
		}
	printf("ykt-platform: listening on https://127.0.0.1:%u\n", (unsigned)platform_port(p));
	fflush(stdout);
	if (cli.port_file && write_port(cli.port_file, platform_port(p)) < 0) {
		fprintf(stderr, "ykt-platform: cannot write %s\n", cli.port_file);
		platform_stop(p);
		return 1;
	}
	sigwait(&set, &sig);
	print_stats(p);
	platform_stop(p);
	return 0;
}
