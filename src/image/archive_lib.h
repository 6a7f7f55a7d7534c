/* libarchive, opened only when a command reads or writes a tar.
 *
 * capsule is not linked with libarchive: loading it (and libxml2, ICU,
 * libstdc++... that it pulls in) at every start would cost each `capsule
 * run` milliseconds for nothing (docs/PERFORMANCE.md, "capsule start-up").
 * Types and constants come from <archive.h> and <archive_entry.h> as usual;
 * the functions below are looked up in "libarchive.so.13" by
 * archive_lib_load() and called through the table `archive_lib`. Including
 * this header makes every call to them in the file go through that table,
 * so call sites read as plain libarchive.
 *
 * archive_lib_load() must succeed before the first call: each entry point
 * that uses libarchive (layer_unpack, layer_tar_write, members_read,
 * image_save, decompress_open for zstd) starts with it. A function missing
 * from the list shows up as an undefined reference at link time: add it to
 * both lists. */
#ifndef CAPSULE_IMAGE_ARCHIVE_LIB_H
#define CAPSULE_IMAGE_ARCHIVE_LIB_H

#include <archive.h>
#include <archive_entry.h>

#include "util/dynlib.h"
#include "util/error.h"

#define ARCHIVE_LIB_FUNCTIONS(X, t)                                                            \
  X(t, archive_entry_atime) X(t, archive_entry_atime_is_set) X(t, archive_entry_atime_nsec)    \
  X(t, archive_entry_filetype) X(t, archive_entry_free) X(t, archive_entry_gid)                \
  X(t, archive_entry_hardlink) X(t, archive_entry_mtime) X(t, archive_entry_mtime_nsec)        \
  X(t, archive_entry_new) X(t, archive_entry_pathname) X(t, archive_entry_perm)                \
  X(t, archive_entry_rdev) X(t, archive_entry_set_filetype) X(t, archive_entry_set_gid)        \
  X(t, archive_entry_set_hardlink) X(t, archive_entry_set_mode) X(t, archive_entry_set_mtime)  \
  X(t, archive_entry_set_pathname) X(t, archive_entry_set_perm) X(t, archive_entry_set_rdev)   \
  X(t, archive_entry_set_size) X(t, archive_entry_set_symlink) X(t, archive_entry_set_uid)     \
  X(t, archive_entry_size) X(t, archive_entry_symlink) X(t, archive_entry_uid)                 \
  X(t, archive_entry_xattr_add_entry) X(t, archive_entry_xattr_next)                           \
  X(t, archive_entry_xattr_reset) X(t, archive_error_string) X(t, archive_read_data)           \
  X(t, archive_read_data_block) X(t, archive_read_free) X(t, archive_read_new)                 \
  X(t, archive_read_next_header) X(t, archive_read_open2) X(t, archive_read_open_fd)           \
  X(t, archive_read_open_memory) X(t, archive_read_support_filter_all)                         \
  X(t, archive_read_support_filter_gzip) X(t, archive_read_support_filter_zstd)                \
  X(t, archive_read_support_format_empty) X(t, archive_read_support_format_raw)                \
  X(t, archive_read_support_format_tar) X(t, archive_set_error)                                \
  X(t, archive_write_add_filter_gzip) X(t, archive_write_add_filter_zstd)                      \
  X(t, archive_write_close) X(t, archive_write_data) X(t, archive_write_free)                  \
  X(t, archive_write_header) X(t, archive_write_new) X(t, archive_write_open2)                 \
  X(t, archive_write_open_fd) X(t, archive_write_open_memory)                                  \
  X(t, archive_write_set_bytes_in_last_block) X(t, archive_write_set_format_pax_restricted)    \
  X(t, archive_write_set_format_raw)

/* One pointer per function, typed by its prototype in libarchive's headers. */
struct archive_lib {
  ARCHIVE_LIB_FUNCTIONS(DYNLIB_POINTER, archive_lib)
};
extern struct archive_lib archive_lib;

/* Open libarchive (once); ELIBACC naming it when it cannot be loaded. */
int archive_lib_load(err_t *e);

