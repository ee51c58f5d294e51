/* The node policy (toolstack/hv/hv_policy.c): node.conf(5) and the checks
 * a guest's configuration passes, with files, links and a block device in
 * a folder of the test's own. */
#include <CUnit/CUnit.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "tests/unit/scratch.h"
#include "tests/unit/suites.h"
#include "toolstack/common/path.h"
#include "toolstack/hv/hv_policy.h"
#include "toolstack/hv/hv_xlcfg.h"

static char tmp[SCRATCH_DIR_MAX];

/* A path in this suite's scratch folder. */
#define at(...) scratch_path(tmp, __VA_ARGS__)

static int write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -1;
	fputs(text, f);
	return fclose(f);
}

/* images/ with a kernel, a disk, a link out and a link in; outside/ with a
 * secret. */
static int policy_suite_init(void)
{
	if (scratch_dir_make(tmp, "policy") || mkdir(at("images"), 0700) ||
	    mkdir(at("outside"), 0700))
		return -1;
	if (write_file(at("images/vmlinuz"), "kernel") ||
	    write_file(at("images/disk.img"), "disk") ||
	    write_file(at("outside/secret"), "secret") ||
	    symlink(at("outside/secret"), at("images/escape")) ||
	    symlink("vmlinuz", at("images/current")) ||
	    mkdir(at("images/sub"), 0700) ||
	    mknod(at("images/sda"), S_IFBLK | 0600, makedev(8, 0)))
		return -1;
	return 0;
}

static int policy_suite_cleanup(void)
{
	return path_remove_tree(tmp);
}

/* The policy of images/ (and bootloader /usr/lib/xen/bin/pygrub). */
static void test_policy(struct hv_policy *p)
{
	hv_policy_default(p);
	snprintf(p->images[0], sizeof(p->images[0]), "%s", at("images"));
	snprintf(p->bootloaders[0], sizeof(p->bootloaders[0]),
		 "/usr/lib/xen/bin/pygrub");
	p->n_bootloaders = 1;
}

/* Check the config text against the test policy: rc, and err in *err. */
static int check(const char *text, char *err, size_t errlen)
{
	libxl_domain_config cfg;
	struct hv_policy p;
	int rc;

	test_policy(&p);
	libxl_domain_config_init(&cfg);
	err[0] = '\0';
	rc = hv_config_load(&p, "t.cfg", text, strlen(text), &cfg, err, errlen);
	libxl_domain_config_dispose(&cfg);
	return rc;
}

/* A guest with kernel k and the lines extra. */
static const char *guest(const char *k, const char *extra)
{
	static char buf[4096];

	snprintf(buf, sizeof(buf), "name = \"g\"\nkernel = \"%s\"\n%s\n", k,
		 extra);
	return buf;
}

static void test_files(void)
{
	libxl_domain_config cfg;
	struct hv_policy p;
	char err[1024];
	const char *text;

	CU_ASSERT_EQUAL(
	    check(guest(at("images/vmlinuz"), ""), err, sizeof(err)), BL_OK);
	/* A link inside the folder is followed, and libxl gets the file. */
	test_policy(&p);
	libxl_domain_config_init(&cfg);
	text = guest(at("images/current"), "");
	CU_ASSERT_EQUAL(hv_config_load(&p, "t.cfg", text, strlen(text), &cfg,
				       err, sizeof(err)),
			BL_OK);
	CU_ASSERT_STRING_EQUAL(cfg.b_info.kernel, at("images/vmlinuz"));
	libxl_domain_config_dispose(&cfg);

	CU_ASSERT_EQUAL(check(guest("/etc/shadow", ""), err, sizeof(err)),
			BL_ERR_DENIED);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "kernel \"/etc/shadow\": not in an "
					   "images folder of this node ("));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "node.conf(5), \"images\")"));
	CU_ASSERT_EQUAL(check(guest(at("images/escape"), ""), err, sizeof(err)),
			BL_ERR_DENIED);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "not in an images folder"));
	CU_ASSERT_EQUAL(
	    check(guest(at("images/../outside/secret"), ""), err, sizeof(err)),
	    BL_ERR_DENIED);
	CU_ASSERT_EQUAL(check(guest("vmlinuz", ""), err, sizeof(err)),
			BL_ERR_DENIED);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "want an absolute path"));
	CU_ASSERT_EQUAL(
	    check(guest(at("images/missing"), ""), err, sizeof(err)),
	    BL_ERR_DENIED);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "No such file or directory"));
	CU_ASSERT_EQUAL(check(guest(at("images/sub"), ""), err, sizeof(err)),
			BL_ERR_DENIED);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "not a regular file"));
	CU_ASSERT_EQUAL(
	    check(guest(at("images/vmlinuz"), "ramdisk = \"/etc/passwd\""), err,
		  sizeof(err)),
	    BL_ERR_DENIED);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "ramdisk \"/etc/passwd\""));
}

/* Where a migration may make a guest's image: in an images folder, where
 * nothing is yet. */
