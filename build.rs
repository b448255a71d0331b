//! Compiles the C shim against the headers of the perl that will load us.
//!
//! The perl is `$PERL` (set by Makefile.PL to the perl that ran it) or the
//! first `perl` on PATH; its `%Config` gives the include directory and the
//! compiler flags the interpreter itself was built with, which the shim must
//! share (struct layouts depend on them).
//!
//! `%Config` also gives the interpreter's shape.  With `usemultiplicity`
//! (every threaded perl) Perl passes the interpreter to each XSUB; without
//! it (the default `sh Configure -des` perl) it does not, and the glue is
//! compiled with `cfg(perl_multiplicity)` unset.  The glue reads IV, UV and
//! NV as 64-bit integers and a `double`, so a perl of another shape is
//! refused here (Makefile.PL refuses it earlier, with a friendlier line).
use std::process::Command;

fn perl_config(perl: &str, key: &str) -> String {
    let out = Command::new(perl)
        .args(["-MConfig", "-e", &format!("print $Config{{{key}}}")])
        .output()
        .unwrap_or_else(|e| panic!("cannot run {perl}: {e}"));
    assert!(out.status.success(), "{perl} -MConfig failed");
    String::from_utf8(out.stdout).expect("perl config is not UTF-8")
}

/// `$VERSION` of lib/Linux/Event.pm, as its `our $VERSION = '...';` line says.
fn module_version() -> String {
    let pm = "lib/Linux/Event.pm";
    let text = std::fs::read_to_string(pm).unwrap_or_else(|e| panic!("cannot read {pm}: {e}"));
    text.lines()
        .filter_map(|l| l.trim().strip_prefix("our $VERSION"))
        .filter_map(|rest| rest.split(['\'', '"']).nth(1))
        .find(|v| {
            !v.is_empty()
                && v.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '_')
        })
        .map(str::to_string)
        .unwrap_or_else(|| panic!("no `our $VERSION = '...';` line in {pm}"))
}

fn main() {
    let perl = std::env::var("PERL").unwrap_or_else(|_| "perl".to_string());
    println!("cargo:rerun-if-env-changed=PERL");
    println!("cargo:rerun-if-changed=csrc");
    println!("cargo:rerun-if-changed=lib/Linux/Event.pm");

    println!("cargo::rustc-check-cfg=cfg(perl_multiplicity)");
    for (key, want) in [("ivsize", "8"), ("uvsize", "8"), ("nvsize", "8")] {
        let got = perl_config(&perl, key);
        assert!(
            got == want,
            "{perl} has {key}={got}; Linux::Event needs {want} (64-bit integers and a double NV)"
        );
    }
    let multiplicity = perl_config(&perl, "usemultiplicity") == "define";
    if multiplicity {
        println!("cargo:rustc-cfg=perl_multiplicity");
    }

    let core = format!("{}/CORE", perl_config(&perl, "archlibexp"));
    let mut build = cc::Build::new();
    build
        .files(["csrc/shim.c", "csrc/ae_timer.c"])
        .include(&core)
        .warnings(true);
    // The boot handshake compares this with the version XSLoader passes, so
    // a stale Event.so is refused: one source of truth, the module's $VERSION.
    build.define("XS_VERSION", format!("\"{}\"", module_version()).as_str());
    // The shim checks that the Rust side and perl.h agree on the shape.
    build.define("LE_RUST_MULTIPLICITY", if multiplicity { "1" } else { "0" });
    for flag in perl_config(&perl, "ccflags").split_whitespace() {
        build.flag(flag);
    }
    // A core-only macro otherwise compiles to an implicit call that fails at load time.
    build.flag("-Werror=implicit-function-declaration");
    build.compile("leshim");
}
