/* TLS 1.3 connections with mutual authentication (tls.h), on OpenSSL 3.
 *
 * Entry points: tls_ctx_new(), then tls_accept() or tls_connect() per
 * connection; the stream ops (tls_read, tls_write, tls_close, tls_pending)
 * follow.
 * Nomenclature: "ctx" is our tls_ctx around an SSL_CTX, "conn" one
 * connection's state behind bl_stream.impl, "where" how logs name the peer.
 * The socket is non-blocking from the handshake on: every OpenSSL call that
 * wants the socket waits in poll() for at most the deadline that is left. */
#include "toolstack/tls/tls.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "toolstack/tls/ca.h"
#include "toolstack/tls/ca_index.h"
#include "toolstack/common/fdio.h"

/* close_notify is a courtesy: never wait long for a peer that does not read
 * when the stream has no deadline of its own. */
#define TLS_CLOSE_WAIT_MS 1000
#define TLS_READ_BUFFER	  (256 * 1024) /* read-ahead: many records a call */
#define TLS_SUITES                                                             \
	"TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:"                       \
	"TLS_CHACHA20_POLY1305_SHA256"

struct tls_ctx {
	SSL_CTX *ssl_ctx;
	enum tls_role role;
	/* Enrolment (tls_ctx_new_enrol_*()): a server that asks for no
	 * certificate, a client that trusts the CA of pin alone. */
	bool enrol;
	char pin[CA_PIN_LEN + 1];
};

struct tls_conn {
	SSL *ssl;
	bool failed;	   /* a fatal TLS or socket error: no close_notify */
	enum ca_role role; /* the peer's */
	char peer[CA_NAME_MAX + 1];
	char addr[64];			  /* "10.99.0.2:41234" */
	char where[CA_NAME_MAX + 64 + 4]; /* "node1 (10.99.0.2:41234)" */
};

/* OpenSSL reasons we can say in plain words, and what they mean for the
 * caller. Alerts are what the other side's refusal looks like here. */
static const struct {
	int reason;
	int rc;
	const char *why;
} reasons[] = {
    {SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE, BL_ERR_AUTH,
     "peer sent no certificate"},
    {SSL_R_CERTIFICATE_VERIFY_FAILED, BL_ERR_AUTH, "certificate verify failed"},
    {SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED, BL_ERR_AUTH,
     "peer wants a certificate and got none"},
    {SSL_R_TLSV1_ALERT_UNKNOWN_CA, BL_ERR_AUTH,
     "peer does not trust the CA of our certificate"},
    {SSL_R_SSLV3_ALERT_BAD_CERTIFICATE, BL_ERR_AUTH,
     "peer refused our certificate"},
    {SSL_R_SSLV3_ALERT_UNSUPPORTED_CERTIFICATE, BL_ERR_AUTH,
     "peer refused our certificate for this use"},
    {SSL_R_SSLV3_ALERT_CERTIFICATE_EXPIRED, BL_ERR_AUTH,
     "peer says our certificate has expired"},
    {SSL_R_SSLV3_ALERT_CERTIFICATE_REVOKED, BL_ERR_AUTH,
     "peer says our certificate is revoked (`blanket ca renew` or issue "
     "another)"},
    {SSL_R_UNSUPPORTED_PROTOCOL, BL_ERR_VERSION, "peer does not speak TLS 1.3"},
    {SSL_R_TLSV1_ALERT_PROTOCOL_VERSION, BL_ERR_VERSION,
     "peer does not speak TLS 1.3"},
    {SSL_R_WRONG_VERSION_NUMBER, BL_ERR_PROTO, "peer does not speak TLS"},
    {SSL_R_UNEXPECTED_EOF_WHILE_READING, BL_ERR_EOF,
     "peer closed the connection"},
};

void tls_log_ssl_errors(const char *fmt, ...)
{
	char msg[512], errs[512] = "", one[256];
	size_t used = 0;
	unsigned long e;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	while ((e = ERR_get_error()) != 0) {
		ERR_error_string_n(e, one, sizeof(one));
		if (used < sizeof(errs))
			used +=
			    (size_t)snprintf(errs + used, sizeof(errs) - used,
					     "%s%s", used ? "; " : "", one);
	}
	log_warnx("%s: %s", msg, used ? errs : "no OpenSSL error queued");
}

