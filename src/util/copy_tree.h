/* Copying a directory's content with what a file is besides its bytes:
 * type (directories, regular files, symlinks, device nodes, fifos), owner,
 * mode (setuid bits included), extended attributes where the filesystems
 * take them, times, and hard links (a file linked twice in the source is
 * linked twice in the copy, not copied twice: busybox's /bin is one file
 * under 400 names). Every entry is opened relative to its parent's fd
 * without following symlinks, so a tree that changes meanwhile cannot lead
 * the copy out of it. */
#ifndef CAPSULE_UTIL_COPY_TREE_H
#define CAPSULE_UTIL_COPY_TREE_H

#include "util/error.h"

/* Copy the entries of the directory `from` into the directory `to` (both
 * fds), recursively; `what` names the copy in messages. An entry that
 * already exists in `to` fails the copy (EEXIST), except directories,
 * which are merged. */
int copy_tree(int from, int to, const char *what, err_t *e);

/* Give the directory `to` the owner, mode, extended attributes and times of
 * the directory `from` (the root of a copy, which copy_tree leaves alone). */
int copy_dir_attrs(int from, int to, const char *what, err_t *e);

#endif
