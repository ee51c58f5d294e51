/* libFuzzer target for blanketd's request dispatcher (session.c): the first
 * byte picks the caller's role (node, operator or viewer, as a certificate
 * would say), the rest is what that caller sends after its handshake: the
 * RPC header and frames, served by session_run() against the test
 * hypervisor, with the default node policy. Every request goes through the
 * role table, the name check and its handler; nothing may crash, and a
 * viewer's session must leave the test hypervisor's guests as they were.
 *
 * An operator's guest-migrate frames are left out: they make the node
 * connect to the host and port they name. The host tier covers them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "toolstack/blanketd/server.h"
#include "toolstack/blanketd/shutdowns.h"
#include "toolstack/common/log.h"
#include "toolstack/common/path.h"
#include "toolstack/hv/hv_policy.h"
#include "toolstack/rpc/rpc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What the caller sends; the node's answers go nowhere. */
struct input {
	uint8_t *p;
	size_t len, off;
};

static int in_read(struct bl_stream *s, void *buf, size_t len)
{
	struct input *in = s->impl;

	if (len > in->len - in->off) {
		in->off = in->len;
		return BL_ERR_EOF;
	}
	memcpy(buf, in->p + in->off, len);
	in->off += len;
	return BL_OK;
}

static int in_write(struct bl_stream *s, const void *buf, size_t len)
{
	(void)s;
	(void)buf;
	(void)len;
	return BL_OK;
}

static void in_close(struct bl_stream *s)
{
	(void)s;
}

static size_t in_pending(struct bl_stream *s)
{
	struct input *in = s->impl;

	return in->len - in->off;
}

static const struct bl_stream_ops in_ops = {
    .read = in_read,
    .write = in_write,
    .close = in_close,
    .pending = in_pending,
};

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/* data without its guest-migrate frames: the header, then whole frames
 * (type, length, padded body) as long as they parse. */
static size_t drop_migrations(const uint8_t *data, size_t size, uint8_t *out)
{
	size_t off = RPC_HEADER_LEN, n = size < off ? size : off;

	memcpy(out, data, n);
	while (off + 8 <= size) {
		uint32_t type = be32(data + off), len = be32(data + off + 4);
		size_t whole = 8 + (size_t)len + ((8 - len % 8) % 8);

		if (whole > size - off)
			whole = size - off;
		if (type != RPC_GUEST_MIGRATE) {
			memcpy(out + n, data + off, whole);
			n += whole;
		}
		off += whole;
	}
	return n;
}

static struct server_opts opts;
static char hv_file[64], state_dir[64];

/* The test hypervisor's file, as it is now (malloc'd, "" when missing). */
static char *guests_now(void)
{
	FILE *f = fopen(hv_file, "r");
	char *text = calloc(1, 1 << 16);

	if (!text)
		abort();
	if (f) {
		if (fread(text, 1, (1 << 16) - 1, f) == 0 && ferror(f))
			abort();
		fclose(f);
	}
	return text;
}

/* The fuzzer's files go with it. */
static void cleanup(void)
{
	char dir[80];

	snprintf(dir, sizeof(dir), "%s.d", hv_file);
	path_remove_tree(dir);
	path_remove_tree(state_dir);
	unlink(hv_file);
}

static bool quiet(void *arg)
{
	(void)arg;
	return false;
}

static void setup(void)
{
	static struct hv_policy policy;

	snprintf(hv_file, sizeof(hv_file), "/tmp/fuzz-session-%d.hv",
		 (int)getpid());
	snprintf(state_dir, sizeof(state_dir), "/tmp/fuzz-session-%d.state",
		 (int)getpid());
	setenv("BLANKET_FAKE_HV", hv_file, 1);
	hv_policy_default(&policy);
	opts.node_name = "fuzz";
	opts.l0 = "fuzz";
	opts.state_dir = state_dir;
	opts.hv = &hv_fake_ops;
	opts.max_sessions = 32;
	opts.boot_wait_s = 0;
	opts.policy = &policy;
	if (shutdowns_create(&opts.shutdowns))
		abort();
	/* Only crashes should make noise. */
	log_set_gate(quiet, NULL);
	atexit(cleanup);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum ca_role roles[] = {CA_ROLE_NODE, CA_ROLE_OPERATOR,
					     CA_ROLE_VIEWER};
	struct input in = {.p = malloc(size + 1)};
	struct bl_stream s = {.ops = &in_ops, .fd = -1, .impl = &in};
	char *before = NULL, *after;
	enum ca_role role;

	if (!opts.hv)
		setup();
	if (!size || !in.p) {
		free(in.p);
		return 0;
	}
	role = roles[data[0] % 3];
	in.len = role == CA_ROLE_OPERATOR
		     ? drop_migrations(data + 1, size - 1, in.p)
		     : (memcpy(in.p, data + 1, size - 1), size - 1);
	if (role == CA_ROLE_VIEWER)
		before = guests_now();
	session_run(&opts, &s, "fuzzer", role);
	if (before) {
		after = guests_now();
		if (strcmp(before, after))
			abort(); /* a viewer changed the node's guests */
		free(after);
		free(before);
	}
	free(in.p);
	return 0;
}
