//! Receipt photos, as the vision model read them.

use super::Machine;
use crate::ai::ReceiptReading;
use crate::parse::{self, Item};
use crate::reply;

impl Machine<'_, '_> {
    /// Turns what the vision model read into an expense, or into a question
    /// for the amount when it read none; a photo is never dropped.
    pub(super) fn on_receipt(&mut self, reading: Option<ReceiptReading>, caption: Option<String>) {
        let language = self.language();
        let reading = reading.unwrap_or(ReceiptReading {
            amount: None,
            merchant: None,
            spent_on: None,
        });
        let description = caption
            .map(|text| text.trim().to_owned())
            .filter(|text| !text.is_empty())
            .or_else(|| reading.merchant.clone())
            .unwrap_or_else(|| reply::receipt_description(language).to_owned());
        let spent_on = reading.spent_on.unwrap_or(self.turn.today);
        let merchant = reading.merchant;
        let item = match reading.amount {
            // A total above the maximum is more likely misread than real,
            // so the user is told and asked for the amount.
            Some(amount) if !amount.is_recordable() => {
                self.reply_too_large(amount);
                Item::MissingAmount {
                    description,
                    merchant,
                    spent_on,
                }
            }
            None => {
                self.reply_text(reply::receipt_unreadable(language));
                Item::MissingAmount {
                    description,
                    merchant,
                    spent_on,
                }
            }
            Some(amount) => {
                let draft = parse::Draft {
                    amount,
                    spent_on,
                    description,
                    merchant,
                };
                Item::dated(draft, self.turn.today)
            }
        };
        self.take_items(vec![item]);
    }
}
