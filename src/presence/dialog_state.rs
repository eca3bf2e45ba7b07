//! The dialogs of one watched resource across NOTIFYs (RFC 4235 §4.1 versioning), and the
//! line state they add up to.

use super::dialog_info::{DialogEntry, DialogInfo};
use super::status::LineState;
use std::fmt;

/// A partial dialog-info document did not follow the last version: state was lost, so the
/// caller must re-subscribe (or refresh) to get full state. Until a full document arrives,
/// further partial documents are refused with the same error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resync;

impl fmt::Display for Resync {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("dialog-info version gap: full state needed (re-subscribe)")
    }
}

impl std::error::Error for Resync {}

/// Most live dialogs kept per resource. A phone has a handful; a server that keeps
/// announcing new ids in partial updates cannot grow the state past this (the oldest go).
pub const MAX_DIALOGS: usize = 64;

/// Per watched resource: the last version and the live (non-terminated) dialogs by id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DialogState {
    version: Option<u32>,
    dialogs: Vec<DialogEntry>,
    needs_full: bool,
}

impl DialogState {
    /// Applies one parsed NOTIFY body.
    ///
    /// * Full state replaces everything (terminated dialogs are dropped). A version not
    ///   above the last one is a stale duplicate and is ignored, except version 0, which
    ///   Asterisk sends again after a re-subscribe and is accepted as a restart.
    /// * Partial state must carry `last + 1`: dialogs are replaced by id, `terminated`
    ///   removes them. A version ≤ last is ignored; a gap returns [`Resync`].
    /// * A partial document before any full one is taken as the baseline (tolerance for
    ///   servers that start partial, as in RFC 4235 §4.1.1's example); a document without
    ///   a version is applied as it is.
    pub fn apply(&mut self, info: DialogInfo) -> Result<(), Resync> {
        if info.full {
            if let (Some(v), Some(last)) = (info.version, self.version)
                && v <= last
                && v != 0
            {
                return Ok(());
            }
            self.dialogs = info.dialogs.into_iter().filter(|d| !d.is_terminated()).collect();
            self.trim();
            self.version = info.version;
            self.needs_full = false;
            return Ok(());
        }
        if self.needs_full {
            return Err(Resync);
        }
        if let (Some(v), Some(last)) = (info.version, self.version) {
            if v <= last {
                return Ok(());
            }
            if Some(v) != last.checked_add(1) {
                self.needs_full = true;
                return Err(Resync);
            }
        }
        for dialog in info.dialogs {
            let at = self.dialogs.iter().position(|d| d.id == dialog.id);
            match (at, dialog.is_terminated()) {
                (Some(i), true) => {
                    self.dialogs.remove(i);
                }
                (Some(i), false) => self.dialogs[i] = dialog,
                (None, true) => {}
                (None, false) => self.dialogs.push(dialog),
            }
        }
        self.trim();
        if info.version.is_some() {
            self.version = info.version;
        }
        Ok(())
    }

    fn trim(&mut self) {
        if self.dialogs.len() > MAX_DIALOGS {
            let excess = self.dialogs.len() - MAX_DIALOGS;
            self.dialogs.drain(..excess);
        }
    }

    /// The line state (rows 25–29), worst across dialogs: ringing > busy > held > idle.
    /// No live dialog is `Idle` (with Asterisk that may also mean unregistered).
    pub fn line_state(&self) -> LineState {
        self.dialogs.iter().map(DialogEntry::line_state).fold(LineState::Idle, LineState::worst)
    }

    /// The first ringing dialog (row 25), with whatever Call-ID and tags the server gave,
    /// for pickup (INVITE with Replaces) when they are present.
    pub fn ringing_dialog(&self) -> Option<&DialogEntry> {
        self.dialogs.iter().find(|d| d.is_ringing())
    }

    /// The live dialogs, in arrival order.
    pub fn dialogs(&self) -> &[DialogEntry] {
        &self.dialogs
    }

    /// The last applied version.
    pub fn version(&self) -> Option<u32> {
        self.version
    }

    /// True after a [`Resync`] until full state arrives.
    pub fn needs_full_state(&self) -> bool {
        self.needs_full
    }

    /// Forgets everything (a new subscription starts its own version sequence).
    pub fn reset(&mut self) {
        *self = Self::default();
    }
}
