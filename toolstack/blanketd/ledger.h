/*
 * What a node promises about migrations, on disk in its state folder
 * (docs/specs/migration-stream.md, "Exactly once"), so that a restarted
 * blanketd keeps every promise its predecessor made:
 * - the node's instance: a random identity made with the state folder; a
 *   node whose instance changed has lost its receipts;
 * - away records (the source): NAME was handed over by migration ID to a
 *   node, whose instance and the guest's generation are noted; written
 *   before go;
 * - receipts (the destination): migration ID's go was acted on; written
 *   before the guest is touched, removed if it never ran after all (the
 *   source may then resume its copy), else kept until the source says it
 *   has settled;
 * - reservations (the destination): NAME is being received by migration
 *   ID, and the receiving session holds the file's lock while it lives;
 *   the disk images it is receiving are noted beside it, as the source
 *   notes the images it hands over.
 * Every write is durable (durable.h) before the function returns.
 */
#ifndef BL_BLANKETD_LEDGER_H
#define BL_BLANKETD_LEDGER_H

#include <stdbool.h>
#include <stdint.h>

#include "toolstack/blanketd/server.h"
#include "toolstack/client/cluster.h"
#include "toolstack/common/id.h"

/* A destination's reservation of NAME: STATE_DIR/reserved-NAME. */
#define LEDGER_RESERVED_PREFIX "reserved-"

/* This node's instance, made on first use. */
int ledger_instance(const struct server_opts *o,
		    struct bl_id *id_r) BL_MUST_CHECK;

/* --- away records (source) --- */

struct ledger_away {
	struct bl_id migration;
	struct cluster_node dest; /* name, and where it is reached */
	struct bl_id instance;	  /* the destination's, at migrate-receive */
	uint64_t generation;	  /* the guest's here */
};

int ledger_away_write(const struct server_opts *o, const char *name,
		      const struct ledger_away *a) BL_MUST_CHECK;
/* BL_ERR_NOTFOUND when there is none; BL_ERR_PROTO when unreadable. */
int ledger_away_read(const struct server_opts *o, const char *name,
		     struct ledger_away *a_r) BL_MUST_CHECK;
int ledger_away_remove(const struct server_opts *o,
		       const char *name) BL_MUST_CHECK;

/* --- receipts (destination) --- */

/* go acted on: the guest is this node's. */
struct ledger_receipt {
	char name[64];
	uint32_t domid; /* the domain this node restored */
	uint64_t generation;
};

int ledger_receipt_write(const struct server_opts *o,
			 const struct bl_id *migration,
			 const struct ledger_receipt *r) BL_MUST_CHECK;
/* BL_ERR_NOTFOUND when there is none; BL_ERR_PROTO when unreadable. */
int ledger_receipt_read(const struct server_opts *o,
			const struct bl_id *migration,
			struct ledger_receipt *r_r) BL_MUST_CHECK;
int ledger_receipt_remove(const struct server_opts *o,
			  const struct bl_id *migration) BL_MUST_CHECK;

/* --- reservations (destination) --- */

/* Reserve name for migration (refused with BL_ERR_BUSY while it is
 * reserved by a live session); *fd_r holds the lock: the reservation is
 * live while it is open. */
int ledger_reserve(const struct server_opts *o, const char *name,
		   const struct bl_id *migration, int *fd_r) BL_MUST_CHECK;
/* Note the domain restored for the reservation that fd holds. */
int ledger_reserve_domid(const struct server_opts *o, const char *name, int fd,
			 const struct bl_id *migration,
			 uint32_t domid) BL_MUST_CHECK;
/* Drop the reservation fd holds, and close fd. */
void ledger_release(const struct server_opts *o, const char *name, int fd);

/* A reservation of name: its migration and restored domain (0: none
 * yet). *live_r: its session holds it still. BL_ERR_NOTFOUND when name is
 * not reserved. A reservation whose session is gone is taken over: the
 * caller owns it (its lock in *fd_r, -1 when live) and must release it. */
int ledger_reserved(const struct server_opts *o, const char *name,
		    struct bl_id *migration_r, uint32_t *domid_r, bool *live_r,
		    int *fd_r) BL_MUST_CHECK;

/* --- a migration's disk images --- */

enum ledger_images {
	/* the destination: the images a migration into NAME makes, noted
	 * before the first is, so that a receiving session that dies leaves
	 * nothing a restarted daemon cannot find */
	LEDGER_IMAGES_INCOMING,
	/* the source: the images of NAME's writable disks, noted before go,
	 * removed with its copy once the guest runs elsewhere */
	LEDGER_IMAGES_HANDED,
};

/* keep_suffix (LEDGER_IMAGES_HANDED): when the images go, rename each to
 * PATH + keep_suffix instead of removing it; NULL: remove. */
int ledger_images_write(const struct server_opts *o, enum ledger_images kind,
			const char *name, const char *const *paths, size_t n,
			const char *keep_suffix) BL_MUST_CHECK;
/* Drop the record; remove_images: the images it names too (or rename
 * them, as the record says). */
void ledger_images_drop(const struct server_opts *o, enum ledger_images kind,
			const char *name, bool remove_images);

/* --- walking the ledger (recovery, status) --- */

/* Calls fn for each away record's name, receipt's migration or
 * reservation's name in the state folder. */
void ledger_each_away(const struct server_opts *o,
		      void (*fn)(const char *name, void *arg), void *arg);
void ledger_each_receipt(const struct server_opts *o,
			 void (*fn)(const struct bl_id *migration, void *arg),
			 void *arg);
void ledger_each_reservation(const struct server_opts *o,
			     void (*fn)(const char *name, void *arg),
			     void *arg);

#endif
