/* File helpers shared by every subsystem. All return -1 and fill `e` on error. */
#ifndef CAPSULE_UTIL_FS_H
#define CAPSULE_UTIL_FS_H

#include <dirent.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "util/error.h"

/* Read a whole file (at most `max` bytes, 0 = no limit) into a NUL-terminated
 * heap buffer; *len gets its length when len is not NULL. */
char *read_file_at(int dirfd, const char *path, size_t max, size_t *len, err_t *e);
#define read_file(path, max, len, e) read_file_at(-100 /* AT_FDCWD */, path, max, len, e)

/* Write `len` bytes to an existing file (cgroup, /proc knobs): open, write, close.
 * No O_CREAT, no temp file: such files cannot be replaced atomically. */
int write_file_at(int dirfd, const char *path, const void *buf, size_t len, err_t *e);
int write_str_at(int dirfd, const char *path, const char *s, err_t *e);

/* Crash-safe replace: write a temp file in the same directory, fsync it,
 * rename it over `path`, fsync the directory. */
int atomic_write_at(int dirfd, const char *path, const void *buf, size_t len, mode_t mode,
                    err_t *e);
/* The same replace, atomic for readers and against a crash of the writing
 * process, but without fsync: for state that is meaningless after a reboot
 * (a container runtime's state), where fsync would only cost time. */
int atomic_replace_at(int dirfd, const char *path, const void *buf, size_t len, mode_t mode,
                      err_t *e);

/* mkdir -p relative to dirfd (AT_FDCWD for the cwd); existing dirs are fine. */
int mkdir_p_at(int dirfd, const char *path, mode_t mode, err_t *e);

/* rm -rf below dirfd, never crossing into another mount (rmdir of a mount
 * point fails, which is reported). A missing path is not an error. */
int remove_tree_at(int dirfd, const char *path, err_t *e);

/* A stream over the directory `fd`, from its first entry, on a CLOEXEC dup
 * of it: closedir() leaves `fd` open. (A dup shares the offset, which an
 * earlier walk may have left at the end.) NULL with errno set, nothing
 * left open. */
DIR *fdopendir_dup(int fd);

/* Bytes in the regular files under the directory `fd`, as docker counts a
 * volume's or a container layer's size (unreadable parts count 0). */
uint64_t tree_file_bytes(int fd);

/* Whether the directory or file `fd` is on a kernel's file system (proc,
 * sysfs, cgroup, devpts, debugfs...): its files are views of the kernel,
 * some of which block a reader (/proc/kmsg), and none is a container's data. */
bool fs_is_kernel_view(int fd);

/* Close a stream of open_memstream(&text, ...) (f may be NULL: the open
 * failed): the text written, or NULL (freed) when any of it failed. */
char *memstream_text(FILE *f, char **text);

/* Write all of buf to fd, retrying on EINTR and short writes; 0 or -1/errno. */
int write_all(int fd, const void *buf, size_t len);
/* Read exactly len bytes; returns bytes read (less only at EOF) or -1/errno. */
ssize_t read_all(int fd, void *buf, size_t len);

/* "a" + "/" + "b" on the heap, never doubling the slash. */
char *path_join(const char *a, const char *b);

/* Read `fd` to its end, handing each chunk to `fn` (which returns -1 with
 * e set to stop); EINTR is retried. */
typedef int (*chunk_fn)(void *arg, const void *buf, size_t len, err_t *e);
int read_chunks(int fd, chunk_fn fn, void *arg, err_t *e);

/* "regular file", "symbolic link", ...: the type bits of a mode, for messages. */
const char *file_type_name(mode_t mode);

#endif
