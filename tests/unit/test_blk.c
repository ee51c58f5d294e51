/* The block backend's pure parts: requests taken off the ring and checked,
 * responses, raw sparse images, and the dirty bitmap. */
#include <CUnit/CUnit.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "drivers/blk/blk_ctl.h"
#include "drivers/blk/blk_dirty.h"
#include "drivers/blk/blk_hashes.h"
#include "drivers/blk/blk_image.h"
#include "drivers/blk/blk_req.h"
#include "drivers/blk/blk_ring.h"
#include "tests/unit/scratch.h"
#include "tests/unit/suites.h"
#include "toolstack/common/path.h"

#define IMAGE_SECTORS 2048 /* 1 MiB */

static char dir[SCRATCH_DIR_MAX];
static const struct blk_features all = {.flush = true, .discard = true};

static int setup(void)
{
	return scratch_dir_make(dir, "blk") ? 1 : 0;
}

static int teardown(void)
{
	return path_remove_tree(dir) == BL_OK ? 0 : 1;
}

static struct blkif_request rw(uint8_t op, uint64_t sector, unsigned int nsegs)
{
	struct blkif_request r;

	memset(&r, 0, sizeof(r));
	r.operation = op;
	r.nr_segments = (uint8_t)nsegs;
	r.id = 0x1122334455667788ULL;
	r.sector_number = sector;
	for (unsigned int i = 0; i < nsegs && i < 11; i++) {
		r.seg[i].gref = 100 + i;
		r.seg[i].first_sect = 0;
		r.seg[i].last_sect = 7;
	}
	return r;
}

/* The request's status when taken with features f. */
static int16_t status_of(const struct blkif_request *r,
			 const struct blk_features *f, struct blk_req *out)
{
	char err[256];
	int16_t status = 99;
	int rc =
	    blk_req_take(r, f, IMAGE_SECTORS, out, &status, err, sizeof(err));

	CU_ASSERT_EQUAL(rc == BL_OK, status == BLKIF_RSP_OKAY);
	/* Refused or not, the response can be addressed. */
	CU_ASSERT_EQUAL(out->id, r->id);
	CU_ASSERT_EQUAL(out->operation, r->operation);
	return status;
}

static void test_req_good(void)
{
	struct blkif_request r = rw(BLKIF_OP_WRITE, 16, 3);
	struct blk_req q;

	r.seg[1].first_sect = 2;
	r.seg[1].last_sect = 5;
	CU_ASSERT_EQUAL(status_of(&r, &all, &q), BLKIF_RSP_OKAY);
	CU_ASSERT_EQUAL(q.op, BLK_OP_WRITE);
	CU_ASSERT_EQUAL(q.sector, 16);
	CU_ASSERT_EQUAL(q.nsectors, 8 + 4 + 8);
	CU_ASSERT_EQUAL(q.nsegs, 3);
	CU_ASSERT_EQUAL(q.seg[1].gref, 101);
	CU_ASSERT_EQUAL(blk_seg_offset(&q.seg[1]), 1024);
	CU_ASSERT_EQUAL(blk_seg_len(&q.seg[1]), 2048);
	/* The last sectors of the image. */
	r = rw(BLKIF_OP_READ, IMAGE_SECTORS - 88, 11);
	CU_ASSERT_EQUAL(status_of(&r, &all, &q), BLKIF_RSP_OKAY);
	CU_ASSERT_EQUAL(q.op, BLK_OP_READ);
	/* A flush alone, and a flush with data (blkfront's FUA write). */
	r = rw(BLKIF_OP_FLUSH_DISKCACHE, 0, 0);
	CU_ASSERT_EQUAL(status_of(&r, &all, &q), BLKIF_RSP_OKAY);
	CU_ASSERT_EQUAL(q.op, BLK_OP_FLUSH);
	CU_ASSERT_EQUAL(q.nsegs, 0);
	/* Linux's blkfront sends a flush alone at sector ~0. */
	r = rw(BLKIF_OP_FLUSH_DISKCACHE, UINT64_MAX, 0);
	CU_ASSERT_EQUAL(status_of(&r, &all, &q), BLKIF_RSP_OKAY);
	CU_ASSERT_EQUAL(q.nsectors, 0);
	r = rw(BLKIF_OP_FLUSH_DISKCACHE, 8, 1);
	CU_ASSERT_EQUAL(status_of(&r, &all, &q), BLKIF_RSP_OKAY);
	CU_ASSERT_EQUAL(q.nsegs, 1);
}

