/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "pcscd_private.h"

#include <PCSC/winscard.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PCSCD_BIN     "/usr/sbin/pcscd"
#define VPCD_DRIVER   "/usr/lib/pcsc/drivers/serial/libifdvpcd.so"
#define READY_WAIT_MS 10000
#define READY_POLL_MS 10
#define PORT_FIRST    20000
#define PORT_SPAN     40000

const char *pcscd_private_unavailable(void)
{
	if (geteuid() != 0)
		return "a private pcscd needs root (unshare -m and a bind mount on /run/pcscd)";
	if (access(PCSCD_BIN, X_OK) != 0)
		return "pcscd is not installed (Debian package pcscd)";
	if (access(VPCD_DRIVER, R_OK) != 0)
		return "vpcd is not installed (Debian package vsmartcard-vpcd)";
	if (access("/usr/bin/unshare", X_OK) != 0)
		return "unshare is not installed (util-linux)";
	return NULL;
}

static bool port_free(uint16_t port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool ok;

	if (fd < 0)
		return false;
	sa.sin_addr.s_addr = htonl(INADDR_ANY); /* vpcd listens on every address */
	ok = bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	close(fd);
	return ok;
}

/* Two free ports in a row, from a random place. */
static int pick_ports(struct pcscd_private *p)
{
	unsigned seed = (unsigned)getpid() ^ (unsigned)time(NULL);
	int tries = 0;
	uint16_t port;

	do {
		port = (uint16_t)(PORT_FIRST + (rand_r(&seed) % (PORT_SPAN / 2)) * 2);
	} while ((!port_free(port) || !port_free((uint16_t)(port + 1))) && ++tries < 100);
	if (tries == 100)
		return -EADDRINUSE;
	p->port = port;
	return 0;
}

static int write_conf(const struct pcscd_private *p)
{
	char path[300];
	FILE *f;

	snprintf(path, sizeof(path), "%s/conf/ykt", p->dir);
	f = fopen(path, "we");
	if (!f)
		return -errno;
	fprintf(f, "FRIENDLYNAME \"%s\"\nDEVICENAME /dev/null:%u\nLIBPATH %s\nCHANNELID %u\n",
		p->name, p->port, VPCD_DRIVER, p->port);
	return fclose(f) == 0 ? 0 : -EIO;
}

/* In the child: pcscd in a mount namespace of its own, /run/pcscd being
 * the test's run/ there; killed with the test. */
static void exec_pcscd(const struct pcscd_private *p)
{
	char run[300], conf[300], log[300];
	sigset_t none;
	int fd;

	snprintf(run, sizeof(run), "%s/run", p->dir);
	snprintf(conf, sizeof(conf), "%s/conf", p->dir);
	snprintf(log, sizeof(log), "%s/pcscd.log", p->dir);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL); /* the test may block SIGTERM for itself */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
	if (fd >= 0) {
		dup2(fd, 1);
		dup2(fd, 2);
	}
	execl("/usr/bin/unshare", "unshare", "-m", "--propagation", "private", "sh", "-c",
	      "mkdir -p /run/pcscd && mount --bind \"$0\" /run/pcscd && exec " PCSCD_BIN
	      " -f -c \"$1\"",
	      run, conf, (char *)NULL);
	_exit(127);
}

/* A socket in LISTEN (state 0A) on port in /proc/net/tcp or tcp6
 * ("sl: local_ip:port remote_ip:port st ..."). Looking, never connecting:
 * vpcd would take a connection for a card. */
static bool port_listening(uint16_t port)
{
	static const char *const tables[] = { "/proc/net/tcp", "/proc/net/tcp6" };
	char line[512];
	bool found = false;

	for (size_t t = 0; t < 2 && !found; t++) {
		FILE *f = fopen(tables[t], "re");
		unsigned local_port, remote_port, state;

		while (f && !found && fgets(line, sizeof(line), f))
			found = sscanf(line, " %*u: %*[0-9A-Fa-f]:%x %*[0-9A-Fa-f]:%x %x",
				       &local_port, &remote_port, &state) == 3 &&
				local_port == port && state == 0x0A;
		if (f)
			fclose(f);
	}
	return found;
}

/* pcscd answers a client: its socket is there and served, its reader's
 * vpcd ports listen. (The socket file appears before pcscd serves it.) */
static bool pcscd_ready(const struct pcscd_private *p)
{
	char sock[300];
	struct stat st;
	SCARDCONTEXT ctx;

	snprintf(sock, sizeof(sock), "%s/run/pcscd.comm", p->dir);
	if (stat(sock, &st) != 0 || !S_ISSOCK(st.st_mode) || !port_listening(p->port) ||
	    !port_listening((uint16_t)(p->port + 1)))
		return false;
	if (SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx) != SCARD_S_SUCCESS)
		return false;
	SCardReleaseContext(ctx);
	return true;
}

