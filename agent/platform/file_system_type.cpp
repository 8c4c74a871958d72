#include "platform/file_system_type.h"

#include <linux/magic.h>

#include <cstdio>

namespace platform {
namespace {

struct Known {
  std::uint64_t type;
  const char* name;
  FsKind kind;
};

// Types that <linux/magic.h> (Debian 12's linux-libc-dev) does not define, from the kernel
// sources of each file system.
constexpr std::uint64_t kConfigfs = 0x62656570;
constexpr std::uint64_t kFusectl = 0x65735543;
constexpr std::uint64_t kMqueue = 0x19800202;
constexpr std::uint64_t kRpcPipefs = 0x67596969;
constexpr std::uint64_t kNfsd = 0x6e667364;
constexpr std::uint64_t kLustre = 0x0bd00bd0;
constexpr std::uint64_t kGpfs = 0x47504653;
constexpr std::uint64_t kOrangefs = 0x20030528;
constexpr std::uint64_t kBeegfs = 0x19830326;
constexpr std::uint64_t kVboxsf = 0x786f4256;

constexpr Known kKnown[] = {
    {PROC_SUPER_MAGIC, "proc", FsKind::Pseudo},
    {SYSFS_MAGIC, "sysfs", FsKind::Pseudo},
    {DEVPTS_SUPER_MAGIC, "devpts", FsKind::Pseudo},
    {CGROUP_SUPER_MAGIC, "cgroup", FsKind::Pseudo},
    {CGROUP2_SUPER_MAGIC, "cgroup2", FsKind::Pseudo},
    {DEBUGFS_MAGIC, "debugfs", FsKind::Pseudo},
    {TRACEFS_MAGIC, "tracefs", FsKind::Pseudo},
    {SECURITYFS_MAGIC, "securityfs", FsKind::Pseudo},
    {SELINUX_MAGIC, "selinuxfs", FsKind::Pseudo},
    {SMACK_MAGIC, "smackfs", FsKind::Pseudo},
    {AAFS_MAGIC, "apparmorfs", FsKind::Pseudo},
    {PSTOREFS_MAGIC, "pstore", FsKind::Pseudo},
    {EFIVARFS_MAGIC, "efivarfs", FsKind::Pseudo},
    {BPF_FS_MAGIC, "bpf", FsKind::Pseudo},
    {kConfigfs, "configfs", FsKind::Pseudo},
    {kFusectl, "fusectl", FsKind::Pseudo},
    {kMqueue, "mqueue", FsKind::Pseudo},
    {HUGETLBFS_MAGIC, "hugetlbfs", FsKind::Pseudo},
    {AUTOFS_SUPER_MAGIC, "autofs", FsKind::Pseudo},  // walking it would trigger the mounts
    {BINFMTFS_MAGIC, "binfmt_misc", FsKind::Pseudo},
    {NSFS_MAGIC, "nsfs", FsKind::Pseudo},
    {kRpcPipefs, "rpc_pipefs", FsKind::Pseudo},
    {kNfsd, "nfsd", FsKind::Pseudo},
    {RDTGROUP_SUPER_MAGIC, "resctrl", FsKind::Pseudo},
    {BINDERFS_SUPER_MAGIC, "binder", FsKind::Pseudo},
    {XENFS_SUPER_MAGIC, "xenfs", FsKind::Pseudo},
    {OPENPROM_SUPER_MAGIC, "openpromfs", FsKind::Pseudo},
    {USBDEVICE_SUPER_MAGIC, "usbfs", FsKind::Pseudo},
    {NFS_SUPER_MAGIC, "nfs", FsKind::Network},
    {SMB_SUPER_MAGIC, "smb", FsKind::Network},
    {CIFS_SUPER_MAGIC, "cifs", FsKind::Network},
    {SMB2_SUPER_MAGIC, "smb2", FsKind::Network},
    {NCP_SUPER_MAGIC, "ncpfs", FsKind::Network},
    {AFS_SUPER_MAGIC, "afs", FsKind::Network},
    {AFS_FS_MAGIC, "kafs", FsKind::Network},
    {CODA_SUPER_MAGIC, "coda", FsKind::Network},
    {CEPH_SUPER_MAGIC, "ceph", FsKind::Network},
    {V9FS_MAGIC, "9p", FsKind::Network},
    {FUSE_SUPER_MAGIC, "fuse", FsKind::Network},
    {kLustre, "lustre", FsKind::Network},
    {kGpfs, "gpfs", FsKind::Network},
    {kOrangefs, "orangefs", FsKind::Network},
    {kBeegfs, "beegfs", FsKind::Network},
    {kVboxsf, "vboxsf", FsKind::Network},
    {TMPFS_MAGIC, "tmpfs", FsKind::Memory},
    {RAMFS_MAGIC, "ramfs", FsKind::Memory},
    {EXT4_SUPER_MAGIC, "ext4", FsKind::Disk},  // also ext2 and ext3: one type
    {XFS_SUPER_MAGIC, "xfs", FsKind::Disk},
    {BTRFS_SUPER_MAGIC, "btrfs", FsKind::Disk},
    {F2FS_SUPER_MAGIC, "f2fs", FsKind::Disk},
    {SQUASHFS_MAGIC, "squashfs", FsKind::Disk},
    {EROFS_SUPER_MAGIC_V1, "erofs", FsKind::Disk},
    {OVERLAYFS_SUPER_MAGIC, "overlay", FsKind::Disk},
    {MSDOS_SUPER_MAGIC, "vfat", FsKind::Disk},
    {EXFAT_SUPER_MAGIC, "exfat", FsKind::Disk},
    {ISOFS_SUPER_MAGIC, "iso9660", FsKind::Disk},
    {UDF_SUPER_MAGIC, "udf", FsKind::Disk},
};

const Known* find(std::uint64_t type) {
  for (const auto& k : kKnown) {
    if (k.type == type) return &k;
  }
  return nullptr;
}

}  // namespace

FsKind fileSystemKind(std::uint64_t type) {
  const Known* k = find(type);
  return k ? k->kind : FsKind::Disk;
}

std::string fileSystemName(std::uint64_t type) {
  if (const Known* k = find(type)) return k->name;
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(type));
  return buf;
}

}  // namespace platform
