/* The migration stream's records (toolstack/mig): what the decoder and the
 * handover refuse, and how (docs/specs/migration-stream.md), streams cut
 * or corrupted anywhere, and the source giving up mid-payload. */
#include <CUnit/CUnit.h>
#include <stdlib.h>
#include <string.h>

#include "toolstack/mig/mig_rec.h"
#include "toolstack/mig/mig_stream.h"
#include "tests/unit/migtest.h"
#include "tests/unit/payload.h"
#include "toolstack/common/stream_mem.h"
#include "tests/unit/suites.h"

#define PAGE 4096

/* A small stream holding every payload record type, in s. */
static void small_stream(struct bl_stream *s, uint8_t **p_r, size_t *len_r)
{
	struct mig_stats st;
	size_t len = 3 * PAGE + 3000 + 4000;
	uint8_t *p = calloc(1, len);

	/* zstd (text), zero, raw (random), fill, zstd (text) */
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	payload_seed(3);
	payload_text(p, PAGE);
	payload_random(p + 2 * PAGE, 3000);
	memset(p + 2 * PAGE + 3000, 0xcc, PAGE);
	payload_text(p + 3 * PAGE + 3000, 4000);
	migtest_encode(s, p, len, 0, len, &st);
	CU_ASSERT_EQUAL(st.records, 5);
	CU_ASSERT_EQUAL(st.zero_bytes, PAGE);
	CU_ASSERT_EQUAL(st.fill_bytes, PAGE);
	CU_ASSERT_EQUAL(st.packed_bytes, PAGE + 4000);
	*p_r = p;
	*len_r = len;
}

static void test_truncated(void)
{
	char err[MIG_MESSAGE_MAX];
	struct bl_stream s, a, b, out;
	struct stream_mem m, mo;
	uint32_t type;
	uint8_t *p;
	size_t len;
	int rc;

	stream_mem_init(&s, &m);
	small_stream(&s, &p, &len);
	CU_ASSERT_EQUAL(
	    migtest_decode_bytes(m.buf, m.len, &type, err, sizeof(err)), BL_OK);
	/* Cut anywhere, the stream ends in an error, never in stream-end. */
	for (size_t cut = 0; cut < m.len; cut++) {
		rc = migtest_decode_bytes(m.buf, cut, &type, err, sizeof(err));
		CU_ASSERT_EQUAL(rc, BL_ERR_EOF);
		if (rc != BL_ERR_EOF)
			break;
	}
	/* On a socket: an error once the writer closes, not a hang. */
	migtest_pair_open(&a, &b);
	CU_ASSERT_EQUAL(stream_write(&a, m.buf, m.len / 2), BL_OK);
	stream_close(&a);
	stream_mem_init(&out, &mo);
	CU_ASSERT_EQUAL(migtest_decode(&b, &out, &type, NULL, err, sizeof(err)),
			BL_ERR_EOF);
	CU_ASSERT_STRING_EQUAL(err, "unexpected end of stream");
	stream_close(&b);
	stream_close(&out);
	stream_close(&s);
	free(p);
}

/* Byte offset of the first record of type in a stream, after the header. */
static size_t find_rec(const uint8_t *p, size_t n, uint32_t type)
{
	size_t off = MIG_HEADER_LEN;

	while (off + 8 <= n && frame_load32(p + off) != type)
		off += frame_size(frame_load32(p + off + 4));
	CU_ASSERT_FATAL(off + 8 <= n);
	return off;
}

/* Decoding bytes with the byte at flipped ends in BL_ERR_PROTO, with a
 * message starting with why. */
static void expect_corrupt(const uint8_t *bytes, size_t n, size_t at,
			   uint8_t xor, const char *why)
{
	char err[MIG_MESSAGE_MAX] = "";
	uint8_t *copy = malloc(n);
	uint32_t type;

	CU_ASSERT_PTR_NOT_NULL_FATAL(copy);
	memcpy(copy, bytes, n);
	copy[at] ^= xor;
	CU_ASSERT_EQUAL(migtest_decode_bytes(copy, n, &type, err, sizeof(err)),
			BL_ERR_PROTO);
	CU_ASSERT_EQUAL(strncmp(err, why, strlen(why)), 0);
	free(copy);
}

