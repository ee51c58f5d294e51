/* WireGuard keys (X25519), in the base64 text wg(8) reads and writes: a
 * node's overlay key is made on the node, and only its public half leaves
 * it (docs/network.md). */
#ifndef BL_WG_KEY_H
#define BL_WG_KEY_H

#include "toolstack/common/err.h"

#define WG_KEY_TEXT_LEN 44 /* 32 bytes in base64, "=" included */

/* A new private key, from OpenSSL's random source. */
int wg_key_make(char priv[WG_KEY_TEXT_LEN + 1]) BL_MUST_CHECK;
/* The public key of priv: BL_ERR_INVAL when priv is not a key's text. */
int wg_key_public(const char *priv,
		  char pub[WG_KEY_TEXT_LEN + 1]) BL_MUST_CHECK;

#endif
