/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sim: SAM slot — the simulated transport PSAM from a profile file, in a
 * slot a test can empty and fill as a maintenance crew does.
 *
 *   sim:PATH                   the PSAM of profile PATH
 *   sim:PATH,mute-after=N      it answers N commands (resets count), then
 *                              stops answering, as a failing PSAM does
 *   sim:PATH,remove-after=N    the PSAM is pulled out right after answering
 *                              its Nth command (counted from open, whichever
 *                              PSAM is in): the slot is empty from then on
 *
 * Options combine with commas. ykt_sam_sim_remove() and ykt_sam_sim_insert()
 * (sam_sim.h) empty and fill the slot from a test; a PSAM profile inserted
 * again is the same PSAM, its transaction serial carrying on.
 */
#include "sam.h"
#include "sam_sim.h"

#include "clock.h"
#include "link_model.h"
#include "loop.h"
#include "sim.h"
#include "ykt_error.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SIM_SLOT_MAX_PSAMS 8

struct sim_slot {
	struct sim_psam *psams[SIM_SLOT_MAX_PSAMS];
	char *paths[SIM_SLOT_MAX_PSAMS];
	size_t n_psams;
	int current; /* index of the PSAM in the slot, -1: empty */
	int last;    /* the PSAM that was in last */
	uint32_t insertions;
	bool started;
	long mute_after, remove_after; /* -1: never */
	long commands;
	struct link_contact link; /* T=0 at 38,400 bit/s, the production PSAM */
	uint64_t link_ns;
};

static int parse_count(const char *text, long *ret)
{
	char *end;

	errno = 0;
	*ret = strtol(text, &end, 10);
	return errno || end == text || *end || *ret < 0 ? -EINVAL : 0;
}

static int slot_option(struct sim_slot *slot, const char *opt)
{
	if (strncmp(opt, "mute-after=", 11) == 0)
		return parse_count(opt + 11, &slot->mute_after);
	if (strncmp(opt, "remove-after=", 13) == 0)
		return parse_count(opt + 13, &slot->remove_after);
	return -EINVAL;
}

static int slot_options(struct ykt_sam *s, struct sim_slot *slot, const char *opts)
{
	char buf[128], *save = NULL, *opt;

	slot->mute_after = slot->remove_after = -1;
	if (!opts)
		return 0;
	snprintf(buf, sizeof(buf), "%s", opts);
	for (opt = strtok_r(buf, ",", &save); opt; opt = strtok_r(NULL, ",", &save)) {
		if (slot_option(slot, opt) < 0) {
			ykt_sam_set_error(s,
					  "sim SAM option '%s': expected mute-after=N or "
					  "remove-after=N",
					  opt);
			return -EINVAL;
		}
	}
	return 0;
}

/* The slot's PSAM of this profile, loaded on first use. */
static int slot_psam_index(struct sim_slot *slot, const char *path, char *err, size_t err_len)
{
	int rc;

	for (size_t i = 0; i < slot->n_psams; i++)
		if (strcmp(slot->paths[i], path) == 0)
			return (int)i;
	if (slot->n_psams == SIM_SLOT_MAX_PSAMS)
		return -E2BIG;
	slot->paths[slot->n_psams] = strdup(path);
	if (!slot->paths[slot->n_psams])
		return -ENOMEM;
	rc = sim_psam_load(path, &slot->psams[slot->n_psams], err, err_len);
	if (rc < 0) {
		free(slot->paths[slot->n_psams]);
		return rc;
	}
	return (int)slot->n_psams++;
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
	rc = slot_psam_index(slot, path, err, sizeof(err));
	if (rc < 0) {
		ykt_sam_set_error(s, "%s", err[0] ? err : ykt_strerror(rc));
		return rc;
	}
	slot->current = slot->last = rc;
	return 0;
}

static void slot_close(struct ykt_sam *s)
{
	struct sim_slot *slot = ykt_sam_priv(s);

	for (size_t i = 0; i < slot->n_psams; i++) {
		sim_psam_free(slot->psams[i]);
		free(slot->paths[i]);
	}
}