static void test_req_bad(void)
{
	struct blk_features plain = {0}, ro = {.flush = true, .readonly = true};
	struct blkif_request_discard d;
	struct blkif_request r;
	struct blk_req q;

	/* One sector past the end; a sector number that wraps around. */
	r = rw(BLKIF_OP_READ, IMAGE_SECTORS - 87, 11);
	CU_ASSERT_EQUAL(status_of(&r, &all, &q), BLKIF_RSP_ERROR);
	r = rw(BLKIF_OP_WRITE, UINT64_MAX - 3, 1);
	CU_ASSERT_EQUAL(status_of(&r, &all, &q), BLKIF_RSP_ERROR);
	/* Segments: none for a read, too many, backwards, past the page. */
	r = rw(BLKIF_OP_READ, 0, 0);
	CU_ASSERT_EQUAL(status_of(&r, &all, &q), BLKIF_RSP_ERROR);
	r = rw(BLKIF_OP_WRITE, 0, 11);
	r.nr_segments = 12;
	CU_ASSERT_EQUAL(status_of(&r, &all, &q), BLKIF_RSP_ERROR);
	r = rw(BLKIF_OP_WRITE, 0, 2);
	r.seg[1].first_sect = 5;
	r.seg[1].last_sect = 4;
	CU_ASSERT_EQUAL(status_of(&r, &all, &q), BLKIF_RSP_ERROR);
	r.seg[1].first_sect = 0;
	r.seg[1].last_sect = 8;
	CU_ASSERT_EQUAL(status_of(&r, &all, &q), BLKIF_RSP_ERROR);
	/* Operations not advertised, or none of ours. */
	r = rw(BLKIF_OP_FLUSH_DISKCACHE, 0, 0);
	CU_ASSERT_EQUAL(status_of(&r, &plain, &q), BLKIF_RSP_EOPNOTSUPP);
	for (uint8_t op = BLKIF_OP_WRITE_BARRIER; op < 255; op++) {
		if (op == BLKIF_OP_FLUSH_DISKCACHE || op == BLKIF_OP_DISCARD ||
		    op == BLKIF_OP_INDIRECT)
			continue;
		r = rw(op, 0, 1);
		CU_ASSERT_EQUAL(status_of(&r, &all, &q), BLKIF_RSP_EOPNOTSUPP);
	}
	/* A read-only disk takes reads and flushes only. */
	r = rw(BLKIF_OP_WRITE, 0, 1);
	CU_ASSERT_EQUAL(status_of(&r, &ro, &q), BLKIF_RSP_ERROR);
	r = rw(BLKIF_OP_READ, 0, 1);
	CU_ASSERT_EQUAL(status_of(&r, &ro, &q), BLKIF_RSP_OKAY);
	r = rw(BLKIF_OP_FLUSH_DISKCACHE, 0, 0);
	CU_ASSERT_EQUAL(status_of(&r, &ro, &q), BLKIF_RSP_OKAY);
	r = rw(BLKIF_OP_FLUSH_DISKCACHE, 0, 1);
	CU_ASSERT_EQUAL(status_of(&r, &ro, &q), BLKIF_RSP_ERROR);
	/* Discard: advertised, in the image, not empty. */
	memset(&r, 0, sizeof(r));
	memset(&d, 0, sizeof(d));
	d.operation = BLKIF_OP_DISCARD;
	d.id = 7;
	d.sector_number = 64;
	d.nr_sectors = 128;
	memcpy(&r, &d, sizeof(d));
	CU_ASSERT_EQUAL(status_of(&r, &all, &q), BLKIF_RSP_OKAY);
	CU_ASSERT_EQUAL(q.op, BLK_OP_DISCARD);
	CU_ASSERT_EQUAL(q.nsectors, 128);
	CU_ASSERT_EQUAL(status_of(&r, &plain, &q), BLKIF_RSP_EOPNOTSUPP);
	CU_ASSERT_EQUAL(status_of(&r, &ro, &q), BLKIF_RSP_EOPNOTSUPP);
	d.nr_sectors = 0;
	memcpy(&r, &d, sizeof(d));
	CU_ASSERT_EQUAL(status_of(&r, &all, &q), BLKIF_RSP_ERROR);
	d.nr_sectors = UINT64_MAX;
	memcpy(&r, &d, sizeof(d));
	CU_ASSERT_EQUAL(status_of(&r, &all, &q), BLKIF_RSP_ERROR);
}

/* An indirect request of nsegs whole pages at sector, its segments
 * listed in *page. */
static struct blkif_request indirect(uint8_t op, uint64_t sector,
				     unsigned int nsegs,
				     struct blkif_request_segment *page)
{
	struct blkif_request_indirect ind;
	struct blkif_request r;

	memset(&r, 0, sizeof(r));
	memset(&ind, 0, sizeof(ind));
	ind.operation = BLKIF_OP_INDIRECT;
	ind.indirect_op = op;
	ind.nr_segments = (uint16_t)nsegs;
	ind.id = 0x99;
	ind.sector_number = sector;
	ind.indirect_grefs[0] = 500;
	memcpy(&r, &ind, sizeof(ind));
	memset(page, 0, BLK_PAGE);
	for (unsigned int i = 0; i < nsegs && i < BLK_SEGS_PER_PAGE; i++) {
		page[i].gref = 1000 + i;
		page[i].first_sect = 0;
		page[i].last_sect = 7;
	}
	return r;
}