/* Verify our own certificate as a peer would, so that a wrong file fails at
 * start-up with a clear message instead of at every handshake. */
static int check_own_cert(SSL_CTX *ssl_ctx, X509 *cert, enum tls_role role,
			  const char *cert_file)
{
	X509_STORE_CTX *sc = X509_STORE_CTX_new();
	int rc = BL_ERR_NOMEM;

	if (!sc ||
	    !X509_STORE_CTX_init(sc, SSL_CTX_get_cert_store(ssl_ctx), cert,
				 NULL) ||
	    !X509_STORE_CTX_set_purpose(sc, role == TLS_SERVER
						? X509_PURPOSE_SSL_SERVER
						: X509_PURPOSE_SSL_CLIENT)) {
		tls_log_ssl_errors("%s: cannot check it", cert_file);
		goto out;
	}
	rc = BL_OK;
	if (X509_verify_cert(sc) != 1) {
		log_warnx("%s: not valid as a %s certificate of this cluster: "
			  "%s",
			  cert_file, role == TLS_SERVER ? "server" : "client",
			  X509_verify_cert_error_string(
			      X509_STORE_CTX_get_error(sc)));
		ERR_clear_error();
		rc = BL_ERR_AUTH;
	}
out:
	X509_STORE_CTX_free(sc);
	return rc;
}

/* A context for role with what every one of ours shares: TLS 1.3 and our
 * suites, no resumption, read-ahead, chains of our CA and one certificate. */
