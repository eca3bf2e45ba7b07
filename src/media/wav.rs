//! 16-bit PCM mono WAV files (RIFF/WAVE) at any sample rate: a streaming [`WavWriter`] that
//! fills in the chunk sizes when finished, and [`read_wav`], which refuses anything that is
//! not 16-bit mono PCM with an error saying what it found.
//!
//! The writer puts `0xFFFFFFFF` in both size fields until [`WavWriter::finish`] (or drop)
//! patches them, so a recording cut short by a crash still reads: the reader takes a data
//! chunk longer than the file as "up to the end of the file".

use std::fmt;
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::Path;

/// Size of the header [`WavWriter`] writes (RIFF, `fmt ` and `data` chunk headers).
const HEADER_LEN: u64 = 44;
/// `WAVE_FORMAT_PCM`.
const FORMAT_PCM: u16 = 1;
/// `WAVE_FORMAT_EXTENSIBLE`: the real format is in the sub-format GUID.
const FORMAT_EXTENSIBLE: u16 = 0xFFFE;

/// Writes a 16-bit PCM mono WAV stream.
#[derive(Debug)]
pub struct WavWriter<W: Write + Seek> {
    inner: Option<W>,
    sample_rate: u32,
    data_bytes: u64,
}

impl WavWriter<BufWriter<File>> {
    /// Creates (or truncates) the file at `path`.
    pub fn create(path: impl AsRef<Path>, sample_rate: u32) -> io::Result<Self> {
        WavWriter::new(BufWriter::new(File::create(path)?), sample_rate)
    }
}

impl<W: Write + Seek> WavWriter<W> {
    /// Writes the header with provisional sizes; samples follow.
    pub fn new(mut inner: W, sample_rate: u32) -> io::Result<Self> {
        inner.write_all(&header(sample_rate, u32::MAX))?;
        Ok(WavWriter { inner: Some(inner), sample_rate, data_bytes: 0 })
    }

    /// The sample rate in the header.
    pub fn sample_rate(&self) -> u32 {
        self.sample_rate
    }

    /// Samples written so far.
    pub fn samples_written(&self) -> u64 {
        self.data_bytes / 2
    }

    /// Appends samples (little-endian). Fails once the file would exceed the 4 GiB RIFF limit.
    pub fn write_samples(&mut self, samples: &[i16]) -> io::Result<()> {
        let bytes = samples.len() as u64 * 2;
        if self.data_bytes + bytes + HEADER_LEN - 8 > u64::from(u32::MAX - 1) {
            return Err(io::Error::other("WAV data would exceed the 4 GiB RIFF limit"));
        }
        let inner = self.inner.as_mut().ok_or_else(|| io::Error::other("WAV writer already finished"))?;
        let mut buffer = Vec::with_capacity(samples.len() * 2);
        for sample in samples {
            buffer.extend_from_slice(&sample.to_le_bytes());
        }
        inner.write_all(&buffer)?;
        self.data_bytes += bytes;
        Ok(())
    }

    /// Writes the final sizes into the header, flushes and returns the inner writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.patch_sizes()?;
        self.inner.take().ok_or_else(|| io::Error::other("WAV writer already finished"))
    }

    fn patch_sizes(&mut self) -> io::Result<()> {
        let Some(inner) = self.inner.as_mut() else { return Ok(()) };
        // write_samples keeps data_bytes + 36 below u32::MAX.
        let data = self.data_bytes as u32;
        inner.seek(SeekFrom::Start(4))?;
        inner.write_all(&(data + 36).to_le_bytes())?;
        inner.seek(SeekFrom::Start(40))?;
        inner.write_all(&data.to_le_bytes())?;
        inner.seek(SeekFrom::End(0))?;
        inner.flush()
    }
}

impl<W: Write + Seek> Drop for WavWriter<W> {
    /// Patches the sizes if [`WavWriter::finish`] was not called (errors cannot be reported here).
    fn drop(&mut self) {
        let _ = self.patch_sizes();
    }
}

