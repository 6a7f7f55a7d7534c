/* An image configuration blob (OCI image config / Docker container config),
 * as `capsule run` and the image store read it. */
#include "fuzz.h"
#include "image/config.h"
#include "image/digest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  err_t e = ERR_INIT;
  struct image_config c;
  int r = image_config_parse((const char *)data, size, &c, &e);
  fuzz_check_result("image_config_parse", r, &e);
  if (r < 0)
    return 0;
  /* rootfs.diff_ids is required (it may be empty: an image without layers). */
  if (!c.diff_ids || c.diff_ids[c.n_diff_ids])
    fuzz_die("image_config_parse: diff_ids and n_diff_ids (%zu) disagree", c.n_diff_ids);
  for (size_t i = 0; i < c.n_diff_ids; i++)
    if (!digest_valid(c.diff_ids[i]))
      fuzz_die("image_config_parse accepted diff id %s", c.diff_ids[i]);
  image_config_free(&c);
  return 0;
}