/* Both steps of taking an indirect request: its slot, then its page. */
static int16_t indirect_status(const struct blkif_request *r,
			       const struct blkif_request_segment *page,
			       const struct blk_features *f, struct blk_req *q)
{
	char err[256];
	int16_t status = 99;

	if (blk_req_take(r, f, IMAGE_SECTORS, q, &status, err, sizeof(err)))
		return status;
	CU_ASSERT_EQUAL(q->indirect_pages, 1);
	CU_ASSERT_EQUAL(q->indirect_gref[0], 500);
	CU_ASSERT_EQUAL(q->nsegs, 0); /* nothing to act on yet */
	if (blk_req_take_indirect(q, page, IMAGE_SECTORS, &status, err,
				  sizeof(err)))
		CU_ASSERT_NOT_EQUAL(status, BLKIF_RSP_OKAY);
	CU_ASSERT_EQUAL(q->indirect_pages, 0);
	return status;
}

static void test_req_indirect(void)
{
	static struct blkif_request_segment page[BLK_SEGS_PER_PAGE];
	struct blk_features ro = {.readonly = true};
	struct blkif_request r;
	struct blk_req q;

	/* 32 pages (128 KiB): blkfront's default; the response echoes the
	 * inner operation, as blkfront checks. */
	r = indirect(BLKIF_OP_WRITE, 64, 32, page);
	page[31].last_sect = 3;
	CU_ASSERT_EQUAL(indirect_status(&r, page, &all, &q), BLKIF_RSP_OKAY);
	CU_ASSERT_EQUAL(q.op, BLK_OP_WRITE);
	CU_ASSERT_EQUAL(q.operation, BLKIF_OP_WRITE);
	CU_ASSERT_EQUAL(q.id, 0x99);
	CU_ASSERT_EQUAL(q.nsegs, 32);
	CU_ASSERT_EQUAL(q.sector, 64);
	CU_ASSERT_EQUAL(q.nsectors, 31 * 8 + 4);
	CU_ASSERT_EQUAL(q.seg[31].gref, 1031);
	/* The most we advertise, to the image's last sector. */
	r = indirect(BLKIF_OP_READ, IMAGE_SECTORS - BLK_MAX_SEGS * 8,
		     BLK_MAX_SEGS, page);
	CU_ASSERT_EQUAL(indirect_status(&r, page, &ro, &q), BLKIF_RSP_OKAY);
	CU_ASSERT_EQUAL(q.operation, BLKIF_OP_READ);
	CU_ASSERT_EQUAL(q.nsectors, BLK_MAX_SEGS * 8);
	/* Refused in the slot: segments none or too many, an operation
	 * other than read and write, a write to a read-only disk. */
	r = indirect(BLKIF_OP_READ, 0, 0, page);
	CU_ASSERT_EQUAL(indirect_status(&r, page, &all, &q), BLKIF_RSP_ERROR);
	r = indirect(BLKIF_OP_READ, 0, BLK_MAX_SEGS + 1, page);
	CU_ASSERT_EQUAL(indirect_status(&r, page, &all, &q), BLKIF_RSP_ERROR);
	r = indirect(BLKIF_OP_FLUSH_DISKCACHE, 0, 1, page);
	CU_ASSERT_EQUAL(indirect_status(&r, page, &all, &q), BLKIF_RSP_ERROR);
	r = indirect(BLKIF_OP_INDIRECT, 0, 1, page);
	CU_ASSERT_EQUAL(indirect_status(&r, page, &all, &q), BLKIF_RSP_ERROR);
	r = indirect(BLKIF_OP_WRITE, 0, 1, page);
	CU_ASSERT_EQUAL(indirect_status(&r, page, &ro, &q), BLKIF_RSP_ERROR);
	/* Refused in the page: a segment past its page, backwards, the
	 * sectors past the image or wrapping around. */
	r = indirect(BLKIF_OP_WRITE, 0, 40, page);
	page[39].last_sect = 8;
	CU_ASSERT_EQUAL(indirect_status(&r, page, &all, &q), BLKIF_RSP_ERROR);
	page[39].first_sect = 5;
	page[39].last_sect = 4;
	CU_ASSERT_EQUAL(indirect_status(&r, page, &all, &q), BLKIF_RSP_ERROR);
	r = indirect(BLKIF_OP_READ, IMAGE_SECTORS - 255, 32, page);
	CU_ASSERT_EQUAL(indirect_status(&r, page, &all, &q), BLKIF_RSP_ERROR);
	r = indirect(BLKIF_OP_READ, UINT64_MAX - 7, 2, page);
	CU_ASSERT_EQUAL(indirect_status(&r, page, &all, &q), BLKIF_RSP_ERROR);
}

static void test_rsp_zeroed(void)
{
	struct blkif_response slot;
	unsigned char *bytes = (unsigned char *)&slot;

	memset(&slot, 0xa5, sizeof(slot));
	blk_rsp_put(&slot, 42, BLKIF_OP_WRITE, BLKIF_RSP_ERROR);
	CU_ASSERT_EQUAL(slot.id, 42);
	CU_ASSERT_EQUAL(slot.operation, BLKIF_OP_WRITE);
	CU_ASSERT_EQUAL(slot.status, BLKIF_RSP_ERROR);
	/* The padding between operation and status, and after status. */
	CU_ASSERT_EQUAL(bytes[offsetof(struct blkif_response, operation) + 1],
			0);
	for (size_t i = offsetof(struct blkif_response, status) + 2;
	     i < sizeof(slot); i++)
		CU_ASSERT_EQUAL(bytes[i], 0);
}

