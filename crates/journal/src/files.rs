//! File names inside a source directory and small file-system helpers.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Suffix of an uncompressed segment.
const PLAIN_SUFFIX: &str = ".seg";
/// Suffix of a compressed (closed) segment.
const COMPRESSED_SUFFIX: &str = ".seg.zst";
/// Suffix of a segment's side index (entry count, receive-time range).
const INDEX_SUFFIX: &str = ".idx";
/// Suffix of any file being written before its rename into place.
pub(crate) const TMP_SUFFIX: &str = ".tmp";

/// What a file of a source directory is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum SegmentFile {
    Plain,
    Compressed,
    Index,
}

pub(crate) fn segment_stem(dir: &Path, number: u64) -> PathBuf {
    dir.join(format!("{number:012}"))
}

pub(crate) fn segment_path(dir: &Path, number: u64, role: SegmentFile) -> PathBuf {
    let suffix = match role {
        SegmentFile::Plain => PLAIN_SUFFIX,
        SegmentFile::Compressed => COMPRESSED_SUFFIX,
        SegmentFile::Index => INDEX_SUFFIX,
    };
    let mut path = segment_stem(dir, number).into_os_string();
    path.push(suffix);
    PathBuf::from(path)
}

pub(crate) fn tmp_path(path: &Path) -> PathBuf {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(TMP_SUFFIX);
    PathBuf::from(tmp)
}

/// Recognises `000000000012.seg`, `….seg.zst` and `….idx`.
pub(crate) fn parse_segment_file_name(name: &str) -> Option<(u64, SegmentFile)> {
    let (stem, role) = if let Some(stem) = name.strip_suffix(COMPRESSED_SUFFIX) {
        (stem, SegmentFile::Compressed)
    } else if let Some(stem) = name.strip_suffix(PLAIN_SUFFIX) {
        (stem, SegmentFile::Plain)
    } else if let Some(stem) = name.strip_suffix(INDEX_SUFFIX) {
        (stem, SegmentFile::Index)
    } else {
        return None;
    };
    if stem.len() != 12 || !stem.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    stem.parse().ok().map(|number| (number, role))
}

/// Makes a directory's entries (created, renamed files) durable.
pub(crate) fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir).and_then(|handle| handle.sync_all()).map_err(Error::io(dir, "fsync directory"))
}

/// Replaces `path` with `bytes` so that a crash leaves either the old or
/// the new content: write a temporary file, fsync it, rename it over
/// `path`, fsync the directory. With `durable` false the fsyncs are left
/// out (for files that can be rebuilt, like segment indexes).
pub(crate) fn write_atomically(path: &Path, bytes: &[u8], durable: bool) -> Result<()> {
    let tmp = tmp_path(path);
    let replaced = File::create(&tmp).map_err(Error::io(&tmp, "create")).and_then(|mut file| {
        file.write_all(bytes).map_err(Error::io(&tmp, "write"))?;
        if durable {
            file.sync_all().map_err(Error::io(&tmp, "fsync"))?;
        }
        drop(file);
        fs::rename(&tmp, path).map_err(Error::io(path, "rename into place"))
    });
    if replaced.is_err() {
        // Most often the disk is full: what the temporary file holds is
        // space the journal needs. (Recovery would remove it at the next
        // open, but this process may go on.)
        let _ = fs::remove_file(&tmp);
    }
    replaced?;
    match (durable, path.parent()) {
        (true, Some(dir)) => sync_dir(dir),
        _ => Ok(()),
    }
}

/// Removes a file; one that is already gone is fine. Returns the bytes freed.
pub(crate) fn remove_if_present(path: &Path) -> Result<u64> {
    let len = match fs::metadata(path) {
        Ok(meta) => meta.len(),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(err) => return Err(Error::io(path, "stat")(err)),
    };
    match fs::remove_file(path) {
        Ok(()) => Ok(len),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(0),
        Err(err) => Err(Error::io(path, "remove")(err)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segment_names_round_trip() {
        let dir = Path::new("/j/src");
        for role in [SegmentFile::Plain, SegmentFile::Compressed, SegmentFile::Index] {
            let path = segment_path(dir, 42, role);
            let name = path.file_name().unwrap().to_str().unwrap();
            assert_eq!(parse_segment_file_name(name), Some((42, role)));
        }
        assert_eq!(parse_segment_file_name("42.seg"), None);
        assert_eq!(parse_segment_file_name("000000000042.seg.tmp"), None);
    }

    #[test]
    fn a_failed_atomic_write_leaves_the_old_file_and_no_temporary_one() {
        let dir = tempfile::tempdir().unwrap();
        // A directory in the way: the rename fails, after the temporary
        // file was written.
        let path = dir.path().join("consumed");
        fs::create_dir(&path).unwrap();
        fs::write(path.join("inside"), b"x").unwrap();
        let error = write_atomically(&path, b"1 32\n", true).unwrap_err();
        assert!(error.to_string().contains("rename into place"), "{error}");
        assert!(!tmp_path(&path).exists());
        assert!(path.join("inside").exists());
    }
}
