#include "oci/defaults.h"

#include <unistd.h>

#include "oci/spec.h"
#include "util/json.h"

static const char *const masked_paths[] = {
    "/proc/acpi",        "/proc/asound",      "/proc/kcore",       "/proc/keys",
    "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
    "/sys/firmware",     "/proc/scsi",        NULL};
static const char *const readonly_paths[] = {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
                                             "/proc/sysrq-trigger", NULL};

static json_t *mount_entry(const char *dest, const char *type, const char *source,
                           const char *const *options) {
  return json_pack("{s:s, s:s, s:s, s:o}", "destination", dest, "type", type, "source", source,
                   "options", json_string_array(options));
}

static json_t *default_mounts(bool rootless) {
  static const char *const proc_o[] = {"nosuid", "noexec", "nodev", NULL};
  static const char *const dev_o[] = {"nosuid", "strictatime", "mode=755", "size=65536k", NULL};
  static const char *const pts_o[] = {"nosuid", "noexec", "newinstance", "ptmxmode=0666",
                                      "mode=0620", "gid=5", NULL};
  static const char *const pts_rootless_o[] = {"nosuid", "noexec", "newinstance",
                                               "ptmxmode=0666", "mode=0620", NULL};
  static const char *const shm_o[] = {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k",
                                      NULL};
  static const char *const mq_o[] = {"nosuid", "noexec", "nodev", NULL};
  static const char *const sys_o[] = {"nosuid", "noexec", "nodev", "ro", NULL};
  static const char *const sys_rootless_o[] = {"rbind", "nosuid", "noexec", "nodev", "ro", NULL};
  static const char *const cg_o[] = {"nosuid", "noexec", "nodev", "relatime", "ro", NULL};
  json_t *m = json_array();
  bool failed = false;
  json_push(m, mount_entry("/proc", "proc", "proc", proc_o), &failed);
  json_push(m, mount_entry("/dev", "tmpfs", "tmpfs", dev_o), &failed);
  json_push(m, mount_entry("/dev/pts", "devpts", "devpts", rootless ? pts_rootless_o : pts_o),
            &failed);
  json_push(m, mount_entry("/dev/shm", "tmpfs", "shm", shm_o), &failed);
  json_push(m, mount_entry("/dev/mqueue", "mqueue", "mqueue", mq_o), &failed);
  if (rootless) {
    json_push(m, mount_entry("/sys", "none", "/sys", sys_rootless_o), &failed);
  } else {
    json_push(m, mount_entry("/sys", "sysfs", "sysfs", sys_o), &failed);
    json_push(m, mount_entry("/sys/fs/cgroup", "cgroup", "cgroup", cg_o), &failed);
  }
  return json_done(m, failed);
}

static json_t *id_mapping(unsigned id) {
  return json_pack("[{s:i, s:i, s:i}]", "containerID", 0, "hostID", (int)id, "size", 1);
}

json_t *oci_default_spec(bool rootless) {
  static const char *const caps[] = {"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE", NULL};
  static const char *const env[] = {
      "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm", NULL};
  static const char *const ns[] = {"pid", "network", "ipc", "uts", "mount", "cgroup", NULL};
  json_t *process = json_pack(
      "{s:b, s:{s:i, s:i}, s:[s], s:o, s:s, s:{s:o, s:o, s:o}, s:[{s:s, s:i, s:i}], s:b}",
      "terminal", 1, "user", "uid", 0, "gid", 0, "args", "sh", "env", json_string_array(env), "cwd", "/",
      "capabilities", "bounding", json_string_array(caps), "effective", json_string_array(caps), "permitted",
      json_string_array(caps), "rlimits", "type", "RLIMIT_NOFILE", "hard", 1024, "soft", 1024,
      "noNewPrivileges", 1);
  json_t *namespaces = json_array();
  bool failed = false;
  for (const char *const *n = ns; *n; n++)
    json_push(namespaces, json_pack("{s:s}", "type", *n), &failed);
  if (rootless)
    json_push(namespaces, json_pack("{s:s}", "type", "user"), &failed);
  json_t *lx = json_pack("{s:o, s:o, s:o}", "namespaces", namespaces, "maskedPaths",
                         json_string_array(masked_paths), "readonlyPaths", json_string_array(readonly_paths));
  if (rootless) {
    json_set(lx, "uidMappings", id_mapping((unsigned)getuid()), &failed);
    json_set(lx, "gidMappings", id_mapping((unsigned)getgid()), &failed);
  } else {
    json_set(lx, "resources",
             json_pack("{s:[{s:b, s:s}]}", "devices", "allow", 0, "access", "rwm"), &failed);
  }
  if (failed) {
    json_decref(process);
    json_decref(lx);
    return NULL;
  }
  return json_pack("{s:s, s:o, s:{s:s, s:b}, s:s, s:o, s:o}", "ociVersion", OCI_VERSION_MAX,
                   "process", process, "root", "path", "rootfs", "readonly", 1, "hostname",
                   "capsule", "mounts", default_mounts(rootless), "linux", lx);
}
