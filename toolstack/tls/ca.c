/* The cluster CA (ca.h): keys, certificates, and the files they live in.
 *
 * Entry points: ca_init() makes the CA, ca_issue() an identity (recorded in
 * the CA's index, ca_index.c), ca_renew() a new one like the last;
 * ca_sign_key() certifies a key made elsewhere (enrolment, enrol.c).
 * Both build everything in memory first, then create each file with O_EXCL
 * (never replacing what is there) and remove the files they created when a
 * later step fails, so an error leaves the folder as it was. */
#include "toolstack/tls/ca.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "toolstack/common/log.h"
#include "toolstack/common/path.h"
#include "toolstack/tls/ca_index.h"
#include "toolstack/tls/tls.h"

#define CA_CN_PREFIX "Blanket cluster CA "
/* Certificates start an hour in the past, so that a node whose clock is a
 * little behind the CA's does not find a fresh one "not yet valid". */
#define CA_BACKDATE_S 3600
#define CA_SERIAL_LEN 16

/* A file being written; the folder keeps it only once it is complete. */
struct out_file {
	char path[PATH_MAX];
	FILE *fp;
	bool created; /* by us: out_discard() removes it */
};

struct ext {
	int nid;
	const char *value; /* X509V3 config syntax; NULL ends a list */
};

void ca_request_init(struct ca_request *req)
{
	memset(req, 0, sizeof(*req));
	req->role = CA_ROLE_VIEWER;
}

static const char *const role_names[CA_ROLE_COUNT] = {
    [CA_ROLE_NODE] = "node",
    [CA_ROLE_OPERATOR] = "operator",
    [CA_ROLE_VIEWER] = "viewer",
};

const char *ca_role_name(enum ca_role role)
{
	return (unsigned int)role < CA_ROLE_COUNT ? role_names[role] : "none";
}

int ca_role_parse(const char *field, const char *s, enum ca_role *role_r)
{
	char shown[80];

	for (int i = 0; i < CA_ROLE_COUNT; i++) {
		if (!strcmp(s, role_names[i])) {
			*role_r = (enum ca_role)i;
			return BL_OK;
		}
	}

	log_warnx("%s \"%s\": want node, operator or viewer", field,
		  log_escape(s, shown, sizeof(shown)));
	return BL_ERR_INVAL;
}

int ca_role_days(enum ca_role role)
{
	return role == CA_ROLE_NODE ? CA_NODE_DAYS : CA_CLIENT_DAYS;
}

