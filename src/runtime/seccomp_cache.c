/* Compiled seccomp programs, cached by content.
 *
 * libseccomp takes 10 to 20 ms here to compile an allowlist of a few hundred
 * syscalls over three architectures (docker's profile, the engine's
 * default): more than the rest of a container start. A host runs the same
 * few profiles over and over, so the finished BPF is kept under the state
 * root, named by the sha256 of the profile (listener fields aside: they do
 * not change the program), the libseccomp version and the machine. Only
 * profiles that compiled are cached, so a bad one is still refused. The
 * cache is small and may be deleted at any time. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "runtime/seccomp.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/sha256.h"

#define CACHE_MAGIC "capsbpf1"
#define CACHE_MAX_ENTRIES 256

struct cache_header {
  char magic[8];
  uint32_t flags;
  uint32_t notify;
  uint32_t len;
};

/* "<hex>.bpf" for the profile. */
static int cache_name(json_t *profile, char name[80], err_t *e) {
  _cleanup_json_ json_t *copy = json_copy(profile);
  if (!copy)
    return err_set(e, ENOMEM, "seccomp cache");
  json_object_del(copy, "listenerPath");
  json_object_del(copy, "listenerMetadata");
  _cleanup_free_ char *text = json_dump_checked(copy, JSON_COMPACT | JSON_SORT_KEYS);
  const struct scmp_version *v = seccomp_version();
  struct utsname u;
  if (!text || uname(&u) < 0)
    return err_set(e, ENOMEM, "seccomp cache");
  struct sha256 h;
  if (sha256_init(&h, e) < 0)
    return -1;
  char salt[160];
  int n = snprintf(salt, sizeof salt, "\n%u.%u.%u %s", v->major, v->minor, v->micro, u.machine);
  sha256_update(&h, text, strlen(text));
  sha256_update(&h, salt, (size_t)n);
  char digest[SHA256_DIGEST_STRLEN + 1];
  sha256_final(&h, digest);
  snprintf(name, 80, "%s.bpf", digest + 7);
  return 0;
}

/* 1 with *out filled on a hit, 0 on a miss (or an unreadable entry). */
static int cache_load(int dirfd, const char *name, json_t *profile, struct seccomp_filter **out) {
  size_t len;
  err_t ignored = ERR_INIT;
  _cleanup_free_ char *buf = read_file_at(dirfd, name, 1 << 20, &len, &ignored);
  struct cache_header h;
  if (!buf || len < sizeof h)
    return 0;
  memcpy(&h, buf, sizeof h);
  if (memcmp(h.magic, CACHE_MAGIC, 8) || h.len == 0 || h.len > BPF_MAXINSNS ||
      len != sizeof h + h.len * sizeof(struct sock_filter))
    return 0;
  struct seccomp_filter *f = calloc(1, sizeof *f);
  if (!f || !(f->insns = malloc(h.len * sizeof *f->insns))) {
    free(f);
    return 0;
  }
  memcpy(f->insns, buf + sizeof h, h.len * sizeof *f->insns);
  f->len = (unsigned short)h.len;
  f->flags = h.flags;
  f->notify = h.notify;
  f->listener_path = json_string_value(json_object_get(profile, "listenerPath"));
  f->listener_metadata = json_string_value(json_object_get(profile, "listenerMetadata"));
  *out = f;
  return 1;
}

static bool cache_full(int dirfd) {
  DIR *d = fdopendir_dup(dirfd);
  if (!d)
    return true;
  size_t n = 0;
  for (struct dirent *de; (de = readdir(d));)
    n += de->d_name[0] != '.';
  closedir(d);
  return n >= CACHE_MAX_ENTRIES;
}

static void cache_store(int dirfd, const char *name, const struct seccomp_filter *f) {
  if (cache_full(dirfd))
    return;
  struct cache_header h = {.flags = f->flags, .notify = f->notify, .len = f->len};
  memcpy(h.magic, CACHE_MAGIC, 8);
  size_t size = sizeof h + f->len * sizeof *f->insns;
  _cleanup_free_ char *buf = malloc(size);
  if (!buf)
    return;
  memcpy(buf, &h, sizeof h);
  memcpy(buf + sizeof h, f->insns, f->len * sizeof *f->insns);
  err_t ignored = ERR_INIT; /* a cache that cannot be written is only slower */
  atomic_replace_at(dirfd, name, buf, size, 0600, &ignored);
}

int seccomp_compile_cached(json_t *profile, const char *cache_dir, struct seccomp_filter **out,
                           err_t *e) {
  char name[80];
  _cleanup_close_ int dirfd = -1;
  if (cache_dir && cache_name(profile, name, e) == 0) {
    if (mkdir(cache_dir, 0700) == 0 || errno == EEXIST)
      dirfd = open(cache_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirfd >= 0 && cache_load(dirfd, name, profile, out) == 1)
      return 0;
  }
  err_clear(e);
  if (seccomp_compile(profile, out, e) < 0)
    return -1;
  if (dirfd >= 0)
    cache_store(dirfd, name, *out);
  return 0;
}