static void test_new_images(void)
{
	struct hv_policy p;
	char err[1024];

	test_policy(&p);
	CU_ASSERT_EQUAL(symlink(at("outside"), at("images/linkout")), 0);
	CU_ASSERT_EQUAL(
	    hv_policy_new_image(&p, at("images/new.img"), err, sizeof(err)),
	    BL_OK);
	CU_ASSERT_EQUAL(
	    hv_policy_new_image(&p, at("images/sub/new.img"), err, sizeof(err)),
	    BL_OK);
	CU_ASSERT_EQUAL(
	    hv_policy_new_image(&p, at("images/disk.img"), err, sizeof(err)),
	    BL_ERR_BUSY);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "there is one already"));
	/* A link is something there, wherever it leads. */
	CU_ASSERT_EQUAL(
	    hv_policy_new_image(&p, at("images/escape"), err, sizeof(err)),
	    BL_ERR_BUSY);
	CU_ASSERT_EQUAL(
	    hv_policy_new_image(&p, at("outside/new.img"), err, sizeof(err)),
	    BL_ERR_DENIED);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "not in an images folder"));
	CU_ASSERT_EQUAL(hv_policy_new_image(&p, at("images/linkout/new.img"),
					    err, sizeof(err)),
			BL_ERR_DENIED);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "not in an images folder"));
	CU_ASSERT_EQUAL(hv_policy_new_image(&p, at("images/../outside/x.img"),
					    err, sizeof(err)),
			BL_ERR_DENIED);
	CU_ASSERT_EQUAL(
	    hv_policy_new_image(&p, at("images/none/x.img"), err, sizeof(err)),
	    BL_ERR_DENIED);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "No such file or directory"));
	CU_ASSERT_EQUAL(hv_policy_new_image(&p, "new.img", err, sizeof(err)),
			BL_ERR_DENIED);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "want an absolute path"));
	CU_ASSERT_EQUAL(
	    hv_policy_new_image(&p, at("images/.."), err, sizeof(err)),
	    BL_ERR_DENIED);
	CU_ASSERT_EQUAL(
	    hv_policy_new_image(&p, at("images/"), err, sizeof(err)),
	    BL_ERR_DENIED);
	unlink(at("images/linkout"));
}

static void test_disks(void)
{
	char extra[1024], err[1024];

	snprintf(extra, sizeof(extra),
		 "disk = [ 'format=raw, vdev=xvda, access=rw, target=%s' ]",
		 at("images/disk.img"));
	CU_ASSERT_EQUAL(
	    check(guest(at("images/vmlinuz"), extra), err, sizeof(err)), BL_OK);
	snprintf(extra, sizeof(extra),
		 "disk = [ 'format=raw, vdev=xvda, access=rw, target=%s' ]",
		 at("images/sda"));
	CU_ASSERT_EQUAL(
	    check(guest(at("images/vmlinuz"), extra), err, sizeof(err)),
	    BL_ERR_DENIED);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "disk 0 target"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "a block device of dom0's"));
	snprintf(extra, sizeof(extra),
		 "disk = [ 'format=raw, vdev=xvda, access=rw, "
		 "script=/usr/bin/id, target=%s' ]",
		 at("images/disk.img"));
	CU_ASSERT_EQUAL(
	    check(guest(at("images/vmlinuz"), extra), err, sizeof(err)),
	    BL_ERR_DENIED);
	CU_ASSERT_STRING_EQUAL(err, "disk 0 script \"/usr/bin/id\": hotplug "
				    "scripts are Xen's, by name (block, ...)");
	snprintf(extra, sizeof(extra),
		 "disk = [ 'format=raw, vdev=xvda, access=rw, "
		 "backend=evil, target=%s' ]",
		 at("images/disk.img"));
	CU_ASSERT_EQUAL(
	    check(guest(at("images/vmlinuz"), extra), err, sizeof(err)),
	    BL_ERR_DENIED);
	CU_ASSERT_STRING_EQUAL(err, "disk 0 backend: disks are served by dom0");
	/* An empty CD-ROM drive has no file. */
	CU_ASSERT_EQUAL(check(guest(at("images/vmlinuz"),
				    "disk = [ 'vdev=xvdc, devtype=cdrom, "
				    "format=empty, target=' ]"),
			      err, sizeof(err)),
			BL_OK);
}

