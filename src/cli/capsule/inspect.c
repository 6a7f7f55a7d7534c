/* capsule inspect (containers, images, volumes, networks), image history. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/capsule/cli.h"
#include "cli/capsule/commands.h"
#include "cli/capsule/human.h"
#include "cli/capsule/table.h"
#include "engine/engine.h"
#include "image/ref_display.h"
#include "image/store.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/template.h"

/* Every stored image, for parent and child lookups. */
struct image_list {
  struct image_info *v;
  size_t n;
};

static void image_list_free(struct image_list *l) {
  for (size_t i = 0; i < l->n; i++)
    image_info_free(&l->v[i]);
  free(l->v);
}

static json_t *string_array(char **v, bool familiar) {
  json_t *a = json_array();
  bool failed = false;
  for (; v && *v; v++)
    json_push(a, json_string(familiar ? ref_familiar(*v) : *v), &failed);
  return json_done(a, failed);
}

static json_t *repo_digests(const struct image_info *img) {
  json_t *a = json_array();
  bool failed = false;
  const char *digest = img->index[0] ? img->index : img->manifest;
  for (char **r = img->refs; *r; r++) {
    const char *f = ref_familiar(*r);
    size_t len = strcspn(f, "@");
    const char *colon = memrchr(f, ':', len), *slash = memrchr(f, '/', len);
    if (colon && (!slash || colon > slash))
      len = (size_t)(colon - f);
    _cleanup_free_ char *rd = NULL;
    if (asprintf(&rd, "%.*s@%s", (int)len, f, digest) < 0) {
      failed = true;
      continue;
    }
    bool seen = false;
    for (size_t i = 0; i < json_array_size(a) && !seen; i++)
      seen = !strcmp(json_string_value(json_array_get(a, i)), rd);
    if (!seen)
      json_push(a, json_string(rd), &failed);
  }
  return json_done(a, failed);
}

static json_t *layers_json(struct image_store *s, const struct image_info *img,
                           json_t **lowerdir) {
  json_t *a = json_array();
  bool failed = false;
  _cleanup_free_ char *lower = NULL;
  for (size_t i = 0; i < img->n_layers; i++) {
    struct layer_info li;
    err_t e = ERR_INIT;
    _cleanup_free_ char *dir = image_store_layer_dir(s, img->chains[i]);
    image_store_layer_info(s, img->chains[i], &li, &e);
    json_push(a,
              json_pack("{s:s, s:s, s:I, s:s}", "ChainID", img->chains[i], "DiffID", li.diff_id,
                        "Size", (json_int_t)li.size, "Dir", dir ? dir : ""),
              &failed);
    char *joined = NULL; /* overlayfs order: top first */
    if (asprintf(&joined, "%s%s%s", dir ? dir : "", lower ? ":" : "", lower ? lower : "") < 0) {
      failed = true;
    } else {
      free(lower);
      lower = joined;
    }
  }
  *lowerdir = json_string(lower ? lower : "");
  return json_done(a, failed);
}

