/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * remote: reader — the simulated card field of another process, over a UNIX
 * socket (drivers/sim/remote_wire.h). Test-only (simulator builds): the
 * power-loss harness keeps the cards, and their ledger of debits, in a
 * process that survives when the validator is killed.
 *
 *   remote:PATH   PATH is the field's listening socket
 *
 * A thread asks the field for the next card (NEXT blocks until one comes)
 * and posts it to the loop; the loop thread exchanges APDUs; done() tells
 * the field the tap is over and lets the thread ask for the next card.
 * Field time comes from the clock the field moves (clock = file:PATH).
 */
#include "reader.h"

#include "loop.h"
#include "remote_wire.h"
#include "ykt_error.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct remote_reader {
	int fd;
	pthread_t thread;
	bool thread_started;
	pthread_mutex_t io; /* one request and its reply at a time */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool tap_done, stopping;
};

static void remote_close(struct ykt_reader *r)
{
	struct remote_reader *s = ykt_reader_priv(r);

	pthread_mutex_lock(&s->lock);
	s->stopping = true;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
	if (s->fd >= 0)
		shutdown(s->fd, SHUT_RDWR); /* wakes a NEXT waiting for a card */
	if (s->thread_started)
		pthread_join(s->thread, NULL);
	if (s->fd >= 0)
		close(s->fd);
	pthread_cond_destroy(&s->cond);
	pthread_mutex_destroy(&s->lock);
	pthread_mutex_destroy(&s->io);
}

static int remote_open(struct ykt_reader *r, const char *args)
{
	struct remote_reader *s = ykt_reader_priv(r);
	int rc;

	pthread_mutex_init(&s->io, NULL);
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->cond, NULL);
	s->fd = remote_connect(args);
	rc = s->fd < 0 ? s->fd : remote_send(s->fd, REMOTE_HELLO_READER, NULL, 0);
	if (rc < 0) {
		ykt_reader_set_error(r, "remote field %s: %s", args, strerror(-rc));
		remote_close(r);
	}
	return rc;
}

static int remote_request(struct remote_reader *s, uint8_t type, const uint8_t *payload, size_t len,
			  int *ret_status, uint8_t *data, size_t cap, size_t *ret_len)
{
	int rc;

	pthread_mutex_lock(&s->io);
	rc = remote_call(s->fd, type, payload, len, ret_status, data, cap, ret_len);
	pthread_mutex_unlock(&s->io);
	return rc;
}

static void remote_post(struct ykt_reader *r, const struct ykt_event *ev)
{
	while (ykt_loop_post(ykt_reader_env(r)->loop, ev) == -ENOSPC)
		; /* the loop drains; a full queue of 256 cannot persist */
}

/* One card from the field: n_cards ‖ uid_len ‖ uid. */
static int remote_next(struct ykt_reader *r, struct remote_reader *s, struct ykt_event *ev)
{
	uint8_t data[REMOTE_MAX_PAYLOAD];
	size_t len;
	int status, rc = remote_request(s, REMOTE_NEXT, NULL, 0, &status, data, sizeof(data), &len);

	if (rc < 0)
		return rc;
	if (status == REMOTE_END)
		return 1;
	if (status != REMOTE_OK || len < 2 || data[1] > sizeof(ev->uid) || len != 2u + data[1])
		return -EPROTO;
	*ev = (struct ykt_event){ .type = YKT_EV_CARD_PRESENT,
				  .source = ykt_reader_env(r)->source,
				  .n_cards = data[0],
				  .uid_len = data[1] };
	memcpy(ev->uid, data + 2, data[1]);
	return 0;
}

static void *remote_thread(void *userdata)
{
	struct ykt_reader *r = userdata;
	struct remote_reader *s = ykt_reader_priv(r);
	struct ykt_event ev;
	bool stopping;
	int rc;

	while ((rc = remote_next(r, s, &ev)) == 0) {
		pthread_mutex_lock(&s->lock);
		s->tap_done = false;
		pthread_mutex_unlock(&s->lock);
		remote_post(r, &ev);
		pthread_mutex_lock(&s->lock);
		while (!s->tap_done && !s->stopping)
			pthread_cond_wait(&s->cond, &s->lock);
		rc = s->stopping ? -ECANCELED : 0;
		pthread_mutex_unlock(&s->lock);
		if (rc < 0)
			return NULL;
		remote_post(r, &(struct ykt_event){ .type = YKT_EV_CARD_REMOVED,
						    .source = ykt_reader_env(r)->source });
	}
	pthread_mutex_lock(&s->lock);
	stopping = s->stopping;
	pthread_mutex_unlock(&s->lock);
	if (rc == 1)
		remote_post(r, &(struct ykt_event){ .type = YKT_EV_FIELD_END,
						    .source = ykt_reader_env(r)->source });
	else if (!stopping)
		remote_post(r, &(struct ykt_event){ .type = YKT_EV_DEVICE_ERROR,
						    .source = ykt_reader_env(r)->source,
						    .err = rc });
	return NULL;
}

static int remote_start(struct ykt_reader *r)
{
	struct remote_reader *s = ykt_reader_priv(r);

	if (pthread_create(&s->thread, NULL, remote_thread, r))
		return -EAGAIN;
	s->thread_started = true;
	return 0;
}

static int remote_transceive(struct ykt_reader *r, const uint8_t *capdu, size_t capdu_len,
			     uint8_t *rapdu, size_t rapdu_cap, size_t *ret_rapdu_len)
{
	struct remote_reader *s = ykt_reader_priv(r);
	int status, rc = remote_request(s, REMOTE_APDU, capdu, capdu_len, &status, rapdu, rapdu_cap,
					ret_rapdu_len);

	if (rc < 0)
		return rc;
	if (status == REMOTE_GONE)
		return YKT_E_CARD_GONE;
	if (status == REMOTE_MUTE)
		return -ETIMEDOUT;
	if (status != REMOTE_OK || *ret_rapdu_len < 2)
		return -EIO;
	return 0;
}

static int remote_done(struct ykt_reader *r)
{
	struct remote_reader *s = ykt_reader_priv(r);
	uint8_t data[REMOTE_MAX_PAYLOAD];
	size_t len;
	int status, rc = remote_request(s, REMOTE_DONE, NULL, 0, &status, data, sizeof(data), &len);

	pthread_mutex_lock(&s->lock);
	s->tap_done = true;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
	return rc;
}

const struct ykt_reader_ops ykt_reader_remote_ops = {
	.scheme = "remote",
	.priv_size = sizeof(struct remote_reader),
	.open = remote_open,
	.close = remote_close,
	.start = remote_start,
	.transceive = remote_transceive,
	.done = remote_done,
};