static int ctx_base(enum tls_role role, struct tls_ctx **ctx_r)
{
	struct tls_ctx *ctx = calloc(1, sizeof(*ctx));

	if (!ctx)
		return BL_ERR_NOMEM;
	ctx->role = role;
	ctx->ssl_ctx = SSL_CTX_new(role == TLS_SERVER ? TLS_server_method()
						      : TLS_client_method());
	/* AES-128-GCM first: guest memory is most of what crosses these
	 * connections, and in the lab's emulated dom0s it encrypts at 77 MB/s
	 * against AES-256-GCM's 61. It is TLS 1.3's mandatory suite
	 * (RFC 8446, 9.1), rated by NIST SP 800-57 for use beyond 2030. */
	if (!ctx->ssl_ctx ||
	    !SSL_CTX_set_min_proto_version(ctx->ssl_ctx, TLS1_3_VERSION) ||
	    !SSL_CTX_set_ciphersuites(ctx->ssl_ctx, TLS_SUITES)) {
		tls_log_ssl_errors("cannot set up TLS");
		tls_ctx_free(ctx);
		return BL_ERR_NOMEM;
	}
	/* Short-lived connections between machines that hold their keys: no
	 * resumption (nothing to gain, tickets to protect), nothing beyond
	 * the handshake, and chains of exactly our CA and one certificate. */
	SSL_CTX_set_options(ctx->ssl_ctx, SSL_OP_NO_TICKET |
					      SSL_OP_NO_RENEGOTIATION |
					      SSL_OP_CIPHER_SERVER_PREFERENCE);
	SSL_CTX_set_num_tickets(ctx->ssl_ctx, 0);
	SSL_CTX_set_session_cache_mode(ctx->ssl_ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_mode(ctx->ssl_ctx, SSL_MODE_ENABLE_PARTIAL_WRITE);
	/* Bulk transfers (migrations) cost few system calls, which are
	 * dear in a PV dom0 (each one goes through Xen): reads take all that
	 * has arrived, not one record at a time. */
	SSL_CTX_set_read_ahead(ctx->ssl_ctx, 1);
	SSL_CTX_set_default_read_buffer_len(ctx->ssl_ctx, TLS_READ_BUFFER);
	SSL_CTX_set_verify_depth(ctx->ssl_ctx, 1);
	X509_VERIFY_PARAM_set_flags(SSL_CTX_get0_param(ctx->ssl_ctx),
				    X509_V_FLAG_X509_STRICT);
	*ctx_r = ctx;
	return BL_OK;
}

/* Serve or present cert with key (whose names are for messages). */
static int ctx_use_cert(struct tls_ctx *ctx, X509 *cert, EVP_PKEY *key,
			const char *cert_name, const char *key_name)
{
	if (!SSL_CTX_use_certificate(ctx->ssl_ctx, cert) ||
	    !SSL_CTX_use_PrivateKey(ctx->ssl_ctx, key) ||
	    !SSL_CTX_check_private_key(ctx->ssl_ctx)) {
		tls_log_ssl_errors("%s does not belong to %s", key_name,
				   cert_name);
		return BL_ERR_INVAL;
	}
	return check_own_cert(ctx->ssl_ctx, cert, ctx->role, cert_name);
}

int tls_ctx_new(enum tls_role role, const char *ca_file, const char *cert_file,
		const char *key_file, const char *crl_file,
		struct tls_ctx **ctx_r)
{
	struct tls_ctx *ctx = NULL;
	X509 *ca = NULL, *cert = NULL;
	X509_CRL *crl = NULL;
	EVP_PKEY *key = NULL;
	int rc;

	rc = ca_load_cert(ca_file, &ca);
	if (!rc)
		rc = ca_load_cert(cert_file, &cert);
	if (!rc)
		rc = ca_load_key(key_file, &key);
	if (!rc && crl_file)
		rc = ca_load_crl(crl_file, &crl);
	if (!rc)
		rc = ctx_base(role, &ctx);
	if (rc)
		goto out;
	if (!X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx->ssl_ctx), ca)) {
		tls_log_ssl_errors("cannot set up TLS");
		rc = BL_ERR_NOMEM;
		goto out;
	}
	SSL_CTX_set_verify(ctx->ssl_ctx,
			   role == TLS_SERVER
			       ? SSL_VERIFY_PEER |
				     SSL_VERIFY_FAIL_IF_NO_PEER_CERT
			       : SSL_VERIFY_PEER,
			   NULL);
	/* Revoked identities are refused in the handshake, ours at start. */
	if (crl &&
	    (!X509_STORE_add_crl(SSL_CTX_get_cert_store(ctx->ssl_ctx), crl) ||
	     !X509_STORE_set_flags(SSL_CTX_get_cert_store(ctx->ssl_ctx),
				   X509_V_FLAG_CRL_CHECK))) {
		tls_log_ssl_errors("cannot use the CRL %s", crl_file);
		rc = BL_ERR_INVAL;
		goto out;
	}
	rc = ctx_use_cert(ctx, cert, key, cert_file, key_file);
	if (rc)
		goto out;
	*ctx_r = ctx;
	ctx = NULL;
out:
	tls_ctx_free(ctx);
	EVP_PKEY_free(key);
	X509_CRL_free(crl);
	X509_free(cert);
	X509_free(ca);
	return rc;
}

int tls_ctx_new_enrol_server(X509 *ca, X509 *cert, EVP_PKEY *key,
			     struct tls_ctx **ctx_r)
{
	struct tls_ctx *ctx = NULL;
	int rc = ctx_base(TLS_SERVER, &ctx);

	if (rc)
		return rc;
	ctx->enrol = true;
	/* The node checks our chain against the CA its token names: send
	 * the CA along. Nodes have no certificate yet: ask for none. */
	if (!X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx->ssl_ctx), ca) ||
	    !SSL_CTX_add1_chain_cert(ctx->ssl_ctx, ca)) {
		tls_log_ssl_errors("cannot set up TLS");
		rc = BL_ERR_NOMEM;
	}
	SSL_CTX_set_verify(ctx->ssl_ctx, SSL_VERIFY_NONE, NULL);
	if (!rc)
		rc = ctx_use_cert(ctx, cert, key, "the enrolment certificate",
				  "its key");
	if (rc) {
		tls_ctx_free(ctx);
		return rc;
	}
	*ctx_r = ctx;
	return BL_OK;
}

