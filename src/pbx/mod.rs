//! PBX server-sync backends: keep our own status and forwarding rules on the PBX, so they hold
//! while Lampboard is closed.
//!
//! Today there is one backend, the Grandstream UCM HTTPS API ([`ucm_api`]). The feature-code
//! backend (`*48`, `*77`…) and PUBLISH live elsewhere; the engine sends a status change to every
//! backend an account profile names.

pub mod ucm_api;
