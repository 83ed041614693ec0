//! pcvmfs-apparmor: AppArmor profiles, the `apparmor_parser` driver, the
//! kernel's AppArmor status and its denial records.
//!
//! Nothing lands here yet: the foundation only needs to know whether
//! AppArmor is enabled, which `pcvmfs_core::HostFacts` reads. The profile
//! model, the docker-default template and the parser driver come with the
//! AppArmor issue.
