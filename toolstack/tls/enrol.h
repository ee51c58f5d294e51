/* Enrolment: a new node gets its certificate with a one-time token, over
 * TLS to an enrolment server that holds the CA (`blanket ca serve-enrol`),
 * and never sees the CA's key. Wire format: docs/specs/enrol.md.
 *
 * Entry points: enrol_read() and enrol_write() are the codec (every
 * message is a set of text records); enrol_answer() is the server's side
 * of one connection, enrol_ask() the node's. */
#ifndef BL_ENROL_H
#define BL_ENROL_H

#include <stdbool.h>
#include <stdint.h>

#include "toolstack/common/err.h"
#include "toolstack/common/stream.h"
#include "toolstack/tls/ca.h"
#include "toolstack/tls/enrol_token.h"

#define ENROL_PORT	  7401
#define ENROL_VERSION	  1
#define ENROL_SERVER_NAME "enrol" /* the CN of the server's certificate */
#define ENROL_BODY_MAX	  (256u * 1024u)
#define ENROL_CSR_MAX	  8192u
#define ENROL_TIMEOUT_MS  30000 /* one whole exchange */

/* The records, each at most once in a message, each a text (no NUL). */
enum enrol_record {
	ENROL_REC_TOKEN = 1, /* node: "ID-SECRET" of its token */
	ENROL_REC_CSR = 2,   /* node: its PKCS#10 request, PEM */
	ENROL_REC_CERT = 3,  /* server: the node's certificate, PEM */
	ENROL_REC_CA = 4,    /* server: the CA's certificate, PEM */
	ENROL_REC_PEERS = 5, /* server: the cluster's nodes (peers.conf) */
	ENROL_REC_CRL = 6,   /* server: the CA's revocation list, PEM */
	ENROL_REC_ERROR = 7, /* server: why it refused */
	ENROL_REC_END = 8,   /* either: the message is over (no body) */
	ENROL_REC_COUNT,
};

struct enrol_msg {
	/* Indexed by enum enrol_record: malloc'd and NUL-terminated, or
	 * NULL when absent. */
	char *rec[ENROL_REC_COUNT];
};

void enrol_msg_dispose(struct enrol_msg *m);

/* Read one message: the header, then records up to END. from_node: the
 * records a node sends (TOKEN and CSR, both required), else a server's
 * (CERT, CA, PEERS and CRL, or ERROR alone). Anything else is
 * BL_ERR_PROTO (BL_ERR_VERSION for another version), with err saying
 * why; a stream error its code. On error *m holds nothing. */
int enrol_read(struct bl_stream *s, bool from_node, struct enrol_msg *m,
	       char *err, size_t errlen) BL_MUST_CHECK;
/* Write m: the header, its records in order, END. */
int enrol_write(struct bl_stream *s, const struct enrol_msg *m) BL_MUST_CHECK;

/* What an enrolment server holds while it serves. */
struct enrol_server {
	struct ca_signer ca;
	const char *peers; /* the peers.conf text nodes get; "" for none */
};

/* Answer one node on s (TLS, deadline set by the caller): read its
 * request, check the token, the request's key (P-256, signed with itself)
 * and its name (if it gives one, the token's), spend the token, issue a
 * node certificate for the token's name and addresses, and send it with
 * the CA, the peers and the CRL. A refusal is sent to the node in general
 * words; what it was is in log, for the server's own log, in both cases.
 * Returns BL_OK when a certificate was issued. */
int enrol_answer(const struct enrol_server *srv, struct bl_stream *s,
		 int64_t now, char *log, size_t loglen) BL_MUST_CHECK;

/* The node's side, on s (TLS to a server verified against t's pin): send
 * t and a request for key (its CN name, unless NULL), read the answer.
 * On success *reply_r holds CERT (checked to certify key), CA (checked
 * against the pin), PEERS and CRL. BL_ERR_DENIED with the server's reason
 * in err when it refused; other errors say why in err. */
int enrol_ask(struct bl_stream *s, const struct enrol_token *t,
	      const char *name, EVP_PKEY *key, struct enrol_msg *reply_r,
	      char *err, size_t errlen) BL_MUST_CHECK;

#endif
