//! Findings files: created with mode 0600 (a findings file must not become the next
//! leak), replaced (`scan`) or appended to and reopened on request (`live`, for logrotate).

use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Opens a findings file, private to its owner.
pub fn open_private(path: &Path, append: bool) -> io::Result<File> {
    let file = OpenOptions::new()
        .write(true)
        .create(true)
        .append(append)
        .truncate(!append)
        .mode(0o600)
        .open(path)?;
    // An existing file keeps its mode on open: make it private all the same.
    file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    Ok(file)
}

/// A findings file that reopens itself (same path, appending) when `reopen` is set, so a
/// rotated log gets a new file.
pub struct OutputFile {
    path: PathBuf,
    out: BufWriter<File>,
    reopen: Option<Arc<AtomicBool>>,
}

impl OutputFile {
    pub fn open(path: &Path, append: bool, reopen: Option<Arc<AtomicBool>>) -> io::Result<Self> {
        Ok(OutputFile {
            path: path.to_path_buf(),
            out: BufWriter::new(open_private(path, append)?),
            reopen,
        })
    }

    fn check_reopen(&mut self) -> io::Result<()> {
        if let Some(flag) = &self.reopen
            && flag.swap(false, Ordering::Relaxed)
        {
            self.out.flush()?;
            // A file reopened after rotation is a new file of the same log: append.
            self.out = BufWriter::new(open_private(&self.path, true)?);
        }
        Ok(())
    }
}

impl Write for OutputFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.check_reopen()?;
        self.out.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.check_reopen()?;
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reopens_after_rotation_and_stays_private() {
        let dir = std::env::temp_dir().join(format!("plainsight-outfile-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("findings.jsonl");
        let flag = Arc::new(AtomicBool::new(false));
        let mut f = OutputFile::open(&path, true, Some(flag.clone())).unwrap();
        writeln!(f, "one").unwrap();
        f.flush().unwrap();
        std::fs::rename(&path, dir.join("findings.jsonl.1")).unwrap();
        flag.store(true, Ordering::Relaxed);
        writeln!(f, "two").unwrap();
        f.flush().unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.join("findings.jsonl.1")).unwrap(),
            "one\n"
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "two\n");
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
