//! The maximum amount in the flow: an expense or an answer above
//! [`MAX_AMOUNT_MINOR`](crate::money::MAX_AMOUNT_MINOR) is never recorded,
//! and the user is told the maximum instead.

use super::Machine;
use crate::money::Money;
use crate::parse::{AmountReading, Item};
use crate::reply;

impl Machine<'_, '_> {
    /// Tells the user that `amount` is above the maximum.
    pub(super) fn reply_too_large(&mut self, amount: Money) {
        let text = reply::amount_too_large(self.language(), amount, self.locale());
        self.reply_text(text);
    }

    /// Returns the item with only the readings of its amount that can be
    /// recorded. Returns `None` after telling the user when none can. An
    /// ambiguous amount left with one reading becomes that amount.
    pub(super) fn within_maximum(&mut self, item: Item) -> Option<Item> {
        let today = self.turn.today;
        match item {
            Item::Expense(draft) | Item::UnusualDate { draft } if !draft.amount.is_recordable() => {
                self.reply_too_large(draft.amount);
                None
            }
            Item::AmbiguousAmount {
                mut draft,
                candidates,
            } => {
                let first = draft.amount;
                let kept: Vec<Money> = candidates
                    .into_iter()
                    .filter(|amount| amount.is_recordable())
                    .collect();
                match kept.as_slice() {
                    [] => {
                        self.reply_too_large(first);
                        None
                    }
                    [only] => {
                        draft.amount = *only;
                        Some(Item::dated(draft, today))
                    }
                    [most_likely, ..] => {
                        draft.amount = *most_likely;
                        Some(Item::AmbiguousAmount {
                            draft,
                            candidates: kept,
                        })
                    }
                }
            }
            other => Some(other),
        }
    }

    /// Returns the reading of an answer with only the amounts that can be
    /// recorded, or the first amount above the maximum when none can.
    pub(super) fn reading_within_maximum(reading: AmountReading) -> Result<AmountReading, Money> {
        match reading {
            AmountReading::Exact(amount) if !amount.is_recordable() => Err(amount),
            AmountReading::Ambiguous(candidates) => {
                let first = candidates.first().copied();
                let kept: Vec<Money> = candidates
                    .into_iter()
                    .filter(|amount| amount.is_recordable())
                    .collect();
                match (kept.as_slice(), first) {
                    ([], Some(first)) => Err(first),
                    ([], None) => Ok(AmountReading::None),
                    ([only], _) => Ok(AmountReading::Exact(*only)),
                    _ => Ok(AmountReading::Ambiguous(kept)),
                }
            }
            other => Ok(other),
        }
    }
}
