/* WWW-Authenticate parsing, credentials and the auth file. */
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "registry/auth.h"
#include "registry/http.h"
#include "util/cleanup.h"
#include "util/fs.h"

static void challenges(void) {
  err_t e = ERR_INIT;
  struct auth_challenge c;
  CHECK(auth_challenge_parse("Bearer realm=\"https://auth.example/token\",service=\"reg.example\","
                             "scope=\"repository:a/b:pull,push\"",
                             &c, &e) == 0);
  CHECK(c.scheme == AUTH_BEARER);
  CHECK_STR(c.realm, "https://auth.example/token");
  CHECK_STR(c.service, "reg.example");
  CHECK_STR(c.scope, "repository:a/b:pull,push");
  auth_challenge_free(&c);

  CHECK(auth_challenge_parse("basic realm=\"Registry \\\"Realm\\\"\"", &c, &e) == 0);
  CHECK(c.scheme == AUTH_BASIC);
  CHECK_STR(c.realm, "Registry \"Realm\"");
  CHECK(c.service == NULL);
  auth_challenge_free(&c);

  CHECK(auth_challenge_parse("Bearer realm=http://x/t , error=insufficient_scope", &c, &e) == 0);
  CHECK_STR(c.realm, "http://x/t");
  auth_challenge_free(&c);

  CHECK(auth_challenge_parse("Negotiate abc", &c, &e) == -1);
  CHECK(strstr(e.msg, "unsupported authentication scheme 'Negotiate'") != NULL);
  CHECK(auth_challenge_parse("Bearer service=x", &c, &e) == -1);
  CHECK(strstr(e.msg, "without a realm") != NULL);
  CHECK(auth_challenge_parse("Bearer realm", &c, &e) == -1);
}

static void creds(void) {
  err_t e = ERR_INIT;
  struct credentials c;
  CHECK(credentials_parse("user:pa:ss", &c, &e) == 0);
  CHECK_STR(c.user, "user");
  CHECK_STR(c.pass, "pa:ss");
  credentials_free(&c);
  CHECK(credentials_parse("nopass", &c, &e) == -1);
  CHECK(credentials_parse(":x", &c, &e) == -1);
  _cleanup_free_ char *basic = http_basic_authorization("Aladdin", "open sesame");
  CHECK_STR(basic, "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
}

static void authfile(void) {
  err_t e = ERR_INIT;
  char dir[] = "/tmp/capsule-authfile.XXXXXX";
  CHECK(mkdtemp(dir) != NULL);
  _cleanup_free_ char *path = path_join(dir, "sub/auth.json");
  struct credentials c = {.user = "u1", .pass = "p:1"}, got;
  CHECK(authfile_get(path, "r.example", &got, &e) == 0); /* no file yet */
  CHECK(authfile_set(path, "r.example", &c, &e) == 0);
  CHECK(authfile_set(path, "127.0.0.1:5000", &c, &e) == 0);
  struct stat st;
  CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
  CHECK(authfile_get(path, "r.example", &got, &e) == 1);
  CHECK_STR(got.user, "u1");
  CHECK_STR(got.pass, "p:1");
  credentials_free(&got);
  CHECK(authfile_remove(path, "r.example", &e) == 1);
  CHECK(authfile_remove(path, "r.example", &e) == 0);
  CHECK(authfile_get(path, "r.example", &got, &e) == 0);
  CHECK(authfile_get(path, "127.0.0.1:5000", &got, &e) == 1);
  credentials_free(&got);

  CHECK(atomic_write_at(-100, path, "{\"auths\": []}", 13, 0600, &e) == 0);
  CHECK(authfile_get(path, "x", &got, &e) == -1);
  CHECK(strstr(e.msg, "auths: expected an object") != NULL);
  CHECK(atomic_write_at(-100, path, "{\"auths\": {\"x\": {\"auth\": \"!!\"}}}", 32, 0600, &e) == 0);
  CHECK(authfile_get(path, "x", &got, &e) == -1);
  CHECK(strstr(e.msg, "not base64") != NULL);

  setenv("REGISTRY_AUTH_FILE", "/env/auth.json", 1);
  _cleanup_free_ char *p1 = authfile_path("/flag.json", "/root");
  _cleanup_free_ char *p2 = authfile_path(NULL, "/root");
  unsetenv("REGISTRY_AUTH_FILE");
  _cleanup_free_ char *p3 = authfile_path(NULL, "/var/lib/capsule");
  CHECK_STR(p1, "/flag.json");
  CHECK_STR(p2, "/env/auth.json");
  CHECK_STR(p3, "/var/lib/capsule/auth.json");
  CHECK(remove_tree_at(-100, dir, &e) == 0);
}

int main(void) {
  challenges();
  creds();
  authfile();
  return check_report("registry_auth");
}
