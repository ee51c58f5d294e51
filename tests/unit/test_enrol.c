/* Enrolment (toolstack/tls/enrol.c, enrol_token.c): tokens, their text
 * and lifetime, the codec, a node and a server talking over a socketpair
 * (the server's checks and refusals), the pinned TLS handshake, and a
 * token spent by racing threads exactly once. */
#include <CUnit/CUnit.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "tests/unit/scratch.h"
#include "tests/unit/suites.h"
#include "toolstack/common/fdio.h"
#include "toolstack/common/frame.h"
#include "toolstack/common/path.h"
#include "toolstack/common/stream_mem.h"
#include "toolstack/tls/enrol.h"
#include "toolstack/tls/tls.h"

#define DEADLINE_MS 5000
#define NOW	    1800000000 /* 2027-01-15 */
#define RACERS	    8
#define RACES	    20

static char tmp[SCRATCH_DIR_MAX];
static struct enrol_server srv;

#define at(...) scratch_path(tmp, __VA_ARGS__)

static int enrol_suite_init(void)
{
	signal(SIGPIPE, SIG_IGN);
	if (scratch_dir_make(tmp, "enrol") || ca_init(at("ca"), "enroltest") ||
	    ca_init(at("other-ca"), "other") ||
	    ca_signer_open(at("ca"), &srv.ca))
		return -1;
	srv.peers = "node node1 10.99.0.1:7400\n";
	return 0;
}

static int enrol_suite_cleanup(void)
{
	ca_signer_close(&srv.ca);
	return path_remove_tree(tmp);
}

/* A token for name (with one address) from the suite's CA, made at now. */
static struct enrol_token new_token(const char *name, int64_t now)
{
	struct enrol_grant g = {.n_ips = 1};
	struct enrol_token t;

	snprintf(g.name, sizeof(g.name), "%s", name);
	snprintf(g.ips[0], sizeof(g.ips[0]), "10.99.0.7");
	CU_ASSERT_EQUAL(enrol_token_create(at("ca"), &g, 3600, now, &t), BL_OK);
	return t;
}

static void test_token_text(void)
{
	struct enrol_token t = new_token("node7", NOW), back;
	char text[ENROL_TOKEN_LEN + 1], bad[ENROL_TOKEN_LEN + 2];
	char pin[CA_PIN_LEN + 1];

	enrol_token_format(&t, text);
	CU_ASSERT_EQUAL(strlen(text), ENROL_TOKEN_LEN);
	CU_ASSERT_EQUAL(strncmp(text, "bl1-", 4), 0);
	CU_ASSERT_EQUAL(enrol_token_parse("--token", text, &back), BL_OK);
	CU_ASSERT_STRING_EQUAL(back.id, t.id);
	CU_ASSERT_STRING_EQUAL(back.secret, t.secret);
	/* The pin is the CA certificate's hash. */
	CU_ASSERT_EQUAL(ca_pin(srv.ca.cert, pin), BL_OK);
	CU_ASSERT_STRING_EQUAL(back.pin, pin);

	snprintf(bad, sizeof(bad), "%s", text);
	bad[5] = 'A'; /* upper case */
	CU_ASSERT_EQUAL(enrol_token_parse("--token", bad, &back), BL_ERR_INVAL);
	snprintf(bad, sizeof(bad), "%sf", text); /* one digit more */
	CU_ASSERT_EQUAL(enrol_token_parse("--token", bad, &back), BL_ERR_INVAL);
	snprintf(bad, sizeof(bad), "%s", text);
	bad[0] = 'x';
	CU_ASSERT_EQUAL(enrol_token_parse("--token", bad, &back), BL_ERR_INVAL);
	snprintf(bad, sizeof(bad), "%s", text);
	bad[4 + ENROL_ID_LEN] = '.';
	CU_ASSERT_EQUAL(enrol_token_parse("--token", bad, &back), BL_ERR_INVAL);
	CU_ASSERT_EQUAL(enrol_token_parse("--token", "", &back), BL_ERR_INVAL);
}

static void test_ttl(void)
{
	static const struct {
		const char *s;
		int seconds; /* -1: refused */
	} cases[] = {
	    {"1h", 3600},  {"60", 60},	   {"60s", 60},
	    {"90m", 5400}, {"7d", 604800}, {"604800", 604800},
	    {"8d", -1},	   {"59s", -1},	   {"1x", -1},
	    {"", -1},	   {"-1h", -1},	   {"h", -1},
	    {"1h5", -1},   {"1hh", -1},	   {"99999999999d", -1},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int got = -1;
		int rc = enrol_ttl_parse("--ttl", cases[i].s, &got);

		CU_ASSERT_EQUAL(rc,
				cases[i].seconds < 0 ? BL_ERR_INVAL : BL_OK);
		if (cases[i].seconds >= 0)
			CU_ASSERT_EQUAL(got, cases[i].seconds);
	}
}

