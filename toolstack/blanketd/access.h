/* Who may make which request: one table, the "Roles" table of
 * docs/specs/rpc.md, checked by the session before any handler runs. */
#ifndef BL_BLANKETD_ACCESS_H
#define BL_BLANKETD_ACCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "toolstack/common/err.h"
#include "toolstack/tls/ca.h"

/* Whether role may make request type (enum rpc_type). */
bool access_allows(enum ca_role role, uint32_t type);

/* BL_OK when role may make request type; otherwise BL_ERR_DENIED with err
 * naming the request, the roles it is for, the caller and its role. */
int access_check(enum ca_role role, uint32_t type, const char *peer, char *err,
		 size_t errlen) BL_MUST_CHECK;

#endif
