#include "toolstack/common/err.h"

static const char *const err_text[] = {
    [-BL_OK] = "success",
    [-BL_ERR_FAIL] = "failed",
    [-BL_ERR_INVAL] = "invalid argument",
    [-BL_ERR_NOMEM] = "out of memory",
    [-BL_ERR_IO] = "input/output error",
    [-BL_ERR_PROTO] = "protocol error",
    [-BL_ERR_VERSION] = "unsupported protocol version",
    [-BL_ERR_EOF] = "unexpected end of stream",
    [-BL_ERR_TIMEOUT] = "timed out",
    [-BL_ERR_NOTFOUND] = "not found",
    [-BL_ERR_BUSY] = "busy",
    [-BL_ERR_AUTH] = "authentication failed",
    [-BL_ERR_CANCELLED] = "cancelled",
    [-BL_ERR_UNRESOLVED] = "unresolved",
    [-BL_ERR_DENIED] = "not allowed",
};

const char *bl_strerror(int rc)
{
	/* Negated as unsigned: -INT_MIN is no int (a peer may send it). */
	unsigned int i = rc <= 0 ? 0u - (unsigned int)rc : 0;

	if (rc > 0 || i >= sizeof(err_text) / sizeof(err_text[0]))
		return "unknown error";
	return err_text[i];
}
