/* A group below a container's: where `exec --cgroup` puts its process. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cgroup/internal.h"
#include "util/cleanup.h"
#include "util/fs.h"

/* "a//b/" -> "a/b"; refuses an empty path and "." or ".." components. */
static int clean_sub_path(const char *spec, const char *in, char **out, err_t *e) {
  _cleanup_free_ char *buf = malloc(strlen(in) + 1);
  if (!buf)
    return err_sys(e, "%s", spec);
  char *w = buf;
  for (const char *p = in; *p;) {
    p += strspn(p, "/");
    size_t n = strcspn(p, "/");
    if (!n)
      break;
    if ((n == 1 && p[0] == '.') || (n == 2 && !strncmp(p, "..", 2)))
      return err_set(e, EINVAL, "%s: \".\" and \"..\" are not allowed", spec);
    if (w > buf)
      *w++ = '/';
    memcpy(w, p, n);
    w += n;
    p += n;
  }
  *w = '\0';
  if (!*buf)
    return err_set(e, EINVAL, "%s: expected [controller:]path below the container's group", spec);
  *out = steal_ptr(&buf);
  return 0;
}

/* The sub-path for hierarchy `h`, or NULL if no spec names it. A spec
 * without controllers (the only one, checked before) names them all. */
static const char *path_for(const struct cgroup_hierarchy *h, const char *const *specs,
                            char *const *paths) {
  for (size_t i = 0; specs[i]; i++) {
    const char *colon = strchr(specs[i], ':');
    if (!colon)
      return paths[i];
    if (h->v2)
      continue;
    _cleanup_free_ char *list = strndup(specs[i], (size_t)(colon - specs[i]));
    char *save = NULL;
    for (char *c = list ? strtok_r(list, ",", &save) : NULL; c; c = strtok_r(NULL, ",", &save))
      if (cgroup_controllers_have(h->name, c))
        return paths[i];
  }
  return NULL;
}

/* Every controller of a spec must be one of the container's hierarchies,
 * and named once over all specs. */
static int check_controllers(const struct cgroup *cg, const char *const *specs, size_t i,
                             err_t *e) {
  const char *colon = strchr(specs[i], ':');
  if (!colon)
    return 0;
  if (cg->mode == CGROUP_MODE_V2)
    return err_set(e, EINVAL, "%s: this host has cgroup v2 only, a single tree: give the path "
                              "without a controller", specs[i]);
  _cleanup_free_ char *list = strndup(specs[i], (size_t)(colon - specs[i]));
  if (!list)
    return err_sys(e, "%s", specs[i]);
  if (!*list || list[strlen(list) - 1] == ',' || *list == ',' || strstr(list, ",,"))
    return err_set(e, EINVAL, "%s: empty controller name", specs[i]);
  char *save = NULL;
  for (char *c = strtok_r(list, ",", &save); c; c = strtok_r(NULL, ",", &save)) {
    if (!cgroup_v1(cg, c))
      return err_set(e, EINVAL, "%s: no cgroup v1 hierarchy of the container has controller %s",
                     specs[i], c);
    for (size_t j = 0; j < i; j++) {
      const char *other = strchr(specs[j], ':');
      _cleanup_free_ char *before = strndup(specs[j], (size_t)(other - specs[j]));
      char *save2 = NULL;
      for (char *d = before ? strtok_r(before, ",", &save2) : NULL; d;
           d = strtok_r(NULL, ",", &save2))
        if (!strcmp(c, d))
          return err_set(e, EINVAL, "%s: controller %s is given twice", specs[i], c);
    }
  }
  return 0;
}

int cgroup_sub(const struct cgroup *cg, const char *const *specs, struct cgroup **out, err_t *e) {
  size_t n = 0;
  while (specs[n])
    n++;
  _cleanup_free_ char **paths = calloc(n + 1, sizeof *paths);
  if (!paths)
    return err_sys(e, "cgroup");
  int rc = -1;
  _cleanup_cgroup_ struct cgroup *sub = NULL;
  for (size_t i = 0; i < n; i++) {
    const char *colon = strchr(specs[i], ':');
    if (!colon && n > 1) {
      err_set(e, EINVAL, "%s: a path for every hierarchy cannot be combined with other "
                         "--cgroup values (give controller:path for each)", specs[i]);
      goto out;
    }
    if (check_controllers(cg, specs, i, e) < 0 ||
        clean_sub_path(specs[i], colon ? colon + 1 : specs[i], &paths[i], e) < 0)
      goto out;
  }
  /* A deep copy through the saved form, which also checks each dir. */
  json_t *j = cgroup_to_json(cg);
  if (!j) {
    err_set(e, ENOMEM, "cgroup");
    goto out;
  }
  int r = cgroup_from_json(j, &sub, e);
  json_decref(j);
  if (r < 0)
    goto out;
  for (size_t k = 0; k < sub->n_hierarchies; k++) {
    struct cgroup_hierarchy *h = &sub->hierarchies[k];
    const char *p = path_for(h, specs, paths);
    if (!p)
      continue;
    char *dir = path_join(h->dir, p);
    if (!dir) {
      err_sys(e, "cgroup");
      goto out;
    }
    free(h->dir);
    h->dir = dir;
    struct stat st;
    if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
      err_set(e, ENOENT, "no group %s (exec joins an existing group, it makes none)", dir);
      goto out;
    }
  }
  *out = steal_ptr(&sub);
  rc = 0;
out:
  for (size_t i = 0; i < n; i++)
    free(paths[i]);
  return rc;
}
