/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Every public vector of reference/jtt978.md §5.6, plus checks that pin
 * the primitives (single DES through K‖K, padding, IV, diversification).
 */
#include <string.h>

#include <openssl/evp.h>

#include "bytes.h"
#include "pboc_crypto.h"
#include "sim_test.h"

static void expect_hex(const uint8_t *got, size_t n, const char *want, const char *what)
{
	char buf[80];

	CHECK(check_eq_hex(got, n, want), "%s: got %s, expected %s", what,
	      check_to_hex(got, n, buf, sizeof(buf)), want);
}

/* P-PUR / P-MAC2: purchase session key, MAC1, MAC2 */
static void purchase_vectors(void)
{
	uint8_t dpk[16], random[4], sk[8], in[18], mac[4];

	check_hex("11223344556677888877665544332211", dpk, sizeof(dpk));
	check_hex("11223344", random, sizeof(random));
	CHECK(pboc_purchase_session_key(dpk, random, 0x0000, 0x00000001, sk) == 0, "session key");
	expect_hex(sk, 8, "003238ABC57659DD", "purchase session key");
	check_hex("00001000 06 001122334455 20120229135100", in, sizeof(in));
	CHECK(pboc_mac(sk, NULL, in, 18, mac) == 0, "mac1");
	expect_hex(mac, 4, "F15CAB75", "purchase MAC1");
	CHECK(pboc_mac(sk, NULL, in, 4, mac) == 0, "mac2");
	expect_hex(mac, 4, "56988A13", "purchase MAC2");
	/* only the right 2 bytes of the terminal serial enter the key */
	CHECK(pboc_purchase_session_key(dpk, random, 0x0000, 0xABCD0001, sk) == 0, "sk");
	expect_hex(sk, 8, "003238ABC57659DD", "session key ignores serial's left half");
}

/* P-LOAD: SK = 3DES_DLK(random ‖ online ATC ‖ 8000) */
static void load_vectors(void)
{
	uint8_t dlk[16], in8[8], sk[8], in[22], mac[4];
	size_t n;

	check_hex("11223344556677888877665544332211", dlk, sizeof(dlk));
	check_hex("11223344 0000 8000", in8, sizeof(in8));
	CHECK(pboc_3des_encrypt(dlk, in8, sk) == 0, "load sk");
	expect_hex(sk, 8, "9B1D924E05595603", "load session key");
	n = check_hex("00000000 00001000 01 001122334455", in, sizeof(in));
	CHECK(pboc_mac(sk, NULL, in, n, mac) == 0, "load mac1");
	expect_hex(mac, 4, "2988AE5A", "load MAC1");
	n = check_hex("00001000 01 001122334455 20111221 214822", in, sizeof(in));
	CHECK(pboc_mac(sk, NULL, in, n, mac) == 0, "load mac2");
	expect_hex(mac, 4, "3A845BF0", "load MAC2");
}

static void tac_key_vector(void)
{
	uint8_t dtk[16], key[8];

	check_hex("00112233445566778899AABBCCDDEEFF", dtk, sizeof(dtk));
	pboc_tac_key(dtk, key);
	expect_hex(key, 8, "8888888888888888", "TAC key");
}

/* GB/T 32907 SM4 example: the primitive the SM4 variant will need. */
static void sm4_vector(void)
{
	uint8_t key[16], out[32];
	int outl = 0, fl = 0;
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	const EVP_CIPHER *sm4 = EVP_sm4_ecb();

	check_hex("0123456789ABCDEFFEDCBA9876543210", key, sizeof(key));
	CHECK(ctx && sm4, "libcrypto has no SM4");
	if (!ctx || !sm4) {
		EVP_CIPHER_CTX_free(ctx);
		return;
	}
	CHECK(EVP_EncryptInit_ex(ctx, sm4, NULL, key, NULL) == 1, "sm4 init");
	EVP_CIPHER_CTX_set_padding(ctx, 0);
	CHECK(EVP_EncryptUpdate(ctx, out, &outl, key, 16) == 1 && outl == 16, "sm4 update");
	CHECK(EVP_EncryptFinal_ex(ctx, out + outl, &fl) == 1 && fl == 0, "sm4 final");
	expect_hex(out, 16, "681EDF34D206965E86B3E94F536E4246", "SM4 ECB");
	EVP_CIPHER_CTX_free(ctx);
}