int ca_check_name(const char *field, const char *name)
{
	size_t len = strlen(name);
	char shown[80];

	if (len >= 1 && len <= CA_NAME_MAX && name[0] != '-' &&
	    strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789-") == len)
		return BL_OK;
	log_warnx("%s \"%s\": want 1-%d characters of a-z, 0-9 and '-', "
		  "not starting with '-'",
		  field, log_escape(name, shown, sizeof(shown)), CA_NAME_MAX);
	return BL_ERR_INVAL;
}

int ca_check_cluster(const char *cluster)
{
	int rc = ca_check_name("cluster name", cluster);

	if (rc)
		return rc;
	if (strlen(cluster) > CA_CLUSTER_MAX) {
		log_warnx("cluster name \"%s\": at most %d characters", cluster,
			  CA_CLUSTER_MAX);
		return BL_ERR_INVAL;
	}
	return BL_OK;
}

int ca_check_ip(const char *field, const char *addr)
{
	unsigned char buf[sizeof(struct in6_addr)];
	char shown[80];

	if (inet_pton(AF_INET, addr, buf) == 1 ||
	    inet_pton(AF_INET6, addr, buf) == 1)
		return BL_OK;
	log_warnx("%s \"%s\": not an IPv4 or IPv6 address", field,
		  log_escape(addr, shown, sizeof(shown)));
	return BL_ERR_INVAL;
}

/* buf[PATH_MAX] = "dir/namesuffix" (name: a checked CA name). */
static int file_path(char *buf, const char *dir, const char *name,
		     const char *suffix)
{
	char file[CA_NAME_MAX + 8];

	snprintf(file, sizeof(file), "%s%s", name, suffix);
	if (path_join(buf, PATH_MAX, dir, file)) {
		log_warnx("%.64s...: path too long", dir);
		return BL_ERR_INVAL;
	}
	return BL_OK;
}

static int open_pem(const char *path, FILE **fp_r)
{
	FILE *fp = fopen(path, "re");

	if (!fp) {
		int err = errno;

		log_warn("%s", path);
		return err == ENOENT ? BL_ERR_NOTFOUND : BL_ERR_IO;
	}
	*fp_r = fp;
	return BL_OK;
}

int ca_load_cert(const char *path, X509 **cert_r)
{
	FILE *fp = NULL;
	X509 *cert;
	int rc = open_pem(path, &fp);

	if (rc)
		return rc;
	cert = PEM_read_X509(fp, NULL, NULL, NULL);
	fclose(fp);
	if (!cert) {
		tls_log_ssl_errors("%s: not a PEM certificate", path);
		return BL_ERR_INVAL;
	}
	*cert_r = cert;
	return BL_OK;
}

/* What b holds, as a malloc'd NUL-terminated text; NULL when empty or out
 * of memory. */
static char *bio_text(BIO *b)
{
	char *data = NULL;
	long len = b ? BIO_get_mem_data(b, &data) : 0;

	return len > 0 ? strndup(data, (size_t)len) : NULL;
}

char *ca_cert_text(X509 *cert)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *text = b && PEM_write_bio_X509(b, cert) ? bio_text(b) : NULL;

	BIO_free(b);
	return text;
}

char *ca_key_text(EVP_PKEY *key)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *text =
	    b && PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL, NULL)
		? bio_text(b)
		: NULL;

	BIO_free(b);
	return text;
}

X509 *ca_cert_from_text(const char *text)
{
	BIO *b = BIO_new_mem_buf(text, -1);
	X509 *cert = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;

	BIO_free(b);
	ERR_clear_error();
	return cert;
}

int ca_load_crl(const char *path, X509_CRL **crl_r)
{
	FILE *fp = NULL;
	X509_CRL *crl;
	int rc = open_pem(path, &fp);

	if (rc)
		return rc;
	crl = PEM_read_X509_CRL(fp, NULL, NULL, NULL);
	fclose(fp);
	if (!crl) {
		tls_log_ssl_errors("%s: not a PEM CRL", path);
		return BL_ERR_INVAL;
	}
	*crl_r = crl;
	return BL_OK;
}

/* OpenSSL's default would prompt on the terminal, even in the daemon. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

int ca_load_key(const char *path, EVP_PKEY **key_r)
{
	FILE *fp = NULL;
	EVP_PKEY *key;
	int rc = open_pem(path, &fp);

	if (rc)
		return rc;
	key = PEM_read_PrivateKey(fp, NULL, no_passphrase, NULL);
	fclose(fp);
	if (!key) {
		tls_log_ssl_errors("%s: not an unencrypted PEM private key",
				   path);
		return BL_ERR_INVAL;
	}
	*key_r = key;
	return BL_OK;
}

static int out_create(struct out_file *of, mode_t mode)
{
	int fd = open(of->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);

	if (fd < 0) {
		if (errno == EEXIST)
			log_warn("%s: will not overwrite it", of->path);
		else
			log_warn("cannot create %s", of->path);
		return BL_ERR_IO;
	}
	of->created = true;
	of->fp = fdopen(fd, "w");
	if (!of->fp) {
		log_warn("%s", of->path);
		close(fd);
		return BL_ERR_IO;
	}
	return BL_OK;
}

/* Flush to disk and close: a key or certificate is written once and must
 * survive a crash right after `blanket ca` says it exists. */
static int out_finish(struct out_file *of)
{
	int r = fflush(of->fp) == 0 && fsync(fileno(of->fp)) == 0 ? 0 : -1;

	if (fclose(of->fp) != 0)
		r = -1;
	of->fp = NULL;
	if (r < 0) {
		log_warn("cannot write %s", of->path);
		return BL_ERR_IO;
	}
	return BL_OK;
}