static void test_corrupt(void)
{
	struct bl_stream s;
	struct stream_mem m;
	size_t len, raw, zl, fill, end;
	uint8_t *p;

	stream_mem_init(&s, &m);
	small_stream(&s, &p, &len);
	raw = find_rec(m.buf, m.len, MIG_REC_RAW);
	fill = find_rec(m.buf, m.len, MIG_REC_FILL);
	zl = find_rec(m.buf, m.len, MIG_REC_ZSTD);
	end = find_rec(m.buf, m.len, MIG_REC_STREAM_END);
	/* A payload byte: only the checksum can tell. */
	expect_corrupt(m.buf, m.len, raw + 8 + 100, 0x01,
		       "stream-end: crc32: checksum mismatch");
	expect_corrupt(m.buf, m.len, fill + 8 + 4 + 3, 0x01,
		       "stream-end: crc32: checksum mismatch");
	/* A packed frame's magic: zstd tells first. */
	expect_corrupt(m.buf, m.len, zl + 8 + 4, 0x01, "zstd: data: corrupt");
	expect_corrupt(m.buf, m.len, end + 8 + 7, 0x01,
		       "stream-end: raw_bytes: does not match the payload");
	expect_corrupt(m.buf, m.len, end + 8 + 15, 0x01,
		       "stream-end: records: does not match the payload");
	expect_corrupt(m.buf, m.len, end + 8 + 19, 0x80,
		       "stream-end: crc32: checksum mismatch");
	stream_close(&s);
	free(p);
}

/* What the decoder makes of the stream in s (header first). */
static void expect_dec(struct bl_stream *s, int rc, const char *why)
{
	char err[MIG_MESSAGE_MAX] = "";
	struct stream_mem mo;
	struct bl_stream out;
	uint32_t type;

	stream_mem_init(&out, &mo);
	CU_ASSERT_EQUAL(migtest_decode(s, &out, &type, NULL, err, sizeof(err)),
			rc);
	CU_ASSERT_STRING_EQUAL(err, why);
	stream_close(&out);
	stream_close(s);
}

/* Streams the spec refuses, in hex as in its example: one record a string
 * after the header. */
#define H  "424c414e4b4d4947 00000001 00000000 "
#define HZ "424c414e4b4d4947 00000001 00000001 "
#define H2 "424c414e4b4d4947 00000002 00000000 "
/* Version 3: the header, then the migration record (migtest_ident). */
#define H3                                                                     \
	"424c414e4b4d4947 00000003 00000000 "                                  \
	"0000000a 00000018 000102030405060708090a0b0c0d0e0f 0000000000000007 "
/* Version 4: disks. A disk of 8 sectors, a zero disk-data of its first
 * sector, its disk-end for 512 bytes, and an empty stream-end. */
#define H4                                                                     \
	"424c414e4b4d4947 00000004 00000000 "                                  \
	"0000000a 00000018 000102030405060708090a0b0c0d0e0f 0000000000000007 "
/* Version 5: zstd, with the option (H5Z) or without. */
#define H5                                                                     \
	"424c414e4b4d4947 00000005 00000000 "                                  \
	"0000000a 00000018 000102030405060708090a0b0c0d0e0f 0000000000000007 "
#define H5Z                                                                    \
	"424c414e4b4d4947 00000005 00000002 "                                  \
	"0000000a 00000018 000102030405060708090a0b0c0d0e0f 0000000000000007 "
/* 64 "a" as zstd frames of 17 bytes: with their content size, without. */
#define ZS64   "28b52ffd20404500001061610100930016"
#define ZSNC64 "28b52ffd00484500001061610100930016"
#define DISK8                                                                  \
	"0000000c 00000018 00000000 00000000 0000000000000008 "                \
	"0000000000000000 "
#define DATA0                                                                  \
	"0000000d 00000014 00000000 00000001 0000000000000000 00000200 "       \
	"00000000 "
#define DEND512                                                                \
	"0000000e 00000030 00000000 00000000 0000000000000200 "                \
	"0000000000000000000000000000000000000000000000000000000000000000 "
