//===- EnvFlag.h - On/off switches from the environment ---------*- C++ -*-===//
//
// The runtime's SCANRT_* switches share one reading: unset or empty leaves
// the default, "0" turns the feature off, any other value turns it on.
//
//===----------------------------------------------------------------------===//

#ifndef SCAN_RUNTIME_ENVFLAG_H
#define SCAN_RUNTIME_ENVFLAG_H

#include <cstdlib>
#include <cstring>

namespace scanrt {

/// The switch `name` in the environment, or `defaultValue` when it is unset
/// or empty.
inline bool envFlag(const char *name, bool defaultValue) {
  const char *text = std::getenv(name);
  if (!text || text[0] == '\0')
    return defaultValue;
  return std::strcmp(text, "0") != 0;
}

} // namespace scanrt

#endif // SCAN_RUNTIME_ENVFLAG_H
