//! The directory: sites, PBXs, trunks, departments, users and extension
//! periods — the whole of it, each entity on its own (read, create,
//! replace, delete), an export as a directory file or an extension CSV,
//! and a bulk import of either through the same loader as `bluewhale load`.
//!
//! Calls already stored keep the extension, user, department and site they
//! were attributed to when they were stored: a directory change reaches
//! them only when they are re-rated (`bluewhale rerate`). A running server
//! reads the directory when it starts, so its live attribution follows a
//! change after a restart.

use crate::audit::entry;
use crate::caller::{Allowed, Caller, need};
use crate::db::Db;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{Json as JsonBody, Path, Query};
use crate::state::ApiState;
use crate::views::{audit_json, time};
use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use directory::{Department, Extension, Pbx, Site, Trunk, User};
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};
use store::Store;
use store::accounts::AuditEntry;
use store::directory_edit::DirectoryEdit;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(whole_directory))
        .routes(routes!(export_directory))
        .routes(routes!(import_directory))
        .routes(routes!(create_site))
        .routes(routes!(get_site, update_site, delete_site))
        .routes(routes!(create_pbx))
        .routes(routes!(get_pbx, update_pbx, delete_pbx))
        .routes(routes!(create_trunk))
        .routes(routes!(get_trunk, update_trunk, delete_trunk))
        .routes(routes!(create_department))
        .routes(routes!(get_department, update_department, delete_department))
        .routes(routes!(create_user))
        .routes(routes!(get_user, update_user, delete_user))
        .routes(routes!(create_extension))
        .routes(routes!(get_extension, update_extension, delete_extension))
}

// Shared with the other modules that change the store ------------------

/// Runs `change` in one transaction with its audit entry. An error it
/// returns rolls both back and is answered as it is (a 404 stays a 404).
/// The transaction is on `store`'s connection: what `change` does through
/// `store` is part of it too.
pub(crate) fn audited<T>(
    store: &Store,
    audit: AuditEntry,
    change: impl FnOnce(&DirectoryEdit<'_>, &mut AuditEntry) -> ApiResult<T>,
) -> ApiResult<T> {
    let mut refused = None;
    let done = store.audited(audit, |_, conn, e| {
        change(&DirectoryEdit::on(conn), e).map_err(|error| {
            refused = Some(error);
            store::Error::Invalid(String::new())
        })
    });
    match (done, refused) {
        (Ok(value), _) => Ok(value),
        (Err(_), Some(error)) => Err(error),
        (Err(e), None) => Err(e.into()),
    }
}

/// Writes the audit entry of a change that committed on its own (a bulk
/// load, a quarantine retry: their library calls run their own
/// transactions, which cannot nest in the audit's).
pub(crate) fn record_audit(store: &Store, audit: AuditEntry) -> ApiResult<()> {
    Ok(store.audited(audit, |_, _, _| Ok(()))?)
}

/// Runs `f` off the async threads with a store of its own, for library
/// calls that need it mutably (they run their own transactions).
pub(crate) async fn with_own_store<T: Send + 'static>(
    db: &Db,
    f: impl FnOnce(&mut Store) -> ApiResult<T> + Send + 'static,
) -> ApiResult<T> {
    let dir = db.data_dir().to_path_buf();
    tokio::task::spawn_blocking(move || f(&mut Store::open(&dir)?))
        .await
        .map_err(|e| ApiError::internal(format!("a database task failed: {e}")))?
}

/// The most a directory or tariff upload may hold.
pub(crate) const MAX_UPLOAD: usize = 64 << 20;

/// A request body read whole, up to [`MAX_UPLOAD`], as UTF-8 text.
pub(crate) async fn upload_text(body: Body) -> ApiResult<String> {
    let bytes = axum::body::to_bytes(body, MAX_UPLOAD).await.map_err(|_| {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "bad_request",
            format!("the body is larger than {} MiB", MAX_UPLOAD >> 20),
        )
    })?;
    if bytes.is_empty() {
        return Err(ApiError::bad_request("the body is empty: send the file to import"));
    }
    String::from_utf8(bytes.to_vec())
        .map_err(|e| ApiError::bad_request(format!("the body is not UTF-8 text: {e}")))
}

/// The media type of a request, without parameters, lower case.
pub(crate) fn media_type(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
    Some(value.split(';').next()?.trim().to_ascii_lowercase())
}

/// A download: the body with its type and file name.
pub(crate) fn download(content_type: &str, file_name: &str, body: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{file_name}\"")),
        ],
        body,
    )
        .into_response()
}

fn missing(what: &str, id: i64) -> ApiError {
    ApiError::not_found(format!("no {what} {id}"))
}

/// The zone a site's dates are read and written in (UTC without a site,
/// as in the directory file).
fn site_zone(d: &DirectoryEdit<'_>, site_id: Option<i64>) -> ApiResult<TimeZone> {
    let Some(id) = site_id else { return Ok(TimeZone::UTC) };
    let site =
        d.site(id)?.ok_or_else(|| ApiError::bad_request(format!("site_id: no site {id}")))?;
    TimeZone::get(&site.time_zone).map_err(|e| ApiError::internal(e.to_string()))
}

/// `YYYY-MM-DD` at midnight in `zone`, as the directory file reads dates.
fn date(field: &str, value: Option<&str>, zone: &TimeZone) -> ApiResult<Option<i64>> {
    let Some(text) = value.map(str::trim).filter(|v| !v.is_empty()) else { return Ok(None) };
    let bad = || ApiError::bad_request(format!("{field}: not a date (YYYY-MM-DD): {text:?}"));
    let day: jiff::civil::Date = text.parse().map_err(|_| bad())?;
    let start = day.to_zoned(zone.clone()).map_err(|_| bad())?;
    Ok(Some(start.timestamp().as_second()))
}

/// Midnight today in `zone`.
fn today_start(zone: &TimeZone) -> ApiResult<i64> {
    let today = jiff::Zoned::now().with_time_zone(zone.clone()).date();
    let start = today.to_zoned(zone.clone()).map_err(|e| ApiError::internal(e.to_string()))?;
    Ok(start.timestamp().as_second())
}

/// An instant as the date it falls on in `zone`.
fn date_text(at: i64, zone: &TimeZone) -> String {
    jiff::Timestamp::from_second(at)
        .map(|t| t.to_zoned(zone.clone()).date().to_string())
        .unwrap_or_default()
}

