/* The CA's index and CRL (ca_index.h). The index is rewritten whole, with
 * durable_write(), under a lock on CA_DIR/index.lock: a crash leaves the
 * old index or the new one. */
#include "toolstack/tls/ca_index.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "toolstack/common/durable.h"
#include "toolstack/common/log.h"
#include "toolstack/common/path.h"
#include "toolstack/tls/tls.h"

/* Hold ca_dir's index lock: the fd to close, or -1 (logged). */
static int lock_index(const char *ca_dir)
{
	char path[PATH_MAX];
	int fd;

	if (path_join(path, sizeof(path), ca_dir, "index.lock"))
		return -1;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || flock(fd, LOCK_EX) < 0) {
		log_warn("cannot lock %s", path);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* The index's text into a malloc'd buffer ("" when there is none). */
static int read_text(const char *ca_dir, char **text_r)
{
	char *text = malloc(CA_INDEX_MAX);
	int rc;

	if (!text)
		return BL_ERR_NOMEM;
	rc = durable_read(ca_dir, CA_INDEX_FILE, text, CA_INDEX_MAX);
	if (rc == BL_ERR_NOTFOUND) {
		text[0] = '\0';
		rc = BL_OK;
	}
	if (rc == BL_ERR_INVAL)
		log_warnx("%s/%s: larger than %d bytes", ca_dir, CA_INDEX_FILE,
			  CA_INDEX_MAX);
	if (rc) {
		free(text);
		return rc;
	}
	*text_r = text;
	return BL_OK;
}

static int64_t asn1_epoch(const ASN1_TIME *t)
{
	struct tm tm;

	if (!ASN1_TIME_to_tm(t, &tm))
		return 0;
	return (int64_t)timegm(&tm);
}

static void format_record(const struct ca_record *r, char *line, size_t size)
{
	snprintf(line, size, "%s %s %s %lld %s %lld %s\n", r->serial,
		 ca_role_name(r->role), r->name, (long long)r->not_after,
		 r->revoked ? "revoked" : "valid", (long long)r->revoked_at,
		 r->ips);
}

static int parse_record(const char *line, struct ca_record *r)
{
	char role[16], status[16];
	long long not_after, revoked_at;

	memset(r, 0, sizeof(*r));
	if (sscanf(line, "%63s %15s %63s %lld %15s %lld %767s", r->serial, role,
		   r->name, &not_after, status, &revoked_at, r->ips) != 7 ||
	    ca_role_parse("index role", role, &r->role) ||
	    (strcmp(status, "valid") && strcmp(status, "revoked")))
		return BL_ERR_INVAL;
	r->not_after = not_after;
	r->revoked = !strcmp(status, "revoked");
	r->revoked_at = revoked_at;
	return BL_OK;
}

static int parse_text(const char *ca_dir, char *text, struct ca_record **recs_r,
		      size_t *n_r)
{
	struct ca_record *recs = NULL;
	size_t n = 0, cap = 0;
	int lineno = 0;

	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		lineno++;
		if (n == cap) {
			struct ca_record *more;

			cap = cap ? 2 * cap : 64;
			more = realloc(recs, cap * sizeof(*recs));
			if (!more) {
				free(recs);
				return BL_ERR_NOMEM;
			}
			recs = more;
		}
		if (parse_record(line, &recs[n])) {
			log_warnx("%s/%s:%d: not an index line", ca_dir,
				  CA_INDEX_FILE, lineno);
			free(recs);
			return BL_ERR_INVAL;
		}
		n++;
	}
	*recs_r = recs;
	*n_r = n;
	return BL_OK;
}

int ca_index_read(const char *ca_dir, struct ca_record **recs_r, size_t *n_r)
{
	char *text;
	int rc = read_text(ca_dir, &text);

	if (rc)
		return rc;
	rc = parse_text(ca_dir, text, recs_r, n_r);
	free(text);
	return rc;
}

int ca_index_add(const char *ca_dir, X509 *cert, const struct ca_request *req)
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL);
	char *hex = bn ? BN_bn2hex(bn) : NULL, *text = NULL, line[1024];
	struct ca_record r = {.role = req->role};
	size_t len;
	int fd, rc = BL_ERR_NOMEM;

	BN_free(bn);
	if (!hex)
		return rc;
	snprintf(r.serial, sizeof(r.serial), "%s", hex);
	OPENSSL_free(hex);
	snprintf(r.name, sizeof(r.name), "%s", req->name);
	r.not_after = asn1_epoch(X509_get0_notAfter(cert));
	snprintf(r.ips, sizeof(r.ips), "%s", req->n_ips ? "" : "-");
	for (int i = 0; i < req->n_ips; i++) {
		len = strlen(r.ips);
		snprintf(r.ips + len, sizeof(r.ips) - len, "%s%s", i ? "," : "",
			 req->ips[i]);
	}
	format_record(&r, line, sizeof(line));
	fd = lock_index(ca_dir);
	if (fd < 0)
		return BL_ERR_IO;
	rc = read_text(ca_dir, &text);
	len = rc ? 0 : strlen(text);
	if (!rc && len + strlen(line) >= CA_INDEX_MAX) {
		log_warnx("%s/%s: full", ca_dir, CA_INDEX_FILE);
		rc = BL_ERR_BUSY;
	}
	if (!rc) {
		memcpy(text + len, line, strlen(line) + 1);
		rc = durable_write(ca_dir, CA_INDEX_FILE, text);
	}
	free(text);
	close(fd);
	return rc;
}

