//! Carriers and the tariff book: the carriers calls are priced on, the
//! stored book (its carriers and effective-dated versions), its files as
//! stored, importing a tariff file (merged by carrier, as `bluewhale
//! tariff import`), and what a made-up call would cost.
//!
//! Stored calls keep their prices until re-rated (`bluewhale rerate`), and
//! a running server reads the tariffs when it starts.

use crate::audit::entry;
use crate::caller::{Allowed, need};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::Query;
use crate::routes::directory::{audited, download, media_type, upload_text};
use crate::state::ApiState;
use crate::views::{audit_json, time};
use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use charging::tariffs::{BOOK_FILE, TariffError};
use charging::{CallFacts, Charger};
use rating::TariffBook;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use store::accounts::AuditEntry;
use store::{PriceTrace, Store};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(carriers))
        .routes(routes!(tariff_book))
        .routes(routes!(export_tariffs))
        .routes(routes!(import_tariffs))
        .routes(routes!(price))
}

fn tariff_error(e: TariffError) -> ApiError {
    match e {
        TariffError::Store(e) => e.into(),
        TariffError::Load(e) => ApiError::bad_request(e.to_string()),
        TariffError::Invalid(m) => ApiError::bad_request(m),
        TariffError::Io(e) => ApiError::internal(e.to_string()),
    }
}

fn stored_book(store: &Store) -> ApiResult<TariffBook> {
    charging::tariffs::load_book(store).map_err(tariff_error)
}

/// A serde enum's name (`split`, `half_up`…).
fn name_of<T: Serialize>(value: T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        other => format!("{other:?}"),
    }
}

// Carriers ---------------------------------------------------------------

#[derive(Debug, Serialize, ToSchema)]
pub struct CarrierView {
    /// Stable: calls and rollups refer to carriers by it.
    pub id: i64,
    pub name: String,
    /// Of its tariffs; null before it has any.
    pub currency: Option<String>,
    /// Whether the stored tariff book has it.
    pub has_tariff: bool,
}

/// Every carrier known: named by a tariff, a site, a trunk, a paid number
/// or the organisation. Listed in id order.
#[utoipa::path(get, path = "/carriers", tag = "tariffs",
    responses((status = 200, body = Vec<CarrierView>), (status = 403, body = ErrorBody)))]
async fn carriers(
    State(state): State<ApiState>,
    _: Allowed<need::TariffsRead>,
) -> ApiResult<Json<Vec<CarrierView>>> {
    let list = state
        .db
        .run(|s| {
            let book = stored_book(s)?;
            let currencies = s.carrier_currencies()?;
            Ok(s.carrier_names()?
                .into_iter()
                .map(|(id, name)| CarrierView {
                    id,
                    currency: currencies.get(&id).filter(|c| !c.is_empty()).cloned(),
                    has_tariff: book.carrier_id(&name).is_some(),
                    name,
                })
                .collect())
        })
        .await?;
    Ok(Json(list))
}

// The book -----------------------------------------------------------------

