/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The simulated PSAM (drivers/sim) in a vpcd slot: what a PSAM in a PC/SC
 * contact slot looks like to pcscd. The PSAM in the slot can be swapped for
 * another while it is out, as a maintenance crew does.
 */
#ifndef YKT_EMU_VPCD_PSAM_H
#define YKT_EMU_VPCD_PSAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vpcd;
struct vpcd_psam;

/* A slot on vpcd port `port` holding the PSAM of profile_path, not
 * inserted. t1: answer with an ATR that offers T=1 only (the simulated
 * PSAM's own ATR offers T=0). Caller frees with vpcd_psam_free(). */
int vpcd_psam_new(uint16_t port, const char *profile_path, bool t1, struct vpcd_psam **ret,
		  char *err, size_t err_len);
void vpcd_psam_free(struct vpcd_psam *p);

struct vpcd *vpcd_psam_vpcd(struct vpcd_psam *p);
/* Put another PSAM (profile) in the holder; only while pulled out. */
int vpcd_psam_swap(struct vpcd_psam *p, const char *profile_path, char *err, size_t err_len);
/* APDUs answered so far */
unsigned vpcd_psam_apdus(struct vpcd_psam *p);

#endif
