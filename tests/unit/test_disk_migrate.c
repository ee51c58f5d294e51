/* Live storage migration between two images on files: the source's end
 * (toolstack/blanketd/disk_send.c) reads an image while a backend keeps
 * writing it at a steady rate, tracking its writes with the real control
 * channel (drivers/blk/blk_ctl.c) over its UNIX socket; the destination's
 * end (disk_recv.c) writes what the stream carries into a new image. The
 * copy must equal the source as it was when quiesced: every write the
 * backend made, dirtied and sent again in time. Mirrored, the backend
 * holds each write's answer until it was sent, and a writer with at most
 * a ring's worth of writes in flight leaves no more than that many chunks
 * for the downtime, however fast it writes. Seeded: a new seed each run,
 * printed; BLANKET_SEED=N runs seed N again. */
#include <CUnit/CUnit.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "drivers/blk/blk_ctl.h"
#include "drivers/blk/blk_image.h"
#include "tests/unit/scratch.h"
#include "tests/unit/suites.h"
#include "toolstack/blanketd/disk_recv.h"
#include "toolstack/blanketd/disk_send.h"
#include "toolstack/common/path.h"
#include "toolstack/common/stream_mem.h"

#define DOMID	   7
#define DEVID	   51712
#define SECTORS	   (16 * 2048) /* 16 MiB */
#define WRITE_SECT 8	       /* the backend's writes: 4 KiB */
#define SLOTS	   32	       /* a one-page ring: writes in flight */

static char dir[SCRATCH_DIR_MAX];

/* A backend on a file: serves the control channel and, while not
 * quiesced, writes a random 4 KiB block every 100 us, as a guest's writes
 * land, as long as fewer than SLOTS wait for their answer. */
struct writer {
	int listen_fd, img_fd;
	struct blk_ctl ctl;
	unsigned int seed;
	uint64_t writes, tracked; /* all, and those while tracking */
	unsigned int in_flight;	  /* held by the mirror */
	bool failed;		  /* a write did not land */
};

static void write_block(struct writer *w)
{
	uint64_t sector =
	    (uint64_t)(rand_r(&w->seed) % (SECTORS / WRITE_SECT)) * WRITE_SECT;
	unsigned char b[WRITE_SECT * 512];

	for (size_t i = 0; i < sizeof(b); i++)
		b[i] = (unsigned char)rand_r(&w->seed);
	if (pwrite(w->img_fd, b, sizeof(b), (off_t)sector * 512) !=
	    (ssize_t)sizeof(b))
		w->failed = true;
	w->in_flight +=
	    blk_ctl_written(&w->ctl, sector, WRITE_SECT, w->writes, 1);
	w->writes++;
	w->tracked += w->ctl.tracking;
}

static void *writer_run(void *arg)
{
	static struct blk_ctl_reply reply;
	struct writer *w = arg;
	unsigned char req[BLK_CTL_REQ_LEN];
	int fd = accept(w->listen_fd, NULL, NULL);
	size_t len;
	uint64_t id;
	uint8_t op;

	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};

		if (poll(&p, 1, 0) == 0) {
			if (!w->ctl.quiesced && w->in_flight < SLOTS)
				write_block(w);
			usleep(100);
			continue;
		}
		if (read(fd, req, sizeof(req)) != (ssize_t)sizeof(req))
			break;
		blk_ctl_handle(&w->ctl, req, sizeof(req), &reply, &len);
		while (blk_mirror_next(&w->ctl.mirror, &id, &op))
			w->in_flight--;
		if (write(fd, &reply, len) != (ssize_t)len)
			break;
	}
	blk_ctl_closed(&w->ctl);
	while (blk_mirror_next(&w->ctl.mirror, &id, &op))
		w->in_flight--;
	close(fd);
	return NULL;
}

static int listen_at(const char *path)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(a.sun_path, sizeof(a.sun_path), "%.107s", path);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    listen(fd, 1) < 0)
		return -1;
	return fd;
}

/* A source image with some chunks written and holes between. */
static void make_source(const char *path, unsigned int *seed)
{
	unsigned char b[BLK_HASH_CHUNK];
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);

	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(ftruncate(fd, SECTORS * 512), 0);
	for (uint64_t c = 0; c < SECTORS * 512 / BLK_HASH_CHUNK; c++) {
		if (rand_r(seed) % 4)
			continue;
		for (size_t i = 0; i < sizeof(b); i++)
			b[i] = (unsigned char)(rand_r(seed) % 16);
		CU_ASSERT_EQUAL(
		    pwrite(fd, b, sizeof(b), (off_t)(c * BLK_HASH_CHUNK)),
		    (ssize_t)sizeof(b));
	}
	close(fd);
}