// Views ------------------------------------------------------------------

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SiteView {
    pub id: i64,
    pub name: String,
    /// IANA zone its calls are shown in and its extensions' dates are read in.
    pub time_zone: String,
    pub country_code: String,
    pub area_code: String,
    /// Carrier of its outside calls when the trunk names none.
    pub carrier: String,
    /// Carrier whose tariff is its reference (PSTN) price.
    pub reference_carrier: String,
    /// Holiday calendar of the tariff book that applies to its calls.
    pub holidays: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PbxView {
    pub id: i64,
    pub name: String,
    /// Record format name (`cucm`, `avaya`, a preset or a definition file).
    pub format: String,
    pub site_id: Option<i64>,
    /// Zone it writes local times in; its site's when null.
    pub time_zone: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TrunkView {
    pub id: i64,
    pub pbx_id: i64,
    /// What the PBX writes in its records for this trunk.
    pub code: String,
    pub name: String,
    /// Carrier of the calls that leave by it.
    pub carrier: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DepartmentView {
    pub id: i64,
    pub parent_id: Option<i64>,
    pub name: String,
    /// Levels joined by `\`: `Company\Sales\EMEA`.
    pub path: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UserView {
    pub id: i64,
    /// Stable key (login or employee number).
    pub key: String,
    pub name: String,
    pub department_id: Option<i64>,
}

/// One validity period of an extension number: who had it, when.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ExtensionView {
    pub id: i64,
    pub number: String,
    pub site_id: Option<i64>,
    pub user_id: Option<i64>,
    pub department_id: Option<i64>,
    /// RFC 3339 (UTC), inclusive; null: since always.
    pub valid_from: Option<String>,
    /// RFC 3339 (UTC), exclusive; null: still valid.
    pub valid_to: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PaidNumberView {
    pub number: String,
    pub carrier: String,
}

/// Organisation-wide settings the directory file's `[organisation]` sets.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OrganisationView {
    /// IANA zone reports count days and months in.
    pub time_zone: String,
    /// Carrier of outside calls of sites and trunks that name none.
    pub carrier: Option<String>,
    /// Reference carrier of sites that name none.
    pub reference_carrier: Option<String>,
    /// Whether dial plans are stored (loaded with `bluewhale load`).
    pub dial_plans: bool,
}

/// The whole directory.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DirectoryView {
    pub organisation: OrganisationView,
    pub sites: Vec<SiteView>,
    pub pbxs: Vec<PbxView>,
    pub trunks: Vec<TrunkView>,
    pub departments: Vec<DepartmentView>,
    pub users: Vec<UserView>,
    pub extensions: Vec<ExtensionView>,
    pub paid_numbers: Vec<PaidNumberView>,
}

impl From<&Site> for SiteView {
    fn from(s: &Site) -> SiteView {
        SiteView {
            id: s.id,
            name: s.name.clone(),
            time_zone: s.time_zone.clone(),
            country_code: s.country_code.clone(),
            area_code: s.area_code.clone(),
            carrier: s.carrier.clone(),
            reference_carrier: s.reference_carrier.clone(),
            holidays: s.holidays.clone(),
        }
    }
}

impl From<&Pbx> for PbxView {
    fn from(p: &Pbx) -> PbxView {
        PbxView {
            id: p.id,
            name: p.name.clone(),
            format: p.format.clone(),
            site_id: p.site_id,
            time_zone: p.time_zone.clone(),
        }
    }
}

impl From<&Trunk> for TrunkView {
    fn from(t: &Trunk) -> TrunkView {
        TrunkView {
            id: t.id,
            pbx_id: t.pbx_id,
            code: t.code.clone(),
            name: t.name.clone(),
            carrier: t.carrier.clone(),
        }
    }
}

impl From<&Department> for DepartmentView {
    fn from(d: &Department) -> DepartmentView {
        DepartmentView {
            id: d.id,
            parent_id: d.parent_id,
            name: d.name.clone(),
            path: d.path.clone(),
        }
    }
}

impl From<&User> for UserView {
    fn from(u: &User) -> UserView {
        UserView {
            id: u.id,
            key: u.key.clone(),
            name: u.name.clone(),
            department_id: u.department_id,
        }
    }
}

impl From<&Extension> for ExtensionView {
    fn from(e: &Extension) -> ExtensionView {
        ExtensionView {
            id: e.id,
            number: e.number.clone(),
            site_id: e.site_id,
            user_id: e.user_id,
            department_id: e.department_id,
            valid_from: (e.valid_from != ALWAYS).then(|| time(e.valid_from)),
            valid_to: e.valid_to.map(time),
        }
    }
}

/// The start of an extension period that has always been valid.
const ALWAYS: i64 = 0;

fn sorted<T, V: From<T>>(items: impl IntoIterator<Item = T>, id: fn(&V) -> i64) -> Vec<V> {
    let mut views: Vec<V> = items.into_iter().map(V::from).collect();
    views.sort_by_key(id);
    views
}

fn directory_view(store: &Store) -> ApiResult<DirectoryView> {
    let d = store.directory()?;
    let setting = |key| -> ApiResult<Option<String>> {
        Ok(store.setting(key)?.filter(|v: &String| !v.is_empty()))
    };
    Ok(DirectoryView {
        organisation: OrganisationView {
            time_zone: setting(store::settings::TIME_ZONE)?.unwrap_or_else(|| "UTC".into()),
            carrier: setting(store::settings::CARRIER)?,
            reference_carrier: setting(store::settings::REFERENCE_CARRIER)?,
            dial_plans: setting(store::settings::DIAL_PLANS)?.is_some(),
        },
        sites: sorted(&d.sites, |v: &SiteView| v.id),
        pbxs: sorted(&d.pbxs, |v: &PbxView| v.id),
        trunks: sorted(&d.trunks, |v: &TrunkView| v.id),
        departments: sorted(&d.departments, |v: &DepartmentView| v.id),
        users: sorted(&d.users, |v: &UserView| v.id),
        extensions: sorted(&d.extensions, |v: &ExtensionView| v.id),
        paid_numbers: d
            .paid_numbers
            .iter()
            .map(|n| PaidNumberView { number: n.number.clone(), carrier: n.carrier.clone() })
            .collect(),
    })
}

/// The whole directory: organisation settings, sites, PBXs, trunks,
/// departments (with their paths), users, every extension period (with
/// its validity) and paid numbers, each list in id order.
#[utoipa::path(get, path = "/directory", tag = "directory",
    responses((status = 200, body = DirectoryView), (status = 403, body = ErrorBody)))]
async fn whole_directory(
    State(state): State<ApiState>,
    _: Allowed<need::DirectoryRead>,
) -> ApiResult<Json<DirectoryView>> {
    Ok(Json(state.db.run(directory_view).await?))
}

// Inputs -----------------------------------------------------------------

/// A site to create, or the new state of one.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct SiteInput {
    pub name: String,
    /// IANA zone (`Europe/Paris`).
    pub time_zone: String,
    #[serde(default)]
    pub country_code: String,
    #[serde(default)]
    pub area_code: String,
    #[serde(default)]
    pub carrier: String,
    #[serde(default)]
    pub reference_carrier: String,
    #[serde(default)]
    pub holidays: String,
}

/// A PBX to create, or the new state of one.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct PbxInput {
    pub name: String,
    /// A format `bluewhale formats` lists (checked).
    pub format: String,
    pub site_id: Option<i64>,
    /// IANA zone of its local times; null: its site's.
    pub time_zone: Option<String>,
}

/// A trunk to create, or the new state of one.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct TrunkInput {
    pub pbx_id: i64,
    pub code: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub carrier: String,
}

/// A department to create (under `parent_id`, at the top when null), or
/// its new name and place.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct DepartmentInput {
    /// One level: no `\` or `/`.
    pub name: String,
    pub parent_id: Option<i64>,
}

/// A user (a person in the directory) to create, or the new state of one.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct UserInput {
    pub key: String,
    pub name: String,
    pub department_id: Option<i64>,
}

