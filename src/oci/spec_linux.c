/* config.json "linux": namespaces, id mappings, devices, cgroups, sysctl,
 * seccomp (kept as JSON until runtime/seccomp.c compiles it), mount
 * propagation, masked and read-only paths, personality, time offsets. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/stat.h>

#include "oci/mount_options.h"
#include "oci/spec_internal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/log.h"

static const char *const ns_names[NS_KINDS] = {
    [NS_PID] = "pid",   [NS_NET] = "network", [NS_MNT] = "mount",   [NS_IPC] = "ipc",
    [NS_UTS] = "uts",   [NS_USER] = "user",   [NS_CGROUP] = "cgroup", [NS_TIME] = "time",
};

const char *oci_ns_name(enum oci_ns_kind k) {
  return ns_names[k];
}

static int parse_namespaces(json_t *linux_obj, struct oci_spec *s, err_t *e) {
  json_t *arr = NULL;
  if (json_opt_arr(linux_obj, "namespaces", "linux", &arr, e) < 0)
    return -1;
  for (size_t i = 0; arr && i < json_array_size(arr); i++) {
    char where[48];
    snprintf(where, sizeof where, "linux.namespaces[%zu]", i);
    json_t *ns = json_array_get(arr, i);
    if (!json_is_object(ns))
      return err_set(e, EINVAL, "%s: expected an object, got %s", where, json_type_name(ns));
    const char *type = NULL, *path = NULL;
    if (json_opt_str(ns, "type", where, &type, e) < 0 ||
        json_opt_str(ns, "path", where, &path, e) < 0)
      return -1;
    if (!type)
      return err_set(e, EINVAL, "%s.type: required", where);
    int k = 0;
    while (k < NS_KINDS && strcmp(type, ns_names[k]))
      k++;
    if (k == NS_KINDS)
      return err_set(e, EINVAL, "%s.type: unknown namespace type \"%s\"", where, type);
    if (s->namespaces[k].present)
      return err_set(e, EINVAL, "%s: namespace \"%s\" given twice", where, type);
    if (path && path[0] != '/')
      return err_set(e, EINVAL, "%s.path: \"%s\" is not an absolute path", where, path);
    s->namespaces[k].present = true;
    s->namespaces[k].path = path && *path ? path : NULL;
  }
  return 0;
}

static int parse_mappings(json_t *linux_obj, const char *key, struct oci_id_mapping **out,
                          size_t *n_out, err_t *e) {
  json_t *arr = NULL;
  if (json_opt_arr(linux_obj, key, "linux", &arr, e) < 0)
    return -1;
  if (!arr)
    return 0;
  size_t n = json_array_size(arr);
  *out = calloc(n ? n : 1, sizeof **out);
  if (!*out)
    return err_sys(e, "linux.%s", key);
  for (size_t i = 0; i < n; i++) {
    char where[48];
    snprintf(where, sizeof where, "linux.%s[%zu]", key, i);
    json_t *m = json_array_get(arr, i);
    if (!json_is_object(m))
      return err_set(e, EINVAL, "%s: expected an object, got %s", where, json_type_name(m));
    struct oci_id_mapping *map = &(*out)[i];
    int a = json_opt_u32(m, "containerID", where, &map->container_id, e);
    int b = a < 0 ? -1 : json_opt_u32(m, "hostID", where, &map->host_id, e);
    int c = b < 0 ? -1 : json_opt_u32(m, "size", where, &map->size, e);
    if (a < 0 || b < 0 || c < 0)
      return -1;
    if (!a || !b || !c)
      return err_set(e, EINVAL, "%s: containerID, hostID and size are required", where);
    if (map->size == 0)
      return err_set(e, EINVAL, "%s.size: must be greater than zero", where);
  }
  *n_out = n;
  return 0;
}

/* fileMode may carry st_mode's file type bits (podman writes 020666 for a
 * char device, as runc accepts): they must then name the device's type. */
