#include "runtime/sysctl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "util/fs.h"

/* The IPC namespace's knobs (ipc_sysctl.c and mq_sysctl.c in the kernel). */
static const char *const ipc_keys[] = {
    "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem", "kernel.shmall",
    "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced",
};

/* The /proc/self/ns entry of the kinds a sysctl can need. */
static const char *const proc_ns_name[NS_KINDS] = {
    [NS_NET] = "net", [NS_IPC] = "ipc", [NS_UTS] = "uts",
};

/* Whether the container has a namespace of kind `k` that is not the
 * runtime's own: a new one, or one joined by a path that is not ours
 * ("the host" here is wherever the runtime runs, as for runc). */
static int owns_namespace(const struct oci_spec *s, enum oci_ns_kind k, err_t *e) {
  if (!s->namespaces[k].present)
    return 0;
  const char *path = s->namespaces[k].path;
  if (!path)
    return 1;
  char self[32];
  snprintf(self, sizeof self, "/proc/self/ns/%s", proc_ns_name[k]);
  struct stat theirs, ours;
  if (stat(path, &theirs) < 0)
    return err_sys(e, "linux.namespaces: %s namespace %s", oci_ns_name(k), path);
  if (stat(self, &ours) < 0)
    return err_sys(e, "%s", self);
  return theirs.st_dev != ours.st_dev || theirs.st_ino != ours.st_ino;
}

/* The namespace `key` (dots or slashes) lives in; NS_KINDS: the host's. */
static enum oci_ns_kind sysctl_namespace(const char *key) {
  char k[256];
  if (strlen(key) >= sizeof k)
    return NS_KINDS;
  strcpy(k, key);
  for (char *p = k; *p; p++)
    if (*p == '/')
      *p = '.';
  if (!strncmp(k, "net.", 4))
    return NS_NET;
  if (!strncmp(k, "fs.mqueue.", 10))
    return NS_IPC;
  for (size_t i = 0; i < sizeof ipc_keys / sizeof *ipc_keys; i++)
    if (!strcmp(k, ipc_keys[i]))
      return NS_IPC;
  if (!strcmp(k, "kernel.domainname") || !strcmp(k, "kernel.hostname"))
    return NS_UTS;
  return NS_KINDS;
}

int sysctl_check(const struct oci_spec *s, err_t *e) {
  for (size_t i = 0; i < s->n_sysctls; i++) {
    const char *key = s->sysctls[i].key;
    enum oci_ns_kind k = sysctl_namespace(key);
    if (k == NS_KINDS)
      return err_set(e, EINVAL,
                     "linux.sysctl: \"%s\" is not namespaced: setting it would change the host",
                     key);
    /* Namespaced, but the OCI hostname field owns it (runc refuses it too). */
    if (k == NS_UTS && !strcmp(key + 7, "hostname"))
      return err_set(e, EINVAL,
                     "linux.sysctl: \"%s\" is refused: set the hostname field instead", key);
    int own = owns_namespace(s, k, e);
    if (own < 0)
      return err_wrap(e, "linux.sysctl: \"%s\"", key);
    if (!own)
      return err_set(e, EINVAL,
                     "linux.sysctl: \"%s\" needs the container's own %s namespace (without "
                     "one it would change the host's)",
                     key, oci_ns_name(k));
  }
  return 0;
}

int sysctl_write(const struct oci_spec *s, err_t *e) {
  for (size_t i = 0; i < s->n_sysctls; i++) {
    char path[512];
    if ((size_t)snprintf(path, sizeof path, "/proc/sys/%s", s->sysctls[i].key) >= sizeof path)
      return err_set(e, ENAMETOOLONG, "linux.sysctl.%s: name too long", s->sysctls[i].key);
    for (char *p = path + 10; *p; p++)
      if (*p == '.')
        *p = '/';
    if (write_str_at(AT_FDCWD, path, s->sysctls[i].value, e) < 0)
      return err_wrap(e, "linux.sysctl.%s", s->sysctls[i].key);
  }
  return 0;
}
