//! The sans-IO media core: codecs, RTP, jitter buffering, loss concealment, DTMF and tones.
//!
//! Nothing here opens a socket, reads a clock or spawns a thread: datagrams come in as byte
//! slices with the address and the `Instant` they arrived at, packets go out as `Vec<u8>`,
//! time is RTP timestamps and `Instant`s passed in, randomness (SSRC, first sequence number
//! and timestamp) is chosen by the caller. The engine's per-call media task is the driver.
//!
//! One concept per module:
//!
//! * [`g711`]: µ-law / A-law companding (ITU-T G.711, table-driven decode).
//! * [`codec`]: the [`Codec`] trait with [`Pcmu`] (payload type 0), [`Pcma`] (8) and [`G722`]
//!   (9, our own [`g722`] sub-band ADPCM); [`opus_codec`]: [`Opus`] through libopus.
//! * [`audio`]: the sound-card side (the only code touching cpal): [`audio::AudioBackend`],
//!   the cpal and null backends, lock-free rings and the device-rate resampler.
//! * [`rtp`]: [`RtpSender`] and [`RtpReceiver`] (validation, symmetric-RTP source latching
//!   with probation, sequence extension, loss, RFC 3550 jitter) and [`RtpStats`].
//! * [`jitter`]: the adaptive [`JitterBuffer`] for fixed 20 ms frames (10–200 ms target);
//!   [`playout`]: the [`PlayoutClock`] that ticks when the buffer's next frame is due.
//! * [`plc`]: the packet-loss [`Concealer`] (repeat with fade, silence after 60 ms).
//! * [`dtmf`]: RFC 4733 telephone-events, [`DtmfSender`] and [`DtmfReceiver`].
//! * [`tone`]: sine and call-progress [`ToneGenerator`]s; [`goertzel`](mod@goertzel): the detector.
//! * [`wav`]: 16-bit PCM mono WAV read/write; [`resample`](mod@resample): a linear [`Resampler`].
//! * [`sim`]: a lossy/jittery channel for tests and [`sim::call_path_workload`], a
//!   deterministic whole-path workload for a future `benches/media.rs`.
//!
//! The receive path of a call, per datagram and per 20 ms playout tick (at the [`PlayoutClock`]):
//!
//! ```text
//! datagram ─▶ RtpReceiver::handle_packet ─┬─ audio PT ──▶ JitterBuffer::insert
//!                                         └─ event PT ──▶ DtmfReceiver::handle_packet
//! tick ─▶ JitterBuffer::pop ─┬─ Audio(p) ─▶ Codec::decode ─▶ Concealer::good_frame ─▶ out
//!                            ├─ Lost ─────▶ Concealer::conceal ─────────────────────▶ out
//!                            └─ Empty ────▶ silence ────────────────────────────────▶ out
//! ```
//!
//! * [`rtcp`]: RTCP packets (SR, RR, SDES, BYE, compound; RFC 3550 §6);
//!   [`rtcp_session`]: report timing, reception statistics and round-trip time of one session.
//!
//! Not here yet: SRTP, comfort noise (RFC 3389), a mixer.

#![warn(missing_docs)]

pub mod audio;
pub mod codec;
pub mod dtmf;
pub mod g711;
pub mod g722;
pub mod goertzel;
pub mod jitter;
pub mod opus_codec;
pub mod playout;
pub mod plc;
pub mod resample;
pub mod rtcp;
pub mod rtcp_session;
pub mod rtp;
pub mod sim;
pub mod tone;
pub mod wav;

pub use codec::{Codec, G722, Pcma, Pcmu, codec_by_name, codec_for, codec_for_payload_type};
pub use dtmf::{DtmfDigit, DtmfEvent, DtmfPacket, DtmfReceiver, DtmfSender, DtmfSenderConfig, EventPayload};
pub use goertzel::{ToneMeasurement, dominant_frequency, goertzel};
pub use jitter::{Frame, InsertOutcome, JitterBuffer, JitterConfig, JitterStats};
pub use opus_codec::Opus;
pub use playout::PlayoutClock;
pub use plc::Concealer;
pub use resample::{Resampler, resample};
pub use rtcp::{NtpTime, ReportBlock, RtcpError, RtcpPacket, SenderInfo, parse_compound};
pub use rtcp_session::{RtcpSession, RtcpStats, SendingState};
pub use rtp::{ReceivedPacket, ReceiverConfig, RtpDrop, RtpReceiver, RtpSender, RtpStats};
pub use tone::ToneGenerator;
pub use wav::{Wav, WavError, WavWriter, read_wav, read_wav_file};
