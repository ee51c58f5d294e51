/* Random identities (id.h). */
#include "toolstack/common/id.h"

#include <stdio.h>
#include <string.h>
#include <sys/random.h>

int bl_id_new(struct bl_id *id_r)
{
	ssize_t r = getrandom(id_r->b, sizeof(id_r->b), 0);

	return r == (ssize_t)sizeof(id_r->b) ? BL_OK : BL_ERR_IO;
}

bool bl_id_is_zero(const struct bl_id *id)
{
	static const struct bl_id zero;

	return bl_id_equal(id, &zero);
}

bool bl_id_equal(const struct bl_id *a, const struct bl_id *b)
{
	return memcmp(a->b, b->b, sizeof(a->b)) == 0;
}

char *bl_id_str(const struct bl_id *id, char buf[BL_ID_STR_LEN])
{
	for (size_t i = 0; i < sizeof(id->b); i++)
		snprintf(buf + 2 * i, 3, "%02x", id->b[i]);
	return buf;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int bl_id_parse(const char *s, struct bl_id *id_r)
{
	struct bl_id id;

	if (strlen(s) != 2 * BL_ID_LEN)
		return BL_ERR_INVAL;
	for (size_t i = 0; i < BL_ID_LEN; i++) {
		int hi = hex_digit(s[2 * i]), lo = hex_digit(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return BL_ERR_INVAL;
		id.b[i] = (uint8_t)(hi << 4 | lo);
	}
	*id_r = id;
	return BL_OK;
}
