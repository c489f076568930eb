//! What a process cost, from `/proc`: CPU time and memory.
//!
//! Throughput alone hides how a server reaches it; CPU per request says what
//! each answer cost, independent of how many cores were free. CPU is read as
//! utime + stime of the whole process (every thread) from
//! `/proc/<pid>/stat`, in clock ticks (`sysconf(_SC_CLK_TCK)`, 100 per second
//! on Linux), so a run should last long enough for a few hundred ticks.
//! Memory is VmRSS (resident now) and VmHWM (the resident peak) from
//! `/proc/<pid>/status`, with the thread count, which explains much of a
//! server's RSS (every thread has a stack, and glibc's malloc gives busy
//! threads arenas of their own). On a shared machine the figures also need
//! to say how much of it others used: the whole machine's busy and steal
//! time from `/proc/stat` (busy less the server's and the client's is what
//! other processes took; steal is what the hypervisor gave other guests
//! while this one wanted to run), and the load average from `/proc/loadavg`.
//! Linux only, like `hqld`'s deployment.

use std::fs;
use std::time::Duration;

use crate::error::LoadError;

/// CPU time a process has used so far, user and system together.
pub fn cpu_time(pid: u32) -> Result<Duration, LoadError> {
    let path = format!("/proc/{pid}/stat");
    let text = fs::read_to_string(&path).map_err(|source| LoadError::Proc { path: path.clone(), source })?;
    let ticks = parse_stat_ticks(&text).ok_or_else(|| LoadError::ProcFormat { path })?;
    Ok(ticks_to_duration(ticks))
}

/// Context switches of every thread of `pid` so far, voluntary (it waited:
/// for a lock, a condition, a socket) and not (the scheduler took the core).
///
/// Summed over `/proc/<pid>/task/*/status`: the process-level file counts
/// only the main thread. A thread that exits takes its count with it, so a
/// difference of two readings can come out low (never negative: callers
/// subtract with saturation); `hqld` and the floor keep their threads.
pub fn context_switches(pid: u32) -> Result<u64, LoadError> {
    let dir = format!("/proc/{pid}/task");
    let tasks = fs::read_dir(&dir).map_err(|source| LoadError::Proc { path: dir.clone(), source })?;
    let mut total = 0;
    for task in tasks {
        let path =
            task.map_err(|source| LoadError::Proc { path: dir.clone(), source })?.path().join("status");
        // A thread may end between listing and reading: it no longer counts.
        let Ok(text) = fs::read_to_string(&path) else { continue };
        total += switches(&text).ok_or_else(|| LoadError::ProcFormat { path: path.display().to_string() })?;
    }
    Ok(total)
}

/// Voluntary plus involuntary switches from one thread's `status`.
fn switches(status: &str) -> Option<u64> {
    Some(status_kib(status, "voluntary_ctxt_switches:")? + status_kib(status, "nonvoluntary_ctxt_switches:")?)
}

/// CPU time of this process (the load client).
pub fn own_cpu_time() -> Result<Duration, LoadError> {
    cpu_time(std::process::id())
}

/// Resident memory of a process, KiB.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Memory {
    /// VmRSS: resident now.
    pub rss_kib: u64,
    /// VmHWM: the most ever resident.
    pub hwm_kib: u64,
    /// Threads now.
    pub threads: u64,
}

/// `pid`'s resident memory now and at its peak.
pub fn memory(pid: u32) -> Result<Memory, LoadError> {
    let path = format!("/proc/{pid}/status");
    let text = fs::read_to_string(&path).map_err(|source| LoadError::Proc { path: path.clone(), source })?;
    let field = |name: &str| status_kib(&text, name);
    match (field("VmRSS:"), field("VmHWM:"), field("Threads:")) {
        (Some(rss_kib), Some(hwm_kib), Some(threads)) => Ok(Memory { rss_kib, hwm_kib, threads }),
        _ => Err(LoadError::ProcFormat { path }),
    }
}

/// CPU time of the whole machine (all cores) so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MachineCpu {
    /// Time spent running anything: user, nice, system, irq, softirq.
    pub busy: Duration,
    /// Time this machine wanted to run but the hypervisor ran another guest.
    pub steal: Duration,
}

impl MachineCpu {
    /// What was used between `earlier` and `self`.
    pub fn since(self, earlier: MachineCpu) -> MachineCpu {
        MachineCpu {
            busy: self.busy.saturating_sub(earlier.busy),
            steal: self.steal.saturating_sub(earlier.steal),
        }
    }
}

/// The machine's CPU time so far, from the `cpu` line of `/proc/stat`.
pub fn machine_cpu() -> Result<MachineCpu, LoadError> {
    let path = "/proc/stat";
    let text = fs::read_to_string(path).map_err(|source| LoadError::Proc { path: path.into(), source })?;
    let (busy, steal) =
        parse_machine_ticks(&text).ok_or_else(|| LoadError::ProcFormat { path: path.into() })?;
    Ok(MachineCpu { busy: ticks_to_duration(busy), steal: ticks_to_duration(steal) })
}