static void test_programs_and_size(void)
{
	char err[1024];

	CU_ASSERT_EQUAL(check("name = \"g\"\nbootloader = "
			      "\"/usr/lib/xen/bin/pygrub\"\n",
			      err, sizeof(err)),
			BL_OK);
	CU_ASSERT_EQUAL(check("name = \"g\"\nbootloader = \"/usr/bin/touch\"\n",
			      err, sizeof(err)),
			BL_ERR_DENIED);
	CU_ASSERT_STRING_EQUAL(err,
			       "bootloader \"/usr/bin/touch\": not allowed on "
			       "this node (node.conf(5), \"bootloader\": not "
			       "in the list)");
	CU_ASSERT_EQUAL(check(guest(at("images/vmlinuz"),
				    "vif = [ 'bridge=xenbr0,script=vif-route', "
				    "'script=/usr/bin/id' ]"),
			      err, sizeof(err)),
			BL_ERR_DENIED);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "vif 1 script \"/usr/bin/id\""));
	CU_ASSERT_EQUAL(
	    check(guest(at("images/vmlinuz"), "memory = 32768\nvcpus = 16"),
		  err, sizeof(err)),
	    BL_OK);
	CU_ASSERT_EQUAL(check(guest(at("images/vmlinuz"), "maxmem = 32769"),
			      err, sizeof(err)),
			BL_ERR_DENIED);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "\"max-memory-mb\""));
	CU_ASSERT_EQUAL(check(guest(at("images/vmlinuz"), "maxvcpus = 17"), err,
			      sizeof(err)),
			BL_ERR_DENIED);
	CU_ASSERT_STRING_EQUAL(err, "vcpus 17: more than this node's largest "
				    "guest, 16 (node.conf(5), \"max-vcpus\")");
}

static void test_load(void)
{
	struct hv_policy p, before;
	char err[1024];

	CU_ASSERT_EQUAL(
	    hv_policy_load(at("none.conf"), true, &p, err, sizeof(err)), BL_OK);
	CU_ASSERT_STRING_EQUAL(p.images[0], POLICY_DEFAULT_IMAGES);
	CU_ASSERT_EQUAL(p.n_bootloaders, 0);
	CU_ASSERT_EQUAL(p.max_memory_mb, POLICY_MEMORY_MB);
	CU_ASSERT_EQUAL(
	    hv_policy_load(at("none.conf"), false, &p, err, sizeof(err)),
	    BL_ERR_NOTFOUND);
	CU_ASSERT_EQUAL_FATAL(write_file(at("node.conf"),
					 "# a node\nimages /a # the first\n"
					 "images /b\nbootloader /bin/pygrub\n"
					 "max-memory-mb 512\nmax-vcpus 2\n\n"),
			      0);
	CU_ASSERT_EQUAL(
	    hv_policy_load(at("node.conf"), false, &p, err, sizeof(err)),
	    BL_OK);
	CU_ASSERT_EQUAL(p.n_images, 2);
	CU_ASSERT_STRING_EQUAL(p.images[1], "/b");
	CU_ASSERT_STRING_EQUAL(p.bootloaders[0], "/bin/pygrub");
	CU_ASSERT_EQUAL(p.max_memory_mb, 512);
	CU_ASSERT_EQUAL(p.max_vcpus, 2);
	/* A bad file names the line and leaves the policy as it was. */
	before = p;
	CU_ASSERT_EQUAL_FATAL(
	    write_file(at("bad.conf"), "images /a\nimages relative\n"), 0);
	CU_ASSERT_EQUAL(
	    hv_policy_load(at("bad.conf"), false, &p, err, sizeof(err)),
	    BL_ERR_INVAL);
	CU_ASSERT_PTR_NOT_NULL(
	    strstr(err, "bad.conf:2: images \"relative\": want an absolute"));
	CU_ASSERT_EQUAL(memcmp(&p, &before, sizeof(p)), 0);
	CU_ASSERT_EQUAL_FATAL(write_file(at("bad.conf"), "max-vcpus 0\n"), 0);
	CU_ASSERT_EQUAL(
	    hv_policy_load(at("bad.conf"), false, &p, err, sizeof(err)),
	    BL_ERR_INVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(
	    err, "bad.conf:1: max-vcpus \"0\": want a number from 1 to 128"));
	CU_ASSERT_EQUAL_FATAL(write_file(at("bad.conf"), "kernels /a\n"), 0);
	CU_ASSERT_EQUAL(
	    hv_policy_load(at("bad.conf"), false, &p, err, sizeof(err)),
	    BL_ERR_INVAL);
	CU_ASSERT_PTR_NOT_NULL(
	    strstr(err, "bad.conf:1: unknown setting \"kernels\""));
	CU_ASSERT_EQUAL_FATAL(write_file(at("bad.conf"), "images /a /b\n"), 0);
	CU_ASSERT_EQUAL(
	    hv_policy_load(at("bad.conf"), false, &p, err, sizeof(err)),
	    BL_ERR_INVAL);
	CU_ASSERT_PTR_NOT_NULL(
	    strstr(err, "bad.conf:1: want \"SETTING VALUE\""));
}

void suite_policy(void)
{
	CU_pSuite s = CU_add_suite("node policy", policy_suite_init,
				   policy_suite_cleanup);

	CU_add_test(s, "guest files", test_files);
	CU_add_test(s, "disks", test_disks);
	CU_add_test(s, "images a migration brings", test_new_images);
	CU_add_test(s, "bootloaders, scripts and size", test_programs_and_size);
	CU_add_test(s, "node.conf", test_load);
}
