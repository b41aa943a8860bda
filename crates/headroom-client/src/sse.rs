//! An incremental Server-Sent Events decoder.
//!
//! Framing follows mini-redis: bytes are pushed into a buffer as they arrive, and
//! [`SseDecoder::next_event`] either returns a complete event or `Ok(None)` ("incomplete,
//! push more"), never an error for a partial frame. The result is the same however the
//! byte stream is split (a property test checks this).
//!
//! Handles what real servers send: `\n`, `\r\n` and lone `\r` line ends (a `\r` at the
//! end of the buffer waits for the next byte so a split `\r\n` is not read as two line
//! ends), multi-line `data:` (joined with `\n`), `data:` with or without the space,
//! comments (`: ping`), `event:` types, `id:`/`retry:` (ignored), a leading UTF-8 BOM, and
//! a last event without its blank line at end of stream.
//!
//! The event borrows the decoder's buffers: decoding allocates nothing in steady state.

/// Longest line accepted before the stream is declared malformed (protects memory).
pub const MAX_LINE: usize = 16 << 20;

/// One dispatched event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Event<'a> {
    /// The `event:` field, if any.
    pub event: Option<&'a [u8]>,
    /// The `data:` lines joined with `\n`.
    pub data: &'a [u8],
}

/// The stream cannot be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SseError {
    /// A single line grew beyond [`MAX_LINE`] bytes.
    #[error("an SSE line exceeded {MAX_LINE} bytes")]
    LineTooLong,
}

/// Incremental SSE decoder.
#[derive(Debug, Default)]
pub struct SseDecoder {
    buf: Vec<u8>,
    /// Bytes of `buf` already consumed.
    pos: usize,
    /// Where the newline search resumes (avoids rescanning a long partial line).
    scan: usize,
    data: Vec<u8>,
    has_data: bool,
    event: Vec<u8>,
    has_event: bool,
    started: bool,
    /// The data/event of the last dispatched event, lent out by `next_event`.
    out_data: Vec<u8>,
    out_event: Vec<u8>,
    out_has_event: bool,
}

impl SseDecoder {
    /// A new decoder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends received bytes.
    pub fn push(&mut self, bytes: &[u8]) {
        if self.pos > 0 && (self.pos == self.buf.len() || self.pos > self.buf.len() / 2) {
            self.buf.drain(..self.pos);
            self.scan -= self.pos;
            self.pos = 0;
        }
        self.buf.extend_from_slice(bytes);
    }

    /// Bytes buffered but not yet decoded.
    pub fn buffered(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// The next complete event, `Ok(None)` when more bytes are needed.
    pub fn next_event(&mut self) -> Result<Option<Event<'_>>, SseError> {
        if self.next_inner(false)? {
            Ok(Some(self.lend()))
        } else {
            Ok(None)
        }
    }

