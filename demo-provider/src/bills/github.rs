//! GitHub's reports of the demo's Copilot: the seat list and billed usage per day and model.
//!
//! Premium requests at 0.04 USD before 2026-06-01, AI credits at 0.01 USD from then on.

use std::collections::BTreeMap;

use reconciler::{Usd, UtcDay};
use rust_decimal::Decimal;

use crate::calendar::add_days;
use crate::models::CopilotModel;
use crate::org::Person;
use crate::scenario::Scenario;
use crate::usage::{CopilotUsage, ai_credits_start};

/// How GitHub bills a day's Copilot usage.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Unit {
    PremiumRequests,
    AiCredits,
}

impl Unit {
    pub(crate) fn of(day: UtcDay) -> Unit {
        if ai_credits_start().is_some_and(|start| day >= start) {
            Unit::AiCredits
        } else {
            Unit::PremiumRequests
        }
    }

    pub(crate) fn sku(self) -> &'static str {
        match self {
            Unit::PremiumRequests => "Copilot Premium Request",
            Unit::AiCredits => "Copilot AI Credits",
        }
    }

    pub(crate) fn unit_type(self) -> &'static str {
        match self {
            Unit::PremiumRequests => "requests",
            Unit::AiCredits => "credits",
        }
    }

    pub(crate) fn price(self) -> Decimal {
        match self {
            Unit::PremiumRequests => Decimal::new(4, 2),
            Unit::AiCredits => Decimal::new(1, 2),
        }
    }
}

/// One usage item of a day's report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Item {
    pub(crate) model: CopilotModel,
    pub(crate) unit: Unit,
    pub(crate) quantity: u64,
}

impl Item {
    /// Gross = net: the demo's plan includes no allowance, so nothing is discounted.
    pub(crate) fn amount(&self) -> Usd {
        Decimal::from(self.quantity)
            .checked_mul(self.unit.price())
            .and_then(|usd| Usd::from_decimal(usd).ok())
            .unwrap_or_default()
    }
}

/// One Copilot seat.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Seat {
    pub(crate) login: String,
    pub(crate) github_id: u64,
    /// When the seat was assigned: before the history starts.
    pub(crate) created: UtcDay,
    /// The person's last day with Copilot usage.
    pub(crate) last_active: Option<UtcDay>,
}

#[derive(Debug, Default)]
pub(crate) struct GithubBill {
    pub(crate) seats: Vec<Seat>,
    pub(crate) items: BTreeMap<UtcDay, Vec<Item>>,
}

impl GithubBill {
    pub(crate) fn build(
        usage: &[CopilotUsage],
        people: &[Person],
        scenario: &Scenario,
    ) -> GithubBill {
        let mut items: BTreeMap<(UtcDay, CopilotModel), u64> = BTreeMap::new();
        for entry in usage.iter().filter(|u| u.reported) {
            *items.entry((entry.day, entry.model)).or_default() += entry.units;
        }
        let mut bill = GithubBill::default();
        for ((day, model), quantity) in items {
            bill.items.entry(day).or_default().push(Item {
                model,
                unit: Unit::of(day),
                quantity,
            });
        }
        for (index, person) in people.iter().enumerate() {
            let Some(login) = &person.github_login else {
                continue;
            };
            let last_active = usage
                .iter()
                .filter(|u| u.person == index)
                .map(|u| u.day)
                .max();
            bill.seats.push(Seat {
                login: login.clone(),
                github_id: 81_000_000 + index as u64 * 7_919,
                created: add_days(scenario.first_day, -30 - index as i64),
                last_active,
            });
        }
        bill
    }
}
