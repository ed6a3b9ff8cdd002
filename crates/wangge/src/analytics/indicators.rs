//! Evaluation indicators (综合评价) of departments, grids and streets.
//!
//! The counters follow the eGova / `urban-management-platform` department evaluation
//! (`shared/reference/domain.md` §8: 结案率, 按时处置率, 处置率, 超期处置数, 返工数, 返工率; counters
//! needDisposeNum, disposeNum, inTimeDisposeNum, overtimeDisposeNum, reworkNum). Per case
//! (columns in [`super::cases`]):
//!
//! - **应处置数** `accepted`: status is neither 待受理 nor 作废 ([`Status::accepted`]).
//! - **处置数** `handled`: accepted and `closed_at` is set.
//! - **按期处置数** `on_time`: handled and `closed_at ≤ deadline`.
//! - **超期处置数** `overdue`: handled and `closed_at > deadline`.
//! - **返工数** `rework`: accepted and `rework ≥ 1` (cases, not rework events).
//! - **结案数** `closed`: status 结案.
//!
//! Rates (a rate with a zero denominator is undefined, `None`, not 0):
//!
//! | indicator | formula | columns |
//! |---|---|---|
//! | 处置率 `handling_rate` | 处置数 / 应处置数 | status, closed_at |
//! | 按期处置率 `on_time_rate` | 按期处置数 / 应处置数 | status, closed_at, deadline (or time_limit_h + reported_at) |
//! | 超期处置数 `overdue` | count | status, closed_at, deadline (or time_limit_h + reported_at) |
//! | 返工率 `rework_rate` | 返工数 / 处置数 | status, closed_at, rework |
//! | 结案率 `closing_rate` | 结案数 / 应处置数 | status |
//!
//! (按期处置率 over 应处置数 and 返工率 over 处置数 are the reference implementation's choices.)
//! Deadlines are wall-clock: a limit in working days with a holiday calendar must be turned
//! into a `deadline` column first.

use super::cases::{CaseSchema, Column, Status};
use super::time::Timestamp;
use crate::error::Result;

/// Counters of a set of cases (one region, department or the whole table).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// Cases (every good row, whatever its status).
    pub cases: u64,
    /// 应处置数.
    pub accepted: u64,
    /// 处置数.
    pub handled: u64,
    /// 按期处置数.
    pub on_time: u64,
    /// 超期处置数.
    pub overdue: u64,
    /// 返工数.
    pub rework: u64,
    /// 结案数.
    pub closed: u64,
}

impl Tally {
    /// The counters of one case (each 0 or 1; module docs).
    pub fn of_case(
        status: Option<Status>,
        closed_at: Option<Timestamp>,
        deadline: Option<Timestamp>,
        rework: u32,
    ) -> Tally {
        let accepted = status.is_some_and(Status::accepted);
        let handled = accepted && closed_at.is_some();
        let late = match (closed_at, deadline) {
            (Some(c), Some(d)) => Some(c > d),
            _ => None,
        };
        Tally {
            cases: 1,
            accepted: u64::from(accepted),
            handled: u64::from(handled),
            on_time: u64::from(handled && late == Some(false)),
            overdue: u64::from(handled && late == Some(true)),
            rework: u64::from(accepted && rework > 0),
            closed: u64::from(status == Some(Status::Closed)),
        }
    }

    /// Adds another tally.
    pub fn add(&mut self, o: &Tally) {
        self.cases += o.cases;
        self.accepted += o.accepted;
        self.handled += o.handled;
        self.on_time += o.on_time;
        self.overdue += o.overdue;
        self.rework += o.rework;
        self.closed += o.closed;
    }
}

fn ratio(num: u64, den: u64) -> Option<f64> {
    (den > 0).then(|| num as f64 / den as f64)
}

/// An evaluation indicator (module docs for formulas and columns).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Indicator {
    /// 处置率.
    HandlingRate,
    /// 按期处置率.
    OnTimeRate,
    /// 超期处置数.
    Overdue,
    /// 返工率.
    ReworkRate,
    /// 结案率.
    ClosingRate,
}

impl Indicator {
    /// Every indicator, in output order.
    pub const ALL: [Indicator; 5] = [
        Indicator::HandlingRate,
        Indicator::OnTimeRate,
        Indicator::Overdue,
        Indicator::ReworkRate,
        Indicator::ClosingRate,
    ];

    /// The column name used in outputs (`handling_rate`, …).
    pub fn key(self) -> &'static str {
        match self {
            Indicator::HandlingRate => "handling_rate",
            Indicator::OnTimeRate => "on_time_rate",
            Indicator::Overdue => "overdue",
            Indicator::ReworkRate => "rework_rate",
            Indicator::ClosingRate => "closing_rate",
        }
    }

    /// The Chinese name.
    pub fn name_zh(self) -> &'static str {
        match self {
            Indicator::HandlingRate => "处置率",
            Indicator::OnTimeRate => "按期处置率",
            Indicator::Overdue => "超期处置数",
            Indicator::ReworkRate => "返工率",
            Indicator::ClosingRate => "结案率",
        }
    }

    /// Parses a key (`handling_rate`) or a Chinese name (`处置率`).
    pub fn parse(text: &str) -> Option<Indicator> {
        Indicator::ALL
            .into_iter()
            .find(|i| i.key() == text.trim() || i.name_zh() == text.trim())
    }

    /// The columns it needs; deadlines are checked by [`Indicator::check`] separately (a
    /// `deadline` column or `time_limit_h` with `reported_at`).
    pub fn columns(self) -> &'static [Column] {
        match self {
            Indicator::HandlingRate => &[Column::Status, Column::ClosedAt],
            Indicator::OnTimeRate | Indicator::Overdue => &[Column::Status, Column::ClosedAt],
            Indicator::ReworkRate => &[Column::Status, Column::ClosedAt, Column::Rework],
            Indicator::ClosingRate => &[Column::Status],
        }
    }

    fn needs_deadline(self) -> bool {
        matches!(self, Indicator::OnTimeRate | Indicator::Overdue)
    }

    /// [`crate::Error::MissingColumn`] naming the first column the table lacks for it.
    pub fn check(self, schema: &CaseSchema) -> Result<()> {
        let what = format!("{} {}", self.name_zh(), self.key());
        for &c in self.columns() {
            schema.require(c, &what)?;
        }
        if self.needs_deadline() && !schema.has_deadlines() {
            let missing = if schema.has(Column::TimeLimitH) {
                Column::ReportedAt
            } else {
                Column::Deadline
            };
            schema.require(
                missing,
                &format!("{what}; or time_limit_h with reported_at"),
            )?;
        }
        Ok(())
    }

    /// Whether the table has every column it needs.
    pub fn available(self, schema: &CaseSchema) -> bool {
        self.check(schema).is_ok()
    }

    /// Its value for a tally (`None` for a rate with a zero denominator).
    pub fn value(self, t: &Tally) -> Option<f64> {
        match self {
            Indicator::HandlingRate => ratio(t.handled, t.accepted),
            Indicator::OnTimeRate => ratio(t.on_time, t.accepted),
            Indicator::Overdue => Some(t.overdue as f64),
            Indicator::ReworkRate => ratio(t.rework, t.handled),
            Indicator::ClosingRate => ratio(t.closed, t.accepted),
        }
    }
}
