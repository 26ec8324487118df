//! Places the functions a session runs next to each other in the binary.
//!
//! The kernel maps a program's code 64 KiB at a time around each page it first touches
//! ("fault-around"). A session runs a few hundred functions scattered over the whole text, so
//! starting up made about 0.9 MiB of code resident. `bench/startup.order` (written by
//! `bench/order.py` from a traced session) lists them, and LLD places them first: a few
//! windows instead of nearly all (`python3 bench/bench.py` measures it).
//!
//! Only LLD reads that list, so it is passed only together with the LLD of the Rust toolchain
//! itself (`gcc-ld/ld.lld` in the sysroot, what rustc links x86_64 Linux with since 1.90), and
//! only when no linker was configured. Any other build gets the default layout, which costs
//! memory and nothing else.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

const ORDER: &str = "bench/startup.order";
const TARGETS: [&str; 2] = ["x86_64-unknown-linux-gnu", "x86_64-unknown-linux-musl"];
const HOST: &str = "x86_64-unknown-linux-gnu";

fn main() {
    println!("cargo:rerun-if-changed={ORDER}");
    println!("cargo:rerun-if-changed=build.rs");
    let order = Path::new(&var("CARGO_MANIFEST_DIR")).join(ORDER);
    if let (true, Some(linker_dir)) = (order.is_file(), toolchain_lld()) {
        for arg in [
            "-fuse-ld=lld".to_owned(),
            format!("-B{}", linker_dir.display()),
            format!("-Wl,--symbol-ordering-file={}", order.display()),
            // A name missing from the list (code changed since it was written) is no error.
            "-Wl,--no-warn-symbol-ordering".to_owned(),
        ] {
            println!("cargo:rustc-link-arg-bins={arg}");
        }
    }
}

/// The directory holding the toolchain's `ld.lld`, when this build may use it.
fn toolchain_lld() -> Option<PathBuf> {
    let chosen_linker = env::var_os("RUSTC_LINKER").is_some()
        || ["linker", "fuse-ld"]
            .iter()
            .any(|flag| var("CARGO_ENCODED_RUSTFLAGS").contains(flag));
    if chosen_linker || !TARGETS.contains(&var("TARGET").as_str()) || var("HOST") != HOST {
        return None;
    }
    let sysroot = Command::new(var("RUSTC"))
        .args(["--print", "sysroot"])
        .output()
        .ok()?;
    let sysroot = String::from_utf8(sysroot.stdout).ok()?;
    let dir = Path::new(sysroot.trim()).join(format!("lib/rustlib/{HOST}/bin/gcc-ld"));
    dir.join("ld.lld").is_file().then_some(dir)
}

fn var(name: &str) -> String {
    env::var(name).unwrap_or_default()
}
