//! TOML (+ CSV) → `TariffBook`, checking everything pricing relies on so
//! that pricing itself cannot meet a missing rate or band.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use jiff::Timestamp;
use jiff::civil::{Date, DateTime, Time};
use rust_decimal::Decimal;
use rustc_hash::FxHashMap;

use super::LoadError;
use super::format::{BookFile, BundleFile, FORMAT_VERSION, Money, RateFile, VersionFile};
use crate::bands::{BandIndex, BandSchedule, HolidayCalendar, HolidayDate, TimeRange};
use crate::bundle::Bundle;
use crate::discount::{Discounts, VolumeTier};
use crate::fixed::FixedRates;
use crate::model::{
    Band, Carrier, CarrierId, Destination, MAX_BANDS, Rate, Step, TariffBook, TariffVersion,
};
use crate::money::{Currency, MAX_DECIMALS};
use crate::prefix::{Prefix, PrefixTable};
use crate::zone::ZoneTable;

impl TariffBook {
    /// Loads a TOML tariff file; `prefixes_csv` paths are relative to its
    /// folder.
    pub fn load(path: impl AsRef<Path>) -> Result<TariffBook, LoadError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|error| LoadError {
            location: path.display().to_string(),
            message: format!("cannot read: {error}"),
        })?;
        let folder = path.parent().map(Path::to_path_buf).unwrap_or_default();
        Loader::new(&path.display().to_string(), &text, Some(folder)).load()
    }

    /// Parses a TOML tariff book held in memory; it may not refer to CSV
    /// files (use [`TariffBook::load`] for that).
    pub fn from_toml_str(text: &str) -> Result<TariffBook, LoadError> {
        Loader::new("<tariffs>", text, None).load()
    }
}

struct Loader<'t> {
    file: String,
    text: &'t str,
    folder: Option<PathBuf>,
    zones: FxHashMap<String, Arc<ZoneTable>>,
    /// Versions with the same bands, rules and holidays share a schedule.
    schedules: FxHashMap<ScheduleKey, Arc<BandSchedule>>,
}

/// Everything a `BandSchedule` is built from.
#[derive(Clone, PartialEq, Eq, Hash)]
struct ScheduleKey {
    rules: Vec<(BandIndex, TimeRange)>,
    default_band: BandIndex,
    holiday_band: Option<BandIndex>,
    holidays: Vec<HolidayDate>,
    names: Box<[Box<str>]>,
}

/// Where a version's prefix was written, to report duplicates.
#[derive(Clone, Copy)]
enum Origin {
    Inline(u32),
    Csv(u64),
}

/// Which carrier / version / destination an error is about.
#[derive(Clone, Default)]
struct Context<'a> {
    carrier: Option<&'a str>,
    version: Option<&'a str>,
    destination: Option<&'a str>,
    span: Option<Range<usize>>,
}

impl<'a> Context<'a> {
    /// `carrier "X" version "Y" destination "Z"`, as far as known.
    fn describe(&self) -> String {
        let mut path = Vec::new();
        if let Some(carrier) = self.carrier {
            path.push(format!("carrier {carrier:?}"));
        }
        if let Some(version) = self.version {
            path.push(format!("version {version:?}"));
        }
        if let Some(destination) = self.destination {
            path.push(format!("destination {destination:?}"));
        }
        path.join(" ")
    }

