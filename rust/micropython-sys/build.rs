//! Generates `bindings.rs` from MicroPython's headers with the flags of the
//! port build that is compiling us.
//!
//! `micropython.mk` / `micropython.cmake` write the port's C flags, one per
//! line, to the file named by `UMQTT_MP_CFLAGS_FILE`, and set
//! `UMQTT_MP_BUILD_DIR` to the directory relative `-I` paths are relative to.
//! Static inline helpers are compiled into a small C library with `cc`.
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
    let text = fs::read_to_string(&flags_file).expect("cannot read UMQTT_MP_CFLAGS_FILE");
    let args = clang_args(&text, &base);

    let out = PathBuf::from(env::var("OUT_DIR").unwrap());
    let wrap_c = out.join("static_wrappers.c");
    let bindings = bindgen::Builder::default()
        .header("wrapper.h")
        .clang_args(&args)
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

/// Keeps the flags clang needs to parse the headers exactly as the port's
/// compiler does (`-I`, `-D`, `-U`, `-std`, `-include`, `-isystem`, target
/// flags), with relative include paths made absolute.
fn clang_args(text: &str, base: &Path) -> Vec<String> {
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
                || raw == "-ffreestanding" =>
            {
                out.push(raw.to_string())
            }
            _ => {}
        }
    }
    out
}

fn absolute(path: &str, base: &Path) -> String {
    let p = Path::new(path);
    if p.is_absolute() {
        path.to_string()
    } else {
        base.join(p).to_string_lossy().into_owned()
    }
}
