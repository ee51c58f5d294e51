/* Live storage migration, the destination's side (disk_recv.h). */
#include "toolstack/blanketd/disk_recv.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "toolstack/common/log.h"

int disk_recv_create(struct disk_recv *dr, uint32_t index, const char *vdev,
		     const char *path, char *err, size_t errlen)
{
	*dr = DISK_RECV_NONE;
	snprintf(dr->what, sizeof(dr->what), "disk %u (%.16s)", index, vdev);
	if (strlen(path) >= sizeof(dr->path)) {
		snprintf(err, errlen, "%s: path too long", dr->what);
		return BL_ERR_INVAL;
	}
	dr->fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (dr->fd < 0) {
		snprintf(err, errlen, "%s: %.300s: %s", dr->what, path,
			 errno == EEXIST ? "an image is there already"
					 : strerror(errno));
		return errno == EEXIST ? BL_ERR_BUSY : BL_ERR_IO;
	}
	snprintf(dr->path, sizeof(dr->path), "%s", path);
	return BL_OK;
}

int disk_recv_start(struct disk_recv *dr, const struct mig_disk_rec *r,
		    char *err, size_t errlen)
{
	if (dr->fd < 0 || dr->hashes.h) {
		snprintf(err, errlen, "%s: disk: sent twice", dr->what);
		return BL_ERR_PROTO;
	}
	if (ftruncate(dr->fd, (off_t)(r->sectors * 512)) < 0) {
		snprintf(err, errlen, "%s: sizing %.300s: %s", dr->what,
			 dr->path, strerror(errno));
		return BL_ERR_IO;
	}
	if (blk_hashes_init(&dr->hashes, r->sectors * 512)) {
		snprintf(err, errlen, "%s: out of memory", dr->what);
		return BL_ERR_NOMEM;
	}
	return BL_OK;
}

int disk_recv_data(struct disk_recv *dr, const struct mig_disk_rec *r,
		   char *err, size_t errlen)
{
	uint64_t c = r->offset / BLK_HASH_CHUNK;
	ssize_t w;

	if (!dr->hashes.h) {
		snprintf(err, errlen, "%s: disk-data before its disk record",
			 dr->what);
		return BL_ERR_PROTO;
	}
	/* The decoder checked the range; this end also needs whole chunks,
	 * as its hash is kept by chunk. */
	if (r->offset % BLK_HASH_CHUNK || c >= dr->hashes.chunks ||
	    r->len != blk_hashes_len(&dr->hashes, c)) {
		snprintf(err, errlen, "%s: disk-data: not a whole 64 KiB chunk",
			 dr->what);
		return BL_ERR_PROTO;
	}
	if (!r->data) {
		if (fallocate(dr->fd,
			      FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			      (off_t)r->offset, r->len) < 0) {
			snprintf(err, errlen, "%s: punching a hole: %s",
				 dr->what, strerror(errno));
			return BL_ERR_IO;
		}
	} else {
		w = pwrite(dr->fd, r->data, r->len, (off_t)r->offset);
		if (w != (ssize_t)r->len) {
			snprintf(err, errlen, "%s: writing the image: %s",
				 dr->what,
				 w < 0 ? strerror(errno) : "short write");
			return BL_ERR_IO;
		}
	}
	if (blk_hashes_set(&dr->hashes, c, r->data)) {
		snprintf(err, errlen, "%s: hashing", dr->what);
		return BL_ERR_IO;
	}
	return BL_OK;
}

int disk_recv_end(struct disk_recv *dr, const struct mig_disk_rec *r, char *err,
		  size_t errlen)
{
	unsigned char hash[BLK_HASH_LEN];

	if (fdatasync(dr->fd) < 0) {
		snprintf(err, errlen, "%s: syncing the image: %s", dr->what,
			 strerror(errno));
		return BL_ERR_IO;
	}
	if (blk_hashes_final(&dr->hashes, hash)) {
		snprintf(err, errlen, "%s: hashing", dr->what);
		return BL_ERR_IO;
	}
	if (memcmp(hash, r->hash, sizeof(hash))) {
		snprintf(err, errlen,
			 "%s: the image received does not hash as the "
			 "source's",
			 dr->what);
		return BL_ERR_PROTO;
	}
	dr->ended = true;
	return BL_OK;
}

void disk_recv_close(struct disk_recv *dr, bool remove)
{
	if (dr->fd >= 0)
		close(dr->fd);
	dr->fd = -1;
	if (remove && dr->path[0] && unlink(dr->path) < 0 && errno != ENOENT)
		log_warn("removing %s", dr->path);
	dr->path[0] = '\0';
	blk_hashes_dispose(&dr->hashes);
}