#define SEND0                                                                  \
	"00000004 00000014 0000000000000000 0000000000000000 00000000 "        \
	"00000000"
#define Z64 "78014b4ca40c0000148d1841" /* 64 "a", deflated at level 1 */

static const struct bad_stream {
	const char *hex;
	int rc;
	const char *why;
} bad_streams[] = {
    {"424c414e4b4d4947 00000007 00000000", BL_ERR_VERSION,
     "header: version: 7, this reader reads 1 to 6"},
    {"424c414e4b4d4947 00000000 00000000", BL_ERR_VERSION,
     "header: version: 0, this reader reads 1 to 6"},
    /* Page deltas are version 6's; bits 3 to 31 are no version's. */
    {"424c414e4b4d4947 00000005 00000004", BL_ERR_PROTO,
     "header: options: unknown flags"},
    {"424c414e4b4d4947 00000006 00000008", BL_ERR_PROTO,
     "header: options: unknown flags"},
    {"424c414e4b4d4947 00000006 80000006", BL_ERR_PROTO,
     "header: options: unknown flags"},
    /* zstd is version 5's. */
    {"424c414e4b4d4947 00000004 00000002", BL_ERR_PROTO,
     "header: options: unknown flags"},
    {H4 "0000000f 00000015 00000040" ZS64 "000000", BL_ERR_PROTO,
     "unknown record type 15"},
    {H5Z "0000000f 00000015 00000040" ZS64 "000000 "
	 "00000004 00000014 0000000000000040 0000000000000001 89b46555 "
	 "00000000",
     BL_OK, ""},
    {H5 "0000000f 00000015 00000040" ZS64 "000000", BL_ERR_PROTO,
     "zstd: options: zstd is off in the header"},
    {H5Z "0000000f 00000015 00040001" ZS64 "000000", BL_ERR_PROTO,
     "zstd: raw_len: out of range"},
    {H5Z "0000000f 00000015 00000008" ZS64 "000000", BL_ERR_PROTO,
     "zstd: data: not shorter than raw_len"},
    {H5Z "0000000f 00000015 00000041" ZS64 "000000", BL_ERR_PROTO,
     "zstd: data: content size is not raw_len"},
    {H5Z "0000000f 00000015 00000040" ZSNC64 "000000", BL_ERR_PROTO,
     "zstd: data: no content size"},
    {H5Z "0000000f 00000017 00000040" ZS64 "7879 00", BL_ERR_PROTO,
     "zstd: data: trailing bytes"},
    {H5Z "0000000f 0000000e 00000040 28b52ffd204045000010 0000", BL_ERR_PROTO,
     "zstd: data: corrupt"},
    {H5 DISK8 "0000000d 00000014 00000000 00000003 0000000000000000 00000200 "
	      "00000000",
     BL_ERR_PROTO, "disk-data: encoding: zstd is off in the header"},
    /* Disks are version 4's. */
    {H3 DISK8, BL_ERR_PROTO, "unknown record type 12"},
    {H4 DISK8 DATA0 DEND512 SEND0, BL_OK, ""},
    {H4 "0000000c 00000018 00000001 00000000 0000000000000008 "
	"0000000000000000",
     BL_ERR_PROTO, "disk: index: out of order"},
    {H4 "0000000c 00000018 00000000 00000000 0000000000000000 "
	"0000000000000000",
     BL_ERR_PROTO, "disk: sectors: out of range"},
    {H4 "0000000c 00000018 00000000 00000000 0000000000000008 "
	"0000000000001001",
     BL_ERR_PROTO, "disk: allocated: over the size"},
    {H4 DATA0, BL_ERR_PROTO, "disk-data: index: no such disk open"},
    {H4 DISK8 "0000000d 00000014 00000000 00000001 0000000000000e00 00000400 "
	      "00000000",
     BL_ERR_PROTO, "disk-data: offset: outside the disk"},
    {H4 DISK8 "0000000d 00000014 00000000 00000001 0000000000000000 00000100 "
	      "00000000",
     BL_ERR_PROTO, "disk-data: raw_len: out of range"},
    {H4 DISK8 "0000000d 00000014 00000000 00000000 0000000000000000 00000200 "
	      "00000000",
     BL_ERR_PROTO, "disk-data: raw_len: does not match the record"},
    {H4 DISK8 "0000000d 00000014 00000000 00000002 0000000000000000 00000200 "
	      "00000000",
     BL_ERR_PROTO, "disk-data: encoding: compression is off in the header"},
    {H4 DISK8 "0000000d 00000014 00000000 00000007 0000000000000000 00000200 "
	      "00000000",
     BL_ERR_PROTO, "disk-data: encoding: unknown"},
    {H4 DISK8 SEND0, BL_ERR_PROTO, "stream-end: disk 0: no disk-end"},
    {H4 DISK8 DEND512, BL_ERR_PROTO,
     "disk-end: bytes: does not match the disk-data"},
    {H4 DISK8 DATA0 DEND512 DATA0, BL_ERR_PROTO,
     "disk-data: index: no such disk open"},
    {"424c414e4b4d4947 00000001 00000002", BL_ERR_PROTO,
     "header: options: unknown flags"},
    {"424c414e4b525043 00000001 00000001", BL_ERR_PROTO,
     "header: magic: not a migration stream"},
    {"424c414e4b4d4947", BL_ERR_EOF, "header: unexpected end of stream"},
    {H "80000005 00040001", BL_ERR_PROTO,
     "record length 262145 over the limit of 262144 bytes"},
    {H "00000001 00000000", BL_ERR_PROTO, "raw: length: 0 not in 1 to 262144"},
    {H "00000002 00000008 3132333435363738", BL_ERR_PROTO,
     "zero: length: 8 not in 4 to 4"},
    {H "00000063 00000000", BL_ERR_PROTO, "unknown record type 99"},
    {H "00000000 00000000", BL_ERR_PROTO, "unknown record type 0"},
    {H "00000001 00000003 6162630000000078", BL_ERR_PROTO,
     "raw: padding: not zero"},
    {H "8000002a 00000001 6100000000000078", BL_ERR_PROTO,
     "unknown: padding: not zero"},
    {H "00000006 00000000", BL_ERR_PROTO, "unexpected go record"},
    {H "00000001 00000004 61626364", BL_ERR_EOF, "unexpected end of stream"},
    {H "00000002 00000004 00000000 00000000", BL_ERR_PROTO,
     "zero: raw_len: out of range"},
    {H "00000002 00000004 00040001 00000000", BL_ERR_PROTO,
     "zero: raw_len: out of range"},
    {H "00000003 00000010 00000040" Z64, BL_ERR_PROTO,
     "zlib: options: compression is off in the header"},
    {HZ "00000003 00000010 00040001" Z64, BL_ERR_PROTO,
     "zlib: raw_len: out of range"},
    {HZ "00000003 00000010 00000008" Z64, BL_ERR_PROTO,
     "zlib: data: not shorter than raw_len"},
    {HZ "00000003 00000010 00000041" Z64, BL_ERR_PROTO,
     "zlib: data: inflates to less than raw_len"},
    {HZ "00000003 00000010 0000003f" Z64, BL_ERR_PROTO,
     "zlib: data: inflates to more than raw_len"},
    {HZ "00000003 00000012 00000040" Z64 "7879 000000000000", BL_ERR_PROTO,
     "zlib: data: trailing bytes"},
    {HZ "00000003 00000007 00000040 78014b 00", BL_ERR_PROTO,
     "zlib: data: truncated"},
    {HZ "00000003 00000009 00000040 7801ffffff 00000000000000", BL_ERR_PROTO,
     "zlib: data: corrupt"},
    {H "00000004 00000014 0000000000000001 0000000000000000 00000000 "
       "00000000",
     BL_ERR_PROTO, "stream-end: raw_bytes: does not match the payload"},
    /* fill is version 2's: a version 1 stream does not have it. */
    {H "00000009 0000000c 00000010 cccccccccccccccc 00000000", BL_ERR_PROTO,
     "unknown record type 9"},
    {H2 "00000009 00000008 00000010 cccccccc", BL_ERR_PROTO,
     "fill: length: 8 not in 12 to 12"},
    {H2 "00000009 0000000c 00000000 cccccccccccccccc 00000000", BL_ERR_PROTO,
     "fill: raw_len: out of range"},
    {H2 "00000009 0000000c 00040008 cccccccccccccccc 00000000", BL_ERR_PROTO,
     "fill: raw_len: out of range"},
    {H2 "00000009 0000000c 0000000c cccccccccccccccc 00000000", BL_ERR_PROTO,
     "fill: raw_len: not a multiple of 8"},
    {H2 "00000009 0000000c 00000010 cccccccccccccccc 00000000 "
	"00000004 00000014 0000000000000010 0000000000000001 6854444c "
	"00000000",
     BL_OK, ""},
    /* The migration record is version 3's, and comes first there. */
    {H2 "0000000a 00000018 000102030405060708090a0b0c0d0e0f "
	"0000000000000007",
     BL_ERR_PROTO, "unknown record type 10"},
    {"424c414e4b4d4947 00000003 00000000 00000002 00000004 00000010 "
     "00000000",
     BL_ERR_PROTO, "migration: missing after the header"},
    {"424c414e4b4d4947 00000003 00000000 0000000a 00000010 "
     "000102030405060708090a0b0c0d0e0f",
     BL_ERR_PROTO, "migration: length: 16 not in 24 to 24"},
    {H3 "0000000a 00000018 000102030405060708090a0b0c0d0e0f "
	"0000000000000007",
     BL_ERR_PROTO, "unexpected migration record"},
    {H3 "0000000b 00000000", BL_ERR_PROTO, "unexpected settled record"},
    {H3 "00000004 00000014 0000000000000000 0000000000000000 00000000 "
	"00000000",
     BL_OK, ""},
    /* Unknown optional records are skipped: the stream is good. */
    {H "80000063 0000000d 61616161616161616161616161 000000 "
       "80000000 00000000 "
       "00000002 00000004 0000000a 00000000 "
       "00000004 00000014 000000000000000a 0000000000000001 e38a6876 "
       "00000000",
     BL_OK, ""},
};

