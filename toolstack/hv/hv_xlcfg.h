/* xl.cfg(5) files -> libxl domain configurations, parsed with libxlutil so
 * users' existing files work. PV guests only: blanket nodes run on L0s
 * without hardware virtualization. Part of the hv module (it builds libxl
 * types); nothing outside toolstack/hv and its tests includes this. */
#ifndef BL_HV_XLCFG_H
#define BL_HV_XLCFG_H

#include <stddef.h>
#include <stdio.h>

#include <libxl.h>

#include "toolstack/common/err.h"

struct hv_policy;

/* Parse len bytes of config text; source names the file in messages
 * ("web.cfg:3: ..."). cfg must be libxl_domain_config_init()ed; on error it
 * may hold partial data (dispose it) and err says what and where. */
int hv_xlcfg_parse(const char *source, const char *text, size_t len,
		   libxl_domain_config *cfg, char *err,
		   size_t errlen) BL_MUST_CHECK;

/* hv_xlcfg_parse(), then hv_policy_check(): how every guest a node builds
 * is read, created or received. Errors as those two's. */
int hv_config_load(const struct hv_policy *policy, const char *source,
		   const char *text, size_t len, libxl_domain_config *cfg,
		   char *err, size_t errlen) BL_MUST_CHECK;

/* cfg as an xl.cfg(5) text that hv_xlcfg_parse() reads back to the same
 * configuration: what a migration's source sends, so that the destination
 * builds the guest with its own parser and policy. Only blanket's subset
 * is written; BL_ERR_INVAL (err says why) for a value a file cannot
 * carry. */
int hv_xlcfg_write(const libxl_domain_config *cfg, FILE *out, char *err,
		   size_t errlen) BL_MUST_CHECK;

/* The parsed configuration, normalized, one "key = value" per line (what
 * `blanket create --dry-run` shows and the golden tests compare). */
void hv_xlcfg_describe(const libxl_domain_config *cfg, FILE *out);

/* mac as "00:16:3e:...", in buf; "" when it is unset (libxl picks one). */
void hv_mac_text(const libxl_mac mac, char *buf, size_t len);

#endif
