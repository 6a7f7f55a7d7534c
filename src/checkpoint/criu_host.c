/* Which CRIU, and whether it works on this host: asked once per boot.
 *
 * The answer is kept in /run/capsule/criu.json with the boot id and the
 * binary's identity (size, mtime, inode): a new boot, or a CRIU installed or
 * rebuilt since, asks again. Asking costs two `criu swrk` requests (VERSION,
 * CHECK, about 0.3 s) and the breakpoint probe. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checkpoint/criu.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"

#define CACHE_DIR "/run/capsule"
#define CACHE_FILE "criu.json"
#define INSTALL_HINT "scripts/deps/criu in capsule's source builds CRIU >= 4 from Debian's source"

static const char *find_binary(char *buf, size_t cap) {
  const char *env = getenv("CAPSULE_CRIU");
  if (env && *env)
    return env;
  if (access(CRIU_PRIVATE_PATH, X_OK) == 0)
    return CRIU_PRIVATE_PATH;
  const char *path = getenv("PATH");
  if (!path || !*path)
    path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  _cleanup_free_ char *copy = strdup(path);
  char *save = NULL;
  for (char *dir = copy ? strtok_r(copy, ":", &save) : NULL; dir; dir = strtok_r(NULL, ":", &save)) {
    snprintf(buf, cap, "%s/criu", dir);
    if (access(buf, X_OK) == 0)
      return buf;
  }
  return NULL;
}

/* What identifies this boot and this binary. */
static char *identity(const char *path, const struct stat *st) {
  char boot[64] = "";
  _cleanup_close_ int fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
  ssize_t n = fd >= 0 ? read(fd, boot, sizeof boot - 1) : -1;
  boot[n > 0 ? n : 0] = 0;
  boot[strcspn(boot, "\n")] = 0;
  char *out = NULL;
  if (asprintf(&out, "%s %s %lld %lld.%09ld %llu", boot, path, (long long)st->st_size,
               (long long)st->st_mtim.tv_sec, st->st_mtim.tv_nsec,
               (unsigned long long)st->st_ino) < 0)
    return NULL;
  return out;
}

/* CRIU reads its options (an images directory, where its log goes) even
 * for these requests: both in CACHE_DIR/criu-check. */
static int ask(const struct criu_host *h, CriuReqType type, CriuResp **resp, err_t *e) {
  if (mkdir_p_at(AT_FDCWD, CACHE_DIR "/criu-check", 0700, e) < 0)
    return -1;
  _cleanup_close_ int dir = open(CACHE_DIR "/criu-check", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0)
    return err_sys(e, CACHE_DIR "/criu-check");
  CriuOpts opts = CRIU_OPTS__INIT;
  opts.images_dir_fd = dir;
  opts.log_file = "check.log";
  CriuReq req = CRIU_REQ__INIT;
  req.type = type;
  req.opts = &opts;
  struct criu_call c = {.host = h, .req = &req, .work_dirfd = dir, .log_name = "check.log",
                        .quiet = true};
  return criu_call(&c, resp, e);
}

/* Ask CRIU itself; the verdict goes to *reason ("" if usable). */
static void probe(struct criu_host *h, char *reason, size_t cap) {
  reason[0] = 0;
  err_t e = ERR_INIT;
  CriuResp *r = NULL;
  if (ask(h, CRIU_REQ_TYPE__VERSION, &r, &e) < 0 || !r->version) {
    fmt_cut(reason, cap, "%s does not answer a version request (%s)", h->path,
             e.msg[0] ? e.msg : "too old");
    if (r)
      criu_resp__free_unpacked(r, NULL);
    return;
  }
  h->major = r->version->major_number;
  h->minor = r->version->minor_number;
  h->sublevel = r->version->has_sublevel ? r->version->sublevel : 0;
  criu_resp__free_unpacked(r, NULL);
  if (h->major < 4) {
    fmt_cut(reason, cap, "%s is CRIU %d.%d; capsule needs CRIU >= 4 (older ones fail on "
                          "recent kernels)", h->path, h->major, h->minor);
    return;
  }
  /* Before CHECK, which may itself try breakpoints. */
  h->no_breakpoints = !criu_breakpoints_work();
  if (ask(h, CRIU_REQ_TYPE__CHECK, &r, &e) < 0) {
    fmt_cut(reason, cap, "%s: `criu check` fails on this kernel (%s)", h->path, e.msg);
    return;
  }
  criu_resp__free_unpacked(r, NULL);
}

static bool load_cache(const char *id, struct criu_host *h, char *reason, size_t cap) {
  err_t ignored = ERR_INIT;
  _cleanup_json_ json_t *j = json_load_object_file(CACHE_DIR "/" CACHE_FILE, &ignored);
  if (!j || strcmp(json_string_value(json_object_get(j, "identity")) ?: "", id))
    return false;
  h->major = (int)json_integer_value(json_object_get(j, "major"));
  h->minor = (int)json_integer_value(json_object_get(j, "minor"));
  h->sublevel = (int)json_integer_value(json_object_get(j, "sublevel"));
  h->no_breakpoints = json_is_true(json_object_get(j, "no_breakpoints"));
  fmt_cut(reason, cap, "%s", json_string_value(json_object_get(j, "unusable")) ?: "");
  return true;
}

static void save_cache(const char *id, const struct criu_host *h, const char *reason) {
  _cleanup_json_ json_t *j =
      json_pack("{s:s, s:i, s:i, s:i, s:b, s:s}", "identity", id, "major", h->major, "minor",
                h->minor, "sublevel", h->sublevel, "no_breakpoints", h->no_breakpoints,
                "unusable", reason);
  _cleanup_free_ char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
  err_t ignored = ERR_INIT;
  if (text && mkdir_p_at(AT_FDCWD, CACHE_DIR, 0755, &ignored) == 0)
    atomic_replace_at(AT_FDCWD, CACHE_DIR "/" CACHE_FILE, text, strlen(text), 0644, &ignored);
}

int criu_host_find(struct criu_host *h, err_t *e) {
  memset(h, 0, sizeof *h);
  char buf[sizeof h->path];
  const char *path = find_binary(buf, sizeof buf);
  if (!path)
    return err_set(e, ENOTSUP, "checkpoint/restore needs CRIU >= 4, which is not installed (%s)",
                   INSTALL_HINT);
  snprintf(h->path, sizeof h->path, "%s", path);
  struct stat st;
  if (stat(h->path, &st) < 0)
    return err_sys(e, "criu %s", h->path);
  _cleanup_free_ char *id = identity(h->path, &st);
  if (!id)
    return err_sys(e, "criu");
  char reason[ERR_MSG_MAX / 2];
  if (!load_cache(id, h, reason, sizeof reason)) {
    probe(h, reason, sizeof reason);
    save_cache(id, h, reason);
  }
  if (*reason)
    return err_set(e, ENOTSUP, "checkpoint/restore: %s (%s)", reason, INSTALL_HINT);
  return 0;
}
