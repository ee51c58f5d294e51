/* WireGuard keys with OpenSSL's X25519 (wg_key.h). */
#include "toolstack/tls/wg_key.h"

#include <string.h>

#include <openssl/evp.h>

#define RAW_LEN 32

static void to_text(const unsigned char raw[RAW_LEN],
		    char text[WG_KEY_TEXT_LEN + 1])
{
	EVP_EncodeBlock((unsigned char *)text, raw, RAW_LEN);
}

int wg_key_make(char priv[WG_KEY_TEXT_LEN + 1])
{
	EVP_PKEY *pk = EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
	unsigned char raw[RAW_LEN];
	size_t len = sizeof(raw);
	int rc = BL_ERR_FAIL;

	if (pk && EVP_PKEY_get_raw_private_key(pk, raw, &len) == 1 &&
	    len == RAW_LEN) {
		to_text(raw, priv);
		rc = BL_OK;
	}
	OPENSSL_cleanse(raw, sizeof(raw));
	EVP_PKEY_free(pk);
	return rc;
}

int wg_key_public(const char *priv, char pub[WG_KEY_TEXT_LEN + 1])
{
	/* 44 characters decode to 33 bytes, the last one padding's. */
	unsigned char raw[RAW_LEN + 1], pub_raw[RAW_LEN];
	size_t len = sizeof(pub_raw);
	EVP_PKEY *pk = NULL;
	int rc = BL_ERR_INVAL;

	if (strlen(priv) == WG_KEY_TEXT_LEN && priv[43] == '=' &&
	    priv[42] != '=' &&
	    EVP_DecodeBlock(raw, (const unsigned char *)priv,
			    WG_KEY_TEXT_LEN) == RAW_LEN + 1)
		pk = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, raw,
						  RAW_LEN);
	if (pk && EVP_PKEY_get_raw_public_key(pk, pub_raw, &len) == 1 &&
	    len == RAW_LEN) {
		to_text(pub_raw, pub);
		rc = BL_OK;
	}
	OPENSSL_cleanse(raw, sizeof(raw));
	EVP_PKEY_free(pk);
	return rc;
}