/* Remove a file we created and did not keep; idempotent. */
static void out_discard(struct out_file *of)
{
	if (of->fp)
		fclose(of->fp);
	of->fp = NULL;
	if (of->created)
		unlink(of->path);
	of->created = false;
}

static int out_write_key(struct out_file *of, EVP_PKEY *key)
{
	int rc = out_create(of, 0600);

	if (rc)
		return rc;
	if (!PEM_write_PrivateKey(of->fp, key, NULL, NULL, 0, NULL, NULL)) {
		tls_log_ssl_errors("cannot write %s", of->path);
		return BL_ERR_IO;
	}
	return out_finish(of);
}

static int out_write_cert(struct out_file *of, X509 *cert)
{
	int rc = out_create(of, 0644);

	if (rc)
		return rc;
	if (!PEM_write_X509(of->fp, cert)) {
		tls_log_ssl_errors("cannot write %s", of->path);
		return BL_ERR_IO;
	}
	return out_finish(of);
}

/* A certificate for key with subject CN cn and, unless NULL, OU ou (a role),
 * signed with issuer_key by issuer (NULL: self-signed), valid for days, with
 * the extensions exts. On success *cert_r owns it; on error it is untouched.
 */
static int make_cert(const char *cn, const char *ou, EVP_PKEY *key,
		     X509 *issuer, EVP_PKEY *issuer_key, int days,
		     const struct ext *exts, X509 **cert_r)
{
	unsigned char serial[CA_SERIAL_LEN];
	X509_NAME *subject = NULL;
	X509 *cert = NULL;
	BIGNUM *bn = NULL;
	X509V3_CTX v3;
	int rc = BL_ERR_FAIL;

	subject = X509_NAME_new();
	cert = X509_new();
	if (!subject || !cert || RAND_bytes(serial, sizeof(serial)) != 1)
		goto ssl_err;
	/* Top bit set: never zero, and always the full 128 bits long. */
	serial[0] |= 0x80;
	bn = BN_bin2bn(serial, sizeof(serial), NULL);
	if (!bn || !BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert)) ||
	    !X509_set_version(cert, X509_VERSION_3) ||
	    !X509_NAME_add_entry_by_NID(subject, NID_commonName, MBSTRING_UTF8,
					(const unsigned char *)cn, -1, -1, 0) ||
	    (ou && !X509_NAME_add_entry_by_NID(
		       subject, NID_organizationalUnitName, MBSTRING_UTF8,
		       (const unsigned char *)ou, -1, -1, 0)) ||
	    !X509_set_subject_name(cert, subject) ||
	    !X509_set_issuer_name(cert, issuer ? X509_get_subject_name(issuer)
					       : subject) ||
	    !X509_gmtime_adj(X509_getm_notBefore(cert), -CA_BACKDATE_S) ||
	    !X509_time_adj_ex(X509_getm_notAfter(cert), days, 0, NULL) ||
	    !X509_set_pubkey(cert, key))
		goto ssl_err;
	X509V3_set_ctx(&v3, issuer ? issuer : cert, cert, NULL, NULL, 0);
	for (const struct ext *e = exts; e->value; e++) {
		X509_EXTENSION *ext =
		    X509V3_EXT_conf_nid(NULL, &v3, e->nid, e->value);
		int ok = ext && X509_add_ext(cert, ext, -1);

		X509_EXTENSION_free(ext);
		if (!ok)
			goto ssl_err;
	}
	if (!X509_sign(cert, issuer_key, EVP_sha256()))
		goto ssl_err;
	*cert_r = cert;
	cert = NULL;
	rc = BL_OK;
	goto out;
ssl_err:
	tls_log_ssl_errors("cannot make a certificate for \"%s\"", cn);
out:
	BN_free(bn);
	X509_free(cert);
	X509_NAME_free(subject);
	return rc;
}

