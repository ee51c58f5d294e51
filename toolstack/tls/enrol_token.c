/* One-time enrolment tokens (enrol_token.h): the token text, and the
 * records in the CA's tokens folder.
 *
 * A record, CA_DIR/tokens/ID (mode 0600), lines of "KEY VALUE":
 *     name NAME
 *     expires SECONDS-SINCE-THE-EPOCH
 *     secret-sha256 HEX
 *     ip ADDRESS          (any number, up to CA_MAX_IPS)
 * Spent, it is renamed ID.spent; rename() makes a token redeemable once
 * even when two nodes present it at the same moment. */
#include "toolstack/tls/enrol_token.h"

#include <errno.h>
#include <stdbool.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "toolstack/common/durable.h"
#include "toolstack/common/log.h"
#include "toolstack/common/path.h"
#include "toolstack/tls/tls.h"

#define RECORD_MAX 4096
#define SPENT	   ".spent"

static int check_hex(const char *s, size_t len)
{
	if (strlen(s) != len)
		return BL_ERR_INVAL;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		      (s[i] >= 'a' && s[i] <= 'f')))
			return BL_ERR_INVAL;
	return BL_OK;
}

int enrol_check_id(const char *s)
{
	return check_hex(s, ENROL_ID_LEN);
}

int enrol_check_secret(const char *s)
{
	return check_hex(s, ENROL_SECRET_LEN);
}

int enrol_token_parse(const char *field, const char *s, struct enrol_token *t)
{
	const size_t pre = sizeof(ENROL_TOKEN_PREFIX) - 1;
	const char *id = s + pre, *secret = id + ENROL_ID_LEN + 1,
		   *pin = secret + ENROL_SECRET_LEN + 1;

	if (strlen(s) != ENROL_TOKEN_LEN ||
	    strncmp(s, ENROL_TOKEN_PREFIX, pre) != 0 ||
	    id[ENROL_ID_LEN] != '-' || secret[ENROL_SECRET_LEN] != '-') {
		log_warnx("%s: not a token of `blanket ca token` (bl1-, then "
			  "%d, %d and %d hex digits joined by -)",
			  field, ENROL_ID_LEN, ENROL_SECRET_LEN, CA_PIN_LEN);
		return BL_ERR_INVAL;
	}
	memcpy(t->id, id, ENROL_ID_LEN);
	t->id[ENROL_ID_LEN] = '\0';
	memcpy(t->secret, secret, ENROL_SECRET_LEN);
	t->secret[ENROL_SECRET_LEN] = '\0';
	memcpy(t->pin, pin, CA_PIN_LEN);
	t->pin[CA_PIN_LEN] = '\0';
	if (enrol_check_id(t->id) || enrol_check_secret(t->secret) ||
	    check_hex(t->pin, CA_PIN_LEN)) {
		log_warnx("%s: a token has lower-case hex digits only", field);
		return BL_ERR_INVAL;
	}
	return BL_OK;
}

void enrol_token_format(const struct enrol_token *t,
			char out[ENROL_TOKEN_LEN + 1])
{
	snprintf(out, ENROL_TOKEN_LEN + 1, "%s%s-%s-%s", ENROL_TOKEN_PREFIX,
		 t->id, t->secret, t->pin);
}

