/* src/build/: the Containerfile syntax (directives, continuations,
 * comments, flags, exec and shell forms, here-documents), variable
 * expansion (quotes, escapes, ${V:-w} ${V:+w}, errors) and .dockerignore
 * matching (**, exceptions, parents). */
#include <string.h>

#include "build/args.h"
#include "build/dockerfile.h"
#include "build/ignore.h"
#include "check.h"
#include "util/cleanup.h"

static struct dockerfile parse(const char *text) {
  struct dockerfile d;
  err_t e = ERR_INIT;
  CHECK_FATAL(dockerfile_parse(text, strlen(text), "Containerfile", &d, &e) == 0);
  return d;
}

static void test_syntax(void) {
  struct dockerfile d = parse("# escape=`\n"
                              "# comment\n"
                              "from busybox AS b\n"
                              "\n"
                              "RUN echo a && `\n"
                              "  # dropped\n"
                              "  echo b\r\n"
                              "COPY --from=b --chown=1:2 x /y\n"
                              "CMD [\"a\", \"b c\"]\n"
                              "CMD [oops\n"
                              "RUN <<EOF\n"
                              "line 1\n"
                              "EOF\n"
                              "COPY <<-'X' /f\n"
                              "\tindented\n"
                              "\tX\n"
                              "ENV last=1");
  CHECK(d.escape == '`');
  CHECK(d.n == 8);
  CHECK_STR(d.v[0].keyword, "FROM");
  CHECK_STR(d.v[0].args, "busybox AS b");
  CHECK(d.v[0].line == 3);
  CHECK_STR(d.v[1].args, "echo a &&    echo b");
  CHECK(d.v[1].line == 5);
  CHECK_STR(df_flag(&d.v[2], "from"), "b");
  CHECK_STR(df_flag(&d.v[2], "chown"), "1:2");
  CHECK(df_flag(&d.v[2], "chmod") == NULL);
  CHECK_STR(d.v[2].args, "x /y");
  CHECK(d.v[3].exec && !strcmp(d.v[3].exec[1], "b c") && !d.v[3].exec[2]);
  CHECK(d.v[4].exec == NULL); /* not JSON: the shell form, as docker */
  CHECK(d.v[5].n_heredocs == 1);
  CHECK_STR(d.v[5].heredocs[0].body, "line 1\n");
  CHECK(d.v[5].heredocs[0].expand);
  CHECK_STR(d.v[6].heredocs[0].body, "indented\n");
  CHECK(!d.v[6].heredocs[0].expand);
  CHECK_STR(d.v[7].keyword, "ENV");
  CHECK(d.v[7].line == 17);
  dockerfile_free(&d);

  struct dockerfile bad;
  err_t e = ERR_INIT;
  const char *open_doc = "FROM x\nRUN <<EOF\nno end\n";
  CHECK(dockerfile_parse(open_doc, strlen(open_doc), "F", &bad, &e) < 0);
  CHECK(strstr(e.msg, "F:2: here-document 'EOF' has no end") != NULL);
}

static const char *lookup(void *ctx, const char *name) {
  (void)ctx;
  if (!strcmp(name, "A"))
    return "1";
  if (!strcmp(name, "EMPTY"))
    return "";
  if (!strcmp(name, "SP"))
    return "x y";
  return NULL;
}

static void word(const char *in, const char *want) {
  char *out = NULL;
  err_t e = ERR_INIT;
  CHECK(build_word(in, '\\', lookup, NULL, &out, &e) == 0);
  CHECK_STR(out, want);
  free(out);
}

static void test_expansion(void) {
  word("$A", "1");
  word("${A}b", "1b");
  word("${NONE}", "");
  word("${NONE:-d}", "d");
  word("${EMPTY:-d}", "d");
  word("${EMPTY-d}", "");
  word("${A:+alt}", "alt");
  word("${EMPTY:+alt}", "");
  word("${EMPTY+alt}", "alt");
  word("${NONE:-${A}x}", "1x");
  word("'$A'", "$A");
  word("\"$A\"", "1");
  word("\\$A", "$A");
  word("\"a\\\"b\"", "a\"b");
  word("a\\ b", "a b");
  word("$", "$");
  char **w = NULL;
  err_t e = ERR_INIT;
  CHECK(build_words("a=$SP \"b c\" 'd e'  f", '\\', lookup, NULL, true, &w, &e) == 0);
  CHECK(w && !strcmp(w[0], "a=x y") && !strcmp(w[1], "b c") && !strcmp(w[2], "d e") &&
        !strcmp(w[3], "f") && !w[4]);
  strv_free(w);
  char *out = NULL;
  CHECK(build_word("${A", '\\', lookup, NULL, &out, &e) < 0);
  CHECK(strstr(e.msg, "missing '}'") != NULL);
  CHECK(build_word("${A:?x}", '\\', lookup, NULL, &out, &e) < 0);
  CHECK(build_word("\"open", '\\', lookup, NULL, &out, &e) < 0);
  CHECK(strstr(e.msg, "unmatched") != NULL);
}

static void test_ignore(void) {
  struct ignore ig;
  err_t e = ERR_INIT;
  CHECK_FATAL(ignore_parse("# c\n*.key\n/docs/\n!docs/keep\n**/*.tmp\n./build\n", &ig, &e) == 0);
  CHECK(ignore_match(&ig, "a.key"));
  CHECK(!ignore_match(&ig, "sub/a.key")); /* * stays within one element */
  CHECK(ignore_match(&ig, "docs"));
  CHECK(ignore_match(&ig, "docs/x.md"));  /* a parent matches */
  CHECK(!ignore_match(&ig, "docs/keep"));
  CHECK(!ignore_match(&ig, "docs/keep/y"));
  CHECK(ignore_match(&ig, "x.tmp"));
  CHECK(ignore_match(&ig, "a/b/c/x.tmp"));
  CHECK(ignore_match(&ig, "build/out"));
  CHECK(!ignore_match(&ig, "src/main.c"));
  CHECK(ig.has_exceptions);
  ignore_free(&ig);
}

int main(void) {
  test_syntax();
  test_expansion();
  test_ignore();
  return check_report("build_syntax");
}
