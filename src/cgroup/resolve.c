/* From an OCI cgroupsPath to the container's directories, and the saved form
 * of those directories in the container's state. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup/internal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"

/* "/a//b/" -> "/a/b", keeping a leading slash if there was one; refuses
 * empty paths, "." and ".." components, and systemd's slice:prefix:name. */
static int normalize_path(const char *in, char **out, err_t *e) {
  if (!strchr(in, '/')) {
    int colons = 0;
    for (const char *p = in; *p; p++)
      colons += *p == ':';
    if (colons == 2)
      return err_set(e, EINVAL,
                     "linux.cgroupsPath: %s is a systemd path (slice:prefix:name); capsule "
                     "manages cgroupfs directly and does not drive systemd",
                     in);
  }
  _cleanup_free_ char *buf = malloc(strlen(in) + 2);
  if (!buf)
    return err_sys(e, "linux.cgroupsPath");
  char *w = buf;
  if (*in == '/')
    *w++ = '/';
  for (const char *p = in; *p;) {
    while (*p == '/')
      p++;
    if (!*p)
      break;
    const char *end = strchrnul(p, '/');
    size_t n = (size_t)(end - p);
    if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
      return err_set(e, EINVAL, "linux.cgroupsPath: %s: \".\" and \"..\" are not allowed", in);
    if (memchr(p, '\n', n))
      return err_set(e, EINVAL, "linux.cgroupsPath: a newline is not allowed");
    if (w > buf && w[-1] != '/')
      *w++ = '/';
    memcpy(w, p, n);
    w += n;
    p = end;
  }
  *w = '\0';
  if (!buf[0] || !strcmp(buf, "/"))
    return err_set(e, EINVAL, "linux.cgroupsPath: \"%s\" names the root group, not a container's",
                   in);
  *out = steal_ptr(&buf);
  return 0;
}

static char *mount_options(const struct cgroup_mount *m) {
  if (m->v2)
    return strdup("");
  for (const char *p = m->controllers; *p;) {
    if (strncmp(p, "name=", 5))
      return strdup(m->controllers);
    p = strchrnul(p, ',');
    p += *p == ',';
  }
  char *s = NULL; /* a named hierarchy without controllers */
  return asprintf(&s, "none,%s", m->controllers) < 0 ? NULL : s;
}

static void hierarchy_clear(struct cgroup_hierarchy *h) {
  free(h->name);
  free(h->mount);
  free(h->dir);
  free(h->options);
}

void cgroup_free(struct cgroup *cg) {
  if (!cg)
    return;
  for (size_t i = 0; i < cg->n_hierarchies; i++)
    hierarchy_clear(&cg->hierarchies[i]);
  free(cg->hierarchies);
  free(cg->path);
  free(cg);
}

int cgroup_resolve_in(const struct cgroup_layout *layout, const char *proc_cgroup,
                      const char *cgroups_path, const char *id, struct cgroup **out, err_t *e) {
  _cleanup_free_ char *path = NULL, *own_text = NULL;
  if (normalize_path(cgroups_path ? cgroups_path : id, &path, e) < 0)
    return -1;
  bool relative = path[0] != '/';
  if (relative && !proc_cgroup) {
    if (!(own_text = read_file("/proc/self/cgroup", 0, NULL, e)))
      return err_wrap(e, "cgroup");
    proc_cgroup = own_text;
  }
  _cleanup_cgroup_ struct cgroup *cg = calloc(1, sizeof *cg);
  if (!cg || !(cg->hierarchies = calloc(layout->n_mounts, sizeof *cg->hierarchies)))
    return err_sys(e, "cgroup: resolve");
  cg->mode = layout->mode;
  for (size_t i = 0; i < layout->n_mounts; i++) {
    const struct cgroup_mount *m = &layout->mounts[i];
    struct cgroup_hierarchy *h = &cg->hierarchies[cg->n_hierarchies++];
    _cleanup_free_ char *own = NULL, *in_tree = NULL;
    if (relative && cgroup_own_path(proc_cgroup, m, &own, e) < 0)
      return -1;
    /* In a v2 tree our own group holds a process (us), and a group with
     * processes cannot enable controllers for its children: under it the
     * container would get no memory.max, pids.max... As runc does on v2,
     * a relative path starts from our group's parent ("" is the root). */
    char *last = relative && m->v2 ? strrchr(own, '/') : NULL;
    if (last)
      *last = '\0';
    if (asprintf(&in_tree, "%s%s%s", relative ? own : "", relative ? "/" : "", path) < 0)
      return err_sys(e, "cgroup: resolve");
    h->v2 = m->v2;
    h->name = strdup(m->controllers);
    h->mount = strdup(m->mount_point);
    h->options = mount_options(m);
    h->dir = path_join(m->mount_point, in_tree);
    if (!h->name || !h->mount || !h->options || !h->dir)
      return err_sys(e, "cgroup: resolve");
    /* For a relative path the group may sit at a different place in each
     * hierarchy; the v2 tree (last) names it when there is one. */
    if (!cg->path || m->v2) {
      free(cg->path);
      cg->path = steal_ptr(&in_tree);
    }
  }
  if (!cg->path)
    return err_set(e, ENOENT, "cgroup: no cgroup hierarchy is mounted");
  *out = steal_ptr(&cg);
  return 0;
}

