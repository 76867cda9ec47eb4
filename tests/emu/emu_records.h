/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The emulator tests' verdict: a record stored through a real driver stack
 * must equal, field by field, the record of the same tap in process.
 */
#ifndef YKT_EMU_RECORDS_H
#define YKT_EMU_RECORDS_H

#include "store.h"

/* One CHECK failure per field that differs; via names the other path
 * ("through libnfc", "through pcscd") in the messages. */
void emu_same_record(const struct ykt_purchase_record *a, const struct ykt_purchase_record *b,
		     const char *via);

#endif