/// The 44-byte header of a 16-bit PCM mono file with `data_len` data bytes.
fn header(sample_rate: u32, data_len: u32) -> [u8; 44] {
    let mut h = [0u8; 44];
    h[0..4].copy_from_slice(b"RIFF");
    h[4..8].copy_from_slice(&data_len.saturating_add(36).to_le_bytes());
    h[8..12].copy_from_slice(b"WAVE");
    h[12..16].copy_from_slice(b"fmt ");
    h[16..20].copy_from_slice(&16u32.to_le_bytes());
    h[20..22].copy_from_slice(&FORMAT_PCM.to_le_bytes());
    h[22..24].copy_from_slice(&1u16.to_le_bytes());
    h[24..28].copy_from_slice(&sample_rate.to_le_bytes());
    h[28..32].copy_from_slice(&sample_rate.saturating_mul(2).to_le_bytes());
    h[32..34].copy_from_slice(&2u16.to_le_bytes());
    h[34..36].copy_from_slice(&16u16.to_le_bytes());
    h[36..40].copy_from_slice(b"data");
    h[40..44].copy_from_slice(&data_len.to_le_bytes());
    h
}

/// A decoded WAV file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wav {
    /// Samples per second.
    pub sample_rate: u32,
    /// The samples.
    pub samples: Vec<i16>,
}

/// Why a WAV file was refused.
#[derive(Debug)]
pub enum WavError {
    /// Reading failed.
    Io(io::Error),
    /// The file does not start with `RIFF`.
    NotRiff,
    /// The RIFF form is not `WAVE`.
    NotWave,
    /// The `fmt ` chunk is missing, comes after the data, or is shorter than 16 bytes.
    BadFormatChunk,
    /// The sample format is not integer PCM (3 is IEEE float, 6/7 are A-law/µ-law).
    NotPcm {
        /// The format tag found (the sub-format for `WAVE_FORMAT_EXTENSIBLE`).
        format_tag: u16,
    },
    /// Not mono.
    Channels(u16),
    /// Not 16 bits per sample.
    BitsPerSample(u16),
    /// No `data` chunk.
    MissingData,
}

impl fmt::Display for WavError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WavError::Io(e) => write!(f, "cannot read WAV file: {e}"),
            WavError::NotRiff => f.write_str("not a WAV file (no RIFF header)"),
            WavError::NotWave => f.write_str("not a WAV file (RIFF form is not WAVE)"),
            WavError::BadFormatChunk => f.write_str("WAV file without a valid fmt chunk before its data"),
            WavError::NotPcm { format_tag } => {
                let name = match format_tag {
                    3 => " (IEEE float)",
                    6 => " (A-law)",
                    7 => " (µ-law)",
                    _ => "",
                };
                write!(f, "WAV format tag {format_tag}{name} is not PCM; only 16-bit PCM mono is supported")
            }
            WavError::Channels(n) => write!(f, "WAV file has {n} channels; only mono is supported"),
            WavError::BitsPerSample(n) => write!(f, "WAV file has {n}-bit samples; only 16-bit is supported"),
            WavError::MissingData => f.write_str("WAV file has no data chunk"),
        }
    }
}

impl std::error::Error for WavError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            WavError::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<io::Error> for WavError {
    fn from(e: io::Error) -> Self {
        WavError::Io(e)
    }
}

/// Reads the WAV file at `path`.
pub fn read_wav_file(path: impl AsRef<Path>) -> Result<Wav, WavError> {
    read_wav(BufReader::new(File::open(path)?))
}

