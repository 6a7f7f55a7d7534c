/* capsule's version, one for every program (capsule, capsule-runtime). */
#ifndef CAPSULE_UTIL_VERSION_H
#define CAPSULE_UTIL_VERSION_H

#define CAPSULE_VERSION "0.1.0"

#endif
