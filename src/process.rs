//! Facts about this process the window shows (how much memory it holds), and how its memory
//! allocator is set up.

/// Set the allocator up for a long-running process that churns. Call it first thing in `main`,
/// before any other thread starts (the `canopy` binary and the benchmarks that measure it do).
///
/// glibc's malloc serves blocks of 128 KiB and more from their own mappings, and gives them back
/// to the system when freed; but each such free raises that threshold (up to 32 MiB), after
/// which the per-second buffers of traffic statistics and the network's batches of a few
/// hundred KiB land in the heap between long-lived payloads, and the heap cannot shrink past
/// them. Fixing the threshold keeps resident memory at what is in use: about 16 MiB less for
/// 100,000 busy topics (BENCHMARKS.md, memory). Elsewhere this does nothing.
pub fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    set_mmap_threshold(128 * 1024);
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[expect(
    unsafe_code,
    reason = "mallopt is a C call; the one place Canopy needs one"
)]
fn set_mmap_threshold(bytes: i32) {
    // SAFETY: mallopt takes two integers and touches only malloc's own settings, under its
    // lock; glibc only asks that it not race malloc's first initialisation, and it is called
    // at the start of `main`, before any other thread exists. M_MMAP_THRESHOLD takes values up
    // to 32 MiB.
    let accepted = unsafe { libc::mallopt(libc::M_MMAP_THRESHOLD, bytes) };
    if accepted != 1 {
        tracing::debug!("malloc refused an mmap threshold of {bytes} bytes");
    }
}

/// CPU time (user + system, all threads) this process has used, from `/proc/self/stat`;
/// `None` where there is no procfs.
pub fn cpu_time() -> Option<std::time::Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    parse_cpu_ticks(&stat).map(|ticks| std::time::Duration::from_millis(ticks * 10))
}

/// utime + stime from a `/proc/PID/stat` line, in clock ticks (100 a second on Linux). The
/// command name in parentheses may contain spaces, so fields are counted after the last ')'.
fn parse_cpu_ticks(stat: &str) -> Option<u64> {
    let (_, after_name) = stat.rsplit_once(')')?;
    let mut fields = after_name.split_whitespace().skip(11);
    let user: u64 = fields.next()?.parse().ok()?;
    let system: u64 = fields.next()?.parse().ok()?;
    Some(user + system)
}

/// Resident memory (RSS) in bytes, from `/proc/self/status`; `None` where there is no procfs.
pub fn resident_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    parse_vm_rss(&status)
}

/// The most resident memory this process has held at any moment so far (the kernel's
/// high-water mark), in bytes; `None` where there is no procfs.
pub fn peak_resident_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    parse_status_kib(&status, "VmHWM:")
}

fn parse_vm_rss(status: &str) -> Option<u64> {
    parse_status_kib(status, "VmRSS:")
}

/// The value of a `/proc/self/status` line such as `VmRSS:   1234 kB`, in bytes.
fn parse_status_kib(status: &str, key: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with(key))?;
    let kib: u64 = line
        .trim_start_matches(key)
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kib * 1024)
}

#[cfg(test)]
mod tests {

    #[test]
    fn cpu_ticks_are_read_after_the_command_name() {
        let stat = "4242 (canopy (gui) x) S 1 4242 4242 0 -1 4194560 2222 0 0 0 157 43 0 0 20 0 9";
        assert_eq!(super::parse_cpu_ticks(stat), Some(200));
        assert_eq!(super::parse_cpu_ticks("garbage"), None);
        assert!(
            super::cpu_time().is_some(),
            "this process has a /proc/self/stat"
        );
    }

    use super::*;

    #[test]
    fn reads_vm_rss() {
        assert_eq!(
            parse_vm_rss("Name:\tcanopy\nVmRSS:\t   84512 kB\nThreads: 9\n"),
            Some(84512 * 1024)
        );
        assert_eq!(parse_vm_rss("Name: x\n"), None);
        if cfg!(target_os = "linux") {
            assert!(resident_bytes().is_some_and(|b| b > 1024 * 1024));
            let peak = peak_resident_bytes().unwrap_or(0);
            assert!(peak >= resident_bytes().unwrap_or(u64::MAX) / 2, "{peak}");
        }
        assert_eq!(
            parse_status_kib("VmHWM:\t  2048 kB\nVmRSS:\t 1024 kB\n", "VmHWM:"),
            Some(2048 * 1024)
        );
    }
}