static void test_rejects(void)
{
	const struct bad_stream *b;
	char err[MIG_MESSAGE_MAX];
	struct bl_stream s, d;
	uint8_t bytes[256], hdr[8];
	uint32_t type;
	size_t n;

	for (size_t i = 0; i < sizeof(bad_streams) / sizeof(*b); i++) {
		b = &bad_streams[i];
		n = migtest_unhex(b->hex, bytes, sizeof(bytes));
		strcpy(err, "");
		CU_ASSERT_EQUAL(
		    migtest_decode_bytes(bytes, n, &type, err, sizeof(err)),
		    b->rc);
		CU_ASSERT_STRING_EQUAL(err, b->why);
	}

	/* Over the limit: refused from the header, with no body behind it
	 * and the writer still open, so nothing waited for one. */
	migtest_pair_open(&s, &d);
	migtest_put_header(&s, MIG_VERSION, MIG_OPT_ZLIB);
	frame_store32(hdr, MIG_REC_RAW);
	frame_store32(hdr + 4, 0xffffffffu);
	CU_ASSERT_EQUAL(stream_write(&s, hdr, sizeof(hdr)), BL_OK);
	expect_dec(&d, BL_ERR_PROTO,
		   "record length 4294967295 over the limit of 262144 bytes");
	stream_close(&s);
}

