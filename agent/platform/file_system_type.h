#pragma once
// What a tree walk makes of a file system, from the type statfs(2) reports (HostFiles::
// fileSystemType). The kernel knows no "pseudo" or "network" flag, so this is a table of the
// types whose trees are not files on a disk of this host:
//   Pseudo   the kernel's views of itself (proc, sysfs, cgroup, debugfs, tracefs, bpf ...): their
//            trees are large or unbounded (/proc/<pid>/... for every process), change while being
//            read, and hold no programs, so nothing found there is a finding;
//   Network  another machine's files (nfs, cifs/smb2, ceph, 9p, afs, lustre ...), and FUSE, whose
//            content is made by a user-space daemon (sshfs, s3fs, virtiofs): a walk would cost the
//            network and could hang on an unreachable server;
//   Memory   tmpfs and ramfs: files of this host, small, and a classic place to drop a program
//            (/dev/shm, /run, a tmpfs /tmp), so they are walked like a disk. devtmpfs reports the
//            tmpfs type and cannot be told apart; walking it only stats device nodes (never opens
//            them), so that is harmless;
//   Disk     everything else, including types this table does not know: an unknown type is
//            walked, so a new disk file system is never silently left out.
#include <cstdint>
#include <string>

namespace platform {

enum class FsKind { Disk, Memory, Pseudo, Network };

/// The kind of the file system with statfs type `type` (see above); Disk for unknown types.
FsKind fileSystemKind(std::uint64_t type);

/// The file system's usual name ("proc", "tmpfs", "ext4", "nfs" ...), or the type in hex
/// ("0x12345678") when the table does not know it.
std::string fileSystemName(std::uint64_t type);

}  // namespace platform
