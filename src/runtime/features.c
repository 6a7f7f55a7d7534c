/* The runtime-spec "features" document (features.md): what this runtime
 * understands, for callers that adapt to it. */
#include "oci/defaults.h"
#include "oci/names.h"
#include "oci/spec.h"
#include "runtime/runtime.h"
#include "runtime/seccomp.h"
#include "util/json.h"
#include "util/version.h"

json_t *runtime_features(void) {
  static const char *const mount_options[] = {
      "async", "atime", "bind", "defaults", "dev", "diratime", "dirsync", "exec", "iversion",
      "lazytime", "loud", "mand", "noatime", "nodev", "nodiratime", "noexec", "noiversion",
      "nolazytime", "nomand", "norelatime", "nostrictatime", "nosuid", "nosymfollow", "private",
      "ratime", "rbind", "rdev", "rdiratime", "relatime", "remount", "rexec", "rnoatime",
      "rnodev", "rnodiratime", "rnoexec", "rnosuid", "rnosymfollow", "ro", "rprivate", "rro",
      "rrw", "rshared", "rslave", "rstrictatime", "rsuid", "rsymfollow", "runbindable", "rw",
      "shared", "silent", "slave", "strictatime", "suid", "symfollow", "sync", "tmpcopyup",
      "unbindable", NULL};
  static const char *const namespaces[] = {"cgroup", "ipc", "mount", "network", "pid",
                                           "time",   "user", "uts", NULL};
  json_t *hooks = json_array(), *caps = json_array();
  bool failed = false;
  for (int k = 0; k < HOOK_KINDS; k++)
    json_push(hooks, json_string(oci_hook_name(k)), &failed);
  for (int c = 0; c <= cap_known_last(); c++)
    json_push(caps, json_string(cap_name(c)), &failed);
  if (failed) {
    json_decref(hooks);
    json_decref(caps);
    return NULL;
  }
  json_t *seccomp = json_pack("{s:b, s:o, s:o, s:o, s:o, s:o}", "enabled", 1, "actions",
                              json_string_array(seccomp_action_names), "operators",
                              json_string_array(seccomp_op_names), "archs", json_string_array(seccomp_arch_names),
                              "knownFlags", json_string_array(seccomp_flag_names), "supportedFlags",
                              json_string_array(seccomp_flag_names));
  json_t *lx = json_pack(
      "{s:o, s:o, s:{s:b, s:b, s:b, s:b, s:b}, s:o, s:{s:b}, s:{s:b}, s:{s:b}, "
      "s:{s:{s:b}}}",
      "namespaces", json_string_array(namespaces), "capabilities", caps, "cgroup", "v1", 1, "v2", 1,
      "systemd", 0, "systemdUser", 0, "rdma", 0, "seccomp", seccomp, "apparmor", "enabled", 0,
      "selinux", "enabled", 0, "intelRdt", "enabled", 0, "mountExtensions", "idmap", "enabled",
      0);
  return json_pack("{s:s, s:s, s:o, s:o, s:o, s:{s:s}}", "ociVersionMin", "1.0.0",
                   "ociVersionMax", OCI_VERSION_MAX, "hooks", hooks, "mountOptions",
                   json_string_array(mount_options), "linux", lx, "annotations",
                   "org.capsule.version", CAPSULE_VERSION);
}