static void test_token_lifecycle(void)
{
	struct enrol_token t = new_token("node8", NOW);
	struct enrol_grant g;
	char err[256] = "", wrong[ENROL_SECRET_LEN + 1];
	struct enrol_grant bad = {.n_ips = 0};
	struct enrol_token unused;

	CU_ASSERT_EQUAL(enrol_token_check(at("ca"), t.id, t.secret, NOW + 10,
					  &g, err, sizeof(err)),
			BL_OK);
	CU_ASSERT_STRING_EQUAL(g.name, "node8");
	CU_ASSERT_EQUAL(g.n_ips, 1);
	CU_ASSERT_STRING_EQUAL(g.ips[0], "10.99.0.7");
	CU_ASSERT_EQUAL(g.expires, NOW + 3600);
	/* The record keeps no secret, only its hash. */
	{
		char text[4096];
		FILE *f = fopen(at("ca/tokens/%s", t.id), "r");
		size_t n = f ? fread(text, 1, sizeof(text) - 1, f) : 0;

		if (f)
			fclose(f);
		text[n] = '\0';
		CU_ASSERT_TRUE(n > 0);
		CU_ASSERT_PTR_NULL(strstr(text, t.secret));
	}

	snprintf(wrong, sizeof(wrong), "%s", t.secret);
	wrong[0] = wrong[0] == '0' ? '1' : '0';
	CU_ASSERT_EQUAL(
	    enrol_token_check(at("ca"), t.id, wrong, NOW, &g, err, sizeof(err)),
	    BL_ERR_DENIED);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "wrong secret"));
	CU_ASSERT_EQUAL(enrol_token_check(at("ca"), t.id, t.secret, NOW + 3600,
					  &g, err, sizeof(err)),
			BL_ERR_DENIED);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "expired"));
	CU_ASSERT_EQUAL(enrol_token_check(at("ca"), "0123456789abcdef",
					  t.secret, NOW, &g, err, sizeof(err)),
			BL_ERR_DENIED);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "no token"));
	CU_ASSERT_EQUAL(enrol_token_check(at("ca"), "../ca", t.secret, NOW, &g,
					  err, sizeof(err)),
			BL_ERR_DENIED);

	CU_ASSERT_EQUAL(enrol_token_spend(at("ca"), t.id, err, sizeof(err)),
			BL_OK);
	CU_ASSERT_EQUAL(enrol_token_check(at("ca"), t.id, t.secret, NOW, &g,
					  err, sizeof(err)),
			BL_ERR_DENIED);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "used already"));
	CU_ASSERT_EQUAL(enrol_token_spend(at("ca"), t.id, err, sizeof(err)),
			BL_ERR_DENIED);

	/* Bad grants make no token. */
	snprintf(bad.name, sizeof(bad.name), "Node");
	CU_ASSERT_EQUAL(enrol_token_create(at("ca"), &bad, 3600, NOW, &unused),
			BL_ERR_INVAL);
	snprintf(bad.name, sizeof(bad.name), "ok");
	bad.n_ips = 1;
	snprintf(bad.ips[0], sizeof(bad.ips[0]), "10.0.0.1,DNS:evil");
	CU_ASSERT_EQUAL(enrol_token_create(at("ca"), &bad, 3600, NOW, &unused),
			BL_ERR_INVAL);
	bad.n_ips = 0;
	CU_ASSERT_EQUAL(enrol_token_create(at("ca"), &bad, 59, NOW, &unused),
			BL_ERR_INVAL);
	CU_ASSERT_EQUAL(
	    enrol_token_create(at("nothing"), &bad, 3600, NOW, &unused),
	    BL_ERR_NOTFOUND);
}

