//! The step-by-step account of how a call was priced, for people
//! (`bluewhale explain`) and audits (invariant 5). Rendered on demand, so
//! pricing itself never formats text.

use jiff::Timestamp;
use rust_decimal::Decimal;

use crate::bundle::BundleScope;
use crate::model::{Crossing, Rate};
use crate::money::RoundAt;
use crate::price::{Adjustment, Priced};

impl Priced<'_> {
    /// One line per step, in the order the price was computed.
    pub fn explanation(&self) -> Vec<String> {
        let d = &self.detail;
        let version = d.version;
        let start_rate = version.rate(d.destination, usize::from(d.start_band));
        let mut lines = vec![
            format!(
                "tariff {} version {} (valid from {}), {}, zone {}, band crossing {}",
                self.carrier,
                self.version_id,
                local_time(self, self.valid_from),
                self.currency,
                version.time_zone(),
                match version.crossing {
                    Crossing::Start => "start",
                    Crossing::Split => "split",
                },
            ),
            format!("prefix {} → destination {:?}", self.prefix, self.destination),
            format!(
                "start {}, talk {} s, start band {}",
                local_time(self, d.start),
                d.duration_s,
                self.start_band()
            ),
        ];
        let Some(rate) = start_rate else {
            return lines;
        };
        if self.adjustment == Adjustment::Free {
            lines.push(format!(
                "talk {} s ≤ free seconds {}: free, cost {} {}",
                d.duration_s, rate.free_seconds, self.cost, self.currency
            ));
            return lines;
        }
        if let Some(bundle) = &self.bundle {
            lines.push(format!(
                "bundle {} ({}): {} s left, {} leading unit(s) free, {} s spent",
                bundle.name,
                match bundle.scope {
                    BundleScope::Extension => "per extension",
                    BundleScope::Department => "per department",
                },
                bundle.left_before,
                bundle.free_units,
                bundle.seconds
            ));
        }
        if self.adjustment == Adjustment::Bundle {
            lines.push(format!(
                "{} s billed, every unit free in the bundle: cost {} {}",
                self.billed_seconds, self.cost, self.currency
            ));
            return lines;
        }
        if rate.is_stepped() {
            return self.stepped_explanation(lines, rate);
        }
        lines.push(format!(
            "billing {}/{}: first interval {} s + {} increment(s) of {} s = {} s billed, {} unit(s)",
            rate.first_seconds,
            rate.increment_seconds,
            rate.first_seconds,
            self.units - 1,
            rate.increment_seconds,
            self.billed_seconds,
            self.units
        ));
        if !self.connect_fee.is_zero() {
            lines.push(format!("connect fee {}", self.connect_fee));
        }
        for share in self.bands.iter().filter(|s| s.units > 0) {
            let band_rate = version.rate(d.destination, usize::from(share.index)).unwrap_or(rate);
            lines.push(band_line(
                share.band,
                share.first_units,
                share.units,
                band_rate,
                self,
                share.cost,
            ));
        }
        self.closing_lines(lines, rate)
    }

    /// Stepped rates: the steps, then units and cost per band.
    fn stepped_explanation(&self, mut lines: Vec<String>, rate: &Rate) -> Vec<String> {
        let steps: Vec<String> = rate
            .steps
            .iter()
            .map(|s| {
                format!(
                    "from {} s: {} s units at {} per {} s",
                    s.from_seconds, s.increment_seconds, s.price, s.per_seconds
                )
            })
            .collect();
        lines.push(format!(
            "billing in steps ({}): {} s billed, {} unit(s)",
            steps.join("; "),
            self.billed_seconds,
            self.units
        ));
        if !self.connect_fee.is_zero() {
            lines.push(format!("connect fee {}", self.connect_fee));
        }
        for share in self.bands.iter().filter(|s| s.units > 0) {
            lines.push(format!(
                "band {}: {} unit(s), {} s = {}",
                share.band, share.units, share.seconds, share.cost
            ));
        }
        self.closing_lines(lines, rate)
    }

    /// Sum, minimum / maximum, rounding, discount and cost.
    fn closing_lines(&self, mut lines: Vec<String>, rate: &Rate) -> Vec<String> {
        let d = &self.detail;
        let rounding = d.version.rounding;
        lines.push(format!("sum {}", d.subtotal));
        match self.adjustment {
            Adjustment::Minimum => {
                lines.push(format!("below minimum charge {}: raised to it", rate.minimum))
            }
            Adjustment::Maximum => lines.push(format!(
                "above maximum per call {}: capped",
                rate.maximum.unwrap_or_default()
            )),
            Adjustment::None | Adjustment::Free | Adjustment::Bundle => {}
        }
        lines.push(format!(
            "rounded {} to {} decimal(s) {}: {}",
            mode_name(rounding.mode),
            rounding.decimals,
            match rounding.at {
                RoundAt::PerIncrement => "per increment",
                RoundAt::PerCall => "per call",
            },
            self.gross
        ));
        if !d.discount_percent.is_zero() {
            lines.push(format!("discount {}%: −{}", d.discount_percent.normalize(), self.discount));
        }
        lines.push(format!("cost {} {}", self.cost, self.currency));
        lines
    }
}

fn band_line(
    band: &str,
    first_units: u32,
    units: u32,
    rate: &Rate,
    priced: &Priced<'_>,
    cost: Decimal,
) -> String {
    let rounding = priced.detail.version.rounding;
    let increments = units - first_units;
    let mut parts = Vec::new();
    if first_units > 0 {
        parts.push(format!(
            "first {} s at {}",
            rate.first_seconds,
            rounding.part(rate.first_price)
        ));
    }
    if increments > 0 {
        parts.push(format!(
            "{} × {} s at {}",
            increments,
            rate.increment_seconds,
            rounding.part(rate.increment_price)
        ));
    }
    format!("band {band}: {} = {}", parts.join(" + "), cost)
}

fn mode_name(mode: crate::money::RoundMode) -> &'static str {
    match mode {
        crate::money::RoundMode::HalfUp => "half up",
        crate::money::RoundMode::HalfEven => "half even",
        crate::money::RoundMode::Up => "up",
        crate::money::RoundMode::Down => "down",
    }
}

/// `2025-03-30 01:59:59 Sun +01:00` in the tariff's zone.
fn local_time(priced: &Priced<'_>, instant: Timestamp) -> String {
    let zone = priced.detail.version.zone.time_zone();
    instant.to_zoned(zone.clone()).strftime("%Y-%m-%d %H:%M:%S %a %:z").to_string()
}
