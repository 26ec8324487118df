//! Newline-delimited framing over any `BufRead`/`Write` pair: stdio in production, byte buffers
//! in tests.
//!
//! A line is capped: a longer one is skipped to its newline without ever being held whole, so a
//! runaway client cannot exhaust memory, and the next line is read normally.

use std::io::{self, BufRead, Write};

use serde::Serialize;

/// The longest line served; longer lines are answered with an error and discarded.
pub const MAX_LINE_BYTES: usize = 4 * 1024 * 1024;

/// One unit read from the input stream.
#[derive(Debug, PartialEq, Eq)]
pub enum Frame {
    /// A line without its `\n` or `\r\n`. The last line may lack a newline.
    Line(Vec<u8>),
    /// A line longer than the cap, already discarded.
    TooLong,
    /// The input is closed.
    Eof,
}

/// Reads [`Frame`]s, holding at most `max` bytes of a line at any time.
pub struct LineReader<R> {
    inner: R,
    max: usize,
}

impl<R: BufRead> LineReader<R> {
    /// Wraps `inner`; lines longer than `max` bytes become [`Frame::TooLong`].
    pub fn new(inner: R, max: usize) -> Self {
        Self { inner, max }
    }

    /// Reads the next frame.
    pub fn next_frame(&mut self) -> io::Result<Frame> {
        let mut line = Vec::new();
        let mut too_long = false;
        loop {
            let available = match self.inner.fill_buf() {
                Ok(available) => available,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if available.is_empty() {
                return Ok(match (too_long, line.is_empty()) {
                    (true, _) => Frame::TooLong,
                    (false, true) => Frame::Eof,
                    (false, false) => Frame::Line(trim_cr(line)),
                });
            }
            let newline = available.iter().position(|&b| b == b'\n');
            let chunk = newline.map_or(available, |at| &available[..at]);
            if !too_long && line.len() + chunk.len() <= self.max {
                line.extend_from_slice(chunk);
            } else {
                too_long = true;
                line = Vec::new();
            }
            let consumed = newline.map_or(available.len(), |at| at + 1);
            self.inner.consume(consumed);
            if newline.is_some() {
                return Ok(if too_long {
                    Frame::TooLong
                } else {
                    Frame::Line(trim_cr(line))
                });
            }
        }
    }
}

fn trim_cr(mut line: Vec<u8>) -> Vec<u8> {
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    line
}

/// Writes one message as compact JSON and a bare `\n`, then flushes: hosts read line by line
/// and must see each answer at once.
pub fn write_message(out: &mut impl Write, message: &impl Serialize) -> io::Result<()> {
    let mut line = serde_json::to_vec(message).map_err(io::Error::other)?;
    line.push(b'\n');
    out.write_all(&line)?;
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(input: &[u8], max: usize) -> Vec<Frame> {
        // A tiny buffer exercises lines that span many reads.
        let mut reader = LineReader::new(io::BufReader::with_capacity(3, input), max);
        let mut frames = Vec::new();
        loop {
            let frame = reader.next_frame().unwrap();
            if frame == Frame::Eof {
                return frames;
            }
            frames.push(frame);
        }
    }

    #[test]
    fn splits_lines_and_strips_crlf() {
        assert_eq!(
            frames(b"ab\r\n\ncd\nef", 10),
            vec![
                Frame::Line(b"ab".to_vec()),
                Frame::Line(Vec::new()),
                Frame::Line(b"cd".to_vec()),
                Frame::Line(b"ef".to_vec()),
            ]
        );
    }

    #[test]
    fn over_long_lines_are_skipped_and_the_next_line_is_served() {
        assert_eq!(
            frames(b"0123456789A\nok\n0123456789ABC", 10),
            vec![Frame::TooLong, Frame::Line(b"ok".to_vec()), Frame::TooLong,]
        );
        assert_eq!(
            frames(b"0123456789\n", 10),
            vec![Frame::Line(b"0123456789".to_vec())]
        );
    }

    #[test]
    fn writes_compact_json_with_bare_newline() {
        let mut out = Vec::new();
        write_message(&mut out, &serde_json::json!({"a": "x\ny"})).unwrap();
        assert_eq!(out, b"{\"a\":\"x\\ny\"}\n");
    }
}