static void test_codec(void)
{
	struct enrol_msg m = {.rec = {NULL}}, back;
	struct stream_mem mem;
	struct bl_stream s;
	char err[256];
	/* The header of version 1, then a csr record of 3 bytes. */
	uint8_t bad[] = {'B', 'L', 'E', 'N', 'R', 'O', 'L', 0, 0, 0, 0, 1,
			 0,   0,   0,	0,   0,	  0,   0,   2, 0, 0, 0, 3};

	m.rec[ENROL_REC_TOKEN] = strdup("id-secret");
	m.rec[ENROL_REC_CSR] = strdup("-----BEGIN CERTIFICATE REQUEST-----");
	stream_mem_init(&s, &mem);
	CU_ASSERT_EQUAL(enrol_write(&s, &m), BL_OK);
	CU_ASSERT_EQUAL(enrol_read(&s, true, &back, err, sizeof(err)), BL_OK);
	CU_ASSERT_STRING_EQUAL(back.rec[ENROL_REC_TOKEN], "id-secret");
	CU_ASSERT_STRING_EQUAL(back.rec[ENROL_REC_CSR],
			       "-----BEGIN CERTIFICATE REQUEST-----");
	enrol_msg_dispose(&back);
	/* A node's records are not a server's answer. */
	CU_ASSERT_EQUAL(enrol_write(&s, &m), BL_OK);
	CU_ASSERT_EQUAL(enrol_read(&s, false, &back, err, sizeof(err)),
			BL_ERR_PROTO);
	stream_close(&s);
	/* A request without its CSR is incomplete. */
	free(m.rec[ENROL_REC_CSR]);
	m.rec[ENROL_REC_CSR] = NULL;
	stream_mem_init(&s, &mem);
	CU_ASSERT_EQUAL(enrol_write(&s, &m), BL_OK);
	CU_ASSERT_EQUAL(enrol_read(&s, true, &back, err, sizeof(err)),
			BL_ERR_PROTO);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "incomplete"));
	stream_close(&s);
	/* Version 1 with a csr record holding a NUL. */
	stream_mem_init(&s, &mem);
	CU_ASSERT_EQUAL(stream_write(&s, bad, sizeof(bad)), BL_OK);
	CU_ASSERT_EQUAL(stream_write(&s, "x\0y\0\0\0\0\0", 8), BL_OK);
	CU_ASSERT_EQUAL(enrol_read(&s, true, &back, err, sizeof(err)),
			BL_ERR_PROTO);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "not text"));
	stream_close(&s);
	/* Another version. */
	bad[11] = 2;
	stream_mem_init(&s, &mem);
	CU_ASSERT_EQUAL(stream_write(&s, bad, FRAME_HEADER_LEN), BL_OK);
	CU_ASSERT_EQUAL(enrol_read(&s, true, &back, err, sizeof(err)),
			BL_ERR_VERSION);
	stream_close(&s);
	enrol_msg_dispose(&m);
}

/* The server's side of one exchange, on a thread. */
struct server {
	int fd;
	int rc;
	char log[BL_ERRMSG_MAX];
	pthread_t thread;
};

static void *server_main(void *arg)
{
	struct server *sv = arg;
	struct bl_stream s;

	stream_fd_init(&s, sv->fd);
	s.deadline_ms = fdio_now_ms() + DEADLINE_MS;
	sv->rc = enrol_answer(&srv, &s, NOW, sv->log, sizeof(sv->log));
	stream_close(&s);
	return NULL;
}

/* A node asks, with key and name, over a socketpair (no TLS: that is
 * test_pinned_tls's). */