/* A sparse image of IMAGE_SECTORS at dir/name. */
static const char *sparse_image(const char *name)
{
	const char *path = scratch_path(dir, "%s", name);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);

	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(ftruncate(fd, IMAGE_SECTORS * BLK_SECTOR), 0);
	close(fd);
	return path;
}

static void test_image(void)
{
	char block[BLK_PAGE], back[BLK_PAGE], err[256];
	struct iovec iov = {block, sizeof(block)}, in = {back, sizeof(back)};
	struct blk_image img;
	uint64_t start, len;
	const char *path = sparse_image("disk.img");

	CU_ASSERT_EQUAL_FATAL(
	    blk_image_open(path, false, &img, err, sizeof(err)), BL_OK);
	CU_ASSERT_EQUAL(img.sectors, IMAGE_SECTORS);
	/* All a hole at first. */
	CU_ASSERT_EQUAL(blk_image_next_extent(&img, 0, &start, &len),
			BL_ERR_NOTFOUND);
	memset(block, 'x', sizeof(block));
	CU_ASSERT_EQUAL(blk_image_write(&img, 1024, &iov, 1), BL_OK);
	CU_ASSERT_EQUAL(blk_image_flush(&img), BL_OK);
	CU_ASSERT_EQUAL(blk_image_read(&img, 1024, &in, 1), BL_OK);
	CU_ASSERT_EQUAL(memcmp(block, back, sizeof(block)), 0);
	/* The one extent written, and nothing else. */
	CU_ASSERT_EQUAL(blk_image_next_extent(&img, 0, &start, &len), BL_OK);
	CU_ASSERT(start <= 1024 * BLK_SECTOR);
	CU_ASSERT(start + len >= 1024 * BLK_SECTOR + BLK_PAGE);
	CU_ASSERT(len < 64 * 1024);
	CU_ASSERT_EQUAL(blk_image_next_extent(&img, start + len, &start, &len),
			BL_ERR_NOTFOUND);
	CU_ASSERT(blk_image_allocated(&img) >= BLK_PAGE);
	/* Discarded: zeros, and a hole again. */
	CU_ASSERT_EQUAL(blk_image_discard(&img, 1024, 8), BL_OK);
	CU_ASSERT_EQUAL(blk_image_read(&img, 1024, &in, 1), BL_OK);
	memset(block, 0, sizeof(block));
	CU_ASSERT_EQUAL(memcmp(block, back, sizeof(block)), 0);
	CU_ASSERT_EQUAL(blk_image_next_extent(&img, 0, &start, &len),
			BL_ERR_NOTFOUND);
	/* A read past the end is an error, not a short read. */
	CU_ASSERT_EQUAL(blk_image_read(&img, IMAGE_SECTORS - 4, &in, 1),
			BL_ERR_IO);
	blk_image_close(&img);
	blk_image_close(&img);

	CU_ASSERT_EQUAL_FATAL(
	    blk_image_open(path, true, &img, err, sizeof(err)), BL_OK);
	CU_ASSERT_EQUAL(blk_image_write(&img, 0, &iov, 1), BL_ERR_INVAL);
	CU_ASSERT_EQUAL(blk_image_discard(&img, 0, 8), BL_ERR_INVAL);
	blk_image_close(&img);
}

/* The image hash: holes hash as zeros, one byte changes it, and it is the
 * hash of the chunks' hashes. */
