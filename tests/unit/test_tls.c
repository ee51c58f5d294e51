/* The cluster CA and TLS connections (toolstack/tls): certificates as
 * specified, mutual TLS 1.3 over a socketpair with a server thread, and every
 * way a peer must be refused. */
#include <CUnit/CUnit.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "toolstack/tls/ca.h"
#include "toolstack/tls/ca_index.h"
#include "toolstack/common/fdio.h"
#include "tests/unit/scratch.h"
#include "tests/unit/suites.h"
#include "toolstack/common/path.h"
#include "toolstack/tls/tls.h"

#define DEADLINE_MS 2000
#define BIG_LEN	    (1024 * 1024)

static char tmp[SCRATCH_DIR_MAX];
static struct tls_ctx *srv_node1, *cli_alice, *cli_node2;

/* A path in this suite's scratch folder. */
#define at(...) scratch_path(tmp, __VA_ARGS__)

static int issue(const char *ca_dir, const char *name, enum ca_role role,
		 const char *out)
{
	struct ca_request req;

	ca_request_init(&req);
	req.name = name;
	req.role = role;
	if (role == CA_ROLE_NODE) {
		req.ips[req.n_ips++] = "127.0.0.1";
		req.ips[req.n_ips++] = "fd00::1";
	}
	return ca_issue(at("%s", ca_dir), &req, at("%s", out));
}

/* A context for identity name in folder dir (NAME.crt, NAME.key, ca.crt). */
static int ctx_for(enum tls_role role, const char *dir, const char *name,
		   struct tls_ctx **ctx_r)
{
	return tls_ctx_new(role, at("%s/ca.crt", dir),
			   at("%s/%s.crt", dir, name),
			   at("%s/%s.key", dir, name), NULL, ctx_r);
}

/* The cluster "test" with node1, node2, alice (an operator) and victor (a
 * viewer) in id/, and another CA
 * with mallory in other-id/. */
static int tls_suite_init(void)
{
	/* tls.h: writes to a peer that has gone raise SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	if (scratch_dir_make(tmp, "tls") || ca_init(at("ca"), "test") ||
	    issue("ca", "node1", CA_ROLE_NODE, "id") ||
	    issue("ca", "node2", CA_ROLE_NODE, "id") ||
	    issue("ca", "alice", CA_ROLE_OPERATOR, "id") ||
	    issue("ca", "victor", CA_ROLE_VIEWER, "id") ||
	    ca_init(at("other-ca"), "other") ||
	    issue("other-ca", "mallory", CA_ROLE_OPERATOR, "other-id"))
		return -1;
	if (ctx_for(TLS_SERVER, "id", "node1", &srv_node1) ||
	    ctx_for(TLS_CLIENT, "id", "alice", &cli_alice) ||
	    ctx_for(TLS_CLIENT, "id", "node2", &cli_node2))
		return -1;
	return 0;
}

static int tls_suite_cleanup(void)
{
	tls_ctx_free(srv_node1);
	tls_ctx_free(cli_alice);
	tls_ctx_free(cli_node2);
	return path_remove_tree(tmp);
}

/* A server thread: the handshake, then read echo bytes and send them back. */
struct server {
	struct tls_ctx *ctx;
	int fd;
	size_t echo;
	int rc;	   /* tls_accept()'s */
	int io_rc; /* the echo's */
	char peer[CA_NAME_MAX + 1];
	enum ca_role peer_role;
	pthread_t thread;
};

static void *server_main(void *arg)
{
	struct server *sv = arg;
	struct bl_stream s;
	char *buf;

	sv->rc = tls_accept(sv->ctx, sv->fd, fdio_now_ms() + DEADLINE_MS, &s);
	if (sv->rc)
		return NULL;
	snprintf(sv->peer, sizeof(sv->peer), "%s", tls_peer_name(&s));
	sv->peer_role = tls_peer_role(&s);
	s.deadline_ms = fdio_now_ms() + DEADLINE_MS;
	buf = malloc(sv->echo + 1);
	sv->io_rc = buf ? stream_read(&s, buf, sv->echo) : BL_ERR_NOMEM;
	if (!sv->io_rc)
		sv->io_rc = stream_write(&s, buf, sv->echo);
	free(buf);
	stream_close(&s);
	return NULL;
}

/* Start a server with ctx; *fd_r is the client's end of the socketpair. */
static void server_start(struct server *sv, struct tls_ctx *ctx, size_t echo,
			 int *fd_r)
{
	int sp[2];

	memset(sv, 0, sizeof(*sv));
	sv->ctx = ctx;
	sv->echo = echo;
	CU_ASSERT_EQUAL_FATAL(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
	sv->fd = sp[0];
	*fd_r = sp[1];
	CU_ASSERT_EQUAL_FATAL(
	    pthread_create(&sv->thread, NULL, server_main, sv), 0);
}

static void server_wait(struct server *sv)
{
	CU_ASSERT_EQUAL(pthread_join(sv->thread, NULL), 0);
}

/* The suite the last raw_client() handshake settled on, "" if none. */
static char raw_cipher[64];

/* A client that is not ours: plain OpenSSL, any certificate or none, TLS up
 * to max_version, trusting any server, offering OpenSSL's default suites
 * (AES-256-GCM first). Returns how many bytes it could read after the
 * handshake (0 when refused). */
static int raw_client(int fd, const char *cert, const char *key,
		      int max_version)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	struct timeval tv = {.tv_sec = 2};
	SSL *ssl = NULL;
	char byte;
	int got = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	SSL_CTX_set_max_proto_version(ctx, max_version);
	if (cert) {
		CU_ASSERT_EQUAL(
		    SSL_CTX_use_certificate_file(ctx, cert, SSL_FILETYPE_PEM),
		    1);
		CU_ASSERT_EQUAL(
		    SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM), 1);
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	ssl = SSL_new(ctx);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ssl);
	SSL_set_fd(ssl, fd);
	raw_cipher[0] = '\0';
	if (SSL_connect(ssl) == 1) {
		snprintf(raw_cipher, sizeof(raw_cipher), "%s",
			 SSL_get_cipher_name(ssl));
		if (SSL_write(ssl, "x", 1) == 1)
			got = SSL_read(ssl, &byte, 1) > 0;
	}
	ERR_clear_error();
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	close(fd);
	return got;
}