static int ask(const struct enrol_token *t, const char *name, EVP_PKEY *key,
	       struct enrol_msg *reply, struct server *sv, char *err,
	       size_t errlen)
{
	struct bl_stream s;
	int sp[2], rc;

	memset(sv, 0, sizeof(*sv));
	CU_ASSERT_EQUAL_FATAL(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
	sv->fd = sp[0];
	CU_ASSERT_EQUAL_FATAL(
	    pthread_create(&sv->thread, NULL, server_main, sv), 0);
	stream_fd_init(&s, sp[1]);
	s.deadline_ms = fdio_now_ms() + DEADLINE_MS;
	rc = enrol_ask(&s, t, name, key, reply, err, errlen);
	stream_close(&s);
	CU_ASSERT_EQUAL(pthread_join(sv->thread, NULL), 0);
	return rc;
}

static void test_exchange(void)
{
	struct enrol_token t = new_token("node9", NOW);
	struct enrol_msg reply;
	struct server sv;
	EVP_PKEY *key = NULL, *p384 = EVP_EC_gen("P-384");
	char err[BL_ERRMSG_MAX] = "", pin[CA_PIN_LEN + 1];
	X509 *cert;
	GENERAL_NAMES *san;

	CU_ASSERT_EQUAL_FATAL(ca_new_key(&key), BL_OK);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p384);
	/* Another name than the token's, a key that is not P-256: refused,
	 * and the token is not spent by either. */
	CU_ASSERT_EQUAL(ask(&t, "node10", key, &reply, &sv, err, sizeof(err)),
			BL_ERR_DENIED);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "enrolment refused"));
	CU_ASSERT_PTR_NOT_NULL(strstr(sv.log, "names \"node10\""));
	CU_ASSERT_EQUAL(ask(&t, NULL, p384, &reply, &sv, err, sizeof(err)),
			BL_ERR_DENIED);
	CU_ASSERT_PTR_NOT_NULL(strstr(sv.log, "not P-256"));

	CU_ASSERT_EQUAL_FATAL(
	    ask(&t, "node9", key, &reply, &sv, err, sizeof(err)), BL_OK);
	CU_ASSERT_EQUAL(sv.rc, BL_OK);
	CU_ASSERT_PTR_NOT_NULL(strstr(sv.log, "enrolled node node9"));
	CU_ASSERT_STRING_EQUAL(reply.rec[ENROL_REC_PEERS], srv.peers);
	CU_ASSERT_PTR_NOT_NULL(
	    strstr(reply.rec[ENROL_REC_CRL], "-----BEGIN X509 CRL-----"));
	cert = ca_cert_from_text(reply.rec[ENROL_REC_CERT]);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cert);
	CU_ASSERT_EQUAL(X509_check_private_key(cert, key), 1);
	CU_ASSERT_EQUAL(X509_check_host(cert, "node9", 0, 0, NULL), 1);
	CU_ASSERT_EQUAL(X509_check_ip_asc(cert, "10.99.0.7", 0), 1);
	san = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
	CU_ASSERT_EQUAL(sk_GENERAL_NAME_num(san), 2);
	GENERAL_NAMES_free(san);
	CU_ASSERT_EQUAL(X509_verify(cert, X509_get0_pubkey(srv.ca.cert)), 1);
	X509_free(cert);
	cert = ca_cert_from_text(reply.rec[ENROL_REC_CA]);
	CU_ASSERT_EQUAL(ca_pin(cert, pin), BL_OK);
	CU_ASSERT_STRING_EQUAL(pin, t.pin);
	X509_free(cert);
	enrol_msg_dispose(&reply);

	/* Once. */
	CU_ASSERT_EQUAL(ask(&t, "node9", key, &reply, &sv, err, sizeof(err)),
			BL_ERR_DENIED);
	CU_ASSERT_PTR_NOT_NULL(strstr(sv.log, "used already"));
	/* The refusal tells the node nothing of which check failed. */
	CU_ASSERT_PTR_NULL(strstr(err, "used already"));

	/* A pin of another CA than the server's: the node refuses the
	 * answer. */
	t = new_token("node11", NOW);
	t.pin[0] = t.pin[0] == '0' ? '1' : '0';
	CU_ASSERT_EQUAL(ask(&t, NULL, key, &reply, &sv, err, sizeof(err)),
			BL_ERR_PROTO);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "another CA"));
	EVP_PKEY_free(key);
	EVP_PKEY_free(p384);
}

/* The TLS side: the node trusts the CA of its pin alone. */
struct tls_server {
	struct tls_ctx *ctx;
	int fd, rc;
	enum ca_role peer_role;
	pthread_t thread;
};

static void *tls_server_main(void *arg)
{
	struct tls_server *sv = arg;
	struct bl_stream s;

	sv->rc = tls_accept(sv->ctx, sv->fd, fdio_now_ms() + DEADLINE_MS, &s);
	if (!sv->rc) {
		sv->peer_role = tls_peer_role(&s);
		stream_close(&s);
	}
	return NULL;
}

