//! Reading a folder of `.proto` files (the user's schemas, with their imports) into memory for
//! the protobuf compiler. Bounded: a folder is the user's, but it may be huge or loop.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Most `.proto` files read from one folder.
pub const MAX_FILES: usize = 2_000;
/// Largest `.proto` file read.
pub const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;
/// Deepest sub-folder looked into.
pub const MAX_DEPTH: usize = 16;

/// Why a schema folder could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[expect(
    missing_docs,
    reason = "each variant's #[error] text says what it means"
)]
pub enum FolderError {
    #[error("schema folder {0} is not there (moved or deleted?)")]
    Missing(PathBuf),
    #[error("{0} is not a folder")]
    NotAFolder(PathBuf),
    #[error("cannot read {path}: {reason}")]
    Unreadable { path: PathBuf, reason: String },
    #[error("more than {MAX_FILES} .proto files under {0}")]
    TooManyFiles(PathBuf),
    #[error("{path} is {bytes} bytes, more than the {MAX_FILE_BYTES} read")]
    TooLarge { path: PathBuf, bytes: u64 },
    #[error("no .proto files under {0}")]
    Empty(PathBuf),
}

/// Every `.proto` file under `folder`, by its path relative to it with `/` separators (the
/// name imports use), and its text.
pub fn read(folder: &Path) -> Result<BTreeMap<String, String>, FolderError> {
    let meta = std::fs::metadata(folder).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => FolderError::Missing(folder.to_owned()),
        _ => unreadable(folder, &e),
    })?;
    if !meta.is_dir() {
        return Err(FolderError::NotAFolder(folder.to_owned()));
    }
    let mut sources = BTreeMap::new();
    // A stack of (folder, depth): no recursion, and symlinked loops end at MAX_DEPTH.
    let mut pending = vec![(folder.to_owned(), 0)];
    while let Some((dir, depth)) = pending.pop() {
        let entries = std::fs::read_dir(&dir).map_err(|e| unreadable(&dir, &e))?;
        for entry in entries {
            let path = entry.map_err(|e| unreadable(&dir, &e))?.path();
            if path.is_dir() {
                if depth < MAX_DEPTH {
                    pending.push((path, depth + 1));
                }
                continue;
            }
            if path.extension().is_none_or(|ext| ext != "proto") {
                continue;
            }
            if sources.len() >= MAX_FILES {
                return Err(FolderError::TooManyFiles(folder.to_owned()));
            }
            let bytes = std::fs::metadata(&path)
                .map_err(|e| unreadable(&path, &e))?
                .len();
            if bytes > MAX_FILE_BYTES {
                return Err(FolderError::TooLarge { path, bytes });
            }
            let text = std::fs::read_to_string(&path).map_err(|e| unreadable(&path, &e))?;
            let name = path
                .strip_prefix(folder)
                .unwrap_or(&path)
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            sources.insert(name, text);
        }
    }
    if sources.is_empty() {
        return Err(FolderError::Empty(folder.to_owned()));
    }
    Ok(sources)
}

fn unreadable(path: &Path, error: &std::io::Error) -> FolderError {
    FolderError::Unreadable {
        path: path.to_owned(),
        reason: error.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proto_files_are_named_as_imports_name_them() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir_all(dir.path().join("common/deep")).expect("dirs");
        std::fs::write(dir.path().join("a.proto"), "syntax = \"proto3\";").expect("write");
        std::fs::write(dir.path().join("common/deep/b.proto"), "b").expect("write");
        std::fs::write(dir.path().join("notes.txt"), "not a schema").expect("write");
        let sources = read(dir.path()).expect("read");
        assert_eq!(
            sources.keys().collect::<Vec<_>>(),
            ["a.proto", "common/deep/b.proto"]
        );
        assert_eq!(sources["common/deep/b.proto"], "b");
    }

    #[test]
    fn missing_empty_and_not_a_folder_are_told_apart() {
        let dir = tempfile::tempdir().expect("temp dir");
        let gone = dir.path().join("gone");
        assert_eq!(read(&gone), Err(FolderError::Missing(gone.clone())));
        assert_eq!(
            read(dir.path()),
            Err(FolderError::Empty(dir.path().to_owned()))
        );
        let file = dir.path().join("x.proto");
        std::fs::write(&file, "").expect("write");
        assert_eq!(read(&file), Err(FolderError::NotAFolder(file.clone())));
        assert!(
            read(&gone)
                .expect_err("missing")
                .to_string()
                .contains("not there")
        );
    }
}
