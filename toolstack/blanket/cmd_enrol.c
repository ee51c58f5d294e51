/* Enrolment (docs/security.md, "Enrolment"): `blanket ca token` and
 * `blanket ca serve-enrol` on the CA's machine, `blanket node enrol` on the
 * new node. The protocol is toolstack/tls/enrol.c, the tokens
 * enrol_token.c. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/x509.h>

#include "toolstack/blanket/cli.h"
#include "toolstack/client/client.h"
#include "toolstack/common/durable.h"
#include "toolstack/common/fdio.h"
#include "toolstack/common/json.h"
#include "toolstack/common/log.h"
#include "toolstack/common/path.h"
#include "toolstack/tls/ca_index.h"
#include "toolstack/tls/enrol.h"
#include "toolstack/tls/tls.h"

#define DEFAULT_TTL	 "1h"
#define DEFAULT_LISTEN	 "0.0.0.0:7401"
#define DEFAULT_NODE_DIR "/etc/blanket"
#define HANDSHAKE_MS	 10000
#define SERVER_CERT_DAYS 1
#define NODE_KEY_FILE	 "node.key"
#define NODE_CERT_FILE	 "node.crt"
#define NODE_PEERS_FILE	 "peers.conf"

int cmd_ca_token(const struct cmd_call *call)
{
	const struct cli_opts *o = call->opts;
	const char *dir = o->dir ? o->dir : CA_DEFAULT_DIR;
	char text[ENROL_TOKEN_LEN + 1], expires[32];
	struct enrol_grant g = {.n_ips = 0};
	struct enrol_token t;
	int ttl_s, rc;

	if (ca_check_name("NAME", call->argv[0]) ||
	    enrol_ttl_parse("--ttl", o->ttl ? o->ttl : DEFAULT_TTL, &ttl_s))
		return EXIT_USAGE;
	snprintf(g.name, sizeof(g.name), "%s", call->argv[0]);
	for (int i = 0; i < o->ips.n; i++) {
		if (ca_check_ip("--ip", o->ips.v[i]))
			return EXIT_USAGE;
		snprintf(g.ips[g.n_ips++], ENROL_IP_MAX, "%s", o->ips.v[i]);
	}
	rc = enrol_token_create(dir, &g, ttl_s, (int64_t)time(NULL), &t);
	if (rc)
		return rc == BL_ERR_INVAL ? EXIT_USAGE
					  : cmd_ca_missing(call, dir, rc);
	enrol_token_format(&t, text);
	cmd_ca_time(g.expires, "%Y-%m-%dT%H:%M:%SZ", expires, sizeof(expires));
	if (o->json) {
		printf("{\"name\": ");
		json_string(stdout, g.name);
		printf(", \"token\": \"%s\", \"id\": \"%s\", \"expires\": "
		       "\"%s\", \"ips\": [",
		       text, t.id, expires);
		for (int i = 0; i < g.n_ips; i++) {
			printf("%s", i ? ", " : "");
			json_string(stdout, g.ips[i]);
		}
		printf("]}\n");
		return EXIT_OK;
	}
	/* The token alone on stdout, for TOKEN=$(blanket ca token ...). */
	printf("%s\n", text);
	fprintf(stderr,
		"token %s for node \"%s\", once, until %s; on the node:\n"
		"  blanket node enrol --server THIS-HOST:%d --token TOKEN\n"
		"while `blanket ca serve-enrol` runs here\n",
		t.id, g.name, expires, ENROL_PORT);
	return EXIT_OK;
}

/* The server's own identity: a key that lives in this process only, and a
 * node certificate for ENROL_SERVER_NAME, valid a day (in the index). */
static int server_tls(const struct enrol_server *srv, struct tls_ctx **tls_r)
{
	struct ca_request req;
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	int rc;

	ca_request_init(&req);
	req.name = ENROL_SERVER_NAME;
	req.role = CA_ROLE_NODE;
	req.days = SERVER_CERT_DAYS;
	rc = ca_new_key(&key) ?: ca_sign_key(&srv->ca, &req, key, &cert) ?:
	     tls_ctx_new_enrol_server(srv->ca.cert, cert, key, tls_r);
	X509_free(cert);
	EVP_PKEY_free(key);
	return rc;
}

/* One connection: TLS, then the enrolment; BL_OK when a node enrolled. */
static int serve_one(const struct enrol_server *srv, struct tls_ctx *tls,
		     int fd)
{
	char peer[64], log[BL_ERRMSG_MAX] = "";
	struct bl_stream s;
	int rc;

	fdio_peer_name(fd, peer, sizeof(peer));
	rc = tls_accept(tls, fd, fdio_now_ms() + HANDSHAKE_MS, &s);
	if (rc) {
		printf("%s: no TLS handshake: %s\n", peer, bl_strerror(rc));
		fflush(stdout);
		return rc;
	}
	s.deadline_ms = fdio_now_ms() + ENROL_TIMEOUT_MS;
	rc = enrol_answer(srv, &s, (int64_t)time(NULL), log, sizeof(log));
	stream_close(&s);
	printf("%s: %s\n", peer, log[0] ? log : bl_strerror(rc));
	fflush(stdout);
	return rc;
}