/* The source gives up mid-payload; and what a decoder does when over. */
static void test_dec_abort(void)
{
	char err[MIG_MESSAGE_MAX] = "";
	struct bl_stream s, out;
	struct stream_mem m, mo;
	struct mig_dec *dec = NULL;
	struct mig_ctl c;

	stream_mem_init(&s, &m);
	stream_mem_init(&out, &mo);
	migtest_put_header(&s, MIG_VERSION, 0);
	migtest_put_rec(&s, MIG_REC_RAW, "abc", 3);
	CU_ASSERT_EQUAL(mig_send_abort(&s, BL_ERR_IO, "libxl save failed"),
			BL_OK);
	migtest_put_rec(&s, MIG_REC_RAW, "abc", 3);
	CU_ASSERT_EQUAL_FATAL(mig_dec_start(&s, &dec, err, sizeof(err)), BL_OK);
	CU_ASSERT_EQUAL(mig_dec_next(dec, &out, &c, err, sizeof(err)), BL_OK);
	CU_ASSERT_EQUAL(c.type, MIG_REC_RAW);
	CU_ASSERT_EQUAL(mig_dec_next(dec, &out, &c, err, sizeof(err)), BL_OK);
	CU_ASSERT_EQUAL(c.type, MIG_REC_ABORT);
	CU_ASSERT_EQUAL(c.code, BL_ERR_IO);
	CU_ASSERT_STRING_EQUAL(c.message, "libxl save failed");
	CU_ASSERT_EQUAL(mig_dec_next(dec, &out, &c, err, sizeof(err)),
			BL_ERR_INVAL);
	CU_ASSERT_STRING_EQUAL(err, "the payload is over");
	/* What an aborted stream left in the output buffer is never
	 * delivered. */
	CU_ASSERT_EQUAL(mo.len, 0);
	mig_dec_free(dec);
	mig_dec_free(NULL);
	stream_close(&s);

	/* Errors stick, with their message. */
	stream_mem_init(&s, &m);
	migtest_put_header(&s, MIG_VERSION, 0);
	migtest_put_rec(&s, 42, NULL, 0);
	migtest_put_rec(&s, MIG_REC_RAW, "abc", 3);
	CU_ASSERT_EQUAL_FATAL(mig_dec_start(&s, &dec, err, sizeof(err)), BL_OK);
	CU_ASSERT_EQUAL(mig_dec_next(dec, &out, &c, err, sizeof(err)),
			BL_ERR_PROTO);
	strcpy(err, "");
	CU_ASSERT_EQUAL(mig_dec_next(dec, &out, &c, err, sizeof(err)),
			BL_ERR_PROTO);
	CU_ASSERT_STRING_EQUAL(err, "unknown record type 42");
	mig_dec_free(dec);
	stream_close(&s);
	stream_close(&out);
}

