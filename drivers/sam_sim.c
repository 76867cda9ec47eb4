/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sim: SAM slot — the simulated transport PSAM from a profile file.
 *
 *   sim:PATH                 the PSAM of profile PATH
 *   sim:PATH,mute-after=N    it answers N commands (resets count), then
 *                            stops answering, as a failing PSAM does
 */
#include "sam.h"

#include "clock.h"
#include "link_model.h"
#include "sim.h"
#include "ykt_error.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sim_slot {
	struct sim_psam *psam;
	long mute_after; /* -1: never */
	long commands;
	struct link_contact link; /* T=0 at 38,400 bit/s, the production PSAM */
	uint64_t link_ns;
};

static int slot_options(struct ykt_sam *s, struct sim_slot *slot, const char *opts)
{
	char *end;

	slot->mute_after = -1;
	if (!opts)
		return 0;
	if (strncmp(opts, "mute-after=", 11) == 0) {
		errno = 0;
		slot->mute_after = strtol(opts + 11, &end, 10);
		if (!errno && end != opts + 11 && !*end && slot->mute_after >= 0)
			return 0;
	}
	ykt_sam_set_error(s, "sim SAM option '%s': expected mute-after=N", opts);
	return -EINVAL;
}

static int slot_open(struct ykt_sam *s, const char *args)
{
	struct sim_slot *slot = ykt_sam_priv(s);
	const char *comma = strchr(args, ',');
	char path[PATH_MAX], err[256] = "";
	int rc;

	snprintf(path, sizeof(path), "%.*s", comma ? (int)(comma - args) : (int)strlen(args), args);
	link_contact_default(&slot->link);
	rc = slot_options(s, slot, comma ? comma + 1 : NULL);
	if (rc < 0)
		return rc;
	rc = sim_psam_load(path, &slot->psam, err, sizeof(err));
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

	if (slot->mute_after >= 0 && slot->commands >= slot->mute_after)
		return -ETIMEDOUT;
	slot->commands++;
	return sim_psam_reset(slot->psam, atr, atr_cap, ret_atr_len);
}

static int slot_transmit(struct ykt_sam *s, const uint8_t *capdu, size_t capdu_len, uint8_t *rapdu,
			 size_t rapdu_cap, size_t *ret_rapdu_len)
{
	struct sim_slot *slot = ykt_sam_priv(s);
	int64_t start_ns = ykt_monotonic_ns(), left;
	struct link_timing t;
	int rc;

	if (slot->mute_after >= 0 && slot->commands >= slot->mute_after)
		return -ETIMEDOUT; /* no answer within the character waiting time */
	slot->commands++;
	rc = sim_psam_transmit(slot->psam, capdu, capdu_len, rapdu, rapdu_cap, ret_rapdu_len);
	if (rc == 0 &&
	    link_contact_exchange(&slot->link, capdu, capdu_len, *ret_rapdu_len, &t) == 0) {
		slot->link_ns += t.total_ns;
		/* the modeled time includes the simulated PSAM's own computing */
		left = (int64_t)t.total_ns - (ykt_monotonic_ns() - start_ns);
		if (ykt_sam_env(s)->realtime && left > 0)
			ykt_sleep_ns((uint64_t)left);
	}
	return rc;
}

static uint64_t slot_link_ns(struct ykt_sam *s)
{
	struct sim_slot *slot = ykt_sam_priv(s);

	return slot->link_ns;
}

const struct ykt_sam_ops ykt_sam_sim_ops = {
	.scheme = "sim",
	.priv_size = sizeof(struct sim_slot),
	.open = slot_open,
	.close = slot_close,
	.reset = slot_reset,
	.transmit = slot_transmit,
	.link_ns = slot_link_ns,
};
