/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A sim: SAM slot that tests empty and fill, as a maintenance crew swaps
 * PSAMs with the power on. */
#ifndef YKT_SAM_SIM_H
#define YKT_SAM_SIM_H

#include <stddef.h>

struct ykt_sam;

/* Pull the PSAM out: the next command finds the slot empty, and a started
 * slot posts YKT_EV_SAM_REMOVED. -EALREADY when empty, -EINVAL when s is
 * not a sim: slot. Call from the thread that uses the slot (the loop). */
int ykt_sam_sim_remove(struct ykt_sam *s);

/* Push a PSAM in: profile_path (loaded on first use; the same path again is
 * the same PSAM), or NULL for the one that was in last. A started slot posts
 * YKT_EV_SAM_INSERTED. -EBUSY when the slot is full, -EINVAL when s is not a
 * sim: slot; profile errors as sim_psam_load(), with a reason in err. */
int ykt_sam_sim_insert(struct ykt_sam *s, const char *profile_path, char *err, size_t err_len);

#endif
