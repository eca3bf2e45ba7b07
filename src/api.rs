//! The one interface between the engine and its clients (GUI, CLI, demo): commands in,
//! events out, plain serde data. Event JSON (`{"event":"registered",…}`) is the CLI's
//! public output contract: fields may be added, never renamed or dropped.

use crate::sip::TransportKind;
use serde::{Deserialize, Serialize};

/// What a client asks the engine to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum Command {
    /// Register the account (again).
    Register,
    /// Remove the binding and stay unregistered.
    Unregister,
    /// Un-register, end subscriptions, remove the published status, and stop the engine.
    Shutdown,
    /// As `Shutdown`, but the published status stays on the server until it expires
    /// (`lampboard presence set` without `--duration`).
    ShutdownKeepingPresence,
    /// Watch colleagues: each target is an extension (resolved in the account's domain) or
    /// a full SIP URI; `events` are event packages (`presence`, `dialog`).
    Watch {
        /// Extensions or SIP URIs.
        targets: Vec<String>,
        /// Event packages to subscribe to for each target.
        events: Vec<String>,
        /// A resource list (RFC 4662) on the server to subscribe to instead of each target;
        /// falls back to one subscription per target when the server does not take it.
        #[serde(default)]
        list: Option<String>,
    },
    /// Call a number or SIP URI.
    Dial {
        /// Extension (in the account's domain), number or SIP URI.
        target: String,
    },
    /// Answer a ringing incoming call.
    Answer {
        /// The call's id from its `call` event.
        call: String,
    },
    /// Reject a ringing incoming call (486 Busy Here, 603 Decline…).
    Reject {
        /// The call.
        call: String,
        /// The status code to answer with.
        code: u16,
    },
    /// Send a ringing incoming call on to another number (302 Moved Temporarily with
    /// `Diversion: …;reason=deflection`): the incoming-call panel's Forward.
    Forward {
        /// The ringing call.
        call: String,
        /// Extension, number or SIP URI.
        target: String,
    },
    /// Hang up (CANCEL before the answer, BYE after it).
    Hangup {
        /// The call.
        call: String,
    },
    /// Put a call on hold (re-INVITE, sendonly).
    Hold {
        /// The call.
        call: String,
    },
    /// Take a call off hold.
    Resume {
        /// The call.
        call: String,
    },
    /// Send DTMF digits (RFC 4733).
    SendDtmf {
        /// The call.
        call: String,
        /// Digits 0-9, *, #, A-D.
        digits: String,
    },
    /// Transfer a call: blind to `target` (number or SIP URI), or — with `consult` — attended:
    /// the other side of `call` is connected to the other side of the consult call.
    Transfer {
        /// The call to transfer.
        call: String,
        /// Where to (ignored when `consult` is given).
        #[serde(default)]
        target: String,
        /// The consult call of an attended transfer.
        #[serde(default)]
        consult: Option<String>,
        /// Attended, step one: hold `call` and call `target` to consult first (the transfer
        /// is completed later with `consult` set to that call).
        #[serde(default)]
        attended: bool,
    },
    /// Pick up a colleague's ringing call (INVITE with Replaces from dialog-info, else the
    /// PBX's pickup code + extension).
    Pickup {
        /// The colleague's extension (as watched).
        ext: String,
    },
    /// Park a call with the PBX's in-call park code (UCM `#72`).
    Park {
        /// The call.
        call: String,
    },
    /// Set our own status (published with PUBLISH for now).
    SetPresence {
        /// available, away, chat, dnd, unavailable or custom.
        status: String,
        /// Note; for `custom` the status text (up to 64 characters).
        note: Option<String>,
        /// Entity tag of a state published earlier (by a previous run) to modify.
        #[serde(default)]
        etag: Option<String>,
    },
    /// Mute or unmute our microphone on a call (local: stop sending audio).
    Mute {
        /// The call.
        call: String,
        /// True to mute, false to unmute.
        muted: bool,
    },
    /// Choose the sound devices by name (`None`: the system default), for the calls running
    /// now and the next ones. Ignored for calls that use WAV files.
    SetAudioDevices {
        /// Microphone.
        input: Option<String>,
        /// Speaker or headset.
        output: Option<String>,
        /// Where incoming calls ring.
        ring: Option<String>,
    },
    /// List the sound devices; answered with [`Event::AudioDevices`].
    ListAudioDevices,
    /// Start or stop the audio test of the settings window: the microphone (the chosen input
    /// device) is measured and reported as [`Event::AudioLevel`] about ten times a second,
    /// and a 440 Hz tone plays on the output device (or the ring device with `ring`). The
    /// test stops by itself after 30 s; [`Event::AudioTest`] reports start and end.
    AudioTest {
        /// True to start (restarting a running test), false to stop.
        on: bool,
        /// Play the tone on the ring device instead of the output device.
        #[serde(default)]
        ring: bool,
    },
    /// The codecs to offer and accept in new calls, best first (`opus`, `G722`, `PCMU`,
    /// `PCMA`, or `name/rate[/channels]`); codecs left out are not used. Running calls keep theirs.
    SetCodecs {
        /// Codec names in order of preference.
        codecs: Vec<String>,
    },
    /// Report every SIP message sent and received as [`Event::SipMessage`] (off by default).
    SipTrace {
        /// True to start reporting, false to stop.
        on: bool,
    },
}

