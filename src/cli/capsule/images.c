/* capsule images, tag, rmi, image prune. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build/build.h"
#include "cli/capsule/cli.h"
#include "cli/capsule/commands.h"
#include "cli/capsule/human.h"
#include "cli/capsule/table.h"
#include "image/ref_display.h"
#include "image/reference.h"
#include "image/store.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/template.h"

enum image_field { F_REPOSITORY, F_TAG, F_ID, F_DIGEST, F_SIZE, F_CREATED, F_CREATED_AT,
                   F_CREATED_SINCE };
static const char *const image_fields[] = {"Repository", "Tag",       "ID",           "Digest",
                                           "Size",       "Created",   "CreatedAt",
                                           "CreatedSince", NULL};
static const char *const image_headers[] = {"REPOSITORY", "TAG",        "IMAGE ID", "DIGEST",
                                            "SIZE",       "CREATED",    "CREATED AT",
                                            "CREATED"};

/* One line of `capsule images`: an image under one of its references. */
struct image_row {
  const struct image_info *img;
  char repo[256], tag[160], id[80], digest[80], size[16], created[48], created_at[40];
  time_t t;
};

static const char *row_value(void *ctx, int field) {
  struct image_row *r = ctx;
  switch ((enum image_field)field) {
  case F_REPOSITORY:
    return r->repo;
  case F_TAG:
    return r->tag;
  case F_ID:
    return r->id;
  case F_DIGEST:
    return r->digest;
  case F_SIZE:
    return r->size;
  case F_CREATED:
  case F_CREATED_SINCE:
    return r->created;
  case F_CREATED_AT:
    return r->created_at;
  }
  return "";
}

static void fill_row(struct image_row *r, const struct image_info *img, const char *ref,
                     bool no_trunc) {
  *r = (struct image_row){.img = img};
  if (ref)
    ref_split(ref, r->repo, r->tag, sizeof(r->tag));
  else
    snprintf(r->repo, sizeof(r->repo), "<none>"), snprintf(r->tag, sizeof(r->tag), "<none>");
  const char *at = ref ? strchr(ref, '@') : NULL;
  snprintf(r->digest, sizeof(r->digest), "%s", at ? at + 1 : img->index[0] ? img->index : img->manifest);
  short_id(r->id, sizeof(r->id), img->config, no_trunc);
  human_size(r->size, sizeof(r->size), img->size);
  r->t = parse_rfc3339(img->created);
  human_ago(r->created, sizeof(r->created), r->t);
  if (r->t) {
    struct tm tm;
    gmtime_r(&r->t, &tm);
    strftime(r->created_at, sizeof(r->created_at), "%Y-%m-%d %H:%M:%S +0000 UTC", &tm);
  }
}

static int cmp_rows(const void *a, const void *b) {
  const struct image_row *x = a, *y = b;
  if (x->t != y->t)
    return x->t < y->t ? 1 : -1;
  int c = strcmp(x->repo, y->repo);
  return c ? c : strcmp(x->tag, y->tag);
}

/* Does the reference (normalised) match the filter given on the command line? */
static bool ref_matches(const char *ref, const struct image_ref *want) {
  if (!want)
    return true;
  if (!ref)
    return false;
  _cleanup_free_ char *name = image_ref_name(want);
  size_t n = name ? strlen(name) : 0;
  if (!name || strncmp(ref, name, n) || (ref[n] != ':' && ref[n] != '@'))
    return false;
  return !want->tag || (ref[n] == ':' && !strcmp(ref + n + 1, want->tag));
}

/* An untagged image a build made as a step of another (docker's
 * "intermediate image"): listed with -a only. A later image starts with
 * all its layers (a config-only step adds none, so the store's lineage,
 * by proper prefixes, does not see it as a parent). */
static bool intermediate(struct image_info *imgs, size_t n, size_t i, json_t *cached) {
  if (imgs[i].refs[0] || !json_object_get(cached, imgs[i].manifest))
    return false;
  for (size_t j = 0; j < n; j++) {
    if (j == i || imgs[j].n_layers < imgs[i].n_layers || !imgs[i].created ||
        !imgs[j].created || strcmp(imgs[j].created, imgs[i].created) <= 0)
      continue;
    size_t k = 0;
    while (k < imgs[i].n_layers && !strcmp(imgs[i].chains[k], imgs[j].chains[k]))
      k++;
    if (k == imgs[i].n_layers)
      return true;
  }
  return false;
}

static struct image_row *collect_rows(struct image_info *imgs, size_t n,
                                      const struct image_ref *filter, bool no_trunc,
                                      json_t *hidden, size_t *count) {
  size_t cap = n + 1;
  for (size_t i = 0; i < n; i++)
    for (char **r = imgs[i].refs; *r; r++)
      cap++;
  struct image_row *rows = calloc(cap, sizeof(*rows));
  size_t k = 0;
  for (size_t i = 0; rows && i < n; i++) {
    if (!imgs[i].refs[0] && !filter && !intermediate(imgs, n, i, hidden))
      fill_row(&rows[k++], &imgs[i], NULL, no_trunc);
    for (char **r = imgs[i].refs; *r; r++)
      if (ref_matches(*r, filter))
        fill_row(&rows[k++], &imgs[i], *r, no_trunc);
  }
  if (rows)
    qsort(rows, k, sizeof(*rows), cmp_rows);
  *count = k;
  return rows;
}

static void print_rows(struct image_row *rows, size_t n, const struct template *t) {
  struct table *table = template_is_table(t) ? table_new() : NULL;
  if (table)
    table_add(table, template_render_header(t, image_headers));
  for (size_t i = 0; i < n; i++) {
    char *line = template_render(t, row_value, &rows[i], NULL);
    if (table)
      table_add(table, line);
    else if (line)
      printf("%s\n", line), free(line);
  }
  table_print(table, stdout);
}

