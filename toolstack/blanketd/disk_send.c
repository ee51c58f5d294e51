/* Live storage migration, the source's side (disk_send.h). */
#include "toolstack/blanketd/disk_send.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "drivers/blk/blk_ctl.h"
#include "toolstack/common/log.h"

#define CTL_TIMEOUT_MS 10000

/* One call, one chunk at a time in a session. */
static struct blk_ctl_reply reply;
static unsigned char buf[BLK_HASH_CHUNK];

int disk_send_start(struct disk_send *ds, struct mig_enc *enc, uint32_t index,
		    const char *vdev, const char *path, const char *ctl_dir,
		    uint32_t domid, uint32_t devid, char *err, size_t errlen)
{
	char why[BL_ERRMSG_MAX];
	struct stat st;
	int rc;

	*ds = DISK_SEND_NONE;
	ds->index = index;
	snprintf(ds->what, sizeof(ds->what), "disk %u (%.16s)", index, vdev);
	ds->img_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (ds->img_fd < 0 || fstat(ds->img_fd, &st) < 0) {
		snprintf(err, errlen, "%s: %.300s: %s", ds->what, path,
			 strerror(errno));
		return BL_ERR_IO;
	}
	ds->sectors = (uint64_t)st.st_size / 512;
	ds->allocated = (uint64_t)st.st_blocks * 512;
	if (ds->allocated > (uint64_t)st.st_size)
		ds->allocated = (uint64_t)st.st_size;
	rc = blk_ctl_connect(ctl_dir, domid, devid, &ds->ctl_fd, why,
			     sizeof(why));
	if (!rc)
		rc = blk_ctl_call(ds->ctl_fd, BLK_CTL_INFO, 0, CTL_TIMEOUT_MS,
				  &reply, why, sizeof(why));
	if (!rc && (reply.n != 2 || reply.v[0] != ds->sectors ||
		    reply.v[1] * 512 != BLK_HASH_CHUNK)) {
		snprintf(why, sizeof(why),
			 "its backend serves another image (%llu sectors, "
			 "not %llu)",
			 (unsigned long long)reply.v[0],
			 (unsigned long long)ds->sectors);
		rc = BL_ERR_INVAL;
	}
	if (!rc)
		rc = blk_ctl_call(ds->ctl_fd, BLK_CTL_TRACK, 0, CTL_TIMEOUT_MS,
				  &reply, why, sizeof(why));
	if (!rc)
		rc = blk_hashes_init(&ds->hashes, ds->sectors * 512);
	if (rc) {
		snprintf(err, errlen, "%s: %.400s", ds->what, why);
		return rc;
	}
	return mig_enc_disk(enc, index, ds->sectors, ds->allocated);
}

/* One call to the backend; err names the disk and what was asked. */
static int call(struct disk_send *ds, uint32_t op, uint32_t arg,
		const char *what, char *err, size_t errlen)
{
	char why[BL_ERRMSG_MAX];
	int rc = blk_ctl_call(ds->ctl_fd, op, arg, CTL_TIMEOUT_MS, &reply, why,
			      sizeof(why));

	if (rc)
		snprintf(err, errlen, "%s: %s: %.400s", ds->what, what, why);
	return rc;
}

/* Chunk c, read from the image now, hashed and sent. */
static int send_chunk(struct disk_send *ds, struct mig_enc *enc, uint64_t c,
		      char *err, size_t errlen)
{
	uint32_t len = blk_hashes_len(&ds->hashes, c);
	ssize_t r = pread(ds->img_fd, buf, len, (off_t)(c * BLK_HASH_CHUNK));
	int rc;

	if (r != (ssize_t)len) {
		snprintf(err, errlen, "%s: reading the image: %s", ds->what,
			 r < 0 ? strerror(errno) : "short read");
		return BL_ERR_IO;
	}
	rc = blk_hashes_set(&ds->hashes, c, buf);
	if (!rc)
		rc = mig_enc_disk_data(enc, ds->index, c * BLK_HASH_CHUNK, buf,
				       len);
	if (rc) {
		snprintf(err, errlen, "%s: sending: %s", ds->what,
			 bl_strerror(rc));
		return rc;
	}
	ds->bytes += len;
	ds->chunks_sent++;
	return BL_OK;
}