int ca_new_key(EVP_PKEY **key_r)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");

	if (!key) {
		tls_log_ssl_errors("cannot generate a P-256 key");
		return BL_ERR_FAIL;
	}
	*key_r = key;
	return BL_OK;
}

int ca_init(const char *dir, const char *cluster)
{
	static const struct ext exts[] = {
	    {NID_basic_constraints, "critical,CA:TRUE"},
	    {NID_key_usage, "critical,keyCertSign,cRLSign"},
	    {NID_subject_key_identifier, "hash"},
	    {0, NULL},
	};
	struct out_file key_file = {.fp = NULL}, cert_file = {.fp = NULL};
	char cn[sizeof(CA_CN_PREFIX) + CA_CLUSTER_MAX];
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	int rc;

	rc = ca_check_cluster(cluster);
	if (!rc)
		rc = file_path(key_file.path, dir, CA_KEY_FILE, "");
	if (!rc)
		rc = file_path(cert_file.path, dir, CA_CERT_FILE, "");
	if (rc)
		goto out;
	snprintf(cn, sizeof(cn), "%s%s", CA_CN_PREFIX, cluster);
	rc = path_mkdirs(dir, 0700);
	if (!rc)
		rc = ca_new_key(&key);
	if (!rc)
		rc = make_cert(cn, NULL, key, NULL, key, CA_CA_DAYS, exts,
			       &cert);
	if (!rc)
		rc = out_write_key(&key_file, key);
	if (!rc)
		rc = out_write_cert(&cert_file, cert);
	if (!rc)
		rc = ca_write_crl(dir);
	if (rc)
		goto out;
	key_file.created = cert_file.created = false;
out:
	out_discard(&key_file);
	out_discard(&cert_file);
	X509_free(cert);
	EVP_PKEY_free(key);
	return rc;
}

/* Check req and build its subjectAltName value into san (size PATH_MAX). */
static int check_request(const struct ca_request *req, char *san)
{
	size_t len;
	int rc = ca_check_name("name", req->name);

	if (rc)
		return rc;
	/* NAME.crt would be the CA's own file in the folder. */
	if (strcmp(req->name, "ca") == 0) {
		log_warnx("name \"ca\": taken by the CA's own files");
		return BL_ERR_INVAL;
	}
	if ((unsigned int)req->role >= CA_ROLE_COUNT) {
		log_warnx("%s: role %d is none of node, operator, viewer",
			  req->name, (int)req->role);
		return BL_ERR_INVAL;
	}
	if (req->days < 0 || req->days > CA_MAX_DAYS) {
		log_warnx("%s: days %d: want 1 to %d", req->name, req->days,
			  CA_MAX_DAYS);
		return BL_ERR_INVAL;
	}
	if (req->n_ips < 0 || req->n_ips > CA_MAX_IPS) {
		log_warnx("%s: %d IP addresses: want at most %d", req->name,
			  req->n_ips, CA_MAX_IPS);
		return BL_ERR_INVAL;
	}
	if (req->n_ips && req->role != CA_ROLE_NODE) {
		log_warnx("%s: IP addresses are for node certificates only",
			  req->name);
		return BL_ERR_INVAL;
	}
	len = (size_t)snprintf(san, PATH_MAX, "DNS:%s", req->name);
	for (int i = 0; i < req->n_ips; i++) {
		/* Checked, so no ',' can smuggle in another entry. */
		rc = ca_check_ip("IP address", req->ips[i]);
		if (rc)
			return rc;
		len += (size_t)snprintf(san + len, PATH_MAX - len, ",IP:%s",
					req->ips[i]);
	}
	return BL_OK;
}

/* Whether out_dir needs a copy of ca: not when it holds the same one. */
static int check_ca_copy(const char *path, X509 *ca, bool *copy_r)
{
	struct stat st;
	X509 *have = NULL;
	int rc;

	if (stat(path, &st) < 0) {
		if (errno != ENOENT) {
			log_warn("%s", path);
			return BL_ERR_IO;
		}
		*copy_r = true;
		return BL_OK;
	}
	rc = ca_load_cert(path, &have);
	if (rc)
		return rc;
	if (X509_cmp(have, ca) != 0) {
		log_warnx("%s: another CA's certificate; will not overwrite it",
			  path);
		rc = BL_ERR_INVAL;
	}
	X509_free(have);
	*copy_r = false;
	return rc;
}

