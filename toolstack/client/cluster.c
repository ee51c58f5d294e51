/*
 * cluster.conf: one directive per line, '#' starts a comment.
 *     ca PATH | cert PATH | key PATH     credentials (relative to the file)
 *     node NAME HOST:PORT [PEER-HOST:PEER-PORT]
 *                                        a node's blanketd, and where other
 *                                        nodes reach it if not at HOST:PORT
 * Strict: an unknown directive, a missing field, a duplicate node or a bad
 * port is an error naming the file and line.
 */
#include "toolstack/client/cluster.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "toolstack/tls/ca.h"

#define LINE_MAX_LEN 1024

static int fail(char *err, size_t errlen, const char *source, int line,
		const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int fail(char *err, size_t errlen, const char *source, int line,
		const char *fmt, ...)
{
	int n = snprintf(err, errlen, "%s:%d: ", source, line);
	va_list ap;

	if (n >= 0 && (size_t)n < errlen) {
		va_start(ap, fmt);
		vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return BL_ERR_INVAL;
}

/* dst = path, relative ones taken from the folder of source. */
static int set_path(char *dst, const char *source, const char *path)
{
	const char *slash = strrchr(source, '/');
	int n;

	if (path[0] == '/' || !slash)
		n = snprintf(dst, PATH_MAX, "%s", path);
	else
		n = snprintf(dst, PATH_MAX, "%.*s/%s", (int)(slash - source),
			     source, path);
	return n < 0 || n >= PATH_MAX ? BL_ERR_INVAL : BL_OK;
}

/* "HOST:PORT" into host and *port; BL_ERR_INVAL (err set) when bad. */
static int parse_addr(const char *addr, char *host, size_t hostlen, int *port,
		      const char *source, int line, char *err, size_t errlen)
{
	const char *colon = strrchr(addr, ':');
	char *end;
	long v;

	if (!colon || colon == addr || (size_t)(colon - addr) >= hostlen)
		return fail(err, errlen, source, line,
			    "node address \"%s\" is not HOST:PORT", addr);
	errno = 0;
	v = strtol(colon + 1, &end, 10);
	if (errno || *end || v < 1 || v > 65535)
		return fail(err, errlen, source, line,
			    "port \"%s\" is not 1-65535", colon + 1);
	snprintf(host, hostlen, "%.*s", (int)(colon - addr), addr);
	*port = (int)v;
	return BL_OK;
}

static int parse_node(struct cluster *c, const char *name, const char *addr,
		      const char *peer, const char *source, int line, char *err,
		      size_t errlen)
{
	struct cluster_node *n;
	int rc;

	if (ca_check_name("node name", name))
		return fail(err, errlen, source, line,
			    "node name \"%s\" must be 1-63 of [a-z0-9-]", name);
	if (cluster_find(c, name))
		return fail(err, errlen, source, line,
			    "node \"%s\" is listed twice", name);
	if (c->nodes == CLUSTER_MAX_NODES)
		return fail(err, errlen, source, line, "more than %d nodes",
			    CLUSTER_MAX_NODES);
	n = &c->node[c->nodes];
	memset(n, 0, sizeof(*n));
	rc = parse_addr(addr, n->host, sizeof(n->host), &n->port, source, line,
			err, errlen);
	if (!rc && peer)
		rc = parse_addr(peer, n->peer_host, sizeof(n->peer_host),
				&n->peer_port, source, line, err, errlen);
	if (!rc && !peer) {
		memcpy(n->peer_host, n->host, sizeof(n->peer_host));
		n->peer_port = n->port;
	}
	if (rc)
		return rc;
	snprintf(n->name, sizeof(n->name), "%s", name);
	c->nodes++;
	return BL_OK;
}

int cluster_parse(FILE *in, const char *source, unsigned int flags,
		  struct cluster *c, char *err, size_t errlen)
{
	char buf[LINE_MAX_LEN];
	int line = 0, rc;

	memset(c, 0, sizeof(*c));
	while (fgets(buf, sizeof(buf), in)) {
		char *save = NULL, *kw, *a, *b, *d, *extra;

		line++;
		if (!strchr(buf, '\n') && !feof(in))
			return fail(err, errlen, source, line,
				    "line longer than %d bytes",
				    LINE_MAX_LEN - 2);
		buf[strcspn(buf, "#")] = '\0';
		kw = strtok_r(buf, " \t\r\n", &save);
		a = strtok_r(NULL, " \t\r\n", &save);
		b = strtok_r(NULL, " \t\r\n", &save);
		d = strtok_r(NULL, " \t\r\n", &save);
		extra = d ? strtok_r(NULL, " \t\r\n", &save) : NULL;
		if (!kw)
			continue;
		if (!strcmp(kw, "node")) {
			if (!a || !b || extra)
				return fail(err, errlen, source, line,
					    "want: node NAME HOST:PORT "
					    "[PEER-HOST:PEER-PORT]");
			rc = parse_node(c, a, b, d, source, line, err, errlen);
			if (rc)
				return rc;
			continue;
		}
		if (strcmp(kw, "ca") && strcmp(kw, "cert") && strcmp(kw, "key"))
			return fail(err, errlen, source, line,
				    "unknown directive \"%s\"", kw);
		if (!a || b)
			return fail(err, errlen, source, line, "want: %s PATH",
				    kw);
		if (set_path(!strcmp(kw, "ca")	   ? c->ca
			     : !strcmp(kw, "cert") ? c->cert
						   : c->key,
			     source, a))
			return fail(err, errlen, source, line, "path too long");
	}
	if (ferror(in))
		return fail(err, errlen, source, line, "read error");
	if (!(flags & CLUSTER_NODES_ONLY) &&
	    (!c->ca[0] || !c->cert[0] || !c->key[0]))
		return fail(err, errlen, source, line + 1,
			    "ca, cert and key are all required");
	return BL_OK;
}

int cluster_locate(const char *given, char *path, size_t len)
{
	const char *env = getenv("BLANKET_CLUSTER");
	const char *config = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");

	if (given || (env && *env)) {
		snprintf(path, len, "%s", given ? given : env);
		return BL_OK;
	}
	if (config && *config)
		snprintf(path, len, "%s/blanket/cluster.conf", config);
	else if (home && *home)
		snprintf(path, len, "%s/.config/blanket/cluster.conf", home);
	else
		path[0] = '\0';
	if (path[0] && access(path, F_OK) == 0)
		return BL_OK;
	snprintf(path, len, "%s", CLUSTER_SYSTEM_FILE);
	return access(path, F_OK) == 0 ? BL_OK : BL_ERR_NOTFOUND;
}

int cluster_load(const char *path, unsigned int flags, struct cluster *c,
		 char *err, size_t errlen)
{
	FILE *f = fopen(path, "re");
	int rc;

	if (!f) {
		snprintf(err, errlen, "cannot read cluster file %s: %s", path,
			 strerror(errno));
		return errno == ENOENT ? BL_ERR_NOTFOUND : BL_ERR_IO;
	}
	rc = cluster_parse(f, path, flags, c, err, errlen);
	fclose(f);
	return rc;
}

const struct cluster_node *cluster_find(const struct cluster *c,
					const char *name)
{
	for (int i = 0; i < c->nodes; i++)
		if (strcmp(c->node[i].name, name) == 0)
			return &c->node[i];
	return NULL;
}