    /// At end of stream: decodes a final unterminated line and dispatches a pending event
    /// that lacks its blank line. Call repeatedly until `None`.
    pub fn finish(&mut self) -> Option<Event<'_>> {
        match self.next_inner(true) {
            Ok(true) => Some(self.lend()),
            _ => None,
        }
    }

    fn lend(&self) -> Event<'_> {
        Event {
            event: self.out_has_event.then_some(self.out_event.as_slice()),
            data: &self.out_data,
        }
    }

    /// Processes lines until an event is dispatched (`true`) or input runs out.
    fn next_inner(&mut self, eof: bool) -> Result<bool, SseError> {
        if !self.started && (self.buffered() >= 3 || eof) {
            self.started = true;
            if self.buf[self.pos..].starts_with(b"\xEF\xBB\xBF") {
                self.pos += 3;
                self.scan = self.scan.max(self.pos);
            }
        }
        if !self.started {
            return Ok(false);
        }
        loop {
            let from = self.scan.max(self.pos);
            let (line_end, next) = match memchr::memchr2(b'\n', b'\r', &self.buf[from..]) {
                Some(off) => {
                    let i = from + off;
                    if self.buf[i] == b'\r' {
                        match self.buf.get(i + 1) {
                            Some(b'\n') => (i, i + 2),
                            Some(_) => (i, i + 1),
                            // A `\r` at the end may be half of `\r\n`: wait, unless the
                            // stream is over.
                            None if eof => (i, i + 1),
                            None => {
                                self.scan = i;
                                return Ok(false);
                            }
                        }
                    } else {
                        (i, i + 1)
                    }
                }
                None => {
                    if self.buf.len() - self.pos > MAX_LINE {
                        return Err(SseError::LineTooLong);
                    }
                    if eof && self.pos < self.buf.len() {
                        // Final line without a line end.
                        let end = self.buf.len();
                        let start = self.pos;
                        self.pos = end;
                        self.scan = end;
                        self.field(start, end);
                    }
                    if eof && self.has_data {
                        self.dispatch();
                        return Ok(true);
                    }
                    self.scan = self.buf.len();
                    return Ok(false);
                }
            };
            let start = self.pos;
            self.pos = next;
            self.scan = next;
            if line_end == start {
                // Blank line: dispatch if there is data; otherwise just reset the type.
                if self.has_data {
                    self.dispatch();
                    return Ok(true);
                }
                self.has_event = false;
                continue;
            }
            self.field(start, line_end);
        }
    }

    fn field(&mut self, start: usize, end: usize) {
        let line = &self.buf[start..end];
        if line[0] == b':' {
            return; // comment
        }
        let (name, value) = match memchr::memchr(b':', line) {
            Some(c) => {
                let v = &line[c + 1..];
                (&line[..c], v.strip_prefix(b" ").unwrap_or(v))
            }
            None => (line, &b""[..]),
        };
        match name {
            b"data" => {
                if self.has_data {
                    self.data.push(b'\n');
                }
                self.data.extend_from_slice(value);
                self.has_data = true;
            }
            b"event" => {
                self.event.clear();
                self.event.extend_from_slice(value);
                self.has_event = true;
            }
            _ => {} // id, retry and unknown fields are ignored
        }
    }

    fn dispatch(&mut self) {
        std::mem::swap(&mut self.out_data, &mut self.data);
        self.data.clear();
        self.has_data = false;
        std::mem::swap(&mut self.out_event, &mut self.event);
        self.out_has_event = self.has_event;
        self.has_event = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    type Owned = (Option<Vec<u8>>, Vec<u8>);

    fn decode_all(chunks: &[&[u8]]) -> Vec<Owned> {
        let mut d = SseDecoder::new();
        let mut out = Vec::new();
        for c in chunks {
            d.push(c);
            while let Some(e) = d.next_event().unwrap() {
                out.push((e.event.map(<[u8]>::to_vec), e.data.to_vec()));
            }
        }
        while let Some(e) = d.finish() {
            out.push((e.event.map(<[u8]>::to_vec), e.data.to_vec()));
        }
        out
    }

    fn data(s: &str) -> Owned {
        (None, s.as_bytes().to_vec())
    }

    #[test]
    fn the_forms_servers_send() {
        let stream = b"\xEF\xBB\xBF: keep-alive\n\
data: {\"a\":1}\n\n\
data:{\"b\":2}\r\n\r\n\
data: line one\ndata: line two\n\n\
event: error\ndata: {\"error\":\"boom\"}\n\n\
id: 7\nretry: 100\ndata: x\r\rdata: [DONE]";
        let got = decode_all(&[stream]);
        assert_eq!(
            got,
            vec![
                data("{\"a\":1}"),
                data("{\"b\":2}"),
                data("line one\nline two"),
                (Some(b"error".to_vec()), b"{\"error\":\"boom\"}".to_vec()),
                data("x"),
                data("[DONE]"),
            ]
        );
    }

    #[test]
    fn a_split_crlf_is_one_line_end() {
        let got = decode_all(&[b"data: a\r", b"\n\r", b"\ndata: b\n\n"]);
        assert_eq!(got, vec![data("a"), data("b")]);
    }

    #[test]
    fn blank_lines_without_data_dispatch_nothing() {
        assert!(decode_all(&[b"\n\n: c\n\nevent: x\n\n"]).is_empty());
        // The event type of an empty event does not leak into the next one.
        assert_eq!(decode_all(&[b"event: x\n\ndata: y\n\n"]), vec![data("y")]);
    }

    #[test]
    fn incomplete_is_none_not_an_error() {
        let mut d = SseDecoder::new();
        d.push(b"data: {\"partial\":");
        assert_eq!(d.next_event(), Ok(None));
        d.push(b"1}\n");
        assert_eq!(d.next_event(), Ok(None));
        d.push(b"\n");
        assert_eq!(d.next_event().unwrap().unwrap().data, b"{\"partial\":1}");
    }

    #[test]
    fn a_huge_line_is_refused() {
        let mut d = SseDecoder::new();
        d.push(b"data: ");
        d.push(&vec![b'x'; MAX_LINE + 1]);
        assert_eq!(d.next_event(), Err(SseError::LineTooLong));
    }

    fn arb_stream() -> impl Strategy<Value = Vec<u8>> {
        let line = prop_oneof![
            Just(b"data: {\"x\":1}".to_vec()),
            Just(b"data:[DONE]".to_vec()),
            Just(b"data: multi".to_vec()),
            Just(b": comment".to_vec()),
            Just(b"event: error".to_vec()),
            Just(b"id: 1".to_vec()),
            Just(Vec::new()),
            "[a-z \\{\\}:\"]{0,12}".prop_map(|s| format!("data: {s}").into_bytes()),
        ];
        let eol = prop_oneof![
            Just(b"\n".to_vec()),
            Just(b"\r\n".to_vec()),
            Just(b"\r".to_vec())
        ];
        proptest::collection::vec((line, eol), 0..40).prop_map(|v| {
            v.into_iter()
                .flat_map(|(mut l, e)| {
                    l.extend(e);
                    l
                })
                .collect()
        })
    }

    proptest! {
        /// The same events come out however the bytes are split.
        #[test]
        fn any_split_gives_the_same_events(stream in arb_stream(), cuts in proptest::collection::vec(0usize..10_000, 0..30)) {
            let whole = decode_all(&[&stream]);
            let mut points: Vec<usize> = cuts.into_iter().map(|c| c % (stream.len() + 1)).collect();
            points.sort_unstable();
            let mut pieces = Vec::new();
            let mut prev = 0;
            for p in points { pieces.push(&stream[prev..p]); prev = p; }
            pieces.push(&stream[prev..]);
            prop_assert_eq!(decode_all(&pieces), whole.clone());
            // Byte by byte too.
            let bytes: Vec<&[u8]> = stream.chunks(1).collect();
            prop_assert_eq!(decode_all(&bytes), whole);
        }
    }
}
