//! A built-in FTP receiver that writes into a file-drop directory, for
//! PBXs that push their CDR files: Cisco UCM's CDR Repository Manager
//! sends CDR and CMR files to up to eight "application billing servers" by
//! FTP or SFTP (SFTP is not offered here), logging in with a user name and
//! password and writing into a configured directory path (`/` for this
//! server). Built from that documented behaviour, not from a protocol
//! trace of the PBX.
//!
//! An upload is written under a temporary dotted name, which the file
//! drop ignores, synced, and only then given its name, so the file drop
//! never reads half a file; a name already waiting in the directory is
//! never replaced (the upload gets a suffix, as in `done/`), since the
//! file drop may be reading it. Clients may list and fetch what is there,
//! but cannot delete, rename or create anything else: the directory
//! holds records not yet stored.

use async_trait::async_trait;
use libunftp::ServerBuilder;
use libunftp::options::{FailedLoginsPolicy, Shutdown};
use std::fmt::Debug;
use std::net::SocketAddr;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use subtle::ConstantTimeEq;
use tokio::io::AsyncWriteExt;
use tokio::sync::watch;
use unftp_core::auth::{AuthenticationError, Authenticator, Credentials, DefaultUser, Principal};
use unftp_core::storage::{Error, ErrorKind, Fileinfo, Result, StorageBackend};
use unftp_sbe_fs::{Filesystem, Meta};

/// Uploads in progress when the server stops get this long to finish.
const GRACE: Duration = Duration::from_secs(5);
/// Bytes buffered before a write to the file.
const WRITE_BUFFER: usize = 256 * 1024;
/// Suffixes tried for a name already waiting in the directory.
const MAX_SUFFIX: u32 = 10_000;

/// Receives uploads into `dir` until `stop` turns true. Only `user` with
/// `password` may log in. [`bind_ftp`] then [`FtpReceiver::serve`].
pub async fn serve_ftp(
    listen: SocketAddr,
    dir: PathBuf,
    user: String,
    password: String,
    stop: watch::Receiver<bool>,
) -> std::result::Result<(), String> {
    bind_ftp(listen, dir, user, password, stop).await?.serve().await
}

/// The password of the FTP receiver, from the environment variable
/// `password_env`; an error naming it if it is unset, not UTF-8 or empty.
pub fn password_from_env(password_env: &str) -> std::result::Result<String, String> {
    let what = format!("environment variable {password_env} (the FTP receiver's password_env)");
    match std::env::var(password_env) {
        Ok(password) if password.is_empty() => Err(format!("{what} is empty")),
        Ok(password) => Ok(password),
        Err(std::env::VarError::NotPresent) => Err(format!("{what} is not set")),
        Err(std::env::VarError::NotUnicode(_)) => Err(format!("{what} is not UTF-8")),
    }
}

/// An FTP receiver whose configuration is checked and whose address is
/// held, ready to serve.
pub struct FtpReceiver {
    listen: SocketAddr,
    server: libunftp::Server<Inbox, DefaultUser>,
    /// The address, held from the check until the receiver listens on it.
    held: tokio::net::TcpListener,
}

/// Checks what can be wrong before the server starts, so that it fails
/// the start rather than only showing later on the connector's state:
/// the password is not empty, the directory can be opened, and `listen`
/// is free (it is held until [`FtpReceiver::serve`]). Errors name the
/// address or the directory.
pub async fn bind_ftp(
    listen: SocketAddr,
    dir: PathBuf,
    user: String,
    password: String,
    stop: watch::Receiver<bool>,
) -> std::result::Result<FtpReceiver, String> {
    if password.is_empty() {
        return Err(format!("FTP receiver on {listen}: the password is empty"));
    }
    // Checked here so that a wrong directory is an error at start, not a
    // failed login later.
    Filesystem::new(&dir).map_err(|e| format!("FTP directory {}: {e}", dir.display()))?;
    let held = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| format!("FTP receiver: cannot listen on {listen}: {e}"))?;
    // Port 0 asks for any free port: the one held is the one served.
    let listen =
        held.local_addr().map_err(|e| format!("FTP receiver: cannot listen on {listen}: {e}"))?;
    let inbox_dir = dir.clone();
    let server = ServerBuilder::with_authenticator(
        Box::new(move || Inbox::new(inbox_dir.clone())),
        Arc::new(OneUser { user, password }),
    )
    .greeting("bluewhale CDR receiver")
    .failed_logins_policy(FailedLoginsPolicy::default())
    .shutdown_indicator(stopped(stop))
    .build()
    .map_err(|e| format!("FTP server on {listen}: {e}"))?;
    Ok(FtpReceiver { listen, server, held })
}