int cmd_ca_serve_enrol(const struct cmd_call *call)
{
	const struct cli_opts *o = call->opts;
	const char *dir = o->dir ? o->dir : CA_DEFAULT_DIR;
	const char *listen = o->listen ? o->listen : DEFAULT_LISTEN;
	struct enrol_server srv = {.ca = {.cert = NULL}, .peers = ""};
	char *peers = NULL, pin[CA_PIN_LEN + 1];
	struct tls_ctx *tls = NULL;
	size_t len = 0;
	int lfd = -1, rc, status = EXIT_FAIL;

	if (o->peers) {
		rc = fdio_read_file(o->peers, ENROL_BODY_MAX, &peers, &len);
		if (rc) {
			log_warnx("--peers %s: cannot read it (%s)", o->peers,
				  rc == BL_ERR_INVAL ? "more than 256 KiB"
						     : bl_strerror(rc));
			return EXIT_FAIL;
		}
		srv.peers = peers;
	}
	rc = ca_signer_open(dir, &srv.ca);
	if (rc == BL_ERR_NOTFOUND)
		cmd_ca_missing(call, dir, rc);
	if (!rc)
		rc = ca_pin(srv.ca.cert, pin) ?: server_tls(&srv, &tls) ?:
		     fdio_listen_tcp("--listen", listen, &lfd);
	if (rc) {
		status = rc == BL_ERR_INVAL ? EXIT_USAGE : EXIT_FAIL;
		goto out;
	}
	printf("serving enrolment on %s for the CA in %s (pin %.16s...)%s\n",
	       listen, dir, pin, o->once ? ", until one node enrols" : "");
	fflush(stdout);
	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

		if (fd < 0) {
			log_warn("accept on %s", listen);
			goto out;
		}
		if (serve_one(&srv, tls, fd) == BL_OK && o->once)
			break;
	}
	status = EXIT_OK;
out:
	if (lfd >= 0)
		close(lfd);
	tls_ctx_free(tls);
	ca_signer_close(&srv.ca);
	free(peers);
	return status;
}

/* "HOST" or "HOST:PORT" into n. */
static int parse_server(const char *spec, struct cluster_node *n)
{
	const char *colon = strrchr(spec, ':');
	size_t host_len = colon ? (size_t)(colon - spec) : strlen(spec);
	char *end = NULL;
	long port = ENROL_PORT;

	if (colon) {
		port = strtol(colon + 1, &end, 10);
		if (end == colon + 1 || *end || port <= 0 || port > 65535)
			host_len = 0;
	}
	if (host_len == 0 || host_len >= sizeof(n->host)) {
		log_warnx("--server wants HOST or HOST:PORT, got \"%s\"", spec);
		return BL_ERR_INVAL;
	}
	snprintf(n->name, sizeof(n->name), "enrolment server");
	memcpy(n->host, spec, host_len);
	n->host[host_len] = '\0';
	n->port = (int)port;
	return BL_OK;
}

/* The CN of cert into name[CA_NAME_MAX + 1]. */
static int cert_name(X509 *cert, char *name)
{
	int len = X509_NAME_get_text_by_NID(
	    X509_get_subject_name(cert), NID_commonName, name, CA_NAME_MAX + 1);

	return len > 0 && len <= CA_NAME_MAX ? BL_OK : BL_ERR_INVAL;
}

/* Whether dir holds a node identity of the token's CA already: then
 * enrolling again changes nothing (BL_OK with its name), another CA's is
 * BL_ERR_BUSY, none (or a part of one) BL_ERR_NOTFOUND. */
static int enrolled_already(const char *dir, const char *pin, char *name)
{
	char ca_path[PATH_MAX], cert_path[PATH_MAX], key_path[PATH_MAX];
	char have[CA_PIN_LEN + 1];
	X509 *ca = NULL, *cert = NULL;
	EVP_PKEY *key = NULL;
	int rc;

	if (path_join(ca_path, sizeof(ca_path), dir, CA_CERT_FILE) ||
	    path_join(cert_path, sizeof(cert_path), dir, NODE_CERT_FILE) ||
	    path_join(key_path, sizeof(key_path), dir, NODE_KEY_FILE) ||
	    access(ca_path, F_OK) || access(cert_path, F_OK) ||
	    access(key_path, F_OK))
		return BL_ERR_NOTFOUND;
	rc = ca_load_cert(ca_path, &ca) ?: ca_load_cert(cert_path, &cert) ?:
	     ca_load_key(key_path, &key) ?: ca_pin(ca, have);
	if (!rc && strcmp(have, pin) != 0)
		rc = BL_ERR_BUSY;
	else if (!rc && (X509_verify(cert, X509_get0_pubkey(ca)) != 1 ||
			 X509_check_private_key(cert, key) != 1 ||
			 cert_name(cert, name)))
		rc = BL_ERR_NOTFOUND;
	X509_free(ca);
	X509_free(cert);
	EVP_PKEY_free(key);
	return rc;
}