/* The enrolling node's verification: trust the one certificate of the
 * server's chain whose hash is the token's pin, and verify the chain
 * against it as any other (purpose, host name, validity). */
static int verify_pinned(X509_STORE_CTX *sc, void *arg)
{
	const struct tls_ctx *ctx = arg;
	STACK_OF(X509) *sent = X509_STORE_CTX_get0_untrusted(sc);
	STACK_OF(X509) *anchor = sk_X509_new_null();
	char pin[CA_PIN_LEN + 1];
	int ok = 0;

	for (int i = 0; anchor && i < sk_X509_num(sent); i++) {
		X509 *cert = sk_X509_value(sent, i);

		if (ca_pin(cert, pin) == BL_OK && !strcmp(pin, ctx->pin) &&
		    sk_X509_push(anchor, cert))
			break;
	}
	if (anchor && sk_X509_num(anchor) == 1) {
		X509_STORE_CTX_set0_trusted_stack(sc, anchor);
		ok = X509_verify_cert(sc) == 1;
		X509_STORE_CTX_set0_trusted_stack(sc, NULL);
	} else {
		X509_STORE_CTX_set_error(sc, X509_V_ERR_CERT_UNTRUSTED);
	}
	sk_X509_free(anchor);
	return ok;
}

int tls_ctx_new_enrol_client(const char *pin, struct tls_ctx **ctx_r)
{
	struct tls_ctx *ctx = NULL;
	int rc;

	if (strlen(pin) != CA_PIN_LEN) {
		log_warnx("a CA pin is %d hex digits", CA_PIN_LEN);
		return BL_ERR_INVAL;
	}
	rc = ctx_base(TLS_CLIENT, &ctx);
	if (rc)
		return rc;
	ctx->enrol = true;
	snprintf(ctx->pin, sizeof(ctx->pin), "%s", pin);
	SSL_CTX_set_verify(ctx->ssl_ctx, SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_cert_verify_callback(ctx->ssl_ctx, verify_pinned, ctx);
	*ctx_r = ctx;
	return BL_OK;
}

void tls_ctx_free(struct tls_ctx *ctx)
{
	if (!ctx)
		return;
	SSL_CTX_free(ctx->ssl_ctx);
	free(ctx);
}

/* Wait until fd is ready for what OpenSSL wants; BL_OK, BL_ERR_TIMEOUT or
 * BL_ERR_IO. */
static int wait_fd(int fd, int ssl_err, int64_t deadline_ms)
{
	struct pollfd pfd = {
	    .fd = fd,
	    .events = ssl_err == SSL_ERROR_WANT_WRITE ? POLLOUT : POLLIN,
	};

	for (;;) {
		int timeout = -1, r;

		if (deadline_ms >= 0) {
			int64_t left = deadline_ms - fdio_now_ms();

			if (left <= 0)
				return BL_ERR_TIMEOUT;
			timeout = left > INT_MAX ? INT_MAX : (int)left;
		}
		r = poll(&pfd, 1, timeout);
		if (r > 0)
			return BL_OK;
		if (r < 0 && errno != EINTR) {
			log_warn("poll");
			return BL_ERR_IO;
		}
	}
}

/* Before each OpenSSL I/O call: SSL_get_error() reads both the error queue
 * and, for SSL_ERROR_SYSCALL, errno, so neither may hold older news. */
static void ssl_call_begin(void)
{
	ERR_clear_error();
	errno = 0;
}

/* Say in one line why the OpenSSL call op on conn failed with ssl_err, and
 * map it to an enum bl_err. */
static int conn_fail(struct tls_conn *c, const char *op, int ssl_err)
{
	unsigned long e = ERR_peek_error();
	char why[256] = "";
	int rc = BL_ERR_PROTO;
	long verify;

	c->failed = ssl_err != SSL_ERROR_ZERO_RETURN;
	if (ssl_err == SSL_ERROR_ZERO_RETURN)
		return BL_ERR_EOF;
	if (ssl_err == SSL_ERROR_SYSCALL && e == 0) {
		if (errno == 0)
			return BL_ERR_EOF;
		log_warn("TLS %s with %s failed", op, c->where);
		return BL_ERR_IO;
	}
	if (ERR_GET_LIB(e) == ERR_LIB_SSL)
		for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]);
		     i++)
			if (ERR_GET_REASON(e) == reasons[i].reason) {
				rc = reasons[i].rc;
				snprintf(why, sizeof(why), "%s",
					 reasons[i].why);
			}
	verify = SSL_get_verify_result(c->ssl);
	if (rc == BL_ERR_AUTH && verify == X509_V_ERR_HOSTNAME_MISMATCH)
		snprintf(
		    why, sizeof(why), "certificate verify failed: %s (want %s)",
		    X509_verify_cert_error_string(verify),
		    X509_VERIFY_PARAM_get0_host(SSL_get0_param(c->ssl), 0));
	else if (rc == BL_ERR_AUTH && verify != X509_V_OK)
		snprintf(why, sizeof(why), "certificate verify failed: %s",
			 X509_verify_cert_error_string(verify));
	if (rc == BL_ERR_EOF) {
		/* Peers that vanish are the caller's news, not an error. */
		ERR_clear_error();
		log_debug("TLS %s with %s: %s", op, c->where, why);
	} else if (why[0]) {
		tls_log_ssl_errors("TLS %s with %s failed: %s", op, c->where,
				   why);
	} else {
		tls_log_ssl_errors("TLS %s with %s failed", op, c->where);
	}
	return rc;
}

