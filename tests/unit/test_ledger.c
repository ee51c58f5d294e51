/* What a node promises about migrations, on disk: identities, durable
 * files, and the ledger's records and reservations (their locks across
 * processes). */
#include <CUnit/CUnit.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/unit/scratch.h"
#include "tests/unit/suites.h"
#include "toolstack/blanketd/ledger.h"
#include "toolstack/common/durable.h"
#include "toolstack/common/id.h"
#include "toolstack/common/path.h"

static char dir[SCRATCH_DIR_MAX];
static struct server_opts opts;

static int setup(void)
{
	if (scratch_dir_make(dir, "ledger"))
		return 1;
	memset(&opts, 0, sizeof(opts));
	opts.state_dir = dir;
	opts.node_name = "node1";
	return 0;
}

static int teardown(void)
{
	return path_remove_tree(dir) == BL_OK ? 0 : 1;
}

static void test_ids(void)
{
	struct bl_id a, b, c;
	char hex[BL_ID_STR_LEN];

	CU_ASSERT_EQUAL(bl_id_new(&a), BL_OK);
	CU_ASSERT_EQUAL(bl_id_new(&b), BL_OK);
	CU_ASSERT(!bl_id_equal(&a, &b));
	CU_ASSERT(!bl_id_is_zero(&a));
	CU_ASSERT_EQUAL(strlen(bl_id_str(&a, hex)), 32);
	CU_ASSERT_EQUAL(bl_id_parse(hex, &c), BL_OK);
	CU_ASSERT(bl_id_equal(&a, &c));
	CU_ASSERT_EQUAL(bl_id_parse("000102030405060708090A0B0C0D0E0F", &c),
			BL_OK);
	CU_ASSERT_EQUAL(c.b[10], 10);
	CU_ASSERT_EQUAL(bl_id_parse("0001", &c), BL_ERR_INVAL);
	CU_ASSERT_EQUAL(bl_id_parse("000102030405060708090a0b0c0d0e0g", &c),
			BL_ERR_INVAL);
	CU_ASSERT_EQUAL(bl_id_parse("000102030405060708090a0b0c0d0e0f0", &c),
			BL_ERR_INVAL);
}

static void test_durable(void)
{
	char buf[16], sub[128];

	snprintf(sub, sizeof(sub), "%s/made/on/demand", dir);
	CU_ASSERT_EQUAL(durable_write(sub, "f", "hello\n"), BL_OK);
	CU_ASSERT_EQUAL(durable_read(sub, "f", buf, sizeof(buf)), BL_OK);
	CU_ASSERT_STRING_EQUAL(buf, "hello\n");
	CU_ASSERT_EQUAL(durable_write(sub, "f", "replaced\n"), BL_OK);
	CU_ASSERT_EQUAL(durable_read(sub, "f", buf, sizeof(buf)), BL_OK);
	CU_ASSERT_STRING_EQUAL(buf, "replaced\n");
	/* Nothing left aside. */
	snprintf(sub, sizeof(sub), "%s/made/on/demand/f.new", dir);
	CU_ASSERT_EQUAL(access(sub, F_OK), -1);
	snprintf(sub, sizeof(sub), "%s/made/on/demand", dir);
	CU_ASSERT_EQUAL(durable_read(sub, "f", buf, 5), BL_ERR_INVAL);
	CU_ASSERT_EQUAL(durable_remove(sub, "f"), BL_OK);
	CU_ASSERT_EQUAL(durable_remove(sub, "f"), BL_OK);
	CU_ASSERT_EQUAL(durable_read(sub, "f", buf, sizeof(buf)),
			BL_ERR_NOTFOUND);
}

static void test_instance(void)
{
	struct bl_id a, b;
	char path[128];

	CU_ASSERT_EQUAL(ledger_instance(&opts, &a), BL_OK);
	CU_ASSERT_EQUAL(ledger_instance(&opts, &b), BL_OK);
	CU_ASSERT(bl_id_equal(&a, &b));
	/* A lost state folder is a new instance. */
	snprintf(path, sizeof(path), "%s/instance", dir);
	CU_ASSERT_EQUAL(unlink(path), 0);
	CU_ASSERT_EQUAL(ledger_instance(&opts, &b), BL_OK);
	CU_ASSERT(!bl_id_equal(&a, &b));
}

static void count(const char *name, void *arg)
{
	(void)name;
	(*(int *)arg)++;
}

