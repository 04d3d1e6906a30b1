//! Giving up root once the capture is open, as tcpdump -Z does: no packet is parsed with
//! more privileges than reading the capture needed.

use nix::unistd::{Gid, Uid, User, setgid, setgroups, setuid};

/// Switches to `user` (its primary group only) when running as root. `None` picks
/// `nobody` when that account exists; `Some("root")` keeps root.
pub fn drop_root(user: Option<&str>) -> Result<Option<String>, String> {
    if !Uid::effective().is_root() {
        return Ok(None);
    }
    let name = user.unwrap_or("nobody");
    if name == "root" {
        return Ok(None);
    }
    let account = match User::from_name(name) {
        Ok(Some(u)) => u,
        Ok(None) if user.is_none() => return Ok(None), // no `nobody` here: keep going
        Ok(None) => return Err(format!("no user named {name:?} to switch to (-Z)")),
        Err(e) => return Err(format!("cannot look up user {name:?}: {e}")),
    };
    let gid: Gid = account.gid;
    setgroups(&[gid]).map_err(|e| format!("cannot drop supplementary groups: {e}"))?;
    setgid(gid).map_err(|e| format!("cannot switch to group {gid}: {e}"))?;
    setuid(account.uid).map_err(|e| format!("cannot switch to user {name}: {e}"))?;
    if setuid(Uid::from_raw(0)).is_ok() {
        return Err("root could be regained after switching users: refusing to go on".into());
    }
    Ok(Some(name.to_string()))
}
