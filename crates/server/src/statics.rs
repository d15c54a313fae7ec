//! Static files under `--root` (the repository: the demo page is `/www/`).
//!
//! Only regular files inside the root are served: a path is percent-decoded, any
//! segment starting with `.` (`..`, `.git`, `.data`, …) or holding `\` or NUL is refused,
//! and the resolved file (symlinks followed) must still lie inside the root. The ledger
//! file and its `-wal`/`-shm` companions are never served: they hold the signing key.
//! A directory serves its `index.html` (no listings); `/` without one redirects to `/www/`.

use crate::http::{percent_decode, Body, Reply};
use std::fs::File;
use std::path::{Path, PathBuf};

/// The static file server.
#[derive(Debug)]
pub(crate) struct Statics {
    root: PathBuf,
    private: PathBuf,
}

/// The content type of a file name.
pub(crate) fn content_type(path: &Path) -> &'static str {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    match ext.as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "wasm" => "application/wasm",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "txt" | "md" | "ts" | "rs" | "toml" | "csv" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

impl Statics {
    /// Serves `root`, never the ledger file `db` (both must exist).
    pub(crate) fn new(root: &Path, db: &Path) -> Result<Statics, String> {
        let root = root.canonicalize().map_err(|e| format!("--root {}: {e}", root.display()))?;
        if !root.is_dir() {
            return Err(format!("--root {} is not a directory", root.display()));
        }
        let private = db.canonicalize().map_err(|e| format!("--db {}: {e}", db.display()))?;
        Ok(Statics { root, private })
    }

    /// The reply for a GET of `path` (the URL path, still percent-encoded, no query).
    pub(crate) fn serve(&self, path: &str) -> Reply {
        let Some(decoded) = percent_decode(path, false) else { return Reply::not_found() };
        let mut file = self.root.clone();
        for segment in decoded.split('/').filter(|s| !s.is_empty()) {
            if segment.starts_with('.') || segment.contains(['\\', '\0']) {
                return Reply::not_found();
            }
            file.push(segment);
        }
        if file.is_dir() {
            if !path.ends_with('/') {
                return Reply::redirect(301, format!("{path}/"));
            }
            file.push("index.html");
            if path == "/" && !file.is_file() {
                return Reply::redirect(302, "/www/".into());
            }
        }
        let Ok(real) = file.canonicalize() else { return Reply::not_found() };
        if !real.starts_with(&self.root) || real.as_os_str().to_string_lossy().starts_with(&*self.private.as_os_str().to_string_lossy()) || !real.is_file() {
            return Reply::not_found();
        }
        match File::open(&real) {
            Ok(f) => Reply { status: 200, headers: vec![("Content-Type", content_type(&real).into())], body: Body::File(f) },
            Err(_) => Reply::not_found(),
        }
    }
}