    fn with(&self, f: impl FnOnce(&mut Context<'a>)) -> Context<'a> {
        let mut context = self.clone();
        f(&mut context);
        context
    }
}

impl<'t> Loader<'t> {
    fn new(file: &str, text: &'t str, folder: Option<PathBuf>) -> Loader<'t> {
        Loader {
            file: file.to_string(),
            text,
            folder,
            zones: FxHashMap::default(),
            schedules: FxHashMap::default(),
        }
    }

    fn error(&self, context: &Context<'_>, message: impl Into<String>) -> LoadError {
        let mut location = self.file.clone();
        if let Some(span) = &context.span {
            let line = self.text.get(..span.start).map_or(0, |t| t.matches('\n').count()) + 1;
            location = format!("{location}:{line}");
        }
        let path = context.describe();
        if !path.is_empty() {
            location = format!("{location}: {path}");
        }
        LoadError { location, message: message.into() }
    }

    fn load(mut self) -> Result<TariffBook, LoadError> {
        let file: BookFile = toml::from_str(self.text).map_err(|error| {
            let line = error
                .span()
                .and_then(|span| self.text.get(..span.start))
                .map(|t| t.matches('\n').count() + 1);
            LoadError {
                location: match line {
                    Some(line) => format!("{}:{line}", self.file),
                    None => self.file.clone(),
                },
                message: error.message().trim().to_string(),
            }
        })?;
        if file.format != FORMAT_VERSION {
            return Err(self.error(
                &Context::default(),
                format!("format {} is not supported (expected {FORMAT_VERSION})", file.format),
            ));
        }
        let mut book = TariffBook::default();
        for calendar in &file.calendars {
            let context = Context { span: Some(calendar.name.span()), ..Context::default() };
            if book.calendars.iter().any(|c| c.name() == calendar.name.get_ref()) {
                return Err(self.error(
                    &context,
                    format!("calendar {:?} is declared twice", calendar.name.get_ref()),
                ));
            }
            let dates = calendar
                .dates
                .iter()
                .map(|d| d.parse::<HolidayDate>())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|message| self.error(&context, message))?;
            book.calendars.push(HolidayCalendar::new(calendar.name.get_ref(), dates));
        }
        for carrier_file in &file.carriers {
            let name = carrier_file.name.get_ref().as_str();
            let context = Context {
                carrier: Some(name),
                span: Some(carrier_file.name.span()),
                ..Context::default()
            };
            if name.is_empty() {
                return Err(self.error(&context, "carrier name is empty"));
            }
            if book.carrier_ids.contains_key(name) {
                return Err(self.error(&context, "carrier is declared twice"));
            }
            let mut versions = Vec::with_capacity(carrier_file.versions.len());
            for version_file in &carrier_file.versions {
                let context = context.with(|c| {
                    c.version = Some(version_file.id.get_ref());
                    c.span = Some(version_file.id.span());
                });
                versions.push(self.version(&book.calendars, version_file, &context)?);
            }
            versions.sort_by_key(|(v, _): &(TariffVersion, PrefixTable)| v.valid_from);
            for pair in versions.windows(2) {
                let (first, second) = (&pair[0].0, &pair[1].0);
                if first.valid_from == second.valid_from {
                    return Err(self.error(
                        &context,
                        format!(
                            "versions {:?} and {:?} have the same valid_from",
                            first.id, second.id
                        ),
                    ));
                }
            }
            for (i, (version, _)) in versions.iter().enumerate() {
                if versions[..i].iter().any(|(v, _)| v.id == version.id) {
                    return Err(
                        self.error(&context, format!("version {:?} is declared twice", version.id))
                    );
                }
            }
            let id = CarrierId(book.carriers.len() as u32);
            book.carrier_ids.insert(name.into(), id);
            book.carriers.push(Carrier::new(name, versions));
        }
        Ok(book)
    }

    fn version(
        &mut self,
        calendars: &[HolidayCalendar],
        file: &VersionFile,
        context: &Context<'_>,
    ) -> Result<(TariffVersion, PrefixTable), LoadError> {
        let fail = |this: &Self, message: String| this.error(context, message);
        if file.id.get_ref().is_empty() {
            return Err(fail(self, "version id is empty".into()));
        }
        let currency = Currency::parse(&file.currency).ok_or_else(|| {
            fail(self, format!("not an ISO currency code: {:?} (e.g. \"EUR\")", file.currency))
        })?;
        let zone = self.zone(&file.time_zone).map_err(|m| fail(self, m))?;
        let valid_from = valid_from(&file.valid_from, &zone).map_err(|m| fail(self, m))?;
        if file.rounding.decimals > MAX_DECIMALS {
            return Err(fail(
                self,
                format!("rounding decimals {} is above {MAX_DECIMALS}", file.rounding.decimals),
            ));
        }

        // Bands.
        if file.bands.is_empty() || file.bands.len() > MAX_BANDS {
            return Err(fail(self, format!("a version needs 1 to {MAX_BANDS} bands")));
        }
        let mut bands: Vec<Band> = Vec::with_capacity(file.bands.len());
        let mut rules = Vec::new();
        for band in &file.bands {
            let name = band.name.get_ref();
            let band_context = context.with(|c| c.span = Some(band.name.span()));
            if bands.iter().any(|b| &*b.name == name) {
                return Err(self.error(&band_context, format!("band {name:?} is declared twice")));
            }
            let mut ranges = Vec::new();
            for when in &band.when {
                let range = TimeRange::parse(&when.days, &when.from, &when.to)
                    .map_err(|m| self.error(&band_context, format!("band {name:?}: {m}")))?;
                rules.push((bands.len() as BandIndex, range));
                ranges.push(range);
            }
            bands.push(Band { name: name.as_str().into(), ranges });
        }
        let band_index = |name: &str, what: &str| {
            bands
                .iter()
                .position(|b| &*b.name == name)
                .map(|i| i as BandIndex)
                .ok_or_else(|| fail(self, format!("{what} {name:?} is not a declared band")))
        };
        let default_band = match (&file.default_band, bands.len()) {
            (Some(name), _) => band_index(name, "default_band")?,
            (None, 1) => 0,
            (None, _) => {
                return Err(fail(
                    self,
                    "default_band is required when there are several bands".into(),
                ));
            }
        };
        let holiday_band =
            file.holiday_band.as_deref().map(|n| band_index(n, "holiday_band")).transpose()?;
        let mut holidays: Vec<HolidayDate> = Vec::new();
        for name in &file.holidays {
            let calendar = calendars
                .iter()
                .find(|c| c.name() == name)
                .ok_or_else(|| fail(self, format!("holiday calendar {name:?} is not declared")))?;
            holidays.extend(calendar.dates().iter().copied());
        }
        holidays.sort_unstable();
        holidays.dedup();
        if !file.holidays.is_empty() && holiday_band.is_none() {
            return Err(fail(self, "holidays need a holiday_band".into()));
        }

        // Destinations and their rates.
        let mut destinations = Vec::with_capacity(file.destinations.len());
        let mut all_rates = Vec::with_capacity(file.destinations.len() * bands.len());
        let mut destination_ids: FxHashMap<&str, u32> = FxHashMap::default();
        let mut prefixes = Vec::new();
        for destination in &file.destinations {
            let name = destination.name.get_ref().as_str();
            let context = context.with(|c| {
                c.destination = Some(name);
                c.span = Some(destination.name.span());
            });
            let index = destinations.len() as u32;
            if destination_ids.insert(name, index).is_some() {
                return Err(self.error(&context, "destination is declared twice"));
            }
            let mut declared_rates: Vec<(Box<str>, Rate)> = Vec::new();
            for (key, rate_file) in &destination.rates {
                if key != "all" && !bands.iter().any(|b| &*b.name == key) {
                    return Err(self.error(
                        &context,
                        format!("rates.{key}: {key:?} is not a declared band (or \"all\")"),
                    ));
                }
                let rate = rate(rate_file)
                    .map_err(|m| self.error(&context, format!("rates.{key}: {m}")))?;
                declared_rates.push((key.as_str().into(), rate));
            }
            for band in &bands {
                let rate = declared_rates
                    .iter()
                    .find(|(key, _)| *key == band.name)
                    .or_else(|| declared_rates.iter().find(|(key, _)| &**key == "all"))
                    .map(|(_, rate)| rate.clone())
                    .ok_or_else(|| {
                        self.error(
                            &context,
                            format!("no rate for band {:?} (and no rates.all)", band.name),
                        )
                    })?;
                all_rates.push(rate);
            }
            // Pricing walks a call with one billing form; a destination
            // whose bands mix the two has no single meaning.
            let band_rates = &all_rates[all_rates.len() - bands.len()..];
            if band_rates.iter().any(|r: &Rate| r.is_stepped() != band_rates[0].is_stepped()) {
                return Err(self.error(
                    &context,
                    "rates mix steps and first/increment across bands; use one form",
                ));
            }
            for text in &destination.prefixes {
                let prefix = Prefix::parse(text).ok_or_else(|| {
                    self.error(&context, format!("not a prefix (1 to 16 digits): {text:?}"))
                })?;
                prefixes.push((prefix, index, Origin::Inline(index)));
            }
            destinations.push(Destination {
                name: name.into(),
                index,
                declared_rates,
                bundle: None,
            });
        }
        if let Some(csv) = &file.prefixes_csv {
            self.read_prefix_csv(csv, &destination_ids, &mut prefixes, context)?;
        }
        let (table, prefixes) = PrefixTable::build(prefixes).map_err(|(prefix, a, b)| {
            let place = |origin: Origin| match origin {
                Origin::Inline(d) => format!(
                    "destination {:?}",
                    destinations.get(d as usize).map_or("", |d: &Destination| &d.name)
                ),
                Origin::Csv(line) => {
                    format!("{}:{line}", file.prefixes_csv.as_deref().unwrap_or(""))
                }
            };
            fail(self, format!("prefix {prefix} is listed twice: {} and {}", place(a), place(b)))
        })?;

        let discounts = match &file.discounts {
            None => Discounts::default(),
            Some(d) => {
                let percent = |m: &Money| {
                    if m.0 < Decimal::ZERO || m.0 > Decimal::ONE_HUNDRED {
                        Err(fail(self, format!("discount percent {} is not in 0–100", m.0)))
                    } else {
                        Ok(m.0)
                    }
                };
                let mut volume_tiers = Vec::new();
                for tier in &d.volume_tiers {
                    volume_tiers.push(VolumeTier {
                        from_minutes: tier.from_minutes,
                        percent: percent(&tier.percent)?,
                    });
                }
                volume_tiers.sort_by_key(|t| t.from_minutes);
                if volume_tiers.windows(2).any(|w| w[0].from_minutes == w[1].from_minutes) {
                    return Err(fail(self, "two volume tiers start at the same minutes".into()));
                }
                Discounts {
                    percent: d.percent.as_ref().map(percent).transpose()?.unwrap_or_default(),
                    volume_tiers,
                }
            }
        };

        let bundles = bundles(&file.bundles, &mut destinations).map_err(|m| fail(self, m))?;

        let schedule = self.schedule(ScheduleKey {
            rules,
            default_band,
            holiday_band,
            holidays,
            names: bands.iter().map(|band| band.name.clone()).collect(),
        });
        let fixed = FixedRates::new(&all_rates, bands.len(), file.rounding, !discounts.is_empty());
        let version = TariffVersion {
            id: file.id.get_ref().as_str().into(),
            valid_from,
            currency,
            zone,
            crossing: file.crossing,
            rounding: file.rounding,
            schedule,
            fixed,
            default_band: file.default_band.as_deref().map(Into::into),
            holiday_band: file.holiday_band.as_deref().map(Into::into),
            holiday_calendars: file.holidays.iter().map(|n| n.as_str().into()).collect(),
            bands,
            destinations,
            rates: all_rates.into(),
            prefixes,
            discounts,
            bundles,
        };
        Ok((version, table))
    }

    fn schedule(&mut self, key: ScheduleKey) -> Arc<BandSchedule> {
        if let Some(schedule) = self.schedules.get(&key) {
            return schedule.clone();
        }
        let schedule = Arc::new(BandSchedule::new(
            key.rules.clone(),
            key.default_band,
            key.holiday_band,
            HolidayCalendar::new("", key.holidays.iter().copied()),
            key.names.clone(),
        ));
        self.schedules.insert(key, schedule.clone());
        schedule
    }

    fn zone(&mut self, name: &str) -> Result<Arc<ZoneTable>, String> {
        if let Some(zone) = self.zones.get(name) {
            return Ok(zone.clone());
        }
        let time_zone = jiff::tz::db()
            .get(name)
            .map_err(|_| format!("unknown IANA time zone: {name:?} (e.g. \"Europe/Paris\")"))?;
        let zone = Arc::new(ZoneTable::new(name, time_zone));
        self.zones.insert(name.to_string(), zone.clone());
        Ok(zone)
    }

    fn read_prefix_csv(
        &self,
        relative: &str,
        destination_ids: &FxHashMap<&str, u32>,
        prefixes: &mut Vec<(Prefix, u32, Origin)>,
        context: &Context<'_>,
    ) -> Result<(), LoadError> {
        let Some(folder) = &self.folder else {
            return Err(self.error(
                context,
                format!("prefixes_csv {relative:?} needs a file: load the book from a path"),
            ));
        };
        let path = folder.join(relative);
        let at = |line: u64, message: String| LoadError {
            location: format!("{}:{line}: {}", path.display(), context.describe()),
            message,
        };
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_path(&path)
            .map_err(|e| self.error(context, format!("prefixes_csv {}: {e}", path.display())))?;
        let mut record = csv::ByteRecord::new();
        let mut first = true;
        loop {
            match reader.read_byte_record(&mut record) {
                Ok(false) => break,
                Ok(true) => {}
                Err(e) => {
                    let line = e.position().map_or(0, |p| p.line());
                    return Err(at(line, e.to_string()));
                }
            }
            let line = record.position().map_or(0, |p| p.line());
            let (Some(prefix), Some(destination), None) =
                (record.get(0), record.get(1), record.get(2))
            else {
                return Err(at(line, "expected 2 columns: prefix,destination".into()));
            };
            if first {
                first = false;
                if prefix == b"prefix" && destination == b"destination" {
                    continue;
                }
                return Err(at(line, "the first row must be the header prefix,destination".into()));
            }
            let prefix_text = String::from_utf8_lossy(prefix);
            let parsed = Prefix::parse(prefix_text.trim()).ok_or_else(|| {
                at(line, format!("not a prefix (1 to 16 digits): {prefix_text:?}"))
            })?;
            let name = std::str::from_utf8(destination).unwrap_or("");
            let index = *destination_ids.get(name).ok_or_else(|| {
                at(
                    line,
                    format!(
                        "destination {:?} is not declared in the TOML",
                        String::from_utf8_lossy(destination)
                    ),
                )
            })?;
            prefixes.push((parsed, index, Origin::Csv(line)));
        }
        Ok(())
    }
}

/// Checks the bundles and marks each covered destination with its bundle.
fn bundles(files: &[BundleFile], destinations: &mut [Destination]) -> Result<Vec<Bundle>, String> {
    let mut bundles: Vec<Bundle> = Vec::with_capacity(files.len());
    for file in files {
        let name = file.name.as_str();
        if name.is_empty() {
            return Err("bundle name is empty".into());
        }
        if bundles.iter().any(|b| &*b.name == name) {
            return Err(format!("bundle {name:?} is declared twice"));
        }
        if file.minutes == 0 {
            return Err(format!("bundle {name:?}: minutes must be at least 1"));
        }
        if file.destinations.is_empty() {
            return Err(format!("bundle {name:?}: destinations is empty"));
        }
        let index = bundles.len() as u32;
        for destination_name in &file.destinations {
            let destination =
                destinations.iter_mut().find(|d| *d.name == **destination_name).ok_or_else(
                    || format!("bundle {name:?}: destination {destination_name:?} is not declared"),
                )?;
            if let Some(other) = destination.bundle {
                let other = bundles.get(other as usize).map_or(name, |b| &*b.name);
                return Err(format!(
                    "bundle {name:?}: destination {destination_name:?} is already in bundle {other:?}"
                ));
            }
            destination.bundle = Some(index);
        }
        bundles.push(Bundle {
            name: name.into(),
            minutes: file.minutes,
            destinations: file.destinations.iter().map(|d| d.as_str().into()).collect(),
            scope: file.scope,
        });
    }
    Ok(bundles)
}

fn valid_from(value: &toml::value::Datetime, zone: &ZoneTable) -> Result<Timestamp, String> {
    let bad = |e: jiff::Error| format!("valid_from {value}: {e}");
    match (value.date, value.time, value.offset) {
        (Some(_), Some(_), Some(_)) => value.to_string().parse::<Timestamp>().map_err(bad),
        (Some(date), time, None) => {
            let date =
                Date::new(date.year as i16, date.month as i8, date.day as i8).map_err(bad)?;
            let time = match time {
                Some(t) => Time::new(t.hour as i8, t.minute as i8, t.second.unwrap_or(0) as i8, 0)
                    .map_err(bad)?,
                None => Time::midnight(),
            };
            DateTime::from_parts(date, time)
                .to_zoned(zone.time_zone().clone())
                .map(|z| z.timestamp())
                .map_err(bad)
        }
        _ => Err(format!("valid_from {value}: needs a date")),
    }
}

fn rate(file: &RateFile) -> Result<Rate, String> {
    let amount = |name: &str, money: Option<&Money>| -> Result<Decimal, String> {
        let value = money.map_or(Decimal::ZERO, |m| m.0);
        if value < Decimal::ZERO {
            return Err(format!("{name} {value} is negative"));
        }
        Ok(value)
    };
    let units =
        (file.first_seconds, &file.first_price, file.increment_seconds, &file.increment_price);
    let (first_seconds, first_price, increment_seconds, increment_price) =
        match (units, file.steps.is_empty()) {
            ((Some(fs), Some(fp), Some(is), Some(ip)), true) => {
                if fs == 0 || is == 0 {
                    return Err("first_seconds and increment_seconds must be at least 1".into());
                }
                (fs, amount("first_price", Some(fp))?, is, amount("increment_price", Some(ip))?)
            }
            ((None, None, None, None), false) => (1, Decimal::ZERO, 1, Decimal::ZERO),
            (_, false) => {
                return Err("give either steps or first_seconds, first_price, \
                            increment_seconds and increment_price, not both"
                    .into());
            }
            (_, true) => {
                return Err("needs first_seconds, first_price, increment_seconds and \
                            increment_price (or steps)"
                    .into());
            }
        };
    let mut steps: Vec<Step> = Vec::with_capacity(file.steps.len());
    for (i, step) in file.steps.iter().enumerate() {
        if step.increment_seconds == 0 || step.per_seconds == 0 {
            return Err(format!(
                "steps[{i}]: increment_seconds and per_seconds must be at least 1"
            ));
        }
        let expected_order = match steps.last() {
            None => step.from_seconds == 0,
            Some(previous) => step.from_seconds > previous.from_seconds,
        };
        if !expected_order {
            return Err(format!(
                "steps[{i}]: from_seconds {} must be 0 for the first step and increase after",
                step.from_seconds
            ));
        }
        steps.push(Step {
            from_seconds: step.from_seconds,
            increment_seconds: step.increment_seconds,
            price: amount(&format!("steps[{i}].price"), Some(&step.price))?,
            per_seconds: step.per_seconds,
        });
    }
    let rate = Rate {
        connect_fee: amount("connect_fee", file.connect_fee.as_ref())?,
        first_seconds,
        first_price,
        increment_seconds,
        increment_price,
        minimum: amount("minimum", file.minimum.as_ref())?,
        free_seconds: file.free_seconds.unwrap_or(0),
        maximum: file.maximum.as_ref().map(|m| amount("maximum", Some(m))).transpose()?,
        steps,
    };
    if let Some(maximum) = rate.maximum
        && maximum < rate.minimum
    {
        return Err(format!("maximum {maximum} is below minimum {}", rate.minimum));
    }
    Ok(rate)
}
