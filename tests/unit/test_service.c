/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The systemd notify protocol as the service manager sees it: a datagram
 * socket named by NOTIFY_SOCKET receives READY=1, then WATCHDOG=1 from the
 * loop's own timer when WATCHDOG_USEC asks for it, STATUS= lines on one
 * line, and STOPPING=1. */
#include "check.h"
#include "loop.h"
#include "service.h"
#include "ykt_config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

struct notify {
	int fd;
	int ready, watchdog, stopping;
	int status_seen; /* the multi-line status came as one line */
};

static void on_event(struct ykt_loop *loop, const struct ykt_event *ev, void *userdata)
{
}

static void on_datagram(struct ykt_loop *loop, int fd, uint32_t events, void *userdata)
{
	struct notify *n = userdata;
	char buf[512];
	ssize_t len = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);

	if (len <= 0)
		return;
	buf[len] = '\0';
	for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
		if (!strcmp(line, "READY=1"))
			n->ready++;
		else if (!strcmp(line, "WATCHDOG=1"))
			n->watchdog++;
		else if (!strcmp(line, "STOPPING=1"))
			n->stopping++;
		else if (!strcmp(line, "STATUS=out of service: no PSAM"))
			n->status_seen++;
	}
	/* three pings prove the timer repeats */
	if (n->watchdog >= 3)
		ykt_loop_quit(loop, 0);
}

int main(void)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct notify n = { 0 };
	struct ykt_loop *loop = NULL;
	char dir[256], pid[32];

	if (!YKT_WITH_SYSTEMD) {
		printf("SKIP: built without libsystemd (-Dsystemd=disabled)\n");
		return 77;
	}
	check_tmpdir(dir, sizeof(dir));
	if (strlen(dir) + sizeof("/notify") > sizeof(addr.sun_path)) {
		printf("SKIP: temporary directory path too long for a socket\n");
		return 77;
	}
	memcpy(addr.sun_path, dir, strlen(dir));
	memcpy(addr.sun_path + strlen(dir), "/notify", sizeof("/notify"));
	n.fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	CHECK(n.fd >= 0, "socket: %s", strerror(errno));
	CHECK(bind(n.fd, (struct sockaddr *)&addr, sizeof(addr)) == 0, "bind: %s", strerror(errno));
	setenv("NOTIFY_SOCKET", addr.sun_path, 1);

	/* no watchdog asked for: READY only, no timer */
	if (ykt_loop_new(on_event, NULL, &loop) < 0) {
		fprintf(stderr, "no event loop\n");
		return 1;
	}
	CHECK(ykt_loop_add_fd(loop, n.fd, EPOLLIN, on_datagram, &n) >= 0, "add fd");
	CHECK_INT(ykt_service_ready(loop), 0);
	ykt_service_status("out of service:\nno PSAM");
	ykt_service_stopping();

	/* a watchdog for another process is not ours to feed */
	snprintf(pid, sizeof(pid), "%d", (int)getpid() + 1);
	setenv("WATCHDOG_USEC", "20000", 1);
	setenv("WATCHDOG_PID", pid, 1);
	CHECK_INT(ykt_service_ready(loop), 0);

	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	setenv("WATCHDOG_USEC", "20000", 1);
	setenv("WATCHDOG_PID", pid, 1);
	CHECK_INT(ykt_service_ready(loop), 0);
	CHECK_INT(ykt_loop_run(loop), 0);

	CHECK_INT(n.ready, 3);
	CHECK_INT(n.stopping, 1);
	CHECK(n.watchdog >= 3, "%d watchdog pings", n.watchdog);
	CHECK_INT(n.status_seen, 1);
	ykt_loop_free(loop);
	close(n.fd);
	check_rm_rf(dir);
	return check_result();
}
