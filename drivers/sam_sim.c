/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sim: SAM slot — the simulated transport PSAM from a profile file. */
#include "sam.h"

#include "sim.h"
#include "ykt_error.h"

struct sim_slot {
	struct sim_psam *psam;
};

static int slot_open(struct ykt_sam *s, const char *args)
{
	struct sim_slot *slot = ykt_sam_priv(s);
	char err[256] = "";
	int rc = sim_psam_load(args, &slot->psam, err, sizeof(err));

	if (rc < 0)
		ykt_sam_set_error(s, "%s", err[0] ? err : ykt_strerror(rc));
	return rc;
}

static void slot_close(struct ykt_sam *s)
{
	struct sim_slot *slot = ykt_sam_priv(s);

	sim_psam_free(slot->psam);
}

static int slot_reset(struct ykt_sam *s, uint8_t *atr, size_t atr_cap, size_t *ret_atr_len)
{
	struct sim_slot *slot = ykt_sam_priv(s);

	return sim_psam_reset(slot->psam, atr, atr_cap, ret_atr_len);
}

static int slot_transmit(struct ykt_sam *s, const uint8_t *capdu, size_t capdu_len, uint8_t *rapdu,
			 size_t rapdu_cap, size_t *ret_rapdu_len)
{
	struct sim_slot *slot = ykt_sam_priv(s);

	return sim_psam_transmit(slot->psam, capdu, capdu_len, rapdu, rapdu_cap, ret_rapdu_len);
}

const struct ykt_sam_ops ykt_sam_sim_ops = {
	.scheme = "sim",
	.priv_size = sizeof(struct sim_slot),
	.open = slot_open,
	.close = slot_close,
	.reset = slot_reset,
	.transmit = slot_transmit,
};