static void tail_log(const struct pcscd_private *p, char *why, size_t why_len)
{
	char path[300], line[256], last[256] = "(no output)";
	FILE *f;

	snprintf(path, sizeof(path), "%s/pcscd.log", p->dir);
	f = fopen(path, "re");
	while (f && fgets(line, sizeof(line), f))
		snprintf(last, sizeof(last), "%s", line);
	if (f)
		fclose(f);
	last[strcspn(last, "\n")] = '\0';
	snprintf(why, why_len, "pcscd did not start: %s", last);
}

static int launch(struct pcscd_private *p, char *why, size_t why_len)
{
	int status;

	p->pid = fork();
	if (p->pid < 0)
		return -errno;
	if (p->pid == 0)
		exec_pcscd(p);
	for (int waited = 0; waited < READY_WAIT_MS; waited += READY_POLL_MS) {
		if (waitpid(p->pid, &status, WNOHANG) == p->pid) {
			p->pid = 0;
			tail_log(p, why, why_len);
			return -ECHILD;
		}
		if (pcscd_ready(p))
			return 0;
		usleep(READY_POLL_MS * 1000);
	}
	pcscd_private_stop(p);
	tail_log(p, why, why_len);
	return -ETIMEDOUT;
}

int pcscd_private_start(struct pcscd_private *p, const char *dir, const char *name, char *why,
			size_t why_len)
{
	char path[300];
	int r;

	memset(p, 0, sizeof(*p));
	if (snprintf(p->dir, sizeof(p->dir), "%s", dir) >= (int)sizeof(p->dir) ||
	    snprintf(p->name, sizeof(p->name), "%s", name) >= (int)sizeof(p->name))
		return -EINVAL;
	snprintf(path, sizeof(path), "%s/run", dir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/conf", dir);
	mkdir(path, 0755);
	r = pick_ports(p);
	if (r == 0)
		r = write_conf(p);
	if (r < 0) {
		snprintf(why, why_len, "pcscd set-up: %s", strerror(-r));
		return r;
	}
	snprintf(path, sizeof(path), "%s/run/pcscd.comm", dir);
	setenv("PCSCLITE_CSOCK_NAME", path, 1);
	return launch(p, why, why_len);
}

void pcscd_private_stop(struct pcscd_private *p)
{
	char path[300];

	if (p->pid > 0) {
		kill(p->pid, SIGKILL);
		waitpid(p->pid, NULL, 0);
	}
	p->pid = 0;
	/* a killed pcscd leaves its socket and pid file behind */
	snprintf(path, sizeof(path), "%s/run/pcscd.comm", p->dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/run/pcscd.pid", p->dir);
	unlink(path);
}

int pcscd_private_restart(struct pcscd_private *p, char *why, size_t why_len)
{
	pcscd_private_stop(p);
	return launch(p, why, why_len);
}

static int look_once(SCARDCONTEXT ctx, SCARD_READERSTATE *rs, DWORD timeout_ms)
{
	LONG rc = SCardGetStatusChange(ctx, timeout_ms, rs, 1);

	if (rc != SCARD_S_SUCCESS && rc != SCARD_E_TIMEOUT)
		return -ENODEV;
	rs->dwCurrentState = rs->dwEventState & ~(DWORD)SCARD_STATE_CHANGED;
	return 0;
}

int pcscd_private_look(const char *reader, unsigned *ret_events, bool *ret_present)
{
	SCARD_READERSTATE rs = { .szReader = reader, .dwCurrentState = SCARD_STATE_UNAWARE };
	SCARDCONTEXT ctx;
	int r;

	if (SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx) != SCARD_S_SUCCESS)
		return -ENODEV;
	r = look_once(ctx, &rs, 0);
	SCardReleaseContext(ctx);
	*ret_events = (unsigned)(rs.dwEventState >> 16) & 0xFFFF;
	*ret_present = (rs.dwEventState & SCARD_STATE_PRESENT) != 0;
	return r;
}

int pcscd_private_wait_card(const char *reader, bool present, unsigned since, unsigned events,
			    int timeout_ms)
{
	SCARD_READERSTATE rs = { .szReader = reader, .dwCurrentState = SCARD_STATE_UNAWARE };
	SCARDCONTEXT ctx;
	bool done = false;
	int r = 0;

	if (SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx) != SCARD_S_SUCCESS)
		return -ENODEV;
	for (int waited = 0; r == 0 && !done && waited <= timeout_ms; waited += 100) {
		unsigned moved = ((unsigned)(rs.dwEventState >> 16) - since) & 0xFFFF;

		done = rs.dwEventState && moved >= events &&
		       !(rs.dwEventState & SCARD_STATE_PRESENT) == !present;
		if (!done)
			r = look_once(ctx, &rs, 100);
	}
	SCardReleaseContext(ctx);
	return done ? 0 : r < 0 ? r : -ETIMEDOUT;
}
