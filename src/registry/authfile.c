/* The credentials file of `capsule login`, in the auth.json format podman,
 * skopeo and docker read: {"auths": {"REGISTRY": {"auth": base64("user:pass")}}}. */
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "registry/auth.h"
#include "registry/http.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"

#define AUTHFILE_MAX (1u << 20)

char *authfile_path(const char *explicit_path, const char *root) {
  if (explicit_path && *explicit_path)
    return strdup(explicit_path);
  const char *env = getenv("REGISTRY_AUTH_FILE");
  if (env && *env)
    return strdup(env);
  return path_join(root, "auth.json");
}

/* The file as a JSON object, or a fresh {"auths": {}} when it does not exist. */
static json_t *authfile_load(const char *path, err_t *e) {
  size_t len;
  _cleanup_free_ char *buf = read_file(path, AUTHFILE_MAX, &len, e);
  if (!buf) {
    if (e->code != ENOENT)
      return NULL;
    err_clear(e);
    return json_pack("{s:{}}", "auths");
  }
  json_t *doc = json_load_object_buf(buf, len, path, e);
  explicit_bzero(buf, len);
  if (!doc)
    return NULL;
  json_t *auths = json_object_get(doc, "auths");
  bool failed = false;
  if (!auths && json_set(doc, "auths", json_object(), &failed) < 0) {
    json_built(failed, path, e);
    json_decref(doc);
    return NULL;
  } else if (auths && !json_is_object(auths)) {
    err_set(e, EINVAL, "%s: auths: expected an object, got %s", path, json_type_name(auths));
    json_decref(doc);
    return NULL;
  }
  return doc;
}

static int decode_auth(const char *path, const char *registry, const char *b64,
                       struct credentials *out, err_t *e) {
  size_t len = strlen(b64);
  _cleanup_free_ unsigned char *plain = malloc(len / 4 * 3 + 4);
  if (!plain)
    return err_sys(e, "%s", path);
  int n = len % 4 == 0 ? EVP_DecodeBlock(plain, (const unsigned char *)b64, (int)len) : -1;
  if (n < 0)
    return err_set(e, EINVAL, "%s: auths.%s.auth: not base64", path, registry);
  /* EVP_DecodeBlock counts the '=' padding as zero bytes. */
  for (const char *p = b64 + len; p > b64 && p[-1] == '='; p--)
    n--;
  plain[n] = '\0';
  int rc = credentials_parse((char *)plain, out, e);
  explicit_bzero(plain, (size_t)n);
  return rc < 0 ? err_wrap(e, "%s: auths.%s.auth", path, registry) : 0;
}

int authfile_get(const char *path, const char *registry, struct credentials *out, err_t *e) {
  *out = (struct credentials){0};
  _cleanup_json_ json_t *doc = authfile_load(path, e);
  if (!doc)
    return -1;
  json_t *entry = json_object_get(json_object_get(doc, "auths"), registry);
  if (!entry)
    return 0;
  const char *b64 = NULL;
  _cleanup_free_ char *where = NULL;
  if (asprintf(&where, "%s: auths.%s", path, registry) < 0)
    return err_sys(e, "%s", path);
  if (!json_is_object(entry))
    return err_set(e, EINVAL, "%s: expected an object, got %s", where, json_type_name(entry));
  if (json_opt_str(entry, "auth", where, &b64, e) < 0)
    return -1;
  if (!b64 || !*b64)
    return 0;
  return decode_auth(path, registry, b64, out, e) < 0 ? -1 : 1;
}

static int authfile_store(const char *path, json_t *doc, err_t *e) {
  _cleanup_free_ char *dir = strdup(path);
  if (!dir)
    return err_sys(e, "%s", path);
  char *slash = strrchr(dir, '/');
  if (slash && slash != dir) {
    *slash = '\0';
    if (mkdir_p_at(AT_FDCWD, dir, 0700, e) < 0)
      return -1;
  }
  _cleanup_free_ char *text = json_dump_checked(doc, JSON_INDENT(2) | JSON_SORT_KEYS);
  if (!text)
    return err_set(e, ENOMEM, "%s: out of memory", path);
  size_t len = strlen(text);
  int rc = atomic_write_at(AT_FDCWD, path, text, len, 0600, e);
  explicit_bzero(text, len);
  /* An existing file keeps its mode through rename of a fresh temp file, but
   * a temp file left by a crash may not: make sure. */
  if (rc == 0 && chmod(path, 0600) < 0)
    return err_sys(e, "chmod %s", path);
  return rc;
}

int authfile_set(const char *path, const char *registry, const struct credentials *c, err_t *e) {
  _cleanup_json_ json_t *doc = authfile_load(path, e);
  if (!doc)
    return -1;
  _cleanup_free_ char *basic = http_basic_authorization(c->user, c->pass);
  if (!basic)
    return err_sys(e, "%s", path);
  const char *b64 = basic + strlen("Basic ");
  json_t *entry = json_pack("{s:s}", "auth", b64);
  explicit_bzero(basic, strlen(basic));
  if (!entry || json_object_set_new(json_object_get(doc, "auths"), registry, entry) < 0)
    return err_set(e, ENOMEM, "%s: out of memory", path);
  return authfile_store(path, doc, e);
}

int authfile_remove(const char *path, const char *registry, err_t *e) {
  _cleanup_json_ json_t *doc = authfile_load(path, e);
  if (!doc)
    return -1;
  if (json_object_del(json_object_get(doc, "auths"), registry) < 0)
    return 0;
  return authfile_store(path, doc, e) < 0 ? -1 : 1;
}