static int pinned_handshake(struct tls_ctx *server, const char *pin,
			    const char *name, X509 **ca_r)
{
	struct tls_server sv = {.ctx = server, .peer_role = CA_ROLE_NODE};
	struct tls_ctx *client = NULL;
	struct bl_stream s;
	int sp[2], rc;

	CU_ASSERT_EQUAL_FATAL(tls_ctx_new_enrol_client(pin, &client), BL_OK);
	CU_ASSERT_EQUAL_FATAL(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
	sv.fd = sp[0];
	CU_ASSERT_EQUAL_FATAL(
	    pthread_create(&sv.thread, NULL, tls_server_main, &sv), 0);
	rc = tls_connect(client, sp[1], name, fdio_now_ms() + DEADLINE_MS, &s);
	if (!rc) {
		*ca_r = tls_peer_ca(&s);
		stream_close(&s);
	}
	CU_ASSERT_EQUAL(pthread_join(sv.thread, NULL), 0);
	if (!rc) {
		CU_ASSERT_EQUAL(sv.rc, BL_OK);
		CU_ASSERT_EQUAL(sv.peer_role, CA_ROLE_COUNT);
	}
	tls_ctx_free(client);
	return rc;
}

static void test_pinned_tls(void)
{
	struct ca_request req;
	struct tls_ctx *server = NULL;
	EVP_PKEY *key = NULL;
	X509 *cert = NULL, *ca = NULL;
	struct ca_signer other = {.cert = NULL};
	char pin[CA_PIN_LEN + 1], got[CA_PIN_LEN + 1],
	    other_pin[CA_PIN_LEN + 1];

	ca_request_init(&req);
	req.name = ENROL_SERVER_NAME;
	req.role = CA_ROLE_NODE;
	req.days = 1;
	CU_ASSERT_EQUAL_FATAL(ca_new_key(&key), BL_OK);
	CU_ASSERT_EQUAL_FATAL(ca_sign_key(&srv.ca, &req, key, &cert), BL_OK);
	CU_ASSERT_EQUAL_FATAL(
	    tls_ctx_new_enrol_server(srv.ca.cert, cert, key, &server), BL_OK);
	CU_ASSERT_EQUAL(ca_pin(srv.ca.cert, pin), BL_OK);

	CU_ASSERT_EQUAL(pinned_handshake(server, pin, ENROL_SERVER_NAME, &ca),
			BL_OK);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ca);
	CU_ASSERT_EQUAL(ca_pin(ca, got), BL_OK);
	CU_ASSERT_STRING_EQUAL(got, pin);
	X509_free(ca);
	/* Another CA's pin, or another server name: refused. */
	CU_ASSERT_EQUAL(ca_signer_open(at("other-ca"), &other), BL_OK);
	CU_ASSERT_EQUAL(ca_pin(other.cert, other_pin), BL_OK);
	ca_signer_close(&other);
	CU_ASSERT_EQUAL(
	    pinned_handshake(server, other_pin, ENROL_SERVER_NAME, &ca),
	    BL_ERR_AUTH);
	CU_ASSERT_EQUAL(pinned_handshake(server, pin, "node1", &ca),
			BL_ERR_AUTH);
	tls_ctx_free(server);
	X509_free(cert);
	EVP_PKEY_free(key);
}

/* Racing redemptions: RACERS threads spend one token at once. */
struct racer {
	const char *id;
	int rc;
	pthread_t thread;
};

static void *racer_main(void *arg)
{
	struct racer *r = arg;
	char err[256];

	r->rc = enrol_token_spend(at("ca"), r->id, err, sizeof(err));
	return NULL;
}

static void test_spent_once_under_races(void)
{
	for (int race = 0; race < RACES; race++) {
		struct enrol_token t = new_token("racer", NOW);
		struct racer r[RACERS];
		int won = 0;

		for (int i = 0; i < RACERS; i++) {
			r[i].id = t.id;
			CU_ASSERT_EQUAL_FATAL(pthread_create(&r[i].thread, NULL,
							     racer_main, &r[i]),
					      0);
		}
		for (int i = 0; i < RACERS; i++) {
			CU_ASSERT_EQUAL(pthread_join(r[i].thread, NULL), 0);
			CU_ASSERT(r[i].rc == BL_OK || r[i].rc == BL_ERR_DENIED);
			won += r[i].rc == BL_OK;
		}
		CU_ASSERT_EQUAL(won, 1);
	}
}

void suite_enrol(void)
{
	CU_pSuite s =
	    CU_add_suite("enrol", enrol_suite_init, enrol_suite_cleanup);

	CU_add_test(s, "token text", test_token_text);
	CU_add_test(s, "token lifetime", test_ttl);
	CU_add_test(s, "token checked, spent once, expires",
		    test_token_lifecycle);
	CU_add_test(s, "codec and its refusals", test_codec);
	CU_add_test(s, "node and server: checks, refusals, once",
		    test_exchange);
	CU_add_test(s, "pinned TLS: the token's CA only", test_pinned_tls);
	CU_add_test(s, "a token spent by racing threads once",
		    test_spent_once_under_races);
}
