/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "vpcd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define VPCD_MSG_MAX	  4096 /* longer messages are not ours: drop the link */
#define VPCD_RECONNECT_MS 20

struct vpcd {
	uint16_t port;
	const struct vpcd_card_ops *ops;
	void *userdata;

	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int wake; /* eventfd: the thread looks at want_in / quit again */
	bool want_in, quit;
	int fd; /* the connection, -1 when out */
	unsigned connections;
};

static void vpcd_wake(struct vpcd *v)
{
	uint64_t one = 1;

	if (write(v->wake, &one, sizeof(one)) < 0) {
		/* the counter is non-zero already: the thread will look */
	}
}

/* The kernel clears TCP_QUICKACK after it acts: arm it before each receive. */
static int recv_full(int fd, uint8_t *buf, size_t len)
{
	static const int one = 1;
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one));
		n = recv(fd, buf + got, len - got, 0);
		if (n == 0)
			return -ECONNRESET;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		got += (size_t)n;
	}
	return 0;
}

static int send_msg(int fd, const uint8_t *payload, size_t len)
{
	uint8_t buf[2 + VPCD_MSG_MAX];

	if (len > VPCD_MSG_MAX)
		return -EMSGSIZE;
	buf[0] = (uint8_t)(len >> 8);
	buf[1] = (uint8_t)len;
	memcpy(buf + 2, payload, len);
	return send(fd, buf, len + 2, MSG_NOSIGNAL) == (ssize_t)(len + 2) ? 0 : -EIO;
}

/* One message from vpcd, answered. VPCD_LEAVE: the card leaves. */
static int serve_one(struct vpcd *v, int fd)
{
	uint8_t hdr[2], msg[VPCD_MSG_MAX], out[VPCD_MSG_MAX];
	size_t len, out_len = 0;
	int r = recv_full(fd, hdr, 2);

	len = (size_t)hdr[0] << 8 | hdr[1];
	if (r == 0 && (len == 0 || len > VPCD_MSG_MAX))
		r = -EPROTO;
	if (r == 0)
		r = recv_full(fd, msg, len);
	if (r < 0)
		return r;
	if (len == 1 && msg[0] == 0x04)
		return send_msg(fd, out, v->ops->atr(v->userdata, out, sizeof(out)));
	if (len == 1) {
		if (msg[0] <= VPCD_RESET)
			v->ops->control(v->userdata, (enum vpcd_control)msg[0]);
		return 0;
	}
	if (v->ops->apdu(v->userdata, msg, len, out, sizeof(out), &out_len) == VPCD_LEAVE)
		return VPCD_LEAVE;
	return send_msg(fd, out, out_len);
}

static int connect_once(uint16_t port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
		return fd;
	close(fd);
	return -errno;
}

/* Wait for the connection or the wake eventfd; true when fd has data. */
static bool wait_readable(struct vpcd *v, int fd, int timeout_ms)
{
	struct pollfd p[2] = { { .fd = v->wake, .events = POLLIN },
			       { .fd = fd, .events = POLLIN } };
	uint64_t n;

	if (poll(p, fd >= 0 ? 2 : 1, timeout_ms) <= 0)
		return false;
	if (p[0].revents && read(v->wake, &n, sizeof(n)) < 0) {
		/* drained by an earlier read */
	}
	return fd >= 0 && p[1].revents;
}

static void set_fd(struct vpcd *v, int fd, bool want_in)
{
	pthread_mutex_lock(&v->lock);
	if (v->fd >= 0 && fd < 0)
		close(v->fd);
	if (fd >= 0)
		v->connections++;
	v->fd = fd;
	v->want_in = want_in;
	pthread_cond_broadcast(&v->cond);
	pthread_mutex_unlock(&v->lock);
}

static void *vpcd_thread(void *userdata)
{
	struct vpcd *v = userdata;

	for (;;) {
		int fd, r;
		bool want_in, quit;

		pthread_mutex_lock(&v->lock);
		fd = v->fd;
		want_in = v->want_in;
		quit = v->quit;
		pthread_mutex_unlock(&v->lock);
		if (quit)
			break;
		if (fd >= 0 && !want_in) {
			set_fd(v, -1, false);
		} else if (fd < 0 && want_in) {
			/* inserting, or pcscd went away with the card in */
			fd = connect_once(v->port);
			if (fd >= 0)
				set_fd(v, fd, true);
			else
				wait_readable(v, -1, VPCD_RECONNECT_MS);
		} else if (wait_readable(v, fd, -1)) {
			r = serve_one(v, fd);
			if (r == VPCD_LEAVE)
				set_fd(v, -1, false);
			else if (r < 0)
				set_fd(v, -1, want_in); /* vpcd closed: connect again */
		}
	}
	set_fd(v, -1, false);
	return NULL;
}

int vpcd_new(uint16_t port, const struct vpcd_card_ops *ops, void *userdata, struct vpcd **ret_vpcd)
{
	struct vpcd *v = calloc(1, sizeof(*v));

	if (!v)
		return -ENOMEM;
	v->port = port;
	v->ops = ops;
	v->userdata = userdata;
	v->fd = -1;
	v->wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	pthread_mutex_init(&v->lock, NULL);
	pthread_cond_init(&v->cond, NULL);
	if (v->wake < 0 || pthread_create(&v->thread, NULL, vpcd_thread, v)) {
		if (v->wake >= 0)
			close(v->wake);
		free(v);
		return -EAGAIN;
	}
	*ret_vpcd = v;
	return 0;
}

void vpcd_free(struct vpcd *v)
{
	if (!v)
		return;
	pthread_mutex_lock(&v->lock);
	v->quit = true;
	pthread_mutex_unlock(&v->lock);
	vpcd_wake(v);
	pthread_join(v->thread, NULL);
	close(v->wake);
	pthread_cond_destroy(&v->cond);
	pthread_mutex_destroy(&v->lock);
	free(v);
}

int vpcd_insert(struct vpcd *v, int timeout_ms)
{
	struct timespec until;
	int r = 0;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += timeout_ms / 1000;
	until.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
	until.tv_sec += until.tv_nsec / 1000000000;
	until.tv_nsec %= 1000000000;
	pthread_mutex_lock(&v->lock);
	v->want_in = true;
	vpcd_wake(v);
	while (v->fd < 0 && r == 0)
		r = pthread_cond_timedwait(&v->cond, &v->lock, &until);
	pthread_mutex_unlock(&v->lock);
	return r ? -ETIMEDOUT : 0;
}

void vpcd_remove(struct vpcd *v)
{
	pthread_mutex_lock(&v->lock);
	v->want_in = false;
	vpcd_wake(v);
	while (v->fd >= 0)
		pthread_cond_wait(&v->cond, &v->lock);
	pthread_mutex_unlock(&v->lock);
}

bool vpcd_inserted(struct vpcd *v)
{
	bool in;

	pthread_mutex_lock(&v->lock);
	in = v->fd >= 0;
	pthread_mutex_unlock(&v->lock);
	return in;
}

unsigned vpcd_connections(struct vpcd *v)
{
	unsigned n;

	pthread_mutex_lock(&v->lock);
	n = v->connections;
	pthread_mutex_unlock(&v->lock);
	return n;
}
