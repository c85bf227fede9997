//! Generates `bindings.rs` from MicroPython's headers with the flags of the
//! port build that is compiling us.
//!
//! `micropython.mk` / `micropython.cmake` write the port's C flags, one per
//! line, to the file named by `UMQTT_MP_CFLAGS_FILE`, and set
//! `UMQTT_MP_BUILD_DIR` to the directory relative `-I` paths are relative to.
//! Static inline helpers are compiled into a small C library with `cc`, with
//! the port's compiler (`TARGET_CC`, set by the port build) and flags.
//!
//! Cross builds: bindgen passes `--target=<clang triple of TARGET>` to
//! libclang itself, so `mp_int_t` and struct layouts are those of the 32-bit
//! target. The port's flags are for GCC, so a few are adapted for clang: the
//! `--specs=` files are dropped (they only pick the C library), RISC-V
//! multi-letter ISA extensions are cut from `-march=` (clang 14 rejects
//! `rv32imac_zicsr`; they do not change any type), and the cross C library's
//! include directories, which clang cannot know, are asked from `TARGET_CC`
//! and searched after clang's own headers (`-idirafter`).
use std::env;
use std::fs;
use std::path::{Path, PathBuf};

fn main() {
    println!("cargo:rerun-if-env-changed=UMQTT_MP_CFLAGS_FILE");
    println!("cargo:rerun-if-env-changed=UMQTT_MP_BUILD_DIR");
    println!("cargo:rerun-if-changed=wrapper.h");

    let flags_file = env::var("UMQTT_MP_CFLAGS_FILE").expect(
        "UMQTT_MP_CFLAGS_FILE is not set: micropython-sys is built by a MicroPython \
         port build (micropython.mk / micropython.cmake), not on its own",
    );
    println!("cargo:rerun-if-changed={flags_file}");
    let base = PathBuf::from(env::var("UMQTT_MP_BUILD_DIR").unwrap_or_else(|_| ".".into()));
    println!("cargo:rerun-if-env-changed=TARGET_CC");
    let text = fs::read_to_string(&flags_file).expect("cannot read UMQTT_MP_CFLAGS_FILE");
    let args = port_args(&text, &base);
    let mut clang = clang_args(&args);
    let target = env::var("TARGET").unwrap_or_default();
    if target != env::var("HOST").unwrap_or_default() {
        if let Ok(cc) = env::var("TARGET_CC") {
            for dir in cross_include_dirs(&cc, &args) {
                clang.push("-idirafter".into());
                clang.push(dir);
            }
        }
    }

    let out = PathBuf::from(env::var("OUT_DIR").unwrap());
    let wrap_c = out.join("static_wrappers.c");
    let bindings = bindgen::Builder::default()
        .header("wrapper.h")
        .clang_args(&clang)
        .use_core()
        .ctypes_prefix("core::ffi")
        .layout_tests(false)
        .generate_comments(false)
        .wrap_static_fns(true)
        .wrap_static_fns_path(&wrap_c)
        // Types and constants of the stream protocol and errno.
        .allowlist_type("mp_obj_t|mp_int_t|mp_uint_t")
        .allowlist_var("MP_E(AGAIN|WOULDBLOCK|TIMEDOUT|INPROGRESS|CONNRESET|NOTCONN|IO|INVAL)")
        .allowlist_var("MP_STREAM_POLL_(RD|WR|ERR|HUP|NVAL)")
        // Our trampolines (cmodule/umqtt_port.h).
        .allowlist_function("umqtt_port_.*")
        .allowlist_type("umqtt_port_.*")
        .allowlist_var("UMQTT_PORT_.*")
        .generate()
        .expect("bindgen failed on MicroPython's headers");
    bindings
        .write_to_file(out.join("bindings.rs"))
        .expect("cannot write bindings.rs");

    // Compile the wrappers of any `static inline` function bindgen met.
    let wrappers = fs::read_to_string(&wrap_c).unwrap_or_default();
    if wrappers.lines().any(|l| l.contains('(')) {
        let mut build = cc::Build::new();
        build
            .file(&wrap_c)
            .include(env::var("CARGO_MANIFEST_DIR").unwrap());
        for a in &args {
            build.flag(a);
        }
        build.warnings(false).compile("umqtt_mp_static_wrappers");
    }
}

/// Keeps the flags needed to parse the headers exactly as the port's compiler
/// does (`-I`, `-D`, `-U`, `-std`, `-include`, `-isystem`, target flags,
/// `--specs=`), with relative include paths made absolute.
fn port_args(text: &str, base: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut pending: Option<&str> = None;
    for raw in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if let Some(flag) = pending.take() {
            out.push(flag.to_string());
            let is_path = matches!(flag, "-I" | "-isystem" | "-include");
            out.push(if is_path {
                absolute(raw, base)
            } else {
                raw.to_string()
            });
            continue;
        }
        match raw {
            "-I" | "-isystem" | "-include" | "-D" | "-U" => pending = Some(raw),
            _ if raw.starts_with("-I") => out.push(format!("-I{}", absolute(&raw[2..], base))),
            _ if raw.starts_with("-isystem") => {
                out.push("-isystem".into());
                out.push(absolute(&raw[8..], base));
            }
            _ if raw.starts_with("-D") || raw.starts_with("-U") || raw.starts_with("-std=") => {
                out.push(raw.to_string())
            }
            _ if raw.starts_with("-m")
                || raw.starts_with("--target")
                || raw.starts_with("--specs=")
                || raw == "-ffreestanding" =>
            {
                out.push(raw.to_string())
            }
            _ => {}
        }
    }
    out
}

/// The port's flags as clang (bindgen) takes them: see the module comment.
fn clang_args(args: &[String]) -> Vec<String> {
    args.iter()
        .filter(|a| !a.starts_with("--specs="))
        .map(|a| match a.strip_prefix("-march=rv") {
            Some(isa) => format!("-march=rv{}", isa.split('_').next().unwrap_or(isa)),
            None => a.clone(),
        })
        .collect()
}

/// The C library's include directories of the cross compiler `cc` (which may
/// carry arguments, e.g. a launcher), for the port's target flags; GCC's own
/// header directories are left out (clang has its own).
fn cross_include_dirs(cc: &str, args: &[String]) -> Vec<String> {
    let mut words = cc.split_whitespace();
    let Some(prog) = words.next() else {
        return Vec::new();
    };
    let output = std::process::Command::new(prog)
        .args(words)
        .args(
            args.iter()
                .filter(|a| a.starts_with("-m") || a.starts_with("--specs=")),
        )
        .args(["-xc", "-E", "-v", "/dev/null"])
        .output();
    let Ok(output) = output else {
        println!("cargo:warning=cannot run TARGET_CC={cc} to find its include directories");
        return Vec::new();
    };
    let stderr = String::from_utf8_lossy(&output.stderr);
    let mut dirs = Vec::new();
    let mut inside = false;
    for line in stderr.lines() {
        if line.starts_with("#include <...> search starts here") {
            inside = true;
        } else if line.starts_with("End of search list") {
            break;
        } else if inside {
            let dir = fs::canonicalize(line.trim()).unwrap_or_else(|_| PathBuf::from(line.trim()));
            if !dir.to_string_lossy().contains("/lib/gcc/") {
                dirs.push(dir.to_string_lossy().into_owned());
            }
        }
    }
    dirs
}

fn absolute(path: &str, base: &Path) -> String {
    let p = Path::new(path);
    if p.is_absolute() {
        path.to_string()
    } else {
        base.join(p).to_string_lossy().into_owned()
    }
}
