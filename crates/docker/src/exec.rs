//! Running commands in running containers, to their end or with a timeout.

use std::collections::HashMap;
use std::time::Duration;

use bollard::container::LogOutput;
use bollard::exec::{CreateExecOptions, StartExecResults};
use futures_util::StreamExt;
use pcvmfs_core::{ExecOutput, ExecSpec, ExecStream};

use crate::connect::DockerEngine;
use crate::error::{Error, Result};

/// How long to wait for the engine to record an exit code after the output
/// has ended.
const EXIT_CODE_WAIT: Duration = Duration::from_secs(5);

impl DockerEngine {
    /// Runs a command to its end and returns its exit code and output,
    /// byte for byte.
    pub async fn exec(&self, container: &str, spec: &ExecSpec) -> Result<ExecOutput> {
        let mut output = ExecOutput::default();
        let exit_code = self
            .exec_streaming(container, spec, &mut |chunk| match chunk {
                ExecStream::Stdout(bytes) => output.stdout.extend_from_slice(&bytes),
                ExecStream::Stderr(bytes) => output.stderr.extend_from_slice(&bytes),
            })
            .await?;
        output.exit_code = exit_code;
        Ok(output)
    }

    /// Runs a command and hands its output to `on_output` as it arrives;
    /// returns the exit code. When the spec's timeout passes, the command
    /// and every process it started are killed and
    /// [`Error::ExecTimeout`] is returned.
    pub async fn exec_streaming(
        &self,
        container: &str,
        spec: &ExecSpec,
        on_output: &mut (dyn FnMut(ExecStream) + Send),
    ) -> Result<i64> {
        spec.check()?;
        let env: Vec<String> = spec.env.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let options = CreateExecOptions {
            attach_stdout: Some(true),
            attach_stderr: Some(true),
            attach_stdin: Some(false),
            tty: Some(false),
            cmd: Some(spec.argv.clone()),
            user: spec.user.clone(),
            env: (!env.is_empty()).then_some(env),
            working_dir: spec.workdir.clone(),
            ..Default::default()
        };
        let action = || format!("run {:?} in container {container}", spec.argv);
        let exec_id = match self.client.create_exec(container, options).await {
            Ok(created) => created.id,
            Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 404, ..
            }) => {
                return Err(Error::NoSuchContainer {
                    container: container.to_string(),
                });
            }
            Err(err) => return Err(Error::engine(action(), err)),
        };
        let started = self
            .client
            .start_exec(&exec_id, None)
            .await
            .map_err(|e| Error::engine(action(), e))?;
        let StartExecResults::Attached { mut output, .. } = started else {
            return Err(Error::Engine {
                action: action(),
                message: "the engine detached the command instead of streaming its output".into(),
                status: None,
            });
        };
        let pump = async {
            while let Some(item) = output.next().await {
                match item.map_err(|e| Error::engine(action(), e))? {
                    LogOutput::StdOut { message } | LogOutput::Console { message } => {
                        on_output(ExecStream::Stdout(message.to_vec()))
                    }
                    LogOutput::StdErr { message } => {
                        on_output(ExecStream::Stderr(message.to_vec()))
                    }
                    LogOutput::StdIn { .. } => {}
                }
            }
            Ok::<(), Error>(())
        };
        match spec.timeout {
            None => pump.await?,
            Some(timeout) => match tokio::time::timeout(timeout, pump).await {
                Ok(result) => result?,
                Err(_) => {
                    let killed = self.kill_exec(&exec_id).await;
                    return Err(Error::ExecTimeout {
                        container: container.to_string(),
                        argv: spec.argv.clone(),
                        timeout,
                        killed,
                    });
                }
            },
        }
        self.exit_code(&exec_id, &action()).await
    }

    /// The exit code of a finished exec; the engine records it a moment
    /// after the output ends.
    async fn exit_code(&self, exec_id: &str, action: &str) -> Result<i64> {
        let deadline = tokio::time::Instant::now() + EXIT_CODE_WAIT;
        // Usually the code is there at once or within a millisecond or two;
        // back off from there so a slow engine is not flooded.
        let mut pause = Duration::from_millis(1);
        loop {
            let inspected = self
                .client
                .inspect_exec(exec_id)
                .await
                .map_err(|e| Error::engine(action, e))?;
            if inspected.running != Some(true) {
                if let Some(code) = inspected.exit_code {
                    return Ok(code);
                }
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(Error::Engine {
                    action: action.to_string(),
                    message: "the engine reported no exit code after the output ended".into(),
                    status: None,
                });
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_millis(50));
        }
    }

    /// Kills an exec's process and everything it started. The Engine API
    /// cannot signal an exec, so this works from the host's `/proc` and
    /// only on a local engine, after checking that the process is really
    /// in the container's cgroup. Returns whether the processes are gone.
    async fn kill_exec(&self, exec_id: &str) -> bool {
        if !self.is_local() {
            return false;
        }
        let Ok(inspected) = self.client.inspect_exec(exec_id).await else {
            return false;
        };
        let (Some(pid), Some(container_id)) = (inspected.pid, inspected.container_id) else {
            return false;
        };
        if inspected.running == Some(false) {
            return true;
        }
        kill_process_tree(pid, &container_id)
    }
}

