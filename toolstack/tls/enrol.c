/* Enrolment (enrol.h): the codec, the server's answer, the node's request.
 * Nomenclature: "grant" is what a token entitles its holder to
 * (enrol_token.h), "csr" the node's PKCS#10 certificate request. */
#include "toolstack/tls/enrol.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "toolstack/common/fdio.h"
#include "toolstack/common/frame.h"
#include "toolstack/common/log.h"
#include "toolstack/common/path.h"
#include "toolstack/tls/ca_index.h"
#include "toolstack/tls/tls.h"

static const uint8_t enrol_magic[FRAME_MAGIC_LEN] = "BLENROL";

/* What a node is told when it is refused: which check failed is for the
 * server's log only, so that a stranger learns nothing of the tokens. */
#define REFUSED                                                                \
	"enrolment refused: the token is unknown, used, expired or not "       \
	"for this request (the enrolment server's log says which)"

static const char *const record_names[ENROL_REC_COUNT] = {
    [ENROL_REC_TOKEN] = "token", [ENROL_REC_CSR] = "csr",
    [ENROL_REC_CERT] = "cert",	 [ENROL_REC_CA] = "ca",
    [ENROL_REC_PEERS] = "peers", [ENROL_REC_CRL] = "crl",
    [ENROL_REC_ERROR] = "error", [ENROL_REC_END] = "end",
};

static const char *record_name(uint32_t type, const void *arg)
{
	(void)arg;
	return type > 0 && type < ENROL_REC_COUNT ? record_names[type] : NULL;
}

void enrol_msg_dispose(struct enrol_msg *m)
{
	for (int i = 0; i < ENROL_REC_COUNT; i++) {
		free(m->rec[i]);
		m->rec[i] = NULL;
	}
}

static bool sent_by_node(uint32_t type)
{
	return type == ENROL_REC_TOKEN || type == ENROL_REC_CSR;
}

/* Whether m has what its sender must send, and nothing else. */
static bool complete(const struct enrol_msg *m, bool from_node)
{
	if (from_node)
		return m->rec[ENROL_REC_TOKEN] && m->rec[ENROL_REC_CSR];
	if (m->rec[ENROL_REC_ERROR])
		return !m->rec[ENROL_REC_CERT] && !m->rec[ENROL_REC_CA] &&
		       !m->rec[ENROL_REC_PEERS] && !m->rec[ENROL_REC_CRL];
	return m->rec[ENROL_REC_CERT] && m->rec[ENROL_REC_CA] &&
	       m->rec[ENROL_REC_PEERS] && m->rec[ENROL_REC_CRL];
}

static int read_records(struct bl_stream *s, bool from_node,
			struct enrol_msg *m, char *err, size_t errlen)
{
	const struct frame_kind kind = {
	    .noun = "record", .max = ENROL_BODY_MAX, .name = record_name};

	for (;;) {
		uint32_t type, len;
		uint8_t *body;
		int rc = frame_next(s, &kind, &type, &len, NULL, err, errlen);

		if (rc)
			return rc;
		if (type == ENROL_REC_END) {
			if (len || !complete(m, from_node)) {
				snprintf(err, errlen,
					 "incomplete enrolment message");
				return BL_ERR_PROTO;
			}
			return BL_OK;
		}
		if (sent_by_node(type) != from_node || m->rec[type] ||
		    (type == ENROL_REC_CSR && len > ENROL_CSR_MAX)) {
			snprintf(err, errlen, "unexpected %s record",
				 record_names[type]);
			return BL_ERR_PROTO;
		}
		body = malloc((size_t)len + frame_pad(len) + 1);
		if (!body)
			return BL_ERR_NOMEM;
		rc = frame_body(s, record_names[type], len, body, err, errlen);
		if (!rc && memchr(body, '\0', len)) {
			snprintf(err, errlen, "%s record: not text",
				 record_names[type]);
			rc = BL_ERR_PROTO;
		}
		if (rc) {
			free(body);
			return rc;
		}
		body[len] = '\0';
		m->rec[type] = (char *)body;
	}
}

