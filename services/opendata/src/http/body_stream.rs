//! A synchronous [`std::io::Write`] whose bytes become an HTTP response body, so that the (synchronous,
//! streaming) format converters can run on a blocking thread and feed a response as they go.
//!
//! The writer cuts the output into chunks of [`CHUNK_BYTES`] and sends them through a bounded channel of
//! [`CHANNEL_CHUNKS`]; when the client reads slowly the channel fills and the converter blocks, so a download
//! holds at most about half a megabyte in flight whatever the version's size. When the client goes away the next
//! send fails and the converter stops with a broken pipe. A conversion that fails midway sends an error, which
//! makes hyper abort the response instead of ending it cleanly: a truncated file never looks complete.

use std::io::{self, Write};

use axum::body::{Body, Bytes};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;

/// The size of one body chunk.
pub const CHUNK_BYTES: usize = 64 * 1024;

/// How many chunks may wait for the client.
pub const CHANNEL_CHUNKS: usize = 8;

/// A client that takes nothing for this long is cut off, so that stalled downloads cannot hold the blocking
/// threads (and with them publication checks and other downloads) for ever.
pub const STALL_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// The writing end; use it on a blocking thread only (it blocks when the client is slow).
pub struct ChannelWriter {
    sender: mpsc::Sender<io::Result<Bytes>>,
    buffer: Vec<u8>,
    runtime: tokio::runtime::Handle,
}

/// A writer and the response body it feeds. Call it on the runtime (the writer waits on it).
pub fn channel() -> (ChannelWriter, Body) {
    let (sender, receiver) = mpsc::channel(CHANNEL_CHUNKS);
    let runtime = tokio::runtime::Handle::current();
    let writer = ChannelWriter { sender, buffer: Vec::with_capacity(CHUNK_BYTES), runtime };
    (writer, Body::from_stream(ReceiverStream::new(receiver)))
}

impl ChannelWriter {
    fn send_buffer(&mut self) -> io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let chunk = std::mem::replace(&mut self.buffer, Vec::with_capacity(CHUNK_BYTES));
        let sent = self.runtime.block_on(tokio::time::timeout(STALL_TIMEOUT, self.sender.send(Ok(Bytes::from(chunk)))));
        match sent {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err(io::Error::new(io::ErrorKind::BrokenPipe, "the client went away")),
            Err(_) => Err(io::Error::new(io::ErrorKind::BrokenPipe, "the client read nothing for a minute")),
        }
    }

    /// Ends the body with an error, so the client sees an aborted transfer, not a short file.
    pub fn abort(self, error: io::Error) {
        // When the client is gone already there is nobody to tell.
        let _ = self.sender.blocking_send(Err(error));
    }
}

impl Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let room = CHUNK_BYTES - self.buffer.len();
        let taken = room.min(data.len());
        self.buffer.extend_from_slice(&data[..taken]);
        if self.buffer.len() == CHUNK_BYTES {
            self.send_buffer()?;
        }
        Ok(taken)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.send_buffer()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::time::Duration;

    use futures::StreamExt;

    use super::*;

    #[tokio::test]
    async fn bytes_arrive_in_order_in_bounded_chunks() {
        let (mut writer, body) = channel();
        let data: Vec<u8> = (0..1_000_000u32).map(|i| (i % 251) as u8).collect();
        let expected = data.clone();
        let producer = tokio::task::spawn_blocking(move || {
            writer.write_all(&data).expect("written");
            writer.flush().expect("flushed");
        });
        let mut stream = body.into_data_stream();
        let mut received = Vec::new();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.expect("a chunk");
            assert!(chunk.len() <= CHUNK_BYTES);
            received.extend_from_slice(&chunk);
        }
        producer.await.expect("the producer ends");
        assert_eq!(received, expected);
    }

    #[tokio::test]
    async fn a_slow_client_blocks_the_writer_so_memory_stays_bounded() {
        let (mut writer, body) = channel();
        let sent = Arc::new(AtomicUsize::new(0));
        let counter = sent.clone();
        let producer = tokio::task::spawn_blocking(move || {
            let chunk = vec![7u8; CHUNK_BYTES];
            for _ in 0..100 {
                if writer.write_all(&chunk).is_err() {
                    return;
                }
                counter.fetch_add(1, Ordering::SeqCst);
            }
        });
        tokio::time::sleep(Duration::from_millis(200)).await;
        // The channel holds CHANNEL_CHUNKS; one more send is blocked in flight.
        assert!(sent.load(Ordering::SeqCst) <= CHANNEL_CHUNKS + 1, "{} chunks buffered", sent.load(Ordering::SeqCst));
        drop(body);
        producer.await.expect("the producer stops once the client is gone");
        assert!(sent.load(Ordering::SeqCst) < 100);
    }

    #[tokio::test]
    async fn a_gone_client_is_a_broken_pipe_and_an_abort_is_a_body_error() {
        let (writer, body) = channel();
        let aborted = tokio::task::spawn_blocking(move || writer.abort(io::Error::other("stored csv damaged")));
        let mut stream = body.into_data_stream();
        assert!(stream.next().await.expect("an item").is_err());
        aborted.await.expect("aborted");

        let (mut writer, body) = channel();
        drop(body);
        let error =
            tokio::task::spawn_blocking(move || writer.write_all(&vec![0; CHUNK_BYTES]).expect_err("no reader"))
                .await
                .expect("joined");
        assert_eq!(error.kind(), io::ErrorKind::BrokenPipe);
    }
}