/// What the engine reports.
// Lamp events are the most frequent ones; boxing them would only add an allocation each.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// The server was resolved and a REGISTER is on its way.
    Registering {
        /// Address of record.
        aor: String,
        /// The server's socket address chosen by DNS.
        server: String,
        /// The transport.
        transport: TransportKind,
    },
    /// The binding is in place.
    Registered {
        /// Address of record.
        aor: String,
        /// Seconds granted.
        expires: u32,
        /// All contacts the registrar lists for the AOR.
        contacts: Vec<String>,
    },
    /// A registration attempt failed.
    RegistrationFailed {
        /// Address of record.
        aor: String,
        /// SIP status code, `null` for timeouts and network errors.
        code: Option<u16>,
        /// Human-readable reason.
        reason: String,
        /// Milliseconds until the next attempt; `null` when it will not retry by itself.
        retry_in_ms: Option<u64>,
    },
    /// The binding was removed.
    Unregistered {
        /// Address of record.
        aor: String,
    },
    /// A transport-level problem (DNS, connect, TLS, socket).
    NetworkError {
        /// What failed.
        reason: String,
    },
    /// A watched colleague's lamp changed.
    Lamp(LampEvent),
    /// A call changed state.
    Call {
        /// Our id for the call (use it in commands).
        id: String,
        /// ringing, early, answered, held or ended.
        state: String,
        /// `in` or `out`.
        direction: String,
        /// The other party (display name and URI as known).
        remote: String,
        /// SIP status code that caused the state, if any (486, 603, 487…).
        code: Option<u16>,
        /// Why, for `ended` (and for failures).
        reason: Option<String>,
    },
    /// An incoming call was forwarded by our own rules (302 Moved Temporarily), before the
    /// `ended` event of that call.
    Forwarded {
        /// Our id for the call.
        id: String,
        /// The caller.
        remote: String,
        /// Where the call was sent (SIP URI).
        target: String,
        /// `unconditional`, `user-busy` or `no-answer` (as in the Diversion header).
        kind: String,
        /// Why, in words (for the UI and the log).
        reason: String,
    },
    /// A transfer's progress: `requested` (the other side asks us to call `target`),
    /// `accepted`, `trying`, `done` (the transferee reached the target; our call ends) or
    /// `failed` (with the code; our call stays); `replaced` when an INVITE with Replaces from
    /// `target` takes the place of call `id` (attended transfer to us, or a pickup of the
    /// callee we are ringing): the new call follows as an incoming call, and `id` ends.
    Transfer {
        /// The call being transferred.
        id: String,
        /// requested, accepted, trying, done, failed or replaced.
        state: String,
        /// The transfer target (SIP URI).
        target: String,
        /// The SIP status behind the state, if any.
        code: Option<u16>,
    },
    /// Media statistics of a call, sent when it ends.
    Media {
        /// The call.
        id: String,
        /// Codec used (PCMU, PCMA…).
        codec: String,
        /// RTP packets received.
        rx_packets: u64,
        /// RTP packets sent.
        tx_packets: u64,
        /// Packets lost (expected − received).
        lost: i64,
        /// Interarrival jitter (RFC 3550) in milliseconds.
        jitter_ms: f64,
        /// Malformed RTP packets dropped.
        malformed: u64,
        /// Packets from another source or SSRC dropped.
        foreign: u64,
        /// Round-trip time from the peer's RTCP reports (RFC 3550 §6.4.1), latest, in ms.
        #[serde(default)]
        rtt_ms: Option<f64>,
        /// Packets of ours the peer reports lost (cumulative, its latest RTCP report).
        #[serde(default)]
        remote_lost: Option<i64>,
        /// Interarrival jitter the peer measures on our stream (its latest report), in ms.
        #[serde(default)]
        remote_jitter_ms: Option<f64>,
        /// Valid RTCP datagrams received.
        #[serde(default)]
        rtcp_rx: u64,
        /// RTCP datagrams sent (reports and BYE).
        #[serde(default)]
        rtcp_tx: u64,
        /// Milliseconds from the media start (the answer) to the first received audio frame
        /// handed to playback; `None` when none came.
        #[serde(default)]
        first_audio_ms: Option<f64>,
    },
    /// A DTMF digit received (RFC 4733).
    Dtmf {
        /// The call.
        id: String,
        /// The digit.
        digit: String,
    },
    /// Our status was published.
    Published {
        /// How it was applied: `publish` (later also `ucm-api`, `feature-codes`).
        via: String,
        /// The status word.
        status: String,
        /// Seconds the server keeps it.
        expires: u32,
        /// The server's entity tag for our state (to modify it from a later run).
        etag: Option<String>,
    },
    /// The forwarding rules were sent to the PBX (`ok`), or sending them failed (`reason`;
    /// retried in `retry_in_ms` unless `null`).
    RulesSynced {
        /// How: `ucm-api`.
        via: String,
        /// True when the PBX took them (and read back what was sent).
        ok: bool,
        /// Why it failed.
        reason: Option<String>,
        /// Milliseconds until the next attempt; `null` when it will not retry.
        retry_in_ms: Option<u64>,
    },
    /// Publishing our status failed.
    PublishFailed {
        /// How it was tried.
        via: String,
        /// Status code, `null` for timeouts.
        code: Option<u16>,
        /// Why.
        reason: String,
        /// True when the server does not take PUBLISH at all (489/405/501).
        unsupported: bool,
        /// Milliseconds until the next attempt; `null` when it will not retry.
        retry_in_ms: Option<u64>,
    },
    /// Our published status was removed (on exit).
    Unpublished {
        /// How it had been applied.
        via: String,
    },
    /// The engine has stopped; no more events follow.
    Stopped,
    /// A sound device of a call was opened, moved (hot-plug) or could not be opened.
    Audio {
        /// The call, if the stream belongs to one.
        id: Option<String>,
        /// input, output or ring.
        role: String,
        /// opened, moved or failed.
        state: String,
        /// The device in use now, `null` when none could be opened.
        device: Option<String>,
        /// Why (the device error, or what changed).
        reason: Option<String>,
    },
    /// The sound devices there are (answer to [`Command::ListAudioDevices`]).
    AudioDevices {
        /// Microphones, by the name to choose them with.
        inputs: Vec<String>,
        /// Speakers and headsets (also the choices for the ring device).
        outputs: Vec<String>,
        /// The system's default input, if any.
        default_input: Option<String>,
        /// The system's default output, if any.
        default_output: Option<String>,
        /// Why the list is empty or incomplete, if the backend said so.
        error: Option<String>,
    },
    /// The audio test's microphone level, about ten times a second while the test runs.
    AudioLevel {
        /// RMS level of the last 100 ms in dBFS (−96 for silence, 0 for full scale).
        input_dbfs: f32,
        /// Peak level of the last 100 ms in dBFS.
        peak_dbfs: f32,
        /// The input device measured.
        device: Option<String>,
    },
    /// The audio test started, stopped or could not start.
    AudioTest {
        /// started, stopped or failed.
        state: String,
        /// The input device in use (`null` when none could be opened).
        input: Option<String>,
        /// The device the tone plays on (`null` when none could be opened).
        output: Option<String>,
        /// Why it stopped or failed (`stopped`, `timed out after 30 s`, the device error).
        reason: Option<String>,
    },
    /// A SIP message sent or received (only while [`Command::SipTrace`] is on).
    SipMessage {
        /// `in` or `out`.
        direction: String,
        /// The other end's socket address.
        remote: String,
        /// udp, tcp or tls.
        transport: String,
        /// When, in milliseconds since the Unix epoch.
        at_ms: u64,
        /// The whole message as text (bytes that are not UTF-8 replaced).
        text: String,
    },
}

/// One lamp on the wall: a watched colleague's merged state, ready to draw or print.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LampEvent {
    /// The extension (or URI) as the user gave it.
    pub ext: String,
    /// The SIP URI watched.
    pub uri: String,
    /// available, away, chat, dnd, unavailable, custom or unknown.
    pub status: String,
    /// The note or custom text, if any.
    pub note: Option<String>,
    /// What the key shows for the status ("Away", "Do Not Disturb", the custom text…).
    pub label: String,
    /// idle, ringing, busy, held, offline or unknown.
    pub line: String,
    /// green, red or off (presence-watcher view: status colour with the line overlaid).
    pub led: String,
    /// True when the LED blinks (a ringing line).
    pub blink: bool,
    /// True when the state is current (an active subscription delivered it).
    pub fresh: bool,
    /// unknown, pending, fresh, stale or failed.
    pub freshness: String,
    /// Caller of a ringing line (display name and number).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub caller: Option<String>,
    /// The other party of a busy line, when known.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub peer: Option<String>,
    /// Why the subscription is stale or failed.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub reason: Option<String>,
    /// LED of the BLF view (line state only).
    pub blf_led: String,
    /// Whether the BLF LED blinks.
    pub blf_blink: bool,
}
