//! Builds the embedded monitor UI (feature `ui`): runs `ui/build.mjs` on the pinned
//! npm packages and stages its gzipped output in `OUT_DIR/ui`, with `assets.rs` (the
//! table of routes) that `src/relay/ui/assets.rs` includes.
//!
//! The output is cached in `ui/.cache/<key>/`, keyed by the lockfile and our UI
//! sources, so other target folders (the Python crate, `cargo clean`) reuse it without
//! running Node again.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use sha1::{Digest, Sha1};

/// Files whose content decides the bundle; `ui/src` is added file by file.
const INPUTS: &[&str] = &["ui/package.json", "ui/package-lock.json", "ui/build.mjs"];

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=NODE");
    println!("cargo:rerun-if-env-changed=NPM");
    if env::var_os("CARGO_FEATURE_UI").is_none() {
        return;
    }
    let root = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let out = PathBuf::from(env::var("OUT_DIR").expect("set by cargo")).join("ui");

    let mut inputs: Vec<PathBuf> = INPUTS.iter().map(|p| root.join(p)).collect();
    let mut sources: Vec<PathBuf> = fs::read_dir(root.join("ui/src"))
        .unwrap_or_else(|e| fail(&format!("cannot read ui/src: {e}")))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    sources.sort();
    inputs.extend(sources);
    println!("cargo:rerun-if-changed=ui/src");
    let mut key = Sha1::new();
    for path in &inputs {
        println!("cargo:rerun-if-changed={}", path.display());
        let bytes = fs::read(path)
            .unwrap_or_else(|e| fail(&format!("cannot read {}: {e}", path.display())));
        key.update(
            path.strip_prefix(&root)
                .unwrap_or(path)
                .to_string_lossy()
                .as_bytes(),
        );
        key.update((bytes.len() as u64).to_le_bytes());
        key.update(&bytes);
    }
    let digest: String = key.finalize().iter().map(|b| format!("{b:02x}")).collect();
    let cache = root.join("ui/.cache").join(digest);

    if !cache.join("manifest.tsv").is_file() {
        // Two builds of one checkout (e.g. cargo and pip at once) share ui/node_modules:
        // the second waits here, then finds the cache entry the first one wrote.
        let _ = fs::create_dir_all(root.join("ui/.cache"));
        let lock = fs::File::create(root.join("ui/.cache/.lock"))
            .unwrap_or_else(|e| fail(&format!("cannot create ui/.cache/.lock: {e}")));
        lock.lock()
            .unwrap_or_else(|e| fail(&format!("cannot lock ui/.cache/.lock: {e}")));
        if !cache.join("manifest.tsv").is_file() {
            build_into(&root.join("ui"), &cache);
        }
        drop(lock);
    }
    stage(&cache, &out);
}

/// `npm ci` then `node build.mjs` (`$NPM` / `$NODE` when set) into a temporary folder
/// renamed into place, so a build interrupted or run twice at once never leaves a
/// half-written cache entry.
fn build_into(ui: &Path, cache: &Path) {
    let node = tool("NODE", "node");
    let npm = tool("NPM", "npm");
    for (name, program) in [("node", &node), ("npm", &npm)] {
        if Command::new(program).arg("--version").output().is_err() {
            fail(&format!(
                "`{program}` ({name}) not found: the embedded monitor UI needs Node.js >= 18 and npm \
                 at build time; install them, or build without the UI: cargo build --no-default-features"
            ));
        }
    }
    let stamp = ui.join("node_modules/.ui-lock");
    let lock = fs::read(ui.join("package-lock.json")).unwrap_or_default();
    if fs::read(&stamp).ok().as_deref() != Some(&lock[..]) {
        run(
            Command::new(&npm)
                .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
                .current_dir(ui),
            "npm ci in ui/",
        );
        let _ = fs::write(&stamp, &lock);
    }
    let tmp = cache.with_extension(format!("tmp{}", std::process::id()));
    let _ = fs::remove_dir_all(&tmp);
    run(
        Command::new(&node)
            .arg("build.mjs")
            .arg(&tmp)
            .current_dir(ui),
        "node ui/build.mjs",
    );
    if fs::rename(&tmp, cache).is_err() {
        // Another build finished the same key first; its copy is identical.
        let _ = fs::remove_dir_all(&tmp);
    }
    // Entries of older inputs would only pile up; a build that still wants one just
    // runs Node again.
    if let (Some(parent), Some(name)) = (cache.parent(), cache.file_name()) {
        for entry in fs::read_dir(parent).into_iter().flatten().flatten() {
            let file = entry.file_name();
            let stale = file != name && file != ".lock" && !file.to_string_lossy().contains(".tmp");
            if stale {
                let _ = fs::remove_dir_all(entry.path());
            }
        }
    }
}

/// The program to run for `default`, or the one named by the environment variable.
fn tool(var: &str, default: &str) -> String {
    env::var(var)
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| default.to_owned())
}

fn run(command: &mut Command, what: &str) {
    match command.status() {
        Ok(status) if status.success() => {}
        Ok(status) => fail(&format!(
            "{what} failed ({status}); to build without the UI: cargo build --no-default-features"
        )),
        Err(e) => fail(&format!("cannot run {what}: {e}")),
    }
}

/// Copies the cached files into OUT_DIR and writes the table of routes as Rust.
fn stage(cache: &Path, out: &Path) {
    let _ = fs::remove_dir_all(out);
    fs::create_dir_all(out)
        .unwrap_or_else(|e| fail(&format!("cannot create {}: {e}", out.display())));
    let manifest = fs::read_to_string(cache.join("manifest.tsv"))
        .unwrap_or_else(|e| fail(&format!("cannot read the UI manifest: {e}")));
    let mut table = String::from("&[\n");
    for line in manifest.lines().filter(|l| !l.is_empty()) {
        let fields: Vec<&str> = line.split('\t').collect();
        let [path, file, content_type, etag] = fields[..] else {
            fail(&format!("malformed UI manifest line: {line:?}"));
        };
        fs::copy(cache.join(file), out.join(file))
            .unwrap_or_else(|e| fail(&format!("cannot copy {file}: {e}")));
        table.push_str(&format!(
            "    Asset {{ path: {path:?}, content_type: {content_type:?}, etag: {etag:?}, \
             gzip: include_bytes!(concat!(env!(\"OUT_DIR\"), \"/ui/{file}\")) }},\n"
        ));
    }
    table.push(']');
    fs::write(out.join("assets.rs"), table)
        .unwrap_or_else(|e| fail(&format!("cannot write assets.rs: {e}")));
}

fn fail(message: &str) -> ! {
    eprintln!("error: {message}");
    std::process::exit(1);
}
