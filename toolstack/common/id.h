/* Identities that must never repeat: a migration's, a node instance's.
 * 16 random bytes, written as 32 lowercase hex digits. */
#ifndef BL_ID_H
#define BL_ID_H

#include <stdbool.h>
#include <stdint.h>

#include "toolstack/common/err.h"

#define BL_ID_LEN     16
#define BL_ID_STR_LEN (2 * BL_ID_LEN + 1) /* hex and NUL */

struct bl_id {
	uint8_t b[BL_ID_LEN];
};

/* A new random identity (getrandom). */
int bl_id_new(struct bl_id *id_r) BL_MUST_CHECK;
bool bl_id_is_zero(const struct bl_id *id);
bool bl_id_equal(const struct bl_id *a, const struct bl_id *b);
/* 32 hex digits into buf[BL_ID_STR_LEN]; returns buf. */
char *bl_id_str(const struct bl_id *id, char buf[BL_ID_STR_LEN]);
/* Exactly 32 hex digits (either case): BL_ERR_INVAL otherwise. */
int bl_id_parse(const char *s, struct bl_id *id_r) BL_MUST_CHECK;

#endif
