/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Purchase cryptography by algorithm: the one place where the simulated
 * card and PSAM turn "3DES or SM4" into calls of pboc_crypto.  The SM4
 * choices come from the key file's [sm4] section (docs/sm4.md).
 */
#include "sim_private.h"

#include <errno.h>

int sim_alg_session_key(enum sim_alg alg, const struct pboc_sm4_profile *sm4, const uint8_t dpk[16],
			const uint8_t random[4], uint16_t atc, uint32_t terminal_serial,
			uint8_t sk[16])
{
	switch (alg) {
	case SIM_ALG_3DES:
		return pboc_purchase_session_key(dpk, random, atc, terminal_serial, sk);
	case SIM_ALG_SM4:
		return pboc_sm4_session_key(sm4, dpk, random, atc, terminal_serial, sk);
	}
	return -EINVAL;
}

int sim_alg_mac(enum sim_alg alg, const struct pboc_sm4_profile *sm4, const uint8_t sk[16],
		const uint8_t *data, size_t len, uint8_t mac[4])
{
	switch (alg) {
	case SIM_ALG_3DES:
		return pboc_mac(sk, NULL, data, len, mac);
	case SIM_ALG_SM4:
		return pboc_sm4_mac(sm4, sk, NULL, data, len, mac);
	}
	return -EINVAL;
}

int sim_alg_tac(enum sim_alg alg, const struct pboc_sm4_profile *sm4, const uint8_t dtk[16],
		uint32_t amount_fen, uint8_t trans_type, const uint8_t terminal_no[6],
		uint32_t terminal_serial, const uint8_t datetime[7], uint8_t tac[4])
{
	switch (alg) {
	case SIM_ALG_3DES:
		return pboc_tac(dtk, amount_fen, trans_type, terminal_no, terminal_serial, datetime,
				tac);
	case SIM_ALG_SM4:
		return pboc_sm4_tac(sm4, dtk, amount_fen, trans_type, terminal_no, terminal_serial,
				    datetime, tac);
	}
	return -EINVAL;
}

int sim_alg_diversify2(enum sim_alg alg, const uint8_t mk[16], const uint8_t issuer_id[8],
		       const uint8_t app_serial_low8[8], uint8_t child[16])
{
	switch (alg) {
	case SIM_ALG_3DES:
		return pboc_diversify2(mk, issuer_id, app_serial_low8, child);
	case SIM_ALG_SM4:
		return pboc_sm4_diversify2(mk, issuer_id, app_serial_low8, child);
	}
	return -EINVAL;
}