impl FtpReceiver {
    /// Where the receiver listens.
    pub fn local_addr(&self) -> SocketAddr {
        self.listen
    }

    /// Receives uploads until the server stops. The FTP library binds the
    /// address itself: the socket held since [`bind_ftp`] is let go just
    /// before, so only a program binding that port in between could still
    /// take it (an error then, as at any later failure).
    pub async fn serve(self) -> std::result::Result<(), String> {
        let FtpReceiver { listen, server, held } = self;
        drop(held);
        server.listen(listen.to_string()).await.map_err(|e| format!("FTP server on {listen}: {e}"))
    }
}

/// Resolves once the server is asked to stop (or can no longer be).
async fn stopped(mut stop: watch::Receiver<bool>) -> Shutdown {
    while !*stop.borrow_and_update() {
        if stop.changed().await.is_err() {
            break;
        }
    }
    Shutdown::new().grace_period(GRACE)
}

/// The one account the PBX logs in with.
struct OneUser {
    user: String,
    password: String,
}

impl Debug for OneUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OneUser").field("user", &self.user).finish_non_exhaustive()
    }
}

#[async_trait]
impl Authenticator for OneUser {
    async fn authenticate(
        &self,
        username: &str,
        creds: &Credentials,
    ) -> std::result::Result<Principal, AuthenticationError> {
        let given = creds.password.as_deref().unwrap_or("");
        // Both compared in constant time, so timing tells nothing of either.
        let user_ok = username.as_bytes().ct_eq(self.user.as_bytes());
        let password_ok = given.as_bytes().ct_eq(self.password.as_bytes());
        if bool::from(user_ok & password_ok) {
            Ok(Principal { username: username.to_string() })
        } else {
            Err(AuthenticationError::BadPassword)
        }
    }
}

/// The storage the FTP session sees: the drop directory, uploads only.
#[derive(Debug)]
struct Inbox {
    dir: PathBuf,
    /// Reads are served by the file system back end; `None` if the
    /// directory could not be opened for this session.
    files: Option<Filesystem>,
}

impl Inbox {
    fn new(dir: PathBuf) -> Inbox {
        let files = Filesystem::new(&dir).ok();
        Inbox { dir, files }
    }

    fn files(&self) -> Result<&Filesystem> {
        self.files.as_ref().ok_or_else(|| Error::from(ErrorKind::LocalError))
    }

    /// Writes one upload under a temporary name, then gives it its own.
    async fn receive<R>(&self, input: R, name: String) -> std::io::Result<u64>
    where
        R: tokio::io::AsyncRead + Send + Unpin,
    {
        static UPLOADS: AtomicU64 = AtomicU64::new(0);
        let n = UPLOADS.fetch_add(1, Ordering::Relaxed);
        let temp = self.dir.join(format!(".{name}.{}-{n}.part", std::process::id()));
        let written = async {
            let file = tokio::fs::File::create(&temp).await?;
            let mut writer = tokio::io::BufWriter::with_capacity(WRITE_BUFFER, file);
            let mut input = input;
            let bytes = tokio::io::copy(&mut input, &mut writer).await?;
            writer.flush().await?;
            // On disk before the PBX is told the file arrived: it may
            // delete its copy then.
            writer.get_mut().sync_all().await?;
            let (dir, temp) = (self.dir.clone(), temp.clone());
            tokio::task::spawn_blocking(move || place(&dir, &temp, &name))
                .await
                .map_err(std::io::Error::other)??;
            Ok(bytes)
        }
        .await;
        if written.is_err() {
            let _ = tokio::fs::remove_file(&temp).await;
        }
        written
    }
}

/// Gives the complete upload at `temp` the name `name` in `dir`, or the
/// first free suffixed name; never replaces a file.
fn place(dir: &Path, temp: &Path, name: &str) -> std::io::Result<PathBuf> {
    for n in 0..=MAX_SUFFIX {
        let target = if n == 0 { dir.join(name) } else { dir.join(format!("{name}.{n}")) };
        // A hard link fails if the name exists, atomically; where links
        // are not supported, a rename after checking does nearly as well.
        let placed = match std::fs::hard_link(temp, &target) {
            Ok(()) => std::fs::remove_file(temp),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(_) if std::fs::symlink_metadata(&target).is_ok() => continue,
            Err(_) => std::fs::rename(temp, &target),
        };
        placed?;
        // The new name is durable too.
        std::fs::File::open(dir)?.sync_all()?;
        return Ok(target);
    }
    Err(std::io::Error::new(
        std::io::ErrorKind::AlreadyExists,
        format!("{MAX_SUFFIX} files named {name} already waiting"),
    ))
}