/* After an OpenSSL call on s returned ret: wait for the socket and go on
 * (BL_OK), or fail. */
static int conn_retry(struct bl_stream *s, const char *op, int ret,
		      int64_t deadline_ms)
{
	struct tls_conn *c = s->impl;
	int ssl_err = SSL_get_error(c->ssl, ret);
	int rc;

	if (ssl_err != SSL_ERROR_WANT_READ && ssl_err != SSL_ERROR_WANT_WRITE)
		return conn_fail(c, op, ssl_err);
	rc = wait_fd(s->fd, ssl_err, deadline_ms);
	if (rc == BL_ERR_IO)
		c->failed = true;
	return rc;
}

/* The one entry of subject with nid as a C string in buf (size bytes), or
 * BL_ERR_AUTH when there is none, more than one, or it does not fit. */
static int subject_entry(X509_NAME *subject, int nid, char *buf, size_t size)
{
	int i = subject ? X509_NAME_get_index_by_NID(subject, nid, -1) : -1;
	const ASN1_STRING *v =
	    i >= 0 ? X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, i))
		   : NULL;
	int len = v ? ASN1_STRING_length(v) : 0;

	if (!v || len < 1 || (size_t)len >= size ||
	    X509_NAME_get_index_by_NID(subject, nid, i) >= 0)
		return BL_ERR_AUTH;
	memcpy(buf, ASN1_STRING_get0_data(v), (size_t)len);
	buf[len] = '\0';
	return strlen(buf) == (size_t)len ? BL_OK : BL_ERR_AUTH;
}

/* The verified peer's identity: its certificate's one CN, a valid name, and
 * its one OU, a role (ca.h) that agrees with its key usage: serverAuth for
 * nodes and for no one else. A server must be a node. */