static int check_file_mode_type(uint32_t mode, char type, const char *where, err_t *e) {
  if (mode & ~(uint32_t)(S_IFMT | 07777))
    return err_set(e, EINVAL, "%s.fileMode: %#o is not a file mode", where, mode);
  mode_t fmt = mode & S_IFMT;
  mode_t want = type == 'b' ? S_IFBLK : type == 'p' ? S_IFIFO : S_IFCHR;
  if (fmt && fmt != want)
    return err_set(e, EINVAL, "%s.fileMode: %#o has the file type bits of a %s, but type is \"%c\"",
                   where, mode, file_type_name(fmt), type);
  return 0;
}

static int parse_device(json_t *d, const char *where, struct oci_device *out, err_t *e) {
  if (!json_is_object(d))
    return err_set(e, EINVAL, "%s: expected an object, got %s", where, json_type_name(d));
  const char *type = NULL;
  if (json_opt_str(d, "path", where, &out->path, e) < 0 ||
      json_opt_str(d, "type", where, &type, e) < 0)
    return -1;
  if (!out->path || out->path[0] != '/')
    return err_set(e, EINVAL, "%s.path: required, an absolute path", where);
  if (!type || strlen(type) != 1 || !strchr("cbup", type[0]))
    return err_set(e, EINVAL, "%s.type: must be one of c, b, u, p", where);
  out->type = type[0];
  int a = json_opt_i64(d, "major", where, &out->major, e);
  int b = a < 0 ? -1 : json_opt_i64(d, "minor", where, &out->minor, e);
  if (a < 0 || b < 0)
    return -1;
  if (out->type != 'p' && (!a || !b))
    return err_set(e, EINVAL, "%s: major and minor are required for type %c", where, out->type);
  if (out->major < 0 || out->minor < 0 || out->major > 0xfff || out->minor > 0xfffff)
    return err_set(e, EINVAL, "%s: device number %lld:%lld is out of range", where,
                   (long long)out->major, (long long)out->minor);
  uint32_t v;
  int r;
  if ((r = json_opt_u32(d, "fileMode", where, &v, e)) < 0)
    return -1;
  if (r) {
    if (check_file_mode_type(v, out->type, where, e) < 0)
      return -1;
    out->has_mode = true;
    out->mode = v & 07777;
  }
  if ((r = json_opt_u32(d, "uid", where, &v, e)) < 0)
    return -1;
  if (r) {
    out->has_uid = true;
    out->uid = v;
  }
  if ((r = json_opt_u32(d, "gid", where, &v, e)) < 0)
    return -1;
  if (r) {
    out->has_gid = true;
    out->gid = v;
  }
  return 0;
}

static int parse_devices(json_t *linux_obj, struct oci_spec *s, err_t *e) {
  json_t *arr = NULL;
  if (json_opt_arr(linux_obj, "devices", "linux", &arr, e) < 0)
    return -1;
  if (!arr)
    return 0;
  size_t n = json_array_size(arr);
  s->devices = calloc(n ? n : 1, sizeof *s->devices);
  if (!s->devices)
    return err_sys(e, "linux.devices");
  for (size_t i = 0; i < n; i++) {
    char where[48];
    snprintf(where, sizeof where, "linux.devices[%zu]", i);
    if (parse_device(json_array_get(arr, i), where, &s->devices[i], e) < 0)
      return -1;
  }
  s->n_devices = n;
  return 0;
}

