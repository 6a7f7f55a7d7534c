/* Image reference parsing and docker.io normalization. */
#include <errno.h>
#include <stdlib.h>

#include "check.h"
#include "image/reference.h"
#include "registry/client.h"
#include "util/cleanup.h"

#define D64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void expect(const char *in, const char *registry, const char *repo, const char *tag,
                   const char *digest) {
  err_t e = ERR_INIT;
  struct image_ref r;
  int rc = image_ref_parse(in, &r, &e);
  CHECK(rc == 0);
  if (rc < 0) {
    fprintf(stderr, "  %s: %s\n", in, e.msg);
    return;
  }
  CHECK_STR(r.registry, registry);
  CHECK_STR(r.repository, repo);
  CHECK(tag ? r.tag && !strcmp(r.tag, tag) : !r.tag);
  CHECK(digest ? r.digest && !strcmp(r.digest, digest) : !r.digest);
  image_ref_free(&r);
}

static void expect_error(const char *in, const char *needle) {
  err_t e = ERR_INIT;
  struct image_ref r;
  CHECK(image_ref_parse(in, &r, &e) == -1);
  CHECK(e.code == EINVAL);
  CHECK(strstr(e.msg, needle) != NULL);
  if (!strstr(e.msg, needle))
    fprintf(stderr, "  %s: message '%s' lacks '%s'\n", in, e.msg, needle);
}

int main(void) {
  expect("busybox", "docker.io", "library/busybox", "latest", NULL);
  expect("busybox:1.36", "docker.io", "library/busybox", "1.36", NULL);
  expect("user/app", "docker.io", "user/app", "latest", NULL);
  expect("index.docker.io/user/app:v1", "docker.io", "user/app", "v1", NULL);
  /* Found writing the fuzz harness: these named a top-level "busybox" on Docker Hub. */
  expect("docker.io/busybox", "docker.io", "library/busybox", "latest", NULL);
  expect("index.docker.io/busybox:1", "docker.io", "library/busybox", "1", NULL);
  expect("127.0.0.1:5000/a/b:t", "127.0.0.1:5000", "a/b", "t", NULL);
  expect("localhost/x", "localhost", "x", "latest", NULL);
  expect("localhost:5000/x@sha256:" D64, "localhost:5000", "x", NULL, "sha256:" D64);
  expect("quay.io/x/y:t@sha256:" D64, "quay.io", "x/y", "t", "sha256:" D64);
  expect("reg.example/a__b.c-d---e", "reg.example", "a__b.c-d---e", "latest", NULL);

  expect_error("", "empty");
  expect_error("Busybox", "lowercase");
  expect_error("127.0.0.1:5000/a//b", "invalid repository name");
  expect_error("127.0.0.1:5000/-a", "invalid repository name");
  expect_error("a:b:c", "invalid");
  expect_error("a:-bad", "invalid tag");
  expect_error("a@sha256:123", "invalid digest");
  expect_error("a@md5:" D64, "invalid digest");
  expect_error("bad!.host/x", "invalid registry host");
  expect_error("bad host/x", "invalid repository name");

  struct image_ref r;
  err_t e = ERR_INIT;
  CHECK(image_ref_parse("127.0.0.1:5000/a/b", &r, &e) == 0);
  _cleanup_free_ char *s = image_ref_string(&r);
  _cleanup_free_ char *n = image_ref_name(&r);
  CHECK_STR(s, "127.0.0.1:5000/a/b:latest");
  CHECK_STR(n, "127.0.0.1:5000/a/b");
  image_ref_free(&r);
  CHECK(image_ref_parse("x@sha256:" D64, &r, &e) == 0);
  _cleanup_free_ char *d = image_ref_string(&r);
  CHECK_STR(d, "docker.io/library/x@sha256:" D64);
  image_ref_free(&r);

  CHECK_STR(registry_api_host("docker.io"), "registry-1.docker.io");
  CHECK_STR(registry_api_host("127.0.0.1:5000"), "127.0.0.1:5000");
  return check_report("registry_reference");
}
