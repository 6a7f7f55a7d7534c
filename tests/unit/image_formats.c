/* Parsers and small pieces of the image subsystem: manifests, indexes and
 * platform choice, image configs, --change instructions, --format
 * templates, archive path cleaning, chain ids, compression sniffing and
 * multi-member gzip. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zlib.h>

#include "check.h"
#include "image/changes.h"
#include "image/config.h"
#include "image/decompress.h"
#include "image/digest.h"
#include "image/manifest.h"
#include "image/tree_walk.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/template.h"

#define D1 "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define D2 "sha256:2222222222222222222222222222222222222222222222222222222222222222"

static void test_manifest(void) {
  err_t e = ERR_INIT;
  struct manifest m;
  const char *oci = "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"" MEDIA_OCI_CONFIG
                    "\",\"digest\":\"" D1 "\",\"size\":10},\"layers\":[{\"mediaType\":\"" MEDIA_DOCKER_LAYER_GZIP
                    "\",\"digest\":\"" D2 "\",\"size\":20}]}";
  CHECK(manifest_parse(oci, strlen(oci), &m, &e) == 0);
  CHECK_STR(m.media_type, MEDIA_OCI_MANIFEST); /* inferred */
  CHECK(m.n_layers == 1 && m.layers[0].size == 20 && !strcmp(m.config.digest, D1));
  manifest_free(&m);
  CHECK(manifest_kind_of(oci, strlen(oci), NULL) == MANIFEST_IMAGE);

  static const struct {
    const char *doc, *error;
  } bad[] = {
      {"{\"schemaVersion\":1}", "unsupported schemaVersion 1"},
      {"{\"schemaVersion\":2,\"layers\":[]}", "manifest: no config"},
      {"{\"schemaVersion\":2,\"config\":{\"digest\":\"md5:x\",\"size\":1},\"layers\":[]}",
       "unsupported digest 'md5:x'"},
      {"{\"schemaVersion\":2,\"config\":{\"digest\":\"" D1 "\"},\"layers\":[]}", "no valid size"},
      {"{\"schemaVersion\":2,\"config\":{\"digest\":\"" D1 "\",\"size\":1},\"layers\":[{\"mediaType\":"
       "\"application/vnd.oci.image.layer.v1.tar+xz\",\"digest\":\"" D2 "\",\"size\":1}]}",
       "unsupported layer media type"},
      {"{\"schemaVersion\":2,\"mediaType\":\"" MEDIA_OCI_INDEX "\",\"manifests\":[]}",
       "is not an image manifest"},
      {"[1]", "expected a JSON object"},
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    err_t be = ERR_INIT;
    CHECK(manifest_parse(bad[i].doc, strlen(bad[i].doc), &m, &be) < 0);
    if (!strstr(be.msg, bad[i].error))
      fprintf(stderr, "manifest case %zu: %s\n", i, be.msg);
    CHECK(strstr(be.msg, bad[i].error) != NULL);
  }
}

static void test_index_select(void) {
  err_t e = ERR_INIT;
  const char *doc =
      "{\"schemaVersion\":2,\"mediaType\":\"" MEDIA_DOCKER_LIST "\",\"manifests\":["
      "{\"mediaType\":\"" MEDIA_DOCKER_MANIFEST "\",\"digest\":\"" D1 "\",\"size\":1,"
      "\"platform\":{\"os\":\"linux\",\"architecture\":\"arm\",\"variant\":\"v6\"}},"
      "{\"mediaType\":\"" MEDIA_DOCKER_MANIFEST "\",\"digest\":\"" D2 "\",\"size\":1,"
      "\"platform\":{\"os\":\"linux\",\"architecture\":\"arm\",\"variant\":\"v7\"}},"
      "{\"mediaType\":\"" MEDIA_DOCKER_MANIFEST "\",\"digest\":\"" D1 "\",\"size\":2,"
      "\"platform\":{\"os\":\"linux\",\"architecture\":\"arm64\",\"variant\":\"v8\"}},"
      "{\"mediaType\":\"" MEDIA_DOCKER_MANIFEST "\",\"digest\":\"" D2 "\",\"size\":3,"
      "\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\"}}]}";
  struct image_index x;
  CHECK(image_index_parse(doc, strlen(doc), &x, &e) == 0 && x.n_manifests == 4);
  CHECK(manifest_kind_of(doc, strlen(doc), NULL) == MANIFEST_INDEX);
  struct platform p;
  CHECK(platform_parse("linux/arm/v7", &p, &e) == 0);
  const struct descriptor *d = image_index_select(&x, &p, &e);
  CHECK(d && !strcmp(d->digest, D2) && d->size == 1);
  CHECK(platform_parse("linux/arm64", &p, &e) == 0);
  d = image_index_select(&x, &p, &e);
  CHECK(d && d->size == 2);
  d = image_index_select(&x, NULL, &e); /* this host: amd64 */
  CHECK(d && d->size == 3);
  err_t be = ERR_INIT;
  CHECK(platform_parse("windows/amd64", &p, &be) == 0);
  CHECK(image_index_select(&x, &p, &be) == NULL);
  CHECK_STR(be.msg, "no image for windows/amd64 in the index (it offers linux/arm/v6, "
                    "linux/arm/v7, linux/arm64/v8, linux/amd64)");
  image_index_free(&x);
  const char *bad_platforms[] = {"linux", "/amd64", "linux/", "linux/arm/v7/x", "a/b/"};
  for (size_t i = 0; i < sizeof(bad_platforms) / sizeof(bad_platforms[0]); i++) {
    err_clear(&be);
    CHECK(platform_parse(bad_platforms[i], &p, &be) < 0);
  }
}