static void test_image_hash(void)
{
	unsigned char a[BLK_HASH_LEN], b[BLK_HASH_LEN], want[BLK_HASH_LEN];
	unsigned char chunk_h[2][BLK_HASH_LEN];
	EVP_MD_CTX *ctx;
	static char data[2 * BLK_HASH_CHUNK];
	struct iovec iov = {data + BLK_HASH_CHUNK + 4096, BLK_PAGE};
	struct blk_image sparse, dense;
	const char *sp = sparse_image("hash-sparse.img");
	const char *dp = scratch_path(dir, "hash-dense.img");
	char err[256];
	unsigned int n;
	int fd;

	/* 1 MiB: 16 chunks; one page written in the second chunk. */
	memset(data, 0, sizeof(data));
	memset(data + BLK_HASH_CHUNK + 4096, 'd', BLK_PAGE);
	CU_ASSERT_EQUAL_FATAL(
	    blk_image_open(sp, false, &sparse, err, sizeof(err)), BL_OK);
	CU_ASSERT_EQUAL(blk_image_write(&sparse,
					(BLK_HASH_CHUNK + 4096) / BLK_SECTOR,
					&iov, 1),
			BL_OK);
	/* The same bytes, every one of them written. */
	fd = open(dp, O_RDWR | O_CREAT | O_TRUNC, 0600);
	CU_ASSERT_FATAL(fd >= 0);
	for (unsigned int i = 0;
	     i < IMAGE_SECTORS * BLK_SECTOR / BLK_HASH_CHUNK; i++)
		CU_ASSERT_EQUAL(write(fd, data + (i == 1 ? BLK_HASH_CHUNK : 0),
				      BLK_HASH_CHUNK),
				BLK_HASH_CHUNK);
	close(fd);
	CU_ASSERT_EQUAL_FATAL(
	    blk_image_open(dp, false, &dense, err, sizeof(err)), BL_OK);
	CU_ASSERT_EQUAL(blk_image_hash(&sparse, a), BL_OK);
	CU_ASSERT_EQUAL(blk_image_hash(&dense, b), BL_OK);
	CU_ASSERT_EQUAL(memcmp(a, b, sizeof(a)), 0);
	/* By its definition. */
	EVP_Digest(data, BLK_HASH_CHUNK, chunk_h[0], &n, EVP_sha256(), NULL);
	EVP_Digest(data + BLK_HASH_CHUNK, BLK_HASH_CHUNK, chunk_h[1], &n,
		   EVP_sha256(), NULL);
	ctx = EVP_MD_CTX_new();
	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	for (int i = 0; i < 16; i++)
		EVP_DigestUpdate(ctx, chunk_h[i == 1], BLK_HASH_LEN);
	EVP_DigestFinal_ex(ctx, want, NULL);
	EVP_MD_CTX_free(ctx);
	CU_ASSERT_EQUAL(memcmp(a, want, sizeof(a)), 0);
	/* One byte, in a chunk that was a hole. */
	iov.iov_base = data;
	iov.iov_len = BLK_SECTOR;
	data[0] = 1;
	CU_ASSERT_EQUAL(blk_image_write(&dense, 2040, &iov, 1), BL_OK);
	CU_ASSERT_EQUAL(blk_image_hash(&dense, b), BL_OK);
	CU_ASSERT_NOT_EQUAL(memcmp(a, b, sizeof(a)), 0);
	blk_image_close(&sparse);
	blk_image_close(&dense);
}

static void test_image_refused(void)
{
	char err[256];
	struct blk_image img;
	const char *odd = scratch_path(dir, "odd.img");
	int fd = open(odd, O_RDWR | O_CREAT | O_TRUNC, 0600);

	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(ftruncate(fd, 1000), 0);
	close(fd);
	CU_ASSERT_EQUAL(blk_image_open(odd, false, &img, err, sizeof(err)),
			BL_ERR_INVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "odd.img"));
	CU_ASSERT_EQUAL(blk_image_open(dir, false, &img, err, sizeof(err)),
			BL_ERR_IO); /* a folder: EISDIR when opened rw */
	CU_ASSERT_EQUAL(blk_image_open(dir, true, &img, err, sizeof(err)),
			BL_ERR_INVAL);
	CU_ASSERT_EQUAL(blk_image_open(scratch_path(dir, "none.img"), false,
				       &img, err, sizeof(err)),
			BL_ERR_NOTFOUND);
}

static void test_dirty_named(void)
{
	struct blk_dirty d;
	uint64_t chunk, sector, n;

	/* 1000 sectors in chunks of 128: the eighth chunk is 104 long. */
	CU_ASSERT_EQUAL_FATAL(blk_dirty_init(&d, 1000, 7), BL_OK);
	CU_ASSERT_EQUAL(d.chunks, 8);
	CU_ASSERT_FALSE(blk_dirty_take(&d, 0, &chunk, &sector, &n));
	blk_dirty_mark(&d, 127, 2);   /* chunks 0 and 1 */
	blk_dirty_mark(&d, 990, 100); /* chunk 7, cut at the end */
	blk_dirty_mark(&d, 5000, 8);  /* past the image: nothing */
	CU_ASSERT_EQUAL(d.count, 3);
	CU_ASSERT_TRUE(blk_dirty_take(&d, 1, &chunk, &sector, &n));
	CU_ASSERT_EQUAL(chunk, 1);
	CU_ASSERT_EQUAL(sector, 128);
	CU_ASSERT_EQUAL(n, 128);
	CU_ASSERT_TRUE(blk_dirty_take(&d, 2, &chunk, &sector, &n));
	CU_ASSERT_EQUAL(chunk, 7);
	CU_ASSERT_EQUAL(n, 104);
	CU_ASSERT_TRUE(blk_dirty_take(&d, 0, &chunk, &sector, &n));
	CU_ASSERT_EQUAL(chunk, 0);
	CU_ASSERT_FALSE(blk_dirty_take(&d, 0, &chunk, &sector, &n));
	blk_dirty_mark_all(&d);
	CU_ASSERT_EQUAL(d.count, 8);
	blk_dirty_dispose(&d);
	blk_dirty_dispose(&d);
	CU_ASSERT_EQUAL(blk_dirty_init(&d, 0, 7), BL_ERR_INVAL);
	CU_ASSERT_EQUAL(blk_dirty_init(&d, 10, 21), BL_ERR_INVAL);
}

