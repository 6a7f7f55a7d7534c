#include "oci/mount_options.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "util/cleanup.h"

static const struct {
  const char *name;
  bool clear; /* the word clears the flag ("rw", "suid") */
  unsigned long flag;
} flag_words[] = {
    {"ro", false, MS_RDONLY},          {"rw", true, MS_RDONLY},
    {"nosuid", false, MS_NOSUID},      {"suid", true, MS_NOSUID},
    {"nodev", false, MS_NODEV},        {"dev", true, MS_NODEV},
    {"noexec", false, MS_NOEXEC},      {"exec", true, MS_NOEXEC},
    {"sync", false, MS_SYNCHRONOUS},   {"async", true, MS_SYNCHRONOUS},
    {"dirsync", false, MS_DIRSYNC},    {"remount", false, MS_REMOUNT},
    {"mand", false, MS_MANDLOCK},      {"nomand", true, MS_MANDLOCK},
    {"noatime", false, MS_NOATIME},    {"atime", true, MS_NOATIME},
    {"nodiratime", false, MS_NODIRATIME}, {"diratime", true, MS_NODIRATIME},
    {"relatime", false, MS_RELATIME},  {"norelatime", true, MS_RELATIME},
    {"strictatime", false, MS_STRICTATIME}, {"nostrictatime", true, MS_STRICTATIME},
    {"lazytime", false, MS_LAZYTIME},  {"nolazytime", true, MS_LAZYTIME},
    {"silent", false, MS_SILENT},      {"loud", true, MS_SILENT},
    {"iversion", false, MS_I_VERSION}, {"noiversion", true, MS_I_VERSION},
    {"nosymfollow", false, MS_NOSYMFOLLOW}, {"symfollow", true, MS_NOSYMFOLLOW},
};

/* runtime-spec 1.1 recursive attributes, applied with mount_setattr(AT_RECURSIVE). */
static const struct {
  const char *name;
  bool clear;
  unsigned attr;
} recursive_words[] = {
    {"rro", false, MOUNT_ATTR_RDONLY},         {"rrw", true, MOUNT_ATTR_RDONLY},
    {"rnosuid", false, MOUNT_ATTR_NOSUID},     {"rsuid", true, MOUNT_ATTR_NOSUID},
    {"rnodev", false, MOUNT_ATTR_NODEV},       {"rdev", true, MOUNT_ATTR_NODEV},
    {"rnoexec", false, MOUNT_ATTR_NOEXEC},     {"rexec", true, MOUNT_ATTR_NOEXEC},
    {"rnodiratime", false, MOUNT_ATTR_NODIRATIME}, {"rdiratime", true, MOUNT_ATTR_NODIRATIME},
    {"rnoatime", false, MOUNT_ATTR_NOATIME},   {"ratime", true, MOUNT_ATTR_NOATIME},
    {"rstrictatime", false, MOUNT_ATTR_STRICTATIME},
    {"rnosymfollow", false, MOUNT_ATTR_NOSYMFOLLOW}, {"rsymfollow", true, MOUNT_ATTR_NOSYMFOLLOW},
};

static bool decode_recursive(const char *w, struct oci_mount *m) {
  for (size_t i = 0; i < sizeof recursive_words / sizeof recursive_words[0]; i++) {
    if (strcmp(w, recursive_words[i].name))
      continue;
    if (recursive_words[i].clear) {
      m->rec_attr_clear |= recursive_words[i].attr;
      m->rec_attr_set &= ~recursive_words[i].attr;
    } else {
      m->rec_attr_set |= recursive_words[i].attr;
      m->rec_attr_clear &= ~recursive_words[i].attr;
    }
    return true;
  }
  return false;
}

static const struct {
  const char *name;
  unsigned long flags;
} propagation_words[] = {
    {"private", MS_PRIVATE},       {"rprivate", MS_PRIVATE | MS_REC},
    {"shared", MS_SHARED},         {"rshared", MS_SHARED | MS_REC},
    {"slave", MS_SLAVE},           {"rslave", MS_SLAVE | MS_REC},
    {"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC},
};

unsigned long mount_propagation_from_name(const char *name) {
  for (size_t i = 0; i < sizeof propagation_words / sizeof propagation_words[0]; i++)
    if (!strcmp(name, propagation_words[i].name))
      return propagation_words[i].flags;
  return 0;
}

/* Options that only make sense with features capsule does not have. */
static bool refused_option(const char *w) {
  return !strcmp(w, "idmap") || !strcmp(w, "ridmap");
}

int mount_options_decode(char **options, struct oci_mount *m, err_t *e) {
  size_t data_len = 0;
  _cleanup_free_ char *data = NULL;
  for (char **o = options; o && *o; o++) {
    const char *w = *o;
    if (!strcmp(w, "bind") || !strcmp(w, "rbind")) {
      m->bind = true;
      m->recursive_bind |= w[0] == 'r';
      continue;
    }
    if (!strcmp(w, "tmpcopyup")) {
      m->tmpcopyup = true;
      continue;
    }
    if (decode_recursive(w, m))
      continue;
    unsigned long prop = mount_propagation_from_name(w);
    if (prop) {
      m->propagation = prop;
      continue;
    }
    if (refused_option(w))
      return err_set(e, ENOTSUP, "mount %s: option \"%s\" (id-mapped mounts) is not supported",
                     m->destination, w);
    bool matched = false;
    for (size_t i = 0; i < sizeof flag_words / sizeof flag_words[0]; i++) {
      if (strcmp(w, flag_words[i].name))
        continue;
      if (flag_words[i].clear) {
        m->flags &= ~flag_words[i].flag;
        m->clear_flags |= flag_words[i].flag;
      } else {
        m->flags |= flag_words[i].flag;
        m->clear_flags &= ~flag_words[i].flag;
      }
      matched = true;
      break;
    }
    if (matched)
      continue;
    /* Anything else is filesystem data ("mode=755", "size=65536k", "newinstance"). */
    size_t wl = strlen(w);
    char *grown = realloc(data, data_len + wl + 2);
    if (!grown)
      return err_sys(e, "mount %s: options", m->destination);
    data = grown;
    if (data_len)
      data[data_len++] = ',';
    memcpy(data + data_len, w, wl + 1);
    data_len += wl;
  }
  m->data = steal_ptr(&data);
  return 0;
}