int ca_signer_open(const char *ca_dir, struct ca_signer *signer)
{
	char cert_path[PATH_MAX], key_path[PATH_MAX];
	X509 *ca = NULL;
	EVP_PKEY *key = NULL;
	int rc;

	rc = file_path(cert_path, ca_dir, CA_CERT_FILE, "")
		 ?: file_path(key_path, ca_dir, CA_KEY_FILE, "");
	if (!rc && snprintf(signer->dir, sizeof(signer->dir), "%s", ca_dir) >=
		       (int)sizeof(signer->dir))
		rc = BL_ERR_INVAL;
	if (!rc)
		rc = ca_load_cert(cert_path, &ca);
	if (!rc)
		rc = ca_load_key(key_path, &key);
	if (!rc && X509_check_private_key(ca, key) != 1) {
		tls_log_ssl_errors("%s does not belong to %s", key_path,
				   cert_path);
		rc = BL_ERR_INVAL;
	}
	if (rc) {
		X509_free(ca);
		EVP_PKEY_free(key);
		return rc;
	}
	signer->cert = ca;
	signer->key = key;
	return BL_OK;
}

void ca_signer_close(struct ca_signer *signer)
{
	X509_free(signer->cert);
	EVP_PKEY_free(signer->key);
	signer->cert = NULL;
	signer->key = NULL;
}

int ca_sign_key(const struct ca_signer *signer, const struct ca_request *req,
		EVP_PKEY *key, X509 **cert_r)
{
	char san[PATH_MAX];
	/* The subjectAltName goes last: a client has none. */
	struct ext exts[] = {
	    {NID_basic_constraints, "critical,CA:FALSE"},
	    {NID_key_usage, "critical,digitalSignature"},
	    {NID_ext_key_usage, req->role == CA_ROLE_NODE
				    ? "serverAuth,clientAuth"
				    : "clientAuth"},
	    {NID_subject_key_identifier, "hash"},
	    {NID_authority_key_identifier, "keyid:always"},
	    {NID_subject_alt_name, req->role == CA_ROLE_NODE ? san : NULL},
	    {0, NULL},
	};
	X509 *cert = NULL;
	int rc;

	rc = check_request(req, san);
	if (!rc)
		rc = make_cert(req->name, ca_role_name(req->role), key,
			       signer->cert, signer->key,
			       req->days ? req->days : ca_role_days(req->role),
			       exts, &cert);
	if (!rc)
		rc = ca_index_add(signer->dir, cert, req);
	if (rc) {
		X509_free(cert);
		return rc;
	}
	*cert_r = cert;
	return BL_OK;
}