static int read_peer(struct tls_ctx *ctx, struct tls_conn *c)
{
	X509 *cert = SSL_get0_peer_certificate(c->ssl);
	X509_NAME *subject = cert ? X509_get_subject_name(cert) : NULL;
	char ou[16], field[sizeof(c->where) + 40];
	bool serves;

	if (subject_entry(subject, NID_commonName, c->peer, sizeof(c->peer))) {
		log_warnx("TLS peer %s: certificate has no single valid CN",
			  c->where);
		return BL_ERR_AUTH;
	}
	if (ca_check_name("TLS peer certificate CN", c->peer))
		return BL_ERR_AUTH;
	snprintf(c->where, sizeof(c->where), "%s (%s)", c->peer, c->addr);
	if (subject_entry(subject, NID_organizationalUnitName, ou,
			  sizeof(ou))) {
		log_warnx("TLS peer %s: certificate names no role; issue it "
			  "again with `blanket ca issue --role`",
			  c->where);
		return BL_ERR_AUTH;
	}
	snprintf(field, sizeof(field), "TLS peer %s: certificate role (OU)",
		 c->where);
	if (ca_role_parse(field, ou, &c->role))
		return BL_ERR_AUTH;
	/* Without the extension OpenSSL reports every usage. */
	serves = X509_get_extension_flags(cert) & EXFLAG_XKUSAGE &&
		 X509_get_extended_key_usage(cert) & XKU_SSL_SERVER;
	if (serves != (c->role == CA_ROLE_NODE) ||
	    (ctx->role == TLS_CLIENT && c->role != CA_ROLE_NODE)) {
		log_warnx("TLS peer %s: %s certificate %s serverAuth", c->where,
			  c->role == CA_ROLE_OPERATOR ? "an operator"
			  : c->role == CA_ROLE_NODE   ? "a node"
						      : "a viewer",
			  serves ? "with" : "without");
		return BL_ERR_AUTH;
	}
	return BL_OK;
}

static const struct bl_stream_ops tls_stream_ops;

static int handshake(struct tls_ctx *ctx, int fd, const char *expect_name,
		     int64_t deadline_ms, struct bl_stream *s)
{
	struct bl_stream hs = {.ops = &tls_stream_ops, .fd = fd};
	struct tls_conn *c = NULL;
	const char *op = "handshake";
	int rc = BL_OK, r, flags;

	if (expect_name)
		rc = ca_check_name("expected node name", expect_name);
	if (rc)
		goto out;
	rc = BL_ERR_NOMEM;
	c = calloc(1, sizeof(*c));
	if (!c)
		goto out;
	hs.impl = c;
	fdio_peer_name(fd, c->addr, sizeof(c->addr));
	snprintf(c->where, sizeof(c->where), "%s", c->addr);
	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
		log_warn("TLS %s with %s", op, c->where);
		rc = BL_ERR_IO;
		goto out;
	}
	c->ssl = SSL_new(ctx->ssl_ctx);
	if (c->ssl && expect_name)
		SSL_set_hostflags(c->ssl, X509_CHECK_FLAG_NO_WILDCARDS);
	if (!c->ssl || !SSL_set_fd(c->ssl, fd) ||
	    (expect_name && !SSL_set1_host(c->ssl, expect_name))) {
		tls_log_ssl_errors("TLS %s with %s", op, c->where);
		goto out;
	}
	do {
		ssl_call_begin();
		r = ctx->role == TLS_SERVER ? SSL_accept(c->ssl)
					    : SSL_connect(c->ssl);
		rc = r == 1 ? BL_OK : conn_retry(&hs, op, r, deadline_ms);
	} while (r != 1 && rc == BL_OK);
	if (rc == BL_ERR_TIMEOUT)
		log_warnx("TLS %s with %s timed out", op, c->where);
	/* An enrolling node has no certificate yet. */
	if (!rc && !(ctx->enrol && ctx->role == TLS_SERVER))
		rc = read_peer(ctx, c);
	else if (!rc)
		c->role = CA_ROLE_COUNT;
	if (rc)
		goto out;
	*s = hs;
	s->deadline_ms = -1;
	s->version = 0;
	c = NULL;
	fd = -1;
out:
	if (c) {
		SSL_free(c->ssl);
		free(c);
	}
	if (fd >= 0)
		close(fd);
	return rc;
}

int tls_accept(struct tls_ctx *ctx, int fd, int64_t deadline_ms,
	       struct bl_stream *s)
{
	if (ctx->role != TLS_SERVER) {
		close(fd);
		log_warnx("tls_accept() needs a server context");
		return BL_ERR_INVAL;
	}
	return handshake(ctx, fd, NULL, deadline_ms, s);
}