static json_t *inspect_one(struct image_store *s, const struct image_list *all,
                           const struct image_info *img, err_t *e) {
  size_t len;
  _cleanup_free_ char *raw = image_store_read_blob(s, img->config, 0, &len, e);
  _cleanup_json_ json_t *cfg = raw ? json_load_object_buf(raw, len, img->config, e) : NULL;
  if (!cfg)
    return NULL;
  _cleanup_free_ long *children = calloc(all->n + 1, sizeof(long));
  long parent = image_lineage(all->v, all->n, img, children);
  json_t *kids = json_array();
  bool failed = !children;
  for (long *k = children; k && *k >= 0; k++)
    json_push(kids, json_string(all->v[*k].config), &failed);
  kids = json_done(kids, failed);
  json_t *history = json_object_get(cfg, "history");
  const char *comment = json_string_value(
      json_object_get(json_array_get(history, json_array_size(history) - 1), "comment"));
  json_t *lowerdir = NULL;
  json_t *layers = layers_json(s, img, &lowerdir);
  json_t *out = json_pack(
      "{s:s, s:s, s:o, s:o, s:s, s:o, s:s, s:O?, s:O?, s:O?, s:O?, s:O?, s:O?, s:I, s:O?, s:s?, "
      "s:o, s:{s:s, s:{s:o}}, s:{s:s}, s:o}",
      "Id", img->config, "Digest", img->manifest, "RepoTags", string_array(img->refs, true),
      "RepoDigests", repo_digests(img), "Parent", parent >= 0 ? all->v[parent].config : "",
      "Children", kids, "Comment", comment ? comment : "", "Created",
      json_object_get(cfg, "created"), "Author", json_object_get(cfg, "author"), "Config",
      json_object_get(cfg, "config"), "Architecture", json_object_get(cfg, "architecture"), "Os",
      json_object_get(cfg, "os"), "Variant", json_object_get(cfg, "variant"), "Size",
      (json_int_t)img->size, "RootFS", json_object_get(cfg, "rootfs"), "ManifestMediaType",
      img->manifest_media_type, "Layers", layers, "GraphDriver", "Name", "overlay", "Data",
      "LowerDir", lowerdir, "Metadata", "Added", img->added, "Pins",
      string_array(img->pins, false));
  if (!out)
    err_set(e, ENOMEM, "inspect %s", img->config);
  return out;
}

static int load_all(struct image_store *s, struct image_list *l, err_t *e) {
  return image_store_list(s, &l->v, &l->n, e);
}

enum inspect_kind { INSPECT_ANY, INSPECT_CONTAINER, INSPECT_IMAGE, INSPECT_VOLUME, INSPECT_NETWORK };

struct inspector {
  struct engine eng;
  struct image_store *store;
  struct image_list all;
  bool size; /* -s: a container's SizeRw and SizeRootFs */
};

static json_t *inspect_image(struct inspector *in, const char *name, err_t *e) {
  if (!in->store && (image_store_open(in->eng.root, 0, &in->store, e) < 0 ||
                     load_all(in->store, &in->all, e) < 0))
    return NULL;
  struct image_info img;
  if (image_store_resolve(in->store, name, &img, e) < 0)
    return NULL;
  json_t *j = inspect_one(in->store, &in->all, &img, e);
  image_info_free(&img);
  return j;
}

static json_t *inspect_container(struct inspector *in, const char *name, err_t *e) {
  json_t *j = NULL;
  if (engine_container_inspect(&in->eng, name, &j, e) < 0 || !in->size)
    return j;
  err_t ignored = ERR_INIT;
  json_t *img = inspect_image(in, json_string_value(json_object_get(j, "Image")), &ignored);
  json_int_t rw = (json_int_t)engine_container_size(&in->eng, json_string_value(json_object_get(j, "Id")));
  bool failed = false;
  json_set(j, "SizeRw", json_integer(rw), &failed);
  json_set(j, "SizeRootFs",
           json_integer(rw + json_integer_value(json_object_get(img, "Size"))), &failed);
  json_decref(img);
  if (json_built(failed, "inspect", e) < 0) {
    json_decref(j);
    return NULL;
  }
  return j;
}

static json_t *inspect_kind(struct inspector *in, enum inspect_kind kind, const char *name,
                            err_t *e) {
  json_t *j = NULL;
  switch (kind) {
  case INSPECT_CONTAINER: return inspect_container(in, name, e);
  case INSPECT_IMAGE: return inspect_image(in, name, e);
  case INSPECT_VOLUME: engine_volume_inspect(&in->eng, name, &j, e); return j;
  case INSPECT_NETWORK: engine_network_inspect(&in->eng, name, &j, e); return j;
  default: return NULL;
  }
}

/* Containers first, then images, volumes and networks, as docker looks
 * names up. */
