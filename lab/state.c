#include "lab/state.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "toolstack/common/log.h"

#define STATE_FILE    "lab.state"
#define STATE_VERSION 1

void state_init(struct lab_state *s)
{
	memset(s, 0, sizeof(*s));
}

int state_link_port(const struct lab_state *s)
{
	return s->port_base;
}

int state_ctl_port(const struct lab_state *s, int index)
{
	return s->port_base + index;
}

/* Above the control ports: base+1..base+LAB_MAX_NODES. */
int state_rpc_port(const struct lab_state *s, int index)
{
	return s->port_base + LAB_MAX_NODES + index;
}

/* Strict decimal in [min, max]. */
static int parse_int(const char *tok, long min, long max, long *v_r)
{
	char *end;
	long v;

	if (!tok || !*tok)
		return BL_ERR_INVAL;
	errno = 0;
	v = strtol(tok, &end, 10);
	if (errno || *end || v < min || v > max)
		return BL_ERR_INVAL;
	*v_r = v;
	return BL_OK;
}

static int parse_line(char *line, struct lab_state *s, bool *seen_magic)
{
	char *save = NULL;
	char *key = strtok_r(line, " \t\n", &save);
	char *a = strtok_r(NULL, " \t\n", &save);
	char *b = strtok_r(NULL, " \t\n", &save);
	char *c = strtok_r(NULL, " \t\n", &save);
	char *extra = strtok_r(NULL, " \t\n", &save);
	struct lab_node *n;
	long v1, v2;

	if (!key)
		return BL_OK;
	if (extra)
		return BL_ERR_INVAL;
	if (!*seen_magic) {
		*seen_magic = true;
		if (strcmp(key, "blanket-lab") || b ||
		    parse_int(a, STATE_VERSION, STATE_VERSION, &v1))
			return BL_ERR_INVAL;
		return BL_OK;
	}
	if (!strcmp(key, "port-base") && !b) {
		if (parse_int(a, 1, 65535 - 2 * LAB_MAX_NODES, &v1))
			return BL_ERR_INVAL;
		s->port_base = (int)v1;
		return BL_OK;
	}
	if (!strcmp(key, "switch") && !b) {
		if (parse_int(a, 0, INT_MAX, &v1))
			return BL_ERR_INVAL;
		s->switch_pid = (pid_t)v1;
		return BL_OK;
	}
	if (strcmp(key, "node") || !c || s->nodes == LAB_MAX_NODES)
		return BL_ERR_INVAL;
	/* Nodes are listed in order: node1, node2, ... */
	if (parse_int(a, s->nodes + 1, s->nodes + 1, &v1) ||
	    parse_int(b, 0, INT_MAX, &v2))
		return BL_ERR_INVAL;
	n = &s->node[s->nodes];
	n->index = (int)v1;
	n->pid = (pid_t)v2;
	n->flavor = node_flavor_find(c);
	if (!n->flavor)
		return BL_ERR_INVAL;
	s->nodes++;
	return BL_OK;
}

int state_parse(FILE *in, struct lab_state *s, int *err_line_r)
{
	char line[256];
	bool seen_magic = false;
	int lineno = 0;

	state_init(s);
	while (fgets(line, sizeof(line), in)) {
		lineno++;
		if (!strchr(line, '\n') && !feof(in)) {
			*err_line_r = lineno; /* overlong line */
			return BL_ERR_INVAL;
		}
		if (parse_line(line, s, &seen_magic)) {
			*err_line_r = lineno;
			return BL_ERR_INVAL;
		}
	}
	if (!seen_magic || s->port_base == 0) {
		*err_line_r = lineno + 1; /* incomplete */
		return BL_ERR_INVAL;
	}
	for (int i = 0; i < s->nodes; i++) {
		s->node[i].ctl_port = state_ctl_port(s, i + 1);
		s->node[i].rpc_port = state_rpc_port(s, i + 1);
	}
	return BL_OK;
}

int state_write(FILE *out, const struct lab_state *s)
{
	fprintf(out, "blanket-lab %d\nport-base %d\nswitch %d\n", STATE_VERSION,
		s->port_base, (int)s->switch_pid);
	for (int i = 0; i < s->nodes; i++)
		fprintf(out, "node %d %d %s\n", s->node[i].index,
			(int)s->node[i].pid, s->node[i].flavor->name);
	return ferror(out) ? BL_ERR_IO : BL_OK;
}

static void state_path(const char *run_dir, const char *suffix, char *buf,
		       size_t len)
{
	snprintf(buf, len, "%s/%s%s", run_dir, STATE_FILE, suffix);
}

int state_load(const char *run_dir, struct lab_state *s)
{
	char path[PATH_MAX];
	int line = 0, rc;
	FILE *f;

	state_path(run_dir, "", path, sizeof(path));
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? BL_ERR_NOTFOUND : BL_ERR_IO;
	rc = state_parse(f, s, &line);
	fclose(f);
	if (rc)
		log_warnx("%s:%d: not a valid lab state line", path, line);
	return rc;
}

int state_save(const char *run_dir, const struct lab_state *s)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	FILE *f;
	int rc;

	state_path(run_dir, "", path, sizeof(path));
	state_path(run_dir, ".new", tmp, sizeof(tmp));
	f = fopen(tmp, "we");
	if (!f) {
		log_warn("cannot create %s", tmp);
		return BL_ERR_IO;
	}
	rc = state_write(f, s);
	if (fclose(f) != 0 && !rc)
		rc = BL_ERR_IO;
	if (!rc && rename(tmp, path) < 0)
		rc = BL_ERR_IO;
	if (rc) {
		log_warn("cannot write %s", path);
		unlink(tmp);
	}
	return rc;
}

int state_remove(const char *run_dir)
{
	char path[PATH_MAX];

	state_path(run_dir, "", path, sizeof(path));
	if (unlink(path) < 0 && errno != ENOENT) {
		log_warn("cannot remove %s", path);
		return BL_ERR_IO;
	}
	return BL_OK;
}
