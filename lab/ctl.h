/* The lab control channel: codec shared by the host (blanket-lab exec) and
 * the agent in each node's dom0. Wire format: docs/specs/lab-control.md. */
#ifndef BL_LAB_CTL_H
#define BL_LAB_CTL_H

#include <stdint.h>

#include "toolstack/common/err.h"
#include "toolstack/common/frame.h"

#define CTL_VERSION	 1
#define CTL_HEADER_LEN	 FRAME_HEADER_LEN
#define CTL_MAX_BODY	 65536u
#define CTL_REC_OPTIONAL FRAME_OPTIONAL

enum ctl_rec_type {
	CTL_REC_EXEC = 1,
	CTL_REC_STDIN = 2,
	CTL_REC_STDIN_EOF = 3,
	CTL_REC_STDOUT = 4,
	CTL_REC_STDERR = 5,
	CTL_REC_EXIT = 6,
	CTL_REC_ERROR = 7,
};

struct ctl_rec {
	uint32_t type;
	uint32_t len;
	uint8_t *body; /* malloc'd, len bytes plus a NUL; NULL when len is 0 */
};

void ctl_rec_init(struct ctl_rec *rec);
void ctl_rec_dispose(struct ctl_rec *rec);
/* Name for logs, "unknown" for types outside the table. */
const char *ctl_rec_name(uint32_t type);

/* Pure codec, for the agent, the client, the tests and the fuzzer. */
void ctl_header_encode(uint8_t hdr[CTL_HEADER_LEN]);
/* BL_OK, BL_ERR_PROTO (bad magic/options) or BL_ERR_VERSION. */
int ctl_header_decode(const uint8_t hdr[CTL_HEADER_LEN],
		      uint32_t *version_r) BL_MUST_CHECK;

/* argv <-> EXEC body. On success *body_r (encode) or *argv_r (decode: a
 * NULL-terminated array in one malloc'd block) is the caller's to free(). */
int ctl_argv_encode(char *const argv[], uint8_t **body_r,
		    uint32_t *len_r) BL_MUST_CHECK;
int ctl_argv_decode(const uint8_t *body, uint32_t len,
		    char ***argv_r) BL_MUST_CHECK;

/* Stream I/O on a socket, with an absolute deadline (fdio_now_ms()) or -1. */
int ctl_send_header(int fd, int64_t deadline_ms) BL_MUST_CHECK;
int ctl_recv_header(int fd, int64_t deadline_ms) BL_MUST_CHECK;
int ctl_send_rec(int fd, uint32_t type, const void *body, uint32_t len,
		 int64_t deadline_ms) BL_MUST_CHECK;
/* Reads the next record the reader knows, skipping unknown optional ones.
 * On success *rec_r owns its body; on error *rec_r is left disposed. */
int ctl_recv_rec(int fd, struct ctl_rec *rec_r,
		 int64_t deadline_ms) BL_MUST_CHECK;

#endif