static void image_hash(const char *path, unsigned char h[BLK_HASH_LEN])
{
	char err[BL_ERRMSG_MAX];
	struct blk_image img;

	CU_ASSERT_EQUAL_FATAL(
	    blk_image_open(path, true, &img, err, sizeof(err)), BL_OK);
	CU_ASSERT_EQUAL(blk_image_hash(&img, h), BL_OK);
	blk_image_close(&img);
}

/* The stream in s into a new image at path; the error of the first disk
 * record refused, or BL_OK. */
static int receive(struct bl_stream *s, const char *path, bool bad_hash,
		   char *err, size_t errlen)
{
	struct bl_stream out;
	struct stream_mem mo;
	struct disk_recv dr = DISK_RECV_NONE;
	struct mig_disk_rec r;
	struct mig_dec *dec;
	struct mig_ctl c;
	int rc;

	stream_mem_init(&out, &mo);
	rc = mig_dec_start(s, &dec, err, errlen);
	CU_ASSERT_EQUAL_FATAL(rc, BL_OK);
	while (!(rc = mig_dec_next(dec, &out, &c, err, errlen)) &&
	       c.type != MIG_REC_STREAM_END) {
		r = *mig_dec_disk(dec);
		if (c.type == MIG_REC_DISK)
			rc = disk_recv_create(&dr, 0, "xvda", path, err, errlen)
				 ?: disk_recv_start(&dr, &r, err, errlen);
		else if (c.type == MIG_REC_DISK_DATA)
			rc = disk_recv_data(&dr, &r, err, errlen);
		else if (c.type == MIG_REC_DISK_END) {
			r.hash[0] ^= bad_hash;
			rc = disk_recv_end(&dr, &r, err, errlen);
		}
		if (rc)
			break;
	}
	disk_recv_close(&dr, rc != BL_OK);
	mig_dec_free(dec);
	stream_close(&out);
	return rc;
}

/* What the source's end did. */
struct sent {
	uint64_t bytes;
	uint64_t last_chunks; /* sent with the backend quiesced */
	uint64_t writes_held; /* by the mirror */
};

/* The source's end, with the writer going: bulk, rounds, the mirror's
 * rounds if mirror, finish. */
static void send_live(struct bl_stream *s, const char *src, struct writer *w,
		      bool mirror, struct sent *sent_r)
{
	struct mig_ident ident = {{{2}}, 1};
	struct disk_send ds;
	struct mig_enc *enc;
	char err[BL_ERRMSG_MAX] = "";
	uint64_t n, before;

	CU_ASSERT_EQUAL_FATAL(mig_enc_start(s, 0, &ident, &enc), BL_OK);
	CU_ASSERT_EQUAL_FATAL(disk_send_start(&ds, enc, 0, "xvda", src, dir,
					      DOMID, DEVID, err, sizeof(err)),
			      BL_OK);
	CU_ASSERT_EQUAL(disk_send_bulk(&ds, enc, err, sizeof(err)), BL_OK);
	for (int round = 0; round < 3; round++) {
		usleep(20000);
		CU_ASSERT_EQUAL(
		    disk_send_dirty(&ds, enc, UINT32_MAX, &n, err, sizeof(err)),
		    BL_OK);
	}
	if (mirror)
		CU_ASSERT_EQUAL(disk_send_mirror_start(&ds, err, sizeof(err)),
				BL_OK);
	for (int round = 0; mirror && round < 5; round++) {
		usleep(20000);
		CU_ASSERT_EQUAL(
		    disk_send_mirror(&ds, enc, &n, err, sizeof(err)), BL_OK);
	}
	before = ds.chunks_sent;
	CU_ASSERT_EQUAL(disk_send_finish(&ds, enc, err, sizeof(err)), BL_OK);
	CU_ASSERT_STRING_EQUAL(err, "");
	CU_ASSERT_TRUE(w->ctl.quiesced);
	sent_r->bytes = ds.bytes;
	sent_r->last_chunks = ds.chunks_sent - before;
	sent_r->writes_held = ds.writes_held;
	disk_send_close(&ds, false);
	CU_ASSERT_EQUAL(mig_enc_finish(enc), BL_OK);
	mig_enc_free(enc);
}