/// Reads a 16-bit PCM mono WAV stream; unknown chunks (`LIST`, `fact`, …) are skipped.
pub fn read_wav<R: Read>(mut reader: R) -> Result<Wav, WavError> {
    let mut riff = [0u8; 12];
    reader.read_exact(&mut riff).map_err(|_| WavError::NotRiff)?;
    if &riff[0..4] != b"RIFF" {
        return Err(WavError::NotRiff);
    }
    if &riff[8..12] != b"WAVE" {
        return Err(WavError::NotWave);
    }
    let mut sample_rate = None;
    loop {
        let mut chunk = [0u8; 8];
        if reader.read_exact(&mut chunk).is_err() {
            return Err(WavError::MissingData);
        }
        let size = u64::from(u32::from_le_bytes([chunk[4], chunk[5], chunk[6], chunk[7]]));
        match &chunk[0..4] {
            b"fmt " => {
                if size < 16 {
                    return Err(WavError::BadFormatChunk);
                }
                let mut body = Vec::new();
                (&mut reader).take(size.min(64)).read_to_end(&mut body)?;
                skip(&mut reader, size.saturating_sub(64) + size % 2)?;
                sample_rate = Some(parse_format(&body)?);
            }
            b"data" => {
                let Some(sample_rate) = sample_rate else { return Err(WavError::BadFormatChunk) };
                let mut bytes = Vec::new();
                reader.take(size).read_to_end(&mut bytes)?;
                let samples = bytes.chunks_exact(2).map(|b| i16::from_le_bytes([b[0], b[1]])).collect();
                return Ok(Wav { sample_rate, samples });
            }
            _ => skip(&mut reader, size + size % 2)?,
        }
    }
}

/// Checks a `fmt ` chunk body; returns the sample rate.
fn parse_format(body: &[u8]) -> Result<u32, WavError> {
    let u16_at = |i: usize| body.get(i..i + 2).map(|b| u16::from_le_bytes([b[0], b[1]]));
    let (Some(mut tag), Some(channels), Some(bits)) = (u16_at(0), u16_at(2), u16_at(14)) else {
        return Err(WavError::BadFormatChunk);
    };
    let rate = body.get(4..8).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]])).ok_or(WavError::BadFormatChunk)?;
    if tag == FORMAT_EXTENSIBLE {
        // cbSize (2), valid bits (2), channel mask (4), then the sub-format GUID whose first
        // two bytes are the format tag.
        tag = u16_at(24).ok_or(WavError::BadFormatChunk)?;
    }
    if tag != FORMAT_PCM {
        return Err(WavError::NotPcm { format_tag: tag });
    }
    if channels != 1 {
        return Err(WavError::Channels(channels));
    }
    if bits != 16 {
        return Err(WavError::BitsPerSample(bits));
    }
    Ok(rate)
}

