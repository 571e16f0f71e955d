//! Calls waiting for their reply, by request id. The reply feed resolves them; a call that gives up removes
//! itself, so a late reply finds nobody and is dropped.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use koprik_proto::events::ExchangeReply;
use tokio::sync::oneshot;

/// The calls in flight on this gateway instance.
///
/// A `std::sync::Mutex`: each operation is one hash-map insert or remove, never held across an await.
#[derive(Default)]
pub struct Pending {
    waiting: Mutex<HashMap<String, oneshot::Sender<ExchangeReply>>>,
}

/// A registered wait; dropping it (answered, timed out or cancelled) unregisters the request id.
pub struct Waiter {
    pending: Arc<Pending>,
    request_id: String,
    /// Resolves with the reply.
    pub reply: oneshot::Receiver<ExchangeReply>,
}

impl Pending {
    /// Registers `request_id` before its request is sent, so that even an instant reply finds its caller.
    pub fn register(self: &Arc<Self>, request_id: &str) -> Waiter {
        let (sender, reply) = oneshot::channel();
        self.lock().insert(request_id.to_owned(), sender);
        Waiter { pending: Arc::clone(self), request_id: request_id.to_owned(), reply }
    }

    /// Hands `reply` to its caller. False when nobody waits for it (a late or duplicate reply).
    pub fn resolve(&self, reply: ExchangeReply) -> bool {
        let sender = self.lock().remove(&reply.request_id);
        sender.is_some_and(|s| s.send(reply).is_ok())
    }

    /// How many calls are waiting.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// True when no call is waiting.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, oneshot::Sender<ExchangeReply>>> {
        self.waiting.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Drop for Waiter {
    fn drop(&mut self) {
        self.pending.lock().remove(&self.request_id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(id: &str) -> ExchangeReply {
        ExchangeReply { request_id: id.into(), ..ExchangeReply::default() }
    }

    #[tokio::test]
    async fn a_reply_reaches_its_waiter() {
        let pending = Arc::new(Pending::default());
        let mut waiter = pending.register("a");
        assert!(pending.resolve(reply("a")));
        assert_eq!((&mut waiter.reply).await.expect("reply").request_id, "a");
    }

    #[test]
    fn late_and_duplicate_replies_are_dropped() {
        let pending = Arc::new(Pending::default());
        drop(pending.register("a"));
        assert!(!pending.resolve(reply("a")), "the waiter gave up");
        assert!(!pending.resolve(reply("b")), "never registered");
        assert!(pending.is_empty());
    }
}
