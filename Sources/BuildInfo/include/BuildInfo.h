#ifndef STEWARD_BUILD_INFO_H
#define STEWARD_BUILD_INFO_H

/// Steward's release version, as Package.swift declares it.
const char *steward_version(void);
/// The git commit the binary was built from (with "-dirty" for uncommitted changes), or "unknown"
/// when the sources were not a git checkout.
const char *steward_git_commit(void);

#endif