int tls_connect(struct tls_ctx *ctx, int fd, const char *expect_name,
		int64_t deadline_ms, struct bl_stream *s)
{
	if (ctx->role != TLS_CLIENT) {
		close(fd);
		log_warnx("tls_connect() needs a client context");
		return BL_ERR_INVAL;
	}
	return handshake(ctx, fd, expect_name, deadline_ms, s);
}

const char *tls_peer_name(const struct bl_stream *s)
{
	const struct tls_conn *c = s->impl;

	return s->ops == &tls_stream_ops && c ? c->peer : NULL;
}

X509 *tls_peer_ca(const struct bl_stream *s)
{
	const struct tls_conn *c = s->impl;
	STACK_OF(X509) * chain;
	X509 *ca;

	if (s->ops != &tls_stream_ops || !c)
		return NULL;
	chain = SSL_get0_verified_chain(c->ssl);
	if (!chain || sk_X509_num(chain) < 2)
		return NULL;
	ca = sk_X509_value(chain, sk_X509_num(chain) - 1);
	return X509_up_ref(ca) ? ca : NULL;
}

enum ca_role tls_peer_role(const struct bl_stream *s)
{
	const struct tls_conn *c = s->impl;

	return s->ops == &tls_stream_ops && c ? c->role : CA_ROLE_COUNT;
}

static int tls_read(struct bl_stream *s, void *buf, size_t len)
{
	struct tls_conn *c = s->impl;
	size_t got = 0;

	while (got < len) {
		size_t n = 0;
		int rc;

		ssl_call_begin();
		if (SSL_read_ex(c->ssl, (char *)buf + got, len - got, &n)) {
			got += n;
			continue;
		}
		rc = conn_retry(s, "read", 0, s->deadline_ms);
		if (rc)
			return rc;
	}
	return BL_OK;
}

static int tls_write(struct bl_stream *s, const void *buf, size_t len)
{
	struct tls_conn *c = s->impl;
	size_t done = 0;

	while (done < len) {
		size_t n = 0;
		int rc;

		ssl_call_begin();
		if (SSL_write_ex(c->ssl, (const char *)buf + done, len - done,
				 &n)) {
			done += n;
			continue;
		}
		rc = conn_retry(s, "write", 0, s->deadline_ms);
		if (rc)
			return rc;
	}
	return BL_OK;
}

/* Send close_notify, so the peer can tell our end from a cut connection;
 * do not wait for the peer's: the socket closes right after. */
static void send_close_notify(struct bl_stream *s, struct tls_conn *c)
{
	int64_t deadline_ms = fdio_now_ms() + TLS_CLOSE_WAIT_MS;
	int r;

	if (s->deadline_ms >= 0 && s->deadline_ms < deadline_ms)
		deadline_ms = s->deadline_ms;
	for (;;) {
		int ssl_err;

		ssl_call_begin();
		r = SSL_shutdown(c->ssl);
		if (r >= 0)
			break;
		ssl_err = SSL_get_error(c->ssl, r);
		if ((ssl_err != SSL_ERROR_WANT_READ &&
		     ssl_err != SSL_ERROR_WANT_WRITE) ||
		    wait_fd(s->fd, ssl_err, deadline_ms))
			break;
	}
	ERR_clear_error();
}

static void tls_close(struct bl_stream *s)
{
	struct tls_conn *c = s->impl;

	if (c) {
		if (!c->failed)
			send_close_notify(s, c);
		SSL_free(c->ssl);
		free(c);
		s->impl = NULL;
	}
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

/* With read-ahead OpenSSL may hold whole records it has not decrypted yet,
 * which SSL_pending() does not count: SSL_has_pending() does. (It also
 * counts a partial record; a read then waits for the rest, within its
 * deadline.) */
static size_t tls_pending(struct bl_stream *s)
{
	struct tls_conn *c = s->impl;

	return c && SSL_has_pending(c->ssl) ? 1 : 0;
}

static const struct bl_stream_ops tls_stream_ops = {
    .read = tls_read,
    .write = tls_write,
    .close = tls_close,
    .pending = tls_pending,
};
