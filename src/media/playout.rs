//! The playout clock of a call: when to take the next frame from the jitter buffer.
//!
//! A fixed 20 ms grid at a random phase makes every frame wait up to one more frame (10 ms on
//! average) after it is due. [`PlayoutClock`] ticks once per frame like the grid, but pulls
//! its phase towards [`JitterBuffer::next_due`](super::JitterBuffer::next_due), the instant
//! the buffer wants its next frame: frames are then played when due, and the jitter buffer's
//! target delay is the whole added delay.
//!
//! * While nothing audible is played (call start, a pause in the stream) the clock jumps
//!   straight to the due instant (the first frame plays as early as it may, and never a frame
//!   late, which would make the buffer skip it).
//! * Afterwards it moves by at most [`MAX_STEP`] per tick, so one playout interval is never
//!   shorter or longer than 20 ms ± 2 ms: the device ring sees a steady stream and its level
//!   keeper ([`crate::media::audio::level`]) absorbs the difference without a click.
//! * Only the phase within a frame is followed (the difference is taken modulo the frame);
//!   whole frames are the jitter buffer's business (stretch and skip).
//! * After a stall (the task was not scheduled for more than a frame) the clock restarts from
//!   now instead of firing a burst of late ticks.
//!
//! Sans-IO: instants are passed in.

use std::time::{Duration, Instant};

/// Largest phase correction per tick once audio is playing.
pub const MAX_STEP: Duration = Duration::from_millis(2);

/// Ticks once per frame, aligned to when the jitter buffer's frames are due.
#[derive(Debug, Clone)]
pub struct PlayoutClock {
    frame: Duration,
    next: Instant,
    /// True once a tick has been aligned to a due instant (then only gentle steps).
    locked: bool,
}

impl PlayoutClock {
    /// A clock whose first tick is at `start`, then every `frame` (at least 1 ms).
    pub fn new(start: Instant, frame: Duration) -> Self {
        PlayoutClock { frame: frame.max(Duration::from_millis(1)), next: start, locked: false }
    }

    /// The instant of the next tick.
    pub fn next_tick(&self) -> Instant {
        self.next
    }

    /// True once the phase follows the jitter buffer (after the first due instant was seen).
    pub fn is_locked(&self) -> bool {
        self.locked
    }

    /// Moves to the following tick after the one at [`PlayoutClock::next_tick`] ran at `now`.
    /// `due` is the jitter buffer's [`next_due`](super::JitterBuffer::next_due) after that
    /// tick's pop; `playing` tells whether that tick played something audible (audio or
    /// concealment); while it did not, the clock may jump to `due` in one go.
    pub fn advance(&mut self, now: Instant, due: Option<Instant>, playing: bool) {
        let mut next = self.next + self.frame;
        if next + self.frame < now {
            // A stall: no burst of catch-up ticks, start again from now.
            next = now;
        }
        if let Some(due) = due {
            next = if playing && self.locked {
                // Only the phase within a frame, and gently.
                let max = duration_ns(MAX_STEP);
                shift(next, phase_difference(due, next, self.frame).clamp(-max, max))
            } else {
                // Nothing played yet: straight to the due instant.
                due
            };
            self.locked = true;
        }
        // Never schedule a tick in the past or more than two frames ahead.
        self.next = next.clamp(now, now + 2 * self.frame);
    }
}

/// `due − next` reduced modulo `frame` into (−frame/2, frame/2], in nanoseconds.
fn phase_difference(due: Instant, next: Instant, frame: Duration) -> i64 {
    let frame_ns = duration_ns(frame).max(1);
    let raw = match due.checked_duration_since(next) {
        Some(d) => duration_ns(d),
        None => -duration_ns(next.duration_since(due)),
    };
    let mut r = raw.rem_euclid(frame_ns);
    if r > frame_ns / 2 {
        r -= frame_ns;
    }
    r
}

fn shift(t: Instant, ns: i64) -> Instant {
    let d = Duration::from_nanos(ns.unsigned_abs());
    if ns >= 0 { t + d } else { t.checked_sub(d).unwrap_or(t) }
}