static void test_config(void) {
  err_t e = ERR_INIT;
  struct image_config c;
  const char *doc = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"created\":\"2020-01-01T00:00:00Z\","
                    "\"config\":{\"Entrypoint\":[\"/e\"],\"Cmd\":null,\"Env\":[\"A=1\"],"
                    "\"WorkingDir\":\"/w\",\"User\":\"1:2\",\"Volumes\":{\"/v\":{}},"
                    "\"ExposedPorts\":{\"80/tcp\":{},\"53/udp\":{}},\"Labels\":{\"z\":\"1\",\"a\":\"2\"}},"
                    "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" D1 "\",\"" D2 "\"]},"
                    "\"history\":[{\"created_by\":\"x\"},{\"empty_layer\":true},{\"comment\":\"c\"}]}";
  CHECK(image_config_parse(doc, strlen(doc), &c, &e) == 0);
  CHECK(c.entrypoint && !strcmp(c.entrypoint[0], "/e") && !c.entrypoint[1]);
  CHECK(c.cmd == NULL); /* null is absent */
  CHECK_STR(c.working_dir, "/w");
  CHECK_STR(c.user, "1:2");
  CHECK(c.volumes && !strcmp(c.volumes[0], "/v"));
  CHECK(c.exposed_ports && !strcmp(c.exposed_ports[0], "53/udp") && !strcmp(c.exposed_ports[1], "80/tcp"));
  CHECK(c.labels && !strcmp(c.labels[0], "a=2") && !strcmp(c.labels[1], "z=1"));
  CHECK(c.n_diff_ids == 2 && c.n_history == 3 && c.history[1].empty_layer);
  image_config_free(&c);
  const char *bad[] = {"{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"x\"]}}",
                       "{\"rootfs\":{\"type\":\"fs\",\"diff_ids\":[]}}", "{}",
                       "{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]},\"config\":{\"Cmd\":\"sh\"}}"};
  const char *why[] = {"invalid digest 'x'", "want \"layers\"", "no rootfs", "config.config.Cmd"};
  for (size_t i = 0; i < 4; i++) {
    err_t be = ERR_INIT;
    CHECK(image_config_parse(bad[i], strlen(bad[i]), &c, &be) < 0);
    CHECK(strstr(be.msg, why[i]) != NULL);
  }
}

static void test_changes(void) {
  err_t e = ERR_INIT;
  _cleanup_json_ json_t *cfg = json_object();
  const char *ok[] = {"CMD [\"a\",\"b c\"]", "entrypoint /bin/x --y", "ENV A=1 B=\"two words\"",
                      "ENV A 3", "EXPOSE 80 53/udp", "LABEL k=v", "USER=nobody", "VOLUME /d",
                      "WORKDIR /a", "WORKDIR b", "STOPSIGNAL 9"};
  for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
    CHECK(image_config_apply_change(cfg, ok[i], &e) == 0);
  if (e.code)
    fprintf(stderr, "changes: %s\n", e.msg);
  _cleanup_free_ char *s = json_dumps(cfg, JSON_COMPACT | JSON_SORT_KEYS);
  CHECK_STR(s, "{\"Cmd\":[\"a\",\"b c\"],\"Entrypoint\":[\"/bin/sh\",\"-c\",\"/bin/x --y\"],"
               "\"Env\":[\"A=3\",\"B=two words\"],\"ExposedPorts\":{\"53/udp\":{},\"80/tcp\":{}},"
               "\"Labels\":{\"k\":\"v\"},\"StopSignal\":\"9\",\"User\":\"nobody\","
               "\"Volumes\":{\"/d\":{}},\"WorkingDir\":\"/a/b\"}");
  const char *bad[] = {"RUN x", "CMD [1]", "EXPOSE 0", "EXPOSE 80/icmp", "VOLUME rel",
                       "ENV", "USER", "LABEL =v", "ENV A=\"x", ""};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    err_t be = ERR_INIT;
    CHECK(image_config_apply_change(cfg, bad[i], &be) < 0);
    CHECK(strstr(be.msg, "--change '") == be.msg);
  }
}