/// An extension period to create, or the new state of one. Dates are
/// `YYYY-MM-DD`, midnight in the site's zone (UTC without a site), as in
/// the directory file.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct ExtensionInput {
    pub number: String,
    pub site_id: Option<i64>,
    pub user_id: Option<i64>,
    /// Null: the user's department.
    pub department_id: Option<i64>,
    /// Null: since always.
    pub valid_from: Option<String>,
    /// Exclusive; null: still valid.
    pub valid_to: Option<String>,
    /// PUT only, when the owner (user or department) changes: the day the
    /// new owner takes the number (default: today in the site's zone).
    pub owner_from: Option<String>,
}

impl ExtensionInput {
    /// The period this input describes, dates resolved in the site's zone.
    fn extension(&self, d: &DirectoryEdit<'_>) -> ApiResult<Extension> {
        let zone = site_zone(d, self.site_id)?;
        Ok(Extension {
            id: 0,
            site_id: self.site_id,
            number: self.number.clone(),
            user_id: self.user_id,
            department_id: self.department_id,
            valid_from: date("valid_from", self.valid_from.as_deref(), &zone)?.unwrap_or(ALWAYS),
            valid_to: date("valid_to", self.valid_to.as_deref(), &zone)?,
        })
    }
}

// One kind of entity, for the endpoints all kinds share -------------------