int enrol_read(struct bl_stream *s, bool from_node, struct enrol_msg *m,
	       char *err, size_t errlen)
{
	uint8_t hdr[FRAME_HEADER_LEN];
	uint32_t version, options;
	int rc;

	memset(m, 0, sizeof(*m));
	rc = stream_read(s, hdr, sizeof(hdr));
	if (rc) {
		snprintf(err, errlen, "no enrolment message: %s",
			 bl_strerror(rc));
		return rc;
	}
	if (frame_header_get(hdr, enrol_magic, &version, &options)) {
		snprintf(err, errlen, "not an enrolment message");
		return BL_ERR_PROTO;
	}
	if (version != ENROL_VERSION) {
		snprintf(err, errlen, "enrolment version %u: we speak %d",
			 version, ENROL_VERSION);
		return BL_ERR_VERSION;
	}
	rc = read_records(s, from_node, m, err, errlen);
	if (rc)
		enrol_msg_dispose(m);
	return rc;
}

int enrol_write(struct bl_stream *s, const struct enrol_msg *m)
{
	uint8_t hdr[FRAME_HEADER_LEN];
	int rc;

	frame_header_put(hdr, enrol_magic, ENROL_VERSION, 0);
	rc = stream_write(s, hdr, sizeof(hdr));
	for (int i = 1; !rc && i < ENROL_REC_END; i++)
		if (m->rec[i])
			rc =
			    frame_write(s, ENROL_BODY_MAX, (uint32_t)i,
					m->rec[i], (uint32_t)strlen(m->rec[i]));
	if (!rc)
		rc = frame_write(s, ENROL_BODY_MAX, ENROL_REC_END, NULL, 0);
	return rc;
}

/* The node's request: signed with its own key, a P-256 one, naming no
 * other name than the grant's. On success *key_r is a new reference. */
static int check_csr(const char *pem, const char *name, EVP_PKEY **key_r,
		     char *log, size_t loglen)
{
	BIO *b = BIO_new_mem_buf(pem, -1);
	X509_REQ *csr = b ? PEM_read_bio_X509_REQ(b, NULL, NULL, NULL) : NULL;
	EVP_PKEY *key = csr ? X509_REQ_get0_pubkey(csr) : NULL;
	X509_NAME *subject = csr ? X509_REQ_get_subject_name(csr) : NULL;
	char group[32] = "", cn[CA_NAME_MAX + 2];
	int rc = BL_ERR_DENIED, at;

	if (!key || X509_REQ_verify(csr, key) != 1) {
		snprintf(log, loglen, "not a request signed with its key");
		goto out;
	}
	if (!EVP_PKEY_is_a(key, "EC") ||
	    !EVP_PKEY_get_group_name(key, group, sizeof(group), NULL) ||
	    strcmp(group, "prime256v1") != 0) {
		snprintf(log, loglen, "its key is not P-256");
		goto out;
	}
	at = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
	if (at >= 0) {
		ASN1_STRING *v =
		    X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, at));
		int len = ASN1_STRING_length(v);

		if (len <= 0 || len > CA_NAME_MAX ||
		    memcmp(ASN1_STRING_get0_data(v), name, (size_t)len) != 0 ||
		    name[len] != '\0') {
			snprintf(cn, sizeof(cn), "%.*s",
				 len > 0 && len <= CA_NAME_MAX ? len : 0,
				 (const char *)ASN1_STRING_get0_data(v));
			snprintf(log, loglen,
				 "its request names \"%s\", the token %s", cn,
				 name);
			goto out;
		}
	}
	if (!EVP_PKEY_up_ref(key))
		goto out;
	*key_r = key;
	rc = BL_OK;
out:
	X509_REQ_free(csr);
	BIO_free(b);
	ERR_clear_error();
	return rc;
}

