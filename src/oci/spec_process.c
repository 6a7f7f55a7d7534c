/* config.json "process": what runs in the container, as whom, with what. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oci/names.h"
#include "oci/spec.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/log.h"

static int parse_user(json_t *proc, const char *where, struct oci_user *u, err_t *e) {
  char uw[64];
  snprintf(uw, sizeof uw, "%s.user", where);
  json_t *user = NULL;
  if (json_opt_obj(proc, "user", where, &user, e) < 0)
    return -1;
  if (!user)
    return err_set(e, EINVAL, "%s: required", uw);
  uint32_t uid, gid, umask_v;
  int r1 = json_opt_u32(user, "uid", uw, &uid, e);
  if (r1 < 0)
    return -1;
  int r2 = json_opt_u32(user, "gid", uw, &gid, e);
  if (r2 < 0)
    return -1;
  if (!r1 || !r2)
    return err_set(e, EINVAL, "%s.%s: required", uw, r1 ? "gid" : "uid");
  u->uid = uid;
  u->gid = gid;
  int r = json_opt_u32(user, "umask", uw, &umask_v, e);
  if (r < 0)
    return -1;
  if (r) {
    if (umask_v > 0777)
      return err_set(e, EINVAL, "%s.umask: %u is not a valid mode mask", uw, umask_v);
    u->has_umask = true;
    u->umask = umask_v;
  }
  if (json_object_get(user, "username") && !json_is_null(json_object_get(user, "username")))
    log_debug("%s.username is a Windows field; ignored", uw);
  json_t *gids = NULL;
  if (json_opt_arr(user, "additionalGids", uw, &gids, e) < 0)
    return -1;
  if (gids) {
    size_t n = json_array_size(gids);
    u->additional_gids = calloc(n ? n : 1, sizeof *u->additional_gids);
    if (!u->additional_gids)
      return err_sys(e, "%s.additionalGids", uw);
    for (size_t i = 0; i < n; i++) {
      json_t *g = json_array_get(gids, i);
      if (!json_is_integer(g) || json_integer_value(g) < 0 || json_integer_value(g) > UINT32_MAX)
        return err_set(e, EINVAL, "%s.additionalGids[%zu]: expected a group id, got %s", uw, i,
                       json_type_name(g));
      u->additional_gids[i] = (gid_t)json_integer_value(g);
    }
    u->n_additional_gids = n;
  }
  return 0;
}

static int parse_cap_set(json_t *caps, const char *name, const char *where, uint64_t *out,
                         err_t *e) {
  _cleanup_strv_ char **v = NULL;
  int r = json_opt_strv(caps, name, where, &v, e);
  if (r <= 0)
    return r;
  for (char **c = v; *c; c++) {
    int n = cap_from_name(*c);
    if (n < 0)
      return err_set(e, EINVAL, "%s.%s: unknown capability \"%s\"", where, name, *c);
    /* A capability this kernel does not know cannot be granted; runc and
     * crun skip it with a warning, so configs written for newer kernels run. */
    if (n > cap_kernel_last()) {
      log_warn("%s.%s: %s is not supported by this kernel; skipped", where, name, *c);
      continue;
    }
    *out |= 1ULL << n;
  }
  return 1;
}

static int parse_caps(json_t *proc, const char *where, struct oci_caps *caps, err_t *e) {
  char cw[64];
  snprintf(cw, sizeof cw, "%s.capabilities", where);
  json_t *obj = NULL;
  if (json_opt_obj(proc, "capabilities", where, &obj, e) < 0)
    return -1;
  if (!obj)
    return 0;
  caps->present = true;
  if (parse_cap_set(obj, "bounding", cw, &caps->bounding, e) < 0 ||
      parse_cap_set(obj, "effective", cw, &caps->effective, e) < 0 ||
      parse_cap_set(obj, "inheritable", cw, &caps->inheritable, e) < 0 ||
      parse_cap_set(obj, "permitted", cw, &caps->permitted, e) < 0 ||
      parse_cap_set(obj, "ambient", cw, &caps->ambient, e) < 0)
    return -1;
  /* The kernel raises an ambient capability only if it is also permitted
   * and inheritable; configs often list ambient ones without that (`runc
   * spec` writes such a config) and runc and crun start them anyway, so the
   * others are dropped here. Quietly, as runc does (a debug message only):
   * runc-style tests compare stderr. */
  uint64_t dropped = caps->ambient & ~(caps->permitted & caps->inheritable);
  if (dropped) {
    char names[512] = "";
    size_t at = 0;
    for (int c = 0; c < 64; c++)
      if (dropped & (1ULL << c))
        at += (size_t)snprintf(names + at, at < sizeof names ? sizeof names - at : 0, "%s%s",
                               at ? ", " : "", cap_name(c));
    log_debug("%s.ambient: %s skipped: an ambient capability must also be permitted and "
              "inheritable", cw, names);
    caps->ambient &= ~dropped;
  }
  return 0;
}