static void slot_post(struct ykt_sam *s, enum ykt_event_type type)
{
	const struct ykt_sam_env *env = ykt_sam_env(s);
	struct sim_slot *slot = ykt_sam_priv(s);
	struct ykt_event ev = { .type = type, .source = env->source };

	if (slot->started && env->loop)
		ykt_loop_post(env->loop, &ev);
}

static void slot_empty(struct ykt_sam *s, struct sim_slot *slot)
{
	if (slot->current < 0)
		return;
	slot->last = slot->current;
	slot->current = -1;
	slot_post(s, YKT_EV_SAM_REMOVED);
}

/* Count one command: 0 when the PSAM is there to answer it. */
static int slot_command(struct sim_slot *slot)
{
	if (slot->current < 0)
		return YKT_E_SAM_ABSENT;
	if (slot->mute_after >= 0 && slot->commands >= slot->mute_after)
		return -ETIMEDOUT; /* no answer within the character waiting time */
	slot->commands++;
	return 0;
}

/* After an answer: a scripted removal happens now, once. */
static void slot_answered(struct ykt_sam *s, struct sim_slot *slot)
{
	if (slot->remove_after < 0 || slot->commands < slot->remove_after)
		return;
	slot->remove_after = -1;
	slot_empty(s, slot);
}

static int slot_reset(struct ykt_sam *s, uint8_t *atr, size_t atr_cap, size_t *ret_atr_len)
{
	struct sim_slot *slot = ykt_sam_priv(s);
	int rc = slot_command(slot);

	if (rc < 0)
		return rc;
	rc = sim_psam_reset(slot->psams[slot->current], atr, atr_cap, ret_atr_len);
	slot_answered(s, slot);
	return rc;
}

static int slot_transmit(struct ykt_sam *s, const uint8_t *capdu, size_t capdu_len, uint8_t *rapdu,
			 size_t rapdu_cap, size_t *ret_rapdu_len)
{
	struct sim_slot *slot = ykt_sam_priv(s);
	int64_t start_ns = ykt_monotonic_ns(), left;
	struct link_timing t;
	int rc = slot_command(slot);

	if (rc < 0)
		return rc;
	rc = sim_psam_transmit(slot->psams[slot->current], capdu, capdu_len, rapdu, rapdu_cap,
			       ret_rapdu_len);
	slot_answered(s, slot);
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

static int slot_start(struct ykt_sam *s)
{
	struct sim_slot *slot = ykt_sam_priv(s);

	slot->started = true;
	return 0;
}

static int slot_presence(struct ykt_sam *s, uint32_t *ret_insertions)
{
	struct sim_slot *slot = ykt_sam_priv(s);

	*ret_insertions = slot->insertions;
	return slot->current >= 0;
}

const struct ykt_sam_ops ykt_sam_sim_ops = {
	.scheme = "sim",
	.priv_size = sizeof(struct sim_slot),
	.open = slot_open,
	.close = slot_close,
	.reset = slot_reset,
	.transmit = slot_transmit,
	.link_ns = slot_link_ns,
	.start = slot_start,
	.presence = slot_presence,
};

int ykt_sam_sim_remove(struct ykt_sam *s)
{
	struct sim_slot *slot;

	if (ykt_sam_ops_of(s) != &ykt_sam_sim_ops)
		return -EINVAL;
	slot = ykt_sam_priv(s);
	if (slot->current < 0)
		return -EALREADY;
	slot_empty(s, slot);
	return 0;
}

int ykt_sam_sim_insert(struct ykt_sam *s, const char *profile_path, char *err, size_t err_len)
{
	struct sim_slot *slot;
	int i;

	if (ykt_sam_ops_of(s) != &ykt_sam_sim_ops)
		return -EINVAL;
	slot = ykt_sam_priv(s);
	if (slot->current >= 0)
		return -EBUSY;
	i = profile_path ? slot_psam_index(slot, profile_path, err, err_len) : slot->last;
	if (i < 0)
		return i;
	slot->current = i;
	slot->insertions++;
	slot_post(s, YKT_EV_SAM_INSERTED);
	return 0;
}
