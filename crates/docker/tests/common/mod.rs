//! What the engine tests share: the busybox test image, built once from
//! Debian's static busybox, and a per-test label that finds every container
//! a test created.

#![allow(dead_code)]

use std::collections::HashMap;
use std::path::Path;
use std::sync::OnceLock;

use bollard::query_parameters::ListContainersOptionsBuilder;
use pcvmfs_core::ContainerSpec;
use pcvmfs_docker::DockerEngine;
use tokio::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

/// The tag of the test image.
pub const IMAGE: &str = "pcvmfs-test/busybox:latest";

/// The label that tells the containers of one test apart.
pub const TEST_LABEL: &str = "org.pcvmfs.test";

/// Where Debian's `busybox-static` puts its binary.
pub const BUSYBOX: &str = "/bin/busybox";

/// Writes the build context of the test image into `dir`: a `FROM scratch`
/// image with the static busybox, its applets linked under `/bin`, a user
/// `parrotuser` (uid 1000) and a shell as its command.
pub fn write_busybox_context(dir: &Path) {
    assert!(
        Path::new(BUSYBOX).is_file(),
        "{BUSYBOX} is missing: install Debian's busybox-static (scripts/test.sh does)"
    );
    std::fs::copy(BUSYBOX, dir.join("busybox")).unwrap();
    std::fs::write(
        dir.join("passwd"),
        "root:x:0:0:root:/root:/bin/sh\nparrotuser:x:1000:1000:parrot:/home/parrotuser:/bin/sh\n",
    )
    .unwrap();
    std::fs::write(dir.join("group"), "root:x:0:\nparrotuser:x:1000:\n").unwrap();
    std::fs::write(
        dir.join("Dockerfile"),
        "FROM scratch\n\
         COPY busybox /bin/busybox\n\
         COPY passwd group /etc/\n\
         RUN [\"/bin/busybox\", \"--install\", \"-s\", \"/bin\"]\n\
         RUN mkdir -p /tmp /home/parrotuser && chmod 1777 /tmp && chown 1000:1000 /home/parrotuser\n\
         CMD [\"/bin/sh\"]\n",
    )
    .unwrap();
}

/// Keeps the tests of one binary, which run in parallel, from removing an
/// image while another builds. The engine's classic builder looks up its
/// cache by listing the children of the step's parent (for `FROM scratch`,
/// every image without a parent) and then reading each of them: an image
/// removed in between fails the build with `unable to find image` (seen in
/// CI, when the import test removed its image during the busybox build).
/// Builds hold it shared, removals exclusively. A test that needs
/// [`busybox_image`] gets it before it takes this lock.
static BUILDS: RwLock<()> = RwLock::const_new(());

/// Held while a test builds an image: removals wait.
pub async fn building() -> RwLockReadGuard<'static, ()> {
    BUILDS.read().await
}

/// Held while a test removes an image: builds wait.
pub async fn removing() -> RwLockWriteGuard<'static, ()> {
    BUILDS.write().await
}

/// Builds the test image once per test binary and returns its tag.
pub fn busybox_image() -> &'static str {
    static BUILT: OnceLock<()> = OnceLock::new();
    BUILT.get_or_init(|| {
        // A runtime of its own: each test has its own, and this one must
        // outlive none of them.
        std::thread::spawn(|| {
            let _building = BUILDS.blocking_read();
            let runtime = tokio::runtime::Runtime::new().unwrap();
            runtime.block_on(async {
                let engine = DockerEngine::connect(None)
                    .await
                    .expect("the Docker engine must answer");
                let dir = tempfile::tempdir().unwrap();
                write_busybox_context(dir.path());
                engine
                    .build_directory(dir.path(), IMAGE, &mut |_| {})
                    .await
                    .expect("the busybox test image builds");
            });
        })
        .join()
        .unwrap();
    });
    IMAGE
}

/// Connects to the local engine; a test that needs it fails without it.
pub async fn engine() -> DockerEngine {
    DockerEngine::connect(None)
        .await
        .expect("the Docker engine must answer (scripts/test.sh starts one)")
}

/// A label unique to one test. Containers of the test carry it; when the
/// guard is dropped, any left behind (after a failed assertion) are removed.
pub struct TestContainers {
    pub value: String,
}

impl TestContainers {
    pub fn new(test: &str) -> TestContainers {
        TestContainers {
            value: format!("{test}-{}", std::process::id()),
        }
    }

    /// A spec for the busybox image that carries this test's label.
    pub fn spec(&self, command: &[&str]) -> ContainerSpec {
        let mut spec = ContainerSpec::new(busybox_image());
        spec.command = Some(command.iter().map(|s| s.to_string()).collect());
        spec.labels.insert(TEST_LABEL.into(), self.value.clone());
        spec
    }

    /// How many containers, running or not, carry this test's label.
    pub async fn count(&self, engine: &DockerEngine) -> usize {
        ids_with_label(engine, &self.value).await.len()
    }
}

async fn ids_with_label(engine: &DockerEngine, value: &str) -> Vec<String> {
    let filters = HashMap::from([("label", vec![format!("{TEST_LABEL}={value}")])]);
    let options = ListContainersOptionsBuilder::default()
        .all(true)
        .filters(&filters)
        .build();
    engine
        .client()
        .list_containers(Some(options))
        .await
        .unwrap()
        .into_iter()
        .filter_map(|c| c.id)
        .collect()
}

impl Drop for TestContainers {
    fn drop(&mut self) {
        let value = self.value.clone();
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Runtime::new().unwrap();
            runtime.block_on(async {
                if let Ok(engine) = DockerEngine::connect(None).await {
                    for id in ids_with_label(&engine, &value).await {
                        let _ = engine.remove(&id).await;
                    }
                }
            });
        })
        .join();
    }
}

/// Runs a Docker CLI command and returns its standard output, trimmed: an
/// account of the engine's state that does not go through pcvmfs.
pub fn docker_cli(args: &[&str]) -> String {
    let out = std::process::Command::new("docker")
        .args(args)
        .output()
        .expect("the docker command line client is installed");
    assert!(
        out.status.success(),
        "docker {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}
