/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the sim: field holds, for tests that compare the store with the
 * cards' own ledgers after a shift. */
#ifndef YKT_READER_SIM_H
#define YKT_READER_SIM_H

#include <stddef.h>

struct ykt_reader;
struct sim_card;

/* Cards of a sim: reader in the order the script first names them; NULL
 * past the end or when r is not a sim: reader. Owned by the reader. */
struct sim_card *ykt_reader_sim_card(struct ykt_reader *r, size_t index);

/* APDUs the validator sent during the current (or last) tap; -EINVAL when r
 * is not a sim: reader. */
int ykt_reader_sim_tap_exchanges(struct ykt_reader *r);

/* Write the field's ledger (sim_field_write_ledger) to path; -EINVAL when r
 * is not a sim: reader. */
int ykt_reader_sim_write_ledger(struct ykt_reader *r, const char *path);

#endif