int ca_pin(X509 *cert, char pin[CA_PIN_LEN + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;

	if (!X509_digest(cert, EVP_sha256(), md, &len) ||
	    len * 2 != CA_PIN_LEN) {
		tls_log_ssl_errors("cannot hash a certificate");
		return BL_ERR_FAIL;
	}
	for (unsigned int i = 0; i < len; i++)
		snprintf(pin + 2 * i, 3, "%02x", md[i]);
	return BL_OK;
}

int ca_issue(const char *ca_dir, const struct ca_request *req,
	     const char *out_dir)
{
	char san[PATH_MAX];
	struct out_file key_file = {.fp = NULL}, cert_file = {.fp = NULL},
			ca_copy = {.fp = NULL};
	struct ca_signer signer = {.cert = NULL};
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	bool copy = false;
	int rc;

	rc = check_request(req, san);
	if (!rc)
		rc = file_path(key_file.path, out_dir, req->name, ".key");
	if (!rc)
		rc = file_path(cert_file.path, out_dir, req->name, ".crt");
	if (!rc)
		rc = file_path(ca_copy.path, out_dir, CA_CERT_FILE, "");
	if (!rc)
		rc = ca_signer_open(ca_dir, &signer);
	if (rc)
		goto out;
	rc = path_mkdirs(out_dir, 0700);
	if (!rc)
		rc = check_ca_copy(ca_copy.path, signer.cert, &copy);
	if (!rc)
		rc = ca_new_key(&key);
	if (!rc)
		rc = ca_sign_key(&signer, req, key, &cert);
	if (!rc)
		rc = out_write_key(&key_file, key);
	if (!rc)
		rc = out_write_cert(&cert_file, cert);
	if (!rc && copy)
		rc = out_write_cert(&ca_copy, signer.cert);
	if (rc)
		goto out;
	key_file.created = cert_file.created = ca_copy.created = false;
out:
	out_discard(&key_file);
	out_discard(&cert_file);
	out_discard(&ca_copy);
	X509_free(cert);
	EVP_PKEY_free(key);
	ca_signer_close(&signer);
	return rc;
}

int ca_renew(const char *ca_dir, const char *name, int days,
	     const char *out_dir)
{
	char tmp[PATH_MAX] = "", from[PATH_MAX], to[PATH_MAX];
	static const char *const suffixes[] = {".key", ".crt"};
	const struct ca_record *last = NULL;
	struct ca_request req;
	struct ca_record *recs = NULL;
	char ips[sizeof(recs->ips)], *save = NULL;
	size_t n = 0;
	int rc;

	rc = ca_check_name("name", name) ?: ca_index_read(ca_dir, &recs, &n);
	if (rc)
		return rc;
	for (size_t i = 0; i < n; i++)
		if (!strcmp(recs[i].name, name) && !recs[i].revoked)
			last = &recs[i];
	if (!last) {
		log_warnx("%s: no valid certificate of that name in %s/%s",
			  name, ca_dir, CA_INDEX_FILE);
		free(recs);
		return BL_ERR_NOTFOUND;
	}
	ca_request_init(&req);
	req.name = name;
	req.role = last->role;
	req.days = days;
	snprintf(ips, sizeof(ips), "%s", last->ips);
	for (char *ip = strcmp(ips, "-") ? strtok_r(ips, ",", &save) : NULL;
	     ip && req.n_ips < CA_MAX_IPS; ip = strtok_r(NULL, ",", &save))
		req.ips[req.n_ips++] = ip;
	/* Issued aside, then moved over the old files: renewing replaces
	 * them, and an error leaves them as they were. */
	rc = path_mkdirs(out_dir, 0700);
	if (!rc) /* mkdtemp's template: it replaces the Xs */
		rc = path_join(tmp, sizeof(tmp), out_dir, ".renew-XXXXXX");
	if (!rc && !mkdtemp(tmp)) {
		log_warn("cannot create %s", tmp);
		rc = BL_ERR_IO;
	}
	if (rc)
		tmp[0] = '\0';
	if (!rc)
		rc = ca_issue(ca_dir, &req, tmp);
	for (size_t i = 0; !rc && i < 2; i++) {
		rc = file_path(from, tmp, name, suffixes[i])
			 ?: file_path(to, out_dir, name, suffixes[i]);
		if (!rc && rename(from, to) < 0) {
			log_warn("cannot move %s to %s", from, to);
			rc = BL_ERR_IO;
		}
	}
	if (!rc) {
		rc = file_path(from, tmp, CA_CERT_FILE, "")
			 ?: file_path(to, out_dir, CA_CERT_FILE, "");
		if (!rc && access(to, F_OK) != 0 && rename(from, to) < 0)
			rc = BL_ERR_IO;
	}
	/* What is left aside: all of it after an error, ca.crt otherwise. */
	for (size_t i = 0; tmp[0] && i < 2; i++)
		if (file_path(from, tmp, name, suffixes[i]) == BL_OK)
			unlink(from);
	if (tmp[0] && file_path(from, tmp, CA_CERT_FILE, "") == BL_OK)
		unlink(from);
	if (tmp[0])
		rmdir(tmp);
	free(recs);
	return rc;
}