static int parse_sysctl(json_t *linux_obj, struct oci_spec *s, err_t *e) {
  json_t *obj = NULL;
  if (json_opt_obj(linux_obj, "sysctl", "linux", &obj, e) < 0)
    return -1;
  if (!obj)
    return 0;
  s->sysctls = calloc(json_object_size(obj) + 1, sizeof *s->sysctls);
  if (!s->sysctls)
    return err_sys(e, "linux.sysctl");
  const char *k;
  json_t *v;
  json_object_foreach(obj, k, v) {
    if (!json_is_string(v))
      return err_set(e, EINVAL, "linux.sysctl.%s: expected a string, got %s", k, json_type_name(v));
    /* The key becomes a path under /proc/sys: no way up or out. */
    if (!*k || strstr(k, "..") || k[0] == '/' || k[0] == '.')
      return err_set(e, EINVAL, "linux.sysctl: invalid key \"%s\"", k);
    s->sysctls[s->n_sysctls].key = k;
    s->sysctls[s->n_sysctls].value = json_string_value(v);
    s->n_sysctls++;
  }
  return 0;
}

static int parse_personality(json_t *linux_obj, struct oci_spec *s, err_t *e) {
  json_t *obj = NULL;
  if (json_opt_obj(linux_obj, "personality", "linux", &obj, e) < 0)
    return -1;
  if (!obj)
    return 0;
  const char *domain = NULL;
  if (json_opt_str(obj, "domain", "linux.personality", &domain, e) < 0)
    return -1;
  if (!domain)
    return err_set(e, EINVAL, "linux.personality.domain: required");
  if (!strcmp(domain, "LINUX"))
    s->personality = PER_LINUX;
  else if (!strcmp(domain, "LINUX32"))
    s->personality = PER_LINUX32;
  else
    return err_set(e, EINVAL, "linux.personality.domain: unknown domain \"%s\"", domain);
  json_t *flags = json_object_get(obj, "flags");
  if (flags && json_array_size(flags) > 0)
    return err_set(e, ENOTSUP, "linux.personality.flags: no flags are supported");
  s->has_personality = true;
  return 0;
}

static int parse_time_offsets(json_t *linux_obj, struct oci_spec *s, err_t *e) {
  json_t *obj = NULL;
  if (json_opt_obj(linux_obj, "timeOffsets", "linux", &obj, e) < 0)
    return -1;
  if (!obj)
    return 0;
  const char *k;
  json_t *v;
  json_object_foreach(obj, k, v) {
    char where[64];
    snprintf(where, sizeof where, "linux.timeOffsets.%s", k);
    int64_t secs = 0;
    uint32_t nsecs = 0;
    if (!json_is_object(v))
      return err_set(e, EINVAL, "%s: expected an object, got %s", where, json_type_name(v));
    if (json_opt_i64(v, "secs", where, &secs, e) < 0 ||
        json_opt_u32(v, "nanosecs", where, &nsecs, e) < 0)
      return -1;
    if (nsecs >= 1000000000u)
      return err_set(e, EINVAL, "%s.nanosecs: must be below one second", where);
    if (!strcmp(k, "monotonic")) {
      s->monotonic_secs = secs;
      s->monotonic_nsecs = nsecs;
    } else if (!strcmp(k, "boottime")) {
      s->boottime_secs = secs;
      s->boottime_nsecs = nsecs;
    } else {
      return err_set(e, EINVAL, "%s: unknown clock (monotonic or boottime)", where);
    }
    s->has_time_offsets = true;
  }
  return 0;
}

/* Features this runtime does not have must not pass silently. */
static int refuse_unsupported(json_t *linux_obj, struct oci_spec *s, err_t *e) {
  if (json_object_get(linux_obj, "intelRdt"))
    return err_set(e, ENOTSUP, "linux.intelRdt: Intel RDT is not supported by capsule");
  if (json_object_get(linux_obj, "netDevices"))
    return err_set(e, ENOTSUP, "linux.netDevices: moving network devices is not supported");
  if (s->mount_label && *s->mount_label)
    log_warn("linux.mountLabel: SELinux is not supported; label \"%s\" ignored", s->mount_label);
  return 0;
}