static void copy_under_writes(bool mirror)
{
	const char *again = getenv("BLANKET_SEED");
	unsigned int seed = again ? (unsigned int)strtoul(again, NULL, 10)
				  : (unsigned int)time(NULL);
	const char *src = scratch_path(dir, mirror ? "src-m.img" : "src.img");
	const char *dst = scratch_path(dir, mirror ? "dst-m.img" : "dst.img");
	const char *bad = scratch_path(dir, mirror ? "bad-m.img" : "bad.img");
	unsigned char hs[BLK_HASH_LEN], hd[BLK_HASH_LEN];
	char sock[108], err[BL_ERRMSG_MAX] = "";
	struct writer w = {.seed = seed};
	struct bl_stream s;
	struct stream_mem m;
	pthread_t t;
	struct sent sent;
	uint64_t before;

	fprintf(stderr, "\n  storage migration seed %u%s\n", seed,
		mirror ? ", mirrored" : "");
	make_source(src, &w.seed);
	blk_ctl_path(sock, sizeof(sock), dir, DOMID, DEVID);
	w.listen_fd = listen_at(sock);
	w.img_fd = open(src, O_RDWR);
	CU_ASSERT_FATAL(w.listen_fd >= 0 && w.img_fd >= 0);
	blk_ctl_init(&w.ctl, SECTORS);
	stream_mem_init(&s, &m);
	CU_ASSERT_EQUAL_FATAL(pthread_create(&t, NULL, writer_run, &w), 0);
	send_live(&s, src, &w, mirror, &sent);
	before = w.writes;
	usleep(10000);
	/* Quiesced: the writer writes no more until the channel closes. */
	CU_ASSERT_EQUAL(w.writes, before);
	image_hash(src, hs); /* as quiesced: the channel is closed now */
	pthread_join(t, NULL);
	fprintf(stderr,
		"  %llu writes, %llu while tracked, %llu held; %llu bytes "
		"sent, %llu chunks quiesced\n",
		(unsigned long long)w.writes, (unsigned long long)w.tracked,
		(unsigned long long)sent.writes_held,
		(unsigned long long)sent.bytes,
		(unsigned long long)sent.last_chunks);
	CU_ASSERT_TRUE(w.tracked > 0);
	CU_ASSERT_FALSE(w.failed);
	CU_ASSERT_EQUAL(w.in_flight, 0); /* every answer went */
	if (mirror) {
		CU_ASSERT_TRUE(sent.writes_held > 0);
		CU_ASSERT_TRUE(sent.last_chunks <= SLOTS);
	}

	CU_ASSERT_EQUAL(receive(&s, dst, false, err, sizeof(err)), BL_OK);
	CU_ASSERT_STRING_EQUAL(err, "");
	image_hash(dst, hd);
	CU_ASSERT_EQUAL(memcmp(hs, hd, sizeof(hs)), 0);

	/* The same stream again: the image is there, never overwritten. */
	m.off = 0;
	CU_ASSERT_EQUAL(receive(&s, dst, false, err, sizeof(err)), BL_ERR_BUSY);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "an image is there already"));
	image_hash(dst, hd);
	CU_ASSERT_EQUAL(memcmp(hs, hd, sizeof(hs)), 0);
	/* A hash that differs: refused, and the image taken away. */
	m.off = 0;
	CU_ASSERT_EQUAL(receive(&s, bad, true, err, sizeof(err)), BL_ERR_PROTO);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "does not hash as the source's"));
	CU_ASSERT_NOT_EQUAL(access(bad, F_OK), 0);
	stream_close(&s);
	close(w.listen_fd);
	close(w.img_fd);
	unlink(sock);
}

static void test_copy_under_writes(void)
{
	copy_under_writes(false);
}

static void test_copy_mirrored(void)
{
	copy_under_writes(true);
}

/* No backend listens: the source's end says so, naming the disk. */
static void test_no_backend(void)
{
	const char *src = scratch_path(dir, "lonely.img");
	struct mig_ident ident = {{{3}}, 1};
	char err[BL_ERRMSG_MAX] = "";
	unsigned int seed = 1;
	struct disk_send ds;
	struct bl_stream s;
	struct stream_mem m;
	struct mig_enc *enc;

	make_source(src, &seed);
	stream_mem_init(&s, &m);
	CU_ASSERT_EQUAL_FATAL(mig_enc_start(&s, 0, &ident, &enc), BL_OK);
	CU_ASSERT_EQUAL(disk_send_start(&ds, enc, 1, "xvdb", src, dir, 99,
					51728, err, sizeof(err)),
			BL_ERR_NOTFOUND);
	CU_ASSERT_PTR_NOT_NULL(
	    strstr(err, "disk 1 (xvdb): no backend answers"));
	disk_send_close(&ds, true);
	mig_enc_free(enc);
	stream_close(&s);
}

static int setup(void)
{
	return scratch_dir_make(dir, "diskmig") ? 1 : 0;
}

static int teardown(void)
{
	return path_remove_tree(dir) == BL_OK ? 0 : 1;
}

void suite_disk_migrate(void)
{
	CU_pSuite s = CU_add_suite("live storage migration", setup, teardown);

	CU_add_test(s, "a copy under steady writes, seeded",
		    test_copy_under_writes);
	CU_add_test(s, "a copy under writes, mirrored, seeded",
		    test_copy_mirrored);
	CU_add_test(s, "no backend", test_no_backend);
}