static int parse_rlimits(json_t *proc, const char *where, struct oci_process *p, err_t *e) {
  json_t *arr = NULL;
  if (json_opt_arr(proc, "rlimits", where, &arr, e) < 0)
    return -1;
  if (!arr)
    return 0;
  size_t n = json_array_size(arr);
  p->rlimits = calloc(n ? n : 1, sizeof *p->rlimits);
  if (!p->rlimits)
    return err_sys(e, "%s.rlimits", where);
  for (size_t i = 0; i < n; i++) {
    char rw[64];
    snprintf(rw, sizeof rw, "%s.rlimits[%zu]", where, i);
    json_t *rl = json_array_get(arr, i);
    if (!json_is_object(rl))
      return err_set(e, EINVAL, "%s: expected an object, got %s", rw, json_type_name(rl));
    const char *type = NULL;
    if (json_opt_str(rl, "type", rw, &type, e) < 0)
      return -1;
    if (!type)
      return err_set(e, EINVAL, "%s.type: required", rw);
    int res = rlimit_from_name(type);
    if (res < 0)
      return err_set(e, EINVAL, "%s.type: unknown rlimit \"%s\"", rw, type);
    for (size_t j = 0; j < i; j++)
      if (p->rlimits[j].resource == res)
        return err_set(e, EINVAL, "%s.type: %s given twice", rw, type);
    int r1 = json_opt_u64(rl, "soft", rw, &p->rlimits[i].soft, e);
    if (r1 < 0)
      return -1;
    int r2 = json_opt_u64(rl, "hard", rw, &p->rlimits[i].hard, e);
    if (r2 < 0)
      return -1;
    if (!r1 || !r2)
      return err_set(e, EINVAL, "%s.%s: required", rw, r1 ? "hard" : "soft");
    if (p->rlimits[i].soft > p->rlimits[i].hard)
      return err_set(e, EINVAL, "%s: soft limit %llu exceeds hard limit %llu", rw,
                     (unsigned long long)p->rlimits[i].soft,
                     (unsigned long long)p->rlimits[i].hard);
    p->rlimits[i].resource = res;
    p->n_rlimits = i + 1;
  }
  return 0;
}

static int parse_console(json_t *proc, const char *where, struct oci_process *p, err_t *e) {
  json_t *size = NULL;
  if (json_opt_obj(proc, "consoleSize", where, &size, e) < 0)
    return -1;
  if (!size)
    return 0;
  char sw[64];
  snprintf(sw, sizeof sw, "%s.consoleSize", where);
  uint32_t h = 0, w = 0;
  if (json_opt_u32(size, "height", sw, &h, e) < 0 || json_opt_u32(size, "width", sw, &w, e) < 0)
    return -1;
  if (h > 65535 || w > 65535)
    return err_set(e, EINVAL, "%s: %ux%u is too large", sw, w, h);
  p->has_console_size = true;
  p->console_height = (unsigned short)h;
  p->console_width = (unsigned short)w;
  return 0;
}

int oci_process_parse(json_t *proc, const char *where, struct oci_process *p, err_t *e) {
  memset(p, 0, sizeof *p);
  if (json_opt_bool(proc, "terminal", where, &p->terminal, e) < 0 ||
      parse_console(proc, where, p, e) < 0 || parse_user(proc, where, &p->user, e) < 0 ||
      json_opt_strv(proc, "args", where, &p->args, e) < 0 ||
      json_opt_strv(proc, "env", where, &p->env, e) < 0 ||
      json_opt_str(proc, "cwd", where, &p->cwd, e) < 0 || parse_caps(proc, where, &p->caps, e) < 0 ||
      parse_rlimits(proc, where, p, e) < 0 ||
      json_opt_bool(proc, "noNewPrivileges", where, &p->no_new_privileges, e) < 0 ||
      json_opt_str(proc, "apparmorProfile", where, &p->apparmor_profile, e) < 0 ||
      json_opt_str(proc, "selinuxLabel", where, &p->selinux_label, e) < 0)
    goto fail;
  if (!p->args || !p->args[0])
    {
      err_set(e, EINVAL, "%s.args: required, at least one entry", where);
      goto fail;
    }
  if (!p->cwd) {
    err_set(e, EINVAL, "%s.cwd: required", where);
    goto fail;
  }
  if (p->cwd[0] != '/') {
    err_set(e, EINVAL, "%s.cwd: \"%s\" is not an absolute path", where, p->cwd);
    goto fail;
  }
  if (!p->env && !(p->env = calloc(1, sizeof *p->env))) {
    err_sys(e, "%s.env", where);
    goto fail;
  }
  int64_t oom = 0;
  int r = json_opt_i64(proc, "oomScoreAdj", where, &oom, e);
  if (r < 0)
    goto fail;
  if (r) {
    if (oom < -1000 || oom > 1000) {
      err_set(e, EINVAL, "%s.oomScoreAdj: %lld is outside -1000..1000", where, (long long)oom);
      goto fail;
    }
    p->has_oom_score_adj = true;
    p->oom_score_adj = (int)oom;
  }
  return 0;
fail:
  oci_process_free(p);
  return -1;
}

void oci_process_free(struct oci_process *p) {
  strv_free(p->args);
  strv_free(p->env);
  free(p->user.additional_gids);
  free(p->rlimits);
  memset(p, 0, sizeof *p);
}
