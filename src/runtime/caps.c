#include "runtime/caps.h"

#include <errno.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "oci/names.h"

int caps_drop_bounding(uint64_t bounding, err_t *e) {
  int last = cap_kernel_last();
  for (int cap = 0; cap <= last; cap++) {
    if (bounding & (1ULL << cap))
      continue;
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
      return err_sys(e, "drop %s from the bounding set", cap_name(cap) ? cap_name(cap) : "cap");
  }
  return 0;
}

int caps_set(const struct oci_caps *c, uint64_t extra, err_t *e) {
  struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
  uint64_t eff = c->effective | extra, perm = c->permitted | extra, inh = c->inheritable;
  struct __user_cap_data_struct data[2] = {
      {.effective = (uint32_t)eff, .permitted = (uint32_t)perm, .inheritable = (uint32_t)inh},
      {.effective = (uint32_t)(eff >> 32), .permitted = (uint32_t)(perm >> 32),
       .inheritable = (uint32_t)(inh >> 32)},
  };
  if (syscall(SYS_capset, &hdr, data) < 0)
    return err_sys(e, "set capabilities");
  if (extra)
    return 0; /* ambient follows with the final call */
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
    return err_sys(e, "clear ambient capabilities");
  int last = cap_kernel_last();
  for (int cap = 0; cap <= last; cap++) {
    if (!(c->ambient & (1ULL << cap)))
      continue;
    /* The config's parser dropped what the kernel could not raise. */
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
      return err_sys(e, "raise ambient %s", cap_name(cap));
  }
  return 0;
}