static json_t *inspect_object(struct inspector *in, const char *name, enum inspect_kind kind,
                              err_t *e) {
  for (enum inspect_kind k = INSPECT_CONTAINER; k <= INSPECT_NETWORK; k++) {
    if (kind != INSPECT_ANY && kind != k)
      continue;
    err_clear(e);
    json_t *j = inspect_kind(in, k, name, e);
    if (j || kind != INSPECT_ANY || e->code != ENOENT)
      return j;
  }
  err_set(e, ENOENT, "no such object: %s", name);
  return NULL;
}

/* Each object's JSON in an array as docker prints it, or the template's
 * output, one line per object. */
static int inspect_print(struct cmdline_args *args, const char *format, enum inspect_kind kind,
                         struct inspector *in, err_t *e) {
  struct template *t = NULL;
  if (format && template_parse_json(format, &t, e) < 0)
    return -1;
  _cleanup_json_ json_t *out = json_array();
  int rc = out ? 0 : err_sys(e, "inspect");
  for (int i = 0; rc == 0 && i < args->n_operands; i++) {
    err_t one = ERR_INIT;
    json_t *j = inspect_object(in, args->operands[i], kind, &one);
    char *text = j && t ? template_render_json(t, j, &one) : NULL;
    if (text)
      printf("%s\n", text);
    free(text);
    if (j && !t && json_array_append(out, j) < 0)
      rc = err_sys(e, "inspect");
    json_decref(j);
    if (one.code)
      rc = cli_report(&one);
  }
  template_free(t);
  if (!format) {
    _cleanup_free_ char *text = json_dumps(out, JSON_INDENT(4) | JSON_PRESERVE_ORDER);
    printf("%s\n", text ? text : "[]");
  }
  return rc;
}

enum { OPT_TYPE = 256 };

#define FORMAT_OPTION                                                                          \
  {'f', 'f', "format", CMDLINE_VALUE, "TEMPLATE",                                               \
   "Go template over the JSON ({{.State.Status}}, {{json .Config}}, {{range .Mounts}}...)"}
#define SIZE_OPTION {'s', 's', "size", CMDLINE_FLAG, NULL, "A container's sizes (SizeRw, SizeRootFs)"}

const struct cmdline_option inspect_options[] = {
    FORMAT_OPTION,
    SIZE_OPTION,
    {OPT_TYPE, 0, "type", CMDLINE_VALUE, "TYPE", "Only objects of this type: container, image, volume, network"},
    CMDLINE_OPTIONS_END,
};
const struct cmdline_option container_inspect_options[] = {FORMAT_OPTION, SIZE_OPTION,
                                                           CMDLINE_OPTIONS_END};
const struct cmdline_option image_inspect_options[] = {FORMAT_OPTION, CMDLINE_OPTIONS_END};

static int inspect_as(struct cli *cli, struct cmdline_args *args, enum inspect_kind kind,
                      err_t *e) {
  const char *type = cmdline_value(args, OPT_TYPE);
  if (type) {
    static const char *const names[] = {"", "container", "image", "volume", "network"};
    for (kind = INSPECT_CONTAINER; kind <= INSPECT_NETWORK && strcmp(names[kind], type); kind++)
      ;
    if (kind > INSPECT_NETWORK)
      return err_set(e, EINVAL, "--type %s: expected container, image, volume or network", type);
  }
  struct inspector in = {.eng = {.root = cli->root, .run_root = cli->run_root},
                         .size = cmdline_has(args, 's')};
  int rc = inspect_print(args, cmdline_value(args, 'f'), kind, &in, e);
  image_list_free(&in.all);
  if (in.store)
    image_store_close(in.store);
  return rc;
}

CAPSULE_COMMAND(cmd_inspect) {
  return inspect_as(cli, args, INSPECT_ANY, e);
}

CAPSULE_COMMAND(cmd_container_inspect) {
  return inspect_as(cli, args, INSPECT_CONTAINER, e);
}

CAPSULE_COMMAND(cmd_image_inspect) {
  return inspect_as(cli, args, INSPECT_IMAGE, e);
}

/* The image (among all) whose top layer is `chain`, shown in history's
 * IMAGE column: the ancestors an image was built from. */