/* The reply to a node whose token and request passed: its certificate,
 * the CA, the peers and the CRL. */
static int issue(const struct enrol_server *srv, const struct enrol_grant *g,
		 EVP_PKEY *key, struct enrol_msg *reply)
{
	char crl[PATH_MAX];
	struct ca_request req;
	X509 *cert = NULL;
	size_t len = 0;
	int rc;

	ca_request_init(&req);
	req.name = g->name;
	req.role = CA_ROLE_NODE;
	for (int i = 0; i < g->n_ips; i++)
		req.ips[req.n_ips++] = g->ips[i];
	rc = ca_sign_key(&srv->ca, &req, key, &cert);
	if (!rc) {
		reply->rec[ENROL_REC_CERT] = ca_cert_text(cert);
		reply->rec[ENROL_REC_CA] = ca_cert_text(srv->ca.cert);
		if (!reply->rec[ENROL_REC_CERT] || !reply->rec[ENROL_REC_CA])
			rc = BL_ERR_NOMEM;
	}
	X509_free(cert);
	if (!rc)
		rc = path_join(crl, sizeof(crl), srv->ca.dir, CA_CRL_FILE);
	if (rc)
		return rc;
	reply->rec[ENROL_REC_PEERS] = strdup(srv->peers);
	if (!reply->rec[ENROL_REC_PEERS])
		return BL_ERR_NOMEM;
	/* Read at each enrolment: a revocation since the server started
	 * reaches the next node. */
	return fdio_read_file(crl, ENROL_BODY_MAX, &reply->rec[ENROL_REC_CRL],
			      &len);
}

int enrol_answer(const struct enrol_server *srv, struct bl_stream *s,
		 int64_t now, char *log, size_t loglen)
{
	struct enrol_msg req, reply = {.rec = {NULL}};
	struct enrol_grant g;
	char id[ENROL_ID_LEN + 1] = "", why[BL_ERRMSG_MAX] = "";
	const char *secret;
	EVP_PKEY *key = NULL;
	int rc;

	rc = enrol_read(s, true, &req, why, sizeof(why));
	if (rc) {
		snprintf(log, loglen, "refused: %s", why);
		return rc;
	}
	/* "ID-SECRET" */
	secret = strchr(req.rec[ENROL_REC_TOKEN], '-');
	if (secret && secret - req.rec[ENROL_REC_TOKEN] == ENROL_ID_LEN) {
		memcpy(id, req.rec[ENROL_REC_TOKEN], ENROL_ID_LEN);
		secret++;
	} else {
		secret = "";
	}
	rc = enrol_token_check(srv->ca.dir, id, secret, now, &g, why,
			       sizeof(why));
	if (!rc)
		rc = check_csr(req.rec[ENROL_REC_CSR], g.name, &key, why,
			       sizeof(why));
	if (!rc)
		rc = enrol_token_spend(srv->ca.dir, id, why, sizeof(why));
	if (!rc) {
		rc = issue(srv, &g, key, &reply);
		if (rc)
			snprintf(why, sizeof(why), "cannot issue: %s",
				 bl_strerror(rc));
	}
	if (rc) {
		enrol_msg_dispose(&reply);
		reply.rec[ENROL_REC_ERROR] =
		    strdup(rc == BL_ERR_DENIED ? REFUSED
					       : "enrolment failed on the "
						 "server (its log says why)");
		snprintf(log, loglen, "refused: %s", why);
	} else {
		snprintf(log, loglen, "enrolled node %s (token %s)", g.name,
			 id);
	}
	if (reply.rec[ENROL_REC_ERROR] || !rc) {
		int wrc = enrol_write(s, &reply);

		if (!rc)
			rc = wrc;
	}
	EVP_PKEY_free(key);
	enrol_msg_dispose(&req);
	enrol_msg_dispose(&reply);
	return rc;
}

