#include <catch2/catch.hpp>

#include <linux/magic.h>

#include <initializer_list>

#include "platform/file_system_type.h"

using platform::FsKind;
using platform::fileSystemKind;
using platform::fileSystemName;

TEST_CASE("file system kinds: pseudo and network types are told from memory and disks") {
  for (std::uint64_t t : std::initializer_list<std::uint64_t>{PROC_SUPER_MAGIC, SYSFS_MAGIC, DEVPTS_SUPER_MAGIC, CGROUP_SUPER_MAGIC,
                          CGROUP2_SUPER_MAGIC, DEBUGFS_MAGIC, TRACEFS_MAGIC, SECURITYFS_MAGIC,
                          PSTOREFS_MAGIC, BPF_FS_MAGIC, HUGETLBFS_MAGIC, AUTOFS_SUPER_MAGIC}) {
    INFO(fileSystemName(t));
    CHECK(fileSystemKind(t) == FsKind::Pseudo);
  }
  CHECK(fileSystemName(0x62656570) == "configfs");
  CHECK(fileSystemKind(0x62656570) == FsKind::Pseudo);
  CHECK(fileSystemKind(0x65735543) == FsKind::Pseudo);  // fusectl
  CHECK(fileSystemKind(0x19800202) == FsKind::Pseudo);  // mqueue
  for (std::uint64_t t : std::initializer_list<std::uint64_t>{NFS_SUPER_MAGIC, CIFS_SUPER_MAGIC, SMB2_SUPER_MAGIC, FUSE_SUPER_MAGIC,
                          CEPH_SUPER_MAGIC, V9FS_MAGIC}) {
    INFO(fileSystemName(t));
    CHECK(fileSystemKind(t) == FsKind::Network);
  }
  CHECK(fileSystemKind(TMPFS_MAGIC) == FsKind::Memory);
  CHECK(fileSystemKind(EXT4_SUPER_MAGIC) == FsKind::Disk);
  CHECK(fileSystemKind(BTRFS_SUPER_MAGIC) == FsKind::Disk);
  CHECK(fileSystemKind(OVERLAYFS_SUPER_MAGIC) == FsKind::Disk);
}

TEST_CASE("file system names, and unknown types are walked like a disk") {
  CHECK(fileSystemName(PROC_SUPER_MAGIC) == "proc");
  CHECK(fileSystemName(CIFS_SUPER_MAGIC) == "cifs");  // a type with the top bit set
  CHECK(fileSystemName(EXT4_SUPER_MAGIC) == "ext4");
  CHECK(fileSystemName(0x12345678) == "0x12345678");
  CHECK(fileSystemKind(0x12345678) == FsKind::Disk);
}