static const char *image_with_top(const struct image_list *all, const char *chain) {
  const char *best = NULL;
  for (size_t i = 0; i < all->n; i++) {
    const struct image_info *x = &all->v[i];
    if (x->n_layers && !strcmp(x->chains[x->n_layers - 1], chain) &&
        (!best || strcmp(x->config, best) < 0))
      best = x->config;
  }
  return best;
}

struct history_opts {
  bool no_trunc, quiet;
};

static void history_row(struct table *t, const struct history_opts *o, const char *id,
                        const char *created, const char *by, uint64_t size, const char *comment) {
  char idbuf[80] = "<missing>", ago[48], sz[16];
  if (id)
    short_id(idbuf, sizeof(idbuf), id, o->no_trunc);
  if (o->quiet) {
    table_add(t, strdup(idbuf));
    return;
  }
  human_ago(ago, sizeof(ago), parse_rfc3339(created));
  human_size(sz, sizeof(sz), size);
  char *line = NULL;
  int width = o->no_trunc ? 1 << 20 : 45;
  by = by ? by : "";
  if (asprintf(&line, "%s\t%s\t%.*s%s\t%s\t%s", idbuf, ago, width, by,
               (int)strlen(by) > width ? "…" : "", sz, comment ? comment : "") >= 0)
    table_add(t, line);
}

static int print_history(struct image_store *s, const struct image_list *all,
                         const struct image_info *img, const struct history_opts *o, err_t *e) {
  struct image_config cfg;
  if (image_store_config(s, img, &cfg, e) < 0)
    return -1;
  struct table *t = table_new();
  if (!o->quiet)
    table_add(t, strdup("IMAGE\tCREATED\tCREATED BY\tSIZE\tCOMMENT"));
  /* Walk history newest first; layer-making steps take layers from the top. */
  size_t layer = img->n_layers;
  for (size_t i = cfg.n_history; i-- > 0;) {
    const struct image_history_entry *h = &cfg.history[i];
    const char *id = i + 1 == cfg.n_history ? img->config : NULL;
    uint64_t size = 0;
    if (!h->empty_layer && layer > 0) {
      struct layer_info li;
      err_t ignored = ERR_INIT;
      layer--;
      if (image_store_layer_info(s, img->chains[layer], &li, &ignored) == 0)
        size = li.size;
      if (!id)
        id = image_with_top(all, img->chains[layer]);
    }
    history_row(t, o, id, h->created, h->created_by, size, h->comment);
  }
  /* Layers the history does not account for (configs without history). */
  while (layer-- > 0) {
    struct layer_info li = {0};
    err_t ignored = ERR_INIT;
    image_store_layer_info(s, img->chains[layer], &li, &ignored);
    const char *id = layer + 1 == img->n_layers ? img->config : image_with_top(all, img->chains[layer]);
    history_row(t, o, id, NULL, NULL, li.size, NULL);
  }
  table_print(t, stdout);
  image_config_free(&cfg);
  return 0;
}

enum { OPT_NO_TRUNC = 256 };

const struct cmdline_option history_options[] = {
    {OPT_NO_TRUNC, 0, "no-trunc", CMDLINE_FLAG, NULL, "Full IDs and commands"},
    {'q', 'q', "quiet", CMDLINE_FLAG, NULL, "Only image IDs"},
    CMDLINE_OPTIONS_END,
};

CAPSULE_COMMAND(cmd_image_history) {
  struct history_opts o = {.no_trunc = cmdline_has(args, OPT_NO_TRUNC),
                           .quiet = cmdline_has(args, 'q')};
  _cleanup_image_store_ struct image_store *s = cli_store(cli, 0, e);
  _cleanup_image_info_ struct image_info img = {0};
  struct image_list all = {0};
  if (!s || image_store_resolve(s, args->operands[0], &img, e) < 0 || load_all(s, &all, e) < 0)
    return -1;
  int rc = print_history(s, &all, &img, &o, e);
  image_list_free(&all);
  return rc < 0 ? -1 : 0;
}