/* The node's files, its key last: blanketd starts once node.key is
 * there (docs/install.md). */
static int write_identity(const char *dir, const struct enrol_msg *reply,
			  EVP_PKEY *key)
{
	char *pem;
	int rc = durable_write(dir, CA_CRL_FILE, reply->rec[ENROL_REC_CRL]) ?:
		 durable_write(dir, CA_CERT_FILE, reply->rec[ENROL_REC_CA]) ?:
		 durable_write(dir, NODE_PEERS_FILE,
			       reply->rec[ENROL_REC_PEERS]) ?:
		 durable_write(dir, NODE_CERT_FILE, reply->rec[ENROL_REC_CERT]);

	if (rc)
		return rc;
	pem = ca_key_text(key);
	if (!pem)
		return BL_ERR_NOMEM;
	rc = durable_write(dir, NODE_KEY_FILE, pem);
	OPENSSL_cleanse(pem, strlen(pem));
	free(pem);
	return rc;
}

static void print_enrolled(const struct cli_opts *o, const char *name,
			   const char *dir, bool again)
{
	if (o->json) {
		printf("{\"name\": ");
		json_string(stdout, name);
		printf(", \"dir\": ");
		json_string(stdout, dir);
		printf(", \"changed\": %s}\n", again ? "false" : "true");
	} else if (again) {
		printf("already enrolled as node \"%s\" of this cluster in %s; "
		       "nothing changed\n",
		       name, dir);
	} else {
		printf("enrolled as node \"%s\": %s/%s (mode 0600), %s, %s, "
		       "%s and %s\n",
		       name, dir, NODE_KEY_FILE, NODE_CERT_FILE, CA_CERT_FILE,
		       NODE_PEERS_FILE, CA_CRL_FILE);
	}
}

int cmd_node_enrol(const struct cmd_call *call)
{
	const struct cli_opts *o = call->opts;
	const char *dir = o->dir ? o->dir : DEFAULT_NODE_DIR;
	char err[BL_ERRMSG_MAX] = "", name[CA_NAME_MAX + 1] = "";
	struct enrol_msg reply = {.rec = {NULL}};
	struct cluster_node server;
	struct tls_ctx *tls = NULL;
	struct enrol_token t;
	struct bl_stream s;
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	int fd = -1, rc;

	if (!o->token || !o->server) {
		fprintf(stderr, "%s: --server and --token are required\n",
			call->who);
		return EXIT_USAGE;
	}
	if (enrol_token_parse("--token", o->token, &t) ||
	    parse_server(o->server, &server) ||
	    (o->name && ca_check_name("--name", o->name)))
		return EXIT_USAGE;
	rc = enrolled_already(dir, t.pin, name);
	if (rc == BL_OK) {
		print_enrolled(o, name, dir, true);
		return EXIT_OK;
	}
	if (rc == BL_ERR_BUSY) {
		fprintf(stderr,
			"%s: %s holds a node identity of another cluster; "
			"`blanket node uninstall` removes it\n",
			call->who, dir);
		return EXIT_FAIL;
	}
	rc = ca_new_key(&key) ?: tls_ctx_new_enrol_client(t.pin, &tls) ?:
	     client_tcp_connect(&server, &fd, err, sizeof(err));
	if (!rc) {
		rc = tls_connect(tls, fd, ENROL_SERVER_NAME,
				 fdio_now_ms() + HANDSHAKE_MS, &s);
		if (rc)
			snprintf(err, sizeof(err),
				 "%s:%d: no TLS connection the token's CA "
				 "vouches for (%s)",
				 server.host, server.port, bl_strerror(rc));
	}
	if (!rc) {
		s.deadline_ms = fdio_now_ms() + ENROL_TIMEOUT_MS;
		rc = enrol_ask(&s, &t, o->name, key, &reply, err, sizeof(err));
		stream_close(&s);
	}
	if (!rc) {
		cert = ca_cert_from_text(reply.rec[ENROL_REC_CERT]);
		rc = cert && !cert_name(cert, name) ? BL_OK : BL_ERR_PROTO;
	}
	if (!rc)
		rc = write_identity(dir, &reply, key);
	if (rc)
		fprintf(stderr, "%s: %s\n", call->who,
			err[0] ? err : bl_strerror(rc));
	else
		print_enrolled(o, name, dir, false);
	X509_free(cert);
	enrol_msg_dispose(&reply);
	EVP_PKEY_free(key);
	tls_ctx_free(tls);
	return rc ? EXIT_FAIL : EXIT_OK;
}
