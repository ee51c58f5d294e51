#include "ctl.h"

#include <stdlib.h>
#include <string.h>

#include "fdio.h"

static const char ctl_magic[8] = {'B', 'L', 'L', 'A', 'B', 'C', 'T', 'L'};

static const char *const rec_names[] = {
    [CTL_REC_EXEC] = "exec",	       [CTL_REC_STDIN] = "stdin",
    [CTL_REC_STDIN_EOF] = "stdin-eof", [CTL_REC_STDOUT] = "stdout",
    [CTL_REC_STDERR] = "stderr",       [CTL_REC_EXIT] = "exit",
    [CTL_REC_ERROR] = "error",
};

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

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
	memcpy(hdr, ctl_magic, sizeof(ctl_magic));
	put_be32(hdr + 8, CTL_VERSION);
	put_be32(hdr + 12, 0);
}

int ctl_header_decode(const uint8_t hdr[CTL_HEADER_LEN], uint32_t *version_r)
{
	uint32_t version = get_be32(hdr + 8);

	if (memcmp(hdr, ctl_magic, sizeof(ctl_magic)) != 0 ||
	    get_be32(hdr + 12) != 0)
		return BL_ERR_PROTO;
	/* Version 1 is the first; a version 2 reader also accepts 1. */
	if (version != CTL_VERSION)
		return BL_ERR_VERSION;
	*version_r = version;
	return BL_OK;
}

void ctl_rec_header_encode(uint8_t hdr[CTL_REC_HEADER_LEN], uint32_t type,
			   uint32_t len)
{
	put_be32(hdr, type);
	put_be32(hdr + 4, len);
}

int ctl_rec_header_decode(const uint8_t hdr[CTL_REC_HEADER_LEN],
			  uint32_t *type_r, uint32_t *len_r)
{
	uint32_t len = get_be32(hdr + 4);

	if (len > CTL_MAX_BODY)
		return BL_ERR_PROTO;
	*type_r = get_be32(hdr);
	*len_r = len;
	return BL_OK;
}

uint32_t ctl_pad_len(uint32_t len)
{
	return (8 - (len & 7)) & 7;
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

int ctl_send_rec(int fd, uint32_t type, const void *body, uint32_t len,
		 int64_t deadline_ms)
{
	static const uint8_t zeros[8];
	uint8_t hdr[CTL_REC_HEADER_LEN];
	int rc;

	if (len > CTL_MAX_BODY)
		return BL_ERR_INVAL;
	ctl_rec_header_encode(hdr, type, len);
	rc = fdio_write(fd, hdr, sizeof(hdr), deadline_ms);
	if (!rc && len)
		rc = fdio_write(fd, body, len, deadline_ms);
	if (!rc && ctl_pad_len(len))
		rc = fdio_write(fd, zeros, ctl_pad_len(len), deadline_ms);
	return rc;
}

static int known_type(uint32_t type)
{
	return type >= CTL_REC_EXEC && type <= CTL_REC_ERROR;
}

int ctl_recv_rec(int fd, struct ctl_rec *rec_r, int64_t deadline_ms)
{
	uint8_t hdr[CTL_REC_HEADER_LEN], pad[8];
	uint32_t type, len;
	uint8_t *body = NULL;
	int rc;

	ctl_rec_init(rec_r);
	for (;;) {
		rc = fdio_read(fd, hdr, sizeof(hdr), deadline_ms, NULL);
		if (rc)
			goto out;
		rc = ctl_rec_header_decode(hdr, &type, &len);
		if (rc)
			goto out;
		if (!known_type(type) && !(type & CTL_REC_OPTIONAL)) {
			rc = BL_ERR_PROTO;
			goto out;
		}
		body = malloc(len + 1);
		if (!body) {
			rc = BL_ERR_NOMEM;
			goto out;
		}
		rc = fdio_read(fd, body, len, deadline_ms, NULL);
		if (!rc)
			rc = fdio_read(fd, pad, ctl_pad_len(len), deadline_ms,
				       NULL);
		if (rc)
			goto out;
		body[len] = '\0';
		if (known_type(type))
			break;
		free(body);
		body = NULL;
	}
	rec_r->type = type;
	rec_r->len = len;
	rec_r->body = len ? body : NULL;
	if (!len)
		free(body);
	body = NULL;
out:
	free(body);
	return rc;
}
