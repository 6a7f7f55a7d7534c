/* Unpacking one layer tar into a directory, safely, and the decompression
 * that feeds it.
 *
 * The archive is a tar, tar+gzip or tar+zstd stream (compression recognised
 * by its magic bytes). Entries are created relative to the layer's directory
 * fd, one path component at a time with O_NOFOLLOW (never through a path
 * string on the host), so nothing can be written outside the layer. Refused,
 * with an error naming the entry: absolute paths, ".." components, paths that
 * go through a symlink (an earlier entry, or a directory an entry replaced),
 * hardlinks whose target is absolute, has "..", goes through a symlink or does
 * not exist in the layer, xattrs in the overlay namespaces (trusted.overlay.*,
 * user.overlay.*), which would steer overlayfs, and entry types a layer cannot
 * hold.
 *
 * OCI whiteouts become overlayfs ones: ".wh.NAME" a 0/0 character device NAME,
 * ".wh..wh..opq" the xattr trusted.overlay.opaque=y on its directory. Owners,
 * modes (with setuid/setgid/sticky), xattrs, mtimes, hardlinks, symlinks,
 * device nodes, fifos and sparse files are kept. */
#ifndef CAPSULE_IMAGE_UNPACK_H
#define CAPSULE_IMAGE_UNPACK_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "image/digest.h"
#include "util/error.h"

struct unpack_result {
  char diff_id[DIGEST_BUF]; /* sha256 of the uncompressed tar stream */
  uint64_t tar_size;        /* bytes of the uncompressed tar stream */
  uint64_t size;            /* bytes of regular file data written */
  uint64_t entries;
};

/* Unpack the archive read from `fd` into the empty directory `dirfd`. The
 * caller removes the directory on failure. */
int layer_unpack(int fd, int dirfd, struct unpack_result *out, err_t *e);

/* An archive that is not a layer (`cp`), extracted with the same care into
 * the existing directory `dirfd`: ".wh." names are plain files, the
 * directory's own entry ("./") leaves it as it is, owners become uid:gid
 * unless `keep_owner`. With `untrusted` (files that come out of a container,
 * going to the host) device nodes are refused and setuid/setgid bits and
 * xattrs (file capabilities) are dropped: a container must not plant a
 * privileged file or a door to a host disk. */
struct extract_opts {
  bool keep_owner;
  uid_t uid;
  gid_t gid;
  bool untrusted;
};
int tar_extract(int fd, int dirfd, const struct extract_opts *o, err_t *e);

#endif