/* Seeded: random marks and takes agree with a byte per chunk. A new seed
 * each run, printed; BLANKET_SEED=N runs seed N again. */
static void test_dirty_random(void)
{
	const char *again = getenv("BLANKET_SEED");
	unsigned int seed = again ? (unsigned int)strtoul(again, NULL, 10)
				  : (unsigned int)time(NULL);
	uint64_t chunk, sector, n, sectors;
	unsigned char model[4096];
	struct blk_dirty d;
	unsigned int shift;

	fprintf(stderr, "\n  dirty bitmap seed %u\n", seed);
	srandom(seed);
	for (int round = 0; round < 50; round++) {
		shift = (unsigned int)(random() % 8);
		sectors = 1 + (uint64_t)random() % (4096ULL << shift);
		if (((sectors - 1) >> shift) + 1 > sizeof(model))
			continue;
		CU_ASSERT_EQUAL_FATAL(blk_dirty_init(&d, sectors, shift),
				      BL_OK);
		memset(model, 0, sizeof(model));
		for (int i = 0; i < 200; i++) {
			uint64_t s = (uint64_t)random() % (sectors + 16);
			uint64_t len = (uint64_t)random() % 300;

			blk_dirty_mark(&d, s, len);
			for (uint64_t x = s; x < s + len && x < sectors; x++)
				model[x >> shift] = 1;
		}
		for (uint64_t from = (uint64_t)random() % d.chunks;
		     blk_dirty_take(&d, from, &chunk, &sector, &n);) {
			CU_ASSERT(chunk >= from);
			CU_ASSERT_EQUAL(model[chunk], 1);
			for (uint64_t c = from; c < chunk; c++)
				CU_ASSERT_EQUAL(model[c], 0);
			CU_ASSERT(sector + n <= sectors);
			model[chunk] = 0;
			from = chunk;
		}
		/* What is left lies before where the walk began. */
		while (blk_dirty_take(&d, 0, &chunk, &sector, &n)) {
			CU_ASSERT_EQUAL(model[chunk], 1);
			model[chunk] = 0;
		}
		CU_ASSERT_EQUAL(d.count, 0);
		for (uint64_t c = 0; c < d.chunks; c++)
			CU_ASSERT_EQUAL(model[c], 0);
		blk_dirty_dispose(&d);
	}
}

/* --- the ring, with this test as the frontend --- */

struct taken {
	struct blk_req req[64];
	unsigned int n;
};

static void take_one(void *arg, const struct blk_req *req)
{
	struct taken *t = arg;

	if (t->n < 64)
		t->req[t->n] = *req;
	t->n++;
}

static void test_ring(void)
{
	static union {
		struct blkif_sring s;
		char page[BLK_PAGE];
	} shared __attribute__((aligned(4096)));
	struct blkif_front_ring front;
	struct blk_ring back;
	struct taken t = {.n = 0};
	unsigned int taken, slots;
	char err[256];
	bool notify;

	SHARED_RING_INIT(&shared.s);
	FRONT_RING_INIT(&front, &shared.s, sizeof(shared));
	CU_ASSERT_EQUAL_FATAL(blk_ring_attach(&back, &shared, sizeof(shared),
					      &all, IMAGE_SECTORS),
			      BL_OK);
	slots = back.slots;
	CU_ASSERT_EQUAL(slots, 32);
	CU_ASSERT_EQUAL(
	    blk_ring_attach(&back, &shared, 3 * BLK_PAGE, &all, IMAGE_SECTORS),
	    BL_ERR_INVAL);
	CU_ASSERT_EQUAL(blk_ring_attach(&back, &shared, sizeof(shared), &all,
					IMAGE_SECTORS),
			BL_OK);
	/* Nothing yet: the backend asks for an event. */
	CU_ASSERT_FALSE(blk_ring_final_check(&back));
	CU_ASSERT_EQUAL(shared.s.req_event, 1);
	/* Two requests: one good, one past the image (answered at once). */
	*RING_GET_REQUEST(&front, front.req_prod_pvt++) =
	    rw(BLKIF_OP_READ, 0, 1);
	*RING_GET_REQUEST(&front, front.req_prod_pvt++) =
	    rw(BLKIF_OP_READ, IMAGE_SECTORS, 1);
	RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&front, notify);
	CU_ASSERT_TRUE(notify);
	CU_ASSERT_EQUAL(
	    blk_ring_take(&back, take_one, &t, &taken, err, sizeof(err)),
	    BL_OK);
	CU_ASSERT_EQUAL(taken, 2);
	CU_ASSERT_EQUAL(t.n, 1);
	CU_ASSERT_EQUAL(back.refused, 1);
	CU_ASSERT_EQUAL(blk_ring_in_flight(&back), 1);
	blk_ring_respond(&back, t.req[0].id, t.req[0].operation,
			 BLKIF_RSP_OKAY);
	CU_ASSERT_EQUAL(blk_ring_in_flight(&back), 0);
	/* The frontend waits for responses: it gets an event. */
	shared.s.rsp_event = front.rsp_cons + 1;
	CU_ASSERT_TRUE(blk_ring_push(&back));
	CU_ASSERT_EQUAL(RING_GET_RESPONSE(&front, 0)->status, BLKIF_RSP_ERROR);
	CU_ASSERT_EQUAL(RING_GET_RESPONSE(&front, 1)->status, BLKIF_RSP_OKAY);
	front.rsp_cons = 2;
	/* A full ring is taken whole; not one more while none is answered. */
	for (unsigned int i = 0; i < slots; i++)
		*RING_GET_REQUEST(&front, front.req_prod_pvt++) =
		    rw(BLKIF_OP_WRITE, i * 8, 1);
	RING_PUSH_REQUESTS(&front);
	t.n = 0;
	CU_ASSERT_EQUAL(
	    blk_ring_take(&back, take_one, &t, &taken, err, sizeof(err)),
	    BL_OK);
	CU_ASSERT_EQUAL(taken, slots);
	CU_ASSERT_EQUAL(blk_ring_in_flight(&back), slots);
	/* A frontend that claims more than the ring holds is cut off. */
	shared.s.req_prod += slots + 1;
	CU_ASSERT_EQUAL(
	    blk_ring_take(&back, take_one, &t, &taken, err, sizeof(err)),
	    BL_ERR_PROTO);
	CU_ASSERT_EQUAL(taken, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "on a ring of 32"));
}