/* The classic DES example (key 133457799BBCDFF1) proves K‖K = single DES. */
static void des_vector(void)
{
	uint8_t key[8], in[8], out[8];

	check_hex("133457799BBCDFF1", key, sizeof(key));
	check_hex("0123456789ABCDEF", in, sizeof(in));
	CHECK(pboc_des_encrypt(key, in, out) == 0, "des");
	expect_hex(out, 8, "85E813540F0AB405", "single DES");
}

/* MAC = DES-CBC over data ‖ 80 00.., a full pad block when aligned. */
static void mac_padding_and_iv(void)
{
	uint8_t key[8], iv[8], data[8], blk[8], c[8], mac[4];

	check_hex("0123456789ABCDEF", key, sizeof(key));
	check_hex("1122334455667788", iv, sizeof(iv));
	check_hex("A1A2A3A4A5A6A7A8", data, sizeof(data));
	for (int i = 0; i < 8; i++)
		blk[i] = data[i] ^ iv[i];
	pboc_des_encrypt(key, blk, c);
	check_hex("8000000000000000", blk, sizeof(blk));
	for (int i = 0; i < 8; i++)
		blk[i] ^= c[i];
	pboc_des_encrypt(key, blk, c);
	CHECK(pboc_mac(key, iv, data, 8, mac) == 0, "mac");
	CHECK(memcmp(mac, c, 4) == 0, "MAC with IV and a full pad block differs from DES-CBC");
	/* empty data is one pad block */
	check_hex("8000000000000000", blk, sizeof(blk));
	pboc_des_encrypt(key, blk, c);
	CHECK(pboc_mac(key, NULL, NULL, 0, mac) == 0 && memcmp(mac, c, 4) == 0, "empty MAC");
}

static void diversification(void)
{
	uint8_t mk[16], f[8], g[8], a[16], b[16], inv[8], half[8];

	check_hex("0123456789ABCDEFFEDCBA9876543210", mk, sizeof(mk));
	check_hex("01011000FFFFFFFF", f, sizeof(f));
	check_hex("0000000000012345", g, sizeof(g));
	CHECK(pboc_diversify(mk, f, a) == 0, "div");
	pboc_3des_encrypt(mk, f, half);
	CHECK(memcmp(a, half, 8) == 0, "left half is 3DES(factor)");
	for (int i = 0; i < 8; i++)
		inv[i] = (uint8_t)~f[i];
	pboc_3des_encrypt(mk, inv, half);
	CHECK(memcmp(a + 8, half, 8) == 0, "right half is 3DES(~factor)");
	CHECK(pboc_diversify(a, g, a) == 0, "div in place");
	CHECK(pboc_diversify2(mk, f, g, b) == 0 && memcmp(a, b, 16) == 0,
	      "diversify2 = issuer level, then card level");
}

/* TAC = MAC with DTK_L xor DTK_R over the 22-byte layout. */
static void tac_layout(void)
{
	uint8_t dtk[16], key[8], tno[6], dt[7], in[22], a[4], b[4];

	check_hex("00112233445566778899AABBCCDDEEFF", dtk, sizeof(dtk));
	check_hex("001122334455", tno, sizeof(tno));
	check_hex("20261121073000", dt, sizeof(dt));
	check_hex("000000C8 09 001122334455 000003E8 20261121 073000", in, sizeof(in));
	pboc_tac_key(dtk, key);
	CHECK(pboc_mac(key, NULL, in, sizeof(in), a) == 0, "mac");
	CHECK(pboc_tac(dtk, 200, 0x09, tno, 1000, dt, b) == 0, "tac");
	CHECK(memcmp(a, b, 4) == 0, "TAC input layout");
}

int main(void)
{
	purchase_vectors();
	load_vectors();
	tac_key_vector();
	sm4_vector();
	des_vector();
	mac_padding_and_iv();
	diversification();
	tac_layout();
	if (check_failures)
		fprintf(stderr, "%d check(s) failed\n", check_failures);
	else
		printf("all PBOC vectors reproduced\n");
	return check_failures ? 1 : 0;
}