/// Busy and steal ticks from `cpu  user nice system idle iowait irq softirq steal ...`.
fn parse_machine_ticks(stat: &str) -> Option<(u64, u64)> {
    let line = stat.lines().find(|line| line.starts_with("cpu "))?;
    let ticks: Vec<u64> =
        line.split_ascii_whitespace().skip(1).map(|t| t.parse().ok()).collect::<Option<_>>()?;
    let at = |i: usize| ticks.get(i).copied();
    let busy = at(0)? + at(1)? + at(2)? + at(5)? + at(6)?;
    Some((busy, at(7)?))
}

/// The 1, 5 and 15 minute load averages of the machine, as written in
/// `/proc/loadavg`.
pub fn load_average() -> Result<String, LoadError> {
    let path = "/proc/loadavg";
    let text = fs::read_to_string(path).map_err(|source| LoadError::Proc { path: path.into(), source })?;
    Ok(text.split_ascii_whitespace().take(3).collect::<Vec<_>>().join(" "))
}

/// utime + stime, fields 14 and 15 of `/proc/<pid>/stat`. The second field
/// (the command name) is in parentheses and may hold spaces, so fields are
/// counted from the last `)`: state is field 3 there.
fn parse_stat_ticks(stat: &str) -> Option<u64> {
    let after_name = &stat[stat.rfind(')')? + 1..];
    let mut fields = after_name.split_ascii_whitespace().skip(14 - 3);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime + stime)
}

/// The number in a `Name:   1234 kB` (or `Name:  12`) line of `/proc/<pid>/status`.
fn status_kib(status: &str, name: &str) -> Option<u64> {
    let line = status.lines().find(|line| line.starts_with(name))?;
    line[name.len()..].split_ascii_whitespace().next()?.parse().ok()
}

fn ticks_to_duration(ticks: u64) -> Duration {
    // SAFETY: sysconf reads a constant of the C library; no memory is passed.
    let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    let per_second = u64::try_from(per_second).ok().filter(|&t| t > 0).unwrap_or(100);
    Duration::from_nanos(ticks.saturating_mul(1_000_000_000) / per_second)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_fields_are_counted_after_the_command_name() {
        let stat = "4242 (hql load (x)) S 1 4242 4242 0 -1 4194304 500 0 0 0 1234 56 0 0 20 0 9 0 100 \
                    1000000 2000 18446744073709551615";
        assert_eq!(parse_stat_ticks(stat), Some(1234 + 56));
        assert_eq!(parse_stat_ticks("garbage"), None);
    }

    #[test]
    fn machine_ticks_add_up_busy_time_and_keep_steal_apart() {
        let stat = "cpu  100 5 20 9000 7 1 2 30 0 0\ncpu0 50 0 10 4500 3 0 1 15 0 0\n";
        assert_eq!(parse_machine_ticks(stat), Some((100 + 5 + 20 + 1 + 2, 30)));
        assert_eq!(parse_machine_ticks("intr 1 2 3"), None);
        let now = machine_cpu().expect("/proc/stat");
        assert!(now.since(now) == MachineCpu { busy: Duration::ZERO, steal: Duration::ZERO });
    }

    #[test]
    fn status_lines_give_kib() {
        let status = "Name:\thqld\nVmHWM:\t   20480 kB\nVmRSS:\t   10240 kB\nThreads:\t7\n";
        assert_eq!(status_kib(status, "VmRSS:"), Some(10240));
        assert_eq!(status_kib(status, "VmHWM:"), Some(20480));
        assert_eq!(status_kib(status, "Threads:"), Some(7));
        assert_eq!(status_kib(status, "VmSwap:"), None);
    }

    #[test]
    fn both_kinds_of_context_switch_count() {
        let status =
            "Name:\thqld\nThreads:\t7\nvoluntary_ctxt_switches:\t1200\nnonvoluntary_ctxt_switches:\t34\n";
        assert_eq!(switches(status), Some(1234));
        assert_eq!(switches("Name:\thqld\nvoluntary_ctxt_switches:\t1200\n"), None);
        // This thread waits on a channel: at least one voluntary switch. It
        // counts its own (the process's sum can fall meanwhile, when other
        // tests' threads end and their counts leave it).
        let own = || {
            let status = fs::read_to_string("/proc/thread-self/status").expect("own status");
            switches(&status).expect("both counts")
        };
        let before = own();
        let (tx, rx) = std::sync::mpsc::channel();
        let helper = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(20));
            tx.send(()).expect("receiver waits");
        });
        rx.recv().expect("helper sends");
        let after = own();
        assert!(after > before);
        // The process's count includes this live thread's.
        assert!(context_switches(std::process::id()).expect("own tasks") >= after);
        helper.join().expect("helper ends");
    }

    #[test]
    fn this_process_is_readable() {
        let before = own_cpu_time().expect("own stat");
        let spin: u64 = (0..5_000_000u64).map(|i| std::hint::black_box(i) ^ 0x5a).sum();
        assert!(spin > 0);
        assert!(own_cpu_time().expect("own stat") >= before);
        let memory = memory(std::process::id()).expect("own status");
        assert!(memory.rss_kib > 0 && memory.hwm_kib >= memory.rss_kib && memory.threads >= 1);
        assert_eq!(load_average().expect("loadavg").split(' ').count(), 3);
    }
}
