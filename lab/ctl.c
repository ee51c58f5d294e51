/* The lab control channel's codec, on the framing all Blanket's wire
 * formats share (toolstack/common/frame.h). */
#include "lab/ctl.h"

#include <stdlib.h>
#include <string.h>

#include "toolstack/common/fdio.h"
#include "toolstack/common/frame.h"
#include "toolstack/common/stream.h"

static const uint8_t ctl_magic[8] = {'B', 'L', 'L', 'A', 'B', 'C', 'T', 'L'};

static const char *const rec_names[] = {
    [CTL_REC_EXEC] = "exec",	       [CTL_REC_STDIN] = "stdin",
    [CTL_REC_STDIN_EOF] = "stdin-eof", [CTL_REC_STDOUT] = "stdout",
    [CTL_REC_STDERR] = "stderr",       [CTL_REC_EXIT] = "exit",
    [CTL_REC_ERROR] = "error",
};

void ctl_rec_init(struct ctl_rec *rec)
{
	rec->type = 0;
	rec->len = 0;
	rec->body = NULL;
}

void ctl_rec_dispose(struct ctl_rec *rec)
{
	free(rec->body);
	ctl_rec_init(rec);
}

const char *ctl_rec_name(uint32_t type)
{
	type &= ~CTL_REC_OPTIONAL;
	if (type < sizeof(rec_names) / sizeof(rec_names[0]) && rec_names[type])
		return rec_names[type];
	return "unknown";
}

void ctl_header_encode(uint8_t hdr[CTL_HEADER_LEN])
{
	frame_header_put(hdr, ctl_magic, CTL_VERSION, 0);
}

int ctl_header_decode(const uint8_t hdr[CTL_HEADER_LEN], uint32_t *version_r)
{
	uint32_t version, options;

	if (frame_header_get(hdr, ctl_magic, &version, &options) ||
	    options != 0)
		return BL_ERR_PROTO;
	/* Version 1 is the first; a version 2 reader also accepts 1. */
	if (version != CTL_VERSION)
		return BL_ERR_VERSION;
	*version_r = version;
	return BL_OK;
}

int ctl_argv_encode(char *const argv[], uint8_t **body_r, uint32_t *len_r)
{
	size_t len = 0, off = 0;
	uint8_t *body;
	int i;

	if (!argv[0] || !argv[0][0])
		return BL_ERR_INVAL;
	for (i = 0; argv[i]; i++) {
		len += strlen(argv[i]) + 1;
		if (len > CTL_MAX_BODY)
			return BL_ERR_INVAL;
	}
	body = malloc(len);
	if (!body)
		return BL_ERR_NOMEM;
	for (i = 0; argv[i]; i++) {
		size_t n = strlen(argv[i]) + 1;

		memcpy(body + off, argv[i], n);
		off += n;
	}
	*body_r = body;
	*len_r = (uint32_t)len;
	return BL_OK;
}

int ctl_argv_decode(const uint8_t *body, uint32_t len, char ***argv_r)
{
	size_t argc = 0, i, off;
	char **argv;
	char *strings;

	if (len == 0 || len > CTL_MAX_BODY || body[len - 1] != '\0' ||
	    body[0] == '\0')
		return BL_ERR_PROTO;
	for (i = 0; i < len; i++)
		argc += body[i] == '\0';
	/* One block: the pointer array, then a copy of the strings. */
	argv = malloc((argc + 1) * sizeof(char *) + len);
	if (!argv)
		return BL_ERR_NOMEM;
	strings = (char *)(argv + argc + 1);
	memcpy(strings, body, len);
	for (i = 0, off = 0; i < argc; i++) {
		argv[i] = strings + off;
		off += strlen(strings + off) + 1;
	}
	argv[argc] = NULL;
	*argv_r = argv;
	return BL_OK;
}

int ctl_send_header(int fd, int64_t deadline_ms)
{
	uint8_t hdr[CTL_HEADER_LEN];

	ctl_header_encode(hdr);
	return fdio_write(fd, hdr, sizeof(hdr), deadline_ms);
}

int ctl_recv_header(int fd, int64_t deadline_ms)
{
	uint8_t hdr[CTL_HEADER_LEN];
	uint32_t version;
	int rc;

	rc = fdio_read(fd, hdr, sizeof(hdr), deadline_ms, NULL);
	if (rc)
		return rc;
	return ctl_header_decode(hdr, &version);
}

/* A stream over fd for one call: the caller keeps the fd. */
static struct bl_stream borrow(int fd, int64_t deadline_ms)
{
	struct bl_stream s;

	stream_fd_init(&s, fd);
	s.deadline_ms = deadline_ms;
	return s;
}

int ctl_send_rec(int fd, uint32_t type, const void *body, uint32_t len,
		 int64_t deadline_ms)
{
	struct bl_stream s = borrow(fd, deadline_ms);

	return frame_write(&s, CTL_MAX_BODY, type, body, len);
}

static const char *known_name(uint32_t type, const void *arg)
{
	(void)arg;
	return type >= CTL_REC_EXEC && type <= CTL_REC_ERROR
		   ? ctl_rec_name(type)
		   : NULL;
}

static const struct frame_kind ctl_records = {
    .noun = "record", .max = CTL_MAX_BODY, .name = known_name};

int ctl_recv_rec(int fd, struct ctl_rec *rec_r, int64_t deadline_ms)
{
	struct bl_stream s = borrow(fd, deadline_ms);
	char err[BL_ERRMSG_MAX];
	uint8_t *body = NULL;
	uint32_t type, len;
	int rc;

	ctl_rec_init(rec_r);
	rc = frame_next(&s, &ctl_records, &type, &len, NULL, err, sizeof(err));
	if (rc)
		return rc;
	/* The body, its padding, and room for a NUL after the body. */
	body = malloc((size_t)len + frame_pad(len) + 1);
	if (!body)
		return BL_ERR_NOMEM;
	rc = frame_body(&s, ctl_rec_name(type), len, body, err, sizeof(err));
	if (rc || !len) {
		free(body);
		body = NULL;
	} else {
		body[len] = '\0';
	}
	if (!rc) {
		rec_r->type = type;
		rec_r->len = len;
		rec_r->body = body;
	}
	return rc;
}
