/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Framing for the remote: drivers (remote_wire.h). */
#include "remote_wire.h"

#include "bytes.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int write_all(int fd, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int read_all(int fd, uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t r = read(fd, p, n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -ECONNRESET;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

int remote_send(int fd, uint8_t type, const uint8_t *payload, size_t len)
{
	uint8_t frame[3 + REMOTE_MAX_PAYLOAD];

	if (len > REMOTE_MAX_PAYLOAD)
		return -EMSGSIZE;
	frame[0] = type;
	ykt_put_be16(frame + 1, (uint16_t)len);
	if (len)
		memcpy(frame + 3, payload, len);
	return write_all(fd, frame, 3 + len);
}

int remote_recv(int fd, uint8_t *ret_type, uint8_t *payload, size_t cap, size_t *ret_len)
{
	uint8_t head[3];
	size_t len;
	int r = read_all(fd, head, sizeof(head));

	if (r < 0)
		return r;
	len = ykt_be16(head + 1);
	if (len > cap || len > REMOTE_MAX_PAYLOAD)
		return -EPROTO;
	r = read_all(fd, payload, len);
	if (r < 0)
		return r;
	*ret_type = head[0];
	*ret_len = len;
	return 0;
}

int remote_call(int fd, uint8_t type, const uint8_t *payload, size_t len, int *ret_status,
		uint8_t *data, size_t cap, size_t *ret_len)
{
	uint8_t reply[REMOTE_MAX_PAYLOAD], rtype;
	size_t rlen;
	int r = remote_send(fd, type, payload, len);

	if (r == 0)
		r = remote_recv(fd, &rtype, reply, sizeof(reply), &rlen);
	if (r < 0)
		return r;
	if (rtype != REMOTE_REPLY || rlen < 1 || rlen - 1 > cap)
		return -EPROTO;
	*ret_status = reply[0];
	if (rlen > 1)
		memcpy(data, reply + 1, rlen - 1);
	*ret_len = rlen - 1;
	return 0;
}

int remote_connect(const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(addr.sun_path))
		return -ENAMETOOLONG;
	memcpy(addr.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}