/* Kept chunk by chunk, the hash is blk_image_hash's. */
static void test_hashes(void)
{
	static unsigned char data[BLK_HASH_CHUNK];
	unsigned char a[BLK_HASH_LEN], b[BLK_HASH_LEN];
	const char *path = scratch_path(dir, "hashes.img");
	struct blk_hashes hs;
	struct blk_image img;
	char err[256];
	int fd;

	/* 3 chunks and a half; data in the second and the short last. */
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(ftruncate(fd, 3 * BLK_HASH_CHUNK + 32768), 0);
	memset(data, 'h', sizeof(data));
	CU_ASSERT_EQUAL(pwrite(fd, data, BLK_HASH_CHUNK, BLK_HASH_CHUNK),
			BLK_HASH_CHUNK);
	CU_ASSERT_EQUAL(pwrite(fd, data, 32768, 3 * BLK_HASH_CHUNK), 32768);
	close(fd);
	CU_ASSERT_EQUAL_FATAL(
	    blk_image_open(path, true, &img, err, sizeof(err)), BL_OK);
	CU_ASSERT_EQUAL(blk_image_hash(&img, a), BL_OK);
	blk_image_close(&img);
	CU_ASSERT_EQUAL_FATAL(blk_hashes_init(&hs, 3 * BLK_HASH_CHUNK + 32768),
			      BL_OK);
	CU_ASSERT_EQUAL(hs.chunks, 4);
	CU_ASSERT_EQUAL(blk_hashes_len(&hs, 3), 32768);
	CU_ASSERT_EQUAL(blk_hashes_set(&hs, 1, data), BL_OK);
	CU_ASSERT_EQUAL(blk_hashes_final(&hs, b), BL_OK);
	CU_ASSERT_NOT_EQUAL(memcmp(a, b, sizeof(a)), 0);
	CU_ASSERT_EQUAL(blk_hashes_set(&hs, 3, data), BL_OK);
	CU_ASSERT_EQUAL(blk_hashes_final(&hs, b), BL_OK);
	CU_ASSERT_EQUAL(memcmp(a, b, sizeof(a)), 0);
	/* A chunk set back to zeros, and one past the end. */
	CU_ASSERT_EQUAL(blk_hashes_set(&hs, 1, NULL), BL_OK);
	CU_ASSERT_EQUAL(blk_hashes_final(&hs, b), BL_OK);
	CU_ASSERT_NOT_EQUAL(memcmp(a, b, sizeof(a)), 0);
	CU_ASSERT_EQUAL(blk_hashes_set(&hs, 4, data), BL_ERR_INVAL);
	blk_hashes_dispose(&hs);
	blk_hashes_dispose(&hs); /* idempotent */
	CU_ASSERT_EQUAL(blk_hashes_init(&hs, 0), BL_ERR_INVAL);
	CU_ASSERT_EQUAL(blk_hashes_init(&hs, 1000), BL_ERR_INVAL);
}

/* One control request through the backend's side. */
static struct blk_ctl_reply *ctl(struct blk_ctl *c, uint32_t op, uint32_t arg)
{
	static struct blk_ctl_reply reply;
	struct blk_ctl_req r = {op, arg};
	size_t len;

	blk_ctl_handle(c, &r, sizeof(r), &reply, &len);
	CU_ASSERT_EQUAL(len, BLK_CTL_REPLY_HEAD + reply.n * 8);
	return &reply;
}