/// Sends SIGKILL to `root` and its descendants, provided `root` is in the
/// cgroup of `container_id`.
fn kill_process_tree(root: i64, container_id: &str) -> bool {
    let Ok(root) = i32::try_from(root) else {
        return false;
    };
    if root <= 1 {
        return false;
    }
    match std::fs::read_to_string(format!("/proc/{root}/cgroup")) {
        Ok(cgroup) if cgroup.contains(container_id) => {}
        // Already gone.
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return true,
        _ => return false,
    }
    // Stop the tree first so that nothing forks while it is collected.
    let tree = process_tree(root);
    for pid in &tree {
        // SAFETY: kill(2) with a pid found above; no memory is involved.
        unsafe { libc::kill(*pid, libc::SIGSTOP) };
    }
    let tree = process_tree(root);
    let mut root_gone = false;
    for pid in &tree {
        // SAFETY: as above.
        let rc = unsafe { libc::kill(*pid, libc::SIGKILL) };
        if *pid == root {
            root_gone =
                rc == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::ESRCH);
        }
    }
    root_gone || tree.is_empty()
}

/// `root` and every descendant, from `/proc/*/stat`.
fn process_tree(root: i32) -> Vec<i32> {
    let mut children: HashMap<i32, Vec<i32>> = HashMap::new();
    if let Ok(entries) = std::fs::read_dir("/proc") {
        for entry in entries.flatten() {
            let Some(pid) = entry
                .file_name()
                .to_str()
                .and_then(|n| n.parse::<i32>().ok())
            else {
                continue;
            };
            if let Some(ppid) = std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .ok()
                .and_then(|stat| parent_pid(&stat))
            {
                children.entry(ppid).or_default().push(pid);
            }
        }
    }
    let mut tree = vec![root];
    let mut next = 0;
    while next < tree.len() {
        if let Some(kids) = children.get(&tree[next]) {
            tree.extend(
                kids.iter()
                    .copied()
                    .filter(|k| !tree.contains(k))
                    .collect::<Vec<_>>(),
            );
        }
        next += 1;
    }
    tree
}

/// The parent pid in a `/proc/PID/stat` line; the command name before it
/// is in parentheses and may itself hold spaces and parentheses.
fn parent_pid(stat: &str) -> Option<i32> {
    let after_name = &stat[stat.rfind(')')? + 1..];
    after_name.split_whitespace().nth(1)?.parse().ok()
}

impl pcvmfs_core::ContainerRuntime for DockerEngine {
    type Error = Error;

    async fn start(&self, spec: &pcvmfs_core::ContainerSpec) -> Result<String> {
        DockerEngine::start(self, spec).await
    }

    async fn exec(&self, container: &str, spec: &ExecSpec) -> Result<ExecOutput> {
        DockerEngine::exec(self, container, spec).await
    }

    async fn exec_streaming(
        &self,
        container: &str,
        spec: &ExecSpec,
        on_output: &mut (dyn FnMut(ExecStream) + Send),
    ) -> Result<i64> {
        DockerEngine::exec_streaming(self, container, spec, on_output).await
    }

    async fn applied_security(&self, container: &str) -> Result<pcvmfs_core::AppliedSecurity> {
        DockerEngine::applied_security(self, container).await
    }

    async fn remove(&self, container: &str) -> Result<()> {
        DockerEngine::remove(self, container).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parent_pids_survive_odd_command_names() {
        assert_eq!(parent_pid("42 (sleep) S 7 42 42 0"), Some(7));
        assert_eq!(parent_pid("42 (a) b (c)) R 9 1"), Some(9));
        assert_eq!(parent_pid("garbage"), None);
    }

    #[test]
    fn the_process_tree_of_this_test_holds_its_child() {
        let mut child = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .unwrap();
        let me = std::process::id() as i32;
        let tree = process_tree(me);
        assert_eq!(tree[0], me);
        assert!(tree.contains(&(child.id() as i32)), "{tree:?}");
        child.kill().unwrap();
        child.wait().unwrap();
    }

    #[test]
    fn processes_outside_the_container_are_never_killed() {
        let mut child = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .unwrap();
        assert!(!kill_process_tree(
            child.id() as i64,
            "0123456789abcdef-not-a-container"
        ));
        assert!(
            child.try_wait().unwrap().is_none(),
            "the child must still run"
        );
        child.kill().unwrap();
        child.wait().unwrap();
    }
}