static void test_away_and_receipts(void)
{
	struct ledger_away a = {.dest = {.name = "node2",
					 .host = "10.99.0.2",
					 .port = 7400},
				.generation = 3},
			   got;
	struct ledger_receipt r = {.name = "web", .domid = 12, .generation = 4},
			      rgot;
	char path[128];
	FILE *f;
	int n = 0;

	CU_ASSERT_EQUAL(bl_id_new(&a.migration), BL_OK);
	CU_ASSERT_EQUAL(bl_id_new(&a.instance), BL_OK);
	CU_ASSERT_EQUAL(ledger_away_read(&opts, "web", &got), BL_ERR_NOTFOUND);
	CU_ASSERT_EQUAL(ledger_away_write(&opts, "web", &a), BL_OK);
	CU_ASSERT_EQUAL(ledger_away_read(&opts, "web", &got), BL_OK);
	CU_ASSERT(bl_id_equal(&got.migration, &a.migration));
	CU_ASSERT(bl_id_equal(&got.instance, &a.instance));
	CU_ASSERT_STRING_EQUAL(got.dest.name, "node2");
	CU_ASSERT_STRING_EQUAL(got.dest.host, "10.99.0.2");
	CU_ASSERT_EQUAL(got.dest.port, 7400);
	CU_ASSERT_EQUAL(got.generation, 3);
	ledger_each_away(&opts, count, &n);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_EQUAL(ledger_away_remove(&opts, "web"), BL_OK);
	CU_ASSERT_EQUAL(ledger_away_read(&opts, "web", &got), BL_ERR_NOTFOUND);
	/* A record cut short reads as unreadable, not as another. */
	snprintf(path, sizeof(path), "%s/away-bad", dir);
	f = fopen(path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs("0011 node2 10.99.0.2", f);
	fclose(f);
	CU_ASSERT_EQUAL(ledger_away_read(&opts, "bad", &got), BL_ERR_PROTO);

	CU_ASSERT_EQUAL(ledger_receipt_read(&opts, &a.migration, &rgot),
			BL_ERR_NOTFOUND);
	CU_ASSERT_EQUAL(ledger_receipt_write(&opts, &a.migration, &r), BL_OK);
	CU_ASSERT_EQUAL(ledger_receipt_read(&opts, &a.migration, &rgot), BL_OK);
	CU_ASSERT_STRING_EQUAL(rgot.name, "web");
	CU_ASSERT_EQUAL(rgot.domid, 12);
	CU_ASSERT_EQUAL(rgot.generation, 4);
	CU_ASSERT_EQUAL(ledger_receipt_remove(&opts, &a.migration), BL_OK);
	CU_ASSERT_EQUAL(ledger_receipt_read(&opts, &a.migration, &rgot),
			BL_ERR_NOTFOUND);
}

/* A migration's images: noted, dropped with or without them, each kind
 * in its own record. */
static void test_images(void)
{
	const char *paths[2] = {scratch_path(dir, "a.img"),
				scratch_path(dir, "b.img")};
	const char *bad[1] = {"/x\ny"};
	char text[1024];
	int fd;

	for (int i = 0; i < 2; i++) {
		fd = open(paths[i], O_CREAT | O_WRONLY, 0600);
		CU_ASSERT_FATAL(fd >= 0);
		close(fd);
	}
	CU_ASSERT_EQUAL(ledger_images_write(&opts, LEDGER_IMAGES_INCOMING, "g",
					    paths, 2, NULL),
			BL_OK);
	CU_ASSERT_EQUAL(ledger_images_write(&opts, LEDGER_IMAGES_HANDED, "g",
					    paths, 1, NULL),
			BL_OK);
	CU_ASSERT_EQUAL(
	    durable_read(dir, "incoming-images-g", text, sizeof(text)), BL_OK);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "b.img\n"));
	/* Kept: the record goes, the images stay. */
	ledger_images_drop(&opts, LEDGER_IMAGES_HANDED, "g", false);
	CU_ASSERT_EQUAL(
	    durable_read(dir, "handed-images-g", text, sizeof(text)),
	    BL_ERR_NOTFOUND);
	CU_ASSERT_EQUAL(access(paths[0], F_OK), 0);
	/* Removed: both. */
	ledger_images_drop(&opts, LEDGER_IMAGES_INCOMING, "g", true);
	CU_ASSERT_NOT_EQUAL(access(paths[0], F_OK), 0);
	CU_ASSERT_NOT_EQUAL(access(paths[1], F_OK), 0);
	CU_ASSERT_EQUAL(
	    durable_read(dir, "incoming-images-g", text, sizeof(text)),
	    BL_ERR_NOTFOUND);
	/* No record: nothing to do. */
	ledger_images_drop(&opts, LEDGER_IMAGES_INCOMING, "g", true);
	/* A path no line can hold. */
	/* Kept, renamed: the record says how. */
	fd = open(paths[0], O_CREAT | O_WRONLY, 0600);
	CU_ASSERT_FATAL(fd >= 0);
	close(fd);
	CU_ASSERT_EQUAL(ledger_images_write(&opts, LEDGER_IMAGES_HANDED, "g",
					    paths, 1, "--moved-x"),
			BL_OK);
	ledger_images_drop(&opts, LEDGER_IMAGES_HANDED, "g", true);
	CU_ASSERT_NOT_EQUAL(access(paths[0], F_OK), 0);
	CU_ASSERT_EQUAL(access(scratch_path(dir, "a.img--moved-x"), F_OK), 0);
	/* A path no line can hold, a suffix that leaves the folder. */
	CU_ASSERT_EQUAL(ledger_images_write(&opts, LEDGER_IMAGES_INCOMING, "g",
					    bad, 1, NULL),
			BL_ERR_INVAL);
	CU_ASSERT_EQUAL(ledger_images_write(&opts, LEDGER_IMAGES_HANDED, "g",
					    paths, 1, "/../x"),
			BL_ERR_INVAL);
}

