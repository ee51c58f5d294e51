/* The cluster overlay's pieces that need no kernel: WireGuard keys, the
 * overlay record nodes send each other, blanketd's --overlay and the key
 * it keeps in its state folder. */
#include <CUnit/CUnit.h>
#include <string.h>
#include <sys/stat.h>

#include "tests/unit/scratch.h"
#include "tests/unit/suites.h"
#include "toolstack/blanketd/overlay.h"
#include "toolstack/common/durable.h"
#include "toolstack/common/path.h"
#include "toolstack/rpc/rpc.h"
#include "toolstack/tls/wg_key.h"

static char dir[SCRATCH_DIR_MAX];

static int init(void)
{
	return scratch_dir_make(dir, "overlay");
}

static int cleanup(void)
{
	return path_remove_tree(dir) ? -1 : 0;
}

/* RFC 7748, 6.1: Alice's private key and her public key, in wg's text. */
static void test_key_vector(void)
{
	char pub[WG_KEY_TEXT_LEN + 1];

	CU_ASSERT_EQUAL(
	    wg_key_public("dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo=", pub),
	    BL_OK);
	CU_ASSERT_STRING_EQUAL(pub,
			       "hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo=");
	/* Not keys: short, no "=", a character outside base64. */
	CU_ASSERT_EQUAL(wg_key_public("dwdtCnMYpX08", pub), BL_ERR_INVAL);
	CU_ASSERT_EQUAL(
	    wg_key_public("dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCoA", pub),
	    BL_ERR_INVAL);
	CU_ASSERT_EQUAL(
	    wg_key_public("dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25L!o=", pub),
	    BL_ERR_INVAL);
}

static void test_key_made(void)
{
	char a[WG_KEY_TEXT_LEN + 1], b[WG_KEY_TEXT_LEN + 1];
	struct rpc_overlay ov = {.addr = "10.200.0.1", .port = 51820};

	CU_ASSERT_EQUAL(wg_key_make(a), BL_OK);
	CU_ASSERT_EQUAL(wg_key_make(b), BL_OK);
	CU_ASSERT_STRING_NOT_EQUAL(a, b);
	CU_ASSERT_EQUAL(wg_key_public(a, ov.key), BL_OK);
	CU_ASSERT_TRUE(rpc_overlay_valid(&ov));
}

static void test_record(void)
{
	struct rpc_overlay ov = {0};

	CU_ASSERT_TRUE(rpc_overlay_valid(&ov)); /* no overlay */
	strcpy(ov.key, "hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo=");
	strcpy(ov.addr, "10.200.0.2");
	ov.port = 51820;
	CU_ASSERT_TRUE(rpc_overlay_valid(&ov));
	ov.port = 0;
	CU_ASSERT_FALSE(rpc_overlay_valid(&ov));
	ov.port = 65536;
	CU_ASSERT_FALSE(rpc_overlay_valid(&ov));
	ov.port = 51820;
	strcpy(ov.addr, "10.200.0");
	CU_ASSERT_FALSE(rpc_overlay_valid(&ov));
	strcpy(ov.addr, "10.200.0.2");
	/* The last character before "=" carries 4 bits: "p" has 2 more. */
	strcpy(ov.key, "hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmp=");
	CU_ASSERT_FALSE(rpc_overlay_valid(&ov));
	strcpy(ov.key, "hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTm =");
	CU_ASSERT_FALSE(rpc_overlay_valid(&ov));
	ov.key[0] = '\0';
	CU_ASSERT_FALSE(rpc_overlay_valid(&ov)); /* an address, no key */
}

static void test_parse(void)
{
	struct overlay ov = {0};
	char err[BL_ERRMSG_MAX];

	CU_ASSERT_EQUAL(
	    overlay_parse("10.200.0.3/24", 51820, &ov, err, sizeof(err)),
	    BL_OK);
	CU_ASSERT_STRING_EQUAL(ov.addr, "10.200.0.3");
	CU_ASSERT_EQUAL(ov.prefix, 24);
	CU_ASSERT_EQUAL(ov.port, 51820);
	CU_ASSERT_EQUAL(
	    overlay_parse("10.200.0.3", 51820, &ov, err, sizeof(err)),
	    BL_ERR_INVAL);
	CU_ASSERT_STRING_EQUAL(err, "\"10.200.0.3\": want A.B.C.D/LEN");
	CU_ASSERT_EQUAL(
	    overlay_parse("10.200.0.3/31", 51820, &ov, err, sizeof(err)),
	    BL_ERR_INVAL);
	CU_ASSERT_STRING_EQUAL(
	    err, "\"10.200.0.3/31\": want A.B.C.D/LEN, LEN from 8 to 30");
	CU_ASSERT_EQUAL(
	    overlay_parse("10.200.0.256/24", 51820, &ov, err, sizeof(err)),
	    BL_ERR_INVAL);
	CU_ASSERT_EQUAL(
	    overlay_parse("10.200.0.3/24", 0, &ov, err, sizeof(err)),
	    BL_ERR_INVAL);
	CU_ASSERT_STRING_EQUAL(err, "port 0: want 1 to 65535");
}

/* Made once, 0600, and the same key at every start after. */
static void test_key_kept(void)
{
	struct overlay a = {0}, b = {0};
	char err[BL_ERRMSG_MAX];
	struct stat st;

	CU_ASSERT_EQUAL(overlay_key_load(dir, &a, err, sizeof(err)), BL_OK);
	CU_ASSERT_EQUAL(stat(scratch_path(dir, OVERLAY_KEY_FILE), &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 0777, 0600);
	CU_ASSERT_EQUAL(overlay_key_load(dir, &b, err, sizeof(err)), BL_OK);
	CU_ASSERT_STRING_EQUAL(a.public_key, b.public_key);
	/* A file that is no key is refused, not replaced. */
	CU_ASSERT_EQUAL(durable_write(dir, OVERLAY_KEY_FILE, "not a key\n"),
			BL_OK);
	CU_ASSERT_EQUAL(overlay_key_load(dir, &b, err, sizeof(err)),
			BL_ERR_INVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "is not a WireGuard key"));
}

void suite_overlay(void)
{
	CU_pSuite s = CU_add_suite("overlay", init, cleanup);

	CU_add_test(s, "WireGuard key: RFC 7748 vector", test_key_vector);
	CU_add_test(s, "WireGuard key: made", test_key_made);
	CU_add_test(s, "overlay record", test_record);
	CU_add_test(s, "--overlay", test_parse);
	CU_add_test(s, "the node's key, kept", test_key_kept);
}
