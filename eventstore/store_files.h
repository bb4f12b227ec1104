// The file system steps of a backup and a restore: private directories, private copies
// (never hard links, so a backup shares no inode with the live store), and renames that
// either happen whole or not at all. Each returns a Status whose message names the path
// and says what went wrong in words an operator can act on.
#pragma once

#include <string>

#include "eventstore/status.h"

namespace holdfast {

// Creates a new directory "<dir>.partial-XXXXXX" (mode 0700) beside `dir`, where a backup
// is written before it is renamed to `dir`, and returns its path. The message of a failure
// is about `dir`: its parent is missing, not a directory, read-only, or not writable by
// this process's user.
Result<std::string> CreatePartialDirectory(const std::string& dir);

// InvalidArgument if something already exists at `path` (or it cannot be looked at).
Status RequireAbsent(const std::string& path);

// Copies every regular file of `from` into the existing directory `to` as new files of
// mode 0600, each synced to disk, then syncs `to`. Fails if `from` holds anything but
// regular files, or a file of that name already exists in `to`.
Status CopyFilesPrivately(const std::string& from, const std::string& to);

// Syncs every regular file in `dir` to disk, then `dir` itself.
Status SyncFilesAndDirectory(const std::string& dir);
// Syncs the directory `dir` (its entries: files created, renamed or removed in it).
Status SyncDirectory(const std::string& dir);

// Renames `from` to `to`, failing (InvalidArgument, "already exists") if `to` exists.
Status RenameNoReplace(const std::string& from, const std::string& to);
// Swaps the names of the directories `a` and `b` in one step (renameat2 RENAME_EXCHANGE):
// at every instant each name holds one whole directory.
Status ExchangeDirectories(const std::string& a, const std::string& b);

// Removes `path` and everything under it; fine if it does not exist.
Status RemoveTree(const std::string& path);

// The directory part of an absolute path ("/a/b" -> "/a", "/a" -> "/").
std::string ParentOf(const std::string& path);
// The name of the user this process runs as ("uid 1234" if it has none).
std::string ProcessUserName();

}  // namespace holdfast
