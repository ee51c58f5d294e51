/* What the cluster CA issued and revoked (docs/security.md, "Revocation"):
 * CA_DIR/index, one line a certificate, and CA_DIR/crl.pem, the list of
 * revoked certificates signed by the CA, which every node loads
 * (blanketd --crl) and reads again on SIGHUP.
 *
 * index lines: "SERIAL ROLE NAME NOT_AFTER STATUS REVOKED_AT IPS": serial
 * in hex, not_after and revoked_at in seconds since the epoch (0: not
 * revoked), status "valid" or "revoked", IPs comma-separated or "-". */
#ifndef BL_CA_INDEX_H
#define BL_CA_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "toolstack/common/err.h"
#include "toolstack/tls/ca.h"

#define CA_INDEX_FILE "index"
#define CA_CRL_FILE   "crl.pem"
#define CA_INDEX_MAX  (1 << 20) /* bytes: some 6000 certificates */

struct ca_record {
	char serial[64];
	enum ca_role role;
	char name[CA_NAME_MAX + 1];
	int64_t not_after;
	bool revoked;
	int64_t revoked_at;
	char ips[CA_MAX_IPS * 48]; /* "-" for none */
};

/* Record cert, just issued for req, in ca_dir's index. */
int ca_index_add(const char *ca_dir, X509 *cert,
		 const struct ca_request *req) BL_MUST_CHECK;

/* Every record, oldest first: *recs_r malloc'd (free()), *n_r of them. A
 * CA without an index has none. */
int ca_index_read(const char *ca_dir, struct ca_record **recs_r,
		  size_t *n_r) BL_MUST_CHECK;

/* Revoke every valid certificate of name and write the CRL again:
 * *count_r is how many (BL_ERR_NOTFOUND when name has none). */
int ca_revoke(const char *ca_dir, const char *name, int *count_r) BL_MUST_CHECK;

/* Write ca_dir/crl.pem from the index, signed by the CA. */
int ca_write_crl(const char *ca_dir) BL_MUST_CHECK;

#endif
