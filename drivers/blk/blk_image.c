/* Raw sparse images (blk_image.h). */
#include "drivers/blk/blk_image.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "drivers/blk/blk_req.h"

int blk_image_open(const char *path, bool readonly, struct blk_image *img_r,
		   char *err, size_t errlen)
{
	struct stat st;
	int fd;

	fd = open(path, (readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "image %s: %s", path, strerror(errno));
		return errno == ENOENT ? BL_ERR_NOTFOUND : BL_ERR_IO;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_size % BLK_SECTOR || st.st_size == 0) {
		snprintf(err, errlen,
			 "image %s: want a regular file of a whole number of "
			 "%u-byte sectors",
			 path, BLK_SECTOR);
		close(fd);
		return BL_ERR_INVAL;
	}
	img_r->fd = fd;
	img_r->sectors = (uint64_t)st.st_size / BLK_SECTOR;
	img_r->readonly = readonly;
	return BL_OK;
}

void blk_image_close(struct blk_image *img)
{
	if (img->fd >= 0)
		close(img->fd);
	img->fd = -1;
}

/* The whole of iov at byte off, by preadv or pwritev, short transfers
 * continued. */
static int transfer(int fd, uint64_t off, const struct iovec *iov, int iovcnt,
		    bool write)
{
	struct iovec left[BLK_IMAGE_IOV_MAX];
	int n = iovcnt, first = 0;

	if (iovcnt < 0 || iovcnt > BLK_IMAGE_IOV_MAX)
		return BL_ERR_INVAL;
	memcpy(left, iov, (size_t)iovcnt * sizeof(*iov));
	while (first < n) {
		ssize_t r =
		    write ? pwritev(fd, left + first, n - first, (off_t)off)
			  : preadv(fd, left + first, n - first, (off_t)off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return BL_ERR_IO; /* a read past the end is one too */
		off += (uint64_t)r;
		while (first < n && (size_t)r >= left[first].iov_len)
			r -= (ssize_t)left[first++].iov_len;
		if (first < n) {
			left[first].iov_base = (char *)left[first].iov_base + r;
			left[first].iov_len -= (size_t)r;
		}
	}
	return BL_OK;
}

int blk_image_read(struct blk_image *img, uint64_t sector,
		   const struct iovec *iov, int iovcnt)
{
	return transfer(img->fd, sector * BLK_SECTOR, iov, iovcnt, false);
}

int blk_image_write(struct blk_image *img, uint64_t sector,
		    const struct iovec *iov, int iovcnt)
{
	if (img->readonly)
		return BL_ERR_INVAL;
	return transfer(img->fd, sector * BLK_SECTOR, iov, iovcnt, true);
}

int blk_image_flush(struct blk_image *img)
{
	return fdatasync(img->fd) < 0 ? BL_ERR_IO : BL_OK;
}

int blk_image_discard(struct blk_image *img, uint64_t sector, uint64_t nsectors)
{
	if (img->readonly)
		return BL_ERR_INVAL;
	if (fallocate(img->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		      (off_t)(sector * BLK_SECTOR),
		      (off_t)(nsectors * BLK_SECTOR)) < 0)
		return BL_ERR_IO;
	return BL_OK;
}

int blk_image_next_extent(const struct blk_image *img, uint64_t from,
			  uint64_t *start_r, uint64_t *len_r)
{
	uint64_t size = img->sectors * BLK_SECTOR;
	off_t data, hole;

	if (from >= size)
		return BL_ERR_NOTFOUND;
	data = lseek(img->fd, (off_t)from, SEEK_DATA);
	if (data < 0 && errno == ENXIO)
		return BL_ERR_NOTFOUND;
	if (data < 0 && errno == EINVAL) {
		/* No SEEK_DATA here: all of it counts as data. */
		*start_r = from;
		*len_r = size - from;
		return BL_OK;
	}
	if (data < 0)
		return BL_ERR_IO;
	hole = lseek(img->fd, data, SEEK_HOLE);
	if (hole < 0)
		return BL_ERR_IO;
	*start_r = (uint64_t)data;
	*len_r =
	    ((uint64_t)hole > size ? size : (uint64_t)hole) - (uint64_t)data;
	return BL_OK;
}

uint64_t blk_image_allocated(const struct blk_image *img)
{
	struct stat st;

	if (fstat(img->fd, &st) < 0)
		return 0;
	return (uint64_t)st.st_blocks * 512;
}

int blk_sha256(const void *p, size_t len, unsigned char out[BLK_HASH_LEN])
{
	unsigned int n = 0;

	return EVP_Digest(p, len, out, &n, EVP_sha256(), NULL) &&
		       n == BLK_HASH_LEN
		   ? BL_OK
		   : BL_ERR_IO;
}

int blk_image_hash(const struct blk_image *img,
		   unsigned char hash_r[BLK_HASH_LEN])
{
	static unsigned char chunk[BLK_HASH_CHUNK], zeros[BLK_HASH_CHUNK];
	uint64_t size = img->sectors * BLK_SECTOR, at = 0, start = 0, len = 0;
	unsigned char h[BLK_HASH_LEN], zero_h[BLK_HASH_LEN];
	EVP_MD_CTX *all = EVP_MD_CTX_new();
	int rc = all && EVP_DigestInit_ex(all, EVP_sha256(), NULL)
		     ? blk_sha256(zeros, sizeof(zeros), zero_h)
		     : BL_ERR_IO;

	/* start..start+len: the allocated extent at or after at, if any. */
	if (!rc &&
	    blk_image_next_extent(img, 0, &start, &len) == BL_ERR_NOTFOUND)
		start = size;
	for (; !rc && at < size; at += BLK_HASH_CHUNK) {
		size_t n = size - at < BLK_HASH_CHUNK ? (size_t)(size - at)
						      : BLK_HASH_CHUNK;
		ssize_t r;

		while (!rc && start < size && start + len <= at) {
			rc = blk_image_next_extent(img, start + len, &start,
						   &len);
			if (rc == BL_ERR_NOTFOUND) {
				start = size; /* the rest is a hole */
				rc = BL_OK;
			}
		}
		if (rc)
			break;
		if (start >= at + n) {
			/* All hole: a full chunk hashes as the zero chunk. */
			if (n == BLK_HASH_CHUNK)
				memcpy(h, zero_h, sizeof(h));
			else
				rc = blk_sha256(zeros, n, h);
		} else {
			r = pread(img->fd, chunk, n, (off_t)at);
			rc = r == (ssize_t)n ? blk_sha256(chunk, n, h)
					     : BL_ERR_IO;
		}
		if (!rc && !EVP_DigestUpdate(all, h, sizeof(h)))
			rc = BL_ERR_IO;
	}
	if (!rc && !EVP_DigestFinal_ex(all, hash_r, NULL))
		rc = BL_ERR_IO;
	EVP_MD_CTX_free(all);
	return rc;
}
