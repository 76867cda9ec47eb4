/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The platform's TAC check: what a clearing centre does with the issuer's
 * TAC master key.  DTK = Div(Div(MTK, issuer id), card serial low 8 bytes);
 * the TAC is a MAC under (3DES) or with (SM4, the key file's [sm4] choices)
 * that key over amount ‖ type ‖ PSAM terminal number ‖ PSAM serial ‖
 * date-time (reference/field.md §1.1).  The key file is read with the
 * simulator's own parser: the test issuer is the simulator's.
 */
#include "platform_private.h"

#include "bytes.h"
#include "pboc_crypto.h"
#include "sim_private.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct platform_keys {
	char path[1024];
	bool tried[256];
	bool have[256];
	struct sim_keyset set[256];
};

int platform_keys_load(const char *path, struct platform_keys **ret, char *errbuf,
		       size_t errbuf_len)
{
	struct platform_keys *k = calloc(1, sizeof(*k));
	char err[256];
	int r;

	if (!k)
		return -ENOMEM;
	snprintf(k->path, sizeof(k->path), "%s", path);
	/* key index 01 must be there: a file without it is not the test issuer */
	r = sim_keys_load(path, 1, &k->set[1], err, sizeof(err));
	if (r < 0) {
		snprintf(errbuf, errbuf_len, "%s", err);
		free(k);
		return r;
	}
	k->tried[1] = k->have[1] = true;
	*ret = k;
	return 0;
}

void platform_keys_free(struct platform_keys *k)
{
	free(k);
}

static const struct sim_keyset *keyset(struct platform_keys *k, uint8_t index)
{
	char err[256];

	if (!k->tried[index]) {
		k->tried[index] = true;
		k->have[index] =
		    sim_keys_load(k->path, index, &k->set[index], err, sizeof(err)) == 0;
	}
	return k->have[index] ? &k->set[index] : NULL;
}

int platform_tac(struct platform_keys *k, uint8_t key_index, uint8_t algorithm_id,
		 const char *issuer_id, const char *card_serial, uint32_t amount_fen,
		 uint8_t trans_type, const char *psam_terminal_no, uint32_t psam_serial,
		 const char *txn_time, uint8_t tac[4])
{
	const struct sim_keyset *ks = keyset(k, key_index);
	uint8_t issuer[8], serial[10], terminal[6], dt[7], dtk[16];
	int r;

	if (!ks)
		return -ENOENT;
	if (ykt_hex_decode(issuer_id, issuer, 8) || ykt_hex_decode(card_serial, serial, 10) ||
	    ykt_hex_decode(psam_terminal_no, terminal, 6) || ykt_hex_decode(txn_time, dt, 7))
		return -EINVAL;
	if (algorithm_id == ks->sm4.algorithm_id) {
		if (!ks->has_mtk_sm4)
			return -ENOENT;
		r = pboc_sm4_diversify2(ks->mtk_sm4, issuer, serial + 2, dtk);
		return r ? r
			 : pboc_sm4_tac(&ks->sm4, dtk, amount_fen, trans_type, terminal,
					psam_serial, dt, tac);
	}
	if (!ks->has_mtk)
		return -ENOENT;
	r = pboc_diversify2(ks->mtk, issuer, serial + 2, dtk);
	return r ? r : pboc_tac(dtk, amount_fen, trans_type, terminal, psam_serial, dt, tac);
}