int enrol_ttl_parse(const char *field, const char *s, int *seconds_r)
{
	static const struct {
		char suffix;
		long unit;
	} units[] = {{'\0', 1}, {'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}};
	char *end = NULL;
	long n;

	errno = 0;
	n = s[0] >= '0' && s[0] <= '9' ? strtol(s, &end, 10) : -1;
	for (size_t i = 0;
	     n >= 0 && !errno && i < sizeof(units) / sizeof(units[0]); i++) {
		if (end[0] != units[i].suffix ||
		    (units[i].suffix && end[1] != '\0'))
			continue;
		if (n <= ENROL_TTL_MAX / units[i].unit &&
		    n * units[i].unit >= ENROL_TTL_MIN) {
			*seconds_r = (int)(n * units[i].unit);
			return BL_OK;
		}
		break;
	}
	log_warnx("%s \"%s\": want a time from 60s to 7d (N, Ns, Nm, Nh or "
		  "Nd)",
		  field, s);
	return BL_ERR_INVAL;
}

static void hex(const unsigned char *b, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
}

/* The secret as the record keeps it. */
static int secret_hash(const char *secret, char out[CA_PIN_LEN + 1])
{
	unsigned char md[32];
	unsigned int len = 0;

	if (!EVP_Digest(secret, strlen(secret), md, &len, EVP_sha256(), NULL) ||
	    len != sizeof(md)) {
		tls_log_ssl_errors("cannot hash a token");
		return BL_ERR_FAIL;
	}
	hex(md, len, out);
	return BL_OK;
}

static int tokens_dir(const char *ca_dir, char dir[PATH_MAX])
{
	return path_join(dir, PATH_MAX, ca_dir, ENROL_TOKEN_DIR);
}

int enrol_token_create(const char *ca_dir, struct enrol_grant *g, int ttl_s,
		       int64_t now, struct enrol_token *t_r)
{
	unsigned char id[ENROL_ID_LEN / 2], secret[ENROL_SECRET_LEN / 2];
	char ca_path[PATH_MAX], dir[PATH_MAX], hash[CA_PIN_LEN + 1];
	char text[RECORD_MAX];
	struct enrol_token t;
	X509 *ca = NULL;
	size_t len;
	int rc;

	if (ttl_s < ENROL_TTL_MIN || ttl_s > ENROL_TTL_MAX) {
		log_warnx("token lifetime %d s: want %d s to %d s", ttl_s,
			  ENROL_TTL_MIN, ENROL_TTL_MAX);
		return BL_ERR_INVAL;
	}
	rc = ca_check_name("NAME", g->name);
	if (!rc && !strcmp(g->name, "ca")) {
		log_warnx("name \"ca\": taken by the CA's own files");
		rc = BL_ERR_INVAL;
	}
	for (int i = 0; !rc && i < g->n_ips; i++)
		rc = ca_check_ip("--ip", g->ips[i]);
	if (rc)
		return rc;
	rc = path_join(ca_path, sizeof(ca_path), ca_dir, CA_CERT_FILE) ?:
	     tokens_dir(ca_dir, dir) ?: ca_load_cert(ca_path, &ca);
	if (!rc)
		rc = ca_pin(ca, t.pin);
	X509_free(ca);
	if (rc)
		return rc;
	if (RAND_bytes(id, sizeof(id)) != 1 ||
	    RAND_bytes(secret, sizeof(secret)) != 1) {
		tls_log_ssl_errors("cannot make a token");
		return BL_ERR_FAIL;
	}
	hex(id, sizeof(id), t.id);
	hex(secret, sizeof(secret), t.secret);
	rc = secret_hash(t.secret, hash);
	if (rc)
		return rc;
	g->expires = now + ttl_s;
	len =
	    (size_t)snprintf(text, sizeof(text),
			     "# an enrolment token (docs/security.md)\n"
			     "name %s\nexpires %" PRId64 "\nsecret-sha256 %s\n",
			     g->name, g->expires, hash);
	for (int i = 0; i < g->n_ips; i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len,
					"ip %s\n", g->ips[i]);
	rc = durable_write(dir, t.id, text);
	if (!rc)
		*t_r = t;
	return rc;
}

/* One record's text into g and its secret's hash; BL_ERR_INVAL when it is
 * not one `blanket ca token` wrote. */
static int parse_record(char *text, struct enrol_grant *g,
			char hash[CA_PIN_LEN + 1])
{
	char *save = NULL;
	bool name = false, expires = false, secret = false;

	memset(g, 0, sizeof(*g));
	for (char *line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *value = strchr(line, ' ');
		char *end = NULL;

		if (line[0] == '#')
			continue;
		if (!value)
			return BL_ERR_INVAL;
		*value++ = '\0';
		if (!strcmp(line, "name") && strlen(value) < sizeof(g->name)) {
			snprintf(g->name, sizeof(g->name), "%s", value);
			name = true;
		} else if (!strcmp(line, "expires")) {
			errno = 0;
			g->expires = strtoll(value, &end, 10);
			if (errno || end == value || *end)
				return BL_ERR_INVAL;
			expires = true;
		} else if (!strcmp(line, "secret-sha256") &&
			   !check_hex(value, CA_PIN_LEN)) {
			snprintf(hash, CA_PIN_LEN + 1, "%s", value);
			secret = true;
		} else if (!strcmp(line, "ip") && g->n_ips < CA_MAX_IPS &&
			   strlen(value) < ENROL_IP_MAX) {
			snprintf(g->ips[g->n_ips++], ENROL_IP_MAX, "%s", value);
		} else {
			return BL_ERR_INVAL;
		}
	}
	return name && expires && secret ? BL_OK : BL_ERR_INVAL;
}

int enrol_token_check(const char *ca_dir, const char *id, const char *secret,
		      int64_t now, struct enrol_grant *g_r, char *err,
		      size_t errlen)
{
	char dir[PATH_MAX], text[RECORD_MAX],
	    spent[ENROL_ID_LEN + sizeof(SPENT)];
	char want[CA_PIN_LEN + 1], got[CA_PIN_LEN + 1];
	struct enrol_grant g;
	int rc;

	if (enrol_check_id(id) || enrol_check_secret(secret)) {
		snprintf(err, errlen, "not a token");
		return BL_ERR_DENIED;
	}
	rc = tokens_dir(ca_dir, dir);
	if (rc)
		return rc;
	rc = durable_read(dir, id, text, sizeof(text));
	if (rc == BL_ERR_NOTFOUND) {
		snprintf(spent, sizeof(spent), "%s" SPENT, id);
		snprintf(err, errlen,
			 durable_read(dir, spent, text, sizeof(text)) == BL_OK
			     ? "token %s was used already"
			     : "no token %s",
			 id);
		return BL_ERR_DENIED;
	}
	if (rc == BL_OK && parse_record(text, &g, want) != BL_OK)
		rc = BL_ERR_INVAL;
	if (rc) {
		snprintf(err, errlen, "%s/%s: cannot read it", dir, id);
		return BL_ERR_IO;
	}
	rc = secret_hash(secret, got);
	if (rc)
		return rc;
	if (CRYPTO_memcmp(want, got, CA_PIN_LEN) != 0) {
		snprintf(err, errlen, "token %s: wrong secret", id);
		return BL_ERR_DENIED;
	}
	if (now >= g.expires) {
		snprintf(err, errlen,
			 "token %s (for %s) expired %" PRId64 " s ago", id,
			 g.name, now - g.expires);
		return BL_ERR_DENIED;
	}
	*g_r = g;
	return BL_OK;
}

int enrol_token_spend(const char *ca_dir, const char *id, char *err,
		      size_t errlen)
{
	char dir[PATH_MAX], spent[ENROL_ID_LEN + sizeof(SPENT)];
	int rc;

	if (enrol_check_id(id)) {
		snprintf(err, errlen, "not a token");
		return BL_ERR_DENIED;
	}
	rc = tokens_dir(ca_dir, dir);
	if (rc)
		return rc;
	snprintf(spent, sizeof(spent), "%s" SPENT, id);
	rc = durable_rename(dir, id, spent);
	if (rc == BL_ERR_NOTFOUND) {
		snprintf(err, errlen, "token %s was used already", id);
		return BL_ERR_DENIED;
	}
	if (rc)
		snprintf(err, errlen, "cannot spend token %s", id);
	return rc;
}