int cgroup_resolve(const char *cgroups_path, const char *id, struct cgroup **out, err_t *e) {
  const struct cgroup_layout *layout = cgroup_layout_get(e);
  if (!layout)
    return -1;
  return cgroup_resolve_in(layout, NULL, cgroups_path, id, out, e);
}

json_t *cgroup_to_json(const struct cgroup *cg) {
  json_t *list = json_array();
  for (size_t i = 0; list && i < cg->n_hierarchies; i++) {
    const struct cgroup_hierarchy *h = &cg->hierarchies[i];
    if (json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:s, s:b}", "name", h->name,
                                              "mount", h->mount, "dir", h->dir, "options",
                                              h->options, "v2", h->v2)) < 0) {
      json_decref(list);
      return NULL;
    }
  }
  if (!list)
    return NULL;
  return json_pack("{s:s, s:s, s:o}", "mode", cgroup_mode_name(cg->mode), "path", cg->path,
                   "hierarchies", list);
}

static int string_member(json_t *obj, const char *key, const char *where, char **out, err_t *e) {
  const char *s;
  int r = json_opt_str(obj, key, where, &s, e);
  if (r < 0)
    return -1;
  if (r == 0)
    return err_set(e, EINVAL, "%s.%s: missing", where, key);
  *out = strdup(s);
  return *out ? 0 : err_sys(e, "%s.%s", where, key);
}

static int hierarchy_from_json(json_t *j, const char *where, struct cgroup_hierarchy *h,
                               err_t *e) {
  if (!json_is_object(j))
    return err_set(e, EINVAL, "%s: expected an object, got %s", where, json_type_name(j));
  if (string_member(j, "name", where, &h->name, e) < 0 ||
      string_member(j, "mount", where, &h->mount, e) < 0 ||
      string_member(j, "dir", where, &h->dir, e) < 0 ||
      string_member(j, "options", where, &h->options, e) < 0 ||
      json_opt_bool(j, "v2", where, &h->v2, e) < 0)
    return -1;
  size_t ml = strlen(h->mount);
  if (h->mount[0] != '/' || strncmp(h->dir, h->mount, ml) || h->dir[ml] != '/' ||
      strstr(h->dir, "/../"))
    return err_set(e, EINVAL, "%s.dir: %s is not a group inside %s", where, h->dir, h->mount);
  return 0;
}

int cgroup_from_json(json_t *j, struct cgroup **out, err_t *e) {
  const char *where = "cgroup";
  if (!json_is_object(j))
    return err_set(e, EINVAL, "%s: expected an object, got %s", where, json_type_name(j));
  _cleanup_cgroup_ struct cgroup *cg = calloc(1, sizeof *cg);
  if (!cg)
    return err_sys(e, "%s", where);
  const char *mode = NULL;
  json_t *list = NULL;
  if (json_opt_str(j, "mode", where, &mode, e) < 0 || string_member(j, "path", where, &cg->path, e) < 0 ||
      json_opt_arr(j, "hierarchies", where, &list, e) < 0)
    return -1;
  if (!mode || !list)
    return err_set(e, EINVAL, "%s: missing %s", where, mode ? "hierarchies" : "mode");
  if (!strcmp(mode, "v1"))
    cg->mode = CGROUP_MODE_V1;
  else if (!strcmp(mode, "v2"))
    cg->mode = CGROUP_MODE_V2;
  else if (!strcmp(mode, "hybrid"))
    cg->mode = CGROUP_MODE_HYBRID;
  else
    return err_set(e, EINVAL, "%s.mode: unknown mode \"%s\"", where, mode);
  size_t n = json_array_size(list);
  if (n == 0)
    return err_set(e, EINVAL, "%s.hierarchies: empty", where);
  if (!(cg->hierarchies = calloc(n, sizeof *cg->hierarchies)))
    return err_sys(e, "%s", where);
  for (size_t i = 0; i < n; i++) {
    char at[64];
    snprintf(at, sizeof at, "%s.hierarchies[%zu]", where, i);
    cg->n_hierarchies++;
    if (hierarchy_from_json(json_array_get(list, i), at, &cg->hierarchies[i], e) < 0)
      return -1;
  }
  *out = steal_ptr(&cg);
  return 0;
}
