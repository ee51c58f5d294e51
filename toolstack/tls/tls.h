/* TLS 1.3 with mutual authentication against the cluster CA (OpenSSL): every
 * TCP connection of the toolstack goes through here (docs/security.md).
 *
 * Entry points: tls_ctx_new() once per process and role; per connection
 * tls_accept() or tls_connect() on a connected socket, which hand back a
 * struct bl_stream (stream.h) for the RPC codec; tls_peer_name() is who the
 * verified certificate says the peer is. Writes to a peer that has gone raise
 * SIGPIPE, as with any socket: programs that use this ignore SIGPIPE. */
#ifndef BL_TLS_H
#define BL_TLS_H

#include <stdbool.h>
#include <stdint.h>

#include "toolstack/common/err.h"
#include "toolstack/common/log.h"
#include "toolstack/common/stream.h"
#include "toolstack/tls/ca.h"

enum tls_role {
	TLS_SERVER, /* blanketd: needs a node certificate */
	TLS_CLIENT, /* the CLI, or a node calling another node */
};

struct tls_ctx;

/* Load the CA, our certificate and its key for role, and the CA's list of
 * revoked certificates from crl_file unless it is NULL (then none is
 * checked). Checks that the key matches the certificate and that the CA
 * issued it for role (a client certificate cannot serve) and has not
 * revoked it. On success *ctx_r owns a new context; free it
 * with tls_ctx_free(). On error (BL_ERR_NOTFOUND, BL_ERR_IO, BL_ERR_INVAL,
 * BL_ERR_AUTH, BL_ERR_NOMEM; logged) *ctx_r is untouched. */
int tls_ctx_new(enum tls_role role, const char *ca_file, const char *cert_file,
		const char *key_file, const char *crl_file,
		struct tls_ctx **ctx_r) BL_MUST_CHECK;
void tls_ctx_free(struct tls_ctx *ctx);

/* Enrolment (docs/specs/enrol.md). The server's context serves cert and
 * key, with the CA ca sent along, and asks for no client certificate
 * (tls_peer_name() is then "" and tls_peer_role() CA_ROLE_COUNT). The
 * node's context has no certificate and trusts only the CA certificate,
 * of those the server sends, whose ca_pin() is pin (CA_PIN_LEN hex
 * digits); the server's must be a node certificate it issued, naming
 * the expect_name given to tls_connect(). The references are the
 * caller's: each context takes its own. */
int tls_ctx_new_enrol_server(X509 *ca, X509 *cert, EVP_PKEY *key,
			     struct tls_ctx **ctx_r) BL_MUST_CHECK;
int tls_ctx_new_enrol_client(const char *pin,
			     struct tls_ctx **ctx_r) BL_MUST_CHECK;

/* The TLS handshake on the connected socket fd, by deadline_ms (absolute
 * fdio_now_ms(), -1: none). Takes ownership of fd in every case: on success
 * *s is a TLS stream that owns it (stream_close() releases both; its
 * deadline_ms starts at -1); on error fd is closed and *s is untouched.
 * tls_connect() also requires the server's certificate to name expect_name
 * unless that is NULL. Errors, each logged in one line saying why:
 * BL_ERR_AUTH (certificate refused either way), BL_ERR_VERSION (not TLS 1.3),
 * BL_ERR_TIMEOUT, BL_ERR_PROTO, BL_ERR_IO, BL_ERR_NOMEM; BL_ERR_EOF (the peer
 * hung up) only at debug level. The stream's reads and writes log the same
 * way, except that EOF and timeouts are left to the caller.
 * In TLS 1.3 a server checks the client's certificate after the client's
 * handshake is over: a refused client learns it on its first read. */
int tls_accept(struct tls_ctx *ctx, int fd, int64_t deadline_ms,
	       struct bl_stream *s) BL_MUST_CHECK;
int tls_connect(struct tls_ctx *ctx, int fd, const char *expect_name,
		int64_t deadline_ms, struct bl_stream *s) BL_MUST_CHECK;

/* The CN of the peer's verified certificate (a valid ca_check_name() name),
 * owned by s; NULL when s is not a TLS stream. */
const char *tls_peer_name(const struct bl_stream *s);
/* The CA the peer's certificate was verified against, a new reference
 * (X509_free()); NULL when s is not a TLS stream or has none. */
X509 *tls_peer_ca(const struct bl_stream *s);
/* The role the peer's verified certificate names (its subject OU, ca.h):
 * how a daemon tells node "web" from a user called "web". CA_ROLE_COUNT
 * when s is not a TLS stream. */
enum ca_role tls_peer_role(const struct bl_stream *s);

/* Log message and OpenSSL's queued errors (ERR_error_string_n) in one line,
 * and clear the queue. For any caller of OpenSSL. */
void tls_log_ssl_errors(const char *fmt, ...) BL_PRINTF(1, 2);

#endif