static void test_ctl(void)
{
	struct blk_ctl_reply *r, bad;
	char err[BL_ERRMSG_MAX];
	struct blk_ctl c;
	size_t len;
	int sv[2];

	blk_ctl_init(&c, 1000); /* 8 chunks of 128 sectors, the last short */
	r = ctl(&c, BLK_CTL_INFO, 0);
	CU_ASSERT_EQUAL(r->status, BL_OK);
	CU_ASSERT_EQUAL(r->n, 2);
	CU_ASSERT_EQUAL(r->v[0], 1000);
	CU_ASSERT_EQUAL(r->v[1], 128);
	/* Nothing tracked yet: no take, and writes are not marked. */
	CU_ASSERT_EQUAL(ctl(&c, BLK_CTL_TAKE, 10)->status, BL_ERR_INVAL);
	CU_ASSERT_FALSE(blk_ctl_written(&c, 0, 8, 1, BLKIF_OP_WRITE));
	CU_ASSERT_EQUAL(ctl(&c, BLK_CTL_TRACK, 0)->status, BL_OK);
	CU_ASSERT_EQUAL(ctl(&c, BLK_CTL_TAKE, 10)->n, 0);
	/* chunks 0 and 1, then 7; answered at once, with no mirror */
	CU_ASSERT_FALSE(blk_ctl_written(&c, 120, 16, 2, BLKIF_OP_WRITE));
	CU_ASSERT_FALSE(blk_ctl_written(&c, 999, 1, 3, BLKIF_OP_DISCARD));
	CU_ASSERT_EQUAL(c.dirty.count, 3);
	r = ctl(&c, BLK_CTL_TAKE, 2);
	CU_ASSERT_EQUAL(r->n, 2);
	CU_ASSERT_EQUAL(r->v[0], 0);
	CU_ASSERT_EQUAL(r->v[1], 1);
	r = ctl(&c, BLK_CTL_TAKE, 10);
	CU_ASSERT_EQUAL(r->n, 1);
	CU_ASSERT_EQUAL(r->v[0], 7);
	CU_ASSERT_EQUAL(ctl(&c, BLK_CTL_TAKE, 10)->n, 0);
	/* Quiesce and resume; resume stops tracking. */
	CU_ASSERT_EQUAL(ctl(&c, BLK_CTL_QUIESCE, 0)->status, BL_OK);
	CU_ASSERT_TRUE(c.quiesced);
	CU_ASSERT_EQUAL(ctl(&c, BLK_CTL_RESUME, 0)->status, BL_OK);
	CU_ASSERT_FALSE(c.quiesced);
	CU_ASSERT_FALSE(c.tracking);
	/* The channel's end resumes too. */
	CU_ASSERT_EQUAL(ctl(&c, BLK_CTL_TRACK, 0)->status, BL_OK);
	CU_ASSERT_EQUAL(ctl(&c, BLK_CTL_QUIESCE, 0)->status, BL_OK);
	blk_ctl_closed(&c);
	CU_ASSERT_FALSE(c.quiesced);
	CU_ASSERT_FALSE(c.tracking);
	/* What the backend cannot read. */
	CU_ASSERT_EQUAL(ctl(&c, 99, 0)->status, BL_ERR_INVAL);
	/* What blanketd cannot take from a backend (fuzz_blk_ctl found the
	 * first: a status of INT_MIN, which bl_strerror once negated). */
	CU_ASSERT_EQUAL(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	CU_ASSERT_EQUAL(write(sv[1], &(int32_t[]){INT32_MIN, 0}, 8), 8);
	CU_ASSERT_EQUAL(
	    blk_ctl_call(sv[0], BLK_CTL_INFO, 0, 1000, &bad, err, sizeof(err)),
	    INT32_MIN);
	CU_ASSERT_STRING_EQUAL(err,
			       "the disk's backend refused: unknown error");
	CU_ASSERT_EQUAL(
	    write(sv[1], &(int32_t[]){0, BLK_CTL_VALUES_MAX + 1}, 8), 8);
	CU_ASSERT_EQUAL(
	    blk_ctl_call(sv[0], BLK_CTL_TAKE, 1, 1000, &bad, err, sizeof(err)),
	    BL_ERR_PROTO);
	close(sv[0]);
	close(sv[1]);
	blk_ctl_handle(&c, "abc", 3, &bad, &len);
	CU_ASSERT_EQUAL(bad.status, BL_ERR_PROTO);
	CU_ASSERT_EQUAL(len, BLK_CTL_REPLY_HEAD);
}

void suite_blk(void)
{
	CU_pSuite s = CU_add_suite("block backend", setup, teardown);

	CU_add_test(s, "requests that are right", test_req_good);
	CU_add_test(s, "requests that are refused", test_req_bad);
	CU_add_test(s, "indirect requests", test_req_indirect);
	CU_add_test(s, "responses are zeroed", test_rsp_zeroed);
	CU_add_test(s, "the ring", test_ring);
	CU_add_test(s, "raw sparse images", test_image);
	CU_add_test(s, "images refused", test_image_refused);
	CU_add_test(s, "the image hash", test_image_hash);
	CU_add_test(s, "dirty bitmap, named cases", test_dirty_named);
	CU_add_test(s, "dirty bitmap, seeded", test_dirty_random);
	CU_add_test(s, "the image hash, kept by chunk", test_hashes);
	CU_add_test(s, "the migration's control channel", test_ctl);
}