/// The name an upload to `path` gets: a plain file name at the top of
/// the directory, not dotted (those are the receiver's and the file
/// drop's own).
fn upload_name(path: &Path) -> Option<String> {
    let mut name = None;
    for component in path.components() {
        match component {
            Component::RootDir | Component::CurDir => {}
            Component::Normal(n) if name.is_none() => name = Some(n.to_str()?.to_string()),
            _ => return None,
        }
    }
    name.filter(|n| !n.starts_with('.'))
}

fn refused<T>() -> Result<T> {
    Err(Error::from(ErrorKind::PermissionDenied))
}

#[async_trait]
impl StorageBackend<DefaultUser> for Inbox {
    type Metadata = Meta;

    fn name(&self) -> &str {
        "bluewhale file drop"
    }

    // No restart of uploads (REST): an upload is always a whole file.
    fn supported_features(&self) -> u32 {
        0
    }

    async fn metadata<P: AsRef<Path> + Send + Debug>(
        &self,
        user: &DefaultUser,
        path: P,
    ) -> Result<Meta> {
        self.files()?.metadata(user, path).await
    }

    async fn list<P: AsRef<Path> + Send + Debug>(
        &self,
        user: &DefaultUser,
        path: P,
    ) -> Result<Vec<Fileinfo<PathBuf, Meta>>> {
        self.files()?.list(user, path).await
    }

    async fn get<P: AsRef<Path> + Send + Debug>(
        &self,
        user: &DefaultUser,
        path: P,
        start_pos: u64,
    ) -> Result<Box<dyn tokio::io::AsyncRead + Send + Sync + Unpin>> {
        self.files()?.get(user, path, start_pos).await
    }

    async fn put<
        P: AsRef<Path> + Send + Debug,
        R: tokio::io::AsyncRead + Send + Sync + Unpin + 'static,
    >(
        &self,
        _user: &DefaultUser,
        input: R,
        path: P,
        start_pos: u64,
    ) -> Result<u64> {
        if start_pos != 0 {
            return Err(Error::from(ErrorKind::CommandNotImplemented));
        }
        let Some(name) = upload_name(path.as_ref()) else {
            return Err(Error::from(ErrorKind::FileNameNotAllowedError));
        };
        self.receive(input, name).await.map_err(|e| Error::new(ErrorKind::LocalError, e))
    }

    async fn del<P: AsRef<Path> + Send + Debug>(&self, _: &DefaultUser, _: P) -> Result<()> {
        refused()
    }

    async fn mkd<P: AsRef<Path> + Send + Debug>(&self, _: &DefaultUser, _: P) -> Result<()> {
        refused()
    }

    async fn rename<P: AsRef<Path> + Send + Debug>(
        &self,
        _: &DefaultUser,
        _: P,
        _: P,
    ) -> Result<()> {
        refused()
    }

    async fn rmd<P: AsRef<Path> + Send + Debug>(&self, _: &DefaultUser, _: P) -> Result<()> {
        refused()
    }

    async fn cwd<P: AsRef<Path> + Send + Debug>(&self, user: &DefaultUser, path: P) -> Result<()> {
        self.files()?.cwd(user, path).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uploads_go_to_plain_names_at_the_top_of_the_directory() {
        let cases = [
            (
                "/cdr_StandAloneCluster_01_202401010000_1",
                Some("cdr_StandAloneCluster_01_202401010000_1"),
            ),
            ("cdr_1", Some("cdr_1")),
            ("/./cdr_1", Some("cdr_1")),
            ("/done/cdr_1", None),
            ("/../cdr_1", None),
            ("/.bluewhale/file-drop.toml", None),
            ("/.cdr_1.part", None),
            ("/", None),
        ];
        for (path, expected) in cases {
            assert_eq!(upload_name(Path::new(path)).as_deref(), expected, "{path}");
        }
    }

    #[test]
    fn a_name_already_waiting_is_never_replaced() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("cdr_1"), "waiting").unwrap();
        let temp = dir.path().join(".upload");
        std::fs::write(&temp, "new").unwrap();
        let placed = place(dir.path(), &temp, "cdr_1").unwrap();
        assert_eq!(placed, dir.path().join("cdr_1.1"));
        assert_eq!(std::fs::read_to_string(dir.path().join("cdr_1")).unwrap(), "waiting");
        assert_eq!(std::fs::read_to_string(placed).unwrap(), "new");
        assert!(!temp.exists());
    }
}
