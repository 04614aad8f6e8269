//! What an app remembers for a monitor's `START` (relay spec §9.1): the state before
//! the oldest retained action and up to `max_age` actions, replayed as `INIT` followed
//! by each `ACTION` with consecutive ids.

use std::collections::VecDeque;

use crate::protocol::message::AppLog;

/// What the app remembers for a `START` replay.
#[derive(Default)]
pub(crate) struct History {
    /// JSON of the state before the first retained action.
    init: Option<String>,
    /// (lifted action JSON, state JSON) of the retained actions, oldest first.
    actions: VecDeque<(String, String)>,
    max_age: usize,
}

impl History {
    pub(crate) fn new(max_age: usize) -> History {
        History {
            max_age: max_age.max(1),
            ..History::default()
        }
    }

    pub(crate) fn reset(&mut self, state: String) {
        self.init = Some(state);
        self.actions.clear();
    }

    pub(crate) fn push(&mut self, action: String, state: String) {
        if self.actions.len() >= self.max_age {
            if let Some((_, folded)) = self.actions.pop_front() {
                self.init = Some(folded);
            }
        }
        self.actions.push_back((action, state));
    }

    /// The messages that rebuild the monitor's view: `INIT`, then each action with
    /// consecutive ids. Empty until `init` was called.
    pub(crate) fn replay(&self) -> Vec<AppLog> {
        let Some(init) = &self.init else {
            return Vec::new();
        };
        let mut out = vec![AppLog::Init {
            state: init.clone(),
        }];
        for (i, (action, state)) in self.actions.iter().enumerate() {
            out.push(AppLog::Action {
                action: action.clone(),
                state: state.clone(),
                next_action_id: i as u64 + 2,
            });
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replay_folds_old_actions_into_init() {
        let mut h = History::new(2);
        assert!(h.replay().is_empty());
        h.reset("{\"count\":0}".into());
        for n in 1..=3 {
            h.push(format!("{{\"n\":{n}}}"), format!("{{\"count\":{n}}}"));
        }
        let r = h.replay();
        assert_eq!(
            r[0],
            AppLog::Init {
                state: "{\"count\":1}".into()
            }
        );
        assert_eq!(
            r[1],
            AppLog::Action {
                action: "{\"n\":2}".into(),
                state: "{\"count\":2}".into(),
                next_action_id: 2
            }
        );
        assert_eq!(
            r[2],
            AppLog::Action {
                action: "{\"n\":3}".into(),
                state: "{\"count\":3}".into(),
                next_action_id: 3
            }
        );
    }
}