/* A server that is not ours, serving cert: run on a thread, on fd. */
struct raw_server {
	int fd;
	const char *cert, *key;
	pthread_t thread;
};

static void *raw_server_main(void *arg)
{
	struct raw_server *rs = arg;
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	struct timeval tv = {.tv_sec = 2};
	SSL *ssl = NULL;

	setsockopt(rs->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (ctx &&
	    SSL_CTX_use_certificate_file(ctx, rs->cert, SSL_FILETYPE_PEM) &&
	    SSL_CTX_use_PrivateKey_file(ctx, rs->key, SSL_FILETYPE_PEM))
		ssl = SSL_new(ctx);
	if (ssl && SSL_set_fd(ssl, rs->fd))
		SSL_accept(ssl);
	ERR_clear_error();
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	close(rs->fd);
	return NULL;
}

static bool file_is(const char *path, const char *want)
{
	char buf[64] = "";
	int fd = open(path, O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;

	if (fd >= 0)
		close(fd);
	return n >= 0 && strcmp(buf, want) == 0;
}

static bool exists(const char *path)
{
	return access(path, F_OK) == 0;
}

static X509 *load(const char *path)
{
	X509 *cert = NULL;

	CU_ASSERT_EQUAL(ca_load_cert(path, &cert), BL_OK);
	return cert;
}

/* The role a certificate's subject OU names, CA_ROLE_COUNT for none. */
static enum ca_role ou_of(X509 *cert)
{
	char ou[32] = "";
	enum ca_role role = CA_ROLE_COUNT;

	X509_NAME_get_text_by_NID(X509_get_subject_name(cert),
				  NID_organizationalUnitName, ou, sizeof(ou));
	return ou[0] && ca_role_parse("OU", ou, &role) == BL_OK ? role
								: CA_ROLE_COUNT;
}

/* What `blanket ca issue` never makes, signed by our CA all the same:
 * forged/NAME.crt and .key with subject OU ou (none when NULL) and
 * extendedKeyUsage eku. */
static void forge(const char *name, const char *ou, const char *eku)
{
	static const struct {
		int nid;
		const char *value;
	} exts[] = {
	    {NID_basic_constraints, "critical,CA:FALSE"},
	    {NID_key_usage, "critical,digitalSignature"},
	    {NID_subject_key_identifier, "hash"},
	    {NID_authority_key_identifier, "keyid:always"},
	};
	EVP_PKEY *ca_key = NULL, *key = EVP_EC_gen("P-256");
	X509 *ca = load(at("ca/ca.crt")), *cert = X509_new();
	X509_NAME *subject = X509_NAME_new();
	X509_EXTENSION *ext;
	X509V3_CTX v3;
	FILE *fp;

	CU_ASSERT_EQUAL_FATAL(ca_load_key(at("ca/ca.key"), &ca_key), BL_OK);
	CU_ASSERT_FATAL(key && ca && cert && subject);
	X509_set_version(cert, X509_VERSION_3);
	ASN1_INTEGER_set(X509_get_serialNumber(cert), 4242);
	X509_NAME_add_entry_by_NID(subject, NID_commonName, MBSTRING_UTF8,
				   (const unsigned char *)name, -1, -1, 0);
	if (ou)
		X509_NAME_add_entry_by_NID(
		    subject, NID_organizationalUnitName, MBSTRING_UTF8,
		    (const unsigned char *)ou, -1, -1, 0);
	X509_set_subject_name(cert, subject);
	X509_set_issuer_name(cert, X509_get_subject_name(ca));
	X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
	X509_gmtime_adj(X509_getm_notAfter(cert), 86400);
	X509_set_pubkey(cert, key);
	X509V3_set_ctx(&v3, ca, cert, NULL, NULL, 0);
	for (size_t i = 0; i <= sizeof(exts) / sizeof(exts[0]); i++) {
		ext = i < sizeof(exts) / sizeof(exts[0])
			  ? X509V3_EXT_conf_nid(NULL, &v3, exts[i].nid,
						exts[i].value)
			  : X509V3_EXT_conf_nid(NULL, &v3, NID_ext_key_usage,
						eku);
		CU_ASSERT_PTR_NOT_NULL_FATAL(ext);
		X509_add_ext(cert, ext, -1);
		X509_EXTENSION_free(ext);
	}
	CU_ASSERT_FATAL(X509_sign(cert, ca_key, EVP_sha256()) > 0);
	mkdir(at("forged"), 0700);
	fp = fopen(at("forged/%s.crt", name), "w");
	CU_ASSERT_FATAL(fp && PEM_write_X509(fp, cert));
	fclose(fp);
	fp = fopen(at("forged/%s.key", name), "w");
	CU_ASSERT_FATAL(
	    fp && PEM_write_PrivateKey(fp, key, NULL, NULL, 0, NULL, NULL));
	fclose(fp);
	X509_NAME_free(subject);
	X509_free(cert);
	X509_free(ca);
	EVP_PKEY_free(key);
	EVP_PKEY_free(ca_key);
}

/* Whether node1 takes a client with forged/NAME's certificate, and as
 * which role. */
static int forged_handshake(const char *name, enum ca_role *role_r)
{
	struct server sv;
	int fd;

	server_start(&sv, srv_node1, 0, &fd);
	CU_ASSERT_EQUAL(raw_client(fd, at("forged/%s.crt", name),
				   at("forged/%s.key", name), TLS1_3_VERSION),
			0);
	server_wait(&sv);
	*role_r = sv.peer_role;
	return sv.rc;
}

/* A certificate must name one role, and only a node's may serve. */
static void test_refuse_roleless(void)
{
	enum ca_role role = CA_ROLE_COUNT;

	forge("plain", "operator", "clientAuth");
	CU_ASSERT_EQUAL(forged_handshake("plain", &role), BL_OK);
	CU_ASSERT_EQUAL(role, CA_ROLE_OPERATOR);
	forge("old", NULL, "clientAuth");
	CU_ASSERT_EQUAL(forged_handshake("old", &role), BL_ERR_AUTH);
	forge("boss", "root", "clientAuth");
	CU_ASSERT_EQUAL(forged_handshake("boss", &role), BL_ERR_AUTH);
	forge("server", "operator", "serverAuth,clientAuth");
	CU_ASSERT_EQUAL(forged_handshake("server", &role), BL_ERR_AUTH);
	forge("half", "node", "clientAuth");
	CU_ASSERT_EQUAL(forged_handshake("half", &role), BL_ERR_AUTH);
}

/* Revoked identities are refused in the handshake once a node loads the
 * CRL; renewing gives a new identity like the last. */
static void test_revocation(void)
{
	struct tls_ctx *srv = NULL, *ctx = NULL;
	struct ca_record *recs = NULL;
	struct server sv;
	int count = 0, rita = 0, fd;
	size_t n = 0;

	CU_ASSERT_EQUAL_FATAL(issue("ca", "rita", CA_ROLE_OPERATOR, "rev"),
			      BL_OK);
	CU_ASSERT_EQUAL_FATAL(issue("ca", "node3", CA_ROLE_NODE, "rev"), BL_OK);
	CU_ASSERT_EQUAL(ca_revoke(at("ca"), "nobody", &count), BL_ERR_NOTFOUND);
	CU_ASSERT_EQUAL(ca_revoke(at("ca"), "rita", &count), BL_OK);
	CU_ASSERT_EQUAL(count, 1);
	CU_ASSERT_EQUAL(ca_index_read(at("ca"), &recs, &n), BL_OK);
	for (size_t i = 0; i < n; i++) {
		rita += !strcmp(recs[i].name, "rita");
		CU_ASSERT_EQUAL(recs[i].revoked, !strcmp(recs[i].name, "rita"));
	}
	CU_ASSERT_EQUAL(rita, 1);
	CU_ASSERT_TRUE(n >= 5);
	free(recs);
	CU_ASSERT_EQUAL_FATAL(
	    tls_ctx_new(TLS_SERVER, at("id/ca.crt"), at("id/node1.crt"),
			at("id/node1.key"), at("ca/crl.pem"), &srv),
	    BL_OK);
	server_start(&sv, srv, 0, &fd);
	CU_ASSERT_EQUAL(raw_client(fd, at("rev/rita.crt"), at("rev/rita.key"),
				   TLS1_3_VERSION),
			0);
	server_wait(&sv);
	CU_ASSERT_EQUAL(sv.rc, BL_ERR_AUTH);
	server_start(&sv, srv, 0, &fd);
	CU_ASSERT_EQUAL(raw_client(fd, at("id/victor.crt"), at("id/victor.key"),
				   TLS1_3_VERSION),
			0);
	server_wait(&sv);
	CU_ASSERT_EQUAL(sv.rc, BL_OK);
	/* A revoked node cannot even start. */
	CU_ASSERT_EQUAL(ca_revoke(at("ca"), "node3", &count), BL_OK);
	CU_ASSERT_EQUAL(tls_ctx_new(TLS_SERVER, at("id/ca.crt"),
				    at("rev/node3.crt"), at("rev/node3.key"),
				    at("ca/crl.pem"), &ctx),
			BL_ERR_AUTH);
	CU_ASSERT_PTR_NULL(ctx);
	/* Renewed: a new key, the same role, accepted. */
	CU_ASSERT_EQUAL(ca_renew(at("ca"), "rita", 0, at("rev")),
			BL_ERR_NOTFOUND);
	CU_ASSERT_EQUAL(ca_renew(at("ca"), "victor", 5, at("rev")), BL_OK);
	server_start(&sv, srv, 0, &fd);
	CU_ASSERT_EQUAL(raw_client(fd, at("rev/victor.crt"),
				   at("rev/victor.key"), TLS1_3_VERSION),
			0);
	server_wait(&sv);
	CU_ASSERT_EQUAL(sv.rc, BL_OK);
	CU_ASSERT_EQUAL(sv.peer_role, CA_ROLE_VIEWER);
	CU_ASSERT_EQUAL(ca_renew(at("ca"), "victor", 5, at("rev")), BL_OK);
	tls_ctx_free(srv);
}

static void test_ca_cert(void)
{
	X509 *ca = load(at("ca/ca.crt"));
	int crit = -1, days = 0, secs = 0;
	char cn[80] = "";
	BASIC_CONSTRAINTS *bc;

	CU_ASSERT_PTR_NOT_NULL_FATAL(ca);
	bc = X509_get_ext_d2i(ca, NID_basic_constraints, &crit, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(bc);
	CU_ASSERT_TRUE(bc->ca);
	CU_ASSERT_EQUAL(crit, 1);
	BASIC_CONSTRAINTS_free(bc);
	CU_ASSERT_EQUAL(X509_get_key_usage(ca), KU_KEY_CERT_SIGN | KU_CRL_SIGN);
	CU_ASSERT_EQUAL(X509_get_version(ca), X509_VERSION_3);
	X509_NAME_get_text_by_NID(X509_get_subject_name(ca), NID_commonName, cn,
				  sizeof(cn));
	CU_ASSERT_STRING_EQUAL(cn, "Blanket cluster CA test");
	CU_ASSERT_EQUAL(X509_check_issued(ca, ca), X509_V_OK);
	ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(ca),
		       X509_get0_notAfter(ca));
	CU_ASSERT_EQUAL(days, CA_CA_DAYS);
	X509_free(ca);
}

static void test_issued_certs(void)
{
	X509 *ca = load(at("ca/ca.crt")), *node = load(at("id/node1.crt"));
	X509 *client = load(at("id/alice.crt")), *copy = load(at("id/ca.crt"));
	BIGNUM *bn;
	int days = 0, secs = 0;
	mode_t mask = umask(022);
	struct stat st;

	umask(mask);
	CU_ASSERT_FATAL(ca && node && client && copy);
	CU_ASSERT_EQUAL(X509_cmp(ca, copy), 0);
	CU_ASSERT_EQUAL(X509_check_issued(ca, node), X509_V_OK);
	CU_ASSERT_EQUAL(X509_get_extended_key_usage(node),
			XKU_SSL_SERVER | XKU_SSL_CLIENT);
	CU_ASSERT_EQUAL(X509_get_extended_key_usage(client), XKU_SSL_CLIENT);
	CU_ASSERT_EQUAL(X509_check_host(node, "node1", 0, 0, NULL), 1);
	CU_ASSERT_EQUAL(X509_check_host(node, "node2", 0, 0, NULL), 0);
	CU_ASSERT_EQUAL(X509_check_ip_asc(node, "127.0.0.1", 0), 1);
	CU_ASSERT_EQUAL(X509_check_ip_asc(node, "fd00::1", 0), 1);
	CU_ASSERT_PTR_NULL(
	    X509_get_ext_d2i(client, NID_subject_alt_name, NULL, NULL));
	bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(node), NULL);
	CU_ASSERT_EQUAL(BN_num_bits(bn), 128);
	BN_free(bn);
	ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(node),
		       X509_get0_notAfter(node));
	CU_ASSERT_EQUAL(days, CA_NODE_DAYS);
	CU_ASSERT_EQUAL(ou_of(node), CA_ROLE_NODE);
	CU_ASSERT_EQUAL(ou_of(client), CA_ROLE_OPERATOR);
	ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(client),
		       X509_get0_notAfter(client));
	CU_ASSERT_EQUAL(days, CA_CLIENT_DAYS);
	CU_ASSERT_EQUAL(stat(at("id/node1.key"), &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 0777, 0600);
	CU_ASSERT_EQUAL(stat(at("ca/ca.key"), &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 0777, 0600);
	CU_ASSERT_EQUAL(stat(at("id/node1.crt"), &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 0777, 0644 & ~mask);
	X509_free(ca);
	X509_free(node);
	X509_free(client);
	X509_free(copy);
}

static void test_mutual_handshake(void)
{
	struct server sv;
	struct bl_stream s, plain;
	char buf[5];
	int fd;

	server_start(&sv, srv_node1, 5, &fd);
	CU_ASSERT_EQUAL_FATAL(tls_connect(cli_alice, fd, "node1",
					  fdio_now_ms() + DEADLINE_MS, &s),
			      BL_OK);
	CU_ASSERT_STRING_EQUAL(tls_peer_name(&s), "node1");
	CU_ASSERT_EQUAL(tls_peer_role(&s), CA_ROLE_NODE);
	s.deadline_ms = fdio_now_ms() + DEADLINE_MS;
	CU_ASSERT_EQUAL(stream_write(&s, "hello", 5), BL_OK);
	CU_ASSERT_EQUAL(stream_read(&s, buf, 2), BL_OK);
	/* The rest of the record is in OpenSSL's hands, not the socket's. */
	CU_ASSERT_TRUE(stream_pending(&s));
	CU_ASSERT_EQUAL(stream_read(&s, buf + 2, 3), BL_OK);
	CU_ASSERT_EQUAL(memcmp(buf, "hello", 5), 0);
	/* The server closed with close_notify: a clean end of stream. (Read
	 * ahead with the data or not, depending on timing: what is pending
	 * now is not asserted.) */
	CU_ASSERT_EQUAL(stream_read(&s, buf, 1), BL_ERR_EOF);
	stream_close(&s);
	stream_close(&s);
	server_wait(&sv);
	CU_ASSERT_EQUAL(sv.rc, BL_OK);
	CU_ASSERT_EQUAL(sv.io_rc, BL_OK);
	CU_ASSERT_STRING_EQUAL(sv.peer, "alice");
	CU_ASSERT_EQUAL(sv.peer_role, CA_ROLE_OPERATOR);

	/* A node calling a node, by no particular name. */
	server_start(&sv, srv_node1, 0, &fd);
	CU_ASSERT_EQUAL(
	    tls_connect(cli_node2, fd, NULL, fdio_now_ms() + DEADLINE_MS, &s),
	    BL_OK);
	stream_close(&s);
	server_wait(&sv);
	CU_ASSERT_EQUAL(sv.rc, BL_OK);
	CU_ASSERT_STRING_EQUAL(sv.peer, "node2");
	CU_ASSERT_EQUAL(sv.peer_role, CA_ROLE_NODE);

	/* A viewer. */
	server_start(&sv, srv_node1, 0, &fd);
	CU_ASSERT_EQUAL(raw_client(fd, at("id/victor.crt"), at("id/victor.key"),
				   TLS1_3_VERSION),
			0);
	server_wait(&sv);
	CU_ASSERT_EQUAL(sv.rc, BL_OK);
	CU_ASSERT_STRING_EQUAL(sv.peer, "victor");
	CU_ASSERT_EQUAL(sv.peer_role, CA_ROLE_VIEWER);

	stream_fd_init(&plain, -1);
	CU_ASSERT_PTR_NULL(tls_peer_name(&plain));
	CU_ASSERT_EQUAL(tls_peer_role(&plain), CA_ROLE_COUNT);
}

static void test_big_transfer(void)
{
	unsigned char *out = malloc(BIG_LEN), *in = malloc(BIG_LEN);
	struct server sv;
	struct bl_stream s;
	int fd;

	CU_ASSERT_FATAL(out && in);
	for (size_t i = 0; i < BIG_LEN; i++)
		out[i] = (unsigned char)(i * 7 + i / 251);
	server_start(&sv, srv_node1, BIG_LEN, &fd);
	CU_ASSERT_EQUAL_FATAL(tls_connect(cli_alice, fd, "node1",
					  fdio_now_ms() + DEADLINE_MS, &s),
			      BL_OK);
	s.deadline_ms = fdio_now_ms() + DEADLINE_MS;
	CU_ASSERT_EQUAL(stream_write(&s, out, BIG_LEN), BL_OK);
	CU_ASSERT_EQUAL(stream_read(&s, in, BIG_LEN), BL_OK);
	CU_ASSERT_EQUAL(memcmp(in, out, BIG_LEN), 0);
	stream_close(&s);
	server_wait(&sv);
	CU_ASSERT_EQUAL(sv.rc, BL_OK);
	CU_ASSERT_EQUAL(sv.io_rc, BL_OK);
	free(out);
	free(in);
}

static void test_refuse_no_cert(void)
{
	struct server sv;
	int fd;

	server_start(&sv, srv_node1, 1, &fd);
	CU_ASSERT_EQUAL(raw_client(fd, NULL, NULL, TLS1_3_VERSION), 0);
	server_wait(&sv);
	CU_ASSERT_EQUAL(sv.rc, BL_ERR_AUTH);
}

static void test_refuse_other_ca(void)
{
	struct tls_ctx *ctx = NULL;
	struct server sv;
	int fd;

	/* Trusting our CA, mallory presents a certificate from another. */
	server_start(&sv, srv_node1, 1, &fd);
	CU_ASSERT_EQUAL(raw_client(fd, at("other-id/mallory.crt"),
				   at("other-id/mallory.key"), TLS1_3_VERSION),
			0);
	server_wait(&sv);
	CU_ASSERT_EQUAL(sv.rc, BL_ERR_AUTH);
	/* A self-signed certificate is just another CA. */
	server_start(&sv, srv_node1, 1, &fd);
	CU_ASSERT_EQUAL(raw_client(fd, at("other-ca/ca.crt"),
				   at("other-ca/ca.key"), TLS1_3_VERSION),
			0);
	server_wait(&sv);
	CU_ASSERT_EQUAL(sv.rc, BL_ERR_AUTH);
	/* Ours refuse to even set it up. */
	CU_ASSERT_EQUAL(tls_ctx_new(TLS_CLIENT, at("id/ca.crt"),
				    at("other-id/mallory.crt"),
				    at("other-id/mallory.key"), NULL, &ctx),
			BL_ERR_AUTH);
	CU_ASSERT_PTR_NULL(ctx);
}

static void test_refuse_wrong_node(void)
{
	struct server sv;
	struct bl_stream s = {.ops = NULL};
	int fd;

	server_start(&sv, srv_node1, 1, &fd);
	CU_ASSERT_EQUAL(tls_connect(cli_alice, fd, "node2",
				    fdio_now_ms() + DEADLINE_MS, &s),
			BL_ERR_AUTH);
	CU_ASSERT_PTR_NULL(s.ops);
	server_wait(&sv);
	CU_ASSERT_NOT_EQUAL(sv.rc, BL_OK);
}

/* A client certificate of the cluster cannot stand in for a node. */
static void test_refuse_client_as_server(void)
{
	struct raw_server rs = {.cert = at("id/alice.crt")};
	struct bl_stream s;
	int sp[2];

	rs.key = at("id/alice.key");
	CU_ASSERT_EQUAL_FATAL(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
	rs.fd = sp[0];
	CU_ASSERT_EQUAL_FATAL(
	    pthread_create(&rs.thread, NULL, raw_server_main, &rs), 0);
	CU_ASSERT_EQUAL(tls_connect(cli_node2, sp[1], NULL,
				    fdio_now_ms() + DEADLINE_MS, &s),
			BL_ERR_AUTH);
	CU_ASSERT_EQUAL(pthread_join(rs.thread, NULL), 0);
}

/* alice, with plain OpenSSL up to max_version, against node1's server:
 * the bytes she reads back and the server's tls_accept() result. */
static void alice_raw_to_node1(int max_version, int want_got, int want_rc)
{
	struct server sv;
	int fd;

	server_start(&sv, srv_node1, 1, &fd);
	CU_ASSERT_EQUAL(
	    raw_client(fd, at("id/alice.crt"), at("id/alice.key"), max_version),
	    want_got);
	server_wait(&sv);
	CU_ASSERT_EQUAL(sv.rc, want_rc);
}

static void test_refuse_tls12(void)
{
	alice_raw_to_node1(TLS1_2_VERSION, 0, BL_ERR_VERSION);
}

/* Our server picks AES-128-GCM, the cheapest suite to encrypt guest
 * memory with, even for a client that offers AES-256-GCM first. */
static void test_suite_choice(void)
{
	alice_raw_to_node1(TLS1_3_VERSION, 1, BL_OK);
	CU_ASSERT_STRING_EQUAL(raw_cipher, "TLS_AES_128_GCM_SHA256");
}

/* A peer that connects and says nothing costs the deadline, no more. */
static void test_silent_peer(void)
{
	struct bl_stream s;
	int64_t start;
	int sp[2];

	CU_ASSERT_EQUAL_FATAL(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
	start = fdio_now_ms();
	CU_ASSERT_EQUAL(tls_accept(srv_node1, sp[0], start + 150, &s),
			BL_ERR_TIMEOUT);
	CU_ASSERT(fdio_now_ms() - start >= 150);
	CU_ASSERT(fdio_now_ms() - start < 1000);
	close(sp[1]);

	CU_ASSERT_EQUAL_FATAL(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
	start = fdio_now_ms();
	CU_ASSERT_EQUAL(tls_connect(cli_alice, sp[0], "node1", start + 150, &s),
			BL_ERR_TIMEOUT);
	CU_ASSERT(fdio_now_ms() - start < 1000);
	close(sp[1]);
}

static void test_bad_identities(void)
{
	struct tls_ctx *ctx = NULL;

	/* A client certificate cannot serve. */
	CU_ASSERT_EQUAL(ctx_for(TLS_SERVER, "id", "alice", &ctx), BL_ERR_AUTH);
	CU_ASSERT_EQUAL(tls_ctx_new(TLS_CLIENT, at("id/ca.crt"),
				    at("id/alice.crt"), at("id/node2.key"),
				    NULL, &ctx),
			BL_ERR_INVAL);
	CU_ASSERT_EQUAL(ctx_for(TLS_CLIENT, "id", "nobody", &ctx),
			BL_ERR_NOTFOUND);
	CU_ASSERT_PTR_NULL(ctx);
}

static void test_never_overwrite(void)
{
	struct stat before, after;
	int fd;

	/* An existing key stays as it was, and nothing is added. */
	CU_ASSERT_EQUAL_FATAL(stat(at("id/node1.key"), &before), 0);
	CU_ASSERT_EQUAL(issue("ca", "node1", CA_ROLE_NODE, "id"), BL_ERR_IO);
	CU_ASSERT_EQUAL_FATAL(stat(at("id/node1.key"), &after), 0);
	CU_ASSERT_EQUAL(before.st_ino, after.st_ino);
	CU_ASSERT_EQUAL(before.st_size, after.st_size);
	CU_ASSERT_EQUAL(before.st_mtim.tv_nsec, after.st_mtim.tv_nsec);

	/* A certificate without its key: refused, and no key left behind. */
	CU_ASSERT_EQUAL_FATAL(mkdir(at("bob"), 0700), 0);
	fd = open(at("bob/bob.crt"), O_WRONLY | O_CREAT | O_EXCL, 0644);
	CU_ASSERT_EQUAL_FATAL(write(fd, "mine", 4), 4);
	close(fd);
	CU_ASSERT_EQUAL(issue("ca", "bob", CA_ROLE_VIEWER, "bob"), BL_ERR_IO);
	CU_ASSERT_TRUE(file_is(at("bob/bob.crt"), "mine"));
	CU_ASSERT_FALSE(exists(at("bob/bob.key")));
	CU_ASSERT_FALSE(exists(at("bob/ca.crt")));

	/* Another CA's certificate is not replaced by ours. */
	CU_ASSERT_EQUAL(issue("other-ca", "eve", CA_ROLE_VIEWER, "id"),
			BL_ERR_INVAL);
	CU_ASSERT_FALSE(exists(at("id/eve.key")));

	CU_ASSERT_EQUAL(ca_init(at("ca"), "test"), BL_ERR_IO);
	CU_ASSERT_EQUAL(issue("nope", "carol", CA_ROLE_VIEWER, "carol"),
			BL_ERR_NOTFOUND);
}

static void test_bad_names(void)
{
	static const char *const bad[] = {
	    "",	      "-node",	"Node1",    "node_1",
	    "node.1", "node 1", "n\x1b[2J", "nöde",
	};
	char too_long[CA_NAME_MAX + 2];
	struct ca_request req;

	memset(too_long, 'a', CA_NAME_MAX + 1);
	too_long[CA_NAME_MAX + 1] = '\0';
	CU_ASSERT_EQUAL(ca_check_name("name", too_long), BL_ERR_INVAL);
	CU_ASSERT_EQUAL(ca_check_name("name", too_long + 1), BL_OK);
	too_long[CA_CLUSTER_MAX + 1] = '\0';
	CU_ASSERT_EQUAL(ca_check_cluster(too_long), BL_ERR_INVAL);
	CU_ASSERT_EQUAL(ca_check_cluster(too_long + 1), BL_OK);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CU_ASSERT_EQUAL(ca_check_name("name", bad[i]), BL_ERR_INVAL);
	CU_ASSERT_EQUAL(ca_check_name("name", "a"), BL_OK);
	CU_ASSERT_EQUAL(ca_check_name("name", "node-1"), BL_OK);
	CU_ASSERT_EQUAL(ca_init(at("bad-ca"), "Bad"), BL_ERR_INVAL);
	CU_ASSERT_FALSE(exists(at("bad-ca")));

	ca_request_init(&req);
	req.name = "-x";
	CU_ASSERT_EQUAL(ca_issue(at("ca"), &req, at("bad")), BL_ERR_INVAL);
	req.name = "ca";
	CU_ASSERT_EQUAL(ca_issue(at("ca"), &req, at("bad")), BL_ERR_INVAL);
	req.name = "x";
	req.days = -1;
	CU_ASSERT_EQUAL(ca_issue(at("ca"), &req, at("bad")), BL_ERR_INVAL);
	req.days = CA_MAX_DAYS + 1;
	CU_ASSERT_EQUAL(ca_issue(at("ca"), &req, at("bad")), BL_ERR_INVAL);
	req.days = 0;
	req.role = CA_ROLE_COUNT;
	CU_ASSERT_EQUAL(ca_issue(at("ca"), &req, at("bad")), BL_ERR_INVAL);
	req.role = CA_ROLE_OPERATOR;
	req.ips[req.n_ips++] = "10.0.0.1";
	CU_ASSERT_EQUAL(ca_issue(at("ca"), &req, at("bad")), BL_ERR_INVAL);
	req.role = CA_ROLE_NODE;
	req.ips[0] = "10.0.0.1,DNS:evil";
	CU_ASSERT_EQUAL(ca_issue(at("ca"), &req, at("bad")), BL_ERR_INVAL);
	CU_ASSERT_FALSE(exists(at("bad")));
	CU_ASSERT_EQUAL(ca_check_ip("--ip", "fe80::1"), BL_OK);
	CU_ASSERT_EQUAL(ca_check_ip("--ip", "1.2.3"), BL_ERR_INVAL);
}

void suite_tls(void)
{
	CU_pSuite s = CU_add_suite("tls and cluster CA", tls_suite_init,
				   tls_suite_cleanup);

	CU_add_test(s, "CA certificate", test_ca_cert);
	CU_add_test(s, "node and client certificates", test_issued_certs);
	CU_add_test(s, "mutual handshake and peer names",
		    test_mutual_handshake);
	CU_add_test(s, "1 MiB round trip", test_big_transfer);
	CU_add_test(s, "client without certificate refused",
		    test_refuse_no_cert);
	CU_add_test(s, "client from another CA refused", test_refuse_other_ca);
	CU_add_test(s, "certificate without one role refused",
		    test_refuse_roleless);
	CU_add_test(s, "revoked identities refused; renewal", test_revocation);
	CU_add_test(s, "server with the wrong name refused",
		    test_refuse_wrong_node);
	CU_add_test(s, "client certificate cannot serve",
		    test_refuse_client_as_server);
	CU_add_test(s, "TLS 1.2 refused", test_refuse_tls12);
	CU_add_test(s, "AES-128-GCM chosen", test_suite_choice);
	CU_add_test(s, "silent peer times out", test_silent_peer);
	CU_add_test(s, "wrong identity files refused", test_bad_identities);
	CU_add_test(s, "never overwrite", test_never_overwrite);
	CU_add_test(s, "bad names rejected", test_bad_names);
}
