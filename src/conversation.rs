//! Conversation state in `CONVERSATION_STATE_KV`, as the runners read and
//! write it around one message.
//!
//! KV holds only the open questions. Every expense is committed to D1 before
//! the state is written, and an expense left `pending_category` is asked
//! about again from D1 once nothing is open. So a KV fault neither fails a
//! message nor loses an expense: a missing binding or a failed read starts
//! from a fresh state, and a failed write is logged. What a fault can lose is
//! an open question whose draft is not in D1 yet (a missing amount, an
//! ambiguous one, a future date), and the user then writes the expense again.
//!
//! KV has no compare-and-swap and is eventually consistent, so two messages
//! of one sender handled at once both read the same state and the later
//! write wins. A message that leaves the conversation as idle as it found
//! it writes nothing, so it never erases a question another message opened.

use worker::{Env, KvStore};

use crate::config::CONVERSATION_STATE_KV;
use crate::events;
use crate::flow::State;
use crate::platform;

/// The state store of one message; without a binding, reads start fresh
/// and writes do nothing.
pub struct Conversations {
    kv: Option<KvStore>,
}

/// A state as it was read, so that saving can tell whether it changed.
pub struct Loaded {
    pub state: State,
    /// Whether KV held no open question for this sender.
    pub was_idle: bool,
}

impl Conversations {
    /// Opens `CONVERSATION_STATE_KV`, logging a missing binding.
    pub fn open(env: &Env, customer_id: &str) -> Conversations {
        let kv = match env.kv(CONVERSATION_STATE_KV) {
            Ok(kv) => Some(kv),
            Err(error) => {
                tracing::warn!(event = events::STATE_LOAD_FAILED, customer_id, error = %error, "CONVERSATION_STATE_KV is not bound; the message is handled without conversation state");
                None
            }
        };
        Conversations { kv }
    }

    /// Reads the state under `key`; a missing binding, a missing key or a
    /// failed read is a fresh state.
    pub async fn load(&self, key: &str, customer_id: &str) -> Loaded {
        let state = match &self.kv {
            Some(kv) => match platform::load_state(kv, key).await {
                Ok(state) => state,
                Err(error) => {
                    tracing::warn!(event = events::STATE_LOAD_FAILED, customer_id, error = %error, "conversation state unavailable; starting fresh");
                    State::default()
                }
            },
            None => State::default(),
        };
        Loaded {
            was_idle: state.is_idle(),
            state,
        }
    }

    /// Writes `state` under `key` unless the conversation was idle and still
    /// is. A failed write is logged and otherwise ignored.
    pub async fn save(&self, key: &str, customer_id: &str, was_idle: bool, state: &State) {
        let Some(kv) = &self.kv else { return };
        if was_idle && state.is_idle() {
            return;
        }
        if let Err(error) = platform::save_state(kv, key, state).await {
            tracing::warn!(event = events::STATE_SAVE_FAILED, customer_id, error = %error, "conversation state not saved; open questions may be asked again");
        }
    }
}
