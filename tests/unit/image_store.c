/* The image store's API as the registry client and the engine use it:
 * blobs verified while written, layers unpacked by chain id, image records,
 * references, lookups, pins and garbage collection. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "image/archive_lib.h"
#include "image/store.h"
#include "util/cleanup.h"
#include "util/fs.h"

/* A tar with one file `name` holding `content`, in memory. */
static size_t make_tar(char *buf, size_t cap, const char *name, const char *content) {
  struct archive *a = archive_write_new();
  size_t used = 0;
  archive_write_set_format_pax_restricted(a);
  archive_write_open_memory(a, buf, cap, &used);
  struct archive_entry *ent = archive_entry_new();
  archive_entry_set_pathname(ent, name);
  archive_entry_set_filetype(ent, AE_IFREG);
  archive_entry_set_perm(ent, 0644);
  archive_entry_set_size(ent, (la_int64_t)strlen(content));
  archive_write_header(a, ent);
  archive_write_data(a, content, strlen(content));
  archive_entry_free(ent);
  archive_write_close(a);
  archive_write_free(a);
  return used;
}

static unsigned count_entries(const char *dir) {
  DIR *d = opendir(dir);
  unsigned n = 0;
  struct dirent *de;
  while (d && (de = readdir(d)))
    n += de->d_name[0] != '.';
  if (d)
    closedir(d);
  return n;
}

/* Store a one-layer image (layer `name`=`content` on top of `base`, if any)
 * and return its manifest digest in `manifest`. */
static void store_image(struct image_store *s, const char *name, const char *content,
                        const char *base_layer, const char *base_diff, char manifest[DIGEST_BUF],
                        char layer[DIGEST_BUF], char diff[DIGEST_BUF]) {
  static char tar[1 << 16];
  err_t e = ERR_INIT;
  size_t n = make_tar(tar, sizeof(tar), name, content);
  CHECK(image_store_put_blob(s, tar, n, NULL, layer, &e) == 0);
  memcpy(diff, layer, DIGEST_BUF); /* uncompressed: the blob is the diff */
  char config[1024], cdigest[DIGEST_BUF], man[2048];
  snprintf(config, sizeof(config),
           "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Cmd\":[\"/bin/sh\"]},"
           "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[%s%s%s\"%s\"]}}",
           base_diff ? "\"" : "", base_diff ? base_diff : "", base_diff ? "\"," : "", diff);
  CHECK(image_store_put_blob(s, config, strlen(config), NULL, cdigest, &e) == 0);
  char base_desc[256] = "";
  if (base_layer)
    snprintf(base_desc, sizeof(base_desc),
             "{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"%s\","
             "\"size\":%zu},",
             base_layer, n);
  snprintf(man, sizeof(man),
           "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
           "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\","
           "\"digest\":\"%s\",\"size\":%zu},\"layers\":[%s{\"mediaType\":"
           "\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"%s\",\"size\":%zu}]}",
           cdigest, strlen(config), base_desc, layer, n);
  CHECK(image_store_put_blob(s, man, strlen(man), NULL, manifest, &e) == 0);
  CHECK(image_store_add_image(s, manifest, NULL, NULL, &e) == 0);
  if (e.code)
    fprintf(stderr, "store_image: %s\n", e.msg);
}