static int check_consistency(struct oci_spec *s, err_t *e) {
  bool userns = s->namespaces[NS_USER].present;
  if ((s->n_uid_mappings || s->n_gid_mappings) && !userns)
    return err_set(e, EINVAL, "linux.uidMappings: id mappings need a user namespace");
  if (userns && !s->namespaces[NS_USER].path && (!s->n_uid_mappings || !s->n_gid_mappings))
    return err_set(e, EINVAL,
                   "linux.uidMappings/gidMappings: required when creating a user namespace");
  if (s->has_time_offsets && !s->namespaces[NS_TIME].present)
    return err_set(e, EINVAL, "linux.timeOffsets: needs a time namespace");
  if (s->has_time_offsets && s->namespaces[NS_TIME].path)
    return err_set(e, EINVAL, "linux.timeOffsets: cannot be set on a joined time namespace");
  if (s->hostname && *s->hostname && !s->namespaces[NS_UTS].present)
    return err_set(e, EINVAL, "hostname: setting it needs a uts namespace");
  if (s->domainname && *s->domainname && !s->namespaces[NS_UTS].present)
    return err_set(e, EINVAL, "domainname: setting it needs a uts namespace");
  return 0;
}

int oci_spec_parse_linux(struct oci_spec *s, err_t *e) {
  json_t *lx = NULL;
  if (json_opt_obj(s->doc, "linux", NULL, &lx, e) < 0)
    return -1;
  if (!lx)
    return check_consistency(s, e);
  const char *prop = NULL;
  json_t *resources = NULL;
  if (parse_namespaces(lx, s, e) < 0 ||
      parse_mappings(lx, "uidMappings", &s->uid_mappings, &s->n_uid_mappings, e) < 0 ||
      parse_mappings(lx, "gidMappings", &s->gid_mappings, &s->n_gid_mappings, e) < 0 ||
      parse_devices(lx, s, e) < 0 || parse_sysctl(lx, s, e) < 0 ||
      parse_personality(lx, s, e) < 0 || parse_time_offsets(lx, s, e) < 0 ||
      json_opt_str(lx, "cgroupsPath", "linux", &s->cgroups_path, e) < 0 ||
      json_opt_obj(lx, "resources", "linux", &resources, e) < 0 ||
      json_opt_obj(lx, "seccomp", "linux", &s->seccomp, e) < 0 ||
      json_opt_str(lx, "rootfsPropagation", "linux", &prop, e) < 0 ||
      json_opt_strv(lx, "maskedPaths", "linux", &s->masked_paths, e) < 0 ||
      json_opt_strv(lx, "readonlyPaths", "linux", &s->readonly_paths, e) < 0 ||
      json_opt_str(lx, "mountLabel", "linux", &s->mount_label, e) < 0)
    return -1;
  if (prop && *prop && !(s->rootfs_propagation = mount_propagation_from_name(prop)))
    return err_set(e, EINVAL, "linux.rootfsPropagation: unknown propagation \"%s\"", prop);
  if (resources) {
    if (cgroup_resources_from_json(resources, "linux.resources", &s->resources, e) < 0)
      return -1;
    s->has_resources = true;
  }
  for (char **p = s->masked_paths; p && *p; p++)
    if ((*p)[0] != '/')
      return err_set(e, EINVAL, "linux.maskedPaths: \"%s\" is not an absolute path", *p);
  for (char **p = s->readonly_paths; p && *p; p++)
    if ((*p)[0] != '/')
      return err_set(e, EINVAL, "linux.readonlyPaths: \"%s\" is not an absolute path", *p);
  if (refuse_unsupported(lx, s, e) < 0)
    return -1;
  return check_consistency(s, e);
}

void oci_spec_free_linux(struct oci_spec *s) {
  free(s->uid_mappings);
  free(s->gid_mappings);
  free(s->devices);
  free(s->sysctls);
  if (s->has_resources)
    cgroup_resources_free(&s->resources);
  strv_free(s->masked_paths);
  strv_free(s->readonly_paths);
}