/* Handover records the spec refuses, awaiting want. */
static const struct bad_ctl {
	const char *hex;
	uint32_t want;
	int rc;
	const char *why;
} bad_ctls[] = {
    {"00000007 00000000", MIG_REC_RESTORED, BL_ERR_PROTO,
     "unexpected started record"},
    {"00000001 00000004 61626364 00000000", MIG_REC_GO, BL_ERR_PROTO,
     "unexpected raw record"},
    {"00000005 00000004 00000000 00000000", MIG_REC_RESTORED, BL_ERR_PROTO,
     "restored: domid: out of range"},
    {"00000008 00000009 00000000 00000001 78 00000000000000", MIG_REC_GO,
     BL_ERR_PROTO, "abort: code: out of range"},
    {"00000008 00000009 80000000 00000001 78 00000000000000", MIG_REC_GO,
     BL_ERR_PROTO, "abort: code: out of range"},
    {"00000008 00000009 00000005 00000000 78 00000000000000", MIG_REC_GO,
     BL_ERR_PROTO, "abort: message_len: out of range"},
    {"00000008 00000009 00000005 00000200 78 00000000000000", MIG_REC_GO,
     BL_ERR_PROTO, "abort: message_len: out of range"},
    {"00000008 00000009 00000005 00000002 78 00000000000000", MIG_REC_GO,
     BL_ERR_PROTO, "abort: message_len: does not match the record"},
    {"00000008 0000000a 00000005 00000002 7800 000000000000", MIG_REC_GO,
     BL_ERR_PROTO, "abort: message: contains NUL"},
    {"00000008 00000008 00000005 00000000", MIG_REC_GO, BL_ERR_PROTO,
     "abort: length: 8 not in 9 to 519"},
    {"00000006", MIG_REC_GO, BL_ERR_EOF, "unexpected end of stream"},
    {"00000006 00000000", MIG_REC_GO, BL_OK, ""},
};