static void test_blobs(struct image_store *s, const char *root) {
  err_t e = ERR_INIT;
  char d[DIGEST_BUF];
  CHECK(image_store_put_blob(s, "hello", 5, NULL, d, &e) == 0);
  CHECK_STR(d, "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
  int64_t size = 0;
  CHECK(image_store_has_blob(s, d, &size) == 1 && size == 5);
  size_t len;
  _cleanup_free_ char *back = image_store_read_blob(s, d, 0, &len, &e);
  CHECK(back && len == 5 && !memcmp(back, "hello", 5));

  /* A wrong digest or size is refused at commit and leaves no temp file. */
  err_t bad = ERR_INIT;
  CHECK(image_store_put_blob(s, "hellO", 5, d, NULL, &bad) < 0);
  CHECK(strstr(bad.msg, "digest mismatch") != NULL);
  struct blob_writer *w;
  err_clear(&bad);
  CHECK(blob_writer_new(s, NULL, 3, &w, &bad) == 0);
  CHECK(blob_writer_write(w, "abcd", 4, &bad) < 0);
  blob_writer_abort(w);
  char tmp[512];
  snprintf(tmp, sizeof(tmp), "%s/tmp", root);
  CHECK(count_entries(tmp) == 0);
  err_clear(&bad);
  CHECK(image_store_open_blob(s, "sha256:0000000000000000000000000000000000000000000000000000000000000000", &bad) < 0);
  CHECK(strstr(bad.msg, "not in the store") != NULL);
}

static void test_images(struct image_store *s, const char *root) {
  err_t e = ERR_INIT;
  char m1[DIGEST_BUF], l1[DIGEST_BUF], d1[DIGEST_BUF];
  char m2[DIGEST_BUF], l2[DIGEST_BUF], d2[DIGEST_BUF];
  store_image(s, "base.txt", "base", NULL, NULL, m1, l1, d1);
  store_image(s, "child.txt", "child", l1, d1, m2, l2, d2);
  CHECK(image_store_tag(s, "base", m1, &e) == 0);
  CHECK(image_store_tag(s, "example.com/x/child:2", m2, &e) == 0);
  err_t bad = ERR_INIT;
  CHECK(image_store_tag(s, "UPPER:case", m1, &bad) < 0);

  _cleanup_image_info_ struct image_info base = {0}, child = {0}, byid = {0};
  CHECK(image_store_resolve(s, "base:latest", &base, &e) == 0);
  CHECK_STR(base.manifest, m1);
  CHECK(base.refs[0] && !strcmp(base.refs[0], "docker.io/library/base:latest"));
  CHECK(image_store_resolve(s, "example.com/x/child:2", &child, &e) == 0);
  CHECK(child.n_layers == 2);
  CHECK_STR(child.chains[0], base.chains[0]); /* the base layer is shared */
  char prefix[16];
  snprintf(prefix, sizeof(prefix), "%.12s", child.config + 7);
  CHECK(image_store_resolve(s, prefix, &byid, &e) == 0);
  CHECK_STR(byid.manifest, m2);
  err_clear(&bad);
  CHECK(image_store_resolve(s, "nosuch", &byid, &bad) < 0);
  CHECK(strstr(bad.msg, "no such image") != NULL);

  _cleanup_strv_ char **dirs = NULL;
  CHECK(image_store_layer_dirs(s, &child, &dirs, &e) == 0);
  CHECK(dirs && dirs[0] && dirs[1] && !dirs[2]);
  char path[1024];
  snprintf(path, sizeof(path), "%s/child.txt", dirs[1]);
  _cleanup_free_ char *content = read_file(path, 0, NULL, &e);
  CHECK(content && !strcmp(content, "child"));
  struct image_config cfg;
  CHECK(image_store_config(s, &child, &cfg, &e) == 0);
  CHECK(cfg.cmd && !strcmp(cfg.cmd[0], "/bin/sh") && cfg.n_diff_ids == 2);
  image_config_free(&cfg);

  /* A wrong diff id is refused and leaves no layer and no temp dir. */
  err_clear(&bad);
  char chain[DIGEST_BUF];
  CHECK(image_store_unpack_layer(s, l1, NULL, m1, chain, &bad) < 0);
  CHECK(strstr(bad.msg, "hashes to") != NULL);
  CHECK(image_store_has_layer(s, chain) == 0);
  snprintf(path, sizeof(path), "%s/tmp", root);
  CHECK(count_entries(path) == 0);

  CHECK(image_store_pin(s, "ctr1", m1, 0, &e) == 0);
  snprintf(path, sizeof(path), "%s/layers", root);
  CHECK(count_entries(path) == 2);
}

static void test_gc(const char *root) {
  err_t e = ERR_INIT;
  _cleanup_image_store_ struct image_store *s = NULL;
  CHECK(image_store_open(root, IMAGE_STORE_EXCLUSIVE, &s, &e) == 0);
  /* The child goes; the base layer stays, the base image is pinned. */
  CHECK(image_store_remove(s, "example.com/x/child:2", false, NULL, NULL, &e) == 0);
  char path[1024];
  snprintf(path, sizeof(path), "%s/layers", root);
  CHECK(count_entries(path) == 1);
  err_t bad = ERR_INIT;
  CHECK(image_store_remove(s, "base", false, NULL, NULL, &bad) < 0);
  CHECK(strstr(bad.msg, "in use by ctr1") != NULL);
  CHECK(image_store_unpin(s, "ctr1", 0, &e) == 0);
  /* A transient pin (run --rm: a file, not images.json) keeps it too, and
   * an unpin without the flag (system check, after a crash) removes it. */
  struct image_info img = {0};
  CHECK(image_store_resolve(s, "base", &img, &e) == 0);
  CHECK(image_store_pin(s, "ctr2", img.manifest, IMAGE_PIN_TRANSIENT, &e) == 0);
  image_info_free(&img);
  CHECK(image_store_resolve(s, "base", &img, &e) == 0);
  CHECK(img.pins && img.pins[0] && !strcmp(img.pins[0], "ctr2") && !img.pins[1]);
  image_info_free(&img);
  bad = (err_t)ERR_INIT;
  CHECK(image_store_remove(s, "base", false, NULL, NULL, &bad) < 0);
  CHECK(strstr(bad.msg, "in use by ctr2") != NULL);
  CHECK(image_store_unpin(s, "ctr2", 0, &e) == 0);
  CHECK(image_store_remove(s, "base", false, NULL, NULL, &e) == 0);
  CHECK(count_entries(path) == 0);
  snprintf(path, sizeof(path), "%s/blobs/sha256", root);
  CHECK(count_entries(path) == 0);
  CHECK(image_store_check(s, NULL, NULL, &e) == 0);
}

int main(void) {
  char root[] = "/tmp/capsule-image-store.XXXXXX";
  CHECK(mkdtemp(root) != NULL);
  err_t e = ERR_INIT;
  CHECK(archive_lib_load(&e) == 0); /* make_tar writes tars itself */
  if (check_failures)
    return check_report("image_store");
  struct image_store *s = NULL;
  CHECK(image_store_open(root, 0, &s, &e) == 0);
  if (s) {
    test_blobs(s, root);
    test_images(s, root);
    image_store_close(s);
    test_gc(root);
  }
  if (e.code)
    fprintf(stderr, "last error: %s\n", e.msg);
  err_t ignored = ERR_INIT;
  remove_tree_at(AT_FDCWD, root, &ignored);
  return check_report("image_store");
}
