/* The framing of libxl's and libxc's streams, read header by header
 * (mig_xc.h). */
#include "toolstack/mig/mig_xc.h"

#include <string.h>

void mig__xc_init(struct mig__xc_reader *r, int skip_state)
{
	memset(r, 0, sizeof(*r));
	r->skip_state = skip_state;
	mig__xc_expect(r, MIG__XC_LIBXL_HDR, MIG__LIBXL_HDR_LEN);
}

void mig__xc_expect(struct mig__xc_reader *r, int s, size_t want)
{
	r->state = s;
	r->want = want;
	r->have = 0;
}

void mig__xc_skip_then(struct mig__xc_reader *r, uint64_t n, int s, size_t want)
{
	mig__xc_expect(r, s, want);
	if (n) {
		r->skip = n;
		r->after = s;
		r->state = r->skip_state;
	}
}

enum mig__xc_step mig__xc_frame(struct mig__xc_reader *r)
{
	uint32_t type = mig__le32(r->head), len = mig__le32(r->head + 4);

	switch ((enum mig__xc_state)r->state) {
	case MIG__XC_LIBXL_HDR:
		if (mig__be64(r->head) != MIG__LIBXL_IDENT)
			return MIG__XC_LOST;
		mig__xc_expect(r, MIG__XC_LIBXL_REC, MIG__REC_HDR_LEN);
		return MIG__XC_GO_ON;
	case MIG__XC_LIBXL_REC:
		if (type == MIG__LIBXL_REC_END)
			return MIG__XC_END;
		if (type == MIG__LIBXL_REC_LIBXC)
			mig__xc_skip_then(r, mig__padded(len),
					  MIG__XC_LIBXC_IHDR,
					  MIG__LIBXC_IHDR_LEN);
		else
			mig__xc_skip_then(r, mig__padded(len),
					  MIG__XC_LIBXL_REC, MIG__REC_HDR_LEN);
		return MIG__XC_GO_ON;
	case MIG__XC_LIBXC_IHDR:
		if (mig__be64(r->head) != MIG__LIBXC_MARKER ||
		    (uint32_t)(mig__be64(r->head + 8) >> 32) != MIG__LIBXC_ID)
			return MIG__XC_LOST;
		mig__xc_expect(r, MIG__XC_LIBXC_DHDR, MIG__LIBXC_DHDR_LEN);
		return MIG__XC_GO_ON;
	case MIG__XC_LIBXC_DHDR:
		mig__xc_expect(r, MIG__XC_LIBXC_REC, MIG__REC_HDR_LEN);
		return MIG__XC_GO_ON;
	case MIG__XC_LIBXC_REC:
		if (type == MIG__LIBXC_PAGE_DATA)
			return MIG__XC_PAGE_DATA;
		mig__xc_skip_then(r, mig__padded(len),
				  type == MIG__LIBXC_REC_END
				      ? MIG__XC_LIBXL_REC
				      : MIG__XC_LIBXC_REC,
				  MIG__REC_HDR_LEN);
		return MIG__XC_GO_ON;
	case MIG__XC_OWN:
		break;
	}
	return MIG__XC_LOST; /* not a framing state */
}

bool mig__xc_type_known(unsigned t)
{
	return t <= 4 || (t >= 9 && t <= 12) ||
	       (t >= MIG__TYPE_BROKEN && t <= 0xf);
}

bool mig__xc_type_has_data(unsigned t)
{
	return t < MIG__TYPE_BROKEN;
}

bool mig__xc_page_rec_valid(const uint8_t *body, uint32_t len)
{
	uint32_t count;
	uint64_t pages = 0;

	if (len < MIG__PAGE_DATA_HDR)
		return false;
	count = mig__le32(body);
	if (!count || count > MIG__BATCH_MAX ||
	    len < MIG__PAGE_DATA_HDR + (uint64_t)MIG__PFN_LEN * count)
		return false;
	for (uint32_t i = 0; i < count; i++) {
		unsigned t = (unsigned)(mig__le64(body + MIG__PAGE_DATA_HDR +
						  MIG__PFN_LEN * i) >>
					MIG__TYPE_SHIFT);

		if (!mig__xc_type_known(t))
			return false;
		pages += mig__xc_type_has_data(t);
	}
	return len == MIG__PAGE_DATA_HDR + (uint64_t)MIG__PFN_LEN * count +
			  pages * MIG__PAGE_LEN;
}