static void print_ids(struct image_row *rows, size_t n) {
  for (size_t i = 0; i < n; i++) {
    bool seen = false;
    for (size_t j = 0; j < i && !seen; j++)
      seen = !strcmp(rows[j].id, rows[i].id);
    if (!seen)
      printf("%s\n", rows[i].id);
  }
}

enum { OPT_DIGESTS = 256, OPT_NO_TRUNC, OPT_FORMAT };

const struct cmdline_option images_options[] = {
    {'a', 'a', "all", CMDLINE_FLAG, NULL, "Show intermediate images (a build's steps) too"},
    {'q', 'q', "quiet", CMDLINE_FLAG, NULL, "Only image IDs"},
    {OPT_DIGESTS, 0, "digests", CMDLINE_FLAG, NULL, "Show digests"},
    {OPT_NO_TRUNC, 0, "no-trunc", CMDLINE_FLAG, NULL, "Full IDs"},
    {OPT_FORMAT, 0, "format", CMDLINE_VALUE, "TEMPLATE",
     "Go-template-like: {{.Repository}} {{.Tag}} {{.ID}} {{.Digest}} {{.Size}} {{.Created}} "
     "{{.CreatedAt}}"},
    CMDLINE_OPTIONS_END,
};

CAPSULE_COMMAND(cmd_images) {
  bool quiet = cmdline_has(args, 'q'), digests = cmdline_has(args, OPT_DIGESTS);
  bool no_trunc = cmdline_has(args, OPT_NO_TRUNC);
  const char *format = cmdline_value(args, OPT_FORMAT);
  const char *want = args->operands[0];
  _cleanup_image_ref_ struct image_ref filter = {0};
  if (want && image_ref_parse(want, &filter, e) < 0)
    return -1;
  if (want && !filter.digest) { /* no tag given: every tag of the repository */
    const char *slash = strrchr(want, '/');
    if (!strchr(slash ? slash : want, ':')) {
      free(filter.tag);
      filter.tag = NULL;
    }
  }
  if (!format)
    format = digests ? "table {{.Repository}}\\t{{.Tag}}\\t{{.Digest}}\\t{{.ID}}\\t{{.Created}}\\t{{.Size}}"
                     : "table {{.Repository}}\\t{{.Tag}}\\t{{.ID}}\\t{{.Created}}\\t{{.Size}}";
  struct template *t = NULL;
  if (template_parse(format, image_fields, &t, e) < 0)
    return -1;
  _cleanup_image_store_ struct image_store *s = cli_store(cli, 0, e);
  struct image_info *imgs = NULL;
  size_t n = 0, rows_n = 0;
  int rc = 0;
  _cleanup_json_ json_t *cached = NULL;
  if (!s || image_store_list(s, &imgs, &n, e) < 0 ||
      (!cmdline_has(args, 'a') && build_cache_images(cli->root, &cached, e) < 0)) {
    rc = -1;
  } else {
    struct image_row *rows =
        collect_rows(imgs, n, want ? &filter : NULL, no_trunc, cached, &rows_n);
    if (quiet)
      print_ids(rows, rows_n);
    else
      print_rows(rows, rows_n, t);
    free(rows);
  }
  for (size_t i = 0; i < n; i++)
    image_info_free(&imgs[i]);
  free(imgs);
  template_free(t);
  return rc;
}

CAPSULE_COMMAND(cmd_tag) {
  _cleanup_image_store_ struct image_store *s = cli_store(cli, 0, e);
  _cleanup_image_info_ struct image_info img = {0};
  if (!s || image_store_resolve(s, args->operands[0], &img, e) < 0 ||
      image_store_tag(s, args->operands[1], img.manifest, e) < 0)
    return -1;
  return 0;
}

static void print_note(void *data, const char *kind, const char *text) {
  (void)data;
  printf("%c%s: %s\n", kind[0] - 'a' + 'A', kind + 1, text);
}

const struct cmdline_option rmi_options[] = {
    {'f', 'f', "force", CMDLINE_FLAG, NULL,
     "Remove an image with several references or in use (its record stays until unused)"},
    CMDLINE_OPTIONS_END,
};

CAPSULE_COMMAND(cmd_rmi) {
  bool force = cmdline_has(args, 'f');
  _cleanup_image_store_ struct image_store *s = cli_store(cli, IMAGE_STORE_EXCLUSIVE, e);
  if (!s)
    return -1;
  int rc = 0;
  for (int i = 0; i < args->n_operands; i++) {
    err_t one = ERR_INIT;
    if (image_store_remove(s, args->operands[i], force, print_note, NULL, &one) < 0)
      rc = cli_report(&one);
  }
  return rc;
}

const struct cmdline_option prune_options[] = {
    {'a', 'a', "all", CMDLINE_FLAG, NULL, "Every image no container uses, not only untagged ones"},
    {'f', 'f', "force", CMDLINE_FLAG, NULL, "Do not prompt (there is no prompt: accepted)"},
    CMDLINE_OPTIONS_END,
};

CAPSULE_COMMAND(cmd_image_prune) {
  uint64_t freed = 0;
  _cleanup_image_store_ struct image_store *s = cli_store(cli, IMAGE_STORE_EXCLUSIVE, e);
  if (!s || image_store_prune(s, cmdline_has(args, 'a'), &freed, print_note, NULL, e) < 0)
    return -1;
  build_cache_forget_gone(s);
  char size[16];
  human_size(size, sizeof(size), freed);
  printf("Total reclaimed space: %s\n", size);
  return 0;
}