#[derive(Debug, Serialize, ToSchema)]
pub struct RoundingView {
    /// `per_increment` or `per_call`.
    pub at: String,
    /// `half_up`, `half_even`, `up` or `down`.
    pub mode: String,
    pub decimals: u32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TariffVersionView {
    pub id: String,
    /// RFC 3339 (UTC): calls starting from then are priced by it.
    pub valid_from: String,
    /// The same instant in the version's zone, with its offset.
    pub valid_from_local: String,
    pub currency: String,
    /// IANA zone its bands and holidays are evaluated in.
    pub time_zone: String,
    /// `start` or `split`.
    pub crossing: String,
    pub rounding: RoundingView,
    pub bands: Vec<String>,
    pub destinations: usize,
    pub prefixes: usize,
    /// Taken off every call, percent (decimal string).
    pub discount_percent: String,
    pub volume_tiers: usize,
    /// Names of its free-minute bundles.
    pub bundles: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TariffCarrierView {
    pub name: String,
    /// The carrier's id (see `GET /carriers`), once calls or the
    /// directory named it.
    pub carrier_id: Option<i64>,
    /// Oldest first.
    pub versions: Vec<TariffVersionView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CalendarView {
    pub name: String,
    pub dates: usize,
}

/// The stored tariff book.
#[derive(Debug, Serialize, ToSchema)]
pub struct TariffBookView {
    pub carriers: Vec<TariffCarrierView>,
    pub calendars: Vec<CalendarView>,
    /// Prefixes in every version of every carrier.
    pub prefixes: usize,
}

fn book_view(book: &TariffBook, ids: &BTreeMap<String, i64>) -> TariffBookView {
    let carriers = book
        .carriers()
        .iter()
        .map(|c| TariffCarrierView {
            name: c.name().to_string(),
            carrier_id: ids.get(c.name()).copied(),
            versions: c
                .versions()
                .iter()
                .map(|v| {
                    let zone =
                        jiff::tz::TimeZone::get(v.time_zone()).unwrap_or(jiff::tz::TimeZone::UTC);
                    let rounding = v.rounding();
                    TariffVersionView {
                        id: v.id().to_string(),
                        valid_from: v.valid_from().to_string(),
                        valid_from_local: v
                            .valid_from()
                            .to_zoned(zone)
                            .strftime("%Y-%m-%dT%H:%M:%S%:z")
                            .to_string(),
                        currency: v.currency().to_string(),
                        time_zone: v.time_zone().to_string(),
                        crossing: name_of(v.crossing()),
                        rounding: RoundingView {
                            at: name_of(rounding.at),
                            mode: name_of(rounding.mode),
                            decimals: rounding.decimals,
                        },
                        bands: v.bands().iter().map(|b| b.name.to_string()).collect(),
                        destinations: v.destinations().len(),
                        prefixes: v.prefix_count(),
                        discount_percent: v.discounts().percent.to_string(),
                        volume_tiers: v.discounts().volume_tiers.len(),
                        bundles: v.bundles().iter().map(|b| b.name.to_string()).collect(),
                    }
                })
                .collect(),
        })
        .collect();
    TariffBookView {
        carriers,
        calendars: book
            .calendars()
            .iter()
            .map(|c| CalendarView { name: c.name().to_string(), dates: c.dates().len() })
            .collect(),
        prefixes: book.prefix_count(),
    }
}

fn carrier_ids(store: &Store) -> ApiResult<BTreeMap<String, i64>> {
    Ok(store.carrier_names()?.into_iter().map(|(id, name)| (name, id)).collect())
}

/// The stored tariff book: its carriers with their versions (validity,
/// currency, zone, bands, destination and prefix counts, discounts,
/// bundles) and its holiday calendars.
#[utoipa::path(get, path = "/tariffs", tag = "tariffs",
    responses((status = 200, body = TariffBookView), (status = 403, body = ErrorBody)))]
async fn tariff_book(
    State(state): State<ApiState>,
    _: Allowed<need::TariffsRead>,
) -> ApiResult<Json<TariffBookView>> {
    let view = state.db.run(|s| Ok(book_view(&stored_book(s)?, &carrier_ids(s)?))).await?;
    Ok(Json(view))
}

// Files ------------------------------------------------------------------

/// Tariff files by name: `tariffs.toml` (the book, see TARIFF.md) and
/// the CSV prefix lists it names, relative to it; or, imported with
/// `format=cgrates`, a CGRateS tariff plan's CSV files.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TariffFiles {
    pub files: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct TariffExportQuery {
    /// One file (`tariffs.toml`, a CSV) as a download instead of all as JSON.
    pub file: Option<String>,
}

fn stored_files(store: &Store) -> ApiResult<Vec<(String, String)>> {
    let files = store.tariff_files()?;
    if files.is_empty() {
        return Ok(vec![(BOOK_FILE.to_string(), TariffBook::default().to_toml_string())]);
    }
    files
        .into_iter()
        .map(|(name, content)| {
            let text = String::from_utf8(content)
                .map_err(|e| ApiError::internal(format!("stored tariff file {name}: {e}")))?;
            Ok((name, text))
        })
        .collect()
}

/// The stored book's files, as `bluewhale tariff export` writes them:
/// all as JSON (the shape `POST /tariffs/import` takes back), or one as
/// a download with `file`.
#[utoipa::path(get, path = "/tariffs/export", tag = "tariffs", params(TariffExportQuery),
    responses((status = 200, body = TariffFiles,
            description = "The files; with `file`, that file as an attachment"),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn export_tariffs(
    State(state): State<ApiState>,
    _: Allowed<need::TariffsRead>,
    Query(q): Query<TariffExportQuery>,
) -> ApiResult<Response> {
    let files = state.db.run(stored_files).await?;
    let Some(wanted) = q.file else {
        return Ok(Json(TariffFiles { files: files.into_iter().collect() }).into_response());
    };
    let (name, text) = files
        .into_iter()
        .find(|(name, _)| *name == wanted)
        .ok_or_else(|| ApiError::not_found(format!("no stored tariff file {wanted:?}")))?;
    let content_type = if name.ends_with(".csv") {
        "text/csv; charset=utf-8"
    } else {
        "application/toml; charset=utf-8"
    };
    let base = name.rsplit('/').next().unwrap_or(&name).to_string();
    Ok(download(content_type, &base, text))
}

// Import -----------------------------------------------------------------

#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct TariffImportQuery {
    /// With a one-carrier file, the name to store it under; with several,
    /// the one carrier to import.
    pub carrier: Option<String>,
    /// `toml` (default) or `cgrates` (a CGRateS tariff plan, as JSON files).
    pub format: Option<String>,
    /// CGRateS: the rating profile (`Subject`, `Tenant:Subject` or
    /// `Tenant:Category:Subject`); default the first.
    pub subject: Option<String>,
    /// CGRateS: IANA zone of the plan's timings (default UTC).
    pub time_zone: Option<String>,
    /// CGRateS: ISO 4217 code of its amounts (required: plans do not say).
    pub currency: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ImportedCarrier {
    pub name: String,
    /// It replaced a stored carrier of that name (all its versions).
    pub replaced: bool,
}

/// What a tariff import did.
#[derive(Debug, Serialize, ToSchema)]
pub struct TariffImportSummary {
    pub carriers: Vec<ImportedCarrier>,
    /// Carriers in the stored book after the import.
    pub total_carriers: usize,
    pub prefixes: usize,
}

/// A carrier and its versions, for the audit log.
#[derive(Debug, Serialize)]
struct CarrierVersions {
    carrier: String,
    versions: Vec<String>,
}

fn versions_of(book: &TariffBook) -> Vec<CarrierVersions> {
    book.carriers()
        .iter()
        .map(|c| CarrierVersions {
            carrier: c.name().to_string(),
            versions: c.versions().iter().map(|v| v.id().to_string()).collect(),
        })
        .collect()
}

/// An uploaded file name: relative, inside the upload's folder.
fn safe_name(name: &str) -> ApiResult<&Path> {
    let bad = name.is_empty()
        || name.starts_with('/')
        || name.contains('\\')
        || name.split('/').any(|part| part.is_empty() || part == "." || part == "..");
    if bad {
        return Err(ApiError::bad_request(format!(
            "files: {name:?} is not a relative file name (parts separated by /, no . or ..)"
        )));
    }
    Ok(Path::new(name))
}

/// Reads the uploaded book (the same library calls as `bluewhale tariff
/// import`), with messages naming the uploaded files.
fn read_upload(files: &TariffFiles, q: &TariffImportQuery) -> ApiResult<TariffBook> {
    let cgrates = match q.format.as_deref().map(str::trim).unwrap_or("toml") {
        "toml" => false,
        "cgrates" => true,
        other => return Err(ApiError::bad_request(format!("format {other:?}: toml or cgrates"))),
    };
    if !cgrates && !files.files.contains_key(BOOK_FILE) {
        return Err(ApiError::bad_request(format!("files: no {BOOK_FILE} (the tariff book)")));
    }
    let dir = tempfile::tempdir().map_err(|e| ApiError::internal(e.to_string()))?;
    for (name, text) in &files.files {
        let path = dir.path().join(safe_name(name)?);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| ApiError::internal(e.to_string()))?;
        }
        std::fs::write(&path, text).map_err(|e| ApiError::internal(e.to_string()))?;
    }
    let folder = dir.path().display().to_string();
    let located = |message: String| {
        ApiError::bad_request(message.replace(&format!("{folder}/"), "").replace(&folder, "upload"))
    };
    if !cgrates {
        return TariffBook::load(dir.path().join(BOOK_FILE)).map_err(|e| located(e.to_string()));
    }
    let Some(currency) = q.currency.as_deref().map(str::trim).filter(|c| !c.is_empty()) else {
        return Err(ApiError::bad_request(
            "currency: a CGRateS tariff plan does not say which currency its amounts are in",
        ));
    };
    let options = rating::CgratesOptions {
        subject: q.subject.as_deref(),
        time_zone: q.time_zone.as_deref().unwrap_or("UTC"),
        currency,
    };
    rating::import_cgrates_with(dir.path(), &options).map_err(|e| located(e.to_string()))
}