fn skip<R: Read>(reader: &mut R, bytes: u64) -> io::Result<()> {
    io::copy(&mut reader.take(bytes), &mut io::sink()).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn written(samples: &[i16], rate: u32) -> Vec<u8> {
        let mut writer = WavWriter::new(Cursor::new(Vec::new()), rate).expect("header");
        writer.write_samples(samples).expect("write");
        writer.finish().expect("finish").into_inner()
    }

    #[test]
    fn header_is_canonical() {
        let bytes = written(&[1, -2, 3], 16000);
        assert_eq!(bytes.len(), 44 + 6);
        assert_eq!(&bytes[0..4], b"RIFF");
        assert_eq!(u32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]), 36 + 6);
        assert_eq!(u32::from_le_bytes([bytes[24], bytes[25], bytes[26], bytes[27]]), 16000);
        assert_eq!(u32::from_le_bytes([bytes[28], bytes[29], bytes[30], bytes[31]]), 32000);
        assert_eq!(u32::from_le_bytes([bytes[40], bytes[41], bytes[42], bytes[43]]), 6);
        assert_eq!(&bytes[44..], &[1, 0, 0xFE, 0xFF, 3, 0]);
    }

    #[test]
    fn round_trip_at_any_rate() {
        for rate in [8000, 11025, 16000, 44100, 48000] {
            let samples: Vec<i16> = (0..1000).map(|i| (i * 37 % 65536 - 32768) as i16).collect();
            let wav = read_wav(Cursor::new(written(&samples, rate))).expect("read");
            assert_eq!(wav, Wav { sample_rate: rate, samples });
        }
    }

    #[test]
    fn dropped_writer_patches_sizes_and_unfinished_files_read() {
        let mut buffer = Cursor::new(Vec::new());
        {
            let mut writer = WavWriter::new(&mut buffer, 8000).expect("header");
            writer.write_samples(&[5; 10]).expect("write");
        }
        let bytes = buffer.into_inner();
        assert_eq!(u32::from_le_bytes([bytes[40], bytes[41], bytes[42], bytes[43]]), 20);
        // A file whose writer never patched the header: sizes are 0xFFFFFFFF.
        let mut unfinished = header(8000, u32::MAX).to_vec();
        unfinished.extend_from_slice(&[7, 0, 8, 0, 9]);
        let wav = read_wav(Cursor::new(unfinished)).expect("read");
        assert_eq!(wav.samples, vec![7, 8], "odd trailing byte ignored");
    }

    #[test]
    fn skips_unknown_chunks_and_accepts_extensible_pcm() {
        let mut bytes = b"RIFF\0\0\0\0WAVE".to_vec();
        bytes.extend_from_slice(b"LIST\x03\0\0\0abc\0"); // odd size, padded
        bytes.extend_from_slice(b"fmt \x28\0\0\0");
        let mut fmt = vec![0u8; 40];
        fmt[0..2].copy_from_slice(&FORMAT_EXTENSIBLE.to_le_bytes());
        fmt[2..4].copy_from_slice(&1u16.to_le_bytes());
        fmt[4..8].copy_from_slice(&48000u32.to_le_bytes());
        fmt[14..16].copy_from_slice(&16u16.to_le_bytes());
        fmt[24..26].copy_from_slice(&FORMAT_PCM.to_le_bytes());
        bytes.extend_from_slice(&fmt);
        bytes.extend_from_slice(b"data\x02\0\0\0\x10\x00");
        let wav = read_wav(Cursor::new(bytes)).expect("read");
        assert_eq!((wav.sample_rate, wav.samples), (48000, vec![16]));
    }

    #[test]
    fn refuses_what_is_not_16_bit_pcm_mono() {
        let with = |offset: usize, value: u16| {
            let mut bytes = written(&[0; 4], 8000);
            bytes[offset..offset + 2].copy_from_slice(&value.to_le_bytes());
            read_wav(Cursor::new(bytes)).expect_err("refused")
        };
        let float = with(20, 3);
        assert!(matches!(float, WavError::NotPcm { format_tag: 3 }));
        assert!(float.to_string().contains("IEEE float"), "{float}");
        assert!(matches!(with(20, 7), WavError::NotPcm { format_tag: 7 }));
        assert!(matches!(with(22, 2), WavError::Channels(2)));
        assert!(matches!(with(34, 8), WavError::BitsPerSample(8)));
        assert!(matches!(read_wav(Cursor::new(b"RIFX".to_vec())), Err(WavError::NotRiff)));
        assert!(matches!(read_wav(Cursor::new(b"RIFF\0\0\0\0AVI ".to_vec())), Err(WavError::NotWave)));
        assert!(matches!(read_wav(Cursor::new(b"RIFF\0\0\0\0WAVE".to_vec())), Err(WavError::MissingData)));
        let data_first = b"RIFF\0\0\0\0WAVEdata\x02\0\0\0\x10\x00".to_vec();
        assert!(matches!(read_wav(Cursor::new(data_first)), Err(WavError::BadFormatChunk)));
    }

    #[test]
    fn file_helpers() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("tone.wav");
        let mut writer = WavWriter::create(&path, 8000).expect("create");
        writer.write_samples(&[1, 2, 3]).expect("write");
        assert_eq!(writer.samples_written(), 3);
        writer.finish().expect("finish");
        assert_eq!(read_wav_file(&path).expect("read").samples, vec![1, 2, 3]);
    }
}
