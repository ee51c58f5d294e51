/* One-time enrolment tokens (docs/security.md, "Enrolment").
 *
 * `blanket ca token NAME` makes one on the CA's machine: a random id and
 * secret, recorded in CA_DIR/tokens/ID with the node's name, its addresses
 * and an expiry (the secret only as its SHA-256). The token the
 * administrator hands the new node reads
 *     bl1-ID-SECRET-PIN
 * ID 16 hex digits, SECRET 32 (128 bits), PIN the CA certificate's
 * SHA-256 (ca_pin()), so that the node knows which CA to trust before it
 * has any file of the cluster. The enrolment server checks a token
 * (enrol_token_check()) and then spends it (enrol_token_spend()): renamed
 * to ID.spent, it can never be redeemed again. */
#ifndef BL_ENROL_TOKEN_H
#define BL_ENROL_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#include "toolstack/common/err.h"
#include "toolstack/tls/ca.h"

#define ENROL_TOKEN_DIR	   "tokens" /* in the CA's folder */
#define ENROL_ID_LEN	   16	    /* hex digits */
#define ENROL_SECRET_LEN   32	    /* hex digits */
#define ENROL_TOKEN_PREFIX "bl1-"
#define ENROL_TOKEN_LEN                                                        \
	(sizeof(ENROL_TOKEN_PREFIX) - 1 + ENROL_ID_LEN + 1 +                   \
	 ENROL_SECRET_LEN + 1 + CA_PIN_LEN)
#define ENROL_TTL_MIN 60     /* seconds */
#define ENROL_TTL_MAX 604800 /* a week */
#define ENROL_IP_MAX  48     /* an IPv6 address as text, NUL included */

struct enrol_token {
	char id[ENROL_ID_LEN + 1];
	char secret[ENROL_SECRET_LEN + 1];
	char pin[CA_PIN_LEN + 1];
};

/* What a token lets its holder have: a node certificate for name and
 * addresses, until expires (seconds since the epoch). */
struct enrol_grant {
	char name[CA_NAME_MAX + 1];
	int64_t expires;
	char ips[CA_MAX_IPS][ENROL_IP_MAX];
	int n_ips;
};

/* Whether s is ENROL_ID_LEN (ENROL_SECRET_LEN) lower-case hex digits. */
int enrol_check_id(const char *s);
int enrol_check_secret(const char *s);

/* A token's lifetime: N seconds, or N followed by s, m, h or d, from
 * ENROL_TTL_MIN to ENROL_TTL_MAX seconds; BL_ERR_INVAL naming field. */
int enrol_ttl_parse(const char *field, const char *s,
		    int *seconds_r) BL_MUST_CHECK;

/* Read a token as the administrator wrote it; BL_ERR_INVAL, logged naming
 * field, for anything else. */
int enrol_token_parse(const char *field, const char *s,
		      struct enrol_token *t) BL_MUST_CHECK;
/* t as text: ENROL_TOKEN_LEN characters and a NUL. */
void enrol_token_format(const struct enrol_token *t,
			char out[ENROL_TOKEN_LEN + 1]);

/* A new token for g (valid name and addresses; g->expires is set from
 * now + ttl_s), recorded in ca_dir's
 * tokens folder. BL_ERR_INVAL naming the bad field, BL_ERR_NOTFOUND
 * without a CA. */
int enrol_token_create(const char *ca_dir, struct enrol_grant *g, int ttl_s,
		       int64_t now, struct enrol_token *t_r) BL_MUST_CHECK;

/* Whether id and secret are a token of ca_dir that is neither spent nor
 * expired at now: on success *g_r is what it grants. BL_ERR_DENIED
 * otherwise, with err saying which (for the server's log; a peer is told
 * less); BL_ERR_IO for a file that cannot be read. */
int enrol_token_check(const char *ca_dir, const char *id, const char *secret,
		      int64_t now, struct enrol_grant *g_r, char *err,
		      size_t errlen) BL_MUST_CHECK;
/* Spend token id, once: BL_ERR_DENIED when it is spent already (by a
 * concurrent redemption), BL_ERR_IO when it cannot be. */
int enrol_token_spend(const char *ca_dir, const char *id, char *err,
		      size_t errlen) BL_MUST_CHECK;

#endif
