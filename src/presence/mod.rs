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
//! * [`multipart`]: `multipart/related` bodies (RFC 2046/2387) split into [`Part`]s.
//! * [`rlmi`]: RFC 4662 resource lists: RLMI documents and the [`EventList`] that merges
//!   list NOTIFYs into [`ResourceUpdate`]s whose parts go to the parsers above.
//!
//! All parsers stream with quick-xml's `NsReader` (no DOM), refuse bodies over 64 KiB (RLMI
//! documents and multipart list bodies: 1 MiB) and DTD internal subsets, and return
//! [`BodyError`] (or [`MultipartError`], [`EventListError`]) instead of panicking.

pub mod dialog_info;
mod dialog_state;
mod error;
mod interpret;
pub mod lamp;
pub mod multipart;
pub mod pidf;
pub mod publish;
pub mod rlmi;
pub mod status;
mod timestamp;
mod xml;

pub use dialog_info::{DialogEntry, DialogInfo, DialogState, Direction, Resync, parse_dialog_info};
pub use error::{BodyError, MAX_BODY_LEN};
pub use lamp::{Blink, Freshness, Lamp, WatcherView};
pub use multipart::{MediaType, Multipart, MultipartError, Part, parse_multipart};
pub use pidf::{ActivityRule, DigiumRule, PresenceDoc, PresenceView, StatusMap, XpidfRule, interpret, parse_presence};
pub use publish::{build_pidf, build_pidf_for_device};
pub use rlmi::{
    EventList, EventListError, Instance, InstanceState, Name, Resource, ResourceChange, ResourcePart, ResourceUpdate,
    RlmiList, parse_rlmi,
};
pub use status::{Led, LineState, UserStatus};