/* From here on, calls go through the table. */
#define archive_entry_atime (archive_lib.archive_entry_atime_fn)
#define archive_entry_atime_is_set (archive_lib.archive_entry_atime_is_set_fn)
#define archive_entry_atime_nsec (archive_lib.archive_entry_atime_nsec_fn)
#define archive_entry_filetype (archive_lib.archive_entry_filetype_fn)
#define archive_entry_free (archive_lib.archive_entry_free_fn)
#define archive_entry_gid (archive_lib.archive_entry_gid_fn)
#define archive_entry_hardlink (archive_lib.archive_entry_hardlink_fn)
#define archive_entry_mtime (archive_lib.archive_entry_mtime_fn)
#define archive_entry_mtime_nsec (archive_lib.archive_entry_mtime_nsec_fn)
#define archive_entry_new (archive_lib.archive_entry_new_fn)
#define archive_entry_pathname (archive_lib.archive_entry_pathname_fn)
#define archive_entry_perm (archive_lib.archive_entry_perm_fn)
#define archive_entry_rdev (archive_lib.archive_entry_rdev_fn)
#define archive_entry_set_filetype (archive_lib.archive_entry_set_filetype_fn)
#define archive_entry_set_gid (archive_lib.archive_entry_set_gid_fn)
#define archive_entry_set_hardlink (archive_lib.archive_entry_set_hardlink_fn)
#define archive_entry_set_mode (archive_lib.archive_entry_set_mode_fn)
#define archive_entry_set_mtime (archive_lib.archive_entry_set_mtime_fn)
#define archive_entry_set_pathname (archive_lib.archive_entry_set_pathname_fn)
#define archive_entry_set_perm (archive_lib.archive_entry_set_perm_fn)
#define archive_entry_set_rdev (archive_lib.archive_entry_set_rdev_fn)
#define archive_entry_set_size (archive_lib.archive_entry_set_size_fn)
#define archive_entry_set_symlink (archive_lib.archive_entry_set_symlink_fn)
#define archive_entry_set_uid (archive_lib.archive_entry_set_uid_fn)
#define archive_entry_size (archive_lib.archive_entry_size_fn)
#define archive_entry_symlink (archive_lib.archive_entry_symlink_fn)
#define archive_entry_uid (archive_lib.archive_entry_uid_fn)
#define archive_entry_xattr_add_entry (archive_lib.archive_entry_xattr_add_entry_fn)
#define archive_entry_xattr_next (archive_lib.archive_entry_xattr_next_fn)
#define archive_entry_xattr_reset (archive_lib.archive_entry_xattr_reset_fn)
#define archive_error_string (archive_lib.archive_error_string_fn)
#define archive_read_data (archive_lib.archive_read_data_fn)
#define archive_read_data_block (archive_lib.archive_read_data_block_fn)
#define archive_read_free (archive_lib.archive_read_free_fn)
#define archive_read_new (archive_lib.archive_read_new_fn)
#define archive_read_next_header (archive_lib.archive_read_next_header_fn)
#define archive_read_open2 (archive_lib.archive_read_open2_fn)
#define archive_read_open_fd (archive_lib.archive_read_open_fd_fn)
#define archive_read_open_memory (archive_lib.archive_read_open_memory_fn)
#define archive_read_support_filter_all (archive_lib.archive_read_support_filter_all_fn)
#define archive_read_support_filter_gzip (archive_lib.archive_read_support_filter_gzip_fn)
#define archive_read_support_filter_zstd (archive_lib.archive_read_support_filter_zstd_fn)
#define archive_read_support_format_empty (archive_lib.archive_read_support_format_empty_fn)
#define archive_read_support_format_raw (archive_lib.archive_read_support_format_raw_fn)
#define archive_read_support_format_tar (archive_lib.archive_read_support_format_tar_fn)
#define archive_set_error (archive_lib.archive_set_error_fn)
#define archive_write_add_filter_gzip (archive_lib.archive_write_add_filter_gzip_fn)
#define archive_write_add_filter_zstd (archive_lib.archive_write_add_filter_zstd_fn)
#define archive_write_close (archive_lib.archive_write_close_fn)
#define archive_write_data (archive_lib.archive_write_data_fn)
#define archive_write_free (archive_lib.archive_write_free_fn)
#define archive_write_header (archive_lib.archive_write_header_fn)
#define archive_write_new (archive_lib.archive_write_new_fn)
#define archive_write_open2 (archive_lib.archive_write_open2_fn)
#define archive_write_open_fd (archive_lib.archive_write_open_fd_fn)
#define archive_write_open_memory (archive_lib.archive_write_open_memory_fn)
#define archive_write_set_bytes_in_last_block (archive_lib.archive_write_set_bytes_in_last_block_fn)
#define archive_write_set_format_pax_restricted \
  (archive_lib.archive_write_set_format_pax_restricted_fn)
#define archive_write_set_format_raw (archive_lib.archive_write_set_format_raw_fn)

#endif