static void test_control(void)
{
	char err[MIG_MESSAGE_MAX] = "", longmsg[600];
	struct bl_stream s;
	struct stream_mem m;
	struct mig_ctl c;

	stream_mem_init(&s, &m);
	mig_ctl_init(&c);
	c.type = MIG_REC_RESTORED;
	CU_ASSERT_EQUAL(mig_ctl_send(&s, &c), BL_ERR_INVAL); /* domid 0 */
	c.domid = MIG_DOMID_MAX + 1;
	CU_ASSERT_EQUAL(mig_ctl_send(&s, &c), BL_ERR_INVAL);
	c.domid = MIG_DOMID_MAX;
	CU_ASSERT_EQUAL(mig_ctl_send(&s, &c), BL_OK);
	c.type = MIG_REC_RAW;
	CU_ASSERT_EQUAL(mig_ctl_send(&s, &c), BL_ERR_INVAL);
	c.type = MIG_REC_ABORT;
	c.code = BL_ERR_IO;
	CU_ASSERT_EQUAL(mig_ctl_send(&s, &c), BL_ERR_INVAL); /* no message */
	CU_ASSERT_EQUAL(mig_send_abort(&s, 0, "x"), BL_ERR_INVAL);
	CU_ASSERT_EQUAL(mig_send_abort(&s, 5, "x"), BL_ERR_INVAL);
	memset(longmsg, 'm', sizeof(longmsg) - 1);
	longmsg[sizeof(longmsg) - 1] = '\0';
	CU_ASSERT_EQUAL(mig_send_abort(&s, BL_ERR_PROTO, longmsg), BL_OK);
	CU_ASSERT_EQUAL(mig_send_abort(&s, BL_ERR_NOMEM, NULL), BL_OK);
	/* restored, then aborts of 511 and 13 message bytes. */
	CU_ASSERT_EQUAL(m.len, 16 + 528 + 32);

	CU_ASSERT_EQUAL(mig_ctl_recv(&s, MIG_REC_RAW, &c, err, sizeof(err)),
			BL_ERR_INVAL);
	CU_ASSERT_EQUAL(
	    mig_ctl_recv(&s, MIG_REC_RESTORED, &c, err, sizeof(err)), BL_OK);
	CU_ASSERT_EQUAL(c.type, MIG_REC_RESTORED);
	CU_ASSERT_EQUAL(c.domid, MIG_DOMID_MAX);
	/* An abort answers whatever was awaited. */
	CU_ASSERT_EQUAL(mig_ctl_recv(&s, MIG_REC_GO, &c, err, sizeof(err)),
			BL_OK);
	CU_ASSERT_EQUAL(c.type, MIG_REC_ABORT);
	CU_ASSERT_EQUAL(c.code, BL_ERR_PROTO);
	CU_ASSERT_EQUAL(strlen(c.message), MIG_MESSAGE_MAX - 1);
	CU_ASSERT_EQUAL(mig_ctl_recv(&s, MIG_REC_STARTED, &c, err, sizeof(err)),
			BL_OK);
	CU_ASSERT_EQUAL(c.code, BL_ERR_NOMEM);
	CU_ASSERT_STRING_EQUAL(c.message, "out of memory");
	CU_ASSERT_EQUAL(mig_ctl_recv(&s, MIG_REC_GO, &c, err, sizeof(err)),
			BL_ERR_EOF);
	stream_close(&s);

	for (size_t i = 0; i < sizeof(bad_ctls) / sizeof(bad_ctls[0]); i++) {
		const struct bad_ctl *b = &bad_ctls[i];
		uint8_t bytes[64];

		stream_mem_init(&s, &m);
		CU_ASSERT_EQUAL(
		    stream_write(&s, bytes,
				 migtest_unhex(b->hex, bytes, sizeof(bytes))),
		    BL_OK);
		strcpy(err, "");
		CU_ASSERT_EQUAL(mig_ctl_recv(&s, b->want, &c, err, sizeof(err)),
				b->rc);
		CU_ASSERT_STRING_EQUAL(err, b->why);
		stream_close(&s);
	}

	/* Unknown optional records are skipped here too. */
	stream_mem_init(&s, &m);
	migtest_put_rec(&s, MIG_OPTIONAL | 77, longmsg, 300);
	migtest_put_rec(&s, MIG_REC_STARTED, NULL, 0);
	CU_ASSERT_EQUAL(mig_ctl_recv(&s, MIG_REC_STARTED, &c, err, sizeof(err)),
			BL_OK);
	CU_ASSERT_EQUAL(c.type, MIG_REC_STARTED);
	stream_close(&s);
}