static void test_reservations(void)
{
	struct bl_id m, other, seen;
	uint32_t domid;
	bool live;
	int fd, fd2, probe, status;
	pid_t pid;

	CU_ASSERT_EQUAL(bl_id_new(&m), BL_OK);
	CU_ASSERT_EQUAL(bl_id_new(&other), BL_OK);
	CU_ASSERT_EQUAL(
	    ledger_reserved(&opts, "web", &seen, &domid, &live, &probe),
	    BL_ERR_NOTFOUND);
	CU_ASSERT_EQUAL_FATAL(ledger_reserve(&opts, "web", &m, &fd), BL_OK);
	CU_ASSERT_EQUAL(ledger_reserve_domid(&opts, "web", fd, &m, 42), BL_OK);
	/* Another process sees it live, and cannot take it. */
	pid = fork();
	if (pid == 0) {
		int rc =
		    ledger_reserved(&opts, "web", &seen, &domid, &live, &probe);

		_exit(rc || !live || probe != -1 || domid != 42 ||
		      !bl_id_equal(&seen, &m) ||
		      ledger_reserve(&opts, "web", &other, &fd2) !=
			  BL_ERR_BUSY);
	}
	CU_ASSERT_EQUAL(waitpid(pid, &status, 0), pid);
	CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* Its holder gone without releasing it (a session that died): a
	 * reader takes it over, stale, with what it noted. */
	pid = fork();
	if (pid == 0) {
		int held;

		_exit(ledger_reserve(&opts, "db", &m, &held) != BL_OK);
	}
	CU_ASSERT_EQUAL(waitpid(pid, &status, 0), pid);
	CU_ASSERT_EQUAL(
	    ledger_reserved(&opts, "db", &seen, &domid, &live, &probe), BL_OK);
	CU_ASSERT(!live);
	CU_ASSERT(probe >= 0);
	CU_ASSERT_EQUAL(domid, 0);
	ledger_release(&opts, "db", probe);
	CU_ASSERT_EQUAL(
	    ledger_reserved(&opts, "db", &seen, &domid, &live, &probe),
	    BL_ERR_NOTFOUND);
	ledger_release(&opts, "web", fd);
	CU_ASSERT_EQUAL(ledger_reserve(&opts, "web", &other, &fd2), BL_OK);
	ledger_release(&opts, "web", fd2);
}

void suite_ledger(void)
{
	CU_pSuite s = CU_add_suite("migration ledger", setup, teardown);

	CU_add_test(s, "identities", test_ids);
	CU_add_test(s, "durable files", test_durable);
	CU_add_test(s, "the node's instance", test_instance);
	CU_add_test(s, "away records and receipts", test_away_and_receipts);
	CU_add_test(s, "reservations", test_reservations);
	CU_add_test(s, "a migration's images", test_images);
}
