#include "image/ref_display.h"

#include <stdio.h>
#include <string.h>

#include "image/reference.h"

const char *ref_familiar(const char *normalized) {
  static const char hub_library[] = DOCKER_HUB "/library/", hub[] = DOCKER_HUB "/";
  if (!strncmp(normalized, hub_library, sizeof(hub_library) - 1))
    return normalized + sizeof(hub_library) - 1;
  if (!strncmp(normalized, hub, sizeof(hub) - 1))
    return normalized + sizeof(hub) - 1;
  return normalized;
}

void ref_split(const char *normalized, char *repo, char *tag, unsigned long cap) {
  const char *f = ref_familiar(normalized);
  const char *at = strchr(f, '@');
  const char *slash = strrchr(f, '/');
  const char *colon = at ? NULL : strrchr(slash ? slash : f, ':');
  if (at) {
    snprintf(repo, cap, "%.*s", (int)(at - f), f);
    snprintf(tag, cap, "<none>");
  } else if (colon) {
    snprintf(repo, cap, "%.*s", (int)(colon - f), f);
    snprintf(tag, cap, "%s", colon + 1);
  } else {
    snprintf(repo, cap, "%s", f);
    snprintf(tag, cap, "<none>");
  }
}