/// Imports a tariff file into the stored book, as `bluewhale tariff
/// import`: the file's carriers replace stored carriers of the same name
/// (all their versions), other carriers stay; calendars likewise. The
/// merged book is checked as a whole before it replaces the stored one.
///
/// The body is a tariff TOML (`Content-Type: application/toml`, no CSV
/// files), or JSON `{"files": {"tariffs.toml": "…", "prefixes.csv": "…"}}`
/// for a book with its CSV prefix lists — with `format=cgrates`, the
/// files of a CGRateS tariff plan. A bad file is a 400 naming the file
/// and line. Audited (carriers and versions before, summary after).
/// Stored calls keep their prices until re-rated.
#[utoipa::path(post, path = "/tariffs/import", tag = "tariffs", params(TariffImportQuery),
    request_body(content((String = "application/toml"), (TariffFiles = "application/json")),
        description = "A tariff TOML, or the files of a book or a CGRateS plan"),
    responses((status = 200, body = TariffImportSummary), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 413, body = ErrorBody)))]
async fn import_tariffs(
    State(state): State<ApiState>,
    caller: Allowed<need::TariffsWrite>,
    Query(q): Query<TariffImportQuery>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Json<TariffImportSummary>> {
    let text = upload_text(body).await?;
    let files = match media_type(&headers).as_deref() {
        Some("application/toml" | "text/toml") => {
            TariffFiles { files: BTreeMap::from([(BOOK_FILE.to_string(), text)]) }
        }
        Some("application/json") => serde_json::from_str(&text)
            .map_err(|e| ApiError::bad_request(format!("the JSON body: {e}")))?,
        _ => {
            return Err(ApiError::bad_request(
                "Content-Type: application/toml (a tariff TOML) or application/json (files)",
            ));
        }
    };
    let audit = entry(&caller, "tariffs.import", "tariffs", None);
    let summary = state
        .db
        .run(move |s| {
            let incoming = read_upload(&files, &q)?;
            audited(s, audit, |_, e| store_merged(s, &incoming, q.carrier.as_deref(), e))
        })
        .await?;
    Ok(Json(summary))
}

/// Merges `incoming` into the stored book and stores the result, inside
/// the audit's transaction (which runs on `store`'s connection).
fn store_merged(
    store: &Store,
    incoming: &TariffBook,
    carrier: Option<&str>,
    e: &mut AuditEntry,
) -> ApiResult<TariffImportSummary> {
    // Read inside the transaction: an import running at the same time
    // cannot be lost between this read and the write.
    let current = stored_book(store)?;
    e.before = audit_json(&versions_of(&current));
    let merged = charging::tariffs::merge(&current, incoming, carrier).map_err(tariff_error)?;
    let conn = store.connection();
    conn.execute("DELETE FROM tariff_file", []).map_err(store::Error::from)?;
    for (name, content) in &merged.files {
        conn.execute("INSERT INTO tariff_file (name, content) VALUES (?1, ?2)", (name, content))
            .map_err(store::Error::from)?;
    }
    // Carriers get their ids and currency now, so that `GET /carriers`
    // lists them before any call is priced.
    store.ensure_carriers(merged.book.carriers().iter().map(|c| c.name()))?;
    for c in merged.book.carriers() {
        if let Some(v) = c.versions().first() {
            store.set_carrier_currency(c.name(), v.currency().as_str())?;
        }
    }
    let summary = &merged.summary;
    let view = TariffImportSummary {
        carriers: summary
            .carriers
            .iter()
            .map(|name| ImportedCarrier {
                name: name.clone(),
                replaced: summary.replaced.contains(name),
            })
            .collect(),
        total_carriers: summary.total_carriers,
        prefixes: summary.prefixes,
    };
    e.after = audit_json(&view);
    Ok(view)
}

// Pricing one call -------------------------------------------------------------

#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct PriceQuery {
    /// The number dialled, as a user at the site dials it (`0155512345`,
    /// `+33155512345`…).
    pub number: Option<String>,
    /// When talk starts, RFC 3339.
    pub at: Option<String>,
    /// Talk seconds.
    pub duration_s: Option<String>,
    /// Site id: its dial plan, carriers and holidays.
    pub site: Option<String>,
    /// PBX id: its site.
    pub pbx: Option<String>,
    /// Extension number calling: its site as of `at`.
    pub extension: Option<String>,
    /// Outgoing trunk id: its carrier.
    pub trunk: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BandView {
    pub band: String,
    pub seconds: u32,
    pub units: u32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BundleView {
    pub name: String,
    /// Seconds the bundle covered.
    pub seconds: u32,
}

/// How a price was found: as a stored call keeps it.
#[derive(Debug, Serialize, ToSchema)]
pub struct TraceView {
    pub carrier: String,
    pub version: String,
    pub prefix: String,
    pub destination: String,
    pub billed_s: u32,
    pub units: u32,
    /// Taken off (decimal string).
    pub discount: String,
    pub bundle: Option<BundleView>,
    pub bands: Vec<BandView>,
}

impl From<&PriceTrace> for TraceView {
    fn from(t: &PriceTrace) -> TraceView {
        TraceView {
            carrier: t.carrier.to_string(),
            version: t.version.to_string(),
            prefix: t.prefix.to_string(),
            destination: t.destination.to_string(),
            billed_s: t.billed_s,
            units: t.units,
            discount: t.discount.to_string(),
            bundle: (!t.bundle.0.is_empty())
                .then(|| BundleView { name: t.bundle.0.to_string(), seconds: t.bundle.1 }),
            bands: t
                .bands
                .iter()
                .map(|(band, seconds, units)| BandView {
                    band: band.to_string(),
                    seconds: *seconds,
                    units: *units,
                })
                .collect(),
        }
    }
}

/// What a call would cost, as the import would price it.
#[derive(Debug, Serialize, ToSchema)]
pub struct PriceQuote {
    pub number: String,
    /// RFC 3339 (UTC).
    pub at: String,
    pub duration_s: u32,
    /// The site whose dial plan, carriers and holidays applied.
    pub site_id: Option<i64>,
    /// `internal`, `onnet`, `local`, `national`, `mobile`,
    /// `international`, `free`, `inbound` or `unknown`.
    pub call_type: String,
    pub service: String,
    pub e164: Option<String>,
    /// As the dial plan names it (the tariff's is in `price`).
    pub destination: Option<String>,
    /// `rated`, `free` or `unrated`.
    pub status: String,
    /// Why it is free or unrated.
    pub reason: Option<String>,
    pub carrier: Option<String>,
    pub currency: Option<String>,
    /// Decimal strings.
    pub cost: String,
    pub reference: String,
    pub savings: String,
    pub price: Option<TraceView>,
    pub reference_price: Option<TraceView>,
    /// How the cost was computed, step by step.
    pub explanation: Vec<String>,
}

fn id_param(field: &str, value: Option<&str>) -> ApiResult<Option<i64>> {
    let Some(v) = value.map(str::trim).filter(|v| !v.is_empty()) else { return Ok(None) };
    v.parse().map(Some).map_err(|_| ApiError::bad_request(format!("{field}: not an id: {v:?}")))
}

/// The checked inputs of a price lookup.
struct PriceCall {
    number: String,
    at: jiff::Timestamp,
    duration_s: u32,
    site: Option<i64>,
    pbx: Option<i64>,
    extension: Option<String>,
    trunk: Option<i64>,
}

impl PriceCall {
    fn of(q: &PriceQuery) -> ApiResult<PriceCall> {
        let number = q.number.as_deref().map(str::trim).unwrap_or_default();
        if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit() || b"+*#".contains(&b)) {
            return Err(ApiError::bad_request(format!(
                "number: the number dialled (digits, + * #): {number:?}"
            )));
        }
        let at = q.at.as_deref().unwrap_or_default();
        let at = at.trim().parse::<jiff::Timestamp>().map_err(|_| {
            ApiError::bad_request(format!("at: not an RFC 3339 time (when talk starts): {at:?}"))
        })?;
        let duration = q.duration_s.as_deref().unwrap_or_default().trim();
        let duration_s = duration.parse().map_err(|_| {
            ApiError::bad_request(format!("duration_s: not a number of seconds: {duration:?}"))
        })?;
        Ok(PriceCall {
            number: number.to_string(),
            at,
            duration_s,
            site: id_param("site", q.site.as_deref())?,
            pbx: id_param("pbx", q.pbx.as_deref())?,
            extension: q.extension.clone().map(|e| e.trim().to_string()).filter(|e| !e.is_empty()),
            trunk: id_param("trunk", q.trunk.as_deref())?,
        })
    }

    /// The site the call is made from, checked against the directory.
    fn site(&self, store: &Store) -> ApiResult<Option<i64>> {
        let d = store.directory_edit();
        let mut site = match self.site {
            Some(id) if d.site(id)?.is_none() => {
                return Err(ApiError::bad_request(format!("site: no site {id}")));
            }
            other => other,
        };
        if let Some(id) = self.pbx {
            let pbx =
                d.pbx(id)?.ok_or_else(|| ApiError::bad_request(format!("pbx: no PBX {id}")))?;
            if site.is_some_and(|s| Some(s) != pbx.site_id) {
                return Err(ApiError::bad_request("pbx: the PBX is not at the site given"));
            }
            site = site.or(pbx.site_id);
        }
        if let Some(id) = self.trunk {
            let trunk = d
                .trunk(id)?
                .ok_or_else(|| ApiError::bad_request(format!("trunk: no trunk {id}")))?;
            if self.pbx.is_some_and(|p| p != trunk.pbx_id) {
                return Err(ApiError::bad_request("trunk: the trunk is not the PBX's"));
            }
        }
        if let Some(number) = &self.extension {
            let at = self.at.as_second();
            let periods: Vec<_> = d
                .extension_periods(number)?
                .into_iter()
                .filter(|e| e.valid_from <= at && e.valid_to.is_none_or(|to| at < to))
                .filter(|e| site.is_none() || e.site_id == site)
                .collect();
            let Some(first) = periods.first() else {
                return Err(ApiError::bad_request(format!(
                    "extension: no period of {number:?} valid at {}{}",
                    self.at,
                    if site.is_some() { " at this site" } else { "" }
                )));
            };
            if periods.iter().any(|e| e.site_id != first.site_id) {
                return Err(ApiError::bad_request(format!(
                    "extension: {number:?} is at several sites; say which with site"
                )));
            }
            site = site.or(first.site_id);
        }
        Ok(site)
    }
}

/// A charger over the stored directory and tariffs that leaves the store
/// as it was: `Charger::new` gives every carrier it meets an id, a write
/// made here in a transaction rolled back at once (as `bluewhale whatif`
/// does). Returns it with every carrier's name by id.
fn charger_leaving_store_unchanged(store: &Store) -> ApiResult<(Charger, BTreeMap<i64, String>)> {
    let book = Arc::new(stored_book(store)?);
    let conn = store.connection();
    conn.execute_batch("BEGIN").map_err(store::Error::from)?;
    let built = Charger::new(store, book)
        .map_err(|e| ApiError::internal(e.to_string()))
        .and_then(|charger| Ok((charger, store.carrier_names()?)));
    conn.execute_batch("ROLLBACK").map_err(store::Error::from)?;
    built
}

/// What a call to `number` starting at `at` and lasting `duration_s`
/// would cost, priced as the import prices calls: classified with the
/// site's dial plan (the site given, the PBX's, or the extension's as of
/// `at`; none: the organisation's defaults), on the carrier of `trunk`,
/// else the site's, else the organisation's, and on the reference
/// carrier for the reference cost — at list price, as the first call of
/// its month (volume tiers and bundles, which depend on the month's
/// earlier calls, are left out). Nothing is stored.
#[utoipa::path(get, path = "/tariffs/price", tag = "tariffs", params(PriceQuery),
    responses((status = 200, body = PriceQuote), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
async fn price(
    State(state): State<ApiState>,
    _: Allowed<need::TariffsRead>,
    Query(q): Query<PriceQuery>,
) -> ApiResult<Json<PriceQuote>> {
    let call = PriceCall::of(&q)?;
    let quote = state
        .db
        .run(move |s| {
            let site_id = call.site(s)?;
            let (charger, carriers) = charger_leaving_store_unchanged(s)?;
            let facts = CallFacts {
                site_id,
                direction: cdr::Direction::Outgoing,
                calling: call.extension.as_deref().unwrap_or_default(),
                dialled: &call.number,
                start: call.at,
                duration_s: call.duration_s,
                trunk_out_id: call.trunk,
            };
            let charge = charger.charge(&facts);
            let explanation = match &charge.price {
                Some(trace) => explain(&charger, trace, &charge.e164, &facts),
                None => Vec::new(),
            };
            let opt = |s: &str| (!s.is_empty()).then(|| s.to_string());
            Ok(PriceQuote {
                number: call.number.clone(),
                at: time(call.at.as_second()),
                duration_s: call.duration_s,
                site_id,
                call_type: charging::call_type_of(charge.call_type).as_str().to_string(),
                service: charging::service_of(charge.service).as_str().to_string(),
                e164: opt(&charge.e164),
                destination: opt(&charge.destination),
                status: charge.status.as_str().to_string(),
                reason: opt(&charge.reason),
                carrier: (charge.carrier_id != 0)
                    .then(|| carriers.get(&charge.carrier_id).cloned())
                    .flatten(),
                currency: opt(&charge.currency),
                cost: charge.cost.to_string(),
                reference: charge.reference.to_string(),
                savings: charge.savings().to_string(),
                price: charge.price.as_ref().map(TraceView::from),
                reference_price: charge.reference_price.as_ref().map(TraceView::from),
                explanation,
            })
        })
        .await?;
    Ok(Json(quote))
}

/// The steps of the cost's computation, priced again the way the charger
/// priced it (same carrier, number, start, talk time and holidays).
fn explain(
    charger: &Charger,
    trace: &PriceTrace,
    e164: &str,
    facts: &CallFacts<'_>,
) -> Vec<String> {
    let book = charger.book();
    let Some(carrier) = book.carrier_id(&trace.carrier) else { return Vec::new() };
    let digits = e164.trim_start_matches('+');
    let call = rating::Call {
        carrier,
        number: if digits.is_empty() { facts.dialled } else { digits },
        start: facts.start,
        duration_s: facts.duration_s,
        site_holidays: charger.holidays(facts.site_id),
    };
    book.price(&call).map(|p| p.explanation()).unwrap_or_default()
}
