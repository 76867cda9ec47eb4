/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * remote: SAM slot — the simulated PSAM of another process, over a UNIX
 * socket (drivers/sim/remote_wire.h). Test-only (simulator builds): like a
 * real PSAM, it keeps its terminal transaction serial when the validator is
 * killed and restarted.
 *
 *   remote:PATH   PATH is the field's listening socket
 */
#include "sam.h"

#include "remote_wire.h"
#include "ykt_error.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

struct remote_slot {
	int fd;
};

static int slot_open(struct ykt_sam *s, const char *args)
{
	struct remote_slot *slot = ykt_sam_priv(s);
	int rc;

	slot->fd = remote_connect(args);
	rc = slot->fd < 0 ? slot->fd : remote_send(slot->fd, REMOTE_HELLO_SAM, NULL, 0);
	if (rc < 0) {
		ykt_sam_set_error(s, "remote PSAM %s: %s", args, strerror(-rc));
		if (slot->fd >= 0)
			close(slot->fd);
	}
	return rc;
}

static void slot_close(struct ykt_sam *s)
{
	struct remote_slot *slot = ykt_sam_priv(s);

	close(slot->fd);
}

static int slot_call(struct ykt_sam *s, uint8_t type, const uint8_t *payload, size_t len,
		     uint8_t *out, size_t cap, size_t *ret_len)
{
	struct remote_slot *slot = ykt_sam_priv(s);
	int status, rc = remote_call(slot->fd, type, payload, len, &status, out, cap, ret_len);

	if (rc < 0)
		return rc;
	if (status == REMOTE_MUTE)
		return -ETIMEDOUT;
	if (status == REMOTE_GONE)
		return YKT_E_SAM_ABSENT;
	return status == REMOTE_OK ? 0 : -EIO;
}

static int slot_reset(struct ykt_sam *s, uint8_t *atr, size_t atr_cap, size_t *ret_atr_len)
{
	return slot_call(s, REMOTE_RESET, NULL, 0, atr, atr_cap, ret_atr_len);
}

static int slot_transmit(struct ykt_sam *s, const uint8_t *capdu, size_t capdu_len, uint8_t *rapdu,
			 size_t rapdu_cap, size_t *ret_rapdu_len)
{
	int rc = slot_call(s, REMOTE_APDU, capdu, capdu_len, rapdu, rapdu_cap, ret_rapdu_len);

	if (rc == 0 && *ret_rapdu_len < 2)
		return -EIO;
	return rc;
}

const struct ykt_sam_ops ykt_sam_remote_ops = {
	.scheme = "remote",
	.priv_size = sizeof(struct remote_slot),
	.open = slot_open,
	.close = slot_close,
	.reset = slot_reset,
	.transmit = slot_transmit,
};
