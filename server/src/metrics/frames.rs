//! Counting gRPC messages in a body, for `grpc_server_msg_received_total`
//! and `grpc_server_msg_sent_total`.
//!
//! A gRPC body is a sequence of length-prefixed messages: one byte of
//! compression flag, four bytes of big-endian length, then that many bytes.
//! HTTP/2 cuts the body into DATA frames wherever it likes, so a prefix or a
//! message may span chunks. [`MessageCounter`] follows the prefixes across
//! chunks and skips the payloads without reading them: the cost is a few
//! comparisons per chunk, whatever the message size. A message counts once
//! its prefix is complete (its payload may still be on its way).

/// The length of a message prefix.
const PREFIX_LEN: usize = 5;

/// Follows message prefixes through a body's chunks.
#[derive(Debug, Default)]
pub(crate) struct MessageCounter {
    /// The prefix read so far, when it spans chunks.
    prefix: [u8; PREFIX_LEN],
    prefix_len: usize,
    /// Payload bytes of the current message still to skip.
    skip: u64,
}

impl MessageCounter {
    /// Reads the next chunk of the body; returns how many messages started in it.
    pub(crate) fn feed(&mut self, mut chunk: &[u8]) -> u64 {
        let mut started = 0;
        while !chunk.is_empty() {
            if self.skip > 0 {
                let n = usize::try_from(self.skip).map_or(chunk.len(), |skip| skip.min(chunk.len()));
                chunk = &chunk[n..];
                // `n` is at most `skip`, which came from a u32.
                self.skip -= n as u64;
                continue;
            }
            let n = (PREFIX_LEN - self.prefix_len).min(chunk.len());
            self.prefix[self.prefix_len..self.prefix_len + n].copy_from_slice(&chunk[..n]);
            self.prefix_len += n;
            chunk = &chunk[n..];
            if self.prefix_len == PREFIX_LEN {
                let [_, a, b, c, d] = self.prefix;
                self.skip = u64::from(u32::from_be_bytes([a, b, c, d]));
                self.prefix_len = 0;
                started += 1;
            }
        }
        started
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One framed message with `len` payload bytes.
    fn message(len: u32) -> Vec<u8> {
        let mut bytes = vec![0];
        bytes.extend_from_slice(&len.to_be_bytes());
        bytes.extend(std::iter::repeat_n(0xAB, len as usize));
        bytes
    }

    #[test]
    fn whole_messages_in_one_chunk() {
        let mut body = message(3);
        body.extend(message(0));
        body.extend(message(200));
        assert_eq!(MessageCounter::default().feed(&body), 3);
    }

    #[test]
    fn messages_split_at_every_possible_byte() {
        let mut body = message(7);
        body.extend(message(0));
        body.extend(message(1));
        for cut in 0..=body.len() {
            let mut counter = MessageCounter::default();
            let (a, b) = body.split_at(cut);
            assert_eq!(counter.feed(a) + counter.feed(b), 3, "cut at {cut}");
        }
    }

    #[test]
    fn byte_by_byte() {
        let mut body = message(4);
        body.extend(message(2));
        let mut counter = MessageCounter::default();
        let total: u64 = body.chunks(1).map(|byte| counter.feed(byte)).sum();
        assert_eq!(total, 2);
    }

    #[test]
    fn a_message_counts_when_its_prefix_is_complete() {
        let mut counter = MessageCounter::default();
        assert_eq!(counter.feed(&[0, 0, 0]), 0);
        assert_eq!(counter.feed(&[0, 10]), 1);
        assert_eq!(counter.feed(&[1; 10]), 0);
        assert_eq!(counter.feed(&message(1)), 1);
    }

    #[test]
    fn a_huge_declared_length_is_skipped_not_buffered() {
        let mut counter = MessageCounter::default();
        assert_eq!(counter.feed(&[1, 0xFF, 0xFF, 0xFF, 0xFF]), 1);
        assert_eq!(counter.feed(&[0; 4096]), 0);
        assert_eq!(counter.skip, u64::from(u32::MAX) - 4096);
    }
}
