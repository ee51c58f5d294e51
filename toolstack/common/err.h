/* Blanket's one error vocabulary: functions that can fail return 0 or a
 * negative enum bl_err. */
#ifndef BL_ERR_H
#define BL_ERR_H

enum bl_err {
	BL_OK = 0,
	BL_ERR_FAIL = -1,	 /* unspecified failure; a message was logged */
	BL_ERR_INVAL = -2,	 /* bad argument or input */
	BL_ERR_NOMEM = -3,	 /* out of memory */
	BL_ERR_IO = -4,		 /* system call failed; errno was logged */
	BL_ERR_PROTO = -5,	 /* peer broke the wire protocol */
	BL_ERR_VERSION = -6,	 /* peer speaks a version we cannot read */
	BL_ERR_EOF = -7,	 /* peer closed the stream early */
	BL_ERR_TIMEOUT = -8,	 /* a deadline passed */
	BL_ERR_NOTFOUND = -9,	 /* no such node, guest or file */
	BL_ERR_BUSY = -10,	 /* resource in use (port, lab, guest) */
	BL_ERR_AUTH = -11,	 /* peer's certificate refused, or ours was */
	BL_ERR_CANCELLED = -12,	 /* the user asked to stop */
	BL_ERR_UNRESOLVED = -13, /* what became of a guest cannot be known
				  * without a human: it stays as it is */
	BL_ERR_DENIED = -14,	 /* the caller's role or the node's policy
				  * does not allow it */
};

/* Room for an error message for the user, NUL included: one that names a
 * node and carries what the node said (an RPC error of up to 511 bytes). */
#define BL_ERRMSG_MAX 768

#define BL_MUST_CHECK __attribute__((warn_unused_result))

/* Static text for rc (a negative enum bl_err); never NULL. */
const char *bl_strerror(int rc);

#endif
