//! Presence bodies and the per-colleague lamp model, sans-IO: nothing here touches a
//! socket or a clock. See `shared/docs/PRESENCE.md` for what PBXs put on the wire.
//!
//! * [`pidf`]: `application/pidf+xml` (RPID, Digium, Kamailio merges, chan_sip drafts),
//!   CPIM-PIDF and xpidf → [`PresenceDoc`]; [`interpret`] → [`PresenceView`] via a
//!   table-driven [`StatusMap`].
//! * [`dialog_info`]: RFC 4235 → [`DialogInfo`]; [`DialogState`] merges NOTIFYs and gives
//!   the line state.
//! * [`lamp`]: one tile per colleague ([`Lamp`]) and its LED/icon views.
//! * [`publish`]: the PIDF we PUBLISH for our own status.
//! * [`status`]: [`UserStatus`], [`LineState`], [`Led`].
//!
//! All parsers stream with quick-xml's `NsReader` (no DOM), refuse bodies over 64 KiB and
//! DTD internal subsets, and return [`BodyError`] instead of panicking.

pub mod dialog_info;
mod dialog_state;
mod error;
mod interpret;
pub mod lamp;
pub mod pidf;
pub mod publish;
pub mod status;
mod timestamp;
mod xml;

pub use dialog_info::{DialogEntry, DialogInfo, DialogState, Direction, Resync, parse_dialog_info};
pub use error::{BodyError, MAX_BODY_LEN};
pub use lamp::{Blink, Freshness, Lamp, WatcherView};
pub use pidf::{ActivityRule, DigiumRule, PresenceDoc, PresenceView, StatusMap, XpidfRule, interpret, parse_presence};
pub use publish::{build_pidf, build_pidf_for_device};
pub use status::{Led, LineState, UserStatus};