fn duration_ns(d: Duration) -> i64 {
    d.as_nanos().min(i64::MAX as u128) as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    const FRAME: Duration = Duration::from_millis(20);

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn jumps_to_the_first_due_instant_then_steps_gently() {
        let t0 = Instant::now();
        let mut clock = PlayoutClock::new(t0, FRAME);
        clock.advance(t0, None, false);
        assert_eq!(clock.next_tick(), t0 + ms(20));
        assert!(!clock.is_locked());
        // Frames are due at 33, 53, …: the next tick moves from 40 to 33 at once.
        clock.advance(t0 + ms(20), Some(t0 + ms(33)), false);
        assert_eq!(clock.next_tick(), t0 + ms(33));
        assert!(clock.is_locked());
        // While playing, a new phase (due 8 ms later) is reached 2 ms per tick.
        let mut ticks = Vec::new();
        let mut due = t0 + ms(53 + 8);
        for _ in 0..6 {
            let now = clock.next_tick();
            clock.advance(now, Some(due), true);
            ticks.push(clock.next_tick() - now);
            due += FRAME;
        }
        assert_eq!(ticks, vec![ms(22), ms(22), ms(22), ms(22), ms(20), ms(20)]);
    }

    #[test]
    fn follows_the_phase_only_modulo_a_frame() {
        let t0 = Instant::now();
        let mut clock = PlayoutClock::new(t0, FRAME);
        // Before playing: the first due instant is taken as it is (at most two frames ahead).
        clock.advance(t0, Some(t0 + ms(31)), false);
        assert_eq!(clock.next_tick(), t0 + ms(31));
        // Playing: due 3 frames + 1 ms after the next tick is a 1 ms phase shift, not a wait.
        let now = clock.next_tick();
        clock.advance(now, Some(now + ms(81)), true);
        assert_eq!(clock.next_tick(), now + ms(21));
        // Due 1 ms before the tick after next, one frame back: −1 ms.
        let now = clock.next_tick();
        clock.advance(now, now.checked_sub(ms(1)), true);
        assert_eq!(clock.next_tick(), now + ms(19));
    }

    #[test]
    fn before_playing_a_due_instant_just_past_half_a_frame_is_not_wrapped() {
        let t0 = Instant::now();
        let mut clock = PlayoutClock::new(t0, FRAME);
        // The tick at 30 found the first frame due at 39.75: the next tick is 39.75, not 59.75.
        clock.advance(t0 + ms(30), Some(t0 + Duration::from_micros(39_750)), false);
        assert_eq!(clock.next_tick(), t0 + Duration::from_micros(39_750));
        // Overdue: at once.
        clock.advance(t0 + ms(45), Some(t0 + ms(41)), false);
        assert_eq!(clock.next_tick(), t0 + ms(45));
    }

    #[test]
    fn a_stall_restarts_from_now_without_a_burst() {
        let t0 = Instant::now();
        let mut clock = PlayoutClock::new(t0, FRAME);
        clock.advance(t0, None, false);
        let late = t0 + ms(500);
        clock.advance(late, None, true);
        assert_eq!(clock.next_tick(), late);
        clock.advance(late, None, true);
        assert_eq!(clock.next_tick(), late + FRAME);
    }

    #[test]
    fn never_schedules_in_the_past() {
        let t0 = Instant::now();
        let mut clock = PlayoutClock::new(t0, FRAME);
        for k in 0..1000u64 {
            let now = clock.next_tick() + ms(k % 7);
            let due = t0 + ms((k * 37) % 1000);
            clock.advance(now, Some(due), k % 3 != 0);
            assert!(clock.next_tick() >= now && clock.next_tick() <= now + 2 * FRAME);
        }
    }

    #[test]
    fn popping_when_due_plays_every_frame_at_the_target_delay() {
        use crate::media::{Frame, JitterBuffer, JitterConfig};
        let payload = |i: u32| i.to_be_bytes().to_vec();
        let t0 = Instant::now();
        let mut jb = JitterBuffer::new(JitterConfig::default());
        assert_eq!(jb.next_due(), None);
        // A clean stream arriving 3 ms into each 20 ms slot; pops exactly when due.
        let mut played = Vec::new();
        let mut lags = Vec::new();
        for i in 0..300u32 {
            let arrival = t0 + FRAME * i + ms(3);
            jb.insert(i as u16, i * 160, payload(i), arrival);
            while let Some(due) = jb.next_due().filter(|d| *d < arrival + FRAME) {
                if let Frame::Audio(p) = jb.pop(due) {
                    let n = u32::from_be_bytes([p[0], p[1], p[2], p[3]]);
                    played.push(n);
                    lags.push(due - (t0 + FRAME * n + ms(3)));
                }
            }
        }
        assert_eq!(played, (0..played.len() as u32).collect::<Vec<_>>());
        assert!(played.len() >= 299, "{}", played.len());
        let stats = jb.stats();
        assert_eq!((stats.stretched, stats.skipped, stats.concealed), (0, 0, 0), "{stats:?}");
        // The first frame waits the initial 20 ms (less the first decay step), the last ones
        // the settled 10 ms floor.
        assert_eq!(lags[0], Duration::from_micros(19_750));
        assert_eq!(*lags.last().expect("frames"), ms(10));
        assert!(lags.windows(2).all(|w| w[1] <= w[0]), "the delay only decays");
    }

    /// The engine's receive path with the aligned clock: 10 % loss and ±40 ms jitter leave a
    /// 1 kHz tone intact (no gap longer than one concealed frame), and the buffer's target
    /// rises to cover the jitter.
    #[test]
    fn aligned_playout_survives_loss_and_jitter() {
        use crate::media::sim::{ChannelConfig, LossyChannel};
        use crate::media::{Codec, Concealer, Frame, JitterBuffer, JitterConfig, Pcmu, ToneGenerator, goertzel};
        use crate::media::{ReceiverConfig, RtpReceiver, RtpSender};
        use rand::SeedableRng;

        let peer = std::net::SocketAddr::from(([192, 0, 2, 10], 4000));
        for seed in 1..=6u64 {
            let t0 = Instant::now();
            let mut tone = ToneGenerator::sine(1000.0, 8000, 8000);
            let mut sender = RtpSender::new(9, 1, 0, 0).expect("payload type 0");
            let mut receiver = RtpReceiver::new(ReceiverConfig::new(8000, &[0]));
            let mut jitter = JitterBuffer::new(JitterConfig::default());
            let mut plc = Concealer::new(8000);
            let mut channel = LossyChannel::new(ChannelConfig::default(), rand::rngs::StdRng::seed_from_u64(seed));
            let mut clock = PlayoutClock::new(t0 + ms(7), FRAME);
            let mut out: Vec<(char, Vec<i16>)> = Vec::new();
            let mut max_target = 0.0f64;
            let mut intervals = Vec::new();
            let mut last_tick: Option<Instant> = None;
            // 1 ms steps for 10 s of sending and half a second of draining.
            for t in 0..10_500u64 {
                let now = t0 + ms(t);
                if t % 20 == 0 && t < 10_000 {
                    channel.send(now, sender.send_audio(&Pcmu.encode(&tone.next_frame(160)), 160));
                }
                while let Some(d) = channel.poll(now) {
                    let p = receiver.handle_packet(now, peer, &d).expect("genuine packets");
                    jitter.insert(p.sequence, p.timestamp, p.payload, now);
                }
                max_target = max_target.max(jitter.stats().target_delay_ms);
                // The tick runs in the first millisecond at or after its instant.
                if clock.next_tick() <= now {
                    let frame = match jitter.pop(now) {
                        Frame::Audio(p) => {
                            let pcm = Pcmu.decode(&p);
                            plc.good_frame(&pcm);
                            ('A', pcm)
                        }
                        Frame::Lost => ('L', plc.conceal(160)),
                        Frame::Empty => ('E', vec![0; 160]),
                    };
                    out.push(frame);
                    let audible = out.last().is_some_and(|(k, _)| *k != 'E');
                    clock.advance(now, jitter.next_due(), audible);
                    if let Some(last) = last_tick {
                        intervals.push(now - last);
                    }
                    last_tick = Some(now);
                }
            }
            let first = out.iter().position(|(k, _)| *k == 'A').expect("audio played");
            let last = out.iter().rposition(|(k, _)| *k == 'A').expect("audio played");
            let audio: Vec<i16> = out[first..=last].iter().flat_map(|(_, pcm)| pcm.iter().copied()).collect();
            let kinds: String = out[first..=last].iter().map(|(k, _)| *k).collect();
            let mut run = 0usize;
            let longest = audio.iter().fold(0usize, |longest, &s| {
                run = if s.unsigned_abs() < 80 { run + 1 } else { 0 };
                longest.max(run)
            });
            assert!(longest <= 160, "seed {seed}: silence of {longest} samples; {kinds}");
            let m = goertzel(&audio, 8000, 1000.0);
            assert!(m.snr_db >= 20.0, "seed {seed}: SNR {:.1} dB", m.snr_db);
            assert!(max_target >= 40.0, "seed {seed}: the target stayed at {max_target} ms under ±40 ms jitter");
            // Ticks stay 20 ms ± the 2 ms step (± the 1 ms simulation step) once playing.
            let late = intervals[first + 5..].iter().filter(|d| **d < ms(17) || **d > ms(23)).count();
            assert_eq!(late, 0, "seed {seed}: uneven playout ticks");
        }
    }
}