int disk_send_bulk(struct disk_send *ds, struct mig_enc *enc, char *err,
		   size_t errlen)
{
	uint64_t size = ds->sectors * 512, at = 0, c = 0;
	off_t data, hole;
	int rc = BL_OK;

	while (!rc && at < size) {
		data = lseek(ds->img_fd, (off_t)at, SEEK_DATA);
		if (data < 0 && errno == ENXIO)
			break; /* the rest is a hole */
		if (data < 0) {
			data = (off_t)at; /* no SEEK_DATA: all is data */
			hole = (off_t)size;
		} else {
			hole = lseek(ds->img_fd, data, SEEK_HOLE);
			if (hole < 0)
				hole = (off_t)size;
		}
		for (c = (uint64_t)data / BLK_HASH_CHUNK;
		     !rc && c * BLK_HASH_CHUNK < (uint64_t)hole; c++)
			rc = send_chunk(ds, enc, c, err, errlen);
		at = c * BLK_HASH_CHUNK;
	}
	return rc;
}

int disk_send_dirty(struct disk_send *ds, struct mig_enc *enc, uint32_t max,
		    uint64_t *n_r, char *err, size_t errlen)
{
	int rc;

	/* A round ends, under a writer that never stops, once it has sent as
	 * many chunks as the disk has. */
	if (max > ds->hashes.chunks)
		max = (uint32_t)(ds->hashes.chunks < UINT32_MAX
				     ? ds->hashes.chunks
				     : UINT32_MAX);
	*n_r = 0;
	while (*n_r < max) {
		rc = call(ds, BLK_CTL_TAKE,
			  max - *n_r < BLK_CTL_VALUES_MAX
			      ? (uint32_t)(max - *n_r)
			      : BLK_CTL_VALUES_MAX,
			  "taking the chunks written", err, errlen);
		if (rc)
			return rc;
		if (!reply.n)
			break;
		for (uint32_t i = 0; i < reply.n; i++) {
			if (reply.v[i] >= ds->hashes.chunks) {
				snprintf(err, errlen,
					 "%s: its backend named chunk %llu",
					 ds->what,
					 (unsigned long long)reply.v[i]);
				return BL_ERR_PROTO;
			}
			rc = send_chunk(ds, enc, reply.v[i], err, errlen);
			if (rc)
				return rc;
		}
		*n_r += reply.n;
	}
	return BL_OK;
}

int disk_send_mirror_start(struct disk_send *ds, char *err, size_t errlen)
{
	return call(ds, BLK_CTL_MIRROR, 0, "mirroring", err, errlen);
}

int disk_send_mirror(struct disk_send *ds, struct mig_enc *enc, uint64_t *n_r,
		     char *err, size_t errlen)
{
	int rc = disk_send_dirty(ds, enc, UINT32_MAX, n_r, err, errlen);

	if (rc)
		return rc;
	rc =
	    call(ds, BLK_CTL_SENT, 0, "answering the writes sent", err, errlen);
	if (!rc && reply.n != 1) {
		snprintf(err, errlen, "%s: its backend's answer to SENT",
			 ds->what);
		rc = BL_ERR_PROTO;
	}
	if (!rc)
		ds->writes_held = reply.v[0];
	return rc;
}

int disk_send_finish(struct disk_send *ds, struct mig_enc *enc, char *err,
		     size_t errlen)
{
	unsigned char hash[BLK_HASH_LEN];
	uint64_t n;
	int rc;

	rc = call(ds, BLK_CTL_QUIESCE, 0, "quiescing", err, errlen);
	if (rc)
		return rc;
	/* Quiesced, the backend writes nothing more: one pass takes all. */
	rc = disk_send_dirty(ds, enc, UINT32_MAX, &n, err, errlen);
	if (!rc && blk_hashes_final(&ds->hashes, hash)) {
		snprintf(err, errlen, "%s: hashing", ds->what);
		rc = BL_ERR_IO;
	}
	if (!rc)
		rc = mig_enc_disk_end(enc, ds->index, ds->bytes, hash);
	return rc;
}

void disk_send_close(struct disk_send *ds, bool resume)
{
	char why[BL_ERRMSG_MAX];

	if (resume && ds->ctl_fd >= 0 &&
	    blk_ctl_call(ds->ctl_fd, BLK_CTL_RESUME, 0, CTL_TIMEOUT_MS, &reply,
			 why, sizeof(why)))
		log_warnx("%s: %s; closing its channel resumes it", ds->what,
			  why);
	if (ds->ctl_fd >= 0)
		close(ds->ctl_fd);
	if (ds->img_fd >= 0)
		close(ds->img_fd);
	ds->ctl_fd = ds->img_fd = -1;
	blk_hashes_dispose(&ds->hashes);
}