/* The CRL of recs, signed with ca_key by ca. */
static int make_crl(X509 *ca, EVP_PKEY *ca_key, const struct ca_record *recs,
		    size_t n, X509_CRL **crl_r)
{
	X509_CRL *crl = X509_CRL_new();
	ASN1_TIME *now = ASN1_TIME_set(NULL, time(NULL));
	int ok = crl && now && X509_CRL_set_version(crl, X509_CRL_VERSION_2) &&
		 X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca)) &&
		 X509_CRL_set1_lastUpdate(crl, now) &&
		 X509_CRL_set1_nextUpdate(crl, X509_get0_notAfter(ca));

	for (size_t i = 0; ok && i < n; i++) {
		X509_REVOKED *rev;
		BIGNUM *bn = NULL;
		ASN1_INTEGER *serial = NULL;
		ASN1_TIME *when = NULL;

		if (!recs[i].revoked)
			continue;
		rev = X509_REVOKED_new();
		ok = rev && BN_hex2bn(&bn, recs[i].serial) &&
		     (serial = BN_to_ASN1_INTEGER(bn, NULL)) &&
		     (when = ASN1_TIME_set(NULL, (time_t)recs[i].revoked_at)) &&
		     X509_REVOKED_set_serialNumber(rev, serial) &&
		     X509_REVOKED_set_revocationDate(rev, when) &&
		     X509_CRL_add0_revoked(crl, rev);
		if (!ok)
			X509_REVOKED_free(rev);
		BN_free(bn);
		ASN1_INTEGER_free(serial);
		ASN1_TIME_free(when);
	}
	ok = ok && X509_CRL_sort(crl) &&
	     X509_CRL_sign(crl, ca_key, EVP_sha256());
	ASN1_TIME_free(now);
	if (!ok) {
		tls_log_ssl_errors("cannot make the CRL");
		X509_CRL_free(crl);
		return BL_ERR_FAIL;
	}
	*crl_r = crl;
	return BL_OK;
}

int ca_write_crl(const char *ca_dir)
{
	char ca_path[PATH_MAX], key_path[PATH_MAX], *pem = NULL;
	struct ca_record *recs = NULL;
	EVP_PKEY *ca_key = NULL;
	X509_CRL *crl = NULL;
	X509 *ca = NULL;
	BIO *mem = NULL;
	size_t n = 0;
	long len;
	int rc;

	rc = path_join(ca_path, sizeof(ca_path), ca_dir, CA_CERT_FILE) ?:
	     path_join(key_path, sizeof(key_path), ca_dir, CA_KEY_FILE) ?:
	     ca_load_cert(ca_path, &ca) ?:
	     ca_load_key(key_path, &ca_key) ?:
	     ca_index_read(ca_dir, &recs, &n) ?:
	     make_crl(ca, ca_key, recs, n, &crl);
	if (rc)
		goto out;
	mem = BIO_new(BIO_s_mem());
	if (!mem || !PEM_write_bio_X509_CRL(mem, crl) ||
	    BIO_write(mem, "", 1) != 1) {
		tls_log_ssl_errors("cannot write the CRL");
		rc = BL_ERR_FAIL;
		goto out;
	}
	len = BIO_get_mem_data(mem, &pem);
	rc = len > 0 ? durable_write(ca_dir, CA_CRL_FILE, pem) : BL_ERR_FAIL;
out:
	BIO_free(mem);
	X509_CRL_free(crl);
	X509_free(ca);
	EVP_PKEY_free(ca_key);
	free(recs);
	return rc;
}

int ca_revoke(const char *ca_dir, const char *name, int *count_r)
{
	struct ca_record *recs = NULL;
	char *text = NULL, line[1024];
	size_t n = 0, len = 0;
	int fd, rc, count = 0;

	fd = lock_index(ca_dir);
	if (fd < 0)
		return BL_ERR_IO;
	rc = ca_index_read(ca_dir, &recs, &n);
	if (!rc) {
		text = malloc(CA_INDEX_MAX);
		rc = text ? BL_OK : BL_ERR_NOMEM;
	}
	for (size_t i = 0; !rc && i < n; i++) {
		if (!strcmp(recs[i].name, name) && !recs[i].revoked) {
			recs[i].revoked = true;
			recs[i].revoked_at = (int64_t)time(NULL);
			count++;
		}
		format_record(&recs[i], line, sizeof(line));
		if (len + strlen(line) >= CA_INDEX_MAX) {
			log_warnx("%s/%s: full", ca_dir, CA_INDEX_FILE);
			rc = BL_ERR_BUSY;
			break;
		}
		memcpy(text + len, line, strlen(line) + 1);
		len += strlen(line);
	}
	if (!rc && !count)
		rc = BL_ERR_NOTFOUND;
	if (!rc)
		rc = durable_write(ca_dir, CA_INDEX_FILE, n ? text : "");
	close(fd);
	free(text);
	free(recs);
	if (!rc)
		rc = ca_write_crl(ca_dir);
	if (!rc)
		*count_r = count;
	return rc;
}