static const char *field_value(void *ctx, int field) {
  (void)ctx;
  static const char *const values[] = {"busybox", "latest", "abc"};
  return values[field];
}

static void test_template(void) {
  static const char *const fields[] = {"Repository", "Tag", "ID", NULL};
  static const char *const headers[] = {"REPOSITORY", "TAG", "IMAGE ID"};
  err_t e = ERR_INIT;
  struct template *t;
  CHECK(template_parse("{{.Repository}}:{{ .Tag }}\\t{{.ID}}!", fields, &t, &e) == 0);
  CHECK(!template_is_table(t));
  _cleanup_free_ char *line = template_render(t, field_value, NULL, NULL);
  CHECK_STR(line, "busybox:latest\tabc!");
  template_free(t);
  CHECK(template_parse("table {{.ID}}\\t{{.Tag}}", fields, &t, &e) == 0);
  CHECK(template_is_table(t));
  _cleanup_free_ char *head = template_render_header(t, headers);
  CHECK_STR(head, "IMAGE ID\tTAG");
  template_free(t);
  err_t be = ERR_INIT;
  CHECK(template_parse("{{.Size}}", fields, &t, &be) < 0);
  CHECK_STR(be.msg, "--format: unknown field .Size (known: .Repository .Tag .ID)");
}

static void test_paths_and_chains(void) {
  char out[4096];
  err_t e = ERR_INIT;
  CHECK(layer_path_clean("./a//b/./c/", out, &e) == 0);
  CHECK_STR(out, "a/b/c");
  CHECK(layer_path_clean("./", out, &e) == 0 && out[0] == '\0');
  CHECK(layer_path_clean("a/..b/c..", out, &e) == 0); /* names with dots are fine */
  CHECK(layer_path_clean("a/../b", out, &e) < 0);
  CHECK(layer_path_clean("/etc/passwd", out, &e) < 0);
  CHECK(layer_path_clean("..", out, &e) < 0);
  char c1[DIGEST_BUF], c2[DIGEST_BUF], want[DIGEST_BUF];
  CHECK(chain_id_next(NULL, D1, c1, &e) == 0);
  CHECK_STR(c1, D1);
  CHECK(chain_id_next(c1, D2, c2, &e) == 0);
  CHECK(sha256_digest(D1 " " D2, strlen(D1 " " D2), want, &e) == 0);
  CHECK_STR(c2, want);
}

static size_t gzip_member(const char *s, unsigned char *out, size_t cap) {
  z_stream z = {0};
  deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
  z.next_in = (unsigned char *)s;
  z.avail_in = (uInt)strlen(s);
  z.next_out = out;
  z.avail_out = (uInt)cap;
  deflate(&z, Z_FINISH);
  size_t n = cap - z.avail_out;
  deflateEnd(&z);
  return n;
}

static void test_decompress(void) {
  err_t e = ERR_INIT;
  enum layer_compression c;
  const unsigned char gz[] = {0x1f, 0x8b, 8, 0, 0, 0}, zs[] = {0x28, 0xb5, 0x2f, 0xfd, 0, 0},
                      xz[] = {0xfd, '7', 'z', 'X', 'Z', 0}, tar[] = "a.txt\0";
  CHECK(compression_sniff(gz, 6, &c, &e) == 0 && c == LAYER_GZIP);
  CHECK(compression_sniff(zs, 6, &c, &e) == 0 && c == LAYER_ZSTD);
  CHECK(compression_sniff(tar, 6, &c, &e) == 0 && c == LAYER_TAR);
  CHECK(compression_sniff(xz, 6, &c, &e) < 0 && strstr(e.msg, "xz-compressed"));
  /* Two gzip members read as one stream; garbage after them is an error. */
  unsigned char buf[512];
  size_t n = gzip_member("hello ", buf, sizeof(buf));
  n += gzip_member("world", buf + n, sizeof(buf) - n);
  for (int garbage = 0; garbage < 2; garbage++) {
    int fd = memfd_create("gz", MFD_CLOEXEC);
    CHECK(write_all(fd, buf, n) == 0);
    if (garbage)
      CHECK(write_all(fd, "junk", 4) == 0);
    lseek(fd, 0, SEEK_SET);
    struct decompress *d = NULL;
    err_t de = ERR_INIT;
    CHECK(decompress_open(fd, &d, &de) == 0);
    char out[64] = "";
    size_t got = 0;
    ssize_t r;
    while ((r = decompress_read(d, out + got, sizeof(out) - 1 - got, &de)) > 0)
      got += (size_t)r;
    if (garbage) {
      CHECK(r < 0 && strstr(de.msg, "garbage after the end"));
    } else {
      CHECK(r == 0);
      CHECK_STR(out, "hello world");
    }
    decompress_close(d);
    close(fd);
  }
}

int main(void) {
  test_manifest();
  test_index_select();
  test_config();
  test_changes();
  test_template();
  test_paths_and_chains();
  test_decompress();
  return check_report("image_formats");
}
