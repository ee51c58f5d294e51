/* The cluster CA: one self-signed certificate authority per cluster that
 * signs every node and client certificate (docs/security.md).
 *
 * Files, all PEM; keys are created 0600 and certificates 0644, and nothing
 * existing is ever overwritten:
 *   CA folder:        ca.crt, ca.key
 *   issued identity:  NAME.crt, NAME.key and ca.crt (a copy of the CA's)
 */
#ifndef BL_CA_H
#define BL_CA_H

#include <limits.h>

#include <openssl/types.h>

#include "toolstack/common/err.h"

#define CA_CERT_FILE   "ca.crt"
#define CA_KEY_FILE    "ca.key"
#define CA_DEFAULT_DIR "/etc/blanket/ca"
/* A name is one DNS label: it is a node's host name and a TLS identity. */
#define CA_NAME_MAX 63
/* "Blanket cluster CA <cluster>" must fit X.509's 64-character CN. */
#define CA_CLUSTER_MAX 45
#define CA_MAX_IPS     16
#define CA_CA_DAYS     3650
#define CA_NODE_DAYS   730 /* a node's default validity */
#define CA_CLIENT_DAYS 90  /* a user's or program's: renewed (ca renew) */
#define CA_MAX_DAYS    3650
#define CA_PIN_LEN     64 /* a certificate's SHA-256, in hex */

/* What an identity may do: the role is the certificate's subject OU, and
 * each node request names the roles it takes (docs/specs/rpc.md). */
enum ca_role {
	CA_ROLE_NODE,	  /* a blanket node: serverAuth and clientAuth, DNS/IP
			   * SANs; node-to-node requests only */
	CA_ROLE_OPERATOR, /* a user or program that controls guests */
	CA_ROLE_VIEWER,	  /* one that only reads */
	CA_ROLE_COUNT,
};

/* "node", "operator", "viewer". */
const char *ca_role_name(enum ca_role role);
/* BL_ERR_INVAL (logged, naming field) for another word. */
int ca_role_parse(const char *field, const char *s,
		  enum ca_role *role_r) BL_MUST_CHECK;
/* How long the role's identities are valid unless asked otherwise. */
int ca_role_days(enum ca_role role);

/* What to issue. The strings are borrowed from the caller. */
struct ca_request {
	const char *name; /* CN and a node's DNS SAN; any name but "ca" */
	enum ca_role role;
	const char *ips[CA_MAX_IPS]; /* IPv4/IPv6 SANs; nodes only */
	int n_ips;
	int days; /* validity, 1..CA_MAX_DAYS; 0: the role's default */
};

/* A viewer's request for no name, valid for the role's default days. */
void ca_request_init(struct ca_request *req);

/* Whether name is 1-CA_NAME_MAX characters of [a-z0-9-], not starting with
 * '-'. When it is not, says so naming field (e.g. "cluster name") and returns
 * BL_ERR_INVAL. */
int ca_check_name(const char *field, const char *name) BL_MUST_CHECK;
/* ca_check_name() for a cluster name, at most CA_CLUSTER_MAX long. */
int ca_check_cluster(const char *cluster) BL_MUST_CHECK;
/* Whether addr is an IPv4 or IPv6 address; BL_ERR_INVAL naming field. */
int ca_check_ip(const char *field, const char *addr) BL_MUST_CHECK;

/* Create the CA for cluster in dir (created 0700 with its parents if
 * missing): a P-256 key in ca.key and a self-signed certificate, CN
 * "Blanket cluster CA <cluster>", valid CA_CA_DAYS days, in ca.crt.
 * Refuses (BL_ERR_IO, naming the file) when either file exists, and leaves
 * it untouched. BL_ERR_INVAL for a bad cluster name. */
int ca_init(const char *dir, const char *cluster) BL_MUST_CHECK;

/* Issue req with the CA in ca_dir: write NAME.key, NAME.crt and a copy of
 * ca.crt into out_dir (created 0700 if missing). Refuses (BL_ERR_IO, naming
 * the file) when NAME.key or NAME.crt exists, BL_ERR_INVAL when out_dir has
 * another CA's ca.crt or req is bad, BL_ERR_NOTFOUND when the CA is missing.
 * On any error it leaves no file of its own behind and existing files
 * untouched. */
int ca_issue(const char *ca_dir, const struct ca_request *req,
	     const char *out_dir) BL_MUST_CHECK;

/* A new key and certificate for name, of the role and addresses of its
 * last valid certificate in ca_dir's index, valid days (0: the role's
 * default), written over name.key and name.crt in out_dir. The old
 * certificate stays valid until it expires or is revoked (ca_revoke()).
 * BL_ERR_NOTFOUND when the index has no valid certificate of name. */
int ca_renew(const char *ca_dir, const char *name, int days,
	     const char *out_dir) BL_MUST_CHECK;

/* A new P-256 key (EVP_PKEY_free()). */
int ca_new_key(EVP_PKEY **key_r) BL_MUST_CHECK;

/* The CA of ca_dir, loaded once for a process that signs many times
 * (`blanket ca serve-enrol`). */
struct ca_signer {
	X509 *cert;
	EVP_PKEY *key;
	char dir[PATH_MAX];
};

/* Load ca_dir's certificate and key and check that they belong together:
 * BL_ERR_NOTFOUND when the CA is missing, BL_ERR_INVAL, BL_ERR_IO (logged).
 * ca_signer_close() frees what it holds; calling it again is harmless. */
int ca_signer_open(const char *ca_dir, struct ca_signer *signer) BL_MUST_CHECK;
void ca_signer_close(struct ca_signer *signer);

/* Certify key (its public half: it may be someone else's, taken from a
 * certificate request) for req, and record the certificate in the CA's
 * index. On success *cert_r owns it (X509_free()); BL_ERR_INVAL for a bad
 * req. */
int ca_sign_key(const struct ca_signer *signer, const struct ca_request *req,
		EVP_PKEY *key, X509 **cert_r) BL_MUST_CHECK;

/* cert's SHA-256 over its DER, in lower-case hex: how a token names the CA
 * a node is to trust (docs/security.md, "Enrolment"). */
int ca_pin(X509 *cert, char pin[CA_PIN_LEN + 1]) BL_MUST_CHECK;

/* Read the first PEM certificate (private key) in path. On success *cert_r
 * (*key_r) owns it; free with X509_free() (EVP_PKEY_free()). On error
 * (BL_ERR_NOTFOUND, BL_ERR_IO, BL_ERR_INVAL; logged naming path) it is
 * untouched. Keys that want a passphrase are refused, never prompted for. */
int ca_load_cert(const char *path, X509 **cert_r) BL_MUST_CHECK;
int ca_load_key(const char *path, EVP_PKEY **key_r) BL_MUST_CHECK;
/* The same for a PEM CRL (X509_CRL_free()). */
int ca_load_crl(const char *path, X509_CRL **crl_r) BL_MUST_CHECK;
/* cert (key) as a PEM text, malloc'd; NULL when out of memory. */
char *ca_cert_text(X509 *cert);
char *ca_key_text(EVP_PKEY *key);
/* The first PEM certificate in text (X509_free()); NULL when none is. */
X509 *ca_cert_from_text(const char *text);

#endif
