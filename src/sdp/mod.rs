//! SDP (RFC 4566) and offer/answer (RFC 3264) for one audio stream, sans-IO.
//!
//! * [`session`]: [`SessionDescription`], our view of a body: origin, connection addresses,
//!   m-lines with payloads (rtpmap/fmtp), ptime, `a=rtcp`, direction; serialised with CRLF in
//!   RFC order. [`SessionDescription::parse`] reads bodies tolerantly, line by line, with the
//!   typed parsers of ezk-sdp-types (see `parse.rs` for what is tolerated and why).
//! * [`negotiate`]: [`create_offer`], [`answer_offer`], [`process_answer`], hold/resume and
//!   re-offers, producing a [`Negotiated`] for the media layer. A [`NegotiationError`] while
//!   answering becomes 488 Not Acceptable Here.
//! * [`Codec`] names codecs as configured (`opus/48000/2`); [`Direction`] carries the RFC 3264
//!   direction rules.
//!
//! Nothing here reads a clock, draws a random number or touches a socket: the session id
//! comes in [`LocalMedia`], and the caller keeps the last description it sent.

mod codec;
mod direction;
pub mod negotiate;
mod parse;
pub mod session;

pub use codec::{
    Codec, CodecParseError, DEFAULT_CODECS, FIRST_DYNAMIC_PAYLOAD_TYPE, LAST_PAYLOAD_TYPE, TELEPHONE_EVENT,
    TELEPHONE_EVENT_FMTP, default_codecs,
};
pub use direction::Direction;
pub use negotiate::{
    CodecPreference, DEFAULT_DTMF_PAYLOAD_TYPE, DEFAULT_PTIME, Dtmf, LocalMedia, Negotiated, NegotiationError,
    SESSION_NAME, answer_offer, answer_reoffer, create_offer, create_reoffer, hold_offer, process_answer, resume_offer,
};
pub use parse::{MAX_SDP_LEN, ParseError};
pub use session::{Address, Attribute, MediaDescription, MediaType, Origin, PayloadFormat, Rtcp, SessionDescription};