trait Kind {
    /// Singular, as in audit actions (`site.create`) and messages.
    const NAME: &'static str;
    type Input: Send + 'static;
    type View: Serialize + Send + 'static;
    fn read(d: &DirectoryEdit<'_>, id: i64) -> ApiResult<Option<Self::View>>;
    fn create(d: &DirectoryEdit<'_>, input: &Self::Input) -> ApiResult<i64>;
    /// False when there is no entity `id`.
    fn update(d: &DirectoryEdit<'_>, id: i64, input: &Self::Input) -> ApiResult<bool>;
    fn delete(d: &DirectoryEdit<'_>, id: i64) -> ApiResult<bool>;
    /// Checks before the delete's transaction, for those too slow to run
    /// while holding the store's write lock.
    fn may_delete(_store: &Store, _id: i64) -> ApiResult<()> {
        Ok(())
    }
    /// Checks of the directory as changed, inside the change's
    /// transaction (an error rolls the change back).
    fn check(_store: &Store) -> ApiResult<()> {
        Ok(())
    }
}

async fn create<K: Kind>(
    state: ApiState,
    caller: &Caller,
    input: K::Input,
) -> ApiResult<(StatusCode, Json<K::View>)> {
    let audit = entry(caller, &format!("{}.create", K::NAME), K::NAME, None);
    let view = state
        .db
        .run(move |s| {
            audited(s, audit, |d, e| {
                let id = K::create(d, &input)?;
                K::check(s)?;
                let view = K::read(d, id)?.ok_or_else(|| missing(K::NAME, id))?;
                e.entity_id = Some(id.to_string());
                e.after = audit_json(&view);
                Ok(view)
            })
        })
        .await?;
    Ok((StatusCode::CREATED, Json(view)))
}

async fn read<K: Kind>(state: ApiState, id: i64) -> ApiResult<Json<K::View>> {
    let view = state
        .db
        .run(move |s| K::read(&s.directory_edit(), id)?.ok_or_else(|| missing(K::NAME, id)));
    Ok(Json(view.await?))
}

async fn update<K: Kind>(
    state: ApiState,
    caller: &Caller,
    id: i64,
    input: K::Input,
) -> ApiResult<Json<K::View>> {
    let audit = entry(caller, &format!("{}.update", K::NAME), K::NAME, Some(id.to_string()));
    let view = state
        .db
        .run(move |s| {
            audited(s, audit, |d, e| {
                let before = K::read(d, id)?.ok_or_else(|| missing(K::NAME, id))?;
                e.before = audit_json(&before);
                if !K::update(d, id, &input)? {
                    return Err(missing(K::NAME, id));
                }
                K::check(s)?;
                let view = K::read(d, id)?.ok_or_else(|| missing(K::NAME, id))?;
                e.after = audit_json(&view);
                Ok(view)
            })
        })
        .await?;
    Ok(Json(view))
}

async fn delete<K: Kind>(state: ApiState, caller: &Caller, id: i64) -> ApiResult<StatusCode> {
    let audit = entry(caller, &format!("{}.delete", K::NAME), K::NAME, Some(id.to_string()));
    state
        .db
        .run(move |s| {
            K::may_delete(s, id)?;
            audited(s, audit, |d, e| {
                let before = K::read(d, id)?.ok_or_else(|| missing(K::NAME, id))?;
                e.before = audit_json(&before);
                if !K::delete(d, id)? {
                    return Err(missing(K::NAME, id));
                }
                Ok(())
            })
        })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

struct Sites;
struct Pbxs;
struct Trunks;
struct Departments;
struct Users;
struct Extensions;

impl SiteInput {
    fn site(&self) -> Site {
        Site {
            id: 0,
            name: self.name.clone(),
            time_zone: self.time_zone.clone(),
            country_code: self.country_code.clone(),
            area_code: self.area_code.clone(),
            carrier: self.carrier.clone(),
            reference_carrier: self.reference_carrier.clone(),
            holidays: self.holidays.clone(),
        }
    }
}

impl Kind for Sites {
    const NAME: &'static str = "site";
    type Input = SiteInput;
    type View = SiteView;
    fn read(d: &DirectoryEdit<'_>, id: i64) -> ApiResult<Option<SiteView>> {
        Ok(d.site(id)?.as_ref().map(SiteView::from))
    }
    fn create(d: &DirectoryEdit<'_>, input: &SiteInput) -> ApiResult<i64> {
        Ok(d.create_site(&input.site())?)
    }
    fn update(d: &DirectoryEdit<'_>, id: i64, input: &SiteInput) -> ApiResult<bool> {
        Ok(d.update_site(id, &input.site())?)
    }
    fn delete(d: &DirectoryEdit<'_>, id: i64) -> ApiResult<bool> {
        Ok(d.delete_site(id)?)
    }
    /// Sites decide dial plans and carriers: a site pricing cannot work
    /// with (an area code its country's dial plan refuses…) is refused
    /// now, rather than found out when its calls come in.
    fn check(store: &Store) -> ApiResult<()> {
        let book = charging::tariffs::load_book(store)
            .map_err(|e| ApiError::internal(format!("tariffs: {e}")))?;
        charging::Charger::new(store, std::sync::Arc::new(book)).map_err(|e| match e {
            charging::ChargerError::DialPlans(m) => {
                ApiError::bad_request(format!("dial plans: {m}"))
            }
            charging::ChargerError::Store(e) => e.into(),
        })?;
        Ok(())
    }
}

impl PbxInput {
    fn pbx(&self) -> ApiResult<Pbx> {
        // The name the import and the server resolve, checked now rather
        // than when the PBX's first records come in.
        parsers::Format::by_name(&self.format)
            .map_err(|e| ApiError::bad_request(format!("format: {e}")))?;
        Ok(Pbx {
            id: 0,
            name: self.name.clone(),
            format: self.format.trim().to_string(),
            site_id: self.site_id,
            time_zone: self.time_zone.clone(),
        })
    }
}

impl Kind for Pbxs {
    const NAME: &'static str = "pbx";
    type Input = PbxInput;
    type View = PbxView;
    fn read(d: &DirectoryEdit<'_>, id: i64) -> ApiResult<Option<PbxView>> {
        Ok(d.pbx(id)?.as_ref().map(PbxView::from))
    }
    fn create(d: &DirectoryEdit<'_>, input: &PbxInput) -> ApiResult<i64> {
        Ok(d.create_pbx(&input.pbx()?)?)
    }
    fn update(d: &DirectoryEdit<'_>, id: i64, input: &PbxInput) -> ApiResult<bool> {
        Ok(d.update_pbx(id, &input.pbx()?)?)
    }
    fn delete(d: &DirectoryEdit<'_>, id: i64) -> ApiResult<bool> {
        Ok(d.delete_pbx(id)?)
    }
    fn may_delete(store: &Store, id: i64) -> ApiResult<()> {
        if store.directory_edit().pbx_has_calls(id)? {
            return Err(ApiError::conflict(format!(
                "PBX {id} is still referred to by stored calls"
            )));
        }
        Ok(())
    }
}

impl TrunkInput {
    fn trunk(&self) -> Trunk {
        Trunk {
            id: 0,
            pbx_id: self.pbx_id,
            code: self.code.clone(),
            name: self.name.clone(),
            carrier: self.carrier.clone(),
        }
    }
}

impl Kind for Trunks {
    const NAME: &'static str = "trunk";
    type Input = TrunkInput;
    type View = TrunkView;
    fn read(d: &DirectoryEdit<'_>, id: i64) -> ApiResult<Option<TrunkView>> {
        Ok(d.trunk(id)?.as_ref().map(TrunkView::from))
    }
    fn create(d: &DirectoryEdit<'_>, input: &TrunkInput) -> ApiResult<i64> {
        Ok(d.create_trunk(&input.trunk())?)
    }
    fn update(d: &DirectoryEdit<'_>, id: i64, input: &TrunkInput) -> ApiResult<bool> {
        Ok(d.update_trunk(id, &input.trunk())?)
    }
    fn delete(d: &DirectoryEdit<'_>, id: i64) -> ApiResult<bool> {
        Ok(d.delete_trunk(id)?)
    }
}

impl Kind for Departments {
    const NAME: &'static str = "department";
    type Input = DepartmentInput;
    type View = DepartmentView;
    fn read(d: &DirectoryEdit<'_>, id: i64) -> ApiResult<Option<DepartmentView>> {
        Ok(d.department(id)?.as_ref().map(DepartmentView::from))
    }
    fn create(d: &DirectoryEdit<'_>, input: &DepartmentInput) -> ApiResult<i64> {
        Ok(d.create_department(input.parent_id, &input.name)?)
    }
    fn update(d: &DirectoryEdit<'_>, id: i64, input: &DepartmentInput) -> ApiResult<bool> {
        Ok(d.update_department(id, input.parent_id, &input.name)?)
    }
    fn delete(d: &DirectoryEdit<'_>, id: i64) -> ApiResult<bool> {
        Ok(d.delete_department(id)?)
    }
}

impl UserInput {
    fn user(&self) -> User {
        User {
            id: 0,
            key: self.key.clone(),
            name: self.name.clone(),
            department_id: self.department_id,
        }
    }
}

impl Kind for Users {
    const NAME: &'static str = "user";
    type Input = UserInput;
    type View = UserView;
    fn read(d: &DirectoryEdit<'_>, id: i64) -> ApiResult<Option<UserView>> {
        Ok(d.user(id)?.as_ref().map(UserView::from))
    }
    fn create(d: &DirectoryEdit<'_>, input: &UserInput) -> ApiResult<i64> {
        Ok(d.create_user(&input.user())?)
    }
    fn update(d: &DirectoryEdit<'_>, id: i64, input: &UserInput) -> ApiResult<bool> {
        Ok(d.update_user(id, &input.user())?)
    }
    fn delete(d: &DirectoryEdit<'_>, id: i64) -> ApiResult<bool> {
        Ok(d.delete_user(id)?)
    }
}

impl Kind for Extensions {
    const NAME: &'static str = "extension";
    type Input = ExtensionInput;
    type View = ExtensionView;
    fn read(d: &DirectoryEdit<'_>, id: i64) -> ApiResult<Option<ExtensionView>> {
        Ok(d.extension(id)?.as_ref().map(ExtensionView::from))
    }
    fn create(d: &DirectoryEdit<'_>, input: &ExtensionInput) -> ApiResult<i64> {
        Ok(d.create_extension(&input.extension(d)?)?)
    }
    fn update(d: &DirectoryEdit<'_>, id: i64, input: &ExtensionInput) -> ApiResult<bool> {
        Ok(d.update_extension(id, &input.extension(d)?)?)
    }
    fn delete(d: &DirectoryEdit<'_>, id: i64) -> ApiResult<bool> {
        Ok(d.delete_extension(id)?)
    }
}

// Endpoints per kind ---------------------------------------------------------

/// A site (a place with its own dial plan, zone and carriers).
#[utoipa::path(post, path = "/directory/sites", tag = "directory", request_body = SiteInput,
    responses((status = 201, body = SiteView), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn create_site(
    State(state): State<ApiState>,
    caller: Allowed<need::DirectoryWrite>,
    JsonBody(input): JsonBody<SiteInput>,
) -> ApiResult<(StatusCode, Json<SiteView>)> {
    create::<Sites>(state, &caller, input).await
}

#[utoipa::path(get, path = "/directory/sites/{id}", tag = "directory",
    params(("id" = i64, Path, description = "Site id")),
    responses((status = 200, body = SiteView), (status = 404, body = ErrorBody)))]
async fn get_site(
    State(state): State<ApiState>,
    _: Allowed<need::DirectoryRead>,
    Path(id): Path<i64>,
) -> ApiResult<Json<SiteView>> {
    read::<Sites>(state, id).await
}

/// Replaces a site's fields (audited before/after). A site pricing
/// cannot work with (its country's dial plan refuses its area code) is
/// refused with 400.
#[utoipa::path(put, path = "/directory/sites/{id}", tag = "directory", request_body = SiteInput,
    params(("id" = i64, Path, description = "Site id")),
    responses((status = 200, body = SiteView), (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn update_site(
    State(state): State<ApiState>,
    caller: Allowed<need::DirectoryWrite>,
    Path(id): Path<i64>,
    JsonBody(input): JsonBody<SiteInput>,
) -> ApiResult<Json<SiteView>> {
    update::<Sites>(state, &caller, id, input).await
}

/// Deletes a site no PBX or extension period names (409 naming them
/// otherwise). Calls keep the site id they were stored with.
#[utoipa::path(delete, path = "/directory/sites/{id}", tag = "directory",
    params(("id" = i64, Path, description = "Site id")),
    responses((status = 204, description = "Deleted"), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
async fn delete_site(
    State(state): State<ApiState>,
    caller: Allowed<need::DirectoryWrite>,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    delete::<Sites>(state, &caller, id).await
}

/// A PBX; its format must be one the import knows.
#[utoipa::path(post, path = "/directory/pbxs", tag = "directory", request_body = PbxInput,
    responses((status = 201, body = PbxView), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn create_pbx(
    State(state): State<ApiState>,
    caller: Allowed<need::DirectoryWrite>,
    JsonBody(input): JsonBody<PbxInput>,
) -> ApiResult<(StatusCode, Json<PbxView>)> {
    create::<Pbxs>(state, &caller, input).await
}

#[utoipa::path(get, path = "/directory/pbxs/{id}", tag = "directory",
    params(("id" = i64, Path, description = "PBX id")),
    responses((status = 200, body = PbxView), (status = 404, body = ErrorBody)))]
async fn get_pbx(
    State(state): State<ApiState>,
    _: Allowed<need::DirectoryRead>,
    Path(id): Path<i64>,
) -> ApiResult<Json<PbxView>> {
    read::<Pbxs>(state, id).await
}

/// Replaces a PBX's fields. Its records are matched to it by name:
/// quarantined records and a server's `[[pbx]]` configuration name it.
#[utoipa::path(put, path = "/directory/pbxs/{id}", tag = "directory", request_body = PbxInput,
    params(("id" = i64, Path, description = "PBX id")),
    responses((status = 200, body = PbxView), (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn update_pbx(
    State(state): State<ApiState>,
    caller: Allowed<need::DirectoryWrite>,
    Path(id): Path<i64>,
    JsonBody(input): JsonBody<PbxInput>,
) -> ApiResult<Json<PbxView>> {
    update::<Pbxs>(state, &caller, id, input).await
}

/// Deletes a PBX without trunks and stored calls (409 naming them
/// otherwise). Finding out that no call came from it reads the stored
/// calls: on a large store this takes a while.
#[utoipa::path(delete, path = "/directory/pbxs/{id}", tag = "directory",
    params(("id" = i64, Path, description = "PBX id")),
    responses((status = 204, description = "Deleted"), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
async fn delete_pbx(
    State(state): State<ApiState>,
    caller: Allowed<need::DirectoryWrite>,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    delete::<Pbxs>(state, &caller, id).await
}

/// A trunk of a PBX, with the carrier of the calls that leave by it.
#[utoipa::path(post, path = "/directory/trunks", tag = "directory", request_body = TrunkInput,
    responses((status = 201, body = TrunkView), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn create_trunk(
    State(state): State<ApiState>,
    caller: Allowed<need::DirectoryWrite>,
    JsonBody(input): JsonBody<TrunkInput>,
) -> ApiResult<(StatusCode, Json<TrunkView>)> {
    create::<Trunks>(state, &caller, input).await
}

#[utoipa::path(get, path = "/directory/trunks/{id}", tag = "directory",
    params(("id" = i64, Path, description = "Trunk id")),
    responses((status = 200, body = TrunkView), (status = 404, body = ErrorBody)))]
async fn get_trunk(
    State(state): State<ApiState>,
    _: Allowed<need::DirectoryRead>,
    Path(id): Path<i64>,
) -> ApiResult<Json<TrunkView>> {
    read::<Trunks>(state, id).await
}

/// Replaces a trunk's fields; stored calls keep their charges until
/// re-rated.
#[utoipa::path(put, path = "/directory/trunks/{id}", tag = "directory", request_body = TrunkInput,
    params(("id" = i64, Path, description = "Trunk id")),
    responses((status = 200, body = TrunkView), (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn update_trunk(
    State(state): State<ApiState>,
    caller: Allowed<need::DirectoryWrite>,
    Path(id): Path<i64>,
    JsonBody(input): JsonBody<TrunkInput>,
) -> ApiResult<Json<TrunkView>> {
    update::<Trunks>(state, &caller, id, input).await
}

/// Deletes a trunk. Calls that used it keep its id; re-rated, they find
/// no trunk and are priced on their site's carrier.
#[utoipa::path(delete, path = "/directory/trunks/{id}", tag = "directory",
    params(("id" = i64, Path, description = "Trunk id")),
    responses((status = 204, description = "Deleted"), (status = 404, body = ErrorBody)))]
async fn delete_trunk(
    State(state): State<ApiState>,
    caller: Allowed<need::DirectoryWrite>,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    delete::<Trunks>(state, &caller, id).await
}

/// A department under `parent_id` (at the top when null); its path is
/// the parent's path and its name.
#[utoipa::path(post, path = "/directory/departments", tag = "directory",
    request_body = DepartmentInput,
    responses((status = 201, body = DepartmentView), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn create_department(
    State(state): State<ApiState>,
    caller: Allowed<need::DirectoryWrite>,
    JsonBody(input): JsonBody<DepartmentInput>,
) -> ApiResult<(StatusCode, Json<DepartmentView>)> {
    create::<Departments>(state, &caller, input).await
}

#[utoipa::path(get, path = "/directory/departments/{id}", tag = "directory",
    params(("id" = i64, Path, description = "Department id")),
    responses((status = 200, body = DepartmentView), (status = 404, body = ErrorBody)))]
async fn get_department(
    State(state): State<ApiState>,
    _: Allowed<need::DirectoryRead>,
    Path(id): Path<i64>,
) -> ApiResult<Json<DepartmentView>> {
    read::<Departments>(state, id).await
}

/// Renames a department and/or moves it under another parent (the body
/// is its whole new state: `parent_id` null puts it at the top); the
/// paths of every department below it change with it. Ids do not change, so
/// stored calls, manager accounts and reports follow.
#[utoipa::path(put, path = "/directory/departments/{id}", tag = "directory",
    request_body = DepartmentInput,
    params(("id" = i64, Path, description = "Department id")),
    responses((status = 200, body = DepartmentView), (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn update_department(
    State(state): State<ApiState>,
    caller: Allowed<need::DirectoryWrite>,
    Path(id): Path<i64>,
    JsonBody(input): JsonBody<DepartmentInput>,
) -> ApiResult<Json<DepartmentView>> {
    update::<Departments>(state, &caller, id, input).await
}

/// Deletes a department nothing refers to; otherwise 409 naming what
/// does: departments below it, users, extension periods, manager
/// accounts, stored calls.
#[utoipa::path(delete, path = "/directory/departments/{id}", tag = "directory",
    params(("id" = i64, Path, description = "Department id")),
    responses((status = 204, description = "Deleted"), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
async fn delete_department(
    State(state): State<ApiState>,
    caller: Allowed<need::DirectoryWrite>,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    delete::<Departments>(state, &caller, id).await
}

/// A user: a person extensions belong to (not a sign-in account).
#[utoipa::path(post, path = "/directory/users", tag = "directory", request_body = UserInput,
    responses((status = 201, body = UserView), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn create_user(
    State(state): State<ApiState>,
    caller: Allowed<need::DirectoryWrite>,
    JsonBody(input): JsonBody<UserInput>,
) -> ApiResult<(StatusCode, Json<UserView>)> {
    create::<Users>(state, &caller, input).await
}

#[utoipa::path(get, path = "/directory/users/{id}", tag = "directory",
    params(("id" = i64, Path, description = "User id")),
    responses((status = 200, body = UserView), (status = 404, body = ErrorBody)))]
async fn get_user(
    State(state): State<ApiState>,
    _: Allowed<need::DirectoryRead>,
    Path(id): Path<i64>,
) -> ApiResult<Json<UserView>> {
    read::<Users>(state, id).await
}

/// Replaces a user's fields. Extension periods keep their own
/// department: moving a person does not move their numbers' calls.
#[utoipa::path(put, path = "/directory/users/{id}", tag = "directory", request_body = UserInput,
    params(("id" = i64, Path, description = "User id")),
    responses((status = 200, body = UserView), (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn update_user(
    State(state): State<ApiState>,
    caller: Allowed<need::DirectoryWrite>,
    Path(id): Path<i64>,
    JsonBody(input): JsonBody<UserInput>,
) -> ApiResult<Json<UserView>> {
    update::<Users>(state, &caller, id, input).await
}

/// Deletes a user no extension period or account refers to (409 naming
/// them otherwise).
#[utoipa::path(delete, path = "/directory/users/{id}", tag = "directory",
    params(("id" = i64, Path, description = "User id")),
    responses((status = 204, description = "Deleted"), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
async fn delete_user(
    State(state): State<ApiState>,
    caller: Allowed<need::DirectoryWrite>,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    delete::<Users>(state, &caller, id).await
}

/// An extension period: a number at a site, owned by a user and a
/// department from `valid_from` until `valid_to`. Periods of one number
/// at one site may not overlap (409).
#[utoipa::path(post, path = "/directory/extensions", tag = "directory",
    request_body = ExtensionInput,
    responses((status = 201, body = ExtensionView), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn create_extension(
    State(state): State<ApiState>,
    caller: Allowed<need::DirectoryWrite>,
    JsonBody(input): JsonBody<ExtensionInput>,
) -> ApiResult<(StatusCode, Json<ExtensionView>)> {
    create::<Extensions>(state, &caller, input).await
}

#[utoipa::path(get, path = "/directory/extensions/{id}", tag = "directory",
    params(("id" = i64, Path, description = "Extension period id")),
    responses((status = 200, body = ExtensionView), (status = 404, body = ErrorBody)))]
async fn get_extension(
    State(state): State<ApiState>,
    _: Allowed<need::DirectoryRead>,
    Path(id): Path<i64>,
) -> ApiResult<Json<ExtensionView>> {
    read::<Extensions>(state, id).await
}

/// What a PUT of an extension period did.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExtensionChange {
    /// The period as it now is: the one changed, or the new one the
    /// number's new owner holds.
    pub extension: ExtensionView,
    /// When the owner changed from a day inside the period: the earlier
    /// period, now ending that day.
    pub ended: Option<ExtensionView>,
}

/// Changes an extension period.
///
/// - Same owner (user and department): the period is rewritten in place
///   (number, site, validity).
/// - New owner: the number changes hands on `owner_from` (default today
///   in the site's zone). The period ends that day and a new period with
///   the new owner (and the body's `valid_to`) starts then, so the calls
///   before it stay with the old owner even when re-rated. Number, site
///   and `valid_from` must then be the period's own (change them in
///   another request). When `owner_from` is on or before the period's
///   start, the whole period changes owner in place.
///
/// Stored calls keep their attribution until re-rated either way.
#[utoipa::path(put, path = "/directory/extensions/{id}", tag = "directory",
    request_body = ExtensionInput,
    params(("id" = i64, Path, description = "Extension period id")),
    responses((status = 200, body = ExtensionChange), (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn update_extension(
    State(state): State<ApiState>,
    caller: Allowed<need::DirectoryWrite>,
    Path(id): Path<i64>,
    JsonBody(input): JsonBody<ExtensionInput>,
) -> ApiResult<Json<ExtensionChange>> {
    let audit = entry(&caller, "extension.update", "extension", Some(id.to_string()));
    let change =
        state.db.run(move |s| audited(s, audit, |d, e| change_extension(d, e, id, &input))).await?;
    Ok(Json(change))
}

fn change_extension(
    d: &DirectoryEdit<'_>,
    e: &mut AuditEntry,
    id: i64,
    input: &ExtensionInput,
) -> ApiResult<ExtensionChange> {
    let current = d.extension(id)?.ok_or_else(|| missing("extension", id))?;
    e.before = audit_json(&ExtensionView::from(&current));
    let wanted = input.extension(d)?;
    let user_department = match wanted.user_id {
        Some(user) => d.user(user)?.and_then(|u| u.department_id),
        None => None,
    };
    let owner = (wanted.user_id, wanted.department_id.or(user_department));
    let zone = site_zone(d, current.site_id)?;
    let from = match date("owner_from", input.owner_from.as_deref(), &zone)? {
        Some(from) => from,
        None => today_start(&zone)?,
    };
    let in_place = owner == (current.user_id, current.department_id) || from <= current.valid_from;
    if in_place {
        d.update_extension(id, &wanted)?;
        let view = ExtensionView::from(&d.extension(id)?.ok_or_else(|| missing("extension", id))?);
        e.after = audit_json(&view);
        return Ok(ExtensionChange { extension: view, ended: None });
    }
    let same_place = wanted.number.trim() == current.number
        && wanted.site_id == current.site_id
        && wanted.valid_from == current.valid_from;
    if !same_place {
        return Err(ApiError::bad_request(
            "number, site_id, valid_from: a change of owner keeps the period's own; change them \
             in a separate request",
        ));
    }
    let next = d
        .reassign_extension(id, from, owner.0, owner.1, wanted.valid_to)?
        .ok_or_else(|| missing("extension", id))?;
    let view = |id| -> ApiResult<ExtensionView> {
        Ok(ExtensionView::from(&d.extension(id)?.ok_or_else(|| missing("extension", id))?))
    };
    let change = ExtensionChange { extension: view(next)?, ended: Some(view(id)?) };
    e.action = "extension.reassign".into();
    e.after = audit_json(&change);
    Ok(change)
}

/// Deletes an extension period no stored call belongs to (409
/// otherwise: end it with `valid_to` instead).
#[utoipa::path(delete, path = "/directory/extensions/{id}", tag = "directory",
    params(("id" = i64, Path, description = "Extension period id")),
    responses((status = 204, description = "Deleted"), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
async fn delete_extension(
    State(state): State<ApiState>,
    caller: Allowed<need::DirectoryWrite>,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    delete::<Extensions>(state, &caller, id).await
}

// Export ---------------------------------------------------------------------

#[derive(Debug, Deserialize, IntoParams)]
pub struct ExportQuery {
    /// `toml` (default): a directory file, as `bluewhale load` and
    /// `POST /directory/import` read it; `csv`: the extension periods as
    /// a bulk extension CSV.
    pub format: Option<String>,
}

/// The directory as a file: a directory TOML (organisation settings but
/// the dial plans, which are a file of their own; sites, PBXs, trunks,
/// departments, users, extension periods inline, paid numbers) or the
/// extension CSV (`number,site,user,department,valid_from,valid_to`).
/// Loading it again changes nothing.
#[utoipa::path(get, path = "/directory/export", tag = "directory", params(ExportQuery),
    responses((status = 200, description = "The file, as an attachment",
            content((String = "application/toml"), (String = "text/csv"))),
        (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn export_directory(
    State(state): State<ApiState>,
    _: Allowed<need::DirectoryRead>,
    Query(q): Query<ExportQuery>,
) -> ApiResult<Response> {
    let csv = match q.format.as_deref().map(str::trim).unwrap_or("toml") {
        "toml" => false,
        "csv" => true,
        other => return Err(ApiError::bad_request(format!("format {other:?}: toml or csv"))),
    };
    let text = state.db.run(move |s| export::file(s, csv)).await?;
    Ok(if csv {
        download("text/csv; charset=utf-8", "extensions.csv", text)
    } else {
        download("application/toml; charset=utf-8", "directory.toml", text)
    })
}

/// The directory written in the formats `directory` reads.
mod export {
    use super::date_text;
    use crate::error::{ApiError, ApiResult};
    use directory::Directory;
    use jiff::tz::TimeZone;
    use serde::Serialize;
    use std::collections::HashMap;
    use store::Store;

    fn empty(s: &str) -> bool {
        s.is_empty()
    }

    #[derive(Serialize, Default)]
    struct File {
        #[serde(skip_serializing_if = "Option::is_none")]
        organisation: Option<Organisation>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        site: Vec<Site>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        pbx: Vec<Pbx>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        trunk: Vec<Trunk>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        department: Vec<Department>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        user: Vec<User>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        extension: Vec<Row>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        paid_number: Vec<PaidNumber>,
    }

    #[derive(Serialize, Default)]
    struct Organisation {
        #[serde(skip_serializing_if = "Option::is_none")]
        time_zone: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        carrier: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        reference_carrier: Option<String>,
    }

    #[derive(Serialize)]
    struct Site {
        name: String,
        time_zone: String,
        #[serde(skip_serializing_if = "empty")]
        country_code: String,
        #[serde(skip_serializing_if = "empty")]
        area_code: String,
        #[serde(skip_serializing_if = "empty")]
        carrier: String,
        #[serde(skip_serializing_if = "empty")]
        reference_carrier: String,
        #[serde(skip_serializing_if = "empty")]
        holidays: String,
    }

    #[derive(Serialize)]
    struct Pbx {
        name: String,
        format: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        site: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        time_zone: Option<String>,
    }

    #[derive(Serialize)]
    struct Trunk {
        pbx: String,
        code: String,
        #[serde(skip_serializing_if = "empty")]
        name: String,
        #[serde(skip_serializing_if = "empty")]
        carrier: String,
    }

    #[derive(Serialize)]
    struct Department {
        path: String,
    }

    #[derive(Serialize)]
    struct User {
        key: String,
        name: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        department: Option<String>,
    }

    /// An extension period, inline in the TOML or a CSV row.
    #[derive(Serialize)]
    struct Row {
        number: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        site: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        user: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        department: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        valid_from: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        valid_to: Option<String>,
    }

    #[derive(Serialize)]
    struct PaidNumber {
        number: String,
        carrier: String,
    }

    /// Names of the entities the file refers to by name.
    struct Names<'d> {
        sites: HashMap<i64, (&'d str, TimeZone)>,
        pbxs: HashMap<i64, &'d str>,
        departments: HashMap<i64, &'d str>,
        users: HashMap<i64, &'d str>,
    }

    impl<'d> Names<'d> {
        fn of(d: &'d Directory) -> Names<'d> {
            Names {
                sites: d
                    .sites
                    .iter()
                    .map(|s| {
                        let zone = TimeZone::get(&s.time_zone).unwrap_or(TimeZone::UTC);
                        (s.id, (s.name.as_str(), zone))
                    })
                    .collect(),
                pbxs: d.pbxs.iter().map(|p| (p.id, p.name.as_str())).collect(),
                departments: d.departments.iter().map(|x| (x.id, x.path.as_str())).collect(),
                users: d.users.iter().map(|u| (u.id, u.key.as_str())).collect(),
            }
        }

        fn department(&self, id: Option<i64>) -> Option<String> {
            id.and_then(|id| self.departments.get(&id)).map(|p| p.to_string())
        }

        fn rows(&self, d: &Directory) -> Vec<Row> {
            let mut extensions: Vec<&directory::Extension> = d.extensions.iter().collect();
            extensions.sort_by(|a, b| (&a.number, a.valid_from).cmp(&(&b.number, b.valid_from)));
            extensions
                .into_iter()
                .map(|e| {
                    let site = e.site_id.and_then(|id| self.sites.get(&id));
                    let zone = site.map_or(TimeZone::UTC, |(_, z)| z.clone());
                    Row {
                        number: e.number.clone(),
                        site: site.map(|(name, _)| name.to_string()),
                        user: e.user_id.and_then(|id| self.users.get(&id)).map(|k| k.to_string()),
                        department: self.department(e.department_id),
                        valid_from: (e.valid_from != super::ALWAYS)
                            .then(|| date_text(e.valid_from, &zone)),
                        valid_to: e.valid_to.map(|t| date_text(t, &zone)),
                    }
                })
                .collect()
        }
    }

    /// The directory file (or, with `csv`, the extension CSV).
    pub(super) fn file(store: &Store, csv: bool) -> ApiResult<String> {
        let d = store.directory()?;
        let names = Names::of(&d);
        if csv {
            return extensions_csv(&names.rows(&d));
        }
        let setting = |key| -> ApiResult<Option<String>> {
            Ok(store.setting(key)?.filter(|v: &String| !v.is_empty()))
        };
        let organisation = Organisation {
            time_zone: setting(store::settings::TIME_ZONE)?,
            carrier: setting(store::settings::CARRIER)?,
            reference_carrier: setting(store::settings::REFERENCE_CARRIER)?,
        };
        let has_organisation = organisation.time_zone.is_some()
            || organisation.carrier.is_some()
            || organisation.reference_carrier.is_some();
        let mut departments: Vec<&str> = d.departments.iter().map(|x| x.path.as_str()).collect();
        departments.sort_unstable();
        let file = File {
            organisation: has_organisation.then_some(organisation),
            site: d
                .sites
                .iter()
                .map(|s| Site {
                    name: s.name.clone(),
                    time_zone: s.time_zone.clone(),
                    country_code: s.country_code.clone(),
                    area_code: s.area_code.clone(),
                    carrier: s.carrier.clone(),
                    reference_carrier: s.reference_carrier.clone(),
                    holidays: s.holidays.clone(),
                })
                .collect(),
            pbx: d
                .pbxs
                .iter()
                .map(|p| Pbx {
                    name: p.name.clone(),
                    format: p.format.clone(),
                    site: p.site_id.and_then(|id| names.sites.get(&id)).map(|s| s.0.to_string()),
                    time_zone: p.time_zone.clone(),
                })
                .collect(),
            trunk: d
                .trunks
                .iter()
                .filter_map(|t| {
                    Some(Trunk {
                        pbx: names.pbxs.get(&t.pbx_id)?.to_string(),
                        code: t.code.clone(),
                        name: t.name.clone(),
                        carrier: t.carrier.clone(),
                    })
                })
                .collect(),
            department: departments
                .into_iter()
                .map(|path| Department { path: path.to_string() })
                .collect(),
            user: d
                .users
                .iter()
                .map(|u| User {
                    key: u.key.clone(),
                    name: u.name.clone(),
                    department: names.department(u.department_id),
                })
                .collect(),
            extension: names.rows(&d),
            paid_number: d
                .paid_numbers
                .iter()
                .map(|n| PaidNumber { number: n.number.clone(), carrier: n.carrier.clone() })
                .collect(),
        };
        let mut text = String::from(
            "# The bluewhale directory, as exported: load it with `bluewhale load` or \
             POST /api/v1/directory/import.\n",
        );
        if setting(store::settings::DIAL_PLANS)?.is_some() {
            text += "# The stored dial plans are a file of their own and are not in this export.\n";
        }
        text += &toml::to_string(&file).map_err(|e| ApiError::internal(e.to_string()))?;
        Ok(text)
    }

    fn extensions_csv(rows: &[Row]) -> ApiResult<String> {
        let mut out = csv::WriterBuilder::new().has_headers(false).from_writer(Vec::new());
        let fail = |e: csv::Error| ApiError::internal(e.to_string());
        out.write_record(["number", "site", "user", "department", "valid_from", "valid_to"])
            .map_err(fail)?;
        for r in rows {
            let cell = |v: &Option<String>| v.clone().unwrap_or_default();
            out.write_record([
                r.number.clone(),
                cell(&r.site),
                cell(&r.user),
                cell(&r.department),
                cell(&r.valid_from),
                cell(&r.valid_to),
            ])
            .map_err(fail)?;
        }
        let bytes = out.into_inner().map_err(|e| ApiError::internal(e.to_string()))?;
        String::from_utf8(bytes).map_err(|e| ApiError::internal(e.to_string()))
    }
}

// Import ---------------------------------------------------------------------

#[derive(Debug, Deserialize, IntoParams)]
pub struct ImportQuery {
    /// `toml` or `csv`; default from the Content-Type
    /// (`application/toml`, `text/csv`).
    pub format: Option<String>,
}

/// What a bulk import loaded (entries of the file, new or updated).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DirectoryImportSummary {
    /// `toml` or `csv`.
    pub format: String,
    pub sites: u64,
    pub pbxs: u64,
    pub trunks: u64,
    pub departments: u64,
    pub users: u64,
    pub extensions: u64,
    /// A problem pricing will meet with the directory as loaded (the dial
    /// plans against its sites), if any; the load itself is stored.
    pub warning: Option<String>,
}

/// The name uploads are called by in messages.
const TOML_NAME: &str = "directory.toml";
const CSV_NAME: &str = "extensions.csv";

/// Loads a directory file (TOML) or an extension CSV, as `bluewhale load`
/// does: entities are matched by their natural keys (site name, PBX name,
/// trunk code per PBX, department path, user key, number per site and
/// start date) and added or updated, in one transaction; loading the same
/// file twice changes nothing. An error is a 400 naming the place (the
/// TOML's line and column, the CSV's line) and stores nothing. A TOML
/// may not name other files (`extensions_csv`, `dial_plans`): send an
/// extension CSV as a request of its own. Audited (the summary as
/// `after`). Stored calls keep their attribution until re-rated.
#[utoipa::path(post, path = "/directory/import", tag = "directory", params(ImportQuery),
    request_body(content((String = "application/toml"), (String = "text/csv")),
        description = "A directory TOML file or an extension CSV"),
    responses((status = 200, body = DirectoryImportSummary), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 413, body = ErrorBody)))]
async fn import_directory(
    State(state): State<ApiState>,
    caller: Allowed<need::DirectoryWrite>,
    Query(q): Query<ImportQuery>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Json<DirectoryImportSummary>> {
    let csv = match (q.format.as_deref().map(str::trim), media_type(&headers).as_deref()) {
        (Some("toml"), _) | (None, Some("application/toml" | "text/toml")) => false,
        (Some("csv"), _) | (None, Some("text/csv")) => true,
        (Some(other), _) => {
            return Err(ApiError::bad_request(format!("format {other:?}: toml or csv")));
        }
        (None, _) => {
            return Err(ApiError::bad_request(
                "format: send Content-Type application/toml or text/csv, or say format=toml or \
                 format=csv",
            ));
        }
    };
    let text = upload_text(body).await?;
    let mut audit = entry(&caller, "directory.import", "directory", None);
    let summary = with_own_store(&state.db, move |store| {
        let mut summary = if csv { load_csv(store, &text)? } else { load_toml(store, &text)? };
        summary.warning = pricing_problem(store);
        audit.after = audit_json(&summary);
        record_audit(store, audit)?;
        Ok(summary)
    })
    .await?;
    Ok(Json(summary))
}

fn load_toml(store: &mut Store, text: &str) -> ApiResult<DirectoryImportSummary> {
    let path = std::path::Path::new(TOML_NAME);
    let file = directory::DirectoryFile::parse(path, text)
        .map_err(|e| ApiError::bad_request(e.to_string()))?;
    if !file.extensions_csv.is_empty() {
        return Err(ApiError::bad_request(format!(
            "{TOML_NAME}: extensions_csv names files an upload cannot carry: import each CSV \
             as a request of its own"
        )));
    }
    if file.organisation.as_ref().is_some_and(|o| o.dial_plans.is_some()) {
        return Err(ApiError::bad_request(format!(
            "{TOML_NAME}: organisation.dial_plans names a file an upload cannot carry: load the \
             dial plans with bluewhale load"
        )));
    }
    // The loader names the entity and the value it refuses, not the line.
    let s = store.load_directory(&file, path).map_err(|e| match e {
        store::Error::Invalid(m) => ApiError::bad_request(format!("{TOML_NAME}: {m}")),
        other => other.into(),
    })?;
    Ok(DirectoryImportSummary {
        format: "toml".into(),
        sites: s.sites,
        pbxs: s.pbxs,
        trunks: s.trunks,
        departments: s.departments,
        users: s.users,
        extensions: s.extensions,
        warning: None,
    })
}

fn load_csv(store: &mut Store, text: &str) -> ApiResult<DirectoryImportSummary> {
    // The loader reads a file; its messages name the upload, not the
    // temporary file.
    let dir = tempfile::tempdir().map_err(|e| ApiError::internal(e.to_string()))?;
    let path = dir.path().join(CSV_NAME);
    std::fs::write(&path, text).map_err(|e| ApiError::internal(e.to_string()))?;
    let extensions = store.load_extensions_csv(&path).map_err(|e| match e {
        store::Error::Invalid(m) => {
            ApiError::bad_request(m.replace(&path.display().to_string(), CSV_NAME))
        }
        other => other.into(),
    })?;
    Ok(DirectoryImportSummary {
        format: "csv".into(),
        sites: 0,
        pbxs: 0,
        trunks: 0,
        departments: 0,
        users: 0,
        extensions,
        warning: None,
    })
}

/// What pricing would refuse in the directory as it now is, as `bluewhale
/// load` checks after loading.
fn pricing_problem(store: &Store) -> Option<String> {
    let book = match charging::tariffs::load_book(store) {
        Ok(book) => book,
        Err(e) => return Some(format!("tariffs: {e}")),
    };
    charging::Charger::new(store, std::sync::Arc::new(book)).err().map(|e| e.to_string())
}