/* A PKCS#10 request for key, CN name unless NULL, as PEM. */
static int make_csr(EVP_PKEY *key, const char *name, char **pem_r)
{
	X509_REQ *csr = X509_REQ_new();
	BIO *b = BIO_new(BIO_s_mem());
	char *data = NULL, *pem = NULL;
	long len = 0;

	if (csr && b && X509_REQ_set_version(csr, 0) &&
	    (!name || X509_NAME_add_entry_by_NID(X509_REQ_get_subject_name(csr),
						 NID_commonName, MBSTRING_UTF8,
						 (const unsigned char *)name,
						 -1, -1, 0)) &&
	    X509_REQ_set_pubkey(csr, key) &&
	    X509_REQ_sign(csr, key, EVP_sha256()) &&
	    PEM_write_bio_X509_REQ(b, csr))
		len = BIO_get_mem_data(b, &data);
	if (len > 0)
		pem = strndup(data, (size_t)len);
	X509_REQ_free(csr);
	BIO_free(b);
	if (!pem) {
		tls_log_ssl_errors("cannot make a certificate request");
		return BL_ERR_FAIL;
	}
	*pem_r = pem;
	return BL_OK;
}

/* The reply's certificates: ours certifies key, the CA's is the pinned. */
static int check_reply(const struct enrol_msg *reply, const char *pin,
		       EVP_PKEY *key, char *err, size_t errlen)
{
	X509 *cert = ca_cert_from_text(reply->rec[ENROL_REC_CERT]);
	X509 *ca = ca_cert_from_text(reply->rec[ENROL_REC_CA]);
	char got[CA_PIN_LEN + 1] = "";
	int rc = BL_ERR_PROTO;

	if (!cert || !ca)
		snprintf(err, errlen, "the server's certificates are not PEM");
	else if (ca_pin(ca, got) || strcmp(got, pin) != 0)
		snprintf(err, errlen,
			 "the server sent another CA than the "
			 "token's");
	else if (X509_check_private_key(cert, key) != 1)
		snprintf(err, errlen, "the certificate is not for our key");
	else if (X509_verify(cert, X509_get0_pubkey(ca)) != 1)
		snprintf(err, errlen, "the certificate is not the CA's");
	else
		rc = BL_OK;
	X509_free(cert);
	X509_free(ca);
	ERR_clear_error();
	return rc;
}

int enrol_ask(struct bl_stream *s, const struct enrol_token *t,
	      const char *name, EVP_PKEY *key, struct enrol_msg *reply_r,
	      char *err, size_t errlen)
{
	struct enrol_msg req = {.rec = {NULL}}, reply;
	size_t len = ENROL_ID_LEN + 1 + ENROL_SECRET_LEN + 1;
	int rc = BL_ERR_NOMEM;

	req.rec[ENROL_REC_TOKEN] = malloc(len);
	if (req.rec[ENROL_REC_TOKEN]) {
		snprintf(req.rec[ENROL_REC_TOKEN], len, "%s-%s", t->id,
			 t->secret);
		rc = make_csr(key, name, &req.rec[ENROL_REC_CSR]);
	}
	if (!rc)
		rc = enrol_write(s, &req);
	OPENSSL_cleanse(req.rec[ENROL_REC_TOKEN], len);
	enrol_msg_dispose(&req);
	if (rc) {
		snprintf(err, errlen, "cannot send the request: %s",
			 bl_strerror(rc));
		return rc;
	}
	rc = enrol_read(s, false, &reply, err, errlen);
	if (rc)
		return rc;
	if (reply.rec[ENROL_REC_ERROR]) {
		char shown[256];

		snprintf(err, errlen, "%s",
			 log_escape(reply.rec[ENROL_REC_ERROR], shown,
				    sizeof(shown)));
		enrol_msg_dispose(&reply);
		return BL_ERR_DENIED;
	}
	rc = check_reply(&reply, t->pin, key, err, errlen);
	if (rc) {
		enrol_msg_dispose(&reply);
		return rc;
	}
	*reply_r = reply;
	return BL_OK;
}