/* The migration record: what the source wrote, read back; none before
 * version 3. */
static void test_ident(void)
{
	char err[MIG_MESSAGE_MAX] = "";
	struct mig_dec *dec = NULL;
	struct mig_ident ident;
	struct bl_stream s;
	struct stream_mem m;

	for (uint32_t version = 2; version <= MIG_VERSION; version++) {
		stream_mem_init(&s, &m);
		migtest_put_header(&s, version, 0);
		CU_ASSERT_EQUAL_FATAL(mig_dec_start(&s, &dec, err, sizeof(err)),
				      BL_OK);
		memset(&ident, 0, sizeof(ident));
		if (version < 3) {
			CU_ASSERT_EQUAL(mig_dec_ident(dec, &ident),
					BL_ERR_NOTFOUND);
		} else {
			CU_ASSERT_EQUAL(mig_dec_ident(dec, &ident), BL_OK);
			CU_ASSERT(bl_id_equal(&ident.id, &migtest_ident.id));
			CU_ASSERT_EQUAL(ident.generation, 7);
		}
		mig_dec_free(dec);
		stream_close(&s);
	}
}

/* The header's page-delta option: read back in version 6 with any other
 * option, refused before it (bad_streams); the encoder sets it when told,
 * and only then. */
static void test_delta_option(void)
{
	static const uint32_t opts[] = {0, MIG_OPT_ZLIB, MIG_OPT_ZSTD,
					MIG_OPT_ZLIB | MIG_OPT_ZSTD};
	char err[MIG_MESSAGE_MAX] = "";
	struct mig_dec *dec = NULL;
	struct bl_stream s;
	struct stream_mem m;
	uint32_t flags;

	for (size_t i = 0; i < sizeof(opts) / sizeof(*opts); i++) {
		for (uint32_t delta = 0; delta <= MIG_OPT_DELTA;
		     delta += MIG_OPT_DELTA) {
			stream_mem_init(&s, &m);
			migtest_put_header(&s, 6, opts[i] | delta);
			CU_ASSERT_EQUAL_FATAL(
			    mig_dec_start(&s, &dec, err, sizeof(err)), BL_OK);
			CU_ASSERT_EQUAL(mig_dec_delta(dec), delta != 0);
			mig_dec_free(dec);
			dec = NULL;
			stream_close(&s);
		}
	}
	for (flags = 0; flags <= (MIG_ENC_DELTA | MIG_ENC_NO_COMPRESS);
	     flags++) {
		struct mig_enc *enc = NULL;

		stream_mem_init(&s, &m);
		CU_ASSERT_EQUAL_FATAL(
		    mig_enc_start(&s, flags, &migtest_ident, &enc), BL_OK);
		CU_ASSERT_EQUAL_FATAL(m.len, MIG_HEADER_LEN + 8 + 24);
		CU_ASSERT_EQUAL(frame_load32(m.buf + 8), MIG_VERSION);
		CU_ASSERT_EQUAL(
		    frame_load32(m.buf + 12),
		    (flags & MIG_ENC_NO_COMPRESS ? 0 : MIG_OPT_ZSTD) |
			(flags & MIG_ENC_DELTA ? MIG_OPT_DELTA : 0));
		CU_ASSERT_EQUAL_FATAL(mig_dec_start(&s, &dec, err, sizeof(err)),
				      BL_OK);
		CU_ASSERT_EQUAL(mig_dec_delta(dec),
				(flags & MIG_ENC_DELTA) != 0);
		mig_dec_free(dec);
		dec = NULL;
		mig_enc_free(enc);
		stream_close(&s);
	}
}

void suite_mig_rec(void)
{
	CU_pSuite s = CU_add_suite("migration stream records", NULL, NULL);

	CU_add_test(s, "truncated streams", test_truncated);
	CU_add_test(s, "corrupt streams", test_corrupt);
	CU_add_test(s, "stream rejects", test_rejects);
	CU_add_test(s, "the header's page-delta option", test_delta_option);
	CU_add_test(s, "abort and errors in the payload", test_dec_abort);
	CU_add_test(s, "control records", test_control);
	CU_add_test(s, "the migration record", test_ident);
}
